import { execFile } from 'node:child_process'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileCheckpointStore } from '@graphflow/core'
import { csvSource, escapeFormula } from '@graphflow/csv'
import { sqliteSource } from '@graphflow/sqlite'
import { runNode } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BREWERY_COLUMNS, type Brewery, generateBreweries } from '../src/dataset.js'
import { buildBreweriesPipeline } from '../src/pipeline.js'
import { type ReplayServer, startReplayServer } from '../src/replay-server.js'
import { runBreweries } from '../src/run-breweries.js'
import { breweriesOptions } from './cli-options.js'
import { readSavedState } from './saved-state.js'

const US = generateBreweries().filter((brewery) => brewery.country === 'United States')
const silent = { info: () => {}, error: () => {} }
let directory: string
let server: ReplayServer | undefined

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'breweries-'))
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await rm(directory, { recursive: true, force: true })
})

/** What csvSink writes for a value: formula escaping on, nulls empty, numbers as text. */
function csvText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? escapeFormula(value) : String(value)
}

async function readCsv(path: string): Promise<Record<string, string>[]> {
  const { outputs, errors } = await runNode(csvSource({ path }))
  expect(errors).toEqual([])
  return outputs as Record<string, string>[]
}

async function readSqlite(file: string): Promise<Brewery[]> {
  const { outputs, errors } = await runNode(
    sqliteSource<Brewery>({ path: file, query: 'SELECT * FROM breweries' }),
  )
  expect(errors).toEqual([])
  return outputs as Brewery[]
}

describe('breweries pipeline against the replay server', () => {
  it('survives 429 + Retry-After, 503s and resets: every US brewery once in CSV and SQLite', async () => {
    server = await startReplayServer({
      faults: [
        { kind: 'retry-after', seconds: 1, on: [2] },
        { kind: 'status', status: 503, on: [3, 7] },
        { kind: 'status', status: 500, on: [5] },
        { kind: 'reset', on: [4, 9] },
        { kind: 'reset', when: 'before-headers', on: [11] },
      ],
    })
    const csvPath = join(directory, 'out', 'breweries.csv')
    const sqlitePath = join(directory, 'breweries.db')
    const pipeline = buildBreweriesPipeline(
      {
        apiUrl: server.apiUrl,
        country: 'United States',
        perPage: 200,
        concurrency: 4,
        csvPath,
        sqlitePath,
        retry: { baseDelay: 10, maxDelay: 100 },
      },
      silent,
    )
    const report = await pipeline.run()
    expect(report.exceptions).toEqual({ breweries: [], csv: [], sqlite: [] })
    const faulted = server.requests.log.filter((entry) => entry.fault !== null).length
    expect(faulted).toBeGreaterThanOrEqual(4)
    expect(pipeline.source.stats.retries).toBe(faulted)
    expect(report.dataFlowStats.breweries?.out).toBe(Math.ceil(US.length / 200))

    const text = await readFile(csvPath, 'utf8')
    expect(text.split('\n', 1)[0]).toBe(BREWERY_COLUMNS.join(','))
    const rows = await readCsv(csvPath)
    expect(rows).toHaveLength(US.length)
    expect(new Set(rows.map((row) => row.id)).size).toBe(US.length)
    const byId = new Map(rows.map((row) => [row.id, row]))
    for (const brewery of US) {
      const row = byId.get(brewery.id)
      expect(row, brewery.id).toBeDefined()
      for (const column of BREWERY_COLUMNS)
        expect(row?.[column], `${brewery.id}.${column}`).toBe(csvText(brewery[column]))
    }

    const stored = await readSqlite(sqlitePath)
    expect(stored).toHaveLength(US.length)
    const storedById = new Map(stored.map((brewery) => [brewery.id, brewery]))
    for (const brewery of US) expect(storedById.get(brewery.id)).toEqual(brewery)
  })

  it('re-running into the same SQLite file updates rows instead of duplicating them', async () => {
    server = await startReplayServer()
    const sqlitePath = join(directory, 'again.db')
    const options = {
      apiUrl: server.apiUrl,
      country: 'Ireland',
      perPage: 50,
      concurrency: 2,
      sqlitePath,
    }
    await buildBreweriesPipeline(options, silent).run()
    const second = await buildBreweriesPipeline(options, silent).run()
    expect(second.exceptions.sqlite).toEqual([])
    const irish = generateBreweries().filter((brewery) => brewery.country === 'Ireland')
    expect(await readSqlite(sqlitePath)).toHaveLength(irish.length)
  })

  it('keeps everything accepted when aborted mid-run, and says so', async () => {
    server = await startReplayServer({ latencyMs: 30 })
    const csvPath = join(directory, 'partial.csv')
    const pipeline = buildBreweriesPipeline(
      { apiUrl: server.apiUrl, country: 'United States', perPage: 100, concurrency: 1, csvPath },
      silent,
    )
    const controller = new AbortController()
    pipeline.executor.on('node-start', () => setTimeout(() => controller.abort(), 150))
    const report = await pipeline.run(controller.signal)
    expect(report.aborted).toBe(true)
    const rows = await readCsv(csvPath)
    expect(rows.length).toBe(pipeline.csv?.stats.records)
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(US.length)
  })
})

