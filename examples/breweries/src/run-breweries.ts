import { mkdir, rm, truncate } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { ExecutionReport } from '@graphflow/core'
import { BreweriesError } from './breweries-error.js'
import {
  type Checkpoint,
  type CheckpointKey,
  checkpointPath,
  checkpointWriter,
  readCheckpoint,
  removeCheckpoint,
  resumePlan,
} from './checkpoint.js'
import { buildBreweriesPipeline, LIVE_API_URL } from './pipeline.js'
import { checkDatabase, checkOutputPath, countRows, fetchTotals } from './preflight.js'
import {
  barsProgress,
  linesProgress,
  type ProgressSnapshot,
  type ProgressTotals,
  type ProgressView,
  silentProgress,
} from './progress.js'
import { type FaultPlan, type ReplayServer, startReplayServer } from './replay-server.js'
import { retryNotes } from './retry-notes.js'
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
  /** Show every retry and the stacks of errors. @default false */
  verbose?: boolean
}

/** Where the CLI writes, and the directory relative paths are resolved against. */
export interface BreweriesIo {
  stdout: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown }
  cwd: string
  /** Aborting it stops the run; a reason of `'SIGINT'` or `'SIGTERM'` is named in the summary. */
  signal?: AbortSignal
}

/** What a run of the CLI produced. */
export interface BreweriesRun {
  /** `undefined` when `--resume` found the run already complete. */
  report: ExecutionReport | undefined
  outputs: OutputFile[]
  /** 0 only for a complete load. */
  exitCode: number
  /** The signal that stopped the run, when one did. */
  stoppedBy: string | undefined
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

/** Runs the example end to end: checks, optional replay server, the graph, progress, summary. */
export async function runBreweries(
  options: BreweriesCliOptions,
  io: BreweriesIo,
): Promise<BreweriesRun> {
  if (options.faults && !options.offline) {
    throw new BreweriesError(
      '--faults only works with --offline: it injects faults into the local replay server',
    )
  }
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

  // Before the first request: every output writable, the database openable, the resume sound.
  const csvBefore = csvPath ? await checkOutputPath(csvPath, 'CSV') : undefined
  const sqliteBefore = sqlitePath ? await checkOutputPath(sqlitePath, 'SQLite database') : undefined
  if (sqlitePath && sqliteBefore?.exists) checkDatabase(sqlitePath)
  const existing = await readCheckpoint(checkpointFile)
  const plan = options.resume ? await resumePlan(existing, checkpointFile, key) : undefined
  if (plan === 'complete') {
    io.stdout.write(`nothing to resume: the run of ${checkpointFile} is complete\n`)
    return { report: undefined, outputs: [], exitCode: 0, stoppedBy: undefined }
  }
  if (!plan && existing && !existing.complete) {
    io.stdout.write(
      `starting over: ${checkpointFile} is from an interrupted run (--resume continues it)\n`,
    )
  }

  let server: ReplayServer | undefined
  if (options.offline) {
    server = await startReplayServer({ faults: options.faults ? DEMO_FAULTS : [] })
    io.stdout.write(
      `replay server: ${server.apiUrl} (offline data, same API shape as ${LIVE_API_URL})\n`,
    )
  }
  try {
    const apiUrl = server?.apiUrl ?? options.apiUrl
    const totals = await fetchTotals(apiUrl, options.country, options.perPage, options.offline)

    // Checks passed: from here on the run changes files.
    const { perPage } = options
    const kept = plan?.pages ?? { csv: 0, sqlite: 0 }
    if (plan?.cut && csvPath) {
      await truncate(csvPath, plan.cut.at)
      io.stdout.write(
        `cut ${plan.cut.bytes} bytes after the last whole page of ${csvPath} (page ${kept.csv})\n`,
      )
    }
    if (!plan) await removeCheckpoint(checkpointFile)
    // Missing directories are created (and removed again if the run stores nothing).
    const createdDirectories: string[] = []
    for (const path of [csvPath, sqlitePath]) {
      const created = path ? await mkdir(dirname(path), { recursive: true }) : undefined
      if (created) createdDirectories.push(created)
    }
    const startAfter = Math.min(
      csvPath ? kept.csv : Number.POSITIVE_INFINITY,
      sqlitePath ? kept.sqlite : Number.POSITIVE_INFINITY,
    )
    if (plan) io.stdout.write(`resuming from page ${startAfter + 1} (${checkpointFile})\n`)
    const sinks = [csvPath ? 'csv' : undefined, sqlitePath ? 'sqlite' : undefined].filter(
      (sink): sink is string => sink !== undefined,
    )
    const view = progressView(options, io, sinks, totals)
    const verbose = options.verbose === true
    const notes = retryNotes(view.log)
    const logger = {
      // Without --verbose, retries are told once per page (onPage below), not once per attempt.
      info: (line: string) => {
        if (verbose || !/^\[graphflow\] \[http\] .* retrying in \d+ ms$/.test(line)) view.log(line)
      },
      // Errors are listed in the summary; --verbose shows them as they happen, stacks included.
      error: (line: string) => {
        if (verbose) view.log(line)
      },
    }
    let page = startAfter
    const pipeline = buildBreweriesPipeline(
      {
        apiUrl,
        country: options.country,
        perPage,
        concurrency: options.concurrency,
        csvPath,
        sqlitePath,
        retry: options.offline ? { baseDelay: 50, maxDelay: 2000 } : undefined,
        startPage: startAfter + 1,
        appendCsv: plan !== undefined,
        skipPages: { csv: kept.csv - startAfter, sqlite: kept.sqlite - startAfter },
        onRetry: verbose ? undefined : notes.onRetry,
        onPage: (info) => {
          page = Number(new URL(info.url).searchParams.get('page'))
          if (!verbose) notes.onPage(info)
        },
      },
      logger,
    )
    const { csv, sqlite, source } = pipeline
    const stored = () => ({
      csv: csv ? kept.csv * perPage + csv.stats.records : undefined,
      sqlite: sqlite ? kept.sqlite * perPage + sqlite.stats.records : undefined,
    })
    const snapshot = (elapsedMs: number): ProgressSnapshot => {
      const now = stored()
      return {
        records: startAfter * perPage + source.stats.records,
        before: startAfter * perPage,
        page,
        retries: source.stats.retries,
        sinks: {
          ...(now.csv !== undefined ? { csv: now.csv } : {}),
          ...(now.sqlite !== undefined ? { sqlite: now.sqlite } : {}),
        },
        elapsedMs,
      }
    }

    // The checkpoint follows the pages as they are stored. A sink's count stops at its first
    // error (what comes after may have a gap). The CSV's count is the one of the previous tick:
    // by then the file has surely received those rows.
    const checkpoints = checkpointWriter(checkpointFile, key, (line) => view.log(line))
    const frozen: Checkpoint['records'] = {}
    let csvSettled = stored().csv
    const counted = (): Checkpoint['records'] => {
      const now = stored()
      return { csv: frozen.csv ?? now.csv, sqlite: frozen.sqlite ?? now.sqlite }
    }
    pipeline.executor.on('node-error', ({ node }) => {
      if ((node === 'csv' || node === 'sqlite') && frozen[node] === undefined) {
        frozen[node] = stored()[node]
      }
    })
    pipeline.executor.on('progress', ({ elapsedMs }) => {
      view.update(snapshot(elapsedMs))
      const records = counted()
      const csvNow = records.csv
      records.csv = csvSettled
      csvSettled = csvNow
      const thisRun = (csv?.stats.records ?? 0) + (sqlite?.stats.records ?? 0)
      if (plan || thisRun > 0) void checkpoints.save(records, false)
    })
    const stopping = () => view.log('interrupted: stopping, flushing what was fetched...')
    if (io.signal?.aborted) stopping()
    else io.signal?.addEventListener('abort', stopping, { once: true })
    const report = await pipeline.run(io.signal)
    view.stop(snapshot(report.durationMs))
    const reason: unknown = io.signal?.reason
    const stoppedBy =
      report.aborted && (reason === 'SIGINT' || reason === 'SIGTERM') ? reason : undefined

    const complete = errorCount(report) === 0 && !report.aborted && !report.halted
    const records = counted()
    const storedNow = (csv?.stats.records ?? 0) + (sqlite?.stats.records ?? 0)
    await checkpoints.idle()
    const removed = !complete && storedNow === 0 && !plan
    if (removed) {
      // Nothing came of it (an output that failed to open, say): leave nothing behind.
      // Only what this run created: a file that was there is the user's.
      if (csvPath && !csvBefore?.exists) await rm(csvPath, { force: true })
      if (sqlitePath && !sqliteBefore?.exists) await rm(sqlitePath, { force: true })
      await removeCheckpoint(checkpointFile)
      for (const created of createdDirectories) await rm(created, { recursive: true, force: true })
    } else {
      await checkpoints.save(records, complete)
    }
    // Records a sink let pass because it had them already (the sink ahead in a resumed run).
    const skipped = (keptPages: number) =>
      Math.min(source.stats.records, (keptPages - startAfter) * perPage)
    const outputs: OutputFile[] = []
    if (csvPath && csv) {
      const total = removed ? undefined : (records.csv ?? 0)
      outputs.push({
        kind: 'CSV',
        node: 'csv',
        path: csvPath,
        written: csv.stats.records,
        skipped: skipped(kept.csv),
        total,
      })
    }
    if (sqlitePath && sqlite) {
      outputs.push({
        kind: 'SQLite',
        node: 'sqlite',
        path: sqlitePath,
        written: sqlite.stats.records,
        skipped: skipped(kept.sqlite),
        total: removed && !sqliteBefore?.exists ? undefined : countRows(sqlitePath),
      })
    }
    const summary = formatSummary(
      {
        report,
        source: 'breweries',
        fetched: source.stats.records,
        pages: source.stats.pages,
        retries: source.stats.retries,
        outputs,
        stoppedBy,
      },
      io.stdout.isTTY === true,
    )
    io.stdout.write(`${summary}\n`)
    if (verbose) {
      for (const error of Object.values(report.exceptions).flat()) {
        if (error.stack) io.stderr.write(`${error.stack}\n`)
      }
    }
    if (!complete && (storedNow > 0 || plan)) {
      const all = Object.values(records).filter((value): value is number => value !== undefined)
      const sinkFailed =
        (report.exceptions.csv?.length ?? 0) + (report.exceptions.sqlite?.length ?? 0)
      const fix = report.aborted
        ? ''
        : sinkFailed > 0
          ? 'fix the error above, then '
          : 'once the API answers again, '
      const least = Math.min(...all)
      const count = `${least.toLocaleString('en-US')} ${least === 1 ? 'record' : 'records'}`
      // Stopped after the last page of data but before the empty page that ends the load.
      const allKnown = totals.records !== undefined && least >= totals.records
      io.stdout.write(
        allKnown
          ? `incomplete: all ${count} the API reported are stored in every output, but the empty page that ends the load was not fetched; run the same command with --resume to confirm\n`
          : `incomplete: ${count} stored in every output; ${fix}run the same command with --resume to continue\n`,
      )
    } else if (!complete) {
      io.stdout.write('nothing was stored\n')
    }
    return { report, outputs, exitCode: complete ? 0 : 1, stoppedBy }
  } finally {
    await server?.close()
  }
}
