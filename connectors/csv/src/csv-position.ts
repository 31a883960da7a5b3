// Positions of csvSource (resumable and incremental loads; see the README): the byte offset of
// the next record, checked against a SHA-256 of every byte before it.

import { createHash, type Hash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { Transform, type TransformCallback } from 'node:stream'
import { describeValue } from '@graphflow/core'
import { Parser } from 'csv-parse'
import { CsvError } from './csv-error.js'

/** Where a csvSource restarts: what a `checkpoint()` it yields holds (JSON). */
export interface CsvPosition {
  /** The byte offset of the next record (just after the last record read). */
  offset: number
  /**
   * The line the next record starts on, as csv-parse counts lines (a line break in a quoted
   * field may count twice), for the line numbers of errors and `toLine` after the offset.
   */
  line: number
  /** The byte offset just after the header record (0 without a header). */
  header: number
  /** SHA-256 (hex) of the file's bytes before `offset`: the file's identity. */
  sha256: string
}

/** A record and where csv-parse was when it pushed it. */
export interface PlacedRecord {
  record: unknown
  /** The byte offset just after the record (csv-parse's `info.bytes`). */
  bytes: number
  /** csv-parse's line at that offset (`info.lines`). */
  lines: number
}

/**
 * csv-parse's `Parser`, pushing each record as a {@link PlacedRecord}: what `info: true` says
 * of it, read from `parser.info` as the record is pushed, without the object csv-parse builds
 * per record for `info: true` (that doubled the time to read a file).
 */
export class PlacingParser extends Parser {
  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null)
    const { bytes, lines } = this.info
    return super.push({ record, bytes, lines } satisfies PlacedRecord, encoding)
  }
}

/** Chunks retained for hashing before the hash catches up with the records read. */
const MAX_RETAINED = 4 << 20

/** Checks a saved position's shape; a `CSV_RESUME` error naming the file otherwise. */
export function checkPosition(position: unknown, path: string): CsvPosition {
  const saved = position as Partial<CsvPosition> | null
  const count = (value: unknown, min: number) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min
  if (
    typeof saved !== 'object' ||
    saved === null ||
    !count(saved.offset, 0) ||
    !count(saved.line, 1) ||
    !count(saved.header, 0) ||
    (saved.header as number) > (saved.offset as number) ||
    typeof saved.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(saved.sha256)
  ) {
    throw new CsvError(
      `cannot resume reading ${path}: the saved position ${describeValue(position)} is not a ` +
        'csvSource position ({ offset, line, header, sha256 }); give the run another ' +
        '"checkpoints.key" (or remove its state) to read from the start',
      { code: 'CSV_RESUME', path },
    )
  }
  return saved as CsvPosition
}

/** Why a file of `size` bytes is refused. */
export const shorter = (size: number) =>
  `it is ${size} bytes long, shorter than that offset: it was truncated or replaced`

const isLineBreak = (byte: number | undefined) => byte === 0x0a || byte === 0x0d

/**
 * Between the file and the parser: hashes the file's bytes so that a record's offset gets the
 * SHA-256 of everything before it ({@link ByteTap.digestAt}). Resuming, it passes the header
 * (`[0, header)`), drops what lies between the header and the offset, checks the hash of
 * everything before the offset, then passes the rest: the parser sees the header, then the
 * records after the position, and offsets it reports past the header are `shift` bytes short.
 */
export class ByteTap extends Transform {
  readonly #hash: Hash = createHash('sha256')
  /** File bytes received so far. */
  #received = 0
  /** File bytes hashed so far. */
  #hashed = 0
  /** Chunks received but not hashed yet, from `#hashed` on. */
  #retained: Buffer[] = []
  #retainedBytes = 0
  /** The last byte before the resume offset, to see whether the file continues that record. */
  #before: number | undefined
  readonly #resume: CsvPosition | undefined
  /** Resuming: the offset was reached and checked; the bytes after it pass. */
  #joined = false
  readonly #path: string

  constructor(path: string, resume: CsvPosition | undefined) {
    super()
    this.#path = path
    this.#resume = resume
  }

