import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { describeValue } from './describe-value.js'
import { CheckpointStateError } from './errors.js'
import { optionChecks } from './option-checks.js'

/**
 * Where a resumable run keeps its state (see "Resumable loads" in the core README): a JSON
 * value under a key. `put` resolves once the value is durable; `get` resolves `undefined` for a
 * key never put. Values are plain JSON (objects, arrays, strings, finite numbers, booleans,
 * `null`).
 */
export interface CheckpointStore {
  /** The value last put under `key`, or `undefined` when there is none. */
  get(key: string): Promise<unknown>
  /** Stores `value` under `key`, replacing what was there; resolves once it is durable. */
  put(key: string, value: unknown): Promise<void>
  /**
   * Optional: stores `value` under `key` synchronously, durable when it returns (a SQLite
   * store, on the connection of a sink that writes to the same database). A run writes such a
   * store on every stored position, without coalescing, and a sink can write the state inside
   * its own transaction (`beginCommit()`'s `save()`), so the positions commit with the rows.
   * @default undefined (the run uses `put`)
   */
  putSync?(key: string, value: unknown): void
}

/** What a {@link fileCheckpointStore} file holds. */
const FILE_FORMAT = 'graphflow-checkpoints'
const FILE_VERSION = 1

interface StoreFile {
  format: typeof FILE_FORMAT
  version: typeof FILE_VERSION
  entries: Record<string, unknown>
}

/**
 * A {@link CheckpointStore} in one JSON file (every key of the store in it). Each `put` writes
 * a temporary file next to it, fsyncs it, renames it over the file and fsyncs the directory, so
 * the file holds either the previous state or the new one, whatever happens. A missing file is
 * an empty store; a file that is not JSON, or not a file this store wrote, is refused with an
 * error naming the path (code `CHECKPOINT_STATE`) rather than overwritten.
 *
 * @example
 * ```ts
 * await executor.execute({ checkpoints: { store: fileCheckpointStore('load.checkpoint.json') } })
 * ```
 */
export function fileCheckpointStore(path: string): CheckpointStore {
  optionChecks('fileCheckpointStore').requiredString('path', path)
  // Puts are written one after the other: each rewrites the whole file.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task, task)
    queue = result.catch(() => {})
    return result
  }
  return {
    get: (key) => serial(async () => (await readStoreFile(path)).entries[checkKey(key)]),
    put: (key, value) =>
      serial(async () => {
        const file = await readStoreFile(path)
        file.entries[checkKey(key)] = value
        let text: string | undefined
        try {
          text = JSON.stringify(file, null, 2)
        } catch (error) {
          throw new TypeError(
            `fileCheckpointStore '${path}': the value put under '${key}' is not JSON: ${String(error)}`,
          )
        }
        await writeAtomically(path, `${text}\n`)
      }),
  }
}

/**
 * A {@link CheckpointStore} in memory (for tests): values are copied through JSON on `put` and
 * `get`, as a durable store would, so a value that is not JSON fails here too.
 */
export function memoryCheckpointStore(): CheckpointStore {
  const entries = new Map<string, string>()
  return {
    async get(key) {
      const text = entries.get(checkKey(key))
      return text === undefined ? undefined : JSON.parse(text)
    },
    async put(key, value) {
      const text = JSON.stringify(value)
      if (text === undefined) {
        throw new TypeError(
          `memoryCheckpointStore: the value put under '${key}' is not JSON: ${String(value)}`,
        )
      }
      entries.set(checkKey(key), text)
    },
  }
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(
      `checkpoint store key: expected a non-empty string, got ${describeValue(key)}`,
    )
  }
  return key
}

async function readStoreFile(path: string): Promise<StoreFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { format: FILE_FORMAT, version: FILE_VERSION, entries: {} }
    }
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw stateError(
      `checkpoint file '${path}' is not valid JSON (${(error as Error).message}): it is corrupt or not a checkpoint file; move it away to start over`,
      path,
      error,
    )
  }
  const file = parsed as Partial<StoreFile> | null
  if (
    typeof file !== 'object' ||
    file === null ||
    file.format !== FILE_FORMAT ||
    typeof file.entries !== 'object' ||
    file.entries === null ||
    Array.isArray(file.entries)
  ) {
    throw stateError(
      `checkpoint file '${path}' is not a graphflow checkpoint file (expected "format": "${FILE_FORMAT}"); refusing to overwrite it`,
      path,
    )
  }
  if (file.version !== FILE_VERSION) {
    throw stateError(
      `checkpoint file '${path}' has version ${String(file.version)}; this version of @graphflow/core reads version ${FILE_VERSION}`,
      path,
    )
  }
  return file as StoreFile
}

/** A `CHECKPOINT_STATE` error with the file's `path` as a detail. */
function stateError(message: string, path: string, cause?: unknown): CheckpointStateError {
  return new CheckpointStateError(message, { cause, path })
}

/** Temp file, fsync, rename over `path`, fsync of the directory. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const directory = dirname(path)
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temporary, 'w')
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temporary, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  // The rename is durable once the directory is; Windows cannot open a directory for it.
  if (process.platform === 'win32') return
  const dir = await open(directory, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
