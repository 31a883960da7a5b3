/**
 * What csvSource's positions cost: 300,000 records (20 MB, quoted fields) read in batches of
 * 500 by a graph, source -> a sink that stores nothing, in a plain run and in a run with
 * `checkpoints` (positions: each record's offset, a SHA-256 of the file, a position per batch,
 * core's work tracking). Runs interleaved, median of 9 each; prints the ratio (with / plain).
 * Run: `npx tsx bench/source-positions.ts` in connectors/csv, after building @graphflow/core.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph, memoryCheckpointStore } from '@graphflow/core'
import { csvSource } from '../src/index.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000)
const dir = await mkdtemp(join(tmpdir(), 'graphflow-csv-bench-'))
const path = join(dir, 'in.csv')
const lines = ['id,name,city,amount,note']
for (let id = 0; id < RECORDS; id++) {
  lines.push(`${id},name ${id},"City, ${id % 100}",${id * 1.5},"note with ""quotes"" ${id}"`)
}
await writeFile(path, `${lines.join('\n')}\n`)

async function run(checkpoints: boolean): Promise<number> {
  const graph = new AsyncGraph()
  graph.addNode(csvSource({ path, batchSize: 500 }), { name: 'records' })
  graph.addNode(async function* sink(_batch: unknown) {})
  graph.addEdge('records', 'sink')
  const start = performance.now()
  await new AsyncExecutor(graph).execute(
    checkpoints ? { checkpoints: { store: memoryCheckpointStore() } } : {},
  )
  return performance.now() - start
}

const plain: number[] = []
const positioned: number[] = []
for (let round = 0; round < 9; round++) {
  plain.push(await run(false))
  positioned.push(await run(true))
}
const median = (times: number[]) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0
console.log(
  `csvSource, ${RECORDS} records in batches of 500: plain ${median(plain).toFixed(0)} ms, ` +
    `with checkpoints ${median(positioned).toFixed(0)} ms, ratio ${(median(positioned) / median(plain)).toFixed(2)}`,
)
await rm(dir, { recursive: true, force: true })
