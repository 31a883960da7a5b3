import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { ExecutionReport } from '@graphflow/core'
import { BreweriesError } from './breweries-error.js'
import {
  mismatch,
  moveOfflinePositions,
  openRunState,
  RUN_KEY,
  type RunKey,
  recordBesideCsv,
  runRecord,
  type SinkStored,
  STATE_KEY,
  storedBySink,
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
  /** How SQLite stores a brewery (no flag: the crash tests use `insert`). @default 'upsert' */
  sqliteMode?: 'upsert' | 'insert'
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
  const key: RunKey = {
    apiUrl: options.offline ? 'offline' : options.apiUrl,
    country: options.country,
    perPage: options.perPage,
    csv: csvPath,
    sqlite: sqlitePath,
  }
  const sinkNames = [csvPath ? 'csv' : undefined, sqlitePath ? 'sqlite' : undefined].filter(
    (sink): sink is string => sink !== undefined,
  )

  // Before the first request: every output writable, the database openable, the resume sound.
  const csvBefore = csvPath ? await checkOutputPath(csvPath, 'CSV') : undefined
  const sqliteBefore = sqlitePath ? await checkOutputPath(sqlitePath, 'SQLite database') : undefined
  if (sqlitePath && sqliteBefore?.exists) checkDatabase(sqlitePath)
  const saved = await openRunState(key)
  const checkpointFile = saved.name
  try {
    const before = storedBySink(saved.state, sinkNames)
    const complete = (stored: Record<string, SinkStored>) =>
      sinkNames.every((sink) => stored[sink]?.done === true)
    if (options.resume) {
      // A run without --sqlite kept its state beside the CSV: name what differs.
      const record =
        saved.record ?? (key.sqlite && key.csv ? await recordBesideCsv(key) : undefined)
      if (!record) {
        throw new BreweriesError(
          `--resume: no checkpoint at ${checkpointFile}; run once without --resume${key.sqlite ? '' : ' (a run with --sqlite keeps its checkpoint in the database: resume with the same flags)'}`,
        )
      }
      const why = mismatch(record, key)
      if (why) {
        throw new BreweriesError(
          `--resume: ${checkpointFile} is the checkpoint of another run: ${why}`,
        )
      }
      if (complete(before)) {
        io.stdout.write(`nothing to resume: the run of ${checkpointFile} is complete\n`)
        return { report: undefined, outputs: [], exitCode: 0, stoppedBy: undefined }
      }
    } else if (saved.record && !complete(before)) {
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
      const { store } = saved
      if (!options.resume) await saved.remove()
      // Missing directories are created (and removed again if the run stores nothing).
      const createdDirectories: string[] = []
      for (const path of [csvPath, sqlitePath]) {
        const created = path ? await mkdir(dirname(path), { recursive: true }) : undefined
        if (created) createdDirectories.push(created)
      }
      // The replay server listens on a new port each run: the saved positions follow it.
      if (options.resume && options.offline && moveOfflinePositions(saved.state, apiUrl)) {
        await store.put(STATE_KEY, saved.state)
      }
      await store.put(RUN_KEY, runRecord(key))
      // What an earlier run stored, in whole pages: the source goes on after the slowest sink.
      const kept = options.resume ? before : storedBySink(undefined, sinkNames)
      const startAfter = Math.min(...sinkNames.map((sink) => kept[sink]?.pages ?? 0))
      const recordsBefore = Math.min(...sinkNames.map((sink) => kept[sink]?.records ?? 0))
      if (options.resume) {
        io.stdout.write(`resuming from page ${startAfter + 1} (${checkpointFile})\n`)
        // The CSV sink cuts what a stopped run wrote after the last page it stored: say so.
        const savedSize = kept.csv?.size
        const size = csvPath ? (await stat(csvPath).catch(() => undefined))?.size : undefined
        if (savedSize !== undefined && size !== undefined && size > savedSize) {
          io.stdout.write(
            `cutting ${size - savedSize} bytes written after the last stored page of ${csvPath} (page ${kept.csv?.pages ?? 0})\n`,
          )
        }
      }
      const view = progressView(options, io, sinkNames, totals)
      const verbose = options.verbose === true
      const notes = retryNotes(view.log)
      const logger = {
        // Without --verbose, retries are told once per page (onPage below), not once per attempt.
        info: (line: string) => {
          if (verbose || !/^\[graphflow\] \[http\] .* retrying in \d+ ms$/.test(line))
            view.log(line)
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
          perPage: options.perPage,
          concurrency: options.concurrency,
          csvPath,
          sqlitePath,
          retry: options.offline ? { baseDelay: 50, maxDelay: 2000 } : undefined,
          sqliteMode: options.sqliteMode,
          onRetry: verbose ? undefined : notes.onRetry,
          onPage: (info) => {
            page = Number(new URL(info.url).searchParams.get('page'))
            if (!verbose) notes.onPage(info)
          },
        },
        logger,
      )
      const { csv, sqlite, source } = pipeline
      /** Records each output holds now, from the first page on. */
      const stored = () => ({
        csv: csv ? (kept.csv?.records ?? 0) + csv.stats.records : undefined,
        sqlite: sqlite ? (kept.sqlite?.records ?? 0) + sqlite.stats.records : undefined,
      })
      const snapshot = (elapsedMs: number): ProgressSnapshot => {
        const now = stored()
        return {
          records: recordsBefore + source.stats.records,
          before: recordsBefore,
          page,
          retries: source.stats.retries,
          sinks: {
            ...(now.csv !== undefined ? { csv: now.csv } : {}),
            ...(now.sqlite !== undefined ? { sqlite: now.sqlite } : {}),
          },
          elapsedMs,
        }
      }
      pipeline.executor.on('progress', ({ elapsedMs }) => view.update(snapshot(elapsedMs)))
      const stopping = () => view.log('interrupted: stopping, flushing what was fetched...')
      if (io.signal?.aborted) stopping()
      else io.signal?.addEventListener('abort', stopping, { once: true })
      // The library saves the positions as the pages are stored, the last one also after an
      // abort (SIGINT, SIGTERM) before the run resolves; a SIGKILL leaves the last one saved.
      const report = await pipeline.run(io.signal, { store, key: STATE_KEY })
      view.stop(snapshot(report.durationMs))
      const reason: unknown = io.signal?.reason
      const stoppedBy =
        report.aborted && (reason === 'SIGINT' || reason === 'SIGTERM') ? reason : undefined

      const done = errorCount(report) === 0 && !report.aborted && !report.halted
      const after = storedBySink(await store.get(STATE_KEY), sinkNames)
      const storedNow = (csv?.stats.records ?? 0) + (sqlite?.stats.records ?? 0)
      const removed = !done && storedNow === 0 && !options.resume
      if (removed) {
        // Nothing came of it (an output that failed to open, say): leave nothing behind.
        // Only what this run created: a file that was there is the user's.
        await saved.remove()
        saved.close()
        if (csvPath && !csvBefore?.exists) await rm(csvPath, { force: true })
        if (sqlitePath && !sqliteBefore?.exists) await rm(sqlitePath, { force: true })
        for (const created of createdDirectories)
          await rm(created, { recursive: true, force: true })
      }
      // Records of this run's pages that a sink had already (the sink ahead in a resumed run):
      // the library did not hand them to it again.
      const skipped = (sink: string) =>
        Math.min(source.stats.records, (kept[sink]?.records ?? 0) - recordsBefore)
      const outputs: OutputFile[] = []
      if (csvPath && csv) {
        outputs.push({
          kind: 'CSV',
          node: 'csv',
          path: csvPath,
          written: csv.stats.records,
          skipped: skipped('csv'),
          // A CSV the sink refused to open (a resumed run's checks) holds what it held.
          total:
            removed || (csv.stats.records === 0 && (report.exceptions.csv?.length ?? 0) > 0)
              ? undefined
              : stored().csv,
        })
      }
      if (sqlitePath && sqlite) {
        outputs.push({
          kind: 'SQLite',
          node: 'sqlite',
          path: sqlitePath,
          written: sqlite.stats.records,
          skipped: skipped('sqlite'),
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
      if (!done && (storedNow > 0 || options.resume)) {
        // What the saved state counts: a resumed run keeps that much of each output.
        const all = sinkNames.map((sink) => after[sink]?.records ?? 0)
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
      } else if (!done) {
        io.stdout.write('nothing was stored\n')
      }
      return { report, outputs, exitCode: done ? 0 : 1, stoppedBy }
    } finally {
      await server?.close()
    }
  } finally {
    saved.close()
  }
}
