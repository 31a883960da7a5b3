/**
 * `pnpm --filter @graphflow/example-breweries distributed`: the whole local deployment of the
 * distributed breweries graph (`graph.ts`) in one command: a nats-server with JetStream (or
 * `--nats-url`), the replay server (or `--api-url`), and one `graphflow-nats run` process per
 * worker: fetch-0, enrich-0..N-1, store-0. A worker killed by a signal it did not get from here
 * (`kill -9`, the OOM killer) is restarted with the same replica id, as a supervisor would.
 * At the end it prints where the output is and what it holds; Ctrl-C (or SIGTERM) stops every
 * worker (the run is aborted in all of them), the servers, and exits 130 (143). With `--run` of
 * a stopped run it first reruns it (`graphflow-nats rerun`: the run's next attempt), then starts
 * the workers, which join that attempt.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { findNatsServer, startLocalNatsServer } from '@graphflow/nats'
import Database from 'better-sqlite3'
import { generateBreweries } from '../dataset.js'
import { type ReplayServer, startReplayServer } from '../replay-server.js'

const USAGE = `usage: distributed [--db <path>] [--replicas <n>] [--geocode-ms <ms>] [--count <n>]
                   [--api-url <url>] [--nats-url <url>] [--run <id>] [--ack-wait-ms <ms>]`

// `pnpm ... distributed -- --db x` passes the `--` on.
const argv = process.argv.slice(2)
if (argv[0] === '--') argv.shift()
const { values } = parseArgs({
  args: argv,
  options: {
    db: { type: 'string', default: 'breweries_distributed.db' },
    replicas: { type: 'string', default: '3' },
    'geocode-ms': { type: 'string', default: '20' },
    count: { type: 'string', default: '5000' },
    'api-url': { type: 'string' },
    'nats-url': { type: 'string' },
    run: { type: 'string' },
    'ack-wait-ms': { type: 'string', default: '5000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min) {
    console.error(`distributed: --${name}: expected an integer >= ${min}, got "${text}"\n${USAGE}`)
    process.exit(2)
  }
  return value
}

const replicas = integer('replicas', values.replicas, 1)
const geocodeMs = integer('geocode-ms', values['geocode-ms'], 0)
const count = integer('count', values.count, 1)
const ackWaitMs = integer('ack-wait-ms', values['ack-wait-ms'], 1)
// Relative to where the command was run (pnpm runs scripts in the package directory).
const db = resolve(process.env.INIT_CWD ?? process.cwd(), values.db)
const run = values.run ?? `breweries-${new Date().toISOString().replace(/[:.]/g, '-')}`
const exampleDir = join(import.meta.dirname, '..', '..')
const natsCli = join(
  dirname(createRequire(import.meta.url).resolve('@graphflow/nats/package.json')),
  'dist',
  'cli.js',
)
const graphModule = join(import.meta.dirname, 'graph.ts')
const natsStore = `${db}.jetstream`
let complete = false

const cleanups: (() => Promise<void> | void)[] = []
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

/**
 * Starts nats-server with JetStream on a free 127.0.0.1 port, its store in `<db>.jetstream`:
 * kept when the run stops before its end (a rerun with the same `--run` resumes from it),
 * removed once the run completed.
 */
async function startNats(): Promise<string> {
  const binary = findNatsServer()
  if (binary === undefined) {
    throw new Error(
      'nats-server not found: install it (Debian: apt-get install nats-server), set NATS_SERVER_BIN, or pass --nats-url',
    )
  }
  const server = await startLocalNatsServer({ storeDir: natsStore, binary })
  cleanups.push(() => server.stop({ removeStore: complete }))
  return server.url
}

interface Worker {
  readonly id: string
  readonly role: string
  readonly replica: number
  child: ChildProcess
  restarts: number
  exit: Promise<number>
}

let stopping: NodeJS.Signals | undefined
const workers: Worker[] = []

