import { randomBytes } from 'node:crypto'
import type { Stats, WriteStream } from 'node:fs'
import {
  chmod,
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readlink,
  rename,
  rm,
  stat,
} from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { messageOf } from '@graphflow/core'
import { CsvError } from './csv-error.js'
import { isBomOnly, type RecordLayout, readFirstRecord, scanRecords } from './existing-file.js'

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
  /** The record delimiter given; when appending without one, the file's own is used. */
  recordDelimiter: '\n' | '\r\n' | undefined
}

/** What an append found in the existing file. */
export interface ExistingContent {
  /** The file already has content: no BOM, no header. */
  nonEmpty: boolean
  /** Its header, when asked for and the file is not empty. */
  header: string[] | undefined
  /** Written before the first record: the LF of a CRLF cut between CR and LF, else `''`. */
  prefix: string
}

const HIGH_WATER_MARK = 1 << 20

/**
 * One CSV file being written: opened once, written through a stream with backpressure, then
 * flushed and closed; with `atomic`, written to a temp file renamed over the target on commit.
 */
export class CsvFileWriter {
  readonly path: string
  readonly existing: ExistingContent
  /** The record delimiter to write: the one given, else the appended file's, else LF. */
  readonly recordDelimiter: '\n' | '\r\n'
  readonly #settings: FileWriterSettings
  readonly #handle: FileHandle
  readonly #stream: WriteStream
  readonly #tempPath: string | undefined
  /** What the temp file is renamed to: `path`, or the file a symlink at `path` points to. */
  readonly #target: string
  #error: Error | undefined
  #reported = false
  #drain: Promise<void> | undefined
  #closed = false
  /** Settles once the last text written reached the file (see {@link commit}). */
  #written: Promise<void> = Promise.resolve()
  /** The file's size when it was opened, in bytes (what an append keeps, else 0). */
  readonly startSize: number

