import { GraphflowError } from './errors.js'

const MAX_TEXT = 60

function shorten(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text
}

/**
 * Describes a value for an error message, short and unambiguous: `-3`, `"abc"`, `null`,
 * `undefined`, `true`, `10n`, `a function`, `an array ([1,2])`, `an object`, `a Date`.
 *
 * @example
 * ```ts
 * throw new TypeError(`expected a string, got ${describeValue(value)}`)
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return shorten(JSON.stringify(value))
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value)
    case 'bigint':
      return `${value}n`
    case 'symbol':
      return value.toString()
    case 'function':
      return value.name ? `a function (${value.name})` : 'a function'
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    let text: string
    try {
      text = JSON.stringify(value) ?? 'array'
    } catch {
      text = `${value.length} items`
    }
    return `an array (${shorten(text)})`
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype === null || prototype === Object.prototype) return 'an object'
  const name = (prototype.constructor as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object'
}

/**
 * The message of anything thrown, for embedding in another error's message: a
 * {@link GraphflowError}'s `text` (without its `[graphflow] [scope] ` prefix, which the outer
 * error adds once), an `Error`'s message, the text of anything else.
 */
export function messageOf(thrown: unknown): string {
  if (thrown instanceof GraphflowError) return thrown.text
  return thrown instanceof Error ? thrown.message : String(thrown)
}
