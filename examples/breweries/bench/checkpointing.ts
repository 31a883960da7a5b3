/**
 * What resumable loads cost the breweries pipeline: the 3,800 US breweries from the replay
 * server (no faults, no latency), once without checkpoints and once with them, with the store
 * the CLI uses: into CSV and SQLite (upsert) the state is in the database
 * (`sqliteCheckpointStore`, committed with the rows); into CSV only (BENCH_OUTPUTS=csv) it is a
 * file beside the CSV (`fileCheckpointStore`: each state written atomically, with fsyncs). With
 * checkpoints each CSV batch is also fsynced. Runs interleaved in one process, median of each;
 * prints both and the ratio (with / without). Files go to the system's temp dir (BENCH_DIR
 * overrides it).
 *
 * Run: `npx -y pnpm@10 --filter @graphflow/example-breweries bench` (or `npx tsx
 * bench/checkpointing.ts` in examples/breweries once the packages are built). BENCH_ROUNDS
 * (default 15) and BENCH_PER_PAGE (default 200, as the CLI) change the runs.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileCheckpointStore } from '@graphflow/core'
import { sqliteCheckpointStore } from '@graphflow/sqlite'
import { buildBreweriesPipeline } from '../src/pipeline.js'
import { startReplayServer } from '../src/replay-server.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const PER_PAGE = Number(process.env.BENCH_PER_PAGE ?? 200)
const SQLITE = process.env.BENCH_OUTPUTS !== 'csv'
const quiet = { info() {}, error() {} }
const server = await startReplayServer()
const root = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'breweries-bench-'))

async function run(round: number, checkpoints: boolean): Promise<number> {
  const directory = join(root, `${round}-${checkpoints ? 'on' : 'off'}`)
  await mkdir(directory)
  const pipeline = buildBreweriesPipeline(
    {
      apiUrl: server.apiUrl,
      country: 'United States',
      perPage: PER_PAGE,
      concurrency: 1,
      csvPath: join(directory, 'us.csv'),
      sqlitePath: SQLITE ? join(directory, 'us.db') : undefined,
    },
    quiet,
  )
  const database = SQLITE ? sqliteCheckpointStore({ path: join(directory, 'us.db') }) : undefined
  const store = database ?? fileCheckpointStore(join(directory, 'us.csv.checkpoint.json'))
  const start = performance.now()
  const report = await pipeline.run(
    undefined,
    checkpoints ? { store, key: 'breweries' } : undefined,
  )
  const ms = performance.now() - start
  database?.close()
  if (!report.ok || pipeline.csv?.stats.records !== 3800) {
    throw new Error(
      `round ${round} (checkpoints ${checkpoints}) did not load every brewery: ${JSON.stringify(report.exceptions)} ${String(report.ok)}`,
    )
  }
  await rm(directory, { recursive: true, force: true })
  return ms
}

try {
  // One of each first: warms the server, the modules and the disk.
  await run(-1, false)
  await run(-1, true)
  const off: number[] = []
  const on: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, the order alternating: a slow moment of the machine hits both alike.
    if (round % 2 === 0) {
      off.push(await run(round, false))
      on.push(await run(round, true))
    } else {
      on.push(await run(round, true))
      off.push(await run(round, false))
    }
  }
  const median = (times: number[]) =>
    [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0
  const ratio = median(on) / median(off)
  console.log(
    `breweries pipeline, 3,800 records in pages of ${PER_PAGE} to ${SQLITE ? 'CSV and SQLite (state in the database)' : 'CSV (state in a file)'}, median of ${ROUNDS}: ` +
      `checkpointing off ${median(off).toFixed(0)} ms, on ${median(on).toFixed(0)} ms, ratio ${ratio.toFixed(2)} ` +
      `(target: at most 1.15)`,
  )
} finally {
  await server.close()
  await rm(root, { recursive: true, force: true })
}
