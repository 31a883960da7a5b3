import { jetstreamManager } from '@nats-io/jetstream'
import { TimeoutError } from '@nats-io/transport-node'
import { describe, expect, it } from 'vitest'
import { doneAll, eventually, freshNode, js, streamMessages } from '../test/helpers.js'
import { connectTo, natsBinary, skipReason, useNats } from '../test/nats-server.js'
import { InboundConsumer, type InboundMessage } from './consumer.js'
import type { NodeLayout } from './layout.js'
import { startLocalNatsServer } from './local-server.js'
import { escapeName } from './names.js'
import { Publisher } from './publisher.js'
import { NothingToRerunError, type RunControl, RunState, whenAnswered } from './run-state.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(skipReason)('RunState', () => {
  const nats = useNats()

  async function setup(producers = ['fetch-0', 'fetch-1'], ackWaitMs?: number) {
    const layout = await freshNode(nats.nc, { producers, ackWaitMs })
    const state = await RunState.open(nats.nc, layout.run)
    await state.registerNode(layout)
    return { layout, state }
  }

  async function produce(layout: NodeLayout, state: RunState, worker: string, items: unknown[]) {
    const publisher = new Publisher({ js: js(nats.nc), layout, worker, maxItems: 10 })
    for (const item of items) await publisher.add(item)
    await publisher.flush()
    await state.markProducerEnded(layout, worker, {
      bootId: publisher.bootId,
      ...publisher.published,
    })
    return publisher
  }

  it('ends the input once every expected producer ended and every message was acknowledged', async () => {
    const { layout, state } = await setup()
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onSettled: () => watch.check(),
    })
    const watch = state.watchEnd(layout, { isIdle: () => consumer.inWork === 0 })
    let ended = false
    watch.ended.then(() => {
      ended = true
    })
    const held: InboundMessage[] = []
    const running = consumer.run((message) => {
      held.push(message)
    })
    await produce(
      layout,
      state,
      'fetch-0',
      Array.from({ length: 25 }, (_, id) => id),
    )
    await eventually(() => held.length === 3)
    for (const message of held.splice(0)) doneAll(message)
    await sleep(400)
    expect(ended).toBe(false) // fetch-1 has not ended
    expect(watch.missing).toEqual(['fetch-1'])
    await produce(layout, state, 'fetch-1', ['last'])
    await eventually(() => held.length === 1)
    await sleep(400)
    expect(ended).toBe(false) // its message is not acknowledged yet
    held[0]?.done(0)
    await watch.ended
    consumer.stop()
    await running
    expect(await streamMessages(nats.nc, layout)).toBe(0)
    const [status] = await state.status()
    expect(status).toMatchObject({ node: 'enrich', missing: [], done: true })
    expect(status?.ended['fetch-0']).toMatchObject({ messages: 3, items: 25 })
  })

  // guards against a message nak'd for retry letting the input end before it is redelivered
  it('does not end while a message waits for redelivery after a nak', async () => {
    const { layout, state } = await setup(['fetch-0'])
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      retries: 1,
      backoffMs: [3_000],
      onSettled: () => watch.check(),
    })
    const watch = state.watchEnd(layout, { isIdle: () => consumer.inWork === 0, pollMs: 50 })
    let ended = false
    watch.ended.then(() => {
      ended = true
    })
    const deliveries: number[] = []
    const running = consumer.run((message) => {
      deliveries.push(message.deliveries)
      message.done(0, message.deliveries > 1)
    })
    await produce(layout, state, 'fetch-0', ['flaky'])
    await eventually(() => deliveries.length === 1)
    await sleep(800)
    expect(ended).toBe(false)
    await watch.ended
    expect(deliveries).toEqual([1, 2])
    consumer.stop()
    await running
  })

  it('tells another replica the input ended through done.<node>', async () => {
    const { layout, state } = await setup(['fetch-0'])
    const other = state.watchEnd(layout, { isIdle: () => false }) // never checks the stream itself
    const watch = state.watchEnd(layout)
    await produce(layout, state, 'fetch-0', [])
    await watch.ended
    await other.ended
  })

  it('propagates a halt to every worker watching', async () => {
    const { layout, state } = await setup(['fetch-0'])
    const otherConnection = await connectTo(nats.server.url)
    try {
      const other = await RunState.open(otherConnection, layout.run)
      const seen: RunControl[] = []
      const watch = await other.watchControl((control) => seen.push(control))
      await state.control('halt', 'node "geocode" failed', 'enrich-1')
      await eventually(() => seen.length === 1)
      expect(seen[0]).toMatchObject({
        kind: 'halt',
        reason: 'node "geocode" failed',
        by: 'enrich-1',
      })
      watch.stop()
      // a worker starting later sees it too
      const late: RunControl[] = []
      const lateWatch = await other.watchControl((control) => late.push(control))
      await eventually(() => late.length === 1)
      lateWatch.stop()
    } finally {
      await otherConnection.close()
    }
  })

  it('reports per-worker counters and which producers are missing', async () => {
    const { layout, state } = await setup(['fetch-0', 'fetch 1'])
    await state.putStatus('enrich', 'enrich-0', { in: 10, out: 9, err: 1 })
    await state.putStatus('enrich', 'enrich.1', { in: 5, out: 5, err: 0 })
    await produce(layout, state, 'fetch-0', ['a'])
    const [status] = await state.status()
    expect(status?.missing).toEqual(['fetch 1'])
    expect(status?.done).toBe(false)
    expect(status?.workers).toMatchObject({
      'enrich-0': { in: 10, out: 9, err: 1 },
      'enrich.1': { in: 5, out: 5, err: 0 },
    })
    expect(status?.input).toEqual({ messages: 1, pending: 1, awaitingAck: 0 })
  })

  it('marks a missing worker ended, fenced: the server refuses its late publishes', async () => {
    const { layout, state } = await setup(['fetch-0', 'fetch-1'])
    const watch = state.watchEnd(layout, { pollMs: 50 })
    await produce(layout, state, 'fetch-0', ['a'])
    // fetch-1 published one message and then hung
    const late = new Publisher({
      js: js(nats.nc),
      layout,
      worker: 'fetch-1',
      maxItems: 1,
      ackTimeoutMs: 2_000,
    })
    await late.add('before the fence')
    await late.flush()
    let fencedReason: string | undefined
    const fenceWatch = await state.watchFence(layout, 'fetch-1', (reason) => {
      fencedReason = reason
    })
    await expect(state.markWorkerEnded('fetch-9', 'typo')).rejects.toThrow(
      /worker "fetch-9" is not a producer of any registered node \(producers: fetch-0, fetch-1\)/,
    )
    expect(await state.markWorkerEnded('fetch-1', 'host lost')).toEqual(['enrich'])
    await eventually(() => fencedReason === 'host lost')
    fenceWatch.stop()
    // the late worker did not see its fence (no local flag): the server refuses anyway
    await late.add('after the fence')
    await expect(late.flush()).rejects.toThrow(
      /node "enrich": publish of message fetch-1\.\S+\.2 \(1 items\)/,
    )
    const [status] = await state.status()
    expect(status?.missing).toEqual([])
    expect(status?.ended['fetch-1']).toMatchObject({
      fenced: { reason: 'host lost' },
      messages: null,
    })
    // what it stored before the fence is still consumed before the input ends
    expect(await streamMessages(nats.nc, layout)).toBe(2)
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onSettled: () => watch.check(),
    })
    const items: unknown[] = []
    const running = consumer.run((message) => {
      items.push(...message.items)
      doneAll(message)
    })
    await watch.ended
    consumer.stop()
    await running
    expect(items.sort()).toEqual(['a', 'before the fence'])
  })

  it('fences the last producer of a node: the stream keeps a subject no worker publishes on', async () => {
    const { layout, state } = await setup(['fetch-0'])
    const late = new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', ackTimeoutMs: 2_000 })
    await state.markWorkerEnded('fetch-0', 'gone')
    late.add('late')
    await expect(late.flush()).rejects.toThrow(/node "enrich": publish of message/)
    const jsm = await jetstreamManager(nats.nc)
    const info = await jsm.streams.info(layout.names.stream)
    expect(info.config.subjects).toEqual([`graphflow.${escapeName(layout.run)}.enrich._fenced`])
    await state.watchEnd(layout).ended
  })

  it('resumes a rerun of the same run id from what is still in the stream', async () => {
    const { layout, state } = await setup(['fetch-0'])
    await produce(
      layout,
      state,
      'fetch-0',
      Array.from({ length: 10 }, (_, id) => id),
    )
    // the first attempt processes one message (10 items in one message, so: all or nothing)
    const first = new InboundConsumer({ js: js(nats.nc), layout })
    let taken: InboundMessage | undefined
    const firstRunning = first.run((message) => {
      taken = message
    })
    await eventually(() => taken !== undefined)
    first.stop()
    await firstRunning
    // ...and dies before settling it (redelivered after AckWait); the rerun provisions again
    const again = await freshNode(nats.nc, {
      run: layout.run,
      producers: ['fetch-0'],
      ackWaitMs: 1_000,
    })
    expect(again.names.stream).toBe(layout.names.stream)
    const items: unknown[] = []
    const rerun = new InboundConsumer({ js: js(nats.nc), layout: again })
    const rerunning = rerun.run((message) => {
      items.push(...message.items)
      doneAll(message)
      if (items.length === 10) rerun.stop()
    })
    await rerunning
    expect(items).toEqual(Array.from({ length: 10 }, (_, id) => id))
  }, 60_000)

  // guards reruns: the halted attempt's control key, end markers and done key must not stop or
  // end the next attempt early; a fence stays valid in every attempt
  it('starts the next attempt on a rerun after a halt: the old keys neither stop nor end it', async () => {
    const { layout, state } = await setup(['fetch-0', 'fetch-1'])
    await expect(state.rerun()).rejects.toThrow(NothingToRerunError) // no worker started it
    expect(await state.begin()).toBe(0)
    expect(await state.begin()).toBe(0) // no halt: a worker starting later joins attempt 0
    await expect(state.rerun()).rejects.toThrow(
      /^run "\S+": attempt 0 was neither halted nor aborted \(it is running or completed\), nothing to rerun$/,
    )
    await produce(layout, state, 'fetch-0', ['a'])
    await state.markWorkerEnded('fetch-1', 'host lost')
    await state.kv.put(layout.names.doneKey(0), new TextEncoder().encode('{}'))
    await state.control('halt', 'node "enrich" failed', 'enrich-0')
    // A worker starting after the halt joins the halted attempt (and stops): no new attempt.
    const late = await RunState.open(nats.nc, layout.run)
    expect(await late.begin()).toBe(0)
    expect(await late.stopped()).toMatchObject({ kind: 'halt', by: 'enrich-0' })
    // Three reruns of the halted attempt at once: one starts attempt 1, the others return it.
    const reruns = await Promise.all([1, 2, 3].map(async () => RunState.open(nats.nc, layout.run)))
    const started = await Promise.all(reruns.map((each) => each.rerun()))
    expect(started.map((each) => each.attempt)).toEqual([1, 1, 1])
    expect(started[0]?.after).toMatchObject({ kind: 'halt', by: 'enrich-0' })
    // Workers started after the rerun, together or late, join attempt 1; none starts another.
    const workers = await Promise.all([1, 2].map(async () => RunState.open(nats.nc, layout.run)))
    expect(await Promise.all(workers.map((each) => each.begin()))).toEqual([1, 1])
    expect(await workers[0]?.stopped()).toBeUndefined()
    await expect(workers[0]?.rerun()).rejects.toThrow(NothingToRerunError) // attempt 1 is running
    const rerun = reruns[0] as RunState
    const seen: RunControl[] = []
    const controlWatch = await rerun.watchControl((control) => seen.push(control))
    const watch = rerun.watchEnd(layout, { pollMs: 50 })
    let ended = false
    watch.ended.then(() => {
      ended = true
    })
    await sleep(400)
    expect(seen).toEqual([]) // attempt 0's halt does not stop attempt 1
    expect(ended).toBe(false) // nor do its end markers and done key end it
    expect(watch.missing).toEqual(['fetch-0']) // fetch-1's fence counts in every attempt
    const [status] = await rerun.status()
    expect(status).toMatchObject({ attempt: 1, missing: ['fetch-0'], done: false })
    expect(status?.fenced).toEqual({ 'fetch-1': 'host lost' })
    // what attempt 0 left in the stream is consumed in attempt 1
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onSettled: () => watch.check(),
    })
    const items: unknown[] = []
    const running = consumer.run((message) => {
      items.push(...message.items)
      doneAll(message)
    })
    await produce(layout, rerun, 'fetch-0', ['b'])
    await watch.ended
    consumer.stop()
    await running
    expect(items.sort()).toEqual(['a', 'b'])
    // a halt in attempt 1 is seen by attempt 1's workers, and a rerun of it starts attempt 2
    await rerun.control('abort', 'operator', 'cli')
    await eventually(() => seen.length === 1)
    controlWatch.stop()
    expect((await late.rerun()).attempt).toBe(2)
  })

  it('fails the end watch when the stream is missing, naming the node', async () => {
    const { layout, state } = await setup(['fetch-0'])
    await produce(layout, state, 'fetch-0', [])
    await (await jetstreamManager(nats.nc)).streams.delete(layout.names.stream)
    await expect(state.watchEnd(layout).ended).rejects.toThrow(
      /^node "enrich": stream "GF_-\S+_-enrich" is missing: the input cannot end$/,
    )
  })
})

