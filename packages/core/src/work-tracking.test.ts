import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { AsyncBatchQueue, BatchQueue } from '../test/fixtures/batch-queue.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { defineSink } from './define.js'
import type { NodeContext, NodeSpec } from './node-spec.js'
import { checkpoint, type PositionStored, type WorkResult } from './work-tracking.js'

const quiet = { info() {}, error() {}, warn() {} }
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A journal of what happened, in order, to check "after" and "never before". */
class Journal {
  readonly lines: string[] = []
  add(line: string): void {
    this.lines.push(line)
  }
  indexOf(line: string): number {
    const index = this.lines.indexOf(line)
    expect(index, `"${line}" in ${JSON.stringify(this.lines)}`).toBeGreaterThanOrEqual(0)
    return index
  }
}

/**
 * An inbound edge: when every upstream is done, it pushes its messages, each with an
 * `onDone` that records the result (a JetStream consumer acks there).
 */
class Inbound extends AsyncQueue<never, string> {
  readonly results = new Map<string, WorkResult[]>()
  constructor(
    readonly messages: string[],
    readonly journal: Journal,
    maxSize = 0,
  ) {
    super(maxSize)
  }
  override get tracksWork(): boolean {
    return true
  }
  override async end(): Promise<void> {
    for (const message of this.messages) {
      await this.push(message, (result) => {
        const results = this.results.get(message) ?? []
        results.push(result)
        this.results.set(message, results)
        this.journal.add(`done ${message} ${result.ok}`)
      })
    }
    return super.end()
  }
}

/** A graph whose node `in` reads an {@link Inbound} queue; `trigger` only ends it. */
function inboundGraph(messages: string[], journal: Journal, maxSize = 0, maxTasks = 1) {
  const graph = new AsyncGraph()
  const inbound = new Inbound(messages, journal, maxSize)
  const trigger = graph.addNode(async function* trigger() {})
  const read = graph.addNode(
    async function* read(message: string) {
      yield message
    },
    { name: 'in', queue: inbound, maxTasks },
  )
  graph.addEdge(trigger, read)
  return { graph, inbound, read }
}

/** A node function that journals `wrote <item>` (a batch's items joined), a tick after its call. */
function journaledWrite(journal: Journal) {
  return async function* write(item: string | readonly string[]) {
    await tick()
    journal.add(`wrote ${typeof item === 'string' ? item : item.join('')}`)
  }
}

/** Adds a node `stop` that passes items on and halts the run at `culprit`. */
function addStop(graph: AsyncGraph, culprit: string) {
  return graph.addNode(
    async function* stop(item: string) {
      if (item === culprit) throw new Error('stop')
      yield item
    },
    { haltOnException: true },
  )
}

/** Runs a graph with a logger that prints nothing. */
const runQuietly = (graph: AsyncGraph) => new AsyncExecutor(graph, { logger: quiet }).execute()

/** A sink spec that buffers and commits every `every` items, and in `close()`. */
function committingSink(journal: Journal, name = 'sink', every = 0): NodeSpec<[string], never> {
  let context: NodeContext | undefined
  let buffer: string[] = []
  const commit = async (items: string[]) => {
    await tick()
    for (const item of items) journal.add(`${name} committed ${item}`)
  }
  return {
    name,
    commits: true,
    open(given) {
      context = given
    },
    async *fn(item: string) {
      if (every > 0 && buffer.length >= every) {
        const done = (context as NodeContext).beginCommit()
        const batch = buffer
        buffer = []
        await commit(batch)
        done()
      }
      buffer.push(item)
    },
    async close() {
      await commit(buffer)
      buffer = []
    },
  }
}