describe('resuming an interrupted load', () => {
  const cliOptions = (apiUrl: string, resume: boolean, country = 'United States') =>
    breweriesOptions({
      apiUrl,
      offline: false,
      country,
      perPage: 100,
      concurrency: 1,
      faults: false,
      resume,
    })
  const quiet = () => ({
    stdout: { write: () => true },
    stderr: { write: () => true },
    cwd: directory,
  })
  /** What the run saved in us.db: its parameters, and each sink's position. */
  const readState = async () => {
    const saved = readSavedState(join(directory, 'us.db'))
    if (!saved) throw new Error('no saved state in us.db')
    return saved
  }
  /**
   * Aborts once the saved state counts 200 records in the CSV (polled: the machine may be slow,
   * so no fixed delay).
   */
  const abortOnceStored = (controller: AbortController) => {
    const poll = setInterval(() => {
      let stored = 0
      try {
        stored = readSavedState(join(directory, 'us.db'))?.positions.csv?.records ?? 0
      } catch {
        // The database is being created.
      }
      if (stored >= 200) {
        clearInterval(poll)
        controller.abort()
      }
    }, 10)
    controller.signal.addEventListener('abort', () => clearInterval(poll))
    return poll
  }
  /** The CSV of a clean run of the same load, in a directory of its own. */
  const cleanCsv = async () => {
    const clean = join(directory, 'clean')
    const run = await runBreweries(
      { ...cliOptions(server?.apiUrl ?? '', false), sqlite: undefined },
      {
        ...quiet(),
        cwd: clean,
      },
    )
    expect(run.exitCode).toBe(0)
    return readFile(join(clean, 'us.csv'))
  }

  it('continues after an abort: every brewery once in CSV and SQLite, then nothing to resume', async () => {
    server = await startReplayServer({ latencyMs: 25 })
    const controller = new AbortController()
    abortOnceStored(controller)
    const first = await runBreweries(cliOptions(server.apiUrl, false), {
      ...quiet(),
      signal: controller.signal,
    })
    expect(first.exitCode).toBe(1)
    expect(first.report?.aborted).toBe(true)
    const saved = await readState()
    expect(saved.run).toMatchObject({ country: 'United States', perPage: 100 })
    const stored = saved.positions.csv?.records ?? 0
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThan(US.length)
    // The CSV holds at least what the state counts (what the sink flushed after the abort is
    // cut by the resumed run).
    expect((await readCsv(join(directory, 'us.csv'))).length).toBeGreaterThanOrEqual(stored)

    const printed: string[] = []
    const second = await runBreweries(
      { ...cliOptions(server.apiUrl, true), progress: 'lines' },
      {
        ...quiet(),
        stdout: { write: (text: string) => printed.push(text) },
      },
    )
    expect(second.exitCode).toBe(0)
    expect(printed.join('')).toMatch(/resuming from page \d+/)
    // Guards the trial's finding: the progress line and the summary agree on what this run
    // fetched (the progress line used to count the skipped pages as fetched, unsaid).
    const lines = printed.join('').split('\n')
    const last = lines.filter((line) => line.startsWith('[breweries]')).at(-1) ?? ''
    const progress = /fetched ([\d,]+) records \(([\d,]+) by this run\)/.exec(last)
    const summary = /│ breweries │\s+([\d,]+) │.*fetched from the API by this run/.exec(
      printed.join(''),
    )
    expect(progress?.[1]).toBe(US.length.toLocaleString('en-US'))
    expect(progress?.[2]).toBe(summary?.[1])
    expect(await readFile(join(directory, 'us.csv'))).toEqual(await cleanCsv())
    expect(await readSqlite(join(directory, 'us.db'))).toHaveLength(US.length)

    const third: string[] = []
    const again = await runBreweries(cliOptions(server.apiUrl, true), {
      ...quiet(),
      stdout: { write: (text: string) => third.push(text) },
    })
    expect(again.exitCode).toBe(0)
    expect(third.join('')).toMatch(/nothing to resume/)
  })

  // Guards issue 11 item 5: --resume is advised where it helps, in words that fit the failure.
  it('after the API gave up mid-run: advises --resume, which completes the load', async () => {
    server = await startReplayServer({
      faults: [{ kind: 'status', status: 503, on: [4, 5, 6, 7, 8], repeat: true }],
    })
    const printed: string[] = []
    const first = await runBreweries(cliOptions(server.apiUrl, false), {
      ...quiet(),
      stdout: { write: (text: string) => printed.push(text) },
    })
    expect(first.exitCode).toBe(1)
    expect(printed.join('')).toMatch(
      /incomplete: 300 records stored in every output; once the API answers again, run the same command with --resume to continue/,
    )
    const second = await runBreweries(cliOptions(server.apiUrl, true), quiet())
    expect(second.exitCode).toBe(0)
    const rows = await readCsv(join(directory, 'us.csv'))
    expect(rows.map((row) => row.id).sort()).toEqual(US.map((brewery) => brewery.id).sort())
    expect(await readSqlite(join(directory, 'us.db'))).toHaveLength(US.length)
  })

  // Guards the trial's data loss: a run that stores nothing removes only the files it created,
  // never a CSV that was there before it.
  it('stores nothing: removes the database it created, keeps the CSV that was there', async () => {
    server = await startReplayServer({ faults: [{ kind: 'status', status: 400, repeat: true }] })
    await writeFile(join(directory, 'us.csv'), 'id,name\n1,kept\n')
    const printed: string[] = []
    const run = await runBreweries(cliOptions(server.apiUrl, false), {
      ...quiet(),
      stdout: { write: (text: string) => printed.push(text) },
    })
    expect(run.exitCode).toBe(1)
    expect(printed.join('')).toMatch(/^nothing was stored$/m)
    expect(await readdir(directory)).toEqual(['us.csv'])
  })

  // Guards the trial's finding: "incomplete: 1 records".
  it('says "1 record" when one record is stored', async () => {
    server = await startReplayServer({
      faults: [{ kind: 'status', status: 503, on: [2, 3, 4, 5, 6], repeat: true }],
    })
    const printed: string[] = []
    await runBreweries(
      { ...cliOptions(server.apiUrl, false), perPage: 1 },
      { ...quiet(), stdout: { write: (text: string) => printed.push(text) } },
    )
    expect(printed.join('')).toMatch(/^incomplete: 1 record stored in every output; /m)
  })

  // Guards the trial's finding: stopped after the last page of data, before the empty page
  // that ends the load, the run said "incomplete" as if records were missing.
  it('stopped before the final empty page: says every record the API reported is stored', async () => {
    const irish = generateBreweries().filter((brewery) => brewery.country === 'Ireland').length
    const emptyPage = Math.ceil(irish / 100) + 1
    server = await startReplayServer({
      faults: [
        {
          kind: 'status',
          status: 503,
          on: [0, 1, 2, 3, 4].map((retry) => emptyPage + retry),
          repeat: true,
        },
      ],
    })
    const printed: string[] = []
    const run = await runBreweries(cliOptions(server.apiUrl, false, 'Ireland'), {
      ...quiet(),
      stdout: { write: (text: string) => printed.push(text) },
    })
    expect(run.exitCode).toBe(1)
    expect(printed.join('')).toMatch(
      new RegExp(
        `^incomplete: all ${irish.toLocaleString('en-US')} records the API reported are stored in every output, but the empty page that ends the load was not fetched; run the same command with --resume to confirm$`,
        'm',
      ),
    )
    const resumed = await runBreweries(cliOptions(server.apiUrl, true, 'Ireland'), quiet())
    expect(resumed.exitCode).toBe(0)
    expect(await readSqlite(join(directory, 'us.db'))).toHaveLength(irish)
  })

  it('cuts what a stopped run wrote after the saved state, and refuses a CSV that lost rows', async () => {
    server = await startReplayServer({ latencyMs: 25 })
    const controller = new AbortController()
    abortOnceStored(controller)
    await runBreweries(cliOptions(server.apiUrl, false), { ...quiet(), signal: controller.signal })
    const csv = join(directory, 'us.csv')
    const stored = await readFile(csv, 'utf8')
    // A run killed mid-write leaves rows the saved state does not count.
    await appendFile(csv, 'half-written,row\n')
    const printed: string[] = []
    const resumed = await runBreweries(cliOptions(server.apiUrl, true), {
      ...quiet(),
      stdout: { write: (text: string) => printed.push(text) },
    })
    expect(resumed.exitCode).toBe(0)
    expect(printed.join('')).toMatch(
      /cutting \d+ bytes written after the last stored page of .*us\.csv \(page \d+\)/,
    )
    expect(await readFile(csv)).toEqual(await cleanCsv())

    // A new load (the old state gone), stopped once it stored some pages.
    for (const name of ['us.db', 'us.db-wal', 'us.db-shm']) {
      await rm(join(directory, name), { force: true })
    }
    const again = new AbortController()
    abortOnceStored(again)
    await runBreweries(cliOptions(server.apiUrl, false), { ...quiet(), signal: again.signal })
    await writeFile(csv, stored.slice(0, 1000))
    const refused: string[] = []
    const shorter = await runBreweries(cliOptions(server.apiUrl, true), {
      ...quiet(),
      stdout: { write: (text: string) => refused.push(text) },
    })
    expect(shorter.exitCode).toBe(1)
    expect(refused.join('')).toMatch(
      /error in csv: .*cannot resume writing .*us\.csv: it has 1000 bytes, shorter than the \d+ bytes saved/,
    )
    // The file was left as it is: the summary does not claim what it holds.
    expect(refused.join('')).not.toMatch(/^CSV .* holds/m)
  })

  it('refuses to resume without a checkpoint or with other parameters', async () => {
    server = await startReplayServer()
    await expect(runBreweries(cliOptions(server.apiUrl, true), quiet())).rejects.toThrow(
      /--resume: no checkpoint at .*us\.db \(table graphflow_checkpoints\); run once without --resume/,
    )
    await runBreweries({ ...cliOptions(server.apiUrl, false, 'Ireland') }, quiet())
    await expect(runBreweries(cliOptions(server.apiUrl, true), quiet())).rejects.toThrow(
      /checkpoint of another run: country was "Ireland", now "United States"/,
    )
    // Without --sqlite the checkpoint is looked for beside the CSV: the message says where.
    await expect(
      runBreweries({ ...cliOptions(server.apiUrl, true, 'Ireland'), sqlite: undefined }, quiet()),
    ).rejects.toThrow(
      /no checkpoint at .*us\.csv\.checkpoint\.json; .*resume with the same flags\)$/,
    )
    // An output left off is named in words, not as `undefined`.
    await runBreweries(
      { ...cliOptions(server.apiUrl, false), csv: 'only.csv', sqlite: undefined },
      quiet(),
    )
    await expect(
      runBreweries(
        { ...cliOptions(server.apiUrl, true), csv: 'only.csv', sqlite: 'only.db' },
        quiet(),
      ),
    ).rejects.toThrow(/checkpoint of another run: sqlite was not given, now ".*only\.db"$/)
  })

  // Guards the trial's finding: the checkpoint kept the API key of --api-url in clear text.
  it('keeps no secret of the API URL in any file, and still refuses a changed URL', async () => {
    server = await startReplayServer({ latencyMs: 25 })
    const secretUrl = `${server.apiUrl}?api_key=SECRET123`
    const controller = new AbortController()
    abortOnceStored(controller)
    const first = await runBreweries(cliOptions(secretUrl, false), {
      ...quiet(),
      signal: controller.signal,
    })
    expect(first.report?.aborted).toBe(true)
    const saved = await readState()
    expect(saved.run?.apiUrl).toBe(`${server.apiUrl}?api_key=***`)
    const leftSecrets = async () => {
      const found: string[] = []
      for (const name of await readdir(directory)) {
        if ((await readFile(join(directory, name))).includes('SECRET123')) found.push(name)
      }
      return found
    }
    expect(await leftSecrets()).toEqual([])

    await expect(
      runBreweries(cliOptions(`${server.apiUrl}?api_key=OTHER`, true), quiet()),
    ).rejects.toThrow(
      /checkpoint of another run: apiUrl was ".*\?api_key=\*\*\*", now ".*\?api_key=\*\*\*" \(they differ in a part that is not shown\)/,
    )
    const resumed = await runBreweries(cliOptions(secretUrl, true), quiet())
    expect(resumed.exitCode).toBe(0)
    expect(await readSqlite(join(directory, 'us.db'))).toHaveLength(US.length)
    expect(await leftSecrets()).toEqual([])
  })

  // Guards item 4 of issue 12: a page a sink refused is not counted as stored; the next run
  // reads it again.
  it('a page SQLite refused keeps its position before it; --resume stores it, once', async () => {
    server = await startReplayServer()
    const database = new Database(join(directory, 'us.db'))
    database.exec(`CREATE TABLE breweries (${BREWERY_COLUMNS.map((column) => `"${column}"`).join(', ')}, PRIMARY KEY (id));
      CREATE TRIGGER refuse BEFORE INSERT ON breweries WHEN NEW.id = '${US[250]?.id}'
      BEGIN SELECT RAISE(ABORT, 'page 3 refused'); END;`)
    database.close()
    const printed: string[] = []
    const first = await runBreweries(cliOptions(server.apiUrl, false), {
      ...quiet(),
      stdout: { write: (text: string) => printed.push(text) },
    })
    expect(first.exitCode).toBe(1)
    expect(printed.join('')).toMatch(/error in sqlite: .*page 3 refused/)
    expect(printed.join('')).toMatch(
      /incomplete: \d+ records? stored in every output; fix the error above, then run the same command with --resume/,
    )
    // SQLite's position stays before page 3, though it stored every later page; no output's
    // position passes the failed page (the CSV's may be behind it: it is saved where one of
    // its batches ends with a page).
    const saved = await readState()
    expect(saved.positions.sqlite).toEqual({ records: 200, done: false })
    expect(saved.positions.csv?.records).toBeLessThanOrEqual(200)

    const fix = new Database(join(directory, 'us.db'))
    fix.exec('DROP TRIGGER refuse')
    fix.close()
    const second: string[] = []
    const resumed = await runBreweries(cliOptions(server.apiUrl, true), {
      ...quiet(),
      stdout: { write: (text: string) => second.push(text) },
    })
    expect(resumed.exitCode).toBe(0)
    expect(second.join('')).toMatch(/resuming from page [123] /)
    const ids = (await readSqlite(join(directory, 'us.db'))).map((row) => row.id)
    expect(ids.sort()).toEqual(US.map((brewery) => brewery.id).sort())
    expect(await readFile(join(directory, 'us.csv'))).toEqual(await cleanCsv())
  })

  it('lets the sink that is ahead skip the pages it already stored', async () => {
    server = await startReplayServer()
    const csvPath = join(directory, 'ahead.csv')
    const store = fileCheckpointStore(join(directory, 'state.json'))
    const build = (sqlitePath?: string) =>
      buildBreweriesPipeline(
        {
          apiUrl: server?.apiUrl ?? '',
          country: 'United States',
          perPage: 200,
          concurrency: 2,
          csvPath,
          sqlitePath,
        },
        silent,
      )
    expect((await build().run(undefined, { store, key: 'load' })).ok).toBe(true)
    const before = await readFile(csvPath)
    // SQLite joins: the source starts over for it, the CSV is handed none of the pages it has.
    const pipeline = build(join(directory, 'behind.db'))
    const report = await pipeline.run(undefined, { store, key: 'load' })
    expect(report.ok).toBe(true)
    expect(report.skipped.csv).toBe(US.length / 200)
    expect(pipeline.csv?.stats.records).toBe(0)
    expect(await readFile(csvPath)).toEqual(before)
    expect(await readSqlite(join(directory, 'behind.db'))).toHaveLength(US.length)
  })
})

