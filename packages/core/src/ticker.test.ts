import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { busy } from '../test/fixtures/cost-jump.js'
import { liveTicker } from '../test/fixtures/live-ticker.js'
import { runBegan, runEnded, TICK_MS, ticks } from './ticker.js'

const execFileAsync = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('ticker', () => {
  // Guards: the hot loop sees time go by during a busy run without reading the clock.
  it('advances the counter while a run is active, even when the main thread never yields', async () => {
    await liveTicker()
    const before = ticks[0] as number
    runBegan()
    try {
      busy(20 * TICK_MS)
    } finally {
      runEnded()
    }
    // About 20 ticks; a loaded machine delays some.
    expect((ticks[0] as number) - before).toBeGreaterThanOrEqual(3)
  })

  // Guards: no wake-ups (no CPU) in a process that runs nothing.
  it('leaves the counter alone while no run is active', async () => {
    await liveTicker()
    await sleep(2 * TICK_MS) // the last tick of a run that just ended
    const before = ticks[0]
    await sleep(20 * TICK_MS)
    expect(ticks[0]).toBe(before)
  })

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
