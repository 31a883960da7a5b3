// The example's own resume bookkeeping: what a run leaves beside its output, and how much of
// an earlier CSV a resumed run can keep. Kept in this one module on purpose.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parse } from 'csv-parse'
import { BreweriesError } from './breweries-error.js'
import { BREWERY_COLUMNS } from './dataset.js'

/** What a run leaves beside its output so that `--resume` can continue it. */
export interface Checkpoint {
  /**
   * The API's list endpoint, or `offline` for the replay server. In the file it is redacted
   * (see {@link redactUrl}); {@link Checkpoint.apiUrlHash} stands for the full URL.
   */
  apiUrl: string
  /** SHA-256 (hex) of the full `apiUrl`, secrets included: what `--resume` compares. */
  apiUrlHash?: string
  country: string
  perPage: number
  csv: string | undefined
  sqlite: string | undefined
  /** Records each sink has stored, counted from the first page (earlier runs included). */
  records: { csv?: number; sqlite?: number }
  /** True once a run ended with no error: nothing left to resume. */
  complete: boolean
  updatedAt: string
}

/** The parameters a resumed run must share with the run it continues (`apiUrl` in full). */
export type CheckpointKey = Pick<Checkpoint, 'apiUrl' | 'country' | 'perPage' | 'csv' | 'sqlite'>

/** Query parameters whose values are secrets (lower case), as `@graphflow/http` redacts them. */
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'sig', 'auth'])
const SECRET_PARAM_PARTS = /token|secret|password|passwd|signature|credential/i

/**
 * A URL as it may be written to a file: userinfo and the values of secret-looking query
 * parameters (`api_key`, `*token*`, `*secret*` ...) replaced by `***`. A text that is not a URL
 * (`offline`) is returned as is.
 */
export function redactUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return text
  }
  if (url.username) url.username = '***'
  if (url.password) url.password = '***'
  for (const name of new Set(url.searchParams.keys())) {
    if (SECRET_PARAMS.has(name.toLowerCase()) || SECRET_PARAM_PARTS.test(name)) {
      url.searchParams.set(name, '***')
    }
  }
  return url.href.replaceAll('%2A%2A%2A', '***')
}

/** SHA-256 (hex) of a full URL: compared on `--resume` without keeping the URL's secrets. */
export function hashUrl(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The checkpoint file of a run: beside its CSV, or its database when there is no CSV. */
export function checkpointPath(key: CheckpointKey): string {
  return `${key.csv ?? key.sqlite}.checkpoint.json`
}

const reason = (error: unknown) =>
  (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))