describe('work tracking: inbound items (push with onDone)', () => {
  it('calls onDone once per item, after the sink committed everything derived from it', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b', 'c'], journal)
    const double = graph.addNode(async function* double(message: string) {
      yield `${message}1`
      yield `${message}2`
    })
    graph.addEdge(read, double)
    graph.addEdge(double, graph.addNode(committingSink(journal, 'sink', 2)))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.ok).toBe(true)
    for (const message of ['a', 'b', 'c']) {
      expect(inbound.results.get(message)).toEqual([{ ok: true, errors: [] }])
      const done = journal.indexOf(`done ${message} true`)
      expect(journal.indexOf(`sink committed ${message}1`)).toBeLessThan(done)
      expect(journal.indexOf(`sink committed ${message}2`)).toBeLessThan(done)
    }
  })

  // guards the count of a node fed by an inbound queue: its pushed items are its `in`
  it("counts the items an inbound queue pushes with onDone in the node's in", async () => {
    const journal = new Journal()
    const { graph, read } = inboundGraph(['a', 'b', 'c'], journal)
    graph.addEdge(read, graph.addNode(committingSink(journal, 'sink')))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.dataFlowStats.in).toMatchObject({ in: 3, out: 3, err: 0 })
    expect(report.dataFlowStats.sink).toMatchObject({ in: 3 })
  })

  it('waits for every sink of a fan-out, and a fan-in keeps each origin apart', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b'], journal)
    const left = graph.addNode(committingSink(journal, 'left', 1))
    const right = graph.addNode(committingSink(journal, 'right'))
    graph.addEdge(read, left)
    graph.addEdge(read, right)
    await new AsyncExecutor(graph, { logger: quiet }).execute()
    for (const message of ['a', 'b']) {
      const done = journal.indexOf(`done ${message} true`)
      expect(journal.indexOf(`left committed ${message}`)).toBeLessThan(done)
      expect(journal.indexOf(`right committed ${message}`)).toBeLessThan(done)
    }
    expect(inbound.results.size).toBe(2)
  })

  it('follows items through a transform with maxTasks > 1', async () => {
    const journal = new Journal()
    const messages = Array.from({ length: 40 }, (_, index) => `m${index}`)
    const { graph, inbound, read } = inboundGraph(messages, journal, 4)
    const slow = graph.addNode(
      async function* slow(message: string) {
        for (let wait = Number(message.slice(1)) % 5; wait > 0; wait--) await tick()
        yield message
      },
      { maxTasks: 4 },
    )
    graph.addEdge(read, slow)
    graph.addEdge(slow, graph.addNode(committingSink(journal, 'sink', 3)))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.ok).toBe(true)
    expect(inbound.results.size).toBe(40)
    for (const message of messages) {
      expect(journal.indexOf(`sink committed ${message}`)).toBeLessThan(
        journal.indexOf(`done ${message} true`),
      )
    }
  })

  it('a batching queue: each item is done once its batch is committed', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b', 'c', 'd', 'e'], journal)
    graph.addEdge(
      read,
      graph.addNode(journaledWrite(journal), { queue: () => new BatchQueue<string>(3) }),
    )
    await runQuietly(graph)
    expect(inbound.results.size).toBe(5)
    for (const message of ['a', 'b', 'c']) {
      expect(journal.indexOf('wrote abc')).toBeLessThan(journal.indexOf(`done ${message} true`))
    }
    for (const message of ['d', 'e']) {
      expect(journal.indexOf('wrote de')).toBeLessThan(journal.indexOf(`done ${message} true`))
    }
  })

  it('a filtering queue: a dropped item is done no earlier than the next item pushed', async () => {
    class Odd extends AsyncQueue<string, string> {
      override put(item: string) {
        if (Number(item) % 2 === 0) return
        return this.push(item)
      }
    }
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['1', '2', '3', '4'], journal)
    graph.addEdge(read, graph.addNode(journaledWrite(journal), { queue: () => new Odd() }))
    await runQuietly(graph)
    expect(inbound.results.size).toBe(4)
    // '2' travels with '3'; '4' is released when the queue ended and drained.
    expect(journal.indexOf('wrote 3')).toBeLessThan(journal.indexOf('done 2 true'))
    expect(journal.indexOf('wrote 3')).toBeLessThan(journal.indexOf('done 4 true'))
  })

  it('a queue whose async puts overtake each other releases nothing early', async () => {
    // Guards the in-flight rule: a push outside a put's synchronous part carries every put in flight.
    class Overtaking extends AsyncQueue<string, string> {
      override async put(item: string) {
        if (item === 'a') for (let wait = 0; wait < 3; wait++) await tick()
        return this.push(item)
      }
    }
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b'], journal, 0, 2)
    const relay = graph.addNode(
      async function* relay(item: string) {
        yield item
      },
      { queue: () => new Overtaking() },
    )
    graph.addEdge(read, relay)
    graph.addEdge(relay, graph.addNode(journaledWrite(journal)))
    await runQuietly(graph)
    expect(inbound.results.size).toBe(2)
    expect(journal.indexOf('wrote a')).toBeLessThan(journal.indexOf('done a true'))
    expect(journal.indexOf('wrote b')).toBeLessThan(journal.indexOf('done b true'))
  })

  it('a failed call reports its origin failed, with the error', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['ok', 'bad'], journal)
    const check = graph.addNode(async function* check(message: string) {
      if (message === 'bad') throw new Error('refused bad')
      yield message
    })
    graph.addEdge(read, check)
    graph.addEdge(check, graph.addNode(committingSink(journal)))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.ok).toBe(false)
    expect(inbound.results.get('ok')).toEqual([{ ok: true, errors: [] }])
    const [bad] = inbound.results.get('bad') ?? []
    expect(bad?.ok).toBe(false)
    expect(bad?.errors.map((error) => error.message)).toEqual(['refused bad'])
  })

  it('a failed close() of a committing sink fails what it had not committed', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a'], journal)
    graph.addEdge(
      read,
      graph.addNode({
        name: 'sink',
        commits: true,
        async *fn(_item: string) {},
        close() {
          throw new Error('disk full')
        },
      }),
    )
    await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(inbound.results.get('a')?.[0]?.ok).toBe(false)
    expect(inbound.results.get('a')?.[0]?.errors[0]?.message).toBe('disk full')
  })

  it('a halt leaves the origins of dropped and unfinished items not done', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b', 'c', 'd'], journal)
    const stop = addStop(graph, 'b')
    graph.addEdge(read, stop)
    graph.addEdge(stop, graph.addNode(committingSink(journal)))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.halted).toBe(true)
    expect(inbound.results.has('b')).toBe(false)
    expect(inbound.results.has('c')).toBe(false)
    expect(inbound.results.has('d')).toBe(false)
  })

  it('from an abort on nothing is done, not even what close() commits after it', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b', 'c'], journal)
    const controller = new AbortController()
    const slow = graph.addNode(async function* slow(message: string) {
      if (message === 'b') {
        // 'a' reaches the sink first; the sink commits it only in close(), after the abort.
        for (let wait = 0; wait < 5; wait++) await tick()
        controller.abort()
      }
      yield message
    })
    graph.addEdge(read, slow)
    graph.addEdge(slow, graph.addNode(committingSink(journal)))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    expect(journal.lines).toEqual(['sink committed a'])
    expect(inbound.results.size).toBe(0)
  })

  it('push(item, onDone) outside a tracked run is refused, naming the fix', async () => {
    class Untracked extends AsyncQueue<string, string> {
      override put(item: string) {
        return this.push(item, () => {})
      }
    }
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield 'x'
    })
    const sink = graph.addNode(async function* sink(_item: string) {}, {
      queue: () => new Untracked(),
    })
    graph.addEdge(source, sink)
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.exceptions.sink?.[0]?.message).toMatch(/tracksWork/)
  })
})

