// runWorker in real processes against a real nats-server: source -> enrich (slow, maxTasks 4,
// on 1 or 2 replicas) -> store, each role in its own child process.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunState } from '../src/run-state.js'
import { eventually } from './helpers.js'
import { connectTo, skipReason, startNats, type TestServer, uniqueRun } from './nats-server.js'

const script = fileURLToPath(new URL('./fixtures/run-worker.ts', import.meta.url))

interface WorkerResult {
  readonly worker: string
  readonly ok: boolean
  readonly halted: boolean
  readonly aborted: boolean
  readonly stats: Record<string, { in: number; out: number; err: number }>
  readonly control?: { kind: string; by: string; reason: string }
  readonly attempt: number
  readonly sourcesSkipped: boolean
  readonly stoppedBeforeStart: boolean
}

interface Spawned {
  readonly child: ChildProcess
  readonly result: Promise<{ code: number | null; signal: string | null; report?: WorkerResult }>
}

function startWorker(args: Record<string, unknown>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    out += chunk
  })
  const result = new Promise<{ code: number | null; signal: string | null; report?: WorkerResult }>(
    (resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        const line = out.trim().split('\n').pop()
        resolve({ code, signal, ...(line ? { report: JSON.parse(line) as WorkerResult } : {}) })
      })
    },
  )
  return { child, result }
}

