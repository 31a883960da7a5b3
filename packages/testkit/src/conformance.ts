import { AsyncExecutor, AsyncGraph, type Logger, type NodeSpec } from '@graphflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type ProbeCounts, probe } from './probe.js'

/** A case of {@link describeSourceConformance} that a connector may skip, with a reason. */
export type SourceConformanceCase =
  | 'lifecycle'
  | 'no-output-after-close'
  | 'close-after-halt'
  | 'close-after-abort'
  | 'rerun'

/** A case of {@link describeSinkConformance} that a connector may skip, with a reason. */
export type SinkConformanceCase =
  | 'lifecycle'
  | 'stores-everything'
  | 'close-after-halt'
  | 'close-after-abort'
  | 'empty-run'
  | 'bad-item'

/** A skipped case and why. */
export interface SkippedCase<Case extends string> {
  /** The case. */
  test: Case
  /** Why this connector cannot pass it; shown in the test title. */
  reason: string
}

/** A fresh source under test. */
export interface SourceFixture<Out> {
  /** A fresh spec of the source under test. */
  spec: NodeSpec<never, Out>
  /** Start-call arguments. @default [] */
  startArgs?: unknown[]
  /** The least number of items a full run yields. @default 1 */
  expected?: number
  /** Removes what the fixture made (files, servers), after the case. */
  cleanup?(): Promise<void> | void
}

/** Options of {@link describeSourceConformance}. */
export interface SourceConformanceOptions<Out> {
  /** Shown in the suite's title. */
  name: string
  /** Makes a fresh fixture for each case. It must yield at least 2 items. */
  make(): Promise<SourceFixture<Out>> | SourceFixture<Out>
  /** Cases this source skips, each with a reason. */
  skip?: SkippedCase<SourceConformanceCase>[]
}

/** A fresh sink under test. */
export interface SinkFixture<In> {
  /** A fresh spec of the sink under test. */
  spec: NodeSpec<[In], unknown>
  /** Reads back what the sink stored, one entry per item written. */
  read(): Promise<unknown[]> | unknown[]
  /** Removes what the fixture made (files, databases), after the case. */
  cleanup?(): Promise<void> | void
}

/** Options of {@link describeSinkConformance}. */
export interface SinkConformanceOptions<In> {
  /** Shown in the suite's title. */
  name: string
  /** Makes a fresh fixture for each case. */
  make(): Promise<SinkFixture<In>> | SinkFixture<In>
  /** Items to write, one per call; at least 4. */
  items(): In[]
  /** An item the sink must reject with an error whose message matches. */
  badItem?: { item: In; message: RegExp }
  /** Cases this sink skips, each with a reason. */
  skip?: SkippedCase<SinkConformanceCase>[]
}

const silent: Logger = { info: () => {}, error: () => {} }

/**
 * Waits until the sink has accepted `count` items (at most 5 s), so that a halt or an abort
 * finds exactly that many accepted, all of which must then be stored.
 */
async function untilAccepted(counts: ProbeCounts, count: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (counts.accepted < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** The most runs the halt and abort cases of {@link describeSinkConformance} make. */
const MAX_STOP_POINTS = 10

/**
 * The numbers of accepted items after which the sink's halt and abort cases stop a run: 1, 2,
 * ... up to `total - 1` (at most {@link MAX_STOP_POINTS}). A sink that loses a partial batch
 * when the run stops leaves one behind for some of them, whatever its batch size: after 1 item
 * for every batch size above 1.
 */
function stopPoints(total: number): number[] {
  return Array.from({ length: Math.min(total - 1, MAX_STOP_POINTS) }, (_, index) => index + 1)
}

/** Makes fresh fixtures for a suite's cases; call it inside the suite's `describe`: its
 * `afterEach` cleans up what each case made. */
function fixtures<Fixture extends { cleanup?(): Promise<void> | void }>(
  make: () => Promise<Fixture> | Fixture,
): () => Promise<Fixture> {
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })
  return async () => {
    const made = await make()
    if (made.cleanup) cleanups.push(made.cleanup.bind(made))
    return made
  }
}

