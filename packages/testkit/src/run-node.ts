import {
  AsyncExecutor,
  AsyncGraph,
  type ExecutionReport,
  type Logger,
  type NodeFunction,
  type NodeOptions,
  type NodeSpec,
} from '@graphflow/core'
import { memoryLogger } from './memory-logger.js'

/** Options of {@link runNode}. */
export interface RunNodeOptions<Out = unknown> {
  /** Items fed to the node one per call, from an upstream feeder node. @default none: the node is a start node */
  inputs?: Iterable<unknown> | AsyncIterable<unknown>
  /** Arguments of the start call when there are no `inputs`. @default [] */
  startArgs?: unknown[]
  /** Aborts the run. */
  signal?: AbortSignal
  /** Node options overriding the spec's. */
  options?: Omit<NodeOptions, 'name'>
  /** Where the executor logs. @default a logger that keeps the lines in `result.logs` */
  logger?: Logger
  /** Called with each output as it arrives (to abort a run mid-way, say). @default undefined */
  onOutput?: (output: Out) => void
}

/** What {@link runNode} resolves with. */
export interface RunNodeResult<Out> {
  /** Everything the node yielded, in order. */
  outputs: Out[]
  /** The executor's report. */
  report: ExecutionReport
  /** The node's errors (`report.exceptions[name]`). */
  errors: Error[]
  /** Lines logged through `info` and `error` when no logger was given. */
  logs: string[]
}

/**
 * Runs one node (a connector's `NodeSpec` or a function) in a graph of its own and collects
 * what it yields.
 *
 * @example
 * ```ts
 * const { outputs, errors } = await runNode(httpSource({ url }), {})
 * const { report } = await runNode(csvSink({ path }), { inputs: [{ id: 1 }, { id: 2 }] })
 * ```
 */
export async function runNode<In extends unknown[], Out>(
  node: NodeSpec<In, Out> | NodeFunction<In, Out>,
  options: RunNodeOptions<Out> = {},
): Promise<RunNodeResult<Out>> {
  const kept = memoryLogger()
  const logger: Logger = options.logger ?? kept
  const onOutput = options.onOutput
  const outputs: Out[] = []
  const graph = new AsyncGraph()
  const under = graph.addNode(node as NodeSpec<unknown[], Out>, options.options ?? {})
  const collector = graph.addNode(async function* testkitCollect(item: Out) {
    outputs.push(item)
    onOutput?.(item)
  })
  graph.addEdge(under.name, collector.name)
  const inputs = options.inputs
  if (inputs !== undefined) {
    const feeder = graph.addNode(async function* testkitFeed() {
      yield* inputs
    })
    graph.addEdge(feeder.name, under.name)
  }
  const executor = new AsyncExecutor(graph, { logger })
  const startNodes =
    inputs === undefined ? { [under.name]: options.startArgs ?? [] } : { testkitFeed: [] }
  const report = await executor.execute({ startNodes, signal: options.signal })
  return { outputs, report, errors: report.exceptions[under.name] ?? [], logs: kept.lines }
}
