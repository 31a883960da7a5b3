import { describeValue, optionChecks } from '@graphflow/core'
import type { Options as ParseOptions } from 'csv-parse'
import type { CsvCastOptions, CsvSinkOptions } from './csv-sink-options.js'
import type { CsvSourceOptions } from './csv-source-options.js'
import type { ParseRun } from './parse-error.js'

/** The sink's options, checked and defaulted. */
export interface SinkSettings {
  name: string
  path: string
  columns: readonly string[] | undefined
  header: boolean
  append: boolean
  delimiter: string
  /** The record delimiter given; when appending without one, the file's own is used. */
  recordDelimiter: '\n' | '\r\n' | undefined
  quoted: boolean
  bom: boolean
  cast: CsvCastOptions
  escapeFormulas: boolean
  onUnknownColumn: 'error' | 'ignore'
  mkdir: boolean
  atomic: boolean
  keepPartial: boolean
}

/** The source's options, checked and defaulted. */
export interface SourceSettings {
  name: string
  path: string | undefined
  batchSize: number | undefined
  run: Omit<ParseRun, 'path'>
}

type Checks = ReturnType<typeof optionChecks>

/** A non-empty array of distinct non-empty strings, or `undefined` when absent. */
function columnsOption(check: Checks, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const expected = 'a non-empty array of distinct non-empty strings'
  if (!Array.isArray(value) || value.length === 0) check.fail('columns', expected, value)
  const seen = new Set<string>()
  for (const column of value as unknown[]) {
    if (typeof column !== 'string' || column === '' || seen.has(column)) {
      check.fail('columns', `${expected} (bad or repeated column ${describeValue(column)})`, value)
    }
    seen.add(column as string)
  }
  return [...seen]
}

/** Checks `csvSink`'s options and applies the defaults; throws a `TypeError` naming the option. */
export function resolveSinkOptions<Row extends object>(options: CsvSinkOptions<Row>): SinkSettings {
  const check = optionChecks('csvSink')
  check.object(options)
  const path = check.requiredString('path', options.path)
  const delimiter = check.string('delimiter', options.delimiter, ',')
  if (/["\r\n]/.test(delimiter)) check.fail('delimiter', 'no quote or line break', delimiter)
  const atomic = check.boolean('atomic', options.atomic, false)
  const keepPartial = check.boolean('keepPartial', options.keepPartial, false)
  if (keepPartial && !atomic) {
    throw new TypeError(
      `csvSink option "keepPartial": only has a meaning with atomic: true, got atomic: ${options.atomic}`,
    )
  }
  const cast = options.cast ?? {}
  if (typeof cast !== 'object' || cast === null) check.fail('cast', 'an object', cast)
  for (const key of ['date', 'boolean', 'object'] as const) {
    check.function(
      `cast.${key}`,
      cast[key] as ((...input: never[]) => unknown) | undefined,
      undefined,
    )
  }
  return {
    name: check.string('name', options.name, 'csvSink'),
    path,
    columns: columnsOption(check, options.columns),
    header: check.boolean('header', options.header, true),
    append: check.boolean('append', options.append, false),
    delimiter,
    recordDelimiter: check.oneOf(
      'recordDelimiter',
      options.recordDelimiter,
      ['\n', '\r\n'],
      undefined,
    ),
    quoted: check.boolean('quoted', options.quoted, false),
    bom: check.boolean('bom', options.bom, false),
    cast: { ...cast },
    escapeFormulas: check.boolean('escapeFormulas', options.escapeFormulas, false),
    onUnknownColumn: check.oneOf(
      'onUnknownColumn',
      options.onUnknownColumn,
      ['error', 'ignore'],
      'error',
    ),
    mkdir: check.boolean('mkdir', options.mkdir, false),
    atomic,
    keepPartial,
  }
}

/** Checks `csvSource`'s options and applies the defaults; throws a `TypeError` naming the option. */
export function resolveSourceOptions(options: CsvSourceOptions): SourceSettings {
  const check = optionChecks('csvSource')
  check.object(options)
  const path = check.string('path', options.path, undefined)
  const name = check.string('name', options.name, 'csvSource')
  const delimiter = check.string('delimiter', options.delimiter, ',')
  const header = check.boolean('header', options.header, true)
  const bom = check.boolean('bom', options.bom, true)
  const relaxColumnCount = check.boolean('relaxColumnCount', options.relaxColumnCount, false)
  const skipEmptyLines = check.boolean('skipEmptyLines', options.skipEmptyLines, true)
  const trim = check.boolean('trim', options.trim, false)
  const columns =
    typeof options.columns === 'boolean'
      ? options.columns
      : (columnsOption(check, options.columns) ?? true)
  const cast = options.cast
  if (cast !== undefined && typeof cast !== 'boolean' && typeof cast !== 'function') {
    check.fail('cast', 'a boolean or a function', cast)
  }
  const fromLine = check.integer('fromLine', options.fromLine, 1, { min: 1 })
  const toLine = check.integer('toLine', options.toLine, undefined, { min: fromLine })
  const batchSize = check.integer('batchSize', options.batchSize, undefined, { min: 1 })
  if (columns === true && !header) {
    throw new TypeError(
      'csvSource option "header": columns: true takes the keys from the header, so it needs header: true; got false (pass "columns" names or columns: false)',
    )
  }
  const names = typeof columns === 'boolean' ? undefined : columns
  const parseOptions: ParseOptions = {
    columns: names === undefined ? (columns as boolean) : header ? () => names : names,
    delimiter,
    bom,
    cast: cast ?? false,
    from_line: fromLine,
    relax_column_count: relaxColumnCount,
    skip_empty_lines: skipEmptyLines,
    trim,
  }
  if (toLine !== undefined) parseOptions.to_line = toLine
  return { name, path, batchSize, run: { options: parseOptions, fromLine, header } }
}