describe('work tracking: outbound holds', () => {
  it('an origin is not done before the outbound queue releases its hold', async () => {
    const releases: (() => void)[] = []
    class Outbound extends AsyncQueue<string, string> {
      override get tracksWork(): boolean {
        return true
      }
      override put(_item: string) {
        releases.push(this.hold())
      }
    }
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b'], journal)
    const remote = graph.addNode(async function* remote(_item: string) {}, {
      queue: () => new Outbound(),
    })
    graph.addEdge(read, remote)
    const running = new AsyncExecutor(graph, { logger: quiet }).execute()
    while (releases.length < 2) await tick()
    for (let wait = 0; wait < 5; wait++) await tick()
    expect(inbound.results.size).toBe(0)
    releases[1]?.()
    expect([...inbound.results.keys()]).toEqual(['b'])
    releases[0]?.()
    releases[0]?.()
    expect(inbound.results.get('a')).toEqual([{ ok: true, errors: [] }])
    await running
  })
})

describe('work tracking: source positions (checkpoint)', () => {
  function pagedGraph(pages: number, perPage: number) {
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      for (let page = 0; page < pages; page++) {
        for (let row = 0; row < perPage; row++) yield `p${page}r${row}`
        yield checkpoint({ page })
      }
    })
    return { graph, source }
  }

  it('reports each position per sink, in order, after the sink committed the unit', async () => {
    const journal = new Journal()
    const { graph, source } = pagedGraph(4, 3)
    const upper = graph.addNode(
      async function* upper(item: string) {
        await tick()
        yield item.toUpperCase()
      },
      { maxTasks: 3 },
    )
    graph.addEdge(source, upper)
    graph.addEdge(upper, graph.addNode(committingSink(journal, 'a', 2)))
    graph.addEdge(source, graph.addNode(committingSink(journal, 'b', 5)))
    const events: PositionStored[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) => {
      events.push(event)
      journal.add(`stored ${event.sink} ${JSON.stringify(event.position)}`)
    })
    const report = await executor.execute()
    expect(report.ok).toBe(true)
    for (const sink of ['a', 'b']) {
      const positions = events.filter((event) => event.sink === sink).map((e) => e.position)
      expect(positions).toEqual([{ page: 0 }, { page: 1 }, { page: 2 }, { page: 3 }])
      for (let page = 0; page < 4; page++) {
        const stored = journal.indexOf(`stored ${sink} {"page":${page}}`)
        for (let row = 0; row < 3; row++) {
          const item = sink === 'a' ? `P${page}R${row}` : `p${page}r${row}`
          expect(journal.indexOf(`${sink} committed ${item}`)).toBeLessThan(stored)
        }
      }
    }
    // `complete` when the second sink stores it.
    for (let page = 0; page < 4; page++) {
      const forPage = events.filter((event) => (event.position as { page: number }).page === page)
      expect(forPage.map((event) => event.complete)).toEqual([false, true])
    }
  })

  it('a batching queue whose async puts run concurrently stores no position early', async () => {
    // Guards the in-flight rule: a put's item may sit in a batch after a push carried its lineage.
    const pageCount = 30
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* pages() {
      for (let page = 1; page <= pageCount; page++) {
        yield `${page}.a`
        yield `${page}.b`
        yield checkpoint({ page })
      }
    })
    const mid = graph.addNode(
      async function* mid(item: string) {
        yield item
      },
      { maxTasks: 2 },
    )
    const stored = new Set<string>()
    const sink = graph.addNode(
      async function* sink(batch: string[]) {
        for (const item of batch) stored.add(item)
      },
      { queue: () => new AsyncBatchQueue<string>(3, 0, () => sleep(1)) },
    )
    graph.addEdge(source, mid)
    graph.addEdge(mid, sink)
    const early: string[] = []
    const positions: number[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) => {
      const { page } = event.position as { page: number }
      positions.push(page)
      for (let at = 1; at <= page; at++) {
        for (const row of ['a', 'b']) {
          if (!stored.has(`${at}.${row}`)) early.push(`{page: ${page}} before ${at}.${row}`)
        }
      }
    })
    const report = await executor.execute()
    expect(report.ok).toBe(true)
    expect(stored.size).toBe(pageCount * 2)
    expect(early).toEqual([])
    expect(positions).toEqual(Array.from({ length: pageCount }, (_, index) => index + 1))
  })

  it('a unit with a failed call stops the frontier; units that reach no sink still pass', async () => {
    const journal = new Journal()
    const { graph, source } = pagedGraph(3, 2)
    const check = graph.addNode(async function* check(item: string) {
      if (item === 'p1r1') throw new Error('bad row')
      if (item.startsWith('p0')) return // filtered: page 0 reaches the sink with nothing
      yield item
    })
    graph.addEdge(source, check)
    graph.addEdge(check, graph.addNode(committingSink(journal)))
    const events: PositionStored[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) => events.push(event))
    await executor.execute()
    expect(events.map((event) => event.position)).toEqual([{ page: 0 }])
  })

  it('a halt reports no position the sinks did not commit', async () => {
    const journal = new Journal()
    const { graph, source } = pagedGraph(5, 2)
    const stop = addStop(graph, 'p2r0')
    graph.addEdge(source, stop)
    graph.addEdge(stop, graph.addNode(committingSink(journal, 'sink', 1)))
    const events: PositionStored[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) => events.push(event))
    const report = await executor.execute()
    expect(report.halted).toBe(true)
    const pages = events.map((event) => (event.position as { page: number }).page)
    expect(pages.every((page) => page < 2)).toBe(true)
  })

  it('a defineSink sink with close() stores a position only once close() committed', async () => {
    const journal = new Journal()
    const { graph, source } = pagedGraph(2, 2)
    let pending: string[] = []
    const sink = defineSink({
      name: 'sink',
      write: (item: string) => {
        pending.push(item)
      },
      close: () => {
        for (const item of pending) journal.add(`committed ${item}`)
        pending = []
      },
    })
    graph.addEdge(source, graph.addNode(sink))
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) =>
      journal.add(`stored ${JSON.stringify(event.position)}`),
    )
    await executor.execute()
    expect(journal.indexOf('committed p1r1')).toBeLessThan(journal.indexOf('stored {"page":0}'))
    expect(journal.indexOf('stored {"page":0}')).toBeLessThan(journal.indexOf('stored {"page":1}'))
  })

  it('a batching defineSink commits per durable batch when writeBatch begins and ends a commit', async () => {
    const journal = new Journal()
    const { graph, source } = pagedGraph(3, 2)
    let context: NodeContext | undefined
    const sink = defineSink({
      name: 'sink',
      batchSize: 2,
      open(given) {
        context = given
      },
      async writeBatch(items: string[]) {
        const done = (context as NodeContext).beginCommit()
        await tick()
        journal.add(`committed ${items.join(',')}`)
        done()
      },
    })
    graph.addEdge(source, graph.addNode(sink))
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) =>
      journal.add(`stored ${JSON.stringify(event.position)}`),
    )
    await executor.execute()
    expect(journal.lines.filter((line) => line.startsWith('stored'))).toEqual([
      'stored {"page":0}',
      'stored {"page":1}',
      'stored {"page":2}',
    ])
    // Page 0 is stored while the run goes on, after its batch, not only at close().
    expect(journal.indexOf('committed p0r0,p0r1')).toBeLessThan(
      journal.indexOf('stored {"page":0}'),
    )
    expect(journal.indexOf('stored {"page":0}')).toBeLessThan(
      journal.indexOf('committed p2r0,p2r1'),
    )
  })

  it('done(error) of a commit fails the origins it covered', async () => {
    const journal = new Journal()
    const { graph, inbound, read } = inboundGraph(['a', 'b'], journal)
    let context: NodeContext | undefined
    graph.addEdge(
      read,
      graph.addNode({
        name: 'sink',
        commits: true,
        open(given) {
          context = given
        },
        async *fn(item: string) {
          if (item === 'b') (context as NodeContext).beginCommit()(new Error('commit of a failed'))
        },
      }),
    )
    await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(inbound.results.get('a')?.[0]?.ok).toBe(false)
    expect(inbound.results.get('a')?.[0]?.errors[0]?.message).toBe('commit of a failed')
    expect(inbound.results.get('b')).toEqual([{ ok: true, errors: [] }])
  })

  it('without tracking, markers are consumed and never forwarded', async () => {
    const { graph, source } = pagedGraph(2, 1)
    const seen: unknown[] = []
    graph.addEdge(
      source,
      graph.addNode(async function* sink(item: unknown) {
        seen.push(item)
      }),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.ok).toBe(true)
    expect(seen).toEqual(['p0r0', 'p1r0'])
  })

  it('a checkpoint from a call that may not close units is an error of the node', async () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield 'a'
    })
    const relay = graph.addNode(async function* relay(item: string) {
      yield item
      yield checkpoint(1)
    })
    graph.addEdge(source, relay).addEdge(
      relay,
      graph.addNode(async function* sink(_: string) {}),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({ tracking: true })
    expect(report.exceptions.relay?.[0]?.message).toMatch(/checkpoints: true/)
  })

  it('rejects a non-boolean "tracking"', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* only() {})
    await expect(
      new AsyncExecutor(graph).execute({ tracking: 'yes' as unknown as boolean }),
    ).rejects.toThrow('execute option "tracking": expected a boolean, got "yes"')
  })
})

