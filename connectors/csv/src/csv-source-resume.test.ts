import { createHash } from 'node:crypto'
import { appendFile, rename, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AsyncExecutor,
  AsyncGraph,
  type CheckpointStore,
  type ExecutionReport,
  memoryCheckpointStore,
} from '@graphflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers.js'
import type { CsvError } from './csv-error.js'
import type { CsvPosition } from './csv-position.js'
import { csvSource } from './csv-source.js'
import type { CsvSourceOptions } from './csv-source-options.js'

let dir: string
let cleanup: () => Promise<void>
let path: string
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  path = join(dir, 'in.csv')
})
afterEach(() => cleanup())

const quiet = { info: () => {}, error: () => {}, warn: () => {} }
type Row = Record<string, unknown> | unknown[]

/**
 * A record with what breaks naive offsets: quoted fields with CRLF line breaks and quotes,
 * multi-byte UTF-8 (2, 3 and 4 bytes), and a length that varies, so that a file of 200 of them
 * spans several 64 KiB reads and records cross the reads' boundaries.
 */
function record(id: number): string {
  const text = `é€😀 "q" ${id}\r\nline two ${'ü'.repeat((id * 37) % 700)}`
  return `${id},"${text.replaceAll('"', '""')}",${'∑'.repeat(id % 5)}\r\n`
}
const HEADER = '\uFEFFid,text,sum\r\n'
const records = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => record(from + index)).join('')

/**
 * One run of csvSource -> sink with a store: the records the sink got (flattened), the
 * report, the saved position. `stopAfter` aborts the run inside the sink's call for that
 * many items, so the units before that call are stored and nothing after.
 */
async function load(
  options: Partial<CsvSourceOptions>,
  store: CheckpointStore,
  stopAfter?: number,
): Promise<{ rows: Row[]; report: ExecutionReport; position: CsvPosition | undefined }> {
  const rows: Row[] = []
  const controller = new AbortController()
  let calls = 0
  const graph = new AsyncGraph()
  graph.addNode(csvSource({ path, ...options }), { name: 'lines' })
  graph.addNode(async function* save(item: Row | Row[]) {
    const batch = options.batchSize === undefined ? [item as Row] : (item as Row[])
    rows.push(...batch)
    if (++calls === stopAfter) controller.abort()
  })
  graph.addEdge('lines', 'save')
  const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
    checkpoints: { store },
    signal: controller.signal,
  })
  const state = (await store.get('graphflow')) as
    | { sources: Record<string, Record<string, { position: CsvPosition }>> }
    | undefined
  return { rows, report, position: state?.sources.lines?.save?.position }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const errorOf = (report: ExecutionReport) => report.exceptions.lines?.[0] as CsvError | undefined

