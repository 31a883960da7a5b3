import { describe, expect, it } from 'vitest'
import { doneAll, eventually, freshNode, js, streamMessages } from '../test/helpers.js'
import { skipReason, useNats } from '../test/nats-server.js'
import { InboundConsumer } from './consumer.js'
import { NatsError } from './nats-error.js'
import { FencedError, type PublishAck, Publisher } from './publisher.js'

describe.skipIf(skipReason)('Publisher', () => {
  const nats = useNats()

  it('packs items into messages, calls back per stored message and per item', async () => {
    const layout = await freshNode(nats.nc)
    const acks: PublishAck[] = []
    const publisher = new Publisher({
      js: js(nats.nc),
      layout,
      worker: 'fetch-0',
      maxItems: 100,
      serverMaxPayload: nats.nc.info?.max_payload,
      onAck: (ack) => acks.push(ack),
    })
    let stored = 0
    for (let id = 0; id < 1_050; id++) await publisher.add({ id }, () => stored++)
    await publisher.flush()
    expect(acks).toHaveLength(11)
    expect(acks.reduce((sum, ack) => sum + ack.items, 0)).toBe(1_050)
    expect(acks.every((ack) => !ack.duplicate)).toBe(true)
    expect(stored).toBe(1_050)
    expect(publisher.published).toEqual({ messages: 11, items: 1_050 })
    expect(await streamMessages(nats.nc, layout)).toBe(11)
  })

  it('sends a partly filled message after lingerMs', async () => {
    const layout = await freshNode(nats.nc)
    const acks: PublishAck[] = []
    const publisher = new Publisher({
      js: js(nats.nc),
      layout,
      worker: 'fetch-0',
      lingerMs: 10,
      onAck: (ack) => acks.push(ack),
    })
    publisher.add('a')
    publisher.add('b')
    await eventually(() => acks.length === 1)
    expect(acks[0]?.items).toBe(2)
  })

  it('keeps at most maxPending publishes unacknowledged', async () => {
    const layout = await freshNode(nats.nc)
    let most = 0
    const publisher = new Publisher({
      js: js(nats.nc),
      layout,
      worker: 'fetch-0',
      maxItems: 1,
      maxPending: 3,
    })
    for (let id = 0; id < 200; id++) {
      await publisher.add({ id })
      most = Math.max(most, publisher.pending)
    }
    await publisher.flush()
    expect(most).toBeLessThanOrEqual(3)
    expect(most).toBeGreaterThan(0)
    expect(publisher.pending).toBe(0)
    expect(await streamMessages(nats.nc, layout)).toBe(200)
  })

  // guards against flush() resolving while a message still waits for room in the window
  it('flush waits for messages still waiting for room in the window', async () => {
    const layout = await freshNode(nats.nc)
    const publisher = new Publisher({
      js: js(nats.nc),
      layout,
      worker: 'fetch-0',
      maxItems: 1,
      maxPending: 1,
    })
    const waiting = [publisher.add('a'), publisher.add('b'), publisher.add('c')]
    expect(waiting[0]).toBeUndefined()
    expect(waiting[1]).toBeInstanceOf(Promise)
    await publisher.flush()
    expect(publisher.published).toEqual({ messages: 3, items: 3 })
    await Promise.all(waiting)
  })

  // guards against a restarted worker's new messages being dropped as duplicates of its previous life's
  it('puts the boot id in message ids: a restarted worker is not de-duplicated', async () => {
    const layout = await freshNode(nats.nc)
    const publish = async (bootId: string) => {
      const acks: PublishAck[] = []
      const publisher = new Publisher({
        js: js(nats.nc),
        layout,
        worker: 'fetch-0',
        bootId,
        onAck: (ack) => acks.push(ack),
      })
      publisher.add({ bootId })
      await publisher.flush()
      return acks
    }
    const first = await publish('boot-1')
    const restarted = await publish('boot-2')
    const replayed = await publish('boot-1')
    expect(first[0]?.msgId).toBe('fetch-0.boot-1.1')
    expect(restarted[0]?.msgId).toBe('fetch-0.boot-2.1')
    expect(restarted[0]?.duplicate).toBe(false)
    expect(replayed[0]?.duplicate).toBe(true)
    expect(await streamMessages(nats.nc, layout)).toBe(2)
  })

  it('refuses an item over the byte cap and fails, naming the node', async () => {
    const layout = await freshNode(nats.nc, { node: 'geocode' })
    const publisher = new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', maxBytes: 1_000 })
    publisher.add({ blob: 'x'.repeat(2_000) })
    await expect(publisher.flush()).rejects.toThrow(
      /node "geocode": an item encodes to \d+ bytes, over the 1000-byte message cap/,
    )
    expect(() => publisher.add('later')).toThrow(/node "geocode"/)
  })

  // guards against a value refused while a linger timer sends the message crashing the process
  it('keeps a codec refusal from a linger send and reports it on flush', async () => {
    const layout = await freshNode(nats.nc, { node: 'geocode' })
    const publisher = new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', lingerMs: 1 })
    publisher.add({ tags: new Map() })
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(publisher.flush()).rejects.toThrow(
      /^\[graphflow\] \[nats\] node "geocode": cannot encode a Map at items\[0\]\.tags/,
    )
  })

  it('refuses to publish once fenced', async () => {
    const layout = await freshNode(nats.nc, { node: 'geocode' })
    const publisher = new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0' })
    publisher.fence('marked ended by an operator')
    expect(() => publisher.add('late')).toThrow(FencedError)
    expect(() => publisher.add('late')).toThrow(
      'node "geocode": worker "fetch-0" was fenced (marked ended by an operator) and may not publish',
    )
    // Guards the error shape: a NatsError with code NATS_FENCED.
    expect(() => publisher.add('late')).toThrow(NatsError)
    expect(
      Reflect.get(
        catchError(() => publisher.add('late')),
        'code',
      ),
    ).toBe('NATS_FENCED')
  })

  it('refuses bad options with a TypeError naming the option', async () => {
    const layout = await freshNode(nats.nc)
    expect(() => new Publisher({ js: js(nats.nc), layout, worker: 'nobody' })).toThrow(
      'Publisher option "worker": expected one of the producers of node "enrich" (fetch-0), got "nobody"',
    )
    expect(
      () => new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', maxItems: 0 }),
    ).toThrow(new TypeError('Publisher option "maxItems": expected an integer >= 1, got 0'))
    expect(
      () => new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', maxPending: 1.5 }),
    ).toThrow(/maxPending/)
  })

  it('delivers every item once, in order, to a consumer that acknowledges', async () => {
    const layout = await freshNode(nats.nc)
    const publisher = new Publisher({ js: js(nats.nc), layout, worker: 'fetch-0', maxItems: 64 })
    const sent = Array.from({ length: 2_000 }, (_, id) => ({
      id,
      at: new Date(id),
      big: BigInt(id),
    }))
    for (const item of sent) await publisher.add(item)
    await publisher.flush()
    const received: unknown[] = []
    const consumer = new InboundConsumer({ js: js(nats.nc), layout, prefetch: 4 })
    const running = consumer.run((message) => {
      received.push(...message.items)
      doneAll(message)
      if (received.length === sent.length) consumer.stop()
    })
    await running
    await consumer.settled()
    expect(received).toEqual(sent)
    expect(await streamMessages(nats.nc, layout)).toBe(0)
  })
})

/** What `run` throws. */
function catchError(run: () => unknown): object {
  try {
    run()
  } catch (error) {
    return error as object
  }
  throw new Error('expected a throw')
}
