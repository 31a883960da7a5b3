// Reads what a breweries run saved: in its database (table graphflow_checkpoints) when it wrote
// one, else in the state file beside its CSV.
import { existsSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'

/** One sink's saved position (records stored from the first page; `done`: the load ended). */
export interface SavedPosition {
  records: number
  done: boolean
}

/** The run's parameters and each sink's saved position; `undefined` when nothing is saved. */
export interface SavedState {
  run: Record<string, unknown> | undefined
  positions: Record<string, SavedPosition>
}

function entriesOf(place: string): Record<string, unknown> | undefined {
  if (!existsSync(place)) return undefined
  if (place.endsWith('.json')) return JSON.parse(readFileSync(place, 'utf8')).entries
  const database = new Database(place, { readonly: true })
  try {
    const table = database
      .prepare("SELECT 1 FROM sqlite_master WHERE name = 'graphflow_checkpoints'")
      .get()
    if (!table) return undefined
    const rows = database.prepare('SELECT key, value FROM graphflow_checkpoints').all() as {
      key: string
      value: string
    }[]
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value)]))
  } finally {
    database.close()
  }
}

/** `place`: the database (`us.db`) or the state file (`us.csv.checkpoint.json`). */
export function readSavedState(place: string): SavedState | undefined {
  const entries = entriesOf(place)
  if (!entries) return undefined
  const sinks =
    (entries.breweries as { sources?: Record<string, Record<string, { position?: unknown }>> })
      ?.sources?.breweries ?? {}
  const positions: Record<string, SavedPosition> = {}
  for (const [sink, entry] of Object.entries(sinks)) {
    const position = entry.position as { records?: number; done?: boolean } | null | undefined
    positions[sink] = { records: position?.records ?? 0, done: position?.done === true }
  }
  return { run: entries['breweries-run'] as Record<string, unknown> | undefined, positions }
}