describe('csvSource positions: resumable loads', () => {
  it('resumes at the next record: the stored records and the rest make the clean run', async () => {
    await writeFile(path, HEADER + records(1, 200))
    const options = { batchSize: 3, cast: true }
    const clean = await load(options, memoryCheckpointStore())
    expect(clean.rows).toHaveLength(200)
    expect(clean.rows[0]).toEqual({
      id: 1,
      text: `é€😀 "q" 1\r\nline two ${'ü'.repeat(37)}`,
      sum: '∑',
    })
    for (const stopAfter of [1, 2, 7, 30, 66]) {
      const store = memoryCheckpointStore()
      const stopped = await load(options, store, stopAfter)
      const stored = (stopAfter - 1) * 3
      const resumed = await load(options, store)
      expect(errorOf(resumed.report)).toBeUndefined()
      expect([...stopped.rows.slice(0, stored), ...resumed.rows]).toEqual(clean.rows)
      expect(resumed.rows).toHaveLength(200 - stored)
    }
  })

  it('saves the offset of the next record, its line, the header end and the hash before it', async () => {
    const content = Buffer.from(HEADER + records(1, 5))
    await writeFile(path, content)
    const store = memoryCheckpointStore()
    const { position } = await load({ batchSize: 2 }, store, 2)
    const offset = Buffer.byteLength(HEADER + records(1, 2))
    expect(position).toEqual({
      offset,
      // csv-parse's count: the header's line, then 3 per record (it counts a quoted CRLF twice).
      line: 7,
      header: Buffer.byteLength(HEADER),
      sha256: sha256(content.subarray(0, offset)),
    })
  })

  it('without batchSize, a unit is one record; with columns: false the header is skipped again', async () => {
    await writeFile(path, HEADER + records(1, 20))
    for (const options of [{}, { columns: false }, { columns: ['a', 'b', 'c'] }] as const) {
      const clean = await load(options, memoryCheckpointStore())
      const store = memoryCheckpointStore()
      const stopped = await load(options, store, 8)
      const resumed = await load(options, store)
      expect([...stopped.rows.slice(0, 7), ...resumed.rows]).toEqual(clean.rows)
    }
  })

  it('resumes a file without a header, and with fromLine and toLine, on the same lines', async () => {
    await writeFile(path, `# export\r\n# of items\r\n${records(1, 40)}`)
    for (const options of [
      { header: false, columns: false, fromLine: 3, batchSize: 4 },
      { header: false, columns: false, fromLine: 3, toLine: 50, batchSize: 4 },
    ] as const) {
      const clean = await load(options, memoryCheckpointStore())
      const store = memoryCheckpointStore()
      const stopped = await load(options, store, 5)
      const resumed = await load(options, store)
      expect([...stopped.rows.slice(0, 16), ...resumed.rows]).toEqual(clean.rows)
    }
    // csv-parse counts 3 lines per record (a quoted CRLF twice): lines 3 to 50 hold 16 records.
    const slice = await load(
      { header: false, columns: false, fromLine: 3, toLine: 50 },
      memoryCheckpointStore(),
    )
    expect(slice.rows).toHaveLength(16)
  })

  it('names the line of a parse error after the offset as a clean run does', async () => {
    await writeFile(path, `${HEADER}${records(1, 10)}11,"never closed\r\n${records(12, 14)}`)
    const clean = await load({ batchSize: 2 }, memoryCheckpointStore())
    const store = memoryCheckpointStore()
    await load({ batchSize: 2 }, store, 3)
    const resumed = await load({ batchSize: 2 }, store)
    expect(resumed.rows).toHaveLength(6)
    // The quote opened on record 11 closes on record 12's line, where the error is.
    expect(errorOf(clean.report)).toMatchObject({ code: 'CSV_PARSE', line: 34 })
    expect(errorOf(resumed.report)).toMatchObject({ code: 'CSV_PARSE', line: 34 })
    expect(errorOf(resumed.report)?.message).toContain('at line 34 instead of delimiter')
    await writeFile(path, `${HEADER}${records(1, 10)}11,"a"b\r\n`)
    const cleanBroken = await load({ batchSize: 2 }, memoryCheckpointStore())
    const store2 = memoryCheckpointStore()
    await load({ batchSize: 2 }, store2, 3)
    const broken = await load({ batchSize: 2 }, store2)
    expect(errorOf(broken.report)).toMatchObject({
      code: 'CSV_PARSE',
      line: errorOf(cleanBroken.report)?.line,
    })
  })
})

