/**
 * Several values a node yields to be spread into its destination's parameters,
 * the counterpart of a tuple in async-graph-data-flow. Create one with {@link args}.
 */
export class Args<Values extends unknown[] = unknown[]> {
  /** The values, in parameter order. */
  readonly values: Values

  constructor(values: Values) {
    this.values = values
  }
}

/**
 * Packs values so that the destination node is called with them spread:
 * `yield args(a, b)` calls `destination(a, b)`.
 *
 * Anything else a node yields (arrays and plain objects included) is passed as one argument.
 *
 * @example
 * ```ts
 * async function* split(line: string) {
 *   const [key, value] = line.split('=')
 *   yield args(key, Number(value))
 * }
 * async function* store(key: string, value: number) { ... }
 * ```
 */
export function args<Values extends unknown[]>(...values: Values): Args<Values> {
  return new Args(values)
}