describe('whenAnswered', () => {
  it('tries again when a request times out, and gives up after its tries', async () => {
    let calls = 0
    const answer = await whenAnswered(async () => {
      calls++
      if (calls < 3) throw new TimeoutError()
      return 'answered'
    })
    expect({ answer, calls }).toEqual({ answer: 'answered', calls: 3 })
    calls = 0
    const timeout = new TimeoutError()
    await expect(
      whenAnswered(async () => {
        calls++
        throw timeout
      }, 2),
    ).rejects.toBe(timeout)
    expect(calls).toBe(2)
  })

  it('throws any other error at once', async () => {
    let calls = 0
    const refused = new Error('permission denied')
    await expect(
      whenAnswered(async () => {
        calls++
        throw refused
      }),
    ).rejects.toBe(refused)
    expect(calls).toBe(1)
  })
})

// A server of its own: the test stops it for a moment (SIGSTOP), as a loaded server that does
// not answer a request to a stream created a moment ago (nats-io/nats-server#6421).
describe.skipIf(!natsBinary && !process.env.CI)(
  'RunState.open on a server that did not answer',
  () => {
    // Guards: two workers starting together under load crashed in RunState.open (kv.get timed out).
    it('tries again and opens the run', async () => {
      const server = await startLocalNatsServer()
      const nc = await connectTo(server.url)
      try {
        await RunState.open(nc, 'warm-up') // JetStream answers
        process.kill(server.pid, 'SIGSTOP')
        const resume = setTimeout(() => process.kill(server.pid, 'SIGCONT'), 5_500)
        try {
          const started = performance.now()
          const state = await RunState.open(nc, 'stalled')
          // The first try timed out (the client's 5 s), a later one got the answer.
          expect(performance.now() - started).toBeGreaterThan(5_000)
          expect(state.attempt).toBe(0)
        } finally {
          clearTimeout(resume)
          process.kill(server.pid, 'SIGCONT')
        }
      } finally {
        await nc.close()
        await server.stop()
      }
    }, 60_000)
  },
)
