import { resolve } from 'node:path'
import type { ExecutionReport } from '@graphflow/core'
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
import { formatSummary, type OutputFile } from './summary.js'

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
  report: ExecutionReport
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
  const mode = options.progress === 'auto' ? (io.stdout.isTTY ? 'bars' : 'lines') : options.progress
  const log = (line: string) => io.stderr.write(`${line}\n`)
  if (mode === 'none') return silentProgress(log)
  if (mode === 'bars') return barsProgress(sinks, totals, io.stdout as NodeJS.WriteStream)
  return linesProgress((line) => io.stdout.write(`${line}\n`), log)
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
    const errors = Object.values(report.dataFlowStats).reduce((sum, stats) => sum + stats.err, 0)
    return { report, outputs, exitCode: errors > 0 || report.aborted || report.halted ? 1 : 0 }
  } finally {
    await server?.close()
  }
}
