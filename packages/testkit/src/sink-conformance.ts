import { AsyncExecutor, AsyncGraph, type NodeSpec } from '@graphflow/core'
import { describe, expect } from 'vitest'
import { caseRunner, fixtures, type SkippedCase, silent } from './conformance-shared.js'
import { type ProbeCounts, probe } from './probe.js'

/** A case of {@link describeSinkConformance} that a connector may skip, with a reason. */
export type SinkConformanceCase =
  | 'lifecycle'
  | 'stores-everything'
  | 'close-after-halt'
  | 'close-after-abort'
  | 'empty-run'
  | 'bad-item'

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