function prefixLines(
  stream: NodeJS.ReadableStream | null,
  prefix: string,
  out: NodeJS.WriteStream,
) {
  if (stream === null) return
  createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${line}\n`))
}

function spawnWorker(worker: Omit<Worker, 'child' | 'exit'>, natsUrl: string, apiUrl: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      natsCli,
      'run',
      graphModule,
      '--run',
      run,
      '--role',
      worker.role,
      '--replica',
      String(worker.replica),
      '--servers',
      natsUrl,
      '--ack-wait-ms',
      String(ackWaitMs),
    ],
    {
      cwd: exampleDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        BREWERIES_API_URL: apiUrl,
        BREWERIES_DB: db,
        BREWERIES_GEOCODE_MS: String(geocodeMs),
        BREWERIES_ENRICH_REPLICAS: String(replicas),
      },
    },
  )
  console.log(`[${worker.id}] started (pid ${child.pid})`)
  prefixLines(child.stdout, `[${worker.id}]`, process.stdout)
  prefixLines(child.stderr, `[${worker.id}]`, process.stderr)
  const exit = new Promise<number>((done) => {
    child.on('error', (error) => {
      console.error(`[${worker.id}] cannot start: ${error.message}`)
      done(1)
    })
    child.on('exit', (code, signal) => {
      // Killed from outside (kill -9, the OOM killer): restart it, as a supervisor would.
      if (signal !== null && stopping === undefined && worker.restarts < 3) {
        console.log(`[${worker.id}] killed by ${signal}: restarting it (same replica id)`)
        const again = { ...worker, restarts: worker.restarts + 1 }
        done(spawnWorker(again, natsUrl, apiUrl).exit)
      } else {
        done(code ?? 1)
      }
    })
  })
  const started: Worker = { ...worker, child, exit }
  const index = workers.findIndex((each) => each.id === worker.id)
  if (index >= 0) workers[index] = started
  else workers.push(started)
  return started
}

/**
 * `--run <id>` of a run that was halted or aborted (Ctrl-C): `graphflow-nats rerun` starts its
 * next attempt, once, before any worker starts (workers never start an attempt on their own).
 * Exit code 3 is "nothing to rerun": a new run id, or one whose attempt was not stopped.
 */
async function rerunIfStopped(natsUrl: string): Promise<void> {
  const child = spawn(process.execPath, [natsCli, 'rerun', '--run', run, '--servers', natsUrl], {
    cwd: exampleDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  prefixLines(child.stdout, '[rerun]', process.stdout)
  const code = await new Promise<number>((done) => {
    child.on('error', () => done(1))
    child.on('exit', (exitCode) => done(exitCode ?? 1))
  })
  if (code !== 0 && code !== 3) throw new Error(`graphflow-nats rerun --run ${run} exited ${code}`)
}

function summary(): void {
  console.log(`\noutput: ${db} (SQLite, table "breweries", one row per brewery id)`)
  try {
    const database = new Database(db, { readonly: true, fileMustExist: true })
    try {
      const row = database
        .prepare(
          `SELECT count(*) AS rows, count(DISTINCT id) AS ids,
             sum(geocoder = 'simulated') AS simulated FROM breweries`,
        )
        .get() as { rows: number; ids: number; simulated: number | null }
      console.log(
        `  ${row.rows} breweries (${row.ids} distinct ids), ${row.simulated ?? 0} geocoded by the simulated geocoder`,
      )
    } finally {
      database.close()
    }
  } catch (error) {
    console.log(`  cannot read it: ${(error as Error).message}`)
  }
}

async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping !== undefined) return
  stopping = signal
  console.log(`\n${signal}: stopping every worker (the run is aborted in all of them)...`)
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGINT')
  const killer = setTimeout(() => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL')
  }, 10_000)
  await Promise.all(workers.map((worker) => worker.exit))
  clearTimeout(killer)
  summary()
  console.log(
    values['nats-url'] === undefined
      ? `run "${run}" stopped; its JetStream store is kept in ${natsStore}: rerun with --run ${run} (same --db) to resume it`
      : `run "${run}" stopped; rerun with --run ${run} to resume it`,
  )
  await cleanUp()
  process.exit(signal === 'SIGINT' ? 130 : 143)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))

try {
  const natsUrl = values['nats-url'] ?? (await startNats())
  let apiUrl = values['api-url']
  let replay: ReplayServer | undefined
  if (apiUrl === undefined) {
    replay = await startReplayServer({ data: generateBreweries({ count }) })
    cleanups.push(() => replay?.close())
    apiUrl = replay.apiUrl
  }
  mkdirSync(dirname(db), { recursive: true })
  if (values.run !== undefined) await rerunIfStopped(natsUrl)
  console.log(`nats: ${natsUrl}   api: ${apiUrl}   run: ${run}`)
  console.log(
    `workers: fetch-0, enrich-0..${replicas - 1} (geocoder ${geocodeMs} ms per record, maxTasks 8 each), store-0`,
  )
  console.log(
    `status: node --import tsx ${natsCli} status --run ${run} --servers ${natsUrl}   (Ctrl-C stops everything)\n`,
  )
  const roles: [string, number][] = [
    ['store', 1],
    ['enrich', replicas],
    ['fetch', 1],
  ]
  for (const [role, count] of roles) {
    for (let replica = 0; replica < count; replica++) {
      spawnWorker({ id: `${role}-${replica}`, role, replica, restarts: 0 }, natsUrl, apiUrl)
    }
  }
  // Restarted workers replace their entry: wait until every current one exited for good.
  const codes: number[] = []
  for (let index = 0; index < workers.length; index++) {
    codes[index] = await (workers[index] as Worker).exit
  }
  if (stopping === undefined) {
    const failed = workers.filter((_, index) => codes[index] !== 0).map((worker) => worker.id)
    summary()
    if (replay) {
      const expected = generateBreweries({ count }).filter(
        (brewery) => brewery.country === 'United States',
      ).length
      console.log(`  the replay server served ${expected} breweries in the United States`)
    }
    complete = failed.length === 0
    console.log(complete ? 'run complete' : `failed workers: ${failed.join(', ')}`)
    await cleanUp()
    process.exit(failed.length === 0 ? 0 : 1)
  }
} catch (error) {
  console.error(`distributed: ${(error as Error).message}`)
  for (const worker of workers) worker.child.kill('SIGINT')
  await cleanUp()
  process.exit(1)
}
