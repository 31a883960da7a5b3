import { AsyncExecutor, AsyncGraph, type NodeSpec } from '@graphflow/core'
import { describe, expect } from 'vitest'
import { caseRunner, fixtures, type SkippedCase, silent } from './conformance-shared.js'
import { probe } from './probe.js'

/** A case of {@link describeSourceConformance} that a connector may skip, with a reason. */
export type SourceConformanceCase =
  | 'lifecycle'
  | 'no-output-after-close'
  | 'close-after-halt'
  | 'close-after-abort'
  | 'rerun'

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