  private constructor(
    settings: FileWriterSettings,
    handle: FileHandle,
    tempPath: string | undefined,
    target: string,
    existing: ExistingContent,
    recordDelimiter: '\n' | '\r\n',
    startSize: number,
  ) {
    this.startSize = startSize
    this.#target = target
    this.#settings = settings
    this.path = settings.path
    this.recordDelimiter = recordDelimiter
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
      throw new CsvError(`cannot open ${path} for writing: ${messageOf(error)}`, {
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
    // Root may open any file: the mode bits are checked here, so a read-only file is refused
    // whoever runs the sink, and in atomic mode (which renames over it) as in the plain one.
    if (found && (found.mode & 0o222) === 0) {
      const mode = (found.mode & 0o7777).toString(8).padStart(4, '0')
      failOpen(new Error(`EACCES: it is read-only (mode ${mode}), so it is not written over`))
    }
    const target = settings.atomic ? await linkTarget(path).catch(failOpen) : path
    if (settings.atomic && found) {
      if (!found.isFile()) {
        failOpen(new Error(`atomic: true only replaces a regular file, and it is ${kind(found)}`))
      }
      // What a plain open would refuse (no permission, a read-only file system) is refused.
      await open(target, 'r+')
        .then((handle) => handle.close())
        .catch(failOpen)
    }
    // A file holding nothing but a UTF-8 BOM is empty: it gets a header, and is rewritten.
    const bomOnly =
      settings.append && found?.size === 3 && (await isBomOnly(path).catch(() => false))
    const size = bomOnly ? 0 : (found?.size ?? 0)
    const existing: ExistingContent = {
      nonEmpty: settings.append && size > 0,
      header: undefined,
      prefix: '',
    }
    let recordDelimiter = settings.recordDelimiter ?? '\n'
    if (existing.nonEmpty) {
      let layout: RecordLayout
      try {
        if (settings.readHeader) existing.header = await readFirstRecord(path, settings.delimiter)
        layout = await scanRecords(path)
      } catch (error) {
        throw new CsvError(
          `cannot append to ${path}: cannot read its content: ${messageOf(error)}`,
          {
            code: 'CSV_OPEN',
            path,
            cause: error,
          },
        )
      }
      recordDelimiter = appendDelimiter(path, layout, settings.recordDelimiter)
      existing.prefix = checkLastRecord(path, layout, recordDelimiter)
    }
    const tempPath = settings.atomic
      ? join(
          dirname(target),
          `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
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
    return new CsvFileWriter(
      { ...settings, path },
      handle,
      tempPath,
      target,
      existing,
      recordDelimiter,
      settings.append && !bomOnly ? size : 0,
    )
  }

  /** The open file (its temp file with `atomic`). */
  get handle(): FileHandle {
    return this.#handle
  }

  /** Waits until everything written so far reached the file, then fsyncs it. */
  async commit(): Promise<void> {
    await this.#written
    if (this.#error) throw this.#writeError()
    try {
      await this.#handle.sync()
    } catch (error) {
      this.#error ??= error as Error
      throw this.#writeError()
    }
  }

  /** Queues text; returns a promise to await when the stream's buffer is full (backpressure). */
  write(text: string): Promise<void> | undefined {
    if (this.#error) throw this.#writeError()
    let written = true
    this.#written = new Promise<void>((resolveWritten) => {
      written = this.#stream.write(text, () => resolveWritten())
    })
    if (written) return undefined
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
      if (commit) return await rename(tempPath, this.#target)
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
    return new CsvError(`cannot write ${this.path}: ${messageOf(error)}`, {
      code: 'CSV_WRITE',
      path: this.path,
      cause: error,
    })
  }
}

const SHOWN = { '\n': 'LF (\\n)', '\r\n': 'CRLF (\\r\\n)' } as const

/**
 * The record delimiter to append with: the file's own unless one is given; a given one that is
 * not the file's is refused (the file would mix line breaks and not read back).
 */
function appendDelimiter(
  path: string,
  layout: RecordLayout,
  given: '\n' | '\r\n' | undefined,
): '\n' | '\r\n' {
  const found = layout.recordDelimiter ?? (layout.endsWithCr ? '\r\n' : undefined)
  if (given === undefined) return found ?? '\n'
  if (found === undefined || found === given) return given
  throw new CsvError(
    `cannot append to ${path}: its records end with ${SHOWN[found]} but recordDelimiter is ` +
      `${SHOWN[given]}; a file mixing both does not read back. Leave recordDelimiter out to ` +
      "use the file's; the file was left unchanged",
    { code: 'CSV_HEADER_MISMATCH', path },
  )
}

/**
 * Refuses to append after a cut-off last record (what a writer killed mid-write leaves): the
 * new records would be swallowed into its open quoted field, or glued to its last field.
 * Returns what to write first: the LF of a CRLF cut between CR and LF, else nothing.
 */
function checkLastRecord(path: string, layout: RecordLayout, recordDelimiter: string): string {
  if (layout.complete) return ''
  if (layout.endsWithCr && recordDelimiter === '\r\n') return '\n'
  const where = `line ${layout.lastRecordLine} (byte ${layout.lastRecordOffset})`
  const problem = layout.inQuotes
    ? `its last record, from ${where} to the end, is cut off inside a quoted field, so the ` +
      'appended records would be read as part of that field'
    : `its last record, at ${where}, has no line break at its end, so it may have been cut ` +
      'off mid-write'
  throw new CsvError(
    `cannot append to ${path}: ${problem}. The file was left unchanged: remove the partial ` +
      `record (truncate the file to ${layout.lastRecordOffset} bytes), or end it with a line ` +
      'break if it is complete, then append again',
    {
      code: 'CSV_INCOMPLETE_RECORD',
      path,
      line: layout.lastRecordLine,
      offset: layout.lastRecordOffset,
    },
  )
}

/**
 * The file a path names once symbolic links are followed (it may not exist yet), so that an
 * atomic rename replaces the link's target and the link stays a link.
 */
async function linkTarget(path: string): Promise<string> {
  let current = path
  for (let hops = 0; hops < 40; hops++) {
    let link: string
    try {
      link = await readlink(current)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EINVAL' || code === 'ENOENT') return current // not a link, or missing
      throw error
    }
    current = resolve(dirname(current), link)
  }
  throw new Error('ELOOP: too many symbolic links')
}

function kind(found: Stats): string {
  if (found.isFIFO()) return 'a FIFO'
  if (found.isSocket()) return 'a socket'
  if (found.isCharacterDevice()) return 'a character device'
  if (found.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}