/**
 * Registers a case: skipped with its reason when the connector skips it, or when its input is
 * missing (`missing` says which), so that no case passes without having checked anything.
 */
function caseRunner<Case extends string>(skip: SkippedCase<Case>[] | undefined) {
  return (name: Case, body: () => Promise<void>, missing?: string) => {
    const reason = skip?.find((each) => each.test === name)?.reason ?? missing
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, body)
    else it(name, body)
  }
}

/**
 * The node-factory contract for sources, as vitest cases: open/close once per run, close after
 * a halt and an abort, no output after close, a second run of the same spec works.
 *
 * @example
 * ```ts
 * describeSourceConformance({
 *   name: 'csvSource',
 *   make: () => ({ spec: csvSource({ path: fixture }), expected: 3 }),
 * })
 * ```
 */
export function describeSourceConformance<Out>(options: SourceConformanceOptions<Out>): void {
  const run = caseRunner(options.skip)
  const execute = async (
    made: SourceFixture<Out>,
    sink: (item: Out) => void,
    halt = false,
    signal?: AbortSignal,
  ) => {
    const probed = probe(made.spec)
    const graph = new AsyncGraph()
    const source = graph.addNode(probed.spec)
    const target = graph.addNode(
      async function* conformanceSink(item: Out) {
        sink(item)
      },
      { haltOnException: halt },
    )
    graph.addEdge(source.name, target.name)
    const report = await new AsyncExecutor(graph, { logger: silent }).execute({
      startNodes: { [source.name]: made.startArgs ?? [] },
      signal,
    })
    return { report, counts: probed.counts, name: source.name }
  }

  describe(`${options.name}: source conformance`, () => {
    const fixture = fixtures(options.make)

    run('lifecycle', async () => {
      const made = await fixture()
      const items: Out[] = []
      const { report, counts, name } = await execute(made, (item) => items.push(item))
      expect(report.exceptions[name]).toEqual([])
      expect(counts.opens).toBe(1)
      expect(counts.closes).toBe(1)
      expect(items.length).toBeGreaterThanOrEqual(made.expected ?? 1)
    })

    run('no-output-after-close', async () => {
      const { counts } = await execute(await fixture(), () => {})
      expect(counts.outputs).toBeGreaterThan(0)
      expect(counts.outputsAfterClose).toBe(0)
    })

    run('close-after-halt', async () => {
      const { report, counts } = await execute(
        await fixture(),
        () => {
          throw new Error('conformance: halt')
        },
        true,
      )
      expect(report.halted).toBe(true)
      expect(counts.opens).toBe(1)
      expect(counts.closes).toBe(1)
      expect(counts.signal?.aborted).toBe(true)
    })

    run('close-after-abort', async () => {
      const controller = new AbortController()
      const { report, counts } = await execute(
        await fixture(),
        () => controller.abort(),
        false,
        controller.signal,
      )
      expect(report.aborted).toBe(true)
      expect(counts.opens).toBe(1)
      expect(counts.closes).toBe(1)
    })

    run('rerun', async () => {
      const made = await fixture()
      const first: Out[] = []
      const second: Out[] = []
      await execute(made, (item) => first.push(item))
      const { report, counts, name } = await execute(made, (item) => second.push(item))
      expect(report.exceptions[name]).toEqual([])
      expect(counts.opens).toBe(1)
      // Two empty runs would prove nothing: the first must yield what lifecycle expects.
      expect(first.length).toBeGreaterThanOrEqual(made.expected ?? 1)
      expect(second.length).toBe(first.length)
    })
  })
}

/**
 * The node-factory contract for sinks, as vitest cases: open/close once per run, everything
 * accepted is stored when `execute()` resolves (also after a halt or an abort), an empty run
 * works, a bad item is an error with context.
 *
 * @example
 * ```ts
 * describeSinkConformance({
 *   name: 'csvSink',
 *   make: () => ({ spec: csvSink({ path }), read: () => readRows(path) }),
 *   items: () => [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
 * })
 * ```
 */
