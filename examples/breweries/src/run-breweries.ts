import { stat, truncate } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ExecutionReport } from '@graphflow/core'
import {
  type Checkpoint,
  type CheckpointKey,
  checkpointPath,
  mismatch,
  pagesStored,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js'
import { buildBreweriesPipeline, LIVE_API_URL } from './pipeline.js'
import {
  barsProgress,
  linesProgress,
  type ProgressSnapshot,
  type ProgressTotals,
  type ProgressView,
  silentProgress,
} from './progress.js'
import { type FaultPlan, type ReplayServer, startReplayServer } from './replay-server.js'
import { errorCount, formatSummary, type OutputFile } from './summary.js'

/** The CLI's options, parsed. */
export interface BreweriesCliOptions {
  apiUrl: string
  offline: boolean
  country: string
  csv: string | undefined
  sqlite: string | undefined
  perPage: number
  concurrency: number
  /** Offline only: inject 429s, 503s and connection resets into the replay server. */
  faults: boolean
  progress: 'auto' | 'bars' | 'lines' | 'none'
  /** Continue an interrupted run from its checkpoint. */
  resume: boolean
}

/** Where the CLI writes, and the directory relative paths are resolved against. */
export interface BreweriesIo {
  stdout: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown }
  cwd: string
  signal?: AbortSignal
}

/** What a run of the CLI produced. */
export interface BreweriesRun {
  /** `undefined` when `--resume` found the run already complete. */
  report: ExecutionReport | undefined
  outputs: OutputFile[]
  exitCode: number
}

/**
 * The faults `--faults` injects, each on a first attempt only: a 429 with `Retry-After`, 503s
 * and connection resets mid-body. The source retries them all; no record is lost or doubled.
 */
export const DEMO_FAULTS: FaultPlan = [
  { kind: 'retry-after', seconds: 1, on: [2] },
  { kind: 'status', status: 503, on: [4, 9] },
  { kind: 'reset', rate: 0.1 },
]

async function fetchTotals(
  apiUrl: string,
  country: string,
  perPage: number,
): Promise<ProgressTotals> {
  try {
    const url = new URL(`${apiUrl.replace(/\/$/, '')}/meta`)
    url.searchParams.set('by_country', country)
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
    const meta = (await response.json()) as { total?: string | number }
    const records = Number(meta.total)
    if (!response.ok || !Number.isFinite(records)) return { records: undefined, pages: undefined }
    return { records, pages: Math.ceil(records / perPage) + 1 }
  } catch {
    return { records: undefined, pages: undefined }
  }
}

function progressView(
  options: BreweriesCliOptions,
  io: BreweriesIo,
  sinks: string[],
  totals: ProgressTotals,
): ProgressView {
  const wanted = options.progress === 'auto' ? 'bars' : options.progress
  // Bars need a terminal: piped into a file or a CI log, they fall back to plain lines.
  const mode = wanted === 'bars' && !io.stdout.isTTY ? 'lines' : wanted
  const log = (line: string) => io.stderr.write(`${line}\n`)
  if (mode === 'none') return silentProgress(log)
  if (mode === 'bars') return barsProgress(sinks, totals, io.stdout as NodeJS.WriteStream)
  return linesProgress((line) => io.stdout.write(`${line}\n`), log)
}

async function resumable(file: string, key: CheckpointKey, io: BreweriesIo): Promise<Checkpoint> {
  const checkpoint = await readCheckpoint(file)
  if (!checkpoint) throw new Error(`--resume: no checkpoint at ${file}; run once without --resume`)
  const why = mismatch(checkpoint, key)
  if (why) throw new Error(`--resume: ${file} is the checkpoint of another run: ${why}`)
  if (key.csv && !checkpoint.complete) {
    // The CSV must still hold what the checkpoint counted: cut what a killed run wrote after
    // it, refuse a file that lost rows since.
    const size = (await stat(key.csv).catch(() => undefined))?.size
    const expected = checkpoint.csvBytes ?? 0
    if (size === undefined || size < expected) {
      throw new Error(
        `--resume: ${key.csv} is ${size === undefined ? 'missing' : 'shorter than at the checkpoint'}; run without --resume`,
      )
    }
    if (size > expected) {
      await truncate(key.csv, expected)
      io.stdout.write(`cut ${size - expected} bytes written to ${key.csv} after the checkpoint\n`)
    }
  }
  return checkpoint
}

