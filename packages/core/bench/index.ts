import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  chainedGenerators,
  graphflowDelayed,
  graphflowFanOut,
  graphflowLinear,
  nested,
  streamPipeline,
} from './linear.js'

// Same-process ratios only: these machines are shared and noisy. Every case runs ROUNDS times,
// interleaved with its baselines, and the median is compared.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const LINEAR_ITEMS = 1_000_000
const PYTHON_ITEMS_PER_SECOND = 80_000

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
const format = (value: number) => Math.round(value).toLocaleString('en-US')
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL')

async function rate(run: () => Promise<unknown>, items: number): Promise<number> {
  const started = performance.now()
  await run()
  return items / ((performance.now() - started) / 1000)
}

async function linear() {
  const cases = {
    'graphflow source -> map -> sink': () => graphflowLinear(LINEAR_ITEMS),
    'floor: same generators nested': () => nested(LINEAR_ITEMS),
    'baseline: same generators in stream.pipeline': () => streamPipeline(LINEAR_ITEMS),
    'reference: two chained long-lived generators': () => chainedGenerators(LINEAR_ITEMS),
  }
  const rates = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]))
  await graphflowLinear(100_000) // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases))
      rates.get(name)?.push(await rate(run, LINEAR_ITEMS))
  }
  const medians = Object.fromEntries([...rates].map(([name, values]) => [name, median(values)]))
  const ours = medians['graphflow source -> map -> sink'] ?? 0
  const floor = medians['floor: same generators nested'] ?? 1
  const stream = medians['baseline: same generators in stream.pipeline'] ?? 1
  console.log(`\nlinear graph, ${format(LINEAR_ITEMS)} items, median of ${ROUNDS} rounds`)
  console.table(
    Object.entries(medians).map(([name, value]) => ({ case: name, 'items/s': format(value) })),
  )
  console.table([
    {
      target: 'vs nested floor >= 0.75x',
      ratio: (ours / floor).toFixed(2),
      result: verdict(ours / floor >= 0.75),
    },
    {
      target: 'vs stream.pipeline >= 1.0x',
      ratio: (ours / stream).toFixed(2),
      result: verdict(ours / stream >= 1),
    },
    {
      target: `vs async-graph-data-flow (~${format(PYTHON_ITEMS_PER_SECOND)}/s) >= 25x`,
      ratio: (ours / PYTHON_ITEMS_PER_SECOND).toFixed(1),
      result: verdict(ours / PYTHON_ITEMS_PER_SECOND >= 25),
    },
  ])
  return ours
}

async function fanOut(linearRate: number) {
  const sources = 250_000
  const values: number[] = []
  for (let round = 0; round < ROUNDS; round++)
    values.push(await rate(() => graphflowFanOut(sources), sources * 4))
  const value = median(values)
  console.log(
    `\nfan-out 1 -> 4 -> 1, ${format(sources)} source items, ${format(sources * 4)} deliveries to the sink`,
  )
  console.table([
    {
      case: 'fan-out deliveries/s',
      'items/s': format(value),
      'vs linear': (value / linearRate).toFixed(2),
    },
  ])
}

async function concurrency() {
  const items = 500
  const one = await rate(() => graphflowDelayed(items, 1, 1), items)
  const eight = await rate(() => graphflowDelayed(items, 8, 1), items)
  console.log(`\nmaxTasks with an awaited 1 ms delay per item, ${items} items`)
  console.table([
    { case: 'maxTasks: 1', 'items/s': format(one) },
    { case: 'maxTasks: 8', 'items/s': format(eight) },
    {
      case: 'speed-up (target close to 8x, >= 6x)',
      'items/s': `${(eight / one).toFixed(2)}x`,
      result: verdict(eight / one >= 6),
    },
  ])
}

interface MemoryResult {
  count: number
  sinkIn: number
  peakRssMb: number
  itemsPerSecond: number
}

function measureMemory(count: number, kind: 'numbers' | 'objects'): MemoryResult {
  const child = fileURLToPath(new URL('./memory-child.mjs', import.meta.url))
  return JSON.parse(
    execFileSync(process.execPath, [child, String(count), kind], { encoding: 'utf8' }),
  )
}

function memory() {
  const rows = [
    ['numbers', 5_000_000],
    ['objects', 500_000],
    ['objects', 5_000_000],
  ] as const
  const results = rows.map(([kind, count]) => ({ kind, ...measureMemory(count, kind) }))
  const [small, large] = [results[1] as MemoryResult, results[2] as MemoryResult]
  console.log(
    '\nmemory: items through source -> map -> sink with default queues (a child process each)',
  )
  console.table(
    results.map((result) => ({
      items: `${format(result.count)} ${result.kind}`,
      delivered: format(result.sinkIn),
      'items/s': format(result.itemsPerSecond),
      'peak RSS (MB)': result.peakRssMb.toFixed(1),
      'target < 150 MB': verdict(result.peakRssMb < 150 && result.sinkIn === result.count),
    })),
  )
  const growth = large.peakRssMb - small.peakRssMb
  console.log(
    `peak RSS growth from 0.5M to 5M objects: ${growth.toFixed(1)} MB (bounded by queue sizes, not by N: ${verdict(growth < 25)})`,
  )
}

const linearRate = await linear()
await fanOut(linearRate)
await concurrency()
memory()
