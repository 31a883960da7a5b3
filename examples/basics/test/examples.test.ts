// Runs every example's `main()` quietly and checks what it returns against the original
// example's documented output. Order between concurrent nodes is not asserted where the
// original does not guarantee it either.
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as basicExample from '../basic-example-with-three-nodes.js'
import * as batchingByBatchSize from '../batching-by-batch-size.js'
import * as batchingWaitForAll from '../batching-wait-for-all.js'
import * as combineData from '../combine-data-from-multiple-source-nodes.js'
import * as concurrentTasks from '../concurrent-tasks-per-node.js'
import * as customStartNodeArgs from '../custom-start-node-args.js'
import * as customStartNodes from '../custom-start-nodes.js'
import * as dataFlowLogging from '../data-flow-logging.js'
import * as externalSyncCall from '../external-sync-call.js'
import * as graphWithBranching from '../graph-with-branching.js'
import * as graphWithNoEdges from '../graph-with-no-edges.js'
import * as haltAtSpecificNode from '../halt-on-exception-at-a-specific-node.js'
import * as haltAtAnyNode from '../halt-on-exception-at-any-node.js'
import * as haltOnMismatchedArgs from '../halt-on-mismatched-num-of-args.js'
import * as numberRange from '../number-range.js'
import * as preloadedQueue from '../preloaded-queue.js'
import * as quickstart from '../quickstart.js'
import * as raisingAnException from '../raising-an-exception.js'
import * as sharedState from '../shared-state.js'

const quiet = (): void => {}
const byNumber = (a: number, b: number) => a - b

const tested = new Set<string>()
function example(file: string, test: () => Promise<void>): void {
  tested.add(file)
  it(file, test)
}

