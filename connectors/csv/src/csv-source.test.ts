import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers.js'
import type { CsvError } from './csv-error.js'
import { csvSource } from './csv-source.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

async function file(content: string | Buffer, name = 'in.csv'): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

const sourceError = (report: { exceptions: Record<string, Error[]> }) =>
  report.exceptions.csvSource?.[0] as CsvError | undefined

describe('csvSource', () => {
  it('yields objects keyed by the header and counts them', async () => {
    const path = await file('id,name\n1,"a, b"\n2,"say ""hi"""\n')
    const source = csvSource({ path })
    expect(source.name).toBe('csvSource') // the naming convention: the factory's name by default
    const { outputs: items, report } = await runNode(source)
    expect(items).toEqual([
      { id: '1', name: 'a, b' },
      { id: '2', name: 'say "hi"' },
    ])
    expect(source.stats.records).toBe(2)
    expect(report.dataFlowStats.csvSource).toEqual({ in: 0, out: 2, err: 0 })
  })

  it('yields arrays with columns: false, skipping the header unless header: false', async () => {
    const path = await file('a,b\n1,2\n')
    expect((await runNode(csvSource({ path, columns: false }))).outputs).toEqual([['1', '2']])
    expect((await runNode(csvSource({ path, columns: false, header: false }))).outputs).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ])
  })

  it('keys records by the given column names, replacing the header or reading all lines', async () => {
    const path = await file('a,b\n1,2\n')
    expect((await runNode(csvSource({ path, columns: ['x', 'y'] }))).outputs).toEqual([
      { x: '1', y: '2' },
    ])
    expect(
      (await runNode(csvSource({ path, columns: ['x', 'y'], header: false }))).outputs,
    ).toEqual([
      { x: 'a', y: 'b' },
      { x: '1', y: '2' },
    ])
  })

  it('yields batches of batchSize, the last one partial', async () => {
    const path = await file(`n\n${Array.from({ length: 7 }, (_, index) => index).join('\n')}\n`)
    const { outputs: items } = await runNode(csvSource({ path, batchSize: 3 }))
    expect(items.map((batch) => (batch as { n: string }[]).map((record) => record.n))).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
      ['6'],
    ])
  })

  it('casts with cast: true or a function', async () => {
    const path = await file('n,s\n1.5,x\n-2,007\n')
    expect((await runNode(csvSource({ path, cast: true }))).outputs).toEqual([
      { n: 1.5, s: 'x' },
      { n: -2, s: 7 },
    ])
    const cast = (value: string, context: { column: string | number; header: boolean }) =>
      context.header || context.column !== 'n' ? value : Number(value) * 10
    expect((await runNode(csvSource({ path, cast }))).outputs).toEqual([
      { n: 15, s: 'x' },
      { n: -20, s: '007' },
    ])
  })

  it('reads from fromLine to toLine, the header at fromLine', async () => {
    const path = await file('# exported\n\nid\n1\n2\n3\n')
    expect((await runNode(csvSource({ path, fromLine: 3, toLine: 5 }))).outputs).toEqual([
      { id: '1' },
      { id: '2' },
    ])
  })

  it('strips a BOM by default, and keeps it with bom: false', async () => {
    const path = await file(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id\n1\n')]),
    )
    expect((await runNode(csvSource({ path }))).outputs).toEqual([{ id: '1' }])
    expect((await runNode(csvSource({ path, bom: false }))).outputs).toEqual([{ '\uFEFFid': '1' }])
  })

  it('reads the path it is called with: from startNodes or from an upstream node', async () => {
    const first = await file('id\n1\n', 'first.csv')
    const second = await file('id\n2\n', 'second.csv')
    expect((await runNode(csvSource(), { startArgs: [first] })).outputs).toEqual([{ id: '1' }])
    const graph = new AsyncGraph()
    const paths = graph.addNode(async function* paths() {
      yield first
      yield second
    })
    const source = graph.addNode(csvSource())
    const seen: unknown[] = []
    graph.addEdge(paths, source)
    graph.addEdge(
      source,
      graph.addNode(async function* collect(record: Record<string, string>) {
        seen.push(record)
      }),
    )
    await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(seen).toEqual([{ id: '1' }, { id: '2' }])
  })

  it('names the file and the line where an unclosed quote starts, after yielding what came before', async () => {
    const path = await file('a,b\n1,2\n\n"x\ny",3\n"4,5\n6,7\n8,9\n')
    const { outputs: items, report } = await runNode(csvSource({ path }))
    expect(items).toEqual([
      { a: '1', b: '2' },
      { a: 'x\ny', b: '3' },
    ])
    const error = sourceError(report)
    expect(error?.code).toBe('CSV_PARSE')
    expect(error?.message).toContain(`[graphflow] [csv] cannot parse ${path} at line 6 (record 3)`)
    expect(error?.message).toContain('never closed')
    expect(error).toMatchObject({ path, line: 6, record: 3 })
  })

  it('finds the unclosed quote line also with columns: false and fromLine', async () => {
    const path = await file('skip me\nh\n1\n"2\n3\n')
    const { report } = await runNode(csvSource({ path, columns: false, fromLine: 2 }))
    expect(sourceError(report)).toMatchObject({ code: 'CSV_PARSE', line: 4, record: 2 })
    const headerOnly = await file('"h\n1\n', 'header.csv')
    expect(sourceError((await runNode(csvSource({ path: headerOnly }))).report)).toMatchObject({
      line: 1,
    })
  })

  it('names the file and line of a record with the wrong number of fields, in batches too', async () => {
    const path = await file('a,b\n1,2\n3,4,5\n6,7\n')
    const { outputs: items, report } = await runNode(csvSource({ path, batchSize: 10 }))
    expect(items).toEqual([[{ a: '1', b: '2' }]])
    const error = sourceError(report)
    expect(error?.message).toContain(`cannot parse ${path} at line 3 (record 2)`)
    expect(error?.message).toContain('Invalid Record Length')
    expect((await runNode(csvSource({ path, relaxColumnCount: true }))).outputs).toHaveLength(3)
  })

  it('names the line of an invalid closing quote', async () => {
    const path = await file('a\n1\n"2"x\n')
    expect(sourceError((await runNode(csvSource({ path }))).report)).toMatchObject({
      code: 'CSV_PARSE',
      line: 3,
    })
  })

  // Guards issue 8 item 10: csv-parse keeps the last of two same-named columns and drops the first.
  it('fails with CSV_DUPLICATE_COLUMN naming a column the header repeats', async () => {
    const path = await file('id,phone,phone\n1,555-1,555-2\n')
    const { outputs: items, report } = await runNode(csvSource({ path }))
    expect(items).toEqual([])
    const error = sourceError(report)
    expect(error?.code).toBe('CSV_DUPLICATE_COLUMN')
    expect(error?.column).toBe('phone')
    expect(error?.message).toContain(
      `cannot read ${path}: its header names column 'phone' twice (fields 2 and 3)`,
    )
    // Names given instead of the header, or arrays of fields, still read such a file.
    const renamed = await runNode(csvSource({ path, columns: ['id', 'phone', 'phone2'] }))
    expect(renamed.outputs).toEqual([{ id: '1', phone: '555-1', phone2: '555-2' }])
    const arrays = await runNode(csvSource({ path, columns: false }))
    expect(arrays.outputs).toEqual([['1', '555-1', '555-2']])
  })

  it('fails with CSV_OPEN for a missing file or a directory', async () => {
    const missing = join(dir, 'missing.csv')
    const error = sourceError((await runNode(csvSource({ path: missing }))).report)
    expect(error?.code).toBe('CSV_OPEN')
    expect(error?.message).toContain(`cannot open ${missing} for reading: ENOENT`)
    const directory = join(dir, 'directory')
    await mkdir(directory)
    expect(sourceError((await runNode(csvSource({ path: directory }))).report)?.message).toMatch(
      /EISDIR/,
    )
  })

  it('skips empty lines by default', async () => {
    const path = await file('a\n1\n\n2\n')
    expect((await runNode(csvSource({ path }))).outputs).toEqual([{ a: '1' }, { a: '2' }])
    const strict = sourceError(
      (await runNode(csvSource({ path, columns: ['a', 'b'], skipEmptyLines: false }))).report,
    )
    expect(strict?.code).toBe('CSV_PARSE')
  })

  it('validates its options with TypeErrors naming the option', async () => {
    expect(() => csvSource({ columns: true, header: false })).toThrow(/"header"/)
    expect(() => csvSource({ batchSize: 0 })).toThrow(
      /"batchSize": expected an integer >= 1, got 0/,
    )
    expect(() => csvSource({ fromLine: 3, toLine: 2 })).toThrow(
      /"toLine": expected an integer >= 3/,
    )
    expect(() => csvSource({ cast: 'auto' as never })).toThrow(/"cast"/)
    expect(() => csvSource({ columns: ['a', ''] })).toThrow(/"columns"/)
    const { report } = await runNode(csvSource())
    expect(report.exceptions.csvSource?.[0]?.message).toMatch(/expected a path/)
  })
})
