import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph, type ExecutionReport, type NodeSpec } from '@graphflow/core'
import { parse } from 'csv-parse/sync'

/** A logger that keeps what it is given. */
export function quietLogger(): {
  info(message: string): void
  error(message: string): void
  lines: string[]
} {
  const lines: string[] = []
  return {
    lines,
    info: (message: string) => lines.push(message),
    error: (message: string) => lines.push(message),
  }
}

/** A fresh temp dir, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'graphflow-csv-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Runs `items` (one per call) through `sink` in a two-node graph. */
export async function writeThrough(
  sink: NodeSpec<never[], unknown>,
  items: readonly unknown[],
  signal?: AbortSignal,
): Promise<ExecutionReport> {
  const graph = new AsyncGraph()
  const source = graph.addNode(
    async function* items_() {
      yield* items
    },
    { name: 'items' },
  )
  const node = graph.addNode(sink)
  graph.addEdge(source, node as never)
  return new AsyncExecutor(graph, { logger: quietLogger() }).execute({ signal })
}

/** Runs a source spec alone and collects what it yields (through a collecting node). */
export async function readAll<In extends unknown[]>(
  source: NodeSpec<In, unknown>,
  startArgs: unknown[] = [],
): Promise<{ items: unknown[]; report: ExecutionReport }> {
  const items: unknown[] = []
  const graph = new AsyncGraph()
  const node = graph.addNode(source)
  const collect = graph.addNode(async function* collect(item: unknown) {
    items.push(item)
  })
  graph.addEdge(node, collect as never)
  const report = await new AsyncExecutor(graph, { logger: quietLogger() }).execute({
    startNodes: { [source.name]: startArgs },
  })
  return { items, report }
}

/** The records of a CSV file, parsed strictly with csv-parse. */
export async function readCsv(path: string, columns = true): Promise<unknown[]> {
  return parse(await readFile(path), { columns, bom: true }) as unknown[]
}

/** The header and one record's length in the kill -9 test's CSV (all records have that length). */
export const KILL_HEADER = 'id,text\n'
/** The kill -9 test's record `id`: a fixed-width id and a long quoted field with quotes and line breaks. */
export function killRecord(id: number): { id: string; text: string } {
  const text = `row ${id}: "quoted"\n`.padEnd(64, '.')
  return { id: String(id).padStart(9, '0'), text: `${text}\n`.repeat(1000) }
}
/** The bytes csvSink writes for {@link killRecord}(id). */
export function killRecordCsv(id: number): string {
  const { id: key, text } = killRecord(id)
  return `${key},"${text.replaceAll('"', '""')}"\n`
}