/** The worker's result, or a failure (the child killed) when it has not exited within `ms`. */
async function within(spawned: Spawned, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      spawned.child.kill('SIGKILL')
      reject(new Error(`${what}: still running after ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([spawned.result, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function outputOf(outDir: string) {
  const files = (await readdir(outDir)).filter((name) => name.endsWith('.json'))
  const records = await Promise.all(
    files.map(async (name) => JSON.parse(await readFile(join(outDir, name), 'utf8'))),
  )
  return records.sort((a, b) => a.id - b.id)
}

const logLines = async (outDir: string, file = 'log') =>
  (await readFile(join(outDir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean).length

describe.skipIf(skipReason)('runWorker: one graph over processes', () => {
  let server: TestServer
  let nc: NatsConnection
  const dirs: string[] = []
  beforeAll(async () => {
    server = await startNats()
    nc = await connectTo(server.url)
  })
  afterAll(async () => {
    await nc?.close()
    await server?.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  async function setUp(replicas: number, extra: Record<string, unknown> = {}) {
    const outDir = await mkdtemp(join(tmpdir(), 'graphflow-nats-run-'))
    dirs.push(outDir)
    const base = {
      url: server.url,
      run: uniqueRun(),
      replicas,
      count: 120,
      delayMs: 20,
      outDir,
      ackWaitMs: 30_000,
      ...extra,
    }
    return { base, outDir }
  }

  function startAll(base: Record<string, unknown>, replicas: number): Spawned[] {
    return [
      startWorker({ ...base, role: 'store', replica: 0 }),
      ...Array.from({ length: replicas }, (_, replica) =>
        startWorker({ ...base, role: 'enrich', replica }),
      ),
      startWorker({ ...base, role: 'fetch', replica: 0 }),
    ]
  }

  it('1, 2 and 4 enrich workers give the same output, every item processed once', async () => {
    const outputs = []
    for (const replicas of [1, 2, 4]) {
      const { base, outDir } = await setUp(replicas)
      const results = await Promise.all(startAll(base, replicas).map((each) => each.result))
      for (const result of results) {
        expect(result.code).toBe(0)
        expect(result.report?.ok).toBe(true)
      }
      // No redelivery in a run without failures: the enrich workers yielded 120 in all.
      const enrichOut = results
        .filter((each) => each.report?.worker.startsWith('enrich'))
        .reduce((sum, each) => sum + (each.report?.stats.enrich?.out ?? 0), 0)
      expect(enrichOut).toBe(120)
      expect(await logLines(outDir)).toBe(120)
      outputs.push(await outputOf(outDir))
      // The run's status: every node's input ended, no producer missing.
      const status = await (await RunState.open(nc, base.run)).status()
      expect(status.map((each) => [each.node, each.done, each.missing])).toEqual([
        ['enrich', true, []],
        ['store', true, []],
      ])
    }
    expect(outputs[0]).toHaveLength(120)
    expect(outputs[0]?.[0]).toEqual({ id: 1, name: 'brewery 1', upper: 'BREWERY 1' })
    expect(outputs[1]).toEqual(outputs[0])
    expect(outputs[2]).toEqual(outputs[0])
  }, 120_000)

  it('kill -9 of an enrich worker mid-run loses nothing: its messages are redelivered', async () => {
    const { base, outDir } = await setUp(2, { count: 200, ackWaitMs: 2_000 })
    const [store, enrich0, enrich1, fetch] = startAll(base, 2) as [
      Spawned,
      Spawned,
      Spawned,
      Spawned,
    ]
    // Killed once it took items (it then holds unacknowledged messages): on a loaded machine it
    // may start after enrich-0 already stored the first records.
    await eventually(
      async () =>
        (await readFile(join(outDir, 'taken'), 'utf8').catch(() => '')).includes(' enrich-1\n'),
      60_000,
    )
    enrich1.child.kill('SIGKILL')
    expect((await enrich1.result).signal).toBe('SIGKILL')
    // Its restart (same replica id, a new boot id) takes its place.
    const restarted = startWorker({ ...base, role: 'enrich', replica: 1 })
    const results = await Promise.all([store, enrich0, restarted, fetch].map((each) => each.result))
    for (const result of results) {
      expect(result.code).toBe(0)
      expect(result.report?.ok).toBe(true)
    }
    const output = await outputOf(outDir)
    expect(output.map((record) => record.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(output.every((record) => record.upper === record.name.toUpperCase())).toBe(true)
    // The killed worker's unacknowledged items were taken again (by enrich-0 or the restart)...
    expect(await logLines(outDir, 'taken')).toBeGreaterThan(200)
    // ...so at least once: a record may have been stored twice (the idempotent sink keeps one).
    expect(await logLines(outDir)).toBeGreaterThanOrEqual(200)
  }, 120_000)

  it('a halt in one worker stops the others through the run’s control key', async () => {
    const { base } = await setUp(1, { count: 200, haltAt: 30 })
    const [store, enrich, fetch] = await Promise.all(startAll(base, 1).map((each) => each.result))
    expect(enrich?.code).toBe(0)
    expect(enrich?.report).toMatchObject({ halted: true, ok: false })
    expect(enrich?.report?.control).toMatchObject({ kind: 'halt', by: 'enrich-0' })
    // The store worker had no error of its own: it was aborted by the halt written to KV.
    expect(store?.report).toMatchObject({ aborted: true, ok: false })
    expect(store?.report?.control).toMatchObject({ kind: 'halt', by: 'enrich-0' })
    // The source is fast: it usually finished (ok) before the halt was written.
    expect(fetch?.code).toBe(0)
  }, 120_000)

  // guards the late-worker hang: a worker started after its attempt was halted must report the
  // halt, not start a new attempt on its own and wait forever for producers that have exited
  it('a worker started after the halt reports it and exits; it starts no attempt', async () => {
    const { base, outDir } = await setUp(1, { count: 200, haltAt: 30 })
    const [enrich, fetch] = [
      startWorker({ ...base, role: 'enrich', replica: 0 }),
      startWorker({ ...base, role: 'fetch', replica: 0 }),
    ] as [Spawned, Spawned]
    expect((await enrich.result).report).toMatchObject({ halted: true, attempt: 0 })
    await fetch.result
    // The store worker starts only now, after the halt was written (a slow machine, a late pod).
    const store = await within(
      startWorker({ ...base, role: 'store', replica: 0 }),
      60_000,
      'store-0 started after the halt',
    )
    expect(store.code).toBe(0)
    expect(store.report).toMatchObject({
      ok: false,
      aborted: true,
      attempt: 0,
      stoppedBeforeStart: true,
      control: { kind: 'halt', by: 'enrich-0' },
    })
    expect(store.report?.stats.store).toMatchObject({ in: 0, out: 0 })
    expect(await logLines(outDir)).toBe(0) // it stored nothing: the halted attempt stays halted
    const state = await RunState.open(nc, base.run)
    expect(await state.begin()).toBe(0)
    expect(await state.stopped()).toMatchObject({ kind: 'halt', by: 'enrich-0' })
  }, 120_000)

  // guards late workers after the end: a worker (re)started after the run completed must see its
  // input ended and exit at once, taking and calling nothing again
  it('workers started after the run completed exit ok at once, doing nothing again', async () => {
    const { base, outDir } = await setUp(1, { count: 20 })
    for (const result of await Promise.all(startAll(base, 1).map((each) => each.result))) {
      expect(result.report).toMatchObject({ ok: true, attempt: 0 })
    }
    expect(await logLines(outDir)).toBe(20)
    const late = await Promise.all(
      startAll(base, 1).map((each, index) => within(each, 60_000, `late worker ${index}`)),
    )
    for (const result of late) {
      expect(result.code).toBe(0)
      expect(result.report).toMatchObject({ ok: true, attempt: 0, stoppedBeforeStart: false })
    }
    expect(late.find((each) => each.report?.worker === 'fetch-0')?.report?.sourcesSkipped).toBe(
      true,
    )
    expect(await logLines(outDir)).toBe(20) // nothing stored again
  }, 120_000)

  // guards reruns: the halted attempt's control key, end markers and done keys must neither stop
  // nor end the rerun early, and the rerun consumes what the halt left in the streams
  it('a rerun of the same run id after a halt resumes and stores every item once', async () => {
    const { base, outDir } = await setUp(2, { count: 200, haltAt: 60, ackWaitMs: 2_000 })
    const first = await Promise.all(startAll(base, 2).map((each) => each.result))
    expect(first.find((each) => each.report?.worker === 'enrich-0')?.report?.attempt).toBe(0)
    expect(first.some((each) => each.report?.halted)).toBe(true)
    const storedFirst = (await outputOf(outDir)).length
    expect(storedFirst).toBeLessThan(200) // halted mid-way
    // Restarting the workers alone does not rerun it: they report the halt (attempt 0).
    const restarted = await within(
      startWorker({ ...base, haltAt: undefined, role: 'store', replica: 0 }),
      60_000,
      'store-0 restarted without a rerun',
    )
    expect(restarted.report).toMatchObject({ aborted: true, attempt: 0, stoppedBeforeStart: true })
    // The rerun, explicit and once: attempt 1.
    expect((await (await RunState.open(nc, base.run)).rerun()).attempt).toBe(1)
    // The same run id again, without the failing record; the store worker starts late, after
    // the others finished: it joins attempt 1 (it does not start another) and completes it.
    const again = { ...base, haltAt: undefined }
    const early = await Promise.all(
      [
        startWorker({ ...again, role: 'enrich', replica: 0 }),
        startWorker({ ...again, role: 'enrich', replica: 1 }),
        startWorker({ ...again, role: 'fetch', replica: 0 }),
      ].map((each) => each.result),
    )
    const store = await within(
      startWorker({ ...again, role: 'store', replica: 0 }),
      90_000,
      'the rerun’s late store-0',
    )
    const rerun = [...early, store]
    for (const result of rerun) {
      expect(result.code).toBe(0)
      expect(result.report).toMatchObject({ ok: true, attempt: 1 })
    }
    const fetchFirst = first.find((each) => each.report?.worker === 'fetch-0')?.report
    const fetchRerun = rerun.find((each) => each.report?.worker === 'fetch-0')?.report
    // A source that completed in attempt 0 is not called again: its output is in the stream.
    expect(fetchRerun?.sourcesSkipped).toBe(fetchFirst?.ok === true)
    if (fetchFirst?.ok) expect(fetchRerun?.stats.source?.out).toBe(0)
    // Every item is in the idempotent sink exactly once (one file per id).
    const output = await outputOf(outDir)
    expect(output.map((record) => record.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(output.every((record) => record.upper === record.name.toUpperCase())).toBe(true)
    const status = await (await RunState.open(nc, base.run)).status()
    expect(status.map((each) => [each.node, each.attempt, each.done, each.missing])).toEqual([
      ['enrich', 1, true, []],
      ['store', 1, true, []],
    ])
  }, 180_000)
})
