/** Describes a value given for an option, for a `TypeError` message. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 60)})`
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

function fail(factory: string, option: string, expected: string, value: unknown): never {
  throw new TypeError(`${factory} option "${option}": expected ${expected}, got ${describe(value)}`)
}

/** Throws a `TypeError` when `options` is not an object. */
export function checkObject(factory: string, options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${factory}: expected an options object, got ${describe(options)}`)
  }
}

/** Throws a `TypeError` unless the option is a non-empty string (or absent when optional). */
export function checkString(
  factory: string,
  option: string,
  value: unknown,
  optional = true,
): void {
  if (value === undefined && optional) return
  if (typeof value !== 'string' || value === '') fail(factory, option, 'a non-empty string', value)
}

/** Throws a `TypeError` unless the option is a boolean or absent. */
export function checkBoolean(factory: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') fail(factory, option, 'a boolean', value)
}

/** Throws a `TypeError` unless the option is an integer `>= min` or absent. */
export function checkInteger(factory: string, option: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(factory, option, `an integer >= ${min}`, value)
  }
}

/** Throws a `TypeError` unless the option is one of `allowed` or absent. */
export function checkOneOf(
  factory: string,
  option: string,
  value: unknown,
  allowed: readonly unknown[],
): void {
  if (value === undefined || allowed.includes(value)) return
  fail(factory, option, `one of ${allowed.map((each) => JSON.stringify(each)).join(', ')}`, value)
}

/** Throws a `TypeError` unless the option is a function or absent. */
export function checkFunction(factory: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') fail(factory, option, 'a function', value)
}

/** Throws a `TypeError` unless the option is a non-empty array of distinct non-empty strings. */
export function checkColumns(factory: string, option: string, value: unknown): void {
  if (value === undefined) return
  const expected = 'a non-empty array of distinct non-empty strings'
  if (!Array.isArray(value) || value.length === 0) fail(factory, option, expected, value)
  const seen = new Set<string>()
  for (const column of value) {
    if (typeof column !== 'string' || column === '' || seen.has(column)) {
      fail(factory, option, `${expected} (bad or repeated column ${describe(column)})`, value)
    }
    seen.add(column)
  }
}
