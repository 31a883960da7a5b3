import { describe, expect, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { checkpoint, type PositionStored, type WorkResult } from './work-tracking.js'

const quiet = { info() {}, error() {}, warn() {} }
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

interface Message {
  item: unknown
  settle(result: WorkResult): void
}

/** An in-memory stand-in for a broker stream: publish is acknowledged a turn later. */
class Bus {
  readonly log: string[] = []
  readonly results: WorkResult[] = []
  #messages: Message[] = []
  #waiting: (() => void) | undefined
  #closed = false

  async publish(item: unknown): Promise<void> {
    await tick()
    this.#messages.push({ item, settle: (result) => this.results.push(result) })
    this.log.push(`acked ${String(item)}`)
    this.#waiting?.()
  }

  close(): void {
    this.#closed = true
    this.#waiting?.()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Message> {
    for (;;) {
      const message = this.#messages.shift()
      if (message) yield message
      else if (this.#closed) return
      else await new Promise<void>((resolve) => (this.#waiting = resolve))
    }
  }
}

class Outbound extends AsyncQueue<unknown, never> {
  #publishing = new Set<Promise<void>>()
  constructor(readonly bus: Bus) {
    super()
  }
  override get tracksWork(): boolean {
    return true
  }
  override put(item: unknown): void {
    const release = this.hold()
    const publishing = this.bus.publish(item).then(release)
    this.#publishing.add(publishing)
    void publishing.then(() => this.#publishing.delete(publishing))
  }
  override async end(): Promise<void> {
    await Promise.all(this.#publishing)
    this.bus.close()
    return super.end()
  }
}

class Inbound extends AsyncQueue<never, unknown> {
  constructor(readonly bus: Bus) {
    super(4)
  }
  override get tracksWork(): boolean {
    return true
  }
  override async end(): Promise<void> {
    for await (const message of this.bus) await this.push(message.item, message.settle)
    return super.end()
  }
}

/** source -> double -> save -> audit, split in two "processes" between double and save. */
function splitGraph(saved: number[], audited: number[]) {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    for (let index = 1; index <= 6; index++) {
      yield index
      if (index % 2 === 0) yield checkpoint(index)
    }
  })
  const double = graph.addNode(async function* double(value: number) {
    yield value * 2
  })
  const save = graph.addNode(async function* save(value: number) {
    await tick()
    saved.push(value)
    yield value
  })
  const audit = graph.addNode(async function* audit(value: number) {
    audited.push(value)
  })
  graph.addEdge(source, double).addEdge(double, save).addEdge(save, audit)
  return graph
}

describe('execute({ placement }): part of a graph per process', () => {
  it('runs only the local nodes, hands items over the edge, acks each once its work is done', async () => {
    const saved: number[] = []
    const audited: number[] = []
    const graph = splitGraph(saved, audited)
    const bus = new Bus()
    const first = new AsyncExecutor(graph, { logger: quiet })
    const positions: PositionStored[] = []
    first.on('position-stored', (event) => {
      positions.push(event)
      bus.log.push(`stored ${String(event.position)}`)
    })
    const second = new AsyncExecutor(graph, { logger: quiet })
    const [one, two] = await Promise.all([
      first.execute({
        placement: { local: ['source', 'double'], outboundQueue: () => new Outbound(bus) },
      }),
      second.execute({
        placement: { local: ['save', 'audit'], inboundQueue: () => new Inbound(bus) },
      }),
    ])
    expect(one.ok && two.ok).toBe(true)
    expect(saved.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12])
    expect(audited).toHaveLength(6)
    // The first process did not run save, it put into its outbound queue.
    expect(one.dataFlowStats.save).toEqual({ in: 6, out: 0, err: 0 })
    expect(one.dataFlowStats.audit).toBeUndefined()
    expect(Object.keys(two.dataFlowStats).sort()).toEqual(['audit', 'save'])
    // Each message was acked once, ok.
    expect(bus.results).toHaveLength(6)
    expect(bus.results.every((result) => result.ok)).toBe(true)
    // A position is stored (for the remote sink) only once the publishes of its unit were acked.
    expect(positions.map((event) => [event.position, event.sink])).toEqual([
      [2, 'save'],
      [4, 'save'],
      [6, 'save'],
    ])
    for (const [unit, items] of [
      [2, [2, 4]],
      [4, [6, 8]],
      [6, [10, 12]],
    ] as const) {
      for (const item of items) {
        expect(bus.log.indexOf(`acked ${item}`)).toBeLessThan(bus.log.indexOf(`stored ${unit}`))
      }
    }
  })

  it('a failed call on the receiving side reports the message failed', async () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield 1
      yield 2
    })
    const check = graph.addNode(async function* check(value: number) {
      if (value === 2) throw new Error('two refused')
      yield value
    })
    graph.addEdge(source, check)
    const bus = new Bus()
    await Promise.all([
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: { local: ['source'], outboundQueue: () => new Outbound(bus) },
      }),
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: { local: ['check'], inboundQueue: () => new Inbound(bus) },
      }),
    ])
    expect(bus.results.map((result) => result.ok).sort()).toEqual([false, true])
    expect(bus.results.flatMap((result) => result.errors.map((e) => e.message))).toEqual([
      'two refused',
    ])
  })

  it('refuses a bad placement, naming the option and the node', async () => {
    const graph = splitGraph([], [])
    const executor = new AsyncExecutor(graph, { logger: quiet })
    await expect(executor.execute({ placement: { local: ['nope'] } })).rejects.toThrow(
      /"placement.local": node 'nope' is not in the graph/,
    )
    await expect(executor.execute({ placement: { local: ['source', 'double'] } })).rejects.toThrow(
      `execute option "placement.outboundQueue": expected a function (node) => AsyncQueue, as node 'save' has local upstreams, got undefined`,
    )
    await expect(executor.execute({ placement: { local: ['save'] } })).rejects.toThrow(
      `execute option "placement.inboundQueue": expected a function (node) => AsyncQueue, as node 'save' has a remote upstream, got undefined`,
    )
    await expect(
      executor.execute({
        placement: { local: ['double'], inboundQueue: () => new AsyncQueue() },
        startNodes: { source: [] },
      }),
    ).rejects.toThrow(/start node 'source' does not run here/)
    await expect(
      executor.execute({ placement: { local: 'source' as unknown as string[] } }),
    ).rejects.toThrow(
      new TypeError(
        'execute option "placement.local": expected an array of node names, got "source"',
      ),
    )
  })
})
