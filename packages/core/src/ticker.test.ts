import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { liveTicker } from '../test/fixtures/live-ticker.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { runBegan, runEnded, TICK_MS, tickSeen, ticks } from './ticker.js'

const execFileAsync = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('ticker', () => {
  // Guards: the hot loop sees time go by during a busy run without reading the clock.
  it('advances the counter while a run is active, even when the main thread never yields', async () => {
    await liveTicker()
    const before = ticks[0] as number
    runBegan()
    try {
      // Busy steps, each telling the thread what it saw (as the executor's workers do).
      const end = performance.now() + 20 * TICK_MS
      let seen = ticks[0] as number
      while (performance.now() < end) {
        if (ticks[0] === seen) continue
        seen = ticks[0] as number
        tickSeen(seen)
      }
    } finally {
      runEnded()
    }
    // About 20 ticks; a loaded machine delays some.
    expect((ticks[0] as number) - before).toBeGreaterThanOrEqual(3)
  })

  // Guards: a run that started from a tick no worker had reported seen left the thread waiting
  // for that report, and the run (whose workers took that tick as seen) never yielded again.
  it('ticks on for a run that begins after a tick no run saw', async () => {
    await liveTicker()
    // A run ends between a tick and any worker seeing it.
    const first = runBegan()
    try {
      const end = performance.now() + 1_000
      while (ticks[0] === first && performance.now() < end) {}
      expect(ticks[0]).not.toBe(first)
    } finally {
      runEnded()
    }
    // The next run starts from the value runBegan() gives; it tells the thread nothing else
    // until the counter moves past it.
    const start = runBegan()
    try {
      const end = performance.now() + 1_000
      while (ticks[0] === start && performance.now() < end) {}
      expect(ticks[0]).not.toBe(start)
    } finally {
      runEnded()
    }
  })

  // Guards: no wake-ups (no CPU) in a process that runs nothing.
  it('leaves the counter alone while no run is active', async () => {
    await liveTicker()
    await sleep(2 * TICK_MS) // the last tick of a run that just ended
    const before = ticks[0]
    await sleep(20 * TICK_MS)
    expect(ticks[0]).toBe(before)
  })

  // Guards: a run waiting for I/O woke the thread every 4 ms (250 wake-ups/s) for as long as it waited.
  it('sleeps while a run waits, and ticks again once its workers step', async () => {
    await liveTicker()
    const counts: number[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 1
      const before = ticks[0] as number
      await sleep(50 * TICK_MS) // an idle consumer, a slow HTTP response
      counts.push((ticks[0] as number) - before)
      yield 2
      // Steps again: the counter moves on.
      const after = ticks[0] as number
      for (let index = 0; index < 200_000 && ticks[0] === after; index++) yield index
      counts.push((ticks[0] as number) - after)
    })
    graph.addNode(async function* sink(_value: number) {})
    graph.addEdge('source', 'sink')
    const report = await new AsyncExecutor(graph, { logger: { info() {}, error() {} } }).execute()
    expect(report.ok).toBe(true)
    // One tick tells the waiting run that time went by; about 50 when the thread never sleeps.
    expect(counts[0]).toBeLessThanOrEqual(2)
    expect(counts[1]).toBeGreaterThanOrEqual(1)
  })

  // Guards: every load of the package (a test runner's module registry per file) kept a sleeping thread and its ~8 MB.
  it('ends the thread after IDLE_MS without a run; the next busy run starts another', async () => {
    const program = `
      import { setTimeout as sleep } from 'node:timers/promises'
      import { AsyncExecutor, AsyncGraph } from ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))}
      import { IDLE_MS, tickerLive } from ${JSON.stringify(fileURLToPath(new URL('./ticker.ts', import.meta.url)))}
      const graph = new AsyncGraph()
      graph.addNode(async function* source() { for (let i = 0; i < 1_000_000; i++) yield i })
      graph.addNode(async function* sink(_value) {})
      graph.addEdge('source', 'sink')
      const busyRun = async () => {
        await new AsyncExecutor(graph, { logger: { info() {}, error() {} } }).execute()
        for (let waited = 0; !tickerLive() && waited < 10_000; waited += 5) await sleep(5)
        return tickerLive()
      }
      const first = await busyRun()
      await sleep(IDLE_MS + 2_000)
      const afterIdle = tickerLive()
      console.log(JSON.stringify({ first, afterIdle, again: await busyRun() }))
    `
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', program],
      { timeout: 60_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ first: true, afterIdle: false, again: true })
  }, 90_000)

  // Guards: the thread must never keep a process alive after its last run.
  it('lets a process exit once its long run is over', async () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url))
    const program = `
      import { AsyncExecutor, AsyncGraph } from ${JSON.stringify(index)}
      import { tickerLive } from ${JSON.stringify(fileURLToPath(new URL('./ticker.ts', import.meta.url)))}
      const graph = new AsyncGraph()
      graph.addNode(async function* source() { for (let i = 0; i < 2_000_000; i++) yield i })
      graph.addNode(async function* sink(_value) {})
      graph.addEdge('source', 'sink')
      const report = await new AsyncExecutor(graph, { logger: { info() {}, error() {} } }).execute()
      console.log(JSON.stringify({ ok: report.ok, live: tickerLive() }))
    `
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', program],
      { timeout: 60_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ ok: true, live: true })
  }, 90_000)
})
