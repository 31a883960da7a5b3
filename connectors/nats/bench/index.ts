/**
 * @graphflow/nats transport benchmarks against a real nats-server on this machine
 * (NATS_URL when set, else one started here with JetStream in a temp dir).
 *
 * 1. Throughput (median of ROUNDS interleaved rounds): ITEMS records through pack + publish + consume + ack (one process, one
 *    producer, one consumer) vs the same records through an in-memory AsyncQueue hand-off.
 *    Target: >= 1/8 of the in-memory items/s. Both the default JSON codec and msgpackCodec(),
 *    and (informative) the same edge with the producer in a child process, and the transport
 *    alone with a no-op codec (the ceiling a codec can approach).
 * 2. End-of-stream detection: TRIALS runs of "producer ends, consumer acks the last message";
 *    latency from the last item reported done (its ack not yet sent) to `ended` resolving.
 *    Target: p95 < 50 ms.
 * 3. Scaling (bench/scaling.ts): a node waiting 5 ms per item on 1, 2 and 4 replicas with
 *    `runWorker`. Targets: 2 replicas >= 1.8x one, 4 replicas >= 3.5x.
 * Always exits 0; prints the figures and the ratios.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { AsyncQueue, QUEUE_EMPTY } from '@graphflow/core'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import {
  type Codec,
  InboundConsumer,
  jsonCodec,
  msgpackCodec,
  type NodeLayout,
  Publisher,
  provisionNode,
  RunState,
} from '../src/index.js'
import { startNats, uniqueRun } from '../test/nats-server.js'
import { POOL } from './records.js'
import { scaling } from './scaling.js'

const ITEMS = Number(process.env.BENCH_ITEMS ?? 200_000)
const TRIALS = Number(process.env.BENCH_TRIALS ?? 40)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const THROUGHPUT_TARGET = 1 / 8
const LATENCY_TARGET_MS = 50

async function inMemory(): Promise<number> {
  const queue = new AsyncQueue<unknown>(1_000)
  const start = performance.now()
  const producing = (async () => {
    for (let id = 0; id < ITEMS; id++) await queue.put(POOL[id % POOL.length])
    await queue.end()
  })()
  let taken = 0
  for (let item = await queue.next(); item !== QUEUE_EMPTY; item = await queue.next()) taken++
  await producing
  if (taken !== ITEMS) throw new Error(`in-memory: took ${taken} of ${ITEMS}`)
  return ITEMS / ((performance.now() - start) / 1_000)
}

async function provision(nc: NatsConnection, label: string): Promise<NodeLayout> {
  return provisionNode(await jetstreamManager(nc), {
    run: uniqueRun(label),
    node: 'sink',
    producers: ['source-0'],
  })
}

async function throughJetStream(nc: NatsConnection, codec: Codec): Promise<number> {
  const layout = await provision(nc, 'bench')
  const js = jetstream(nc)
  const publisher = new Publisher({
    js,
    layout,
    worker: 'source-0',
    codec,
    serverMaxPayload: nc.info?.max_payload,
  })
  let taken = 0
  let settled = 0
  let allSettled!: () => void
  const done = new Promise<void>((resolve) => {
    allSettled = resolve
  })
  const counting = new InboundConsumer({
    js,
    layout,
    codec,
    prefetch: 16,
    onSettled: (settlement) => {
      settled += settlement.items
      if (settled === ITEMS) allSettled()
    },
  })
  const start = performance.now()
  const running = counting.run((message) => {
    taken += message.items.length
    for (let index = 0; index < message.items.length; index++) message.done(index)
  })
  for (let id = 0; id < ITEMS; id++) {
    const waiting = publisher.add(POOL[id % POOL.length])
    if (waiting) await waiting
  }
  await publisher.flush()
  await done
  const seconds = (performance.now() - start) / 1_000
  counting.stop()
  await running
  if (taken !== ITEMS) throw new Error(`JetStream: took ${taken} of ${ITEMS}`)
  return ITEMS / seconds
}

/** The same edge with the producer in a child process: encoding and decoding run in parallel. */
async function acrossProcesses(nc: NatsConnection, codecName: 'json' | 'msgpack'): Promise<number> {
  const layout = await provision(nc, 'bench-x')
  const codec = codecName === 'msgpack' ? msgpackCodec() : jsonCodec
  let settled = 0
  let allSettled!: () => void
  const done = new Promise<void>((resolve) => {
    allSettled = resolve
  })
  const consumer = new InboundConsumer({
    js: jetstream(nc),
    layout,
    codec,
    prefetch: 16,
    onSettled: (settlement) => {
      settled += settlement.items
      if (settled === ITEMS) allSettled()
    },
  })
  const running = consumer.run((message) => {
    for (let index = 0; index < message.items.length; index++) message.done(index)
  })
  const script = fileURLToPath(new URL('./producer.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, serverUrl, layout.run, layout.node, String(ITEMS), codecName],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`producer exited with ${code}`)))
  })
  child.removeAllListeners('exit')
  const start = performance.now()
  child.stdin.write('go\n')
  await done
  const seconds = (performance.now() - start) / 1_000
  consumer.stop()
  await running
  child.stdin.end()
  return ITEMS / seconds
}

