import { optionChecks } from '@graphflow/core'
import type { __PASCAL__SinkOptions } from './__NAME__-sink-options.js'
import type { __PASCAL__SourceOptions } from './__NAME__-source-options.js'

/** The source's options, checked and defaulted. */
export interface SourceSettings<Item> {
  name: string
  fetchPage: __PASCAL__SourceOptions<Item>['fetchPage']
  firstPage: number
  maxPages: number
}

/** The sink's options, checked and defaulted. */
export interface SinkSettings<Item extends object> {
  name: string
  send: __PASCAL__SinkOptions<Item>['send']
  batchSize: number
}

/** Checks the options object and the `name` every factory takes; `check` checks the rest. */
function checkCommon(factory: string, options: { name?: string }) {
  const check = optionChecks(factory)
  check.object(options)
  return { check, name: check.string('name', options.name, factory) }
}

/** Checks `__CAMEL__Source`'s options and applies the defaults; throws a `TypeError` naming the option. */
export function resolveSourceOptions<Item>(
  options: __PASCAL__SourceOptions<Item>,
): SourceSettings<Item> {
  const { check, name } = checkCommon('__CAMEL__Source', options)
  return {
    fetchPage: check.requiredFunction('fetchPage', options.fetchPage),
    name,
    firstPage: check.integer('firstPage', options.firstPage, 1, { min: 0 }),
    maxPages: check.integer('maxPages', options.maxPages, Number.POSITIVE_INFINITY, {
      min: 1,
      allowInfinity: true,
    }),
  }
}

/** Checks `__CAMEL__Sink`'s options and applies the defaults; throws a `TypeError` naming the option. */
export function resolveSinkOptions<Item extends object>(
  options: __PASCAL__SinkOptions<Item>,
): SinkSettings<Item> {
  const { check, name } = checkCommon('__CAMEL__Sink', options)
  return {
    batchSize: check.integer('batchSize', options.batchSize, 100, { min: 1 }),
    name,
    send: check.requiredFunction('send', options.send),
  }
}
