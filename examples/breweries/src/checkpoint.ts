// What the example adds to the library's resumable loads (see "Resumable loads" in the core
// README): the state file's place, a record of the run's parameters so that `--resume` with
// other flags is refused in words before any request, and what the saved state says each
// output holds. The positions, the CSV truncation and the SQLite row ids are the library's.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { type CheckpointStore, fileCheckpointStore } from '@graphflow/core'
import { type SqliteCheckpointStore, sqliteCheckpointStore } from '@graphflow/sqlite'
import { BreweriesError } from './breweries-error.js'

/** The key of the library's state (positions per sink) in the state file. */
export const STATE_KEY = 'breweries'
/** The key of this example's record of the run's parameters in the same file. */
export const RUN_KEY = 'breweries-run'
/** The source node whose positions the state holds. */
export const SOURCE_NODE = 'breweries'

/** The parameters a resumed run must share with the run it continues (`apiUrl` in full). */
export interface RunKey {
  /** The API's list endpoint, or `offline` for the replay server. */
  apiUrl: string
  country: string
  perPage: number
  csv: string | undefined
  sqlite: string | undefined
}

/** What the state file keeps of {@link RunKey}: the URL redacted, a hash standing for it. */
export interface RunRecord extends RunKey {
  /** SHA-256 (hex) of the full `apiUrl`, secrets included: what `--resume` compares. */
  apiUrlHash: string
}

/** Query parameters whose values are secrets (lower case), as `@graphflow/http` redacts them. */
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'sig', 'auth'])
const SECRET_PARAM_PARTS = /token|secret|password|passwd|signature|credential/i

/**
 * A URL as it may be written to a file: userinfo and the values of secret-looking query
 * parameters (`api_key`, `*token*`, `*secret*` ...) replaced by `***`. A text that is not a URL
 * (`offline`) is returned as is.
 */
export function redactUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return text
  }
  if (url.username) url.username = '***'
  if (url.password) url.password = '***'
  for (const name of new Set(url.searchParams.keys())) {
    if (SECRET_PARAMS.has(name.toLowerCase()) || SECRET_PARAM_PARTS.test(name)) {
      url.searchParams.set(name, '***')
    }
  }
  return url.href.replaceAll('%2A%2A%2A', '***')
}

