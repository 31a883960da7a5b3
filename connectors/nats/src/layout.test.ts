import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  ReplayPolicy,
  RetentionPolicy,
} from '@nats-io/jetstream'
import { describe, expect, it } from 'vitest'
import { connectTo, skipReason, uniqueRun, useNats } from '../test/nats-server.js'
import { openRunBucket, provisionNode } from './layout.js'

describe.skipIf(skipReason)('provisionNode', () => {
  const nats = useNats()

  it('creates one WorkQueue stream per (run, node) with one durable pull consumer', async () => {
    const jsm = await jetstreamManager(nats.nc)
    const run = uniqueRun('layout run')
    const layout = await provisionNode(jsm, {
      run,
      node: 'geo.code *>',
      producers: ['fetch-0', 'fetch 1'],
      ackWaitMs: 5_000,
    })
    const stream = await jsm.streams.info(layout.names.stream)
    expect(stream.config.retention).toBe(RetentionPolicy.Workqueue)
    expect(stream.config.subjects).toEqual([
      layout.names.subject('fetch-0'),
      layout.names.subject('fetch 1'),
    ])
    const consumer = await jsm.consumers.info(layout.names.stream, layout.names.consumer)
    expect(consumer.config.durable_name).toBe(layout.names.consumer)
    expect(consumer.config.ack_wait).toBe(5_000 * 1_000_000)
    expect(consumer.config.filter_subject ?? '').toBe('')
  })

  it('lets workers racing to provision the same node all succeed', async () => {
    const run = uniqueRun()
    const connections = await Promise.all(
      Array.from({ length: 4 }, () => connectTo(nats.server.url)),
    )
    try {
      const layouts = await Promise.all(
        connections.map(async (each) =>
          provisionNode(await jetstreamManager(each), { run, node: 'n', producers: ['a', 'b'] }),
        ),
      )
      expect(new Set(layouts.map((each) => each.names.stream)).size).toBe(1)
      const buckets = await Promise.all(connections.map((each) => openRunBucket(each, run)))
      expect(buckets).toHaveLength(4)
    } finally {
      await Promise.all(connections.map((each) => each.close()))
    }
  })

  // guards against re-provisioning undoing a fence (re-adding a removed producer subject)
  it('keeps the subjects of an existing stream', async () => {
    const jsm = await jetstreamManager(nats.nc)
    const run = uniqueRun()
    const layout = await provisionNode(jsm, { run, node: 'n', producers: ['a', 'b'] })
    await jsm.streams.update(layout.names.stream, { subjects: [layout.names.subject('a')] })
    await provisionNode(jsm, { run, node: 'n', producers: ['a', 'b'] })
    const stream = await jsm.streams.info(layout.names.stream)
    expect(stream.config.subjects).toEqual([layout.names.subject('a')])
  })

  it('names the consumer when an existing one cannot be changed to the layout', async () => {
    const jsm = await jetstreamManager(nats.nc)
    const run = uniqueRun()
    const first = await provisionNode(jsm, { run, node: 'n', producers: ['a'] })
    // an existing consumer whose config the server cannot update to ours (replay policy)
    await jsm.consumers.delete(first.names.stream, first.names.consumer)
    await jsm.consumers.add(first.names.stream, {
      durable_name: first.names.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Original,
      ack_wait: 5_000 * 1_000_000,
    })
    await expect(provisionNode(jsm, { run, node: 'n', producers: ['a'] })).rejects.toThrow(
      /^consumer "n_-in" of stream "GF_-\S+_-n" \(run "run-\S+", node "n"\) exists with settings that cannot be changed to graphflow's \(replay policy can not be updated\): delete it or use another run id$/,
    )
  })

  it('refuses bad options with a TypeError naming the option', async () => {
    const jsm = await jetstreamManager(nats.nc)
    await expect(provisionNode(jsm, { run: 'r', node: 'n', producers: [] })).rejects.toThrow(
      'provisionNode option "producers": expected a non-empty array of worker ids, got an array ([])',
    )
    await expect(
      provisionNode(jsm, { run: 'r', node: 'n', producers: ['a', 'a'] }),
    ).rejects.toThrow(
      'provisionNode option "producers": expected distinct worker ids, got an array (["a","a"])',
    )
    await expect(
      provisionNode(jsm, { run: 'r', node: 'n', producers: ['a'], ackWaitMs: 0 }),
    ).rejects.toThrow(
      new TypeError('provisionNode option "ackWaitMs": expected an integer >= 1, got 0'),
    )
    await expect(provisionNode(jsm, { run: '', node: 'n', producers: ['a'] })).rejects.toThrow(
      /run: expected a non-empty string/,
    )
  })
})