async function endLatency(nc: NatsConnection): Promise<number[]> {
  const latencies: number[] = []
  const js = jetstream(nc)
  for (let trial = 0; trial < TRIALS; trial++) {
    const layout = await provision(nc, 'eos')
    const state = await RunState.open(nc, layout.run)
    await state.registerNode(layout)
    const consumer = new InboundConsumer({ js, layout, onSettled: () => watch.check() })
    const watch = state.watchEnd(layout, { isIdle: () => consumer.inWork === 0 })
    let lastDone = 0
    const running = consumer.run((message) => {
      lastDone = performance.now()
      for (let index = 0; index < message.items.length; index++) message.done(index)
    })
    const publisher = new Publisher({ js, layout, worker: 'source-0' })
    for (let id = 0; id < 100; id++) publisher.add(POOL[id])
    await publisher.flush()
    await state.markProducerEnded(layout, 'source-0', {
      bootId: publisher.bootId,
      ...publisher.published,
    })
    await watch.ended
    latencies.push(performance.now() - lastDone)
    consumer.stop()
    await running
    await (await jetstreamManager(nc)).streams.delete(layout.names.stream)
  }
  return latencies.sort((a, b) => a - b)
}

/**
 * Not a real codec: payloads of 8 bytes per item, decoded to prepared records. It measures the
 * transport alone (client, server, packing, settlement), the ceiling a codec can approach.
 */
const PREPARED = POOL.slice(0, 1_000)
const noCodec: Codec = {
  encode: (items) => new Uint8Array(items.length * 8),
  decode: (bytes) => PREPARED.slice(0, bytes.length / 8),
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number

const server = await startNats()
const serverUrl = server.url
const nc = await connect({ servers: server.url })
try {
  console.log(`@graphflow/nats bench: ${ITEMS} records, server ${server.url}`)
  await inMemory() // warm-up
  await throughJetStream(nc, jsonCodec)
  // Interleaved rounds, median per candidate: the machine is shared, rates drift between runs.
  const rates = {
    memory: [] as number[],
    json: [] as number[],
    msgpack: [] as number[],
    jsonAcross: [] as number[],
    msgpackAcross: [] as number[],
    transport: [] as number[],
  }
  for (let round = 0; round < ROUNDS; round++) {
    rates.memory.push(await inMemory())
    rates.json.push(await throughJetStream(nc, jsonCodec))
    rates.msgpack.push(await throughJetStream(nc, msgpackCodec()))
    rates.jsonAcross.push(await acrossProcesses(nc, 'json'))
    rates.msgpackAcross.push(await acrossProcesses(nc, 'msgpack'))
    rates.transport.push(await throughJetStream(nc, noCodec))
  }
  const memory = median(rates.memory)
  console.log(
    `in-memory AsyncQueue hand-off                  : ${Math.round(memory).toLocaleString('en')} items/s`,
  )
  for (const [label, rate] of [
    ['jsonCodec (default)', median(rates.json)],
    ['msgpackCodec()', median(rates.msgpack)],
    ['jsonCodec, 2 procs', median(rates.jsonAcross)],
    ['msgpackCodec, 2 procs', median(rates.msgpackAcross)],
    ['no codec (transport)', median(rates.transport)],
  ] as const) {
    const ratio = rate / memory
    console.log(
      `pack+publish+consume+ack, ${label.padEnd(21)}: ${Math.round(rate).toLocaleString('en')} items/s  ratio ${ratio.toFixed(3)} (target >= ${THROUGHPUT_TARGET.toFixed(3)}: ${ratio >= THROUGHPUT_TARGET ? 'ok' : 'MISSED'})`,
    )
  }
  const latencies = await endLatency(nc)
  const p50 = percentile(latencies, 50)
  const p95 = percentile(latencies, 95)
  console.log(
    `end-of-stream detection                        : p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${TRIALS} runs (target p95 < ${LATENCY_TARGET_MS} ms: ${p95 < LATENCY_TARGET_MS ? 'ok' : 'MISSED'})`,
  )
  await scaling(serverUrl)
} finally {
  await nc.close()
  await server.stop()
}