describe('csvSource positions: incremental loads and what is refused', () => {
  it('reads only the records appended since the last run', async () => {
    await writeFile(path, HEADER + records(1, 30))
    const store = memoryCheckpointStore()
    expect((await load({ batchSize: 4 }, store)).rows).toHaveLength(30)
    expect((await load({ batchSize: 4 }, store)).rows).toEqual([])
    await appendFile(path, records(31, 35))
    const next = await load({ batchSize: 4 }, store)
    expect(next.rows.map((row) => (row as { id: string }).id)).toEqual([
      '31',
      '32',
      '33',
      '34',
      '35',
    ])
  })

  it('reads on after a last record without a line break once a line break and records follow', async () => {
    await writeFile(path, 'id,name\n1,a\n2,b')
    const store = memoryCheckpointStore()
    expect((await load({}, store)).rows).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b' },
    ])
    await appendFile(path, '\n3,c\n')
    expect((await load({}, store)).rows).toEqual([{ id: '3', name: 'c' }])
  })

  it('refuses a file that continues the last record read on the same line', async () => {
    await writeFile(path, 'id,name\n1,a\n2,b')
    const store = memoryCheckpointStore()
    await load({}, store)
    await appendFile(path, 'cd\n3,e\n')
    const { rows, report } = await load({}, store)
    expect(rows).toEqual([])
    expect(errorOf(report)).toMatchObject({ code: 'CSV_RESUME', path, offset: 15 })
    expect(errorOf(report)?.message).toContain('the file now continues it on the same line')
  })

  it('refuses a replaced or changed file, naming the path and what differs', async () => {
    await writeFile(path, HEADER + records(1, 30))
    const store = memoryCheckpointStore()
    const { position } = await load({ batchSize: 4 }, store, 3)
    // Another file of the same length renamed over it: one byte before the offset differs.
    const other = join(dir, 'other.csv')
    await writeFile(other, (HEADER + records(1, 30)).replace('1,"é', '7,"é'))
    await rename(other, path)
    const { rows, report } = await load({ batchSize: 4 }, store)
    expect(rows).toEqual([])
    const error = errorOf(report)
    expect(error).toMatchObject({ code: 'CSV_RESUME', path, offset: position?.offset })
    expect(error?.message).toContain(
      `cannot resume reading ${path} at byte ${position?.offset} (the saved position): its first ${position?.offset} bytes are not the ones the position was saved for (their SHA-256 differs)`,
    )
  })

  // Guards: with one sink at seq 0 (nothing stored) and another ahead, resumeFrom is undefined;
  // a replaced file went unnoticed and the sink ahead skipped the new file's first records.
  it('refuses a replaced file when one sink stored nothing and another is ahead', async () => {
    await writeFile(path, HEADER + records(1, 30))
    const store = memoryCheckpointStore()
    await load({ batchSize: 4 }, store, 3)
    const state = (await store.get('graphflow')) as { sources: { lines: Record<string, unknown> } }
    state.sources.lines.later = { position: null, seq: 0 }
    await store.put('graphflow', state)
    const other = join(dir, 'other.csv')
    await writeFile(other, (HEADER + records(1, 30)).replace('1,"é', '7,"é'))
    await rename(other, path)
    const rows: Row[] = []
    const graph = new AsyncGraph()
    graph.addNode(csvSource({ path, batchSize: 4 }), { name: 'lines' })
    for (const name of ['save', 'later']) {
      graph.addNode({
        name,
        async *fn(batch: Row[]) {
          rows.push(...batch)
        },
      })
      graph.addEdge('lines', name)
    }
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(rows).toEqual([])
    expect(errorOf(report)).toMatchObject({ code: 'CSV_RESUME', path })
    expect(errorOf(report)?.message).toContain(
      "not the ones a sink's saved position was taken after",
    )
  })

  it('refuses a file shorter than the offset', async () => {
    await writeFile(path, HEADER + records(1, 30))
    const store = memoryCheckpointStore()
    const { position } = await load({ batchSize: 4 }, store, 3)
    await truncate(path, (position?.offset ?? 0) - 1)
    const { rows, report } = await load({ batchSize: 4 }, store)
    expect(rows).toEqual([])
    expect(errorOf(report)?.message).toContain(
      `bytes long, shorter than that offset: it was truncated or replaced`,
    )
  })

  it('refuses a saved position that is not a csvSource position', async () => {
    await writeFile(path, HEADER + records(1, 3))
    const store = memoryCheckpointStore()
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: { lines: { save: { position: { key: ['id'], after: [3] }, seq: 1 } } },
    })
    const { rows, report } = await load({}, store)
    expect(rows).toEqual([])
    expect(errorOf(report)).toMatchObject({ code: 'CSV_RESUME' })
    expect(errorOf(report)?.message).toContain('is not a csvSource position')
  })
})

describe('csvSource positions: which calls yield them', () => {
  /** A run of csvSource (no "path" option) started with the path, with checkpoints. */
  async function loadArgument(store: CheckpointStore) {
    const rows: Row[] = []
    const graph = new AsyncGraph()
    graph.addNode(csvSource(), { name: 'lines' })
    graph.addNode(async function* save(item: Row) {
      rows.push(item)
    })
    graph.addEdge('lines', 'save')
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store },
      startNodes: { lines: [path] },
    })
    return { rows, report }
  }

  it('yields none when called with a path, and refuses a saved position then', async () => {
    await writeFile(path, 'id\n1\n2\n')
    const store = memoryCheckpointStore()
    expect((await loadArgument(store)).rows).toEqual([{ id: '1' }, { id: '2' }])
    expect(await store.get('graphflow')).toBeUndefined() // no position, nothing saved
    await load({}, store) // with the "path" option: saves a position
    const { rows, report } = await loadArgument(store)
    expect(rows).toEqual([])
    expect(errorOf(report)).toMatchObject({ code: 'CSV_RESUME' })
    expect(errorOf(report)?.message).toContain("cannot resume node 'lines'")
  })

  it('yields none in a run without checkpoints', async () => {
    await writeFile(path, 'id\n1\n2\n')
    const graph = new AsyncGraph()
    graph.addNode(csvSource({ path, batchSize: 1 }), { name: 'lines' })
    graph.addNode(async function* save(_batch: Row[]) {})
    graph.addEdge('lines', 'save')
    const positions: unknown[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', ({ position }) => positions.push(position))
    await executor.execute({ tracking: true })
    expect(positions).toEqual([])
  })
})
