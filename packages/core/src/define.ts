import type { NodeContext, NodeOptions, NodeSpec } from './node-spec.js'

function checkSpecName(name: unknown, helper: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${helper}: expected "name" to be a non-empty string, got ${String(name)}`)
  }
}

/**
 * Checks and returns a {@link NodeSpec}: the identity with validation and inference.
 *
 * @example
 * ```ts
 * export function upperCase() {
 *   return defineNode({
 *     name: 'upper-case',
 *     fn: async function* upperCase(text: string) { yield text.toUpperCase() },
 *   })
 * }
 * ```
 */
export function defineNode<In extends unknown[], Out>(spec: NodeSpec<In, Out>): NodeSpec<In, Out> {
  checkSpecName(spec.name, 'defineNode')
  if (typeof spec.fn !== 'function') {
    throw new TypeError(`defineNode: expected "fn" to be a function, got ${typeof spec.fn}`)
  }
  return spec
}

/** What {@link defineSource} takes. */
export interface SourceDefinition<Out, StartArgs extends unknown[] = []> {
  /** The default node name. */
  name: string
  /** Produces the items; called once per start (or per incoming item). */
  read(...input: StartArgs): AsyncIterable<Out> | Iterable<Out>
  /** Opens what `read` needs: once per run, before the first call. */
  open?(context: NodeContext): Promise<void> | void
  /** Releases it: once per run, in every outcome (its context's signal is not aborted). */
  close?(context?: NodeContext): Promise<void> | void
  /** Node option defaults the user may override. */
  options?: Omit<NodeOptions, 'name'>
  /**
   * Every call of `read` (not only a start call) may yield `checkpoint(position)` markers.
   * @default false
   */
  checkpoints?: boolean
}

/**
 * Makes a source {@link NodeSpec} from a `read` function that returns any (async) iterable.
 *
 * @example
 * ```ts
 * const numbers = defineSource({ name: 'numbers', read: () => [1, 2, 3] })
 * graph.addNode(numbers)
 * ```
 */
export function defineSource<Out, StartArgs extends unknown[] = []>(
  definition: SourceDefinition<Out, StartArgs>,
): NodeSpec<StartArgs, Out> {
  checkSpecName(definition.name, 'defineSource')
  const read = definition.read.bind(definition)
  return {
    name: definition.name,
    fn: async function* source(...input: StartArgs) {
      yield* read(...input)
    },
    open: definition.open?.bind(definition),
    close: definition.close?.bind(definition),
    options: definition.options,
    checkpoints: definition.checkpoints === true,
  }
}

/** What {@link defineSink} takes. */
export interface SinkDefinition<In> {
  /** The default node name. */
  name: string
  /** Stores one item. The node yields nothing. */
  write(item: In): Promise<void> | void
  /** Opens the target: once per run, before the first write. */
  open?(context: NodeContext): Promise<void> | void
  /** Flushes and commits everything written (its context's signal is not aborted). */
  close?(context?: NodeContext): Promise<void> | void
  /** Node option defaults the user may override. */
  options?: Omit<NodeOptions, 'name'>
  /**
   * What is written is stored only at a commit: `context.beginCommit()`'s `done()`, or
   * `close()` (see "Work tracking" in the README). False for a `write` that stores durably
   * before it resolves. @default true when `close` is given, else false
   */
  commits?: boolean
}

/**
 * Makes a sink {@link NodeSpec} from a `write` function; flush in `close`.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * const collect = defineSink({ name: 'collect', write: (line: string) => { lines.push(line) } })
 * ```
 */
export function defineSink<In>(definition: SinkDefinition<In>): NodeSpec<[In], never> {
  checkSpecName(definition.name, 'defineSink')
  const write = definition.write.bind(definition)
  return {
    name: definition.name,
    fn: async function* sink(item: In): AsyncGenerator<never, void, undefined> {
      await write(item)
    },
    open: definition.open?.bind(definition),
    close: definition.close?.bind(definition),
    options: definition.options,
    commits: definition.commits ?? definition.close !== undefined,
  }
}
