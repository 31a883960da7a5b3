import { resolve } from 'node:path'
import type { NodeContext } from '@graphflow/core'
import type { SinkSettings } from './check-options.js'
import { CsvError } from './csv-error.js'
import { CsvFileWriter } from './csv-file-writer.js'
import {
  type CsvSavePoint,
  checkSavePoint,
  SavePointTracker,
  truncateToSavePoint,
} from './csv-save-point.js'
import { escapeFormula, startsLikeFormula } from './formula-escape.js'
import { RowBuilder } from './record-rows.js'
import { rowsToCsv } from './rows-to-csv.js'

/**
 * One run of a sink: the open file and the columns once known. Records become rows at call time
 * (`toRow`); core's batching hands them to `write` a few hundred at a time.
 */
export class SinkRun {
  readonly #settings: SinkSettings
  readonly #writer: CsvFileWriter
  readonly #context: NodeContext
  readonly #stats: { records: number }
  readonly #toCsv: (rows: readonly string[][]) => string
  #rows: RowBuilder | undefined
  /** Written before the first rows: the LF of an appended file cut after CR, BOM, header. */
  #prefix = ''
  /** A run with checkpoints: what was written, for the save points. */
  #points: SavePointTracker | undefined

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

  /**
   * Opens the file and, when appending, checks its header against the columns. A resumed run
   * with checkpoints first truncates the file to its saved size, then appends to it.
   */
  static async open(
    settings: SinkSettings,
    context: NodeContext,
    stats: { records: number },
  ): Promise<SinkRun> {
    const checkpointed = context.checkpointStore !== undefined
    let append = settings.append
    if (checkpointed) {
      const path = resolve(settings.path)
      if (settings.atomic) {
        throw new CsvError(
          `cannot write ${path} in a run with checkpoints: atomic: true replaces the file only at the end, so there is nothing to resume; leave atomic out (a resumed run truncates the file to its saved size)`,
          { code: 'CSV_RESUME', path },
        )
      }
      if ('savedPoint' in context) {
        await truncateToSavePoint(path, checkSavePoint(path, context.savedPoint))
        append = true
      }
    }
    const writer = await CsvFileWriter.open({
      ...settings,
      append,
      readHeader: append && settings.header,
    })
    const run = new SinkRun({ ...settings, path: writer.path }, writer, context, stats)
    let columns = settings.columns
    const existing = writer.existing.header
    try {
      if (checkpointed)
        run.#points = await SavePointTracker.open(writer.path, writer.handle, writer.startSize)
      if (existing) columns = checkHeader(writer.path, existing, columns, settings.escapeFormulas)
      if (columns) run.#start(columns)
    } catch (error) {
      await writer.close(false)
      throw error
    }
    return run
  }

  /**
   * Turns a record into a row in column order (the first record gives the columns when none
   * were given); throws a {@link CsvError} naming the record. `number` is its number in the
   * run, `callSize` how many records its call had.
   */
  toRow(record: unknown, number: number, callSize: number): string[] {
    return this.#builder(record, number).toRow(record, number, callSize)
  }

  /** Stringifies rows and hands them to the file; resolves when the file takes more. */
  write(rows: readonly string[][]): Promise<void> | undefined {
    if (rows.length === 0) return undefined
    const text = this.#toCsv(rows)
    const prefix = this.#prefix
    this.#prefix = ''
    const written = prefix === '' ? text : prefix + text
    this.#points?.wrote(written)
    const waiting = this.#writer.write(written)
    this.#stats.records += rows.length
    return waiting
  }

  /** True in a run with checkpoints: each batch is made durable ({@link commit}). */
  get durable(): boolean {
    return this.#points !== undefined
  }

  /** Makes what was written durable (flushed to the file, fsynced): the next save point. */
  async commit(): Promise<void> {
    await this.#writer.commit()
    this.#points?.commit()
  }

  /** The file's size and identity at the last commit (a run with checkpoints). */
  savePoint(): CsvSavePoint | undefined {
    return this.#points?.committed
  }

  /**
   * Writes a header-only file when no record came, flushes and closes; commits (see
   * CsvFileWriter) unless the run was stopped or a write failed.
   */
  async close(writeFailed: boolean): Promise<void> {
    const commit = !this.#context.signal.aborted && !writeFailed
    let failure: unknown
    try {
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
