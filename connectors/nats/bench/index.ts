/**
 * @graphflow/nats transport benchmarks against a real nats-server on this machine
 * (NATS_URL when set, else one started here with JetStream in a temp dir).
 *
 * 1. Throughput, ROUNDS interleaved rounds after a warm-up round: ITEMS records through pack +
 *    publish + consume + ack (one process, one producer, one consumer, the package's default
 *    publish window and prefetch), from the first add to the last message's confirmed ack, vs
 *    the same records through an in-memory AsyncQueue hand-off. Each round's ratio divides by
 *    the in-memory rate of the same round; printed: the median ratio and its spread (min-max).
 *    Target: median >= 1/8. Both the default JSON codec and msgpackCodec(), and (informative)
 *    the same edge with the producer in a child process, the transport alone with a no-op codec
 *    (the ceiling a codec can approach), and a whole graph source -> sink through JetStream
 *    (two runWorker roles in this process: the executor, work tracking and end of stream
 *    included) next to the same graph run in memory.
 * 2. End-of-stream detection: TRIALS runs of "producer ends, consumer acks the last message";
 *    latency from the last item reported done (its ack not yet sent) to `ended` resolving.
 *    Target: p95 < 50 ms.
 * 3. Scaling (bench/scaling.ts): a node waiting 5 ms per item on 1, 2 and 4 replicas with
 *    `runWorker`. Targets: 2 replicas >= 1.8x one, 4 replicas >= 3.5x.
 * Always exits 0; prints the figures and the ratios.
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { AsyncExecutor, AsyncGraph, AsyncQueue, QUEUE_EMPTY } from '@graphflow/core'
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
  runWorker,
} from '../src/index.js'
import { startNats, uniqueRun } from '../test/nats-server.js'
import { POOL } from './records.js'
import { scaling } from './scaling.js'

const ITEMS = Number(process.env.BENCH_ITEMS ?? 200_000)
const TRIALS = Number(process.env.BENCH_TRIALS ?? 40)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
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

const quiet = { info() {}, warn() {}, error() {} }

/** The same records from a source node to a counting sink, as a graph. */
function sourceToSink(): { graph: AsyncGraph; count: () => number } {
  let count = 0
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    for (let id = 0; id < ITEMS; id++) yield POOL[id % POOL.length]
  })
  const sink = graph.addNode(async function* sink(_record: unknown) {
    count++
  })
  graph.addEdge(source, sink)
  return { graph, count: () => count }
}

/** The graph in one process, in memory, with work tracking as a distributed run has it. */
async function graphInMemory(): Promise<number> {
  const { graph, count } = sourceToSink()
  const start = performance.now()
  const report = await new AsyncExecutor(graph, { logger: quiet }).execute({ tracking: true })
  const seconds = (performance.now() - start) / 1_000
  if (!report.ok || count() !== ITEMS) throw new Error(`in-memory graph: ${count()} of ${ITEMS}`)
  return ITEMS / seconds
}

/**
 * The graph with the edge through JetStream: a `fetch` worker (the source) and a `store` worker
 * (the sink), each a runWorker with its own connection, in this process. From the workers'
 * start to both ends: provisioning and end-of-stream detection included.
 */
async function graphThroughJetStream(): Promise<number> {
  const { graph, count } = sourceToSink()
  const common = {
    graph,
    deployment: { roles: { fetch: { nodes: ['source'] }, store: { nodes: ['sink'] } } },
    run: uniqueRun('bench-graph'),
    servers: serverUrl,
    executor: { logger: quiet },
  }
  const start = performance.now()
  const reports = await Promise.all([
    runWorker({ ...common, role: 'store' }),
    runWorker({ ...common, role: 'fetch' }),
  ])
  const seconds = (performance.now() - start) / 1_000
  if (reports.some((each) => !each.report.ok) || count() !== ITEMS) {
    throw new Error(`JetStream graph: ${count()} of ${ITEMS}`)
  }
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

const loadAverage = () =>
  loadavg()
    .map((each) => each.toFixed(2))
    .join(' ')

const server = await startNats()
const serverUrl = server.url
// As runWorker connects: no async stack traces captured per request.
const nc = await connect({ servers: server.url, noAsyncTraces: true })
try {
  console.log(
    `@graphflow/nats bench: ${ITEMS} records, ${ROUNDS} rounds, server ${server.url}, load average ${loadAverage()}`,
  )
  // Warm-up (JIT, the server's first streams), then interleaved rounds: the machine is shared
  // and rates drift, so each round's ratio is taken against the in-memory rate of that round.
  await inMemory()
  await throughJetStream(nc, jsonCodec)
  await throughJetStream(nc, msgpackCodec())
  await graphInMemory()
  await graphThroughJetStream()
  const memory: number[] = []
  const candidates = [
    { label: 'jsonCodec (default)', target: true, measure: () => throughJetStream(nc, jsonCodec) },
    { label: 'msgpackCodec()', target: true, measure: () => throughJetStream(nc, msgpackCodec()) },
    { label: 'jsonCodec, 2 procs', target: false, measure: () => acrossProcesses(nc, 'json') },
    {
      label: 'msgpackCodec, 2 procs',
      target: false,
      measure: () => acrossProcesses(nc, 'msgpack'),
    },
    { label: 'no codec (transport)', target: false, measure: () => throughJetStream(nc, noCodec) },
  ].map((candidate) => ({ ...candidate, rates: [] as number[], ratios: [] as number[] }))
  const graphs = { memory: [] as number[], jetstream: [] as number[], ratios: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    const base = await inMemory()
    memory.push(base)
    for (const candidate of candidates) {
      const rate = await candidate.measure()
      candidate.rates.push(rate)
      candidate.ratios.push(rate / base)
    }
    const inMemoryGraph = await graphInMemory()
    const jetstreamGraph = await graphThroughJetStream()
    graphs.memory.push(inMemoryGraph)
    graphs.jetstream.push(jetstreamGraph)
    graphs.ratios.push(jetstreamGraph / base)
  }
  const spread = (values: number[]) =>
    `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`
  const rate = (value: number) => Math.round(value).toLocaleString('en').padStart(9)
  console.log(
    `in-memory AsyncQueue hand-off                  : ${rate(median(memory))} items/s (rounds: ${memory.map((each) => Math.round(each).toLocaleString('en')).join(', ')})`,
  )
  for (const { label, target, rates, ratios } of candidates) {
    const ratio = median(ratios)
    const verdict = target
      ? `(target >= ${THROUGHPUT_TARGET.toFixed(3)}: ${ratio >= THROUGHPUT_TARGET ? 'ok' : 'MISSED'})`
      : '(informative)'
    console.log(
      `pack+publish+consume+ack, ${label.padEnd(21)}: ${rate(median(rates))} items/s  ratio ${ratio.toFixed(3)} [${spread(ratios)}] ${verdict}`,
    )
  }
  console.log(
    `graph source -> sink, in memory (tracked)      : ${rate(median(graphs.memory))} items/s (informative)`,
  )
  console.log(
    `graph source -> sink through JetStream (2 runWorker): ${rate(median(graphs.jetstream))} items/s  ratio ${median(graphs.ratios).toFixed(3)} [${spread(graphs.ratios)}] (informative)`,
  )
  console.log(`load average after the throughput rounds: ${loadAverage()}`)
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
