/**
 * Benchmark of @graphflow/http against a local server with 20 ms latency per page serving
 * 200 pages of 200 records (then an empty page):
 *   (a) a hand-written undici loop (the baseline),
 *   (b) httpSource, sequential, through a graph (source -> counting sink),
 *   (c) httpSource with concurrency: 8,
 *   (d) and (e): (b) and (c) with checkpoints on (a position per page, saved in a
 *       fileCheckpointStore in a temporary directory), against the same runs without.
 * Prints items/s, the ratios and PASS/FAIL per target; always exits 0.
 * Run: pnpm bench
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph, fileCheckpointStore } from '@graphflow/core'
import { Agent, request } from 'undici'
import { httpSource } from '../src/index.js'

const PAGES = 200
const PAGE_SIZE = 200
const LATENCY_MS = 20
const ROUNDS = 2

interface Row {
  id: number
  name: string
  city: string
  score: number
}

const bodies = Array.from({ length: PAGES + 1 }, (_, index) => {
  if (index === PAGES) return '[]'
  const rows: Row[] = Array.from({ length: PAGE_SIZE }, (_, offset) => {
    const id = index * PAGE_SIZE + offset
    return { id, name: `brewery ${id}`, city: `city ${id % 97}`, score: id % 5 }
  })
  return JSON.stringify(rows)
})

const server = createServer((incoming, response) => {
  const page = Number(new URL(incoming.url ?? '/', 'http://x').searchParams.get('page') ?? '1')
  const body = bodies[page - 1] ?? '[]'
  setTimeout(() => {
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    })
    response.end(body)
  }, LATENCY_MS)
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/breweries`
const silent = { info() {}, error() {} }

async function handLoop(): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 10_000 })
  let count = 0
  try {
    for (let page = 1; ; page++) {
      const response = await request(`${url}?page=${page}`, { dispatcher: agent })
      const rows = (await response.body.json()) as Row[]
      if (rows.length === 0) break
      count += rows.length
    }
  } finally {
    await agent.close()
  }
  return count
}

const directory = mkdtempSync(join(tmpdir(), 'graphflow-http-bench-'))
let loads = 0

async function throughGraph(concurrency: number, checkpoints = false): Promise<number> {
  let count = 0
  const graph = new AsyncGraph()
  const source = graph.addNode(
    httpSource<Row>({ name: 'breweries', url, pagination: { type: 'page' }, concurrency }),
  )
  const sink = graph.addNode(async function* countRows(rows: Row[]) {
    count += rows.length
  })
  graph.addEdge(source, sink)
  // Each load its own file: a second run on a complete state would fetch nothing.
  const store = fileCheckpointStore(join(directory, `load-${++loads}.json`))
  const report = await new AsyncExecutor(graph, { logger: silent }).execute(
    checkpoints ? { checkpoints: { store } } : {},
  )
  const errors = report.exceptions.breweries ?? []
  if (errors.length > 0) throw errors[0]
  return count
}

interface Measured {
  items: number
  seconds: number
}

async function measureOnce(run: () => Promise<number>, best: Measured): Promise<Measured> {
  const started = performance.now()
  const items = await run()
  const seconds = (performance.now() - started) / 1000
  if (items !== PAGES * PAGE_SIZE)
    throw new Error(`expected ${PAGES * PAGE_SIZE} items, got ${items}`)
  return seconds < best.seconds ? { items, seconds } : best
}

const unmeasured = (): Measured => ({ items: 0, seconds: Number.POSITIVE_INFINITY })

async function measure(run: () => Promise<number>): Promise<Measured> {
  let best = unmeasured()
  for (let round = 0; round < ROUNDS; round++) best = await measureOnce(run, best)
  return best
}

/** Two runs compared with each other, their rounds interleaved (load on the machine hits both). */
async function measurePair(
  off: () => Promise<number>,
  on: () => Promise<number>,
): Promise<[Measured, Measured]> {
  let bestOff = unmeasured()
  let bestOn = unmeasured()
  for (let round = 0; round < ROUNDS + 1; round++) {
    bestOff = await measureOnce(off, bestOff)
    bestOn = await measureOnce(on, bestOn)
  }
  return [bestOff, bestOn]
}

console.log(
  `@graphflow/http bench: ${PAGES} pages x ${PAGE_SIZE} records, ${LATENCY_MS} ms latency per page, best of ${ROUNDS} (${ROUNDS + 1} for the runs compared with checkpoints, interleaved)\n`,
)
const hand = await measure(handLoop)
const [sequential, sequentialCheckpoints] = await measurePair(
  () => throughGraph(1),
  () => throughGraph(1, true),
)
const [concurrent, concurrentCheckpoints] = await measurePair(
  () => throughGraph(8),
  () => throughGraph(8, true),
)
server.close()
rmSync(directory, { recursive: true, force: true })

const rate = (run: { items: number; seconds: number }) => run.items / run.seconds
const rows: Array<[string, { items: number; seconds: number }, string]> = [
  ['(a) hand-written undici loop', hand, '1.00x (baseline)'],
  [
    '(b) httpSource, sequential',
    sequential,
    `${(rate(sequential) / rate(hand)).toFixed(2)}x of (a)`,
  ],
  [
    '(c) httpSource, concurrency 8',
    concurrent,
    `${(rate(concurrent) / rate(sequential)).toFixed(2)}x of (b)`,
  ],
  [
    '(d) (b) with checkpoints',
    sequentialCheckpoints,
    `${(rate(sequentialCheckpoints) / rate(sequential)).toFixed(2)}x of (b)`,
  ],
  [
    '(e) (c) with checkpoints',
    concurrentCheckpoints,
    `${(rate(concurrentCheckpoints) / rate(concurrent)).toFixed(2)}x of (c)`,
  ],
]
const pad = (text: string, width: number) => text.padEnd(width)
console.log(`${pad('run', 32)}${pad('items', 9)}${pad('seconds', 10)}${pad('items/s', 11)}ratio`)
for (const [name, run, ratio] of rows) {
  console.log(
    `${pad(name, 32)}${pad(String(run.items), 9)}${pad(run.seconds.toFixed(2), 10)}${pad(Math.round(rate(run)).toString(), 11)}${ratio}`,
  )
}
const sequentialRatio = rate(sequential) / rate(hand)
const concurrentRatio = rate(concurrent) / rate(sequential)
console.log('')
console.log(
  `${sequentialRatio >= 0.9 ? 'PASS' : 'FAIL'}  sequential within 10% of the hand loop (${(sequentialRatio * 100).toFixed(1)}%)`,
)
console.log(
  `${concurrentRatio >= 5 ? 'PASS' : 'FAIL'}  concurrency 8 at least 5x sequential (${concurrentRatio.toFixed(2)}x)`,
)
for (const [what, on, off] of [
  ['sequential', sequentialCheckpoints, sequential],
  ['concurrency 8', concurrentCheckpoints, concurrent],
] as const) {
  const ratio = rate(on) / rate(off)
  console.log(
    `${ratio >= 0.85 ? 'PASS' : 'FAIL'}  ${what} with checkpoints within 15% of without (${(ratio * 100).toFixed(1)}%)`,
  )
}
