// The producer half of the cross-process benchmark: connects, prints "ready", waits for a line
// on stdin, publishes ITEMS records to the node's input, flushes and exits.
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { jsonCodec, msgpackCodec, nodeNames, Publisher } from '../src/index.js'
import { POOL } from './records.js'

const [url, run, node, items, codecName] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]
const nc = await connect({ servers: url, noAsyncTraces: true })
const publisher = new Publisher({
  js: jetstream(nc),
  layout: { names: nodeNames(run, node), run, node, producers: ['source-0'], ackWaitMs: 30_000 },
  worker: 'source-0',
  codec: codecName === 'msgpack' ? msgpackCodec() : jsonCodec,
  serverMaxPayload: nc.info?.max_payload,
})
process.stdout.write('ready\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
for (let id = 0; id < Number(items); id++) {
  const waiting = publisher.add(POOL[id % POOL.length])
  if (waiting) await waiting
}
await publisher.flush()
await nc.close()
