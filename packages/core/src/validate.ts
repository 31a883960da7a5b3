import type { NodeOptions } from './node-spec.js'

const ASYNC_GENERATOR_FUNCTION = Object.getPrototypeOf(async function* () {}).constructor

/** True for `async function*` functions and methods. */
export function isAsyncGeneratorFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn instanceof ASYNC_GENERATOR_FUNCTION
}

/**
 * True when a function declares no parameters at all, defaulted and rest ones included, and
 * does not read `arguments` (a wrapper such as `function traced() { return inner.apply(this,
 * arguments) }` takes what it is called with). `fn.length` alone misses `(x = 1)` and
 * `(...rest)`, so the source is checked too.
 */
export function takesNoParameters(fn: (...input: never[]) => unknown): boolean {
  if (fn.length > 0) return false
  const source = Function.prototype.toString.call(fn)
  if (source.includes('[native code]')) return false
  const open = source.indexOf('(')
  if (open === -1) return false
  return /^\(\s*\)/.test(source.slice(open)) && !/\barguments\b/.test(source)
}

function checkInteger(options: NodeOptions, key: 'maxTasks' | 'queueSize', min: number): void {
  const value = options[key]
  if (value === undefined) return
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(
      `addNode option "${key}": expected an integer >= ${min}, got ${String(value)}`,
    )
  }
}

function checkBoolean(
  options: NodeOptions,
  key: 'haltOnException' | 'unpackInput' | 'checkAsyncGen',
): void {
  const value = options[key]
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`addNode option "${key}": expected a boolean, got ${typeof value}`)
  }
}

/** Throws a `TypeError` naming the option when a node option has the wrong type. */
export function checkNodeOptions(options: NodeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`addNode options: expected an object, got ${String(options)}`)
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError(
      `addNode option "name": expected a non-empty string, got ${String(options.name)}`,
    )
  }
  checkInteger(options, 'maxTasks', 1)
  checkInteger(options, 'queueSize', 0)
  checkBoolean(options, 'haltOnException')
  checkBoolean(options, 'unpackInput')
  checkBoolean(options, 'checkAsyncGen')
  const queue = options.queue
  if (queue !== undefined && options.queueSize !== undefined) {
    throw new TypeError(
      `addNode options "queue" and "queueSize": queueSize bounds the default queue only; give the bound to your queue's constructor (super(maxSize)), got queueSize ${String(options.queueSize)}`,
    )
  }
  if (queue !== undefined && typeof queue !== 'function' && typeof queue?.put !== 'function') {
    throw new TypeError(
      'addNode option "queue": expected an AsyncQueue or a function returning one',
    )
  }
}