describe('the graph', () => {
  it('is the picture in the root README', async () => {
    const { graph } = buildBreweriesPipeline(
      {
        apiUrl: 'http://127.0.0.1:1/v1/breweries',
        country: 'United States',
        perPage: 200,
        concurrency: 1,
        csvPath: 'a.csv',
        sqlitePath: 'a.db',
      },
      silent,
    )
    const readme = await readFile(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8')
    const picture = /```mermaid\n([\s\S]*?)\n```/.exec(readme)?.[1]
    expect(graph.toMermaid()).toBe(picture)
  })
})

describe('breweries CLI', () => {
  /** Options of a run against an API that does not answer. */
  const unreachable = (apiUrl: string) =>
    breweriesOptions({
      apiUrl,
      offline: false,
      csv: 'unreachable.csv',
      sqlite: 'unreachable.db',
      concurrency: 1,
      faults: false,
    })

  it('runs offline end to end, prints progress lines, the summary and where the files are', async () => {
    const output: string[] = []
    const run = await runBreweries(breweriesOptions({ progress: 'lines' }), {
      stdout: { write: (text: string) => output.push(text) },
      stderr: { write: () => true },
      cwd: directory,
    })
    const printed = output.join('')
    expect(run.exitCode).toBe(0)
    expect(printed).toMatch(/replay server: http:\/\/127\.0\.0\.1:\d+\/v1\/breweries/)
    expect(printed).toMatch(/\[breweries\] .*fetched 3,800 records \(page 20, \d+ retries\)/)
    // Records everywhere, and what each number means.
    expect(printed).toMatch(
      /│ breweries │\s+3,800 │\s+0 │ fetched from the API by this run \(20 pages, \d+ retries\)/,
    )
    expect(printed).toMatch(/│ csv\s+│\s+3,800 │\s+0 │ stored in the CSV by this run/)
    expect(printed).toContain(`CSV    ${join(directory, 'us.csv')} holds 3,800 records`)
    expect(printed).toContain(
      `SQLite ${join(directory, 'us.db')} holds 3,800 rows in table breweries`,
    )
  })

  // Guards the flag table's promise: missing directories of both outputs are created.
  it('creates the missing directories of the CSV and of the database', async () => {
    const run = await runBreweries(
      breweriesOptions({
        country: 'Ireland',
        csv: 'new/csv/ie.csv',
        sqlite: 'new/db/ie.db',
        concurrency: 1,
        faults: false,
      }),
      { stdout: { write: () => true }, stderr: { write: () => true }, cwd: directory },
    )
    expect(run.exitCode).toBe(0)
    // The state is in the database, beside the rows it counts.
    expect(await readdir(join(directory, 'new', 'csv'))).toEqual(['ie.csv'])
    expect(await readdir(join(directory, 'new', 'db'))).toEqual(['ie.db'])
  })

  it('falls back to plain lines when bars are asked for but stdout is no terminal', async () => {
    const output: string[] = []
    await runBreweries(
      breweriesOptions({
        country: 'Ireland',
        csv: 'ie.csv',
        sqlite: undefined,
        concurrency: 1,
        faults: false,
        progress: 'bars',
      }),
      {
        stdout: { write: (text: string) => output.push(text) },
        stderr: { write: () => true },
        cwd: directory,
      },
    )
    expect(output.join('')).toMatch(/\[breweries\] .*fetched [\d,]+ records/)
    expect(output.join('')).not.toMatch(/\{label\}/)
  })

  it('checks the API before creating anything, and points to --offline', async () => {
    const run = runBreweries(unreachable('http://127.0.0.1:1/v1/breweries'), {
      stdout: { write: () => true },
      stderr: { write: () => true },
      cwd: directory,
    })
    await expect(run).rejects.toThrow(
      /cannot reach the API at http:\/\/127\.0\.0\.1:1\/v1\/breweries: ECONNREFUSED \(--offline runs/,
    )
    // No header-only CSV, no empty table, no checkpoint.
    expect(await readdir(directory)).toEqual([])
  })

  // Guards: the unreachable-API error printed the API key of the URL to stderr.
  it('names an unreachable API without the secret in its URL', async () => {
    const run = runBreweries(unreachable('http://127.0.0.1:1/v1/breweries?api_key=SECRET123'), {
      stdout: { write: () => true },
      stderr: { write: () => true },
      cwd: directory,
    })
    const error: Error = await run.then(
      () => new Error('the run did not fail'),
      (thrown: Error) => thrown,
    )
    expect(error.message).toMatch(
      /cannot reach the API at http:\/\/127\.0\.0\.1:1\/v1\/breweries\?api_key=/,
    )
    expect(error.message).not.toContain('SECRET123')
  })

  it('parses flags as a process: --help, a bad --per-page, and a real run', async () => {
    const cli = promisify(execFile)
    const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx')
    const script = join(import.meta.dirname, '..', 'src', 'cli.ts')
    const help = await cli(tsx, [script, '--help'])
    expect(help.stdout).toMatch(/--offline/)
    await expect(cli(tsx, [script, '--per-page', '500'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--per-page must be an integer from 1 to 200, got "500"/),
    })
    const real = await cli(
      tsx,
      [script, '--', '--offline', '--country', 'Ireland', '--csv', 'ie.csv'],
      {
        cwd: directory,
        env: { ...process.env, INIT_CWD: directory },
      },
    )
    expect(real.stdout).toContain(`CSV    ${join(directory, 'ie.csv')}`)
    const again = await cli(
      tsx,
      [script, '--offline', '--country', 'Ireland', '--csv', 'ie.csv', '--resume'],
      {
        cwd: directory,
        env: { ...process.env, INIT_CWD: directory },
      },
    )
    expect(again.stdout).toMatch(/nothing to resume/)
  })
})

describe('an API that adds a field', () => {
  it('keeps the 16 CSV columns and adds the field to SQLite', async () => {
    const data = generateBreweries({ count: 300 }).map((brewery) => ({
      ...brewery,
      new_field: 'x',
    }))
    server = await startReplayServer({ data: data as unknown as Brewery[] })
    const csvPath = join(directory, 'new.csv')
    const sqlitePath = join(directory, 'new.db')
    const report = await buildBreweriesPipeline(
      {
        apiUrl: server.apiUrl,
        country: 'United States',
        perPage: 200,
        concurrency: 1,
        csvPath,
        sqlitePath,
      },
      silent,
    ).run()
    expect(report.exceptions).toEqual({ breweries: [], csv: [], sqlite: [] })
    expect((await readFile(csvPath, 'utf8')).split('\n', 1)[0]).toBe(BREWERY_COLUMNS.join(','))
    const rows = (await readSqlite(sqlitePath)) as unknown as Record<string, unknown>[]
    expect(rows[0]?.new_field).toBe('x')
  })
})
