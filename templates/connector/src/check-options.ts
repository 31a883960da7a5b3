/** Describes a value given for an option, for a `TypeError` message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 60)})`
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

/** The message of anything thrown, for embedding in an error message. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown)
}

function fail(factory: string, option: string, expected: string, value: unknown): never {
  throw new TypeError(
    `${factory} option "${option}": expected ${expected}, got ${describeValue(value)}`,
  )
}

/** Throws a `TypeError` when `options` is not an object. */
export function checkObject(factory: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${factory}: expected an options object, got ${describeValue(options)}`)
  }
}

/** Throws a `TypeError` unless the option is a function. */
export function checkFunction(factory: string, option: string, value: unknown): void {
  if (typeof value !== 'function') fail(factory, option, 'a function', value)
}

/** Throws a `TypeError` unless the option is a non-empty string or absent. */
export function checkName(factory: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    fail(factory, 'name', 'a non-empty string', value)
  }
}

/** Throws a `TypeError` unless the option is an integer `>= min` or absent (`Infinity` if allowed). */
export function checkInteger(
  factory: string,
  option: string,
  value: unknown,
  min: number,
  allowInfinity = false,
): void {
  if (value === undefined || (allowInfinity && value === Number.POSITIVE_INFINITY)) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(factory, option, `an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}`, value)
  }
}