export function describeSinkConformance<In>(options: SinkConformanceOptions<In>): void {
  const run = caseRunner(options.skip)
  /**
   * Feeds items to the sink; `after(index, counts)` is awaited once item `index` is yielded, and
   * nothing more is fed once `signal` aborted.
   */
  const execute = async (
    made: SinkFixture<In>,
    items: In[],
    after?: (index: number, counts: ProbeCounts) => Promise<void> | void,
    signal?: AbortSignal,
  ) => {
    const probed = probe(made.spec)
    const graph = new AsyncGraph()
    const feeder = graph.addNode(
      async function* conformanceFeed() {
        for (const [index, item] of items.entries()) {
          yield item
          await after?.(index, probed.counts)
          if (signal?.aborted) return
        }
      },
      { haltOnException: true },
    )
    const sink = graph.addNode(probed.spec)
    graph.addEdge(feeder.name, sink.name)
    const report = await new AsyncExecutor(graph, { logger: silent }).execute({ signal })
    return { report, counts: probed.counts, name: sink.name }
  }

  /** The items to write; at least 4, or the cases that write them would check nothing. */
  const itemsToWrite = () => {
    const items = options.items()
    if (!Array.isArray(items) || items.length < 4) {
      throw new TypeError(
        `describeSinkConformance option "items": expected a function returning at least 4 items, got ${Array.isArray(items) ? `${items.length}` : typeof items}`,
      )
    }
    return items
  }

  /**
   * Stops a run (a halt or an abort) once the sink accepted exactly `count` items, for each of
   * {@link stopPoints}, each with a fresh fixture; everything accepted must be stored.
   */
  const stopAfterEach = async (fixture: () => Promise<SinkFixture<In>>, stop: 'halt' | 'abort') => {
    const items = itemsToWrite()
    for (const count of stopPoints(items.length)) {
      const made = await fixture()
      const controller = new AbortController()
      const { report, counts } = await execute(
        made,
        items,
        async (index, counts) => {
          await untilAccepted(counts, index + 1)
          if (index + 1 !== count) return
          if (stop === 'halt') throw new Error('conformance: halt')
          controller.abort()
        },
        controller.signal,
      )
      const where = `${stop} after ${count} of ${items.length} items`
      expect(stop === 'halt' ? report.halted : report.aborted, where).toBe(true)
      expect(counts.closes, where).toBe(1)
      expect(counts.accepted, where).toBe(count)
      expect(await made.read(), `${where}: everything accepted is stored`).toHaveLength(count)
    }
  }

  describe(`${options.name}: sink conformance`, () => {
    const fixture = fixtures(options.make)

    run('lifecycle', async () => {
      const { report, counts, name } = await execute(await fixture(), itemsToWrite())
      expect(report.exceptions[name]).toEqual([])
      expect(counts.opens).toBe(1)
      expect(counts.closes).toBe(1)
    })

    run('stores-everything', async () => {
      const made = await fixture()
      const items = itemsToWrite()
      const { counts } = await execute(made, items)
      expect(counts.accepted).toBe(items.length)
      expect(await made.read()).toHaveLength(items.length)
    })

    run('close-after-halt', () => stopAfterEach(fixture, 'halt'))

    run('close-after-abort', () => stopAfterEach(fixture, 'abort'))

    run('empty-run', async () => {
      const made = await fixture()
      const { report, counts, name } = await execute(made, [])
      expect(report.exceptions[name]).toEqual([])
      expect(counts.opens).toBe(1)
      expect(counts.closes).toBe(1)
      expect(await made.read()).toHaveLength(0)
    })

    const bad = options.badItem
    run(
      'bad-item',
      async () => {
        if (!bad) throw new Error('unreachable: the case is skipped without badItem')
        const { report, name } = await execute(await fixture(), [bad.item])
        const errors = report.exceptions[name] ?? []
        expect(errors.length).toBeGreaterThan(0)
        expect(errors[0]?.message).toMatch(bad.message)
        expect(errors[0]?.message).toMatch(/\[graphflow\]/)
      },
      bad ? undefined : 'no badItem given',
    )
  })
}
