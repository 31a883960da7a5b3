import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { describe, expect, it } from 'vitest'
import { doneAll, eventually, freshNode, js, streamMessages } from '../test/helpers.js'
import { skipReason, useNats } from '../test/nats-server.js'
import { InboundConsumer, type InboundMessage, type Settlement } from './consumer.js'
import { type NodeLayout, provisionNode } from './layout.js'
import { Publisher } from './publisher.js'

async function publish(nc: NatsConnection, layout: NodeLayout, items: unknown[], maxItems = 1) {
  const publisher = new Publisher({ js: js(nc), layout, worker: 'fetch-0', maxItems })
  for (const item of items) await publisher.add(item)
  await publisher.flush()
}

describe.skipIf(skipReason)('InboundConsumer', () => {
  const nats = useNats()

  it('holds at most prefetch messages unsettled', async () => {
    const layout = await freshNode(nats.nc)
    await publish(
      nats.nc,
      layout,
      Array.from({ length: 20 }, (_, id) => id),
    )
    const consumer = new InboundConsumer({ js: js(nats.nc), layout, prefetch: 3 })
    let most = 0
    let seen = 0
    const running = consumer.run((message) => {
      seen++
      most = Math.max(most, consumer.inWork)
      // settled later, from outside the handler, as a slow node would
      setTimeout(() => message.done(0), 30)
    })
    await eventually(() => seen === 20)
    consumer.stop()
    await running
    await eventually(() => consumer.inWork === 0)
    await consumer.settled()
    expect(most).toBeLessThanOrEqual(3)
    expect(await streamMessages(nats.nc, layout)).toBe(0)
  })

  it('settles a message only once all its items are done', async () => {
    const layout = await freshNode(nats.nc)
    await publish(nats.nc, layout, ['a', 'b', 'c'], 10)
    const settlements: Settlement[] = []
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onSettled: (each) => settlements.push(each),
    })
    let message: InboundMessage | undefined
    const running = consumer.run((each) => {
      message = each
    })
    await eventually(() => message !== undefined)
    message?.done(0)
    message?.done(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(settlements).toEqual([])
    expect(await streamMessages(nats.nc, layout)).toBe(1)
    expect(() => message?.done(2)).toThrow(/item 2 of message \d+ was reported done already/)
    message?.done(1)
    await eventually(() => settlements.length === 1)
    expect(settlements[0]).toMatchObject({ outcome: 'ack', items: 3, failed: 0 })
    expect(await streamMessages(nats.nc, layout)).toBe(0)
    consumer.stop()
    await running
  })

  it('acknowledges a failed item by default (errors are counted by the caller, as in one process)', async () => {
    const layout = await freshNode(nats.nc)
    await publish(nats.nc, layout, ['x'])
    const settlements: Settlement[] = []
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onSettled: (each) => settlements.push(each),
    })
    const running = consumer.run((message) => message.done(0, false))
    await eventually(() => settlements.length === 1)
    consumer.stop()
    await running
    expect(settlements[0]).toMatchObject({ outcome: 'ack', failed: 1 })
    expect(await streamMessages(nats.nc, layout)).toBe(0)
  })

  it('with retries, naks with backoff and finally terminates', async () => {
    const layout = await freshNode(nats.nc)
    await publish(nats.nc, layout, ['x'])
    const settlements: Settlement[] = []
    const deliveries: number[] = []
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      retries: 2,
      backoffMs: [50, 100],
      onSettled: (each) => settlements.push(each),
    })
    const running = consumer.run((message) => {
      deliveries.push(message.deliveries)
      message.done(0, false)
    })
    await eventually(() => settlements.length === 3)
    consumer.stop()
    await running
    expect(deliveries).toEqual([1, 2, 3])
    expect(settlements.map((each) => each.outcome)).toEqual(['nak', 'nak', 'term'])
    await eventually(async () => (await streamMessages(nats.nc, layout)) === 0)
  })

  it('sends working() so a long call is not redelivered', async () => {
    const layout = await freshNode(nats.nc, { ackWaitMs: 1_500 })
    await publish(nats.nc, layout, ['slow'])
    const other = new InboundConsumer({ js: js(nats.nc), layout })
    const redelivered: InboundMessage[] = []
    const otherRunning = other.run((message) => {
      redelivered.push(message)
    })
    const consumer = new InboundConsumer({ js: js(nats.nc), layout, heartbeatMs: 250 })
    let held: InboundMessage | undefined
    const running = consumer.run((message) => {
      held = message
    })
    await eventually(() => held !== undefined || redelivered.length > 0)
    await new Promise((resolve) => setTimeout(resolve, 3_500))
    const first = held ?? redelivered[0]
    expect(first?.deliveries).toBe(1)
    expect(redelivered.length + (held ? 1 : 0)).toBe(1)
    first?.done(0)
    consumer.stop()
    other.stop()
    await Promise.all([running, otherRunning])
  })

  it('redelivers the unacknowledged messages of a worker killed with SIGKILL to another', async () => {
    const layout = await freshNode(nats.nc, { ackWaitMs: 1_000 })
    await publish(
      nats.nc,
      layout,
      Array.from({ length: 6 }, (_, id) => ({ id })),
      2,
    )
    const script = fileURLToPath(new URL('../test/fixtures/hold-messages.ts', import.meta.url))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, nats.server.url, layout.run, layout.node, '3'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const held = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
        const line = /held ([\d,]+)/.exec(out)
        if (line) resolve(line[1] as string)
      })
      child.on('exit', (code) => reject(new Error(`child exited with ${code}: ${out}`)))
    })
    child.removeAllListeners('exit')
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    const seen: { id: number; deliveries: number }[] = []
    const consumer = new InboundConsumer({ js: js(nats.nc), layout })
    const running = consumer.run((message) => {
      for (const item of message.items)
        seen.push({ id: (item as { id: number }).id, deliveries: message.deliveries })
      doneAll(message)
      if (seen.length === 6) consumer.stop()
    })
    await running
    await consumer.settled()
    expect(held.split(',')).toHaveLength(3)
    expect(seen.map((each) => each.id).sort()).toEqual([0, 1, 2, 3, 4, 5])
    expect(seen.every((each) => each.deliveries === 2)).toBe(true)
    expect(await streamMessages(nats.nc, layout)).toBe(0)
  })

  it('stops with an error naming the node and the message when a payload cannot be decoded', async () => {
    const layout = await freshNode(nats.nc, { node: 'geocode' })
    await js(nats.nc).publish(layout.names.subject('fetch-0'), new TextEncoder().encode('not json'))
    const consumer = new InboundConsumer({ js: js(nats.nc), layout })
    await expect(consumer.run(() => {})).rejects.toThrow(
      /^node "geocode": cannot decode message 1 of stream "GF_-\S+_-geocode": /,
    )
    // nak'd, not lost: it stays in the stream
    expect(await streamMessages(nats.nc, layout)).toBe(1)
  })

  // guards against one failed pull (here: the consumer deleted under it) ending the consumer for good
  it('retries a failed pull and goes on once the consumer is back', async () => {
    const layout = await freshNode(nats.nc)
    const errors: unknown[] = []
    const items: unknown[] = []
    const consumer = new InboundConsumer({
      js: js(nats.nc),
      layout,
      onPullError: (error) => errors.push(error),
    })
    const running = consumer.run((message) => {
      items.push(...message.items)
      doneAll(message)
    })
    await publish(nats.nc, layout, ['before'])
    await eventually(() => items.length === 1)
    const jsm = await jetstreamManager(nats.nc)
    await jsm.consumers.delete(layout.names.stream, layout.names.consumer)
    await eventually(() => errors.length > 0)
    await provisionNode(jsm, { run: layout.run, node: layout.node, producers: ['fetch-0'] })
    await publish(nats.nc, layout, ['after'])
    await eventually(() => items.length === 2)
    consumer.stop()
    await running
    expect(items).toEqual(['before', 'after'])
  })

  it('refuses bad options with a TypeError naming the option', async () => {
    const layout = await freshNode(nats.nc, { ackWaitMs: 1_000 })
    expect(() => new InboundConsumer({ js: js(nats.nc), layout, prefetch: 0 })).toThrow(
      new TypeError('InboundConsumer option "prefetch": expected an integer >= 1, got 0'),
    )
    expect(() => new InboundConsumer({ js: js(nats.nc), layout, heartbeatMs: 1_000 })).toThrow(
      'InboundConsumer option "heartbeatMs": expected less than the consumer\'s AckWait (1000 ms), got 1000',
    )
    expect(() => new InboundConsumer({ js: js(nats.nc), layout, backoffMs: [] })).toThrow(
      /backoffMs/,
    )
  })
})