describe('work tracking: an idle committing sink writes what it holds', () => {
  /** A defineSink that commits each batch it writes, journaling batches and close(). */
  function batchSink(journal: Journal, batchSize: number, lingerMs?: number) {
    let context: NodeContext | undefined
    const batches: string[][] = []
    const sink = defineSink({
      name: 'sink',
      batchSize,
      lingerMs,
      open(given) {
        context = given
      },
      async writeBatch(items: string[]) {
        const done = (context as NodeContext).beginCommit()
        await tick()
        batches.push(items)
        journal.add(`wrote ${items.length}`)
        done()
      },
      close() {
        journal.add('close')
      },
    })
    return { sink, batches }
  }

  /**
   * A source that yields `count` items and a checkpoint, then waits until that position is
   * stored (or gives up after 5 s), like a slow trickling API.
   */
  function waitingSource(journal: Journal, count: number, stored: Promise<void>) {
    return async function* source() {
      for (let index = 0; index < count; index++) yield `r${index}`
      yield checkpoint({ page: 0 })
      const patience = sleep(5_000).then(() => 'gave up')
      journal.add(`source ${await Promise.race([stored.then(() => 'woke'), patience])}`)
    }
  }

  // Guards: a partial batch (and a batch filled by the last call) held the position until close().
  it.each([
    ['a partial batch', 100],
    ['a batch filled by the call of the last item', 10],
  ])('stores the position of %s once the queue stayed empty, not at close()', async (_, size) => {
    const journal = new Journal()
    const graph = new AsyncGraph()
    let onStored = () => {}
    const stored = new Promise<void>((resolve) => {
      onStored = resolve
    })
    const { sink, batches } = batchSink(journal, size)
    graph.addEdge(
      graph.addNode(waitingSource(journal, 10, stored), { name: 'source' }),
      graph.addNode(sink),
    )
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', (event) => {
      journal.add(`stored ${JSON.stringify(event.position)}`)
      onStored()
    })
    const report = await executor.execute()
    expect(report.ok).toBe(true)
    expect(journal.indexOf('stored {"page":0}')).toBeLessThan(journal.indexOf('close'))
    expect(journal.indexOf('source woke')).toBeGreaterThan(0)
    expect(batches.flat()).toEqual(Array.from({ length: 10 }, (_, index) => `r${index}`))
  })

  // Guards: an inbound edge that ends only once every message is acknowledged hung (NATS).
  it('acknowledges inbound items held in a partial batch, so an input that waits for them ends', async () => {
    const journal = new Journal()
    class Acking extends AsyncQueue<never, string> {
      override get tracksWork(): boolean {
        return true
      }
      override async end(): Promise<void> {
        const acked = Array.from(
          { length: 10 },
          (_, index) =>
            new Promise<void>((resolve) => {
              void this.push(`m${index}`, (result) => {
                if (result.ok) resolve()
              })
            }),
        )
        const all = Promise.all(acked).then(() => 'acked')
        journal.add(`input ${await Promise.race([all, sleep(5_000).then(() => 'gave up')])}`)
        return super.end()
      }
    }
    const graph = new AsyncGraph()
    const { sink, batches } = batchSink(journal, 100)
    graph.addEdge(
      graph.addNode(async function* trigger() {}),
      graph.addNode(sink, { queue: () => new Acking() }),
    )
    const report = await runQuietly(graph)
    expect(report.ok).toBe(true)
    expect(journal.indexOf('input acked')).toBeLessThan(journal.indexOf('close'))
    expect(batches.flat()).toHaveLength(10)
  })

  // Guards: the idle flush must wait for a pause of lingerMs, not write one item per batch.
  it('still writes full batches when items keep coming faster than the linger', async () => {
    const journal = new Journal()
    const graph = new AsyncGraph()
    const { sink, batches } = batchSink(journal, 100)
    const source = graph.addNode(async function* source() {
      for (let index = 0; index < 1000; index++) {
        await tick()
        yield `r${index}`
        if (index % 100 === 99) yield checkpoint({ index })
      }
    })
    graph.addEdge(source, graph.addNode(sink))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({ tracking: true })
    expect(report.ok).toBe(true)
    expect(batches.flat()).toHaveLength(1000)
    // Ten full batches on a quiet machine; a loaded one may pause past the linger a few times.
    expect(batches.length).toBeLessThan(100)
  })

  // Guards: the idle flush costs nothing without tracking (the partial batch waits for close()).
  it('does not write early in a run that does not track work', async () => {
    const journal = new Journal()
    const graph = new AsyncGraph()
    const { sink, batches } = batchSink(journal, 100, 1)
    graph.addEdge(
      graph.addNode(async function* source() {
        for (let index = 0; index < 10; index++) yield `r${index}`
        await sleep(200)
        journal.add('source done')
      }),
      graph.addNode(sink),
    )
    await runQuietly(graph)
    expect(batches).toHaveLength(1)
    expect(journal.indexOf('source done')).toBeLessThan(journal.indexOf('wrote 10'))
  })

  it('rejects a bad "lingerMs", naming it', () => {
    expect(() => defineSink({ name: 'sink', writeBatch() {}, lingerMs: -1 })).toThrow(
      /defineSink 'sink' option "lingerMs"/,
    )
  })
})
