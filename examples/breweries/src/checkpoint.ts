import { readFile, rename, writeFile } from 'node:fs/promises'

/** What a run leaves beside its output so that `--resume` can continue it. */
export interface Checkpoint {
  /** The API's list endpoint, or `offline` for the replay server. */
  apiUrl: string
  country: string
  perPage: number
  csv: string | undefined
  sqlite: string | undefined
  /** Whole pages each sink has stored, counted from page 1. */
  pages: { csv?: number; sqlite?: number }
  /** The CSV's size in bytes when the checkpoint was written: a resume cuts what came after. */
  csvBytes?: number
  /** True once a run ended with no error: nothing left to resume. */
  complete: boolean
  updatedAt: string
}

/** The parameters a resumed run must share with the run it continues. */
export type CheckpointKey = Pick<Checkpoint, 'apiUrl' | 'country' | 'perPage' | 'csv' | 'sqlite'>

/** The checkpoint file of a run: beside its CSV, or its database when there is no CSV. */
export function checkpointPath(key: CheckpointKey): string {
  return `${key.csv ?? key.sqlite}.checkpoint.json`
}

/** Reads a checkpoint; `undefined` when there is none. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Checkpoint
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read the checkpoint ${path}: ${(error as Error).message}`)
  }
}

/** Writes a checkpoint atomically (temp file, then rename). */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(checkpoint, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
}

/** Why a checkpoint cannot be resumed with these parameters, or `undefined` when it can. */
export function mismatch(checkpoint: Checkpoint, key: CheckpointKey): string | undefined {
  for (const field of ['apiUrl', 'country', 'perPage', 'csv', 'sqlite'] as const) {
    if (checkpoint[field] !== key[field]) {
      return `${field} was ${JSON.stringify(checkpoint[field])}, now ${JSON.stringify(key[field])}`
    }
  }
  return undefined
}

/** Whole pages stored, given the records a sink wrote in this run (a last short page counts). */
export function pagesStored(before: number, records: number, perPage: number): number {
  return before + Math.ceil(records / perPage)
}
