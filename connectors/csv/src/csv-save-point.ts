import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { open, stat, truncate } from 'node:fs/promises'
import { messageOf } from '@graphflow/core'
import { CsvError } from './csv-error.js'

/** How many bytes of the head of the file the save point hashes. */
const HEAD_BYTES = 4096

/**
 * What a `csvSink` saves with its positions in a run with checkpoints: the size of the file
 * once its last commit was durable, and the file's identity (device and inode, and a hash of
 * its first bytes), so a resumed run truncates the right file to the right size.
 */
export interface CsvSavePoint {
  /** The file's size in bytes: every record of the units the position covers, and nothing else. */
  size: number
  /** The file's device and inode numbers, as decimal strings. */
  dev: string
  ino: string
  /** SHA-256 (hex) of the first `min(size, 4096)` bytes. */
  head: string
}

/** Tracks what the sink wrote, to make its save point at each commit. */
export class SavePointTracker {
  #size: number
  #head: Buffer
  readonly #dev: string
  readonly #ino: string
  /** The point of the last durable commit. */
  committed: CsvSavePoint

  private constructor(size: number, head: Buffer, dev: string, ino: string) {
    this.#size = size
    this.#head = head
    this.#dev = dev
    this.#ino = ino
    this.committed = this.#point()
  }

  /** Starts tracking the file open as `handle` (at `path`), of `size` bytes so far. */
  static async open(path: string, handle: FileHandle, size: number): Promise<SavePointTracker> {
    const found = await handle.stat({ bigint: true })
    return new SavePointTracker(
      size,
      await readHead(path, size),
      String(found.dev),
      String(found.ino),
    )
  }

  /** Counts text handed to the file. */
  wrote(text: string): void {
    const bytes = Buffer.from(text, 'utf8')
    this.#size += bytes.length
    if (this.#head.length < HEAD_BYTES) {
      this.#head = Buffer.concat([this.#head, bytes]).subarray(0, HEAD_BYTES)
    }
  }

  /** Everything counted so far is durable. */
  commit(): void {
    this.committed = this.#point()
  }

  #point(): CsvSavePoint {
    return {
      size: this.#size,
      dev: this.#dev,
      ino: this.#ino,
      head: createHash('sha256').update(this.#head).digest('hex'),
    }
  }
}

/** Checks a save point handed back by core (it comes from a file the user may have edited). */
export function checkSavePoint(path: string, saved: unknown): CsvSavePoint {
  const point = saved as Partial<CsvSavePoint> | null | undefined
  if (
    typeof point !== 'object' ||
    point === null ||
    !Number.isSafeInteger(point.size) ||
    (point.size as number) < 0 ||
    typeof point.dev !== 'string' ||
    typeof point.ino !== 'string' ||
    typeof point.head !== 'string'
  ) {
    throw new CsvError(
      `cannot resume writing ${path}: the saved state holds no save point of a csvSink for it (got ${JSON.stringify(saved)}); remove the state to start over`,
      { code: 'CSV_RESUME', path },
    )
  }
  return point as CsvSavePoint
}

/**
 * A resumed run: checks that `path` is the file the save point was made of, at least as long,
 * and truncates it to the saved size (what lies past it is written again). Refuses, naming the
 * path and the sizes, a file that is missing, shorter or replaced.
 */
export async function truncateToSavePoint(path: string, point: CsvSavePoint): Promise<void> {
  const refuse = (problem: string, size?: number): never => {
    throw new CsvError(
      `cannot resume writing ${path}: ${problem}; the file was left unchanged. Restore the file, or remove the saved state (and the file) to load again from the start`,
      { code: 'CSV_RESUME', path, savedSize: point.size, size },
    )
  }
  const found = await stat(path, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new CsvError(`cannot resume writing ${path}: ${messageOf(error)}`, {
      code: 'CSV_OPEN',
      path,
      cause: error,
    })
  })
  if (found === undefined) {
    if (point.size === 0) return
    return refuse(`it is missing, and the saved state says ${point.size} bytes were written`)
  }
  const size = Number(found.size)
  if (String(found.dev) !== point.dev || String(found.ino) !== point.ino) {
    refuse(
      `it was replaced (device ${found.dev}, inode ${found.ino}; the saved state was made of device ${point.dev}, inode ${point.ino})`,
      size,
    )
  }
  if (size < point.size) {
    refuse(
      `it has ${size} bytes, shorter than the ${point.size} bytes saved with its position`,
      size,
    )
  }
  const head = await readHead(path, point.size)
  if (createHash('sha256').update(head).digest('hex') !== point.head) {
    refuse(
      `its first ${head.length} bytes are not those it had when its position was saved (it was rewritten)`,
      size,
    )
  }
  if (size > point.size) await truncate(path, point.size)
}

/** The first `min(size, 4096)` bytes of a file. */
async function readHead(path: string, size: number): Promise<Buffer> {
  const head = Buffer.alloc(Math.min(size, HEAD_BYTES))
  if (head.length === 0) return head
  const handle = await open(path, 'r')
  try {
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