describe('examples/basics', () => {
  example('basic-example-with-three-nodes.ts', async () => {
    const result = await basicExample.main(quiet)
    expect(result.nodesToEdges).toEqual({ extract: ['transform'], transform: ['load'], load: [] })
    expect(result.transformerReceived).toEqual(['hello', 'world'])
    expect(result.loaded).toEqual(['Hello', 'World'])
    expect(result.report.dataFlowStats.load).toEqual({ in: 2, out: 2, err: 0 })
  })

  example('batching-by-batch-size.ts', async () => {
    const result = await batchingByBatchSize.main(quiet)
    expect(result.yielded).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(result.batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ])
    expect(result.report.dataFlowStats.batched_inputs).toEqual({ in: 10, out: 3, err: 0 })
  })

  example('batching-wait-for-all.ts', async () => {
    const result = await batchingWaitForAll.main(quiet)
    expect(result.batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
  })

  example('combine-data-from-multiple-source-nodes.ts', async () => {
    const result = await combineData.main(quiet)
    expect(result.received).toEqual([
      [3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
    ])
    expect(result.report.dataFlowStats.final_node).toEqual({ in: 12, out: 3, err: 0 })
  })

  example('concurrent-tasks-per-node.ts', async () => {
    const [one, five] = await concurrentTasks.main(quiet)
    expect(one).toMatchObject({ maxTasks: 1, received: [0, 1, 2, 3, 4], peakConcurrency: 1 })
    expect(five?.maxTasks).toBe(5)
    expect(five?.peakConcurrency).toBe(5)
    expect(five?.received.toSorted(byNumber)).toEqual([0, 1, 2, 3, 4])
  })

  example('custom-start-node-args.ts', async () => {
    const result = await customStartNodeArgs.main(quiet)
    expect(result.nodesToEdges).toEqual({ node1: ['node3'], node2: ['node3'], node3: [] })
    expect(result.startNodes).toEqual({ node1: ['foo'], node2: ['bar'] })
    const received = result.node3Received
    expect(received.toSorted()).toEqual(['bar', 'data1', 'data2', 'foo', 'hello', 'world'])
    expect(received.filter((item) => ['foo', 'hello', 'world'].includes(item))).toEqual([
      'foo',
      'hello',
      'world',
    ])
    expect(received.filter((item) => ['bar', 'data1', 'data2'].includes(item))).toEqual([
      'bar',
      'data1',
      'data2',
    ])
  })

  example('custom-start-nodes.ts', async () => {
    const result = await customStartNodes.main(quiet)
    expect(result.transformerReceived).toEqual(['new_data'])
    expect(result.loaded).toEqual(['data1', 'data2'])
    expect(result.logLines).toEqual([
      ' node1 - in=0, out=0, err=0',
      ' node2 - in=0, out=2, err=0',
      ' node3 - in=2, out=2, err=0',
    ])
  })

  example('data-flow-logging.ts', async () => {
    const { logLines } = await dataFlowLogging.main(quiet)
    for (const line of logLines) expect(line).toMatch(/^ (transform|load) - in=\d, out=\d, err=0$/)
    // Logged while the run lasted, not only at its end.
    expect(logLines.length).toBeGreaterThan(2)
    expect(logLines.slice(-2)).toEqual([
      ' transform - in=3, out=3, err=0',
      ' load - in=3, out=3, err=0',
    ])
  })

  example('external-sync-call.ts', async () => {
    const result = await externalSyncCall.main(quiet)
    expect(result.outputs.toSorted()).toEqual(
      ['load1 0', 'load1 1', 'load1 2', 'load2 0', 'load2 1', 'load2 2'].flatMap((line) => [
        line,
        line,
      ]),
    )
    expect(result.report.dataFlowStats.load2).toEqual({ in: 2, out: 6, err: 0 })
    expect(result.report.dataFlowStats.output).toEqual({ in: 12, out: 12, err: 0 })
  })

  example('graph-with-branching.ts', async () => {
    const result = await graphWithBranching.main(quiet)
    expect(result.nodesToEdges).toEqual({
      extract: ['transform'],
      transform: ['load', 'print_data'],
      load: ['end_task'],
      print_data: [],
      end_task: [],
    })
    expect(result.transformed).toEqual(['hello', 'world'])
    expect(result.loaded.toSorted()).toEqual(['Hello', 'World'])
    expect(result.printed.toSorted()).toEqual(['Hello', 'World'])
    expect(result.endTasks).toBe(2)
  })

  example('graph-with-no-edges.ts', async () => {
    const result = await graphWithNoEdges.main(quiet)
    expect(result.nodesToEdges).toEqual({ node1: [], node2: [], node3: [] })
    expect(result.ran.toSorted()).toEqual(['node1', 'node2', 'node3'])
    expect(result.peakConcurrency).toBe(3)
    expect(result.startNodes).toEqual({ node1: [], node2: [], node3: [] })
  })

  for (const [file, module] of [
    ['halt-on-exception-at-a-specific-node.ts', haltAtSpecificNode],
    ['halt-on-exception-at-any-node.ts', haltAtAnyNode],
  ] as const) {
    example(file, async () => {
      const { loaded, outputs, report } = await module.main(quiet)
      expect(loaded).toEqual(['Hello', 'World'])
      expect(outputs).toEqual(['Hello'])
      expect(report.halted).toBe(true)
      expect(report.haltedBy).toBe('load')
      expect(report.exceptions.load?.map((error) => error.message)).toEqual([
        'intentional error for World',
      ])
      expect(report.dataFlowStats.load).toMatchObject({ out: 1, err: 1 })
    })
  }

  example('halt-on-mismatched-num-of-args.ts', async () => {
    const { transformerReceived, loaded, report } = await haltOnMismatchedArgs.main(quiet)
    expect(transformerReceived).toEqual([0, 1, 2, 3])
    expect(loaded.toSorted(byNumber)).toEqual([0, 1, 2, 3])
    expect(report.halted).toBe(false)
    expect(report.dataFlowStats.load).toEqual({ in: 5, out: 4, err: 1 })
    expect(report.exceptions.load?.[0]).toBeInstanceOf(TypeError)
    expect(report.exceptions.load?.[0]?.message).toBe(
      'load() takes 1 positional argument but 2 were given',
    )
  })

  example('number-range.ts', async () => {
    const { transformerReceived, flushes } = await numberRange.main(quiet)
    expect(transformerReceived).toEqual([1, 4, 9, 16, 25, 36, 49, 64, 81, 100, undefined])
    expect(flushes).toEqual([
      [1, 64, 729],
      [4096, 15625, 46656],
      [117649, 262144, 531441],
      [1000000],
    ])
  })

  example('preloaded-queue.ts', async () => {
    const { received, report } = await preloadedQueue.main(quiet)
    expect(received).toEqual(['preloaded 1', 'preloaded 2', 'from source 1', 'from source 2'])
    expect(report.dataFlowStats.destination).toEqual({ in: 2, out: 4, err: 0 })
  })

  example('quickstart.ts', async () => {
    const result = await quickstart.main(quiet)
    expect(result.func5Received.toSorted()).toEqual([
      'From func2: From func1: 0 + 2nd arg from func3',
      'From func2: From func1: 0 + 2nd arg from func4',
      'From func2: From func1: 1 + 2nd arg from func3',
      'From func2: From func1: 1 + 2nd arg from func4',
    ])
  })

  example('raising-an-exception.ts', async () => {
    const error = await raisingAnException.main(quiet).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('oh no! something went wrong in the graph execution')
    const cause = (error as Error).cause as AggregateError
    expect(cause).toBeInstanceOf(AggregateError)
    expect(cause.errors.map((each: Error) => each.message)).toEqual([
      'bad data: hello',
      'bad data: world',
    ])
    expect(cause.errors.every((each) => each instanceof raisingAnException.ValueError)).toBe(true)
  })

  example('shared-state.ts', async () => {
    const result = await sharedState.main(quiet)
    expect(result.node2Received).toEqual(['hello', 'world'])
  })

  it('covers every example file', async () => {
    const directory = fileURLToPath(new URL('..', import.meta.url))
    const files = (await readdir(directory)).filter(
      (file) => file.endsWith('.ts') && file !== 'vitest.config.ts',
    )
    expect(files.toSorted()).toEqual([...tested].toSorted())
  })
})