/** Runs the example end to end: optional replay server, the graph, progress, the summary. */
export async function runBreweries(
  options: BreweriesCliOptions,
  io: BreweriesIo,
): Promise<BreweriesRun> {
  let server: ReplayServer | undefined
  if (options.offline) {
    server = await startReplayServer({ faults: options.faults ? DEMO_FAULTS : [] })
    io.stdout.write(
      `replay server: ${server.apiUrl} (offline data, same API shape as ${LIVE_API_URL})\n`,
    )
  } else if (options.faults) {
    throw new TypeError(
      '--faults only works with --offline: it injects faults into the local replay server',
    )
  }
  try {
    const apiUrl = server?.apiUrl ?? options.apiUrl
    const csvPath = options.csv ? resolve(io.cwd, options.csv) : undefined
    const sqlitePath = options.sqlite ? resolve(io.cwd, options.sqlite) : undefined
    const key: CheckpointKey = {
      apiUrl: options.offline ? 'offline' : options.apiUrl,
      country: options.country,
      perPage: options.perPage,
      csv: csvPath,
      sqlite: sqlitePath,
    }
    const checkpointFile = checkpointPath(key)
    const previous = options.resume ? await resumable(checkpointFile, key, io) : undefined
    if (previous?.complete) {
      io.stdout.write(`nothing to resume: the run of ${checkpointFile} is complete\n`)
      return { report: undefined, outputs: [], exitCode: 0 }
    }
    const stored = { csv: previous?.pages.csv ?? 0, sqlite: previous?.pages.sqlite ?? 0 }
    const startAfter = Math.min(
      csvPath ? stored.csv : Number.POSITIVE_INFINITY,
      sqlitePath ? stored.sqlite : Number.POSITIVE_INFINITY,
    )
    if (previous) io.stdout.write(`resuming from page ${startAfter + 1} (${checkpointFile})\n`)
    const sinks = [csvPath ? 'csv' : undefined, sqlitePath ? 'sqlite' : undefined].filter(
      (sink): sink is string => sink !== undefined,
    )
    const totals = await fetchTotals(apiUrl, options.country, options.perPage)
    const view = progressView(options, io, sinks, totals)
    const pipeline = buildBreweriesPipeline(
      {
        apiUrl,
        country: options.country,
        perPage: options.perPage,
        concurrency: options.concurrency,
        csvPath,
        sqlitePath,
        retry: options.offline ? { baseDelay: 50, maxDelay: 2000 } : undefined,
        startPage: startAfter + 1,
        appendCsv: previous !== undefined,
        skipPages: { csv: stored.csv - startAfter, sqlite: stored.sqlite - startAfter },
      },
      { info: view.log, error: view.log },
    )
    const snapshot = (elapsedMs: number): ProgressSnapshot => ({
      pages: pipeline.source.stats.pages,
      records: pipeline.source.stats.records,
      retries: pipeline.source.stats.retries,
      sinks: {
        ...(pipeline.csv ? { csv: pipeline.csv.stats.records } : {}),
        ...(pipeline.sqlite ? { sqlite: pipeline.sqlite.stats.rowsWritten } : {}),
      },
      elapsedMs,
    })
    pipeline.executor.on('progress', ({ elapsedMs }) => view.update(snapshot(elapsedMs)))
    const report = await pipeline.run(io.signal)
    view.stop(snapshot(report.durationMs))
    const outputs: OutputFile[] = []
    if (csvPath && pipeline.csv)
      outputs.push({ kind: 'CSV', path: csvPath, written: pipeline.csv.stats.records })
    if (sqlitePath && pipeline.sqlite) {
      outputs.push({ kind: 'SQLite', path: sqlitePath, written: pipeline.sqlite.stats.rowsWritten })
    }
    io.stdout.write(
      `${formatSummary(report, outputs, pipeline.source.stats.retries, io.stdout.isTTY === true)}\n`,
    )
    const complete = errorCount(report) === 0 && !report.aborted && !report.halted
    await writeCheckpoint(checkpointFile, {
      ...key,
      pages: {
        csv: pipeline.csv
          ? pagesStored(stored.csv, pipeline.csv.stats.records, options.perPage)
          : undefined,
        sqlite: pipeline.sqlite
          ? pagesStored(stored.sqlite, pipeline.sqlite.stats.rowsWritten, options.perPage)
          : undefined,
      },
      csvBytes: csvPath ? (await stat(csvPath).catch(() => undefined))?.size : undefined,
      complete,
      updatedAt: new Date().toISOString(),
    })
    if (!complete)
      io.stdout.write(`incomplete: run again with --resume to continue (${checkpointFile})\n`)
    const unreachable = Object.values(report.exceptions)
      .flat()
      .some((error) => /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH/.test(error.message))
    if (unreachable && !options.offline) {
      io.stdout.write(
        'the API could not be reached: --offline runs against the bundled replay server\n',
      )
    }
    return { report, outputs, exitCode: complete ? 0 : 1 }
  } finally {
    await server?.close()
  }
}
