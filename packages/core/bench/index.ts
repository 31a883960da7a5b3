import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tickerLive } from '../dist/ticker.js'
import {
  chainedGenerators,
  graphflowDelayed,
  graphflowFanOut,
  graphflowFanOutSinks,
  graphflowLinear,
  graphflowLinearTracked,
  nested,
  streamPipeline,
} from './linear.js'

// Same-process ratios only: these machines are shared and noisy. Every case runs ROUNDS times,
// interleaved with its baselines, and the medians are compared. Throughput ratios use the
// process's CPU time per run (user + system), which other processes on a loaded machine do not
// inflate; wall-clock items/s are shown beside them.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const LINEAR_ITEMS = 1_000_000
const PYTHON_ITEMS_PER_SECOND = 80_000

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
const format = (value: number) => Math.round(value).toLocaleString('en-US')
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL')

interface Timing {
  /** Items per second of wall-clock time. */
  wall: number
  /** Items per second of this process's CPU time. */
  cpu: number
}

async function measure(run: () => Promise<unknown>, items: number): Promise<Timing> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run()
  const wallSeconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return { wall: items / wallSeconds, cpu: items / ((used.user + used.system) / 1e6) }
}

async function linear() {
  const cases = {
    'graphflow source -> map -> sink': () => graphflowLinear(LINEAR_ITEMS),
    'floor: same generators nested': () => nested(LINEAR_ITEMS),
    'baseline: same generators in stream.pipeline': () => streamPipeline(LINEAR_ITEMS),
    'reference: two chained long-lived generators': () => chainedGenerators(LINEAR_ITEMS),
    'graphflow, work tracking on (a checkpoint every 1,000 items)': () =>
      graphflowLinearTracked(LINEAR_ITEMS),
  }
  const timings = new Map<string, Timing[]>(Object.keys(cases).map((name) => [name, []]))
  await graphflowLinear(100_000) // warm up
  await nested(100_000)
  await streamPipeline(100_000)
  await graphflowLinearTracked(100_000)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases))
      timings.get(name)?.push(await measure(run, LINEAR_ITEMS))
  }
  const medians = Object.fromEntries(
    [...timings].map(([name, values]) => [
      name,
      {
        wall: median(values.map((value) => value.wall)),
        cpu: median(values.map((value) => value.cpu)),
      },
    ]),
  )
  const ours = medians['graphflow source -> map -> sink'] as Timing
  const floor = medians['floor: same generators nested'] as Timing
  const stream = medians['baseline: same generators in stream.pipeline'] as Timing
  const tracked = medians['graphflow, work tracking on (a checkpoint every 1,000 items)'] as Timing
  console.log(`\nlinear graph, ${format(LINEAR_ITEMS)} items, median of ${ROUNDS} rounds`)
  console.table(
    Object.entries(medians).map(([name, value]) => ({
      case: name,
      'items/s (wall)': format(value.wall),
      'items/s (CPU)': format(value.cpu),
    })),
  )
  console.table([
    {
      target: 'vs nested floor >= 0.85x',
      'ratio (CPU)': (ours.cpu / floor.cpu).toFixed(2),
      'ratio (wall)': (ours.wall / floor.wall).toFixed(2),
      result: verdict(ours.cpu / floor.cpu >= 0.85),
    },
    {
      target: 'vs stream.pipeline >= 1.1x',
      'ratio (CPU)': (ours.cpu / stream.cpu).toFixed(2),
      'ratio (wall)': (ours.wall / stream.wall).toFixed(2),
      result: verdict(ours.cpu / stream.cpu >= 1.1),
    },
    {
      target: `vs async-graph-data-flow (~${format(PYTHON_ITEMS_PER_SECOND)}/s) >= 25x`,
      'ratio (CPU)': (ours.cpu / PYTHON_ITEMS_PER_SECOND).toFixed(1),
      'ratio (wall)': (ours.wall / PYTHON_ITEMS_PER_SECOND).toFixed(1),
      result: verdict(ours.cpu / PYTHON_ITEMS_PER_SECOND >= 25),
    },
    {
      target: 'work tracking on vs off (information)',
      'ratio (CPU)': (tracked.cpu / ours.cpu).toFixed(2),
      'ratio (wall)': (tracked.wall / ours.wall).toFixed(2),
      result: '-',
    },
  ])
  console.log(
    tickerLive()
      ? 'ticker thread: running (the workers read the clock when its counter changed)'
      : 'ticker thread: not running (the workers read the clock every few steps)',
  )
  return ours
}