  /** What to add to an offset the parser reports past the header to get the file's offset. */
  get shift(): number {
    return this.#resume ? this.#resume.offset - this.#resume.header : 0
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const start = this.#received
    this.#received += chunk.length
    const resume = this.#resume
    if (resume === undefined || this.#joined) {
      this.#retain(chunk)
      done(null, chunk)
      return
    }
    // Resuming, up to the offset: every byte is hashed now, the header's passed on.
    const { header, offset } = resume
    const before = chunk.subarray(0, Math.max(0, Math.min(chunk.length, offset - start)))
    if (before.length > 0) {
      this.#hash.update(before)
      this.#hashed += before.length
      this.#before = before[before.length - 1]
    }
    if (start < header) this.push(chunk.subarray(0, Math.min(chunk.length, header - start)))
    const after = chunk.subarray(before.length)
    // The check at the offset waits for the byte after it (or the end of the file).
    if (after.length === 0) {
      done()
      return
    }
    const problem = this.#join(after[0])
    if (problem) {
      done(problem)
      return
    }
    this.#retain(after)
    done(null, after)
  }

  override _flush(done: TransformCallback): void {
    const resume = this.#resume
    if (resume === undefined || this.#joined) {
      done()
      return
    }
    if (this.#received < resume.offset) {
      done(this.#refuse(shorter(this.#received)))
      return
    }
    done(this.#join(undefined))
  }

  /** The SHA-256 of the file's bytes before `offset` (at or after every offset asked before). */
  digestAt(offset: number): string {
    this.hashTo(offset)
    return this.#hash.copy().digest('hex')
  }

  /** Hashes the retained bytes up to `offset` (no later position may be before it). */
  hashTo(offset: number): void {
    while (this.#hashed < offset) {
      const chunk = this.#retained[0] as Buffer
      const take = Math.min(chunk.length, offset - this.#hashed)
      this.#hash.update(take === chunk.length ? chunk : chunk.subarray(0, take))
      this.#hashed += take
      this.#retainedBytes -= take
      if (take === chunk.length) this.#retained.shift()
      else this.#retained[0] = chunk.subarray(take)
    }
  }

  /** True when the bytes kept for hashing grew large: hash up to the last record read. */
  get retainsMuch(): boolean {
    return this.#retainedBytes > MAX_RETAINED
  }

  #retain(chunk: Buffer): void {
    this.#retained.push(chunk)
    this.#retainedBytes += chunk.length
  }

  /** At the resume offset: the hash of what is before it, and whether the file goes on there. */
  #join(next: number | undefined): CsvError | undefined {
    this.#joined = true
    const resume = this.#resume as CsvPosition
    const digest = this.#hash.copy().digest('hex')
    if (digest !== resume.sha256) {
      return this.#refuse(
        `its first ${resume.offset} bytes are not the ones the position was saved for (their ` +
          'SHA-256 differs): the file was replaced or changed before the offset',
      )
    }
    if (
      resume.offset > resume.header &&
      !isLineBreak(this.#before) &&
      next !== undefined &&
      !isLineBreak(next)
    ) {
      return this.#refuse(
        'the record before the offset had no line break and the file now continues it on the ' +
          'same line, so that record changed',
      )
    }
    return undefined
  }

  #refuse(why: string): CsvError {
    return refuseResume(this.#path, this.#resume?.offset ?? 0, why)
  }
}

/**
 * Checks the file against a position another sink saved (one that is ahead of the position
 * the read resumes from, or any saved position when the read starts from the beginning because
 * a sink stored nothing yet): the file must still hold the bytes that position was taken after,
 * or the sink that is ahead would skip records of another file.
 */
export async function checkSavedPrefix(position: CsvPosition, path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw refuseResume(path, position.offset, `it cannot be opened (${describeValue(error)})`)
  }
  try {
    const { size } = await handle.stat()
    if (size < position.offset) throw refuseResume(path, position.offset, shorter(size))
    const hash = createHash('sha256')
    const buffer = Buffer.allocUnsafe(1 << 16)
    for (let read = 0; read < position.offset; ) {
      const want = Math.min(buffer.length, position.offset - read)
      const { bytesRead } = await handle.read(buffer, 0, want, read)
      if (bytesRead === 0) throw refuseResume(path, position.offset, shorter(read))
      hash.update(buffer.subarray(0, bytesRead))
      read += bytesRead
    }
    if (hash.digest('hex') !== position.sha256) {
      throw refuseResume(
        path,
        position.offset,
        `its first ${position.offset} bytes are not the ones a sink's saved position was taken ` +
          'after (their SHA-256 differs): the file was replaced or changed before that offset',
      )
    }
  } finally {
    await handle.close()
  }
}

/** The `CSV_RESUME` error for a file that does not fit the saved position. */
export function refuseResume(path: string, offset: number, why: string): CsvError {
  return new CsvError(
    `cannot resume reading ${path} at byte ${offset} (the saved position): ${why}; give the ` +
      'run another "checkpoints.key" (or remove its state) to read it from the start',
    { code: 'CSV_RESUME', path, offset },
  )
}
