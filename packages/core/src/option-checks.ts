import { describeValue } from './describe-value.js'

/** Bounds of {@link OptionChecks.integer} and {@link OptionChecks.number}. */
export interface NumberLimits {
  /** The smallest value allowed. @default no lower bound */
  min?: number
  /** The largest value allowed. @default no upper bound */
  max?: number
  /** Also accept `Infinity` ("no limit"). @default false */
  allowInfinity?: boolean
}

/**
 * Option checks of one factory that validate and default in one call. Every check throws a
 * `TypeError` in one format: `csvSink option "batchSize": expected an integer >= 1, got -3`.
 * An absent option (`undefined`) gets the fallback; pass `undefined` as the fallback for an
 * optional option without a default.
 */
export interface OptionChecks {
  /** The factory the messages name, e.g. `csvSink`. */
  readonly factory: string
  /** Throws unless `options` is an options object (not null, not an array). */
  object(options: unknown): void
  /**
   * Throws the one-format `TypeError` for an option. `described` replaces the description of
   * `value` when it must not be shown as it is (a secret, a URL with credentials).
   */
  fail(option: string, expected: string, value: unknown, described?: string): never
  /** A non-empty string, or the fallback when absent. */
  string<Fallback extends string | undefined>(
    option: string,
    value: unknown,
    fallback: Fallback,
  ): string | Fallback
  /** A non-empty string that must be given. */
  requiredString(option: string, value: unknown): string
  /** A boolean, or the fallback when absent. */
  boolean<Fallback extends boolean | undefined>(
    option: string,
    value: unknown,
    fallback: Fallback,
  ): boolean | Fallback
  /** An integer within the limits, or the fallback when absent. */
  integer<Fallback extends number | undefined>(
    option: string,
    value: unknown,
    fallback: Fallback,
    limits?: NumberLimits,
  ): number | Fallback
  /** A finite number within the limits (or `Infinity` if allowed), or the fallback when absent. */
  number<Fallback extends number | undefined>(
    option: string,
    value: unknown,
    fallback: Fallback,
    limits?: NumberLimits,
  ): number | Fallback
  /** One of `allowed` (compared with `===`), or the fallback when absent. */
  oneOf<const Allowed, Fallback extends Allowed | undefined>(
    option: string,
    value: unknown,
    allowed: readonly Allowed[],
    fallback: Fallback,
  ): Allowed | Fallback
  /**
   * A function, or the fallback when absent.
   * @typeParam Fn - the option's function type
   * @typeParam Fallback - the fallback's type (`undefined` for none)
   */
  function<Fn extends (...input: never[]) => unknown, Fallback extends Fn | undefined>(
    option: string,
    value: Fn | undefined,
    fallback: Fallback,
  ): Fn | Fallback
  /**
   * A function that must be given.
   * @typeParam Fn - the option's function type
   */
  requiredFunction<Fn extends (...input: never[]) => unknown>(option: string, value: Fn): Fn
}

function numberExpected(kind: string, limits: NumberLimits): string {
  const bounds: string[] = []
  if (limits.min !== undefined) bounds.push(`>= ${limits.min}`)
  if (limits.max !== undefined) bounds.push(`<= ${limits.max}`)
  const text = bounds.length > 0 ? `${kind} ${bounds.join(' and ')}` : kind
  return limits.allowInfinity ? `${text} or Infinity` : text
}

function withinLimits(value: number, limits: NumberLimits): boolean {
  return (
    (limits.min === undefined || value >= limits.min) &&
    (limits.max === undefined || value <= limits.max)
  )
}

/**
 * The option checks of a factory: validate and default in one call, with one message format.
 *
 * @example
 * ```ts
 * const check = optionChecks('shopSink')
 * check.object(options)
 * const batchSize = check.integer('batchSize', options.batchSize, 100, { min: 1 })
 * const name = check.string('name', options.name, 'shopSink')
 * // shopSink option "batchSize": expected an integer >= 1, got -3
 * ```
 */
export function optionChecks(factory: string): OptionChecks {
  const fail = (option: string, expected: string, value: unknown, described?: string): never => {
    throw new TypeError(
      `${factory} option "${option}": expected ${expected}, got ${described ?? describeValue(value)}`,
    )
  }
  /** An integer or a number within `limits`; `kind` names it, `test` tells whether a number is one. */
  const numeric = <Fallback>(
    option: string,
    value: unknown,
    fallback: Fallback,
    limits: NumberLimits,
    kind: string,
    test: (value: number) => boolean,
  ): number | Fallback => {
    if (value === undefined) return fallback
    if (limits.allowInfinity && value === Number.POSITIVE_INFINITY) return value
    if (typeof value !== 'number' || !test(value) || !withinLimits(value, limits)) {
      fail(option, numberExpected(kind, limits), value)
    }
    return value as number
  }
  return {
    factory,
    object(options: unknown): void {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        throw new TypeError(`${factory}: expected an options object, got ${describeValue(options)}`)
      }
    },
    fail,
    string(option, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'string' || value === '') fail(option, 'a non-empty string', value)
      return value as string
    },
    requiredString(option, value) {
      if (typeof value !== 'string' || value === '') fail(option, 'a non-empty string', value)
      return value as string
    },
    boolean(option, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'boolean') fail(option, 'a boolean', value)
      return value as boolean
    },
    integer: (option, value, fallback, limits = {}) =>
      numeric(option, value, fallback, limits, 'an integer', Number.isInteger),
    number: (option, value, fallback, limits = {}) =>
      numeric(option, value, fallback, limits, 'a number', Number.isFinite),
    oneOf(option, value, allowed, fallback) {
      if (value === undefined) return fallback
      if (!allowed.includes(value as never)) {
        const list = allowed.map((each) => describeValue(each)).join(', ')
        fail(option, `one of ${list}`, value)
      }
      return value as never
    },
    function(option, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'function') fail(option, 'a function', value)
      return value
    },
    requiredFunction(option, value) {
      if (typeof value !== 'function') fail(option, 'a function', value)
      return value
    },
  }
}