async function fanOut(linearRate: Timing) {
  const cases = [
    {
      name: 'one source -> three sinks',
      sources: 300_000,
      deliveries: 900_000,
      run: graphflowFanOutSinks,
    },
    { name: 'fan-out 1 -> 4 -> 1', sources: 250_000, deliveries: 1_000_000, run: graphflowFanOut },
  ]
  const rows = []
  for (const { name, sources, deliveries, run } of cases) {
    const values: Timing[] = []
    for (let round = 0; round < ROUNDS; round++)
      values.push(await measure(() => run(sources), deliveries))
    const cpu = median(values.map((value) => value.cpu))
    rows.push({
      case: `${name}: ${format(sources)} source items, ${format(deliveries)} deliveries`,
      'deliveries/s (wall)': format(median(values.map((value) => value.wall))),
      'deliveries/s (CPU)': format(cpu),
      'vs linear items/s (CPU)': (cpu / linearRate.cpu).toFixed(2),
    })
  }
  console.log(`\nfan-out, median of ${ROUNDS} rounds`)
  console.table(rows)
}

async function concurrency() {
  const rate = async (items: number, maxTasks: number, delayMs: number) => {
    const values: number[] = []
    for (let round = 0; round < 3; round++)
      values.push((await measure(() => graphflowDelayed(items, maxTasks, delayMs), items)).wall)
    return median(values)
  }
  const rows = []
  for (const { items, maxTasks, delayMs, target } of [
    { items: 400, maxTasks: 4, delayMs: 5, target: 3.5 },
    { items: 500, maxTasks: 8, delayMs: 1, target: 6 },
  ]) {
    const one = await rate(items, 1, delayMs)
    const many = await rate(items, maxTasks, delayMs)
    rows.push({
      case: `${items} items, an awaited ${delayMs} ms per item`,
      'maxTasks: 1 items/s': format(one),
      'maxTasks: n items/s': `${format(many)} (n = ${maxTasks})`,
      'speed-up': `${(many / one).toFixed(2)}x`,
      target: `>= ${target}x`,
      result: verdict(many / one >= target),
    })
  }
  console.log('\nmaxTasks on I/O-bound work (wall clock, median of 3)')
  console.table(rows)
}

interface MemoryResult {
  count: number
  sinkIn: number
  peakRssMb: number
  itemsPerSecond: number
}

function measureMemory(count: number, kind: 'numbers' | 'objects'): MemoryResult {
  return child('./memory-child.mjs', [String(count), kind])
}

function memory() {
  // Peaks include the ticker thread a long run starts (about 9 MB, see the README's FAQ).
  const rows = [
    ['numbers', 5_000_000, 80],
    ['objects', 500_000, 160],
    ['objects', 5_000_000, 160],
  ] as const
  const results = rows.map(([kind, count, targetMb]) => ({
    kind,
    targetMb,
    ...measureMemory(count, kind),
  }))
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
      target: `< ${result.targetMb} MB`,
      result: verdict(result.peakRssMb < result.targetMb && result.sinkIn === result.count),
    })),
  )
  const growth = large.peakRssMb - small.peakRssMb
  console.log(
    `peak RSS growth from 0.5M to 5M objects: ${growth.toFixed(1)} MB (bounded by queue sizes, not by N: ${verdict(growth < 25)})`,
  )
}

function child(script: string, args: string[], flags: string[] = []) {
  const file = fileURLToPath(new URL(script, import.meta.url))
  return JSON.parse(execFileSync(process.execPath, [...flags, file, ...args], { encoding: 'utf8' }))
}

function pressure() {
  const heap = ['heap-queue-1', 'heap-async-put'].map((which) =>
    child('./pressure-child.mjs', [which], ['--expose-gc']),
  )
  console.log('\nheap after 1,000,000 items whose puts block (a child process each, --expose-gc)')
  console.table(
    heap.map((result) => ({
      case: result.which,
      delivered: format(result.delivered),
      'heap before (MB)': result.before.toFixed(1),
      'heap after (MB)': result.after.toFixed(1),
      'target: growth < 5 MB': verdict(result.after - result.before < 5),
    })),
  )
  const late = ['late-sink', 'late-errors'].map((which) => child('./pressure-child.mjs', [which]))
  console.log(
    '\nevent loop: how late a 20 ms timer fires while the executor works (a child process each)',
  )
  console.table(
    late.map((result) => ({
      case:
        result.which === 'late-sink'
          ? 'sink, 0.4 ms sync work per item, abort due at 300 ms'
          : 'node yielding 300,000 Error values',
      'timer late (ms)': Math.round(result.lateMs),
      'timer late (CPU ms)': Math.round(result.lateCpuMs),
      'abort late (ms)': result.which === 'late-sink' ? Math.round(result.abortLateMs) : '-',
      'items after the abort was due':
        result.which === 'late-sink' ? result.itemsAfterAbortDue : '-',
      'target: <= 50 CPU ms': verdict(result.lateCpuMs <= 50),
    })),
  )
}

const linearRate = await linear()
await fanOut(linearRate)
await concurrency()
memory()
pressure()
