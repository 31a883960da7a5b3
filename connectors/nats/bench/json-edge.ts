/**
 * The default JSON edge alone, for profiling (`node --cpu-prof --import tsx bench/json-edge.ts`):
 * ITEMS records through pack + publish + consume + ack in one process, ROUNDS times.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { InboundConsumer, jsonCodec, Publisher, provisionNode } from '../src/index.js'
import { startNats, uniqueRun } from '../test/nats-server.js'
import { POOL } from './records.js'

const ITEMS = Number(process.env.BENCH_ITEMS ?? 200_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

const server = await startNats()
const nc = await connect({ servers: server.url, noAsyncTraces: true })
try {
  for (let round = 0; round < ROUNDS; round++) {
    const layout = await provisionNode(await jetstreamManager(nc), {
      run: uniqueRun('json-edge'),
      node: 'sink',
      producers: ['source-0'],
    })
    const js = jetstream(nc)
    const publisher = new Publisher({
      js,
      layout,
      worker: 'source-0',
      serverMaxPayload: nc.info?.max_payload,
    })
    let settled = 0
    let allSettled!: () => void
    const done = new Promise<void>((resolve) => {
      allSettled = resolve
    })
    const consumer = new InboundConsumer({
      js,
      layout,
      codec: jsonCodec,
      onSettled: (settlement) => {
        settled += settlement.items
        if (settled === ITEMS) allSettled()
      },
    })
    const start = performance.now()
    const running = consumer.run((message) => {
      for (let index = 0; index < message.items.length; index++) message.done(index)
    })
    for (let id = 0; id < ITEMS; id++) {
      const waiting = publisher.add(POOL[id % POOL.length])
      if (waiting) await waiting
    }
    await publisher.flush()
    await done
    const rate = ITEMS / ((performance.now() - start) / 1_000)
    consumer.stop()
    await running
    console.log(`round ${round}: ${Math.round(rate).toLocaleString('en')} items/s`)
  }
} finally {
  await nc.close()
  await server.stop()
}
