import { randomBytes } from 'node:crypto'
import type { WriteStream } from 'node:fs'
import { chmod, copyFile, type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { CsvError, describeCause } from './csv-error.js'
import { isBomOnly, readFirstRecord, readLastByte } from './existing-file.js'

/** How to open the file. */
export interface FileWriterSettings {
  path: string
  append: boolean
  atomic: boolean
  keepPartial: boolean
  mkdir: boolean
  /** Read the header of an existing file (when appending with `header: true`). */
  readHeader: boolean
  delimiter: string
  recordDelimiter: string
}

/** What an append found in the existing file. */
export interface ExistingContent {
  /** The file already has content: no BOM, no header. */
  nonEmpty: boolean
  /** Its header, when asked for and the file is not empty. */
  header: string[] | undefined
  /** The file does not end with the record delimiter: write one before the first record. */
  needsNewline: boolean
}

const HIGH_WATER_MARK = 1 << 20

/**
 * One CSV file being written: opened once, written through a stream with backpressure, then
 * flushed and closed; with `atomic`, written to a temp file renamed over the target on commit.
 */
export class CsvFileWriter {
  readonly path: string
  readonly existing: ExistingContent
  readonly #settings: FileWriterSettings
  readonly #handle: FileHandle
  readonly #stream: WriteStream
  readonly #tempPath: string | undefined
  #error: Error | undefined
  #reported = false
  #drain: Promise<void> | undefined
  #closed = false

  private constructor(
    settings: FileWriterSettings,
    handle: FileHandle,
    tempPath: string | undefined,
    existing: ExistingContent,
  ) {
    this.#settings = settings
    this.path = settings.path
    this.#handle = handle
    this.#tempPath = tempPath
    this.existing = existing
    // `flush` syncs the file to disk before closing it: an atomic commit renames a durable file.
    this.#stream = handle.createWriteStream({
      highWaterMark: HIGH_WATER_MARK,
      flush: tempPath !== undefined,
    })
    this.#stream.on('error', (error) => {
      this.#error ??= error
    })
  }

  /** Creates directories if asked, inspects an existing file when appending, opens. */
  static async open(settings: FileWriterSettings): Promise<CsvFileWriter> {
    const path = resolve(settings.path)
    const failOpen = (error: unknown): never => {
      throw new CsvError(`cannot open ${path} for writing: ${describeCause(error)}`, {
        code: 'CSV_OPEN',
        path,
        cause: error,
      })
    }
    if (settings.mkdir) await mkdir(dirname(path), { recursive: true }).catch(failOpen)
    const found = await stat(path).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? undefined : failOpen(error),
    )
    if (found?.isDirectory()) failOpen(new Error('EISDIR: it is a directory'))
    // A file holding nothing but a UTF-8 BOM is empty: it gets a header, and is rewritten.
    const bomOnly =
      settings.append && found?.size === 3 && (await isBomOnly(path).catch(() => false))
    const size = bomOnly ? 0 : (found?.size ?? 0)
    const existing: ExistingContent = {
      nonEmpty: settings.append && size > 0,
      header: undefined,
      needsNewline: false,
    }
    if (existing.nonEmpty) {
      try {
        if (settings.readHeader) existing.header = await readFirstRecord(path, settings.delimiter)
        const last = await readLastByte(path, size)
        existing.needsNewline =
          last !== settings.recordDelimiter.charCodeAt(settings.recordDelimiter.length - 1)
      } catch (error) {
        throw new CsvError(
          `cannot append to ${path}: cannot read its content: ${describeCause(error)}`,
          {
            code: 'CSV_OPEN',
            path,
            cause: error,
          },
        )
      }
    }
    const tempPath = settings.atomic
      ? join(
          dirname(path),
          `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
        )
      : undefined
    let handle: FileHandle
    if (tempPath) {
      if (existing.nonEmpty) await copyFile(path, tempPath).catch(failOpen)
      handle = await open(tempPath, existing.nonEmpty ? 'a' : 'wx').catch(failOpen)
      if (found) await chmod(tempPath, found.mode & 0o7777).catch(() => undefined)
    } else {
      handle = await open(path, settings.append && !bomOnly ? 'a' : 'w').catch(failOpen)
    }
    return new CsvFileWriter({ ...settings, path }, handle, tempPath, existing)
  }

  /** Queues text; returns a promise to await when the stream's buffer is full (backpressure). */
  write(text: string): Promise<void> | undefined {
    if (this.#error) throw this.#writeError()
    if (this.#stream.write(text)) return undefined
    this.#drain ??= new Promise<void>((resolveDrain, rejectDrain) => {
      const settle = (error?: Error) => {
        this.#stream.off('drain', onDrain)
        this.#stream.off('error', settle)
        this.#drain = undefined
        if (error) rejectDrain(this.#writeError())
        else resolveDrain()
      }
      const onDrain = () => settle()
      this.#stream.on('drain', onDrain)
      this.#stream.on('error', settle)
    })
    return this.#drain
  }

  /**
   * Flushes and closes the file. With `atomic`, `commit` renames the temp file over the target;
   * otherwise (or when writing failed) the temp file is removed, or kept as `<path>.partial`.
   * Throws a `CSV_WRITE` error when writing failed and was not yet reported by {@link write}.
   */
  async close(commit: boolean): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const stream = this.#stream
    if (!stream.closed) {
      const closed = new Promise<void>((resolveClose) => stream.once('close', () => resolveClose()))
      stream.end()
      await closed
    }
    if (this.#handle.fd !== -1) {
      await this.#handle.close().catch((error: Error) => {
        this.#error ??= error
      })
    }
    if (this.#tempPath) await this.#finishTemp(this.#tempPath, commit && !this.#error)
    if (this.#error && !this.#reported) throw this.#writeError()
  }

  async #finishTemp(tempPath: string, commit: boolean): Promise<void> {
    try {
      if (commit) return await rename(tempPath, this.path)
    } catch (error) {
      this.#error ??= error as Error
    }
    if (this.#settings.keepPartial) {
      await rename(tempPath, `${this.path}.partial`).catch(() => rm(tempPath, { force: true }))
    } else await rm(tempPath, { force: true }).catch(() => undefined)
  }

  #writeError(): CsvError {
    this.#reported = true
    const error = this.#error as Error
    return new CsvError(`cannot write ${this.path}: ${describeCause(error)}`, {
      code: 'CSV_WRITE',
      path: this.path,
      cause: error,
    })
  }
}
