import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AsyncExecutor,
  AsyncGraph,
  type ExecutionReport,
  type Logger,
  type NodeSpec,
} from '@graphflow/core'
import Database from 'better-sqlite3'
import { afterEach } from 'vitest'

/** A logger that keeps what it is given instead of printing it. */
export function quietLogger(): Logger & { errors: string[] } {
  const errors: string[] = []
  return { errors, info() {}, error: (message: string) => errors.push(message) }
}

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

/** Runs `items` from a source node into `sink`: one item per yield. */
export async function runInto(
  sink: NodeSpec<never[], unknown> | NodeSpec<[never], unknown>,
  items: readonly unknown[],
  options: { signal?: AbortSignal; logger?: Logger; haltOnException?: boolean } = {},
): Promise<ExecutionReport> {
  const graph = new AsyncGraph({ haltOnException: options.haltOnException ?? false })
  graph.addNode(
    async function* items_() {
      yield* items
    },
    { name: 'items' },
  )
  graph.addNode(sink as NodeSpec<[unknown], unknown>)
  graph.addEdge('items', (sink as NodeSpec).name)
  return new AsyncExecutor(graph, { logger: options.logger ?? quietLogger() }).execute({
    signal: options.signal,
  })
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