/** SHA-256 (hex) of a full URL: compared on `--resume` without keeping the URL's secrets. */
export function hashUrl(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The table of the database that keeps the state when the run writes to SQLite. */
export const STATE_TABLE = 'graphflow_checkpoints'

/**
 * Where a run keeps its state: in its SQLite database when it writes one (the SQLite sink then
 * commits each saved position with its rows, in the same transaction), else in a file beside
 * the CSV.
 */
export function statePath(key: RunKey): string {
  return key.sqlite ?? `${key.csv}.checkpoint.json`
}

/** The state's place as messages name it. */
export function stateName(key: RunKey): string {
  return key.sqlite ? `${key.sqlite} (table ${STATE_TABLE})` : statePath(key)
}

/** The record of a run's parameters as the state file keeps it (no secret of the URL). */
export function runRecord(key: RunKey): RunRecord {
  return { ...key, apiUrl: redactUrl(key.apiUrl), apiUrlHash: hashUrl(key.apiUrl) }
}

/** Why a saved run cannot be resumed with these parameters, or `undefined` when it can. */
export function mismatch(saved: RunRecord, key: RunKey): string | undefined {
  if (saved.apiUrlHash !== hashUrl(key.apiUrl)) {
    const before = redactUrl(saved.apiUrl)
    const now = redactUrl(key.apiUrl)
    return `apiUrl was ${JSON.stringify(before)}, now ${JSON.stringify(now)}${before === now ? ' (they differ in a part that is not shown)' : ''}`
  }
  for (const field of ['country', 'perPage', 'csv', 'sqlite'] as const) {
    if (saved[field] !== key[field]) {
      const show = (value: unknown) => (value === undefined ? 'not given' : JSON.stringify(value))
      return `${field} was ${show(saved[field])}, now ${show(key[field])}`
    }
  }
  return undefined
}

/** What the saved state says about one sink: the records and pages it stored, in order. */
export interface SinkStored {
  records: number
  pages: number
  /** It stored the empty page that ends the load. */
  done: boolean
  /** The CSV's size in bytes the saved state keeps (the csvSink's save point), when known. */
  size?: number
}

/**
 * Reads what each sink stored from the library's state (`sources.breweries[sink].position`,
 * the `httpSource` position: `pages`, `records`, `done`). A sink without a position (a run
 * stopped before its first page was stored) stored nothing.
 */
export function storedBySink(state: unknown, sinks: readonly string[]): Record<string, SinkStored> {
  const sources = (state as { sources?: Record<string, Record<string, unknown>> } | undefined)
    ?.sources
  const entries = sources?.[SOURCE_NODE] ?? {}
  const stored: Record<string, SinkStored> = {}
  for (const sink of sinks) {
    const entry = entries[sink] as { position?: unknown; data?: { size?: unknown } } | undefined
    const position = entry?.position as
      | { pages?: unknown; records?: unknown; done?: unknown }
      | null
      | undefined
    const count = (value: unknown) => (typeof value === 'number' ? value : 0)
    stored[sink] = {
      records: count(position?.records),
      pages: count(position?.pages),
      done: position?.done === true,
    }
    const size = entry?.data?.size
    if (typeof size === 'number') stored[sink].size = size
  }
  return stored
}

/**
 * The replay server listens on a new port each run: an offline state's positions were saved for
 * the last run's port. Points them at this run's server (the only part that may differ: the
 * path, the query and the pagination are still compared by `httpSource`).
 */
export function moveOfflinePositions(state: unknown, apiUrl: string): boolean {
  const origin = new URL(apiUrl).origin
  const entries =
    (state as { sources?: Record<string, Record<string, unknown>> } | undefined)?.sources?.[
      SOURCE_NODE
    ] ?? {}
  let moved = false
  for (const entry of Object.values(entries)) {
    const saved = (entry as { position?: { for?: { url?: unknown } } | null }).position?.for
    if (saved && typeof saved.url === 'string') {
      const url = saved.url.replace(/^http:\/\/127\.0\.0\.1:\d+(?=\/)/, origin)
      moved ||= url !== saved.url
      saved.url = url
    }
  }
  return moved
}

/** The record of a run without SQLite, in the state file beside the CSV, if there is one. */
export async function recordBesideCsv(key: RunKey): Promise<RunRecord | undefined> {
  const path = statePath({ ...key, sqlite: undefined })
  if (!existsSync(path)) return undefined
  const record = await fileCheckpointStore(path)
    .get(RUN_KEY)
    .catch(() => undefined)
  return typeof (record as RunRecord | undefined)?.apiUrlHash === 'string'
    ? (record as RunRecord)
    : undefined
}

/** The state of a run: the store, what it holds, and how to start over. */
export interface RunState {
  /** Where the state is, as messages name it. */
  name: string
  store: CheckpointStore
  /** The record of the run that wrote the state, `undefined` when there is none. */
  record: RunRecord | undefined
  /** The library's state under {@link STATE_KEY}, `undefined` when there is none. */
  state: unknown
  /** Removes the state (this example's keys; a state file altogether). */
  remove(): Promise<void>
  /** Closes the store's database connection, if it has one. */
  close(): void
}

/**
 * Opens the state of a run: a `sqliteCheckpointStore` in its database, or a
 * `fileCheckpointStore` beside its CSV (written atomically: a temp file, fsync, rename, fsync of
 * the directory). A missing file or database is an empty state, and nothing is created here.
 */
export async function openRunState(key: RunKey): Promise<RunState> {
  const path = statePath(key)
  const name = stateName(key)
  let database: SqliteCheckpointStore | undefined = key.sqlite
    ? sqliteCheckpointStore({ path: key.sqlite, table: STATE_TABLE })
    : undefined
  const store: CheckpointStore = database ?? fileCheckpointStore(path)
  let record: unknown
  let state: unknown
  try {
    if (existsSync(path)) {
      record = await store.get(RUN_KEY)
      state = await store.get(STATE_KEY)
    }
  } catch (error) {
    database?.close()
    throw new BreweriesError(
      `cannot read the checkpoint in ${name}: ${(error as Error).message}; move it away to start over`,
    )
  }
  if (record !== undefined && typeof (record as RunRecord).apiUrlHash !== 'string') {
    database?.close()
    throw new BreweriesError(
      `${name} holds no checkpoint of this version of the example; remove it to start over`,
    )
  }
  return {
    name,
    store,
    record: record as RunRecord | undefined,
    state,
    async remove() {
      if (!key.sqlite) return rm(path, { force: true })
      if (!database) return
      if (!existsSync(path)) return
      const connection = database.connection()
      const table = connection
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(STATE_TABLE)
      if (table) {
        connection.prepare(`DELETE FROM ${STATE_TABLE} WHERE key IN (?, ?)`).run(RUN_KEY, STATE_KEY)
      }
    },
    close() {
      database?.close()
      database = undefined
    },
  }
}
