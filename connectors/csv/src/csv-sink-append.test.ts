import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { quietLogger, readCsv, tempDir, writeThrough } from '../test/helpers.js'
import type { CsvError } from './csv-error.js'
import { csvSink } from './csv-sink.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const text = (path: string) => readFile(path, 'utf8')

describe('csvSink append', () => {
  it('appends to a file with a header without repeating it', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id,name\n1,a\n')
    const sink = csvSink({ path, columns: ['id', 'name'], append: true })
    await writeThrough(sink, [{ id: 2, name: 'b' }])
    expect(await text(path)).toBe('id,name\n1,a\n2,b\n')
  })

  it("takes the columns and their order from the file's header", async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, '\uFEFFname,id\na,1\n')
    await writeThrough(csvSink({ path, append: true }), [{ id: 2, name: 'b' }])
    await writeThrough(csvSink({ path, append: true, columns: ['id', 'name'] }), [
      { id: 3, name: 'c' },
    ])
    expect(await text(path)).toBe('\uFEFFname,id\na,1\nb,2\nc,3\n')
  })

  it('fails with CSV_HEADER_MISMATCH and leaves the file unchanged when the header differs', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id,name\n1,a')
    const report = await writeThrough(csvSink({ path, columns: ['id', 'city'], append: true }), [
      { id: 2, city: 'x' },
    ])
    const error = report.exceptions.csvSink?.[0] as CsvError
    expect(error.code).toBe('CSV_HEADER_MISMATCH')
    expect(error.message).toContain(path)
    expect(error.message).toContain('(id, name) does not match the columns (id, city)')
    expect(report.halted).toBe(true)
    expect(await text(path)).toBe('id,name\n1,a')
  })

  it('adds the missing final line break before appending', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id\n1')
    await writeThrough(csvSink({ path, append: true }), [{ id: 2 }])
    expect(await text(path)).toBe('id\n1\n2\n')
  })

  it('writes the header (and BOM) when the file to append to is missing or empty', async () => {
    const missing = join(dir, 'missing.csv')
    await writeThrough(csvSink({ path: missing, append: true, bom: true }), [{ id: 1 }])
    expect(await text(missing)).toBe('\uFEFFid\n1\n')
    const empty = join(dir, 'empty.csv')
    await writeFile(empty, '')
    await writeThrough(csvSink({ path: empty, append: true }), [{ id: 1 }])
    await writeThrough(csvSink({ path: empty, append: true, bom: true }), [{ id: 2 }])
    expect(await text(empty)).toBe('id\n1\n2\n')
  })

  // Guards issue 8 item 7: an escaped header ('=a) is the header of column =a when appending.
  it('appends to a file whose header was escaped by escapeFormulas', async () => {
    const path = join(dir, 'out.csv')
    await writeThrough(csvSink({ path, escapeFormulas: true }), [{ '=a': 1, b: 2 }])
    await writeThrough(csvSink({ path, escapeFormulas: true, append: true }), [{ '=a': 3, b: 4 }])
    const columns: string[] = ['b', '=a']
    const report = await writeThrough(
      csvSink({ path, escapeFormulas: true, append: true, columns }),
      [{ '=a': 5, b: 6 }],
    )
    expect(report.exceptions.csvSink).toEqual([])
    expect(await text(path)).toBe("'=a,b\n1,2\n3,4\n5,6\n")
  })

  it('appends without reading a header with header: false', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'anything,at,all\n')
    await writeThrough(csvSink({ path, append: true, header: false }), [{ a: 1, b: 2 }])
    expect(await text(path)).toBe('anything,at,all\n1,2\n')
  })
})

describe('csvSink atomic', () => {
  const items = (count: number) => Array.from({ length: count }, (_, id) => ({ id }))

  it('renames the temp file over the target on success, leaving no temp file', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'old\n')
    await writeThrough(csvSink({ path, atomic: true }), items(3))
    expect(await text(path)).toBe('id\n0\n1\n2\n')
    expect(await readdir(dir)).toEqual(['out.csv'])
  })

  it('appends atomically: the old content is kept and the new records added', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id\n9\n')
    await writeThrough(csvSink({ path, atomic: true, append: true }), items(2))
    expect(await text(path)).toBe('id\n9\n0\n1\n')
    expect(await readdir(dir)).toEqual(['out.csv'])
  })

  it('leaves the target untouched and removes the temp file when the run is aborted', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'old\n')
    const aborted = await abortAfter(path, 500)
    expect(aborted.aborted).toBe(true)
    expect(await text(path)).toBe('old\n')
    expect(await readdir(dir)).toEqual(['out.csv'])
  })

  it('with keepPartial, keeps what the aborted run accepted as <path>.partial', async () => {
    const path = join(dir, 'out.csv')
    const report = await abortAfter(path, 300, true)
    expect(report.aborted).toBe(true)
    expect((await readdir(dir)).sort()).toEqual(['out.csv.partial'])
    const rows = await readCsv(`${path}.partial`)
    expect(rows.length).toBeGreaterThan(0)
    expect(rows).toEqual(items(rows.length).map(({ id }) => ({ id: String(id) })))
  })
})

/** Writes records { id } to an atomic sink and aborts the run once `after` were yielded. */
async function abortAfter(path: string, after: number, keepPartial = false) {
  const controller = new AbortController()
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* numbers() {
    for (let id = 0; id < 100_000; id++) {
      if (id === after) controller.abort()
      yield { id }
    }
  })
  graph.addEdge(
    source,
    graph.addNode(csvSink({ path, atomic: true, keepPartial }), { queueSize: 1 }),
  )
  return new AsyncExecutor(graph, { logger: quietLogger() }).execute({ signal: controller.signal })
}
