import { types } from 'node:util'
import type { NodeOptions } from './node-spec.js'
import { optionChecks } from './option-checks.js'

const ASYNC_GENERATOR_FUNCTION = Object.getPrototypeOf(async function* () {}).constructor

/** True for `async function*` functions and methods. */
export function isAsyncGeneratorFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn instanceof ASYNC_GENERATOR_FUNCTION
}

/**
 * True for a function the engine made from `async function*` source: calling it always
 * returns an async generator. False for what only inherits the prototype (a bound function,
 * a Proxy, a function given that prototype), which may return any async iterable.
 */
export function makesAsyncGenerators(fn: unknown): boolean {
  return types.isGeneratorFunction(fn) && types.isAsyncFunction(fn)
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

/** Throws a `TypeError` naming the option when a node option has the wrong type. */
export function checkNodeOptions(options: NodeOptions): void {
  const check = optionChecks('addNode')
  check.object(options)
  check.string('name', options.name, undefined)
  check.integer('maxTasks', options.maxTasks, undefined, { min: 1 })
  check.integer('queueSize', options.queueSize, undefined, { min: 0 })
  check.boolean('haltOnException', options.haltOnException, undefined)
  check.boolean('unpackInput', options.unpackInput, undefined)
  check.boolean('checkAsyncGen', options.checkAsyncGen, undefined)
  const queue = options.queue
  if (queue !== undefined && options.queueSize !== undefined) {
    throw new TypeError(
      `addNode options "queue" and "queueSize": queueSize bounds the default queue only; give the bound to your queue's constructor (super(maxSize)), got queueSize ${String(options.queueSize)}`,
    )
  }
  if (queue !== undefined && typeof queue !== 'function' && typeof queue?.put !== 'function') {
    check.fail('queue', 'an AsyncQueue or a function returning one', queue)
  }
}
