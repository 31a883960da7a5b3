// What sqlite's tests need beyond the testkit (runNode, memoryLogger): temp files and reads.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecutionReport } from '@graphflow/core'
import Database from 'better-sqlite3'
import { afterEach } from 'vitest'

const directories: string[] = []
afterEach(async () => {
  for (const directory of directories.splice(0))
    await rm(directory, { recursive: true, force: true })
})

/** A fresh temp directory, removed after the test; returns a path to a file inside it. */
export async function tempFile(name = 'test.db'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'graphflow-sqlite-'))
  directories.push(directory)
  return join(directory, name)
}

/** Reads all rows of a query from a database file (opened and closed here). */
export function readRows<Row = Record<string, unknown>>(file: string, sql: string): Row[] {
  const database = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return database.prepare<[], Row>(sql).all()
  } finally {
    database.close()
  }
}

/** The errors a node raised in a run. */
export function errorsOf(report: ExecutionReport, node: string): Error[] {
  return report.exceptions[node] ?? []
}
