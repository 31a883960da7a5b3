import type { NodeContext } from '@graphflow/core'
import { CsvError } from './csv-error.js'
import { CsvFileWriter } from './csv-file-writer.js'
import { escapeFormula, startsLikeFormula } from './formula-escape.js'
import { type CsvCastOptions, RowBuilder } from './record-rows.js'
import { rowsToCsv } from './rows-to-csv.js'

/** The sink's options, resolved. */
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

/** The counters a sink exposes; reset when a run opens it. */
export interface CsvSinkStats {
  /** Records handed to the file so far in this run (buffered up to a few hundred at a time). */
  readonly records: number
}

/** Rows are stringified and handed to the file this many at a time (or at `close()`). */
const FLUSH_ROWS = 256

/** One run of a sink: the open file, the columns once known, the rows not yet stringified. */
export class SinkRun {
  readonly #settings: SinkSettings
  readonly #writer: CsvFileWriter
  readonly #context: NodeContext
  readonly #stats: { records: number }
  readonly #toCsv: (rows: readonly string[][]) => string
  #rows: RowBuilder | undefined
  #pending: string[][] = []
  #received = 0
  /** Written before the first rows: the LF of an appended file cut after CR, BOM, header. */
  #prefix = ''

  private constructor(
    settings: SinkSettings,
    writer: CsvFileWriter,
    context: NodeContext,
    stats: { records: number },
  ) {
    this.#settings = settings
    this.#writer = writer
    this.#context = context
    this.#stats = stats
    this.#toCsv = rowsToCsv({ ...settings, recordDelimiter: writer.recordDelimiter })
    this.#prefix = writer.existing.prefix
  }

  /** Opens the file and, when appending, checks its header against the columns. */
  static async open(
    settings: SinkSettings,
    context: NodeContext,
    stats: { records: number },
  ): Promise<SinkRun> {
    const writer = await CsvFileWriter.open({
      ...settings,
      readHeader: settings.append && settings.header,
    })
    const run = new SinkRun({ ...settings, path: writer.path }, writer, context, stats)
    let columns = settings.columns
    const existing = writer.existing.header
    try {
      if (existing) columns = checkHeader(writer.path, existing, columns, settings.escapeFormulas)
      if (columns) run.#start(columns)
    } catch (error) {
      await writer.close(false)
      throw error
    }
    return run
  }

  /** Accepts a record or an array of records, all or nothing; resolves once they are queued. */
  accept(input: unknown): Promise<void> | undefined {
    if (Array.isArray(input)) {
      if (input.length === 0) return undefined
      const first = this.#received + 1
      this.#received += input.length
      const rows = this.#builder(input[0], first).toRows(input, first)
      for (const row of rows) this.#pending.push(row)
    } else {
      const number = ++this.#received
      this.#pending.push(this.#builder(input, number).toRow(input, number))
    }
    return this.#pending.length >= FLUSH_ROWS ? this.flush() : undefined
  }

  /** Stringifies the pending rows and hands them to the file. */
  flush(): Promise<void> | undefined {
    const rows = this.#pending
    if (rows.length === 0) return undefined
    this.#pending = []
    const text = this.#toCsv(rows)
    const prefix = this.#prefix
    this.#prefix = ''
    const waiting = this.#writer.write(prefix === '' ? text : prefix + text)
    this.#stats.records += rows.length
    return waiting
  }

  /** Writes what is pending (or a header-only file), flushes and closes; see CsvFileWriter. */
  async close(): Promise<void> {
    const commit = !this.#context.signal.aborted
    let failure: unknown
    try {
      await this.flush()
      if (this.#prefix !== '' && !this.#writer.existing.nonEmpty) {
        await this.#writer.write(this.#prefix)
        this.#prefix = ''
      }
    } catch (error) {
      failure = error
    }
    try {
      await this.#writer.close(commit && failure === undefined)
    } catch (error) {
      failure ??= error
    }
    if (failure !== undefined) throw failure
  }

  #builder(firstRecord: unknown, number: number): RowBuilder {
    if (this.#rows) return this.#rows
    if (typeof firstRecord === 'object' && firstRecord !== null && !Array.isArray(firstRecord)) {
      const columns = Object.keys(firstRecord)
      if (columns.length > 0) return this.#start(columns)
    }
    throw new CsvError(
      `record ${number} for ${this.#writer.path} is not an object with keys, so the columns ` +
        'cannot be taken from it; pass "columns" to csvSink',
      { code: 'CSV_INVALID_RECORD', path: this.#writer.path, record: number },
    )
  }

  #start(columns: readonly string[]): RowBuilder {
    const settings = this.#settings
    const names = headerNames(this.#writer.path, columns, settings.escapeFormulas)
    const rows = new RowBuilder(columns, {
      path: this.#writer.path,
      onUnknownColumn: settings.onUnknownColumn,
      escapeFormulas: settings.escapeFormulas,
      cast: settings.cast,
      onIgnoredColumn: (column) =>
        this.#context.logger.info(
          `[graphflow] [csv] ${this.#context.name}: ignoring column '${column}', ` +
            `not one of the columns of ${this.#writer.path}`,
        ),
    })
    this.#rows = rows
    if (!this.#writer.existing.nonEmpty) {
      if (settings.bom) this.#prefix += '\uFEFF'
      if (settings.header) this.#prefix += this.#toCsv([names])
    }
    return rows
  }
}

/**
 * The header fields of the columns: the names, escaped with `escapeFormulas` (column names come
 * from the data, so they are as dangerous as values). Two columns written alike are refused.
 */
function headerNames(path: string, columns: readonly string[], escapeFormulas: boolean): string[] {
  if (!escapeFormulas) return [...columns]
  const names = columns.map(escapeFormula)
  const seen = new Map<string, string>()
  names.forEach((name, index) => {
    const column = columns[index] as string
    const other = seen.get(name)
    if (other !== undefined) {
      throw new CsvError(
        `cannot write the header of ${path}: columns '${other}' and '${column}' are ` +
          `both written as '${name}' (escapeFormulas), so they would not read back apart; ` +
          'rename one of them',
        { code: 'CSV_DUPLICATE_COLUMN', path, column },
      )
    }
    seen.set(name, column)
  })
  return names
}

/**
 * The columns to write when appending to a file with `header`, in the file's order. With
 * `escapeFormulas` the header holds escaped names: `'=a` is the header of column `=a`.
 */
function checkHeader(
  path: string,
  header: readonly string[],
  columns: readonly string[] | undefined,
  escapeFormulas: boolean,
): readonly string[] {
  const distinct = new Set(header)
  if (distinct.size === header.length && !header.includes('')) {
    if (columns === undefined) return escapeFormulas ? header.map(unescapeFormula) : header
    const byName = new Map(
      columns.map((column) => [escapeFormulas ? escapeFormula(column) : column, column]),
    )
    if (byName.size === header.length && header.every((name) => byName.has(name))) {
      return header.map((name) => byName.get(name) as string)
    }
  }
  const found = header.join(', ')
  throw new CsvError(
    columns === undefined
      ? `cannot append to ${path}: its header (${found}) has empty or repeated column names`
      : `cannot append to ${path}: its header (${found}) does not match the columns ` +
          `(${columns.join(', ')}); the file was left unchanged`,
    { code: 'CSV_HEADER_MISMATCH', path },
  )
}

/** The column a header field written with `escapeFormulas` names: `'=a` names `=a`. */
function unescapeFormula(name: string): string {
  return name.startsWith("'") && startsLikeFormula(name.slice(1)) ? name.slice(1) : name
}
