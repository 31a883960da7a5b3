/**
 * csvSink throughput: 1,000,000 records of 16 string columns written to a file.
 * Baseline: the same records piped straight into a csv-stringify stream and a file write stream
 * (stream.pipeline, so with backpressure). Candidates: a graph, source node -> csvSink, the
 * source yielding batches of 1,000 records, or records one by one.
 * Target: each candidate at >= 0.8x the baseline's records/s. Always exits 0.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { stringify } from 'csv-stringify'
import { csvSink } from '../src/index.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const BATCH = 1_000
const TARGET = 0.8
const COLUMNS = Array.from(
  { length: 16 },
  (_, index) => `column_${String(index + 1).padStart(2, '0')}`,
)
const POOL = Array.from({ length: 10_000 }, (_, row) =>
  Object.fromEntries(
    COLUMNS.map((column, index) => [
      column,
      row % 10 === 0 && index === 3
        ? `Brewing Co., "The" ${row}`
        : `value ${row}-${index} ${'x'.repeat(index % 5)}`,
    ]),
  ),
)
type Row = Record<string, string>

function* records(count: number): Generator<Row> {
  for (let index = 0; index < count; index++) yield POOL[index % POOL.length] as Row
}

async function baseline(path: string, count: number): Promise<void> {
  await pipeline(
    Readable.from(records(count)),
    stringify({ columns: COLUMNS, header: true }),
    createWriteStream(path),
  )
}

async function graphRun(path: string, count: number, batched: boolean): Promise<void> {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    if (!batched) {
      yield* records(count)
      return
    }
    let batch: Row[] = []
    for (const record of records(count)) {
      if (batch.push(record) === BATCH) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  })
  const sink = csvSink({ path, columns: COLUMNS })
  graph.addEdge(source, graph.addNode(sink))
  const report = await new AsyncExecutor(graph).execute()
  if (report.dataFlowStats.csvSink?.err !== 0 || sink.stats.records !== count) {
    throw new Error(`the graph run failed: ${JSON.stringify(report.dataFlowStats)}`)
  }
}

async function measure(
  label: string,
  run: (path: string, count: number) => Promise<void>,
  dir: string,
) {
  const path = join(dir, `${label}.csv`)
  await run(path, Math.min(RECORDS, 100_000)) // warm-up
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < 2; round++) {
    const started = performance.now()
    await run(path, RECORDS)
    best = Math.min(best, performance.now() - started)
  }
  return { label, perSecond: RECORDS / (best / 1000), bytes: (await stat(path)).size }
}

const dir = await mkdtemp(join(tmpdir(), 'graphflow-csv-bench-'))
try {
  const base = await measure('baseline', baseline, dir)
  const candidates = [
    await measure('graph-batches', (path, count) => graphRun(path, count, true), dir),
    await measure('graph-records', (path, count) => graphRun(path, count, false), dir),
  ]
  const format = (value: number) => Math.round(value).toLocaleString('en-US').padStart(10)
  console.log(
    `csvSink: ${RECORDS.toLocaleString('en-US')} records x ${COLUMNS.length} string columns, node ${process.version}`,
  )
  console.log(
    `  ${base.label.padEnd(14)} ${format(base.perSecond)} records/s  (${base.bytes} bytes)`,
  )
  for (const candidate of candidates) {
    const ratio = candidate.perSecond / base.perSecond
    const verdict = ratio >= TARGET ? 'PASS' : 'FAIL'
    const same =
      candidate.bytes === base.bytes ? 'same bytes' : `DIFFERENT SIZE: ${candidate.bytes} bytes`
    console.log(
      `  ${candidate.label.padEnd(14)} ${format(candidate.perSecond)} records/s  ${ratio.toFixed(2)}x baseline (target ${TARGET}x) ${verdict}  (${same})`,
    )
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