/** Reads a checkpoint; `undefined` when there is none. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read the checkpoint ${path}: ${reason(error)}`)
  }
  try {
    const checkpoint = JSON.parse(text) as Checkpoint
    if (typeof checkpoint.records !== 'object' || checkpoint.records === null) throw new Error()
    return checkpoint
  } catch {
    throw new Error(`${path} is not a checkpoint of this version of the example; delete it`)
  }
}

/**
 * Writes a checkpoint atomically and durably: a temp file beside it, synced, renamed over it,
 * and the directory synced, so a crash leaves the old checkpoint or the new one, never half.
 */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temp = `${path}.tmp`
  try {
    // 0600: the checkpoint names the API and the outputs; only their owner reads it.
    const handle = await open(temp, 'w', 0o600)
    try {
      await handle.chmod(0o600)
      await handle.writeFile(`${JSON.stringify(checkpoint, null, 2)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw new Error(`cannot write the checkpoint ${path}: ${reason(error)}`)
  }
  // The rename is durable once the directory is synced (not possible everywhere: best effort).
  const directory = await open(dirname(path), 'r').catch(() => undefined)
  await directory
    ?.sync()
    .catch(() => undefined)
    .finally(() => directory.close())
}

/** Removes a checkpoint, if there is one. */
export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true })
}

/** Why a checkpoint cannot be resumed with these parameters, or `undefined` when it can. */
export function mismatch(checkpoint: Checkpoint, key: CheckpointKey): string | undefined {
  const sameUrl = checkpoint.apiUrlHash
    ? checkpoint.apiUrlHash === hashUrl(key.apiUrl)
    : checkpoint.apiUrl === key.apiUrl
  if (!sameUrl) {
    const before = redactUrl(checkpoint.apiUrl)
    const now = redactUrl(key.apiUrl)
    return `apiUrl was ${JSON.stringify(before)}, now ${JSON.stringify(now)}${before === now ? ' (they differ in a part that is not shown)' : ''}`
  }
  for (const field of ['country', 'perPage', 'csv', 'sqlite'] as const) {
    if (checkpoint[field] !== key[field]) {
      const now = key[field] === undefined ? 'not given' : JSON.stringify(key[field])
      return `${field} was ${checkpoint[field] === undefined ? 'not given' : JSON.stringify(checkpoint[field])}, now ${now}`
    }
  }
  return undefined
}

/** What a CSV written by an earlier run holds. */
export interface CsvContent {
  /** Whole records after the header (a record cut by a killed run is not one). */
  records: number
  /** `pageEnds[n]`: the byte offset just after the `n`-th page of records (0: the header). */
  pageEnds: number[]
  /** The file's size in bytes. */
  size: number
}

/**
 * Reads a CSV the sink wrote in an earlier run: its whole records, and where each page of them
 * ends, so a resumed run can cut what came after the last whole page. Reading stops at the
 * first record that is not whole (a run killed mid-write leaves one). `undefined`: no file.
 */
export async function readCsvContent(
  path: string,
  columns: readonly string[],
  perPage: number,
): Promise<CsvContent | undefined> {
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new Error(`cannot read ${path}: ${reason(error)}`)
  })
  if (!found) return undefined
  const content: CsvContent = { records: 0, pageEnds: [], size: found.size }
  const lastByte = await lastByteOf(path, found.size)
  const parser = createReadStream(path).pipe(
    parse({ info: true, relax_column_count: true, skip_empty_lines: false }),
  )
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[]
      info: { bytes: number }
    }>) {
      // The sink ends every record with a newline: without one, the last record was cut.
      const whole = info.bytes < found.size || lastByte === 0x0a
      if (content.pageEnds.length === 0) {
        if (!whole || record.join(',') !== columns.join(',')) {
          throw new Error(`${path} does not start with the breweries header`)
        }
        content.pageEnds.push(info.bytes)
        continue
      }
      if (!whole || record.length !== columns.length) break
      content.records++
      if (content.records % perPage === 0) content.pageEnds.push(info.bytes)
    }
  } catch (error) {
    // A quote left open by a cut record: what came before it is whole.
    if ((error as { code?: string }).code?.startsWith('CSV_') !== true) throw error
  } finally {
    parser.destroy()
  }
  if (content.pageEnds.length === 0) throw new Error(`${path} has no header`)
  return content
}

async function lastByteOf(path: string, size: number): Promise<number | undefined> {
  if (size === 0) return undefined
  const handle = await open(path, 'r')
  try {
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1)
    return buffer[0]
  } finally {
    await handle.close()
  }
}

/** Where a resumed run starts, and what each output keeps from the runs before. */
export interface ResumePlan {
  /** Whole pages each sink keeps. */
  pages: { csv: number; sqlite: number }
  /** Bytes of the CSV after its last whole page, and where that page ends. */
  cut: { bytes: number; at: number } | undefined
}

/** Checks a checkpoint can be resumed, and reads what the CSV kept; changes nothing. */
export async function resumePlan(
  checkpoint: Checkpoint | undefined,
  file: string,
  key: CheckpointKey,
): Promise<ResumePlan | 'complete'> {
  if (!checkpoint) {
    throw new BreweriesError(`--resume: no checkpoint at ${file}; run once without --resume`)
  }
  const why = mismatch(checkpoint, key)
  if (why) throw new BreweriesError(`--resume: ${file} is the checkpoint of another run: ${why}`)
  if (checkpoint.complete) return 'complete'
  const { perPage } = key
  const plan: ResumePlan = {
    pages: { csv: 0, sqlite: Math.floor((checkpoint.records.sqlite ?? 0) / perPage) },
    cut: undefined,
  }
  if (key.csv) {
    // The CSV itself says what it holds: whole pages are kept, a page cut short by a killed
    // run is fetched again. It must hold at least what the checkpoint counted.
    const content = await readCsvContent(key.csv, BREWERY_COLUMNS, perPage)
    const counted = checkpoint.records.csv ?? 0
    if (!content || content.records < counted) {
      throw new BreweriesError(
        `--resume: ${key.csv} ${content ? `holds ${content.records} records, fewer than the ${counted} counted at the checkpoint` : 'is missing'}; run without --resume`,
      )
    }
    plan.pages.csv = content.pageEnds.length - 1
    const at = content.pageEnds[plan.pages.csv] as number
    if (content.size > at) plan.cut = { bytes: content.size - at, at }
  }
  return plan
}

/** Writes checkpoints while the run goes on, one at a time, skipping unchanged counts. */
export function checkpointWriter(file: string, key: CheckpointKey, warn: (line: string) => void) {
  let last = ''
  let writing: Promise<void> = Promise.resolve()
  let failed = false
  return {
    save(records: Checkpoint['records'], complete: boolean): Promise<void> {
      const text = JSON.stringify([records, complete])
      if (text === last) return writing
      last = text
      writing = writing.then(() =>
        writeCheckpoint(file, {
          ...key,
          // The file keeps no secret of the URL: a hash of it is what --resume compares.
          apiUrl: redactUrl(key.apiUrl),
          apiUrlHash: hashUrl(key.apiUrl),
          records,
          complete,
          updatedAt: new Date().toISOString(),
        }).catch((error: Error) => {
          if (!failed) warn(error.message)
          failed = true
        }),
      )
      return writing
    },
    idle: () => writing,
  }
}
