// One pressure case in its own process (run with --expose-gc), printed as JSON:
//   heap-queue-1   1,000,000 items into a node with queueSize 1: heap (MB) before and after the run
//   heap-async-put 1,000,000 items into a custom queue whose put() is async: the same
//   late-sink      a sink doing 0.4 ms of synchronous work per item, an abort due at 300 ms:
//                  how late a 20 ms timer and the abort fire, items processed after it was due
//   late-errors    a node yielding 300,000 Error values: how late a 20 ms timer fires
// Lateness is given in wall-clock ms and in this process's CPU ms (what a loaded machine does
// not inflate). Plain JavaScript on purpose: no TypeScript loader in the process being measured.
import { AsyncExecutor, AsyncGraph, AsyncQueue } from '../dist/index.js'

const which = process.argv[2]
const quiet = { info() {}, error() {} }
const heapMb = () => {
  globalThis.gc()
  globalThis.gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

class AsyncPutQueue extends AsyncQueue {
  constructor() {
    super(1)
  }
  async put(item) {
    await this.push(item)
  }
}

if (which.startsWith('heap')) {
  const count = 1_000_000
  const graph = new AsyncGraph()
  graph.addNode(async function* source() {
    for (let index = 0; index < count; index++) yield index
  })
  graph.addNode(
    async function* sink(_value) {},
    which === 'heap-queue-1' ? { queueSize: 1 } : { queue: () => new AsyncPutQueue() },
  )
  graph.addEdge('source', 'sink')
  const executor = new AsyncExecutor(graph, { logger: quiet })
  const before = heapMb()
  const report = await executor.execute()
  const after = heapMb()
  process.stdout.write(
    JSON.stringify({ which, before, after, delivered: report.dataFlowStats.sink.in }),
  )
} else {
  const period = 20
  let lateMs = 0
  let lateCpuMs = 0
  let due = performance.now() + period
  let cpuAt = process.cpuUsage()
  const check = () => {
    lateMs = Math.max(lateMs, performance.now() - due)
    lateCpuMs = Math.max(lateCpuMs, process.cpuUsage(cpuAt).user / 1000 - period)
  }
  const tick = () => {
    check()
    due = performance.now() + period
    cpuAt = process.cpuUsage()
    timer = setTimeout(tick, period)
  }
  let timer = setTimeout(tick, period)
  const controller = new AbortController()
  let abortDue = Number.POSITIVE_INFINITY
  let abortLateMs = 0
  let itemsAfterAbortDue = 0
  const graph = new AsyncGraph()
  if (which === 'late-sink') {
    graph.addNode(async function* source() {
      for (let index = 0; index < 20_000; index++) yield index
    })
    graph.addNode(async function* sink(_value) {
      const end = performance.now() + 0.4
      while (performance.now() < end) {}
      if (performance.now() > abortDue) itemsAfterAbortDue++
    })
    graph.addEdge('source', 'sink')
    abortDue = performance.now() + 300
    setTimeout(() => {
      abortLateMs = performance.now() - abortDue
      controller.abort()
    }, 300)
  } else {
    graph.addNode(async function* errors() {
      for (let index = 0; index < 300_000; index++) yield new Error(`bad ${index}`)
    })
  }
  const started = performance.now()
  const report = await new AsyncExecutor(graph, { logger: quiet, maxExceptions: 10 }).execute({
    signal: controller.signal,
  })
  clearTimeout(timer)
  check()
  process.stdout.write(
    JSON.stringify({
      which,
      lateMs,
      lateCpuMs,
      abortLateMs,
      itemsAfterAbortDue,
      runMs: performance.now() - started,
      aborted: report.aborted,
    }),
  )
}
