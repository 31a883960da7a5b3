// Checks done before the first request, so that a configuration error costs nothing, leaves
// nothing behind and reads as one line.
import { open, rm, stat } from 'node:fs/promises'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { basename, dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { BreweriesError } from './breweries-error.js'
import { redactUrl } from './checkpoint.js'

const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
}

/** `EROFS` -> `read-only file system (EROFS)`. */
export function describeCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === undefined) return error instanceof Error ? error.message : String(error)
  return CAUSES[code] ? `${CAUSES[code]} (${code})` : code
}

/** What {@link checkOutputPath} found. */
export interface OutputPathState {
  /** The file is there already. */
  exists: boolean
}

/**
 * Checks that `path` can be written, and so can a checkpoint beside it, leaving nothing behind:
 * the file, if there, must have a write bit (even for root) and is opened for writing (not
 * changed); a file is created and removed in the nearest existing directory above it (missing
 * directories are created by the run). Trying is the only check that holds for every case: permissions, root on a read-only file system,
 * special file systems.
 */
export async function checkOutputPath(path: string, what: string): Promise<OutputPathState> {
  const fail = (cause: string): never => {
    throw new BreweriesError(`cannot write the ${what} ${path}: ${cause}`)
  }
  const found = await stat(path).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? undefined : fail(describeCode(error)),
  )
  if (found?.isDirectory()) fail(describeCode({ code: 'EISDIR' }))
  // Root may open any file: the mode bits are checked here, as the CSV sink does, so a file
  // marked read-only is refused whoever runs the CLI.
  if (found && (found.mode & 0o222) === 0) {
    const mode = (found.mode & 0o7777).toString(8).padStart(4, '0')
    fail(`it is read-only (mode ${mode}), so it is not written over`)
  }
  let directory = dirname(path)
  for (;;) {
    const parent = await stat(directory).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? undefined : fail(describeCode(error)),
    )
    if (parent && !parent.isDirectory()) fail(`${directory} is a file, not a directory`)
    if (parent) break
    if (dirname(directory) === directory) break
    directory = dirname(directory)
  }
  const probe = join(directory, `.${basename(path)}.${process.pid}.probe`)
  try {
    await (await open(probe, 'wx')).close()
  } catch (error) {
    fail(`cannot create files in ${directory}: ${describeCode(error)}`)
  } finally {
    await rm(probe, { force: true }).catch(() => undefined)
  }
  if (found) {
    const handle = await open(path, 'r+').catch((error) => fail(describeCode(error)))
    await handle.close()
  }
  return { exists: found !== undefined }
}

/**
 * Checks that an existing SQLite file is a database this run can open (a CSV given as
 * `--sqlite`, a corrupt file). Opening and closing it leaves no `-wal`/`-shm` behind.
 */
export function checkDatabase(path: string): void {
  let database: Database.Database | undefined
  try {
    database = new Database(path, { fileMustExist: true })
    database.prepare('SELECT count(*) FROM sqlite_master').get()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new BreweriesError(`cannot open the SQLite database ${path}: ${message}`)
  } finally {
    database?.close()
  }
}

/** Rows in the table `breweries` of a database; `undefined` when it cannot be read. */
export function countRows(path: string): number | undefined {
  let database: Database.Database | undefined
  try {
    database = new Database(path, { fileMustExist: true })
    const row = database.prepare('SELECT count(*) AS rows FROM breweries').get() as {
      rows: number
    }
    return row.rows
  } catch {
    return undefined
  } finally {
    database?.close()
  }
}

/** Totals when the API's meta endpoint told them. */
export interface ApiTotals {
  records: number | undefined
  pages: number | undefined
}

const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH/

/**
 * Asks the API's `/meta` endpoint for the total, which also tells whether the API can be
 * reached at all: a refused connection or an unknown host is a {@link BreweriesError}; any
 * other failure (no `/meta`, a slow answer) only leaves the totals unknown.
 */
export async function fetchTotals(
  apiUrl: string,
  country: string,
  perPage: number,
  offline: boolean,
): Promise<ApiTotals> {
  // `/meta` goes after the path, before a query the URL may carry (`?api_key=...`).
  const url = new URL(apiUrl)
  url.pathname = `${url.pathname.replace(/\/$/, '')}/meta`
  url.searchParams.set('by_country', country)
  try {
    const { status, body } = await getJson(url, 5000)
    const records = Number((body as { total?: unknown } | undefined)?.total)
    if (status !== 200 || !Number.isFinite(records)) return { records: undefined, pages: undefined }
    return { records, pages: Math.ceil(records / perPage) + 1 }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (UNREACHABLE.test(code)) {
      throw new BreweriesError(
        `cannot reach the API at ${redactUrl(apiUrl)}: ${code}${offline ? '' : ' (--offline runs against the bundled replay server)'}`,
      )
    }
    return { records: undefined, pages: undefined }
  }
}

/** GETs a JSON document; a body that is not JSON is `undefined`. */
function getJson(url: URL, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const get = url.protocol === 'https:' ? httpsGet : httpGet
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'application/json' }, timeout: timeoutMs })
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', reject)
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        let body: unknown
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        } catch {
          body = undefined
        }
        resolve({ status: response.statusCode ?? 0, body })
      })
    })
  })
}
