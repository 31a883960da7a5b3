import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readCsv, tempDir } from '../test/helpers.js'
import { CsvError } from './csv-error.js'
import { csvSink } from './csv-sink.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const text = (path: string) => readFile(path, 'utf8')

describe('csvSink', () => {
  it('takes the columns from the first record and writes the header once', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path })
    expect(sink.name).toBe('csvSink') // the naming convention: the factory's name by default
    const { report } = await runNode(sink, {
      inputs: [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ],
    })
    expect(report.dataFlowStats.csvSink?.err).toBe(0)
    expect(await text(path)).toBe('id,name\n1,a\n2,b\n')
    expect(sink.stats.records).toBe(2)
  })

  it('writes the given columns in order, missing keys as empty fields, arrays per call', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path, columns: ['name', 'id', 'city'] })
    await runNode(sink, {
      inputs: [
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b', city: 'c' },
        ],
        { id: 3 },
      ],
    })
    expect(await text(path)).toBe('name,id,city\na,1,\nb,2,c\n,3,\n')
    expect(sink.stats.records).toBe(3)
  })

  it('writes no header with header: false, and a header-only file for an empty run', async () => {
    const noHeader = join(dir, 'no-header.csv')
    await runNode(csvSink({ path: noHeader, header: false }), { inputs: [{ a: 1, b: 2 }] })
    expect(await text(noHeader)).toBe('1,2\n')
    const empty = join(dir, 'empty.csv')
    await runNode(csvSink({ path: empty, columns: ['a', 'b'] }), { inputs: [] })
    expect(await text(empty)).toBe('a,b\n')
  })

  it('honours delimiter, recordDelimiter, quoted and bom', async () => {
    const path = join(dir, 'out.csv')
    await runNode(
      csvSink({ path, delimiter: ';', recordDelimiter: '\r\n', quoted: true, bom: true }),
      { inputs: [{ a: 'x;y', b: '' }] },
    )
    const bytes = await readFile(path)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bytes.subarray(3).toString()).toBe('"a";"b"\r\n"x;y";\r\n')
  })

  it('casts dates to ISO, objects to JSON, booleans to true/false, bigints and numbers', async () => {
    const path = join(dir, 'out.csv')
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5))
    await runNode(csvSink({ path }), {
      inputs: [
        { when, tags: ['x', 'y'], meta: { k: 1 }, ok: true, no: false, big: 10n ** 20n, n: -1.5 },
      ],
    })
    expect(await readCsv(path)).toEqual([
      {
        when: '2024-01-02T03:04:05.000Z',
        tags: '["x","y"]',
        meta: '{"k":1}',
        ok: 'true',
        no: 'false',
        big: '100000000000000000000',
        n: '-1.5',
      },
    ])
  })

  it('uses the cast functions given, with the column and record number', async () => {
    const path = join(dir, 'out.csv')
    const seen: string[] = []
    const sink = csvSink({
      path,
      cast: {
        date: (value) => value.toISOString().slice(0, 10),
        boolean: (value, context) => {
          seen.push(`${context.column}@${context.record}`)
          return value ? 'yes' : 'no'
        },
        object: (value) => Object.keys(value).join('|'),
      },
    })
    await runNode(sink, {
      inputs: [
        { d: new Date(Date.UTC(2024, 4, 6)), b: true, o: { x: 1, y: 2 } },
        { d: null, b: false, o: {} },
      ],
    })
    expect(await text(path)).toBe('d,b,o\n2024-05-06,yes,x|y\n,no,\n')
    expect(seen).toEqual(['b@1', 'b@2'])
  })

  // Guards: a record that is not an object, and a cast's non-string result, were described by type only.
  it('names what it got instead of a record, and what a cast returned instead of a string', async () => {
    const path = join(dir, 'out.csv')
    const notRecord = await runNode(csvSink({ path, columns: ['id'] }), {
      inputs: ['id,name' as never],
    })
    expect(notRecord.errors[0]?.message).toMatch(/is not an object but "id,name"/)
    const badCast = await runNode(
      csvSink({ path, cast: { boolean: () => 1 as unknown as string } }),
      { inputs: [{ b: true }] },
    )
    expect(badCast.errors[0]?.message).toMatch(/the cast of column 'b' returned 1, not a string/)
  })

  it('escapes formulas when asked, and only then', async () => {
    const values = ['=1+2', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '\0x', 'plain', '']
    const records = values.map((value) => ({ value, number: -5 }))
    const escaped = join(dir, 'escaped.csv')
    await runNode(csvSink({ path: escaped, escapeFormulas: true }), { inputs: [records] })
    const rows = (await readCsv(escaped)) as { value: string; number: string }[]
    expect(rows.map((row) => row.value)).toEqual([
      "'=1+2",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      "'\0x",
      'plain',
      '',
    ])
    expect(rows.every((row) => row.number === '-5')).toBe(true)
    const raw = join(dir, 'raw.csv')
    await runNode(csvSink({ path: raw }), { inputs: [records] })
    expect(((await readCsv(raw)) as { value: string }[]).map((row) => row.value)).toEqual(values)
  })

  // Guards issue 8 item 7: column names come from API data, so the header is escaped too.
  it('escapes formulas in the header row as well', async () => {
    const path = join(dir, 'header.csv')
    const key = "=cmd|' /C calc'!A0"
    await runNode(csvSink({ path, escapeFormulas: true }), { inputs: [{ id: 1, [key]: '+x' }] })
    expect(await text(path)).toBe(`id,'${key}\n1,'+x\n`)
    const given = join(dir, 'given.csv')
    await runNode(csvSink({ path: given, escapeFormulas: true, columns: ['@a', 'b'] }), {
      inputs: [],
    })
    expect(await text(given)).toBe("'@a,b\n")
  })

  it('refuses columns that escape to the same header name', async () => {
    const path = join(dir, 'clash.csv')
    const { report } = await runNode(csvSink({ path, escapeFormulas: true }), {
      inputs: [{ '=a': 1, "'=a": 2 }],
    })
    const error = report.exceptions.csvSink?.[0] as CsvError
    expect(error.code).toBe('CSV_DUPLICATE_COLUMN')
    expect(error.column).toBe("'=a")
    expect(error.message).toContain(
      `cannot write the header of ${path}: columns '=a' and ''=a' are both written as ''=a'`,
    )
  })

  it('rejects a record with an unknown column, naming the column, file and record', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path, columns: ['id'] })
    const { report } = await runNode(sink, {
      inputs: [{ id: 1 }, { id: 2, extra: 'x' }, [{ id: 3 }, { id: 4, other: 1 }], { id: 5 }],
    })
    const errors = report.exceptions.csvSink as CsvError[]
    expect(errors).toHaveLength(2)
    expect(errors[0]).toBeInstanceOf(CsvError)
    expect(errors[0]?.code).toBe('CSV_UNKNOWN_COLUMN')
    expect(errors[0]?.message).toContain("record 2 has unknown column 'extra'")
    expect(errors[0]?.message).toContain(path)
    expect(errors[0]?.message).toMatch(/^\[graphflow\] \[csv\] /)
    expect(errors[0]).toMatchObject({ record: 2, column: 'extra', path, scope: 'csv' })
    expect(errors[1]?.message).toContain("record 4 has unknown column 'other'")
    expect(errors[1]?.message).toContain('none of the 2 records of that call were written')
    expect(await readCsv(path)).toEqual([{ id: '1' }, { id: '5' }])
    expect(sink.stats.records).toBe(2)
  })

  it("drops unknown columns with onUnknownColumn: 'ignore', logging each column once", async () => {
    const path = join(dir, 'out.csv')
    const logger = memoryLogger()
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* items() {
      yield { id: 1, extra: 'x' }
      yield { id: 2, extra: 'y', more: 1 }
    })
    graph.addEdge(
      source,
      graph.addNode(csvSink({ path, columns: ['id'], onUnknownColumn: 'ignore' })),
    )
    await new AsyncExecutor(graph, { logger }).execute()
    expect(await text(path)).toBe('id\n1\n2\n')
    expect(logger.lines.filter((line) => line.includes('ignoring column'))).toHaveLength(2)
  })

  it('rejects records that are not objects and values that cannot be cast', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path, columns: ['a'] })
    const { report } = await runNode(sink, {
      inputs: [42, { a: new Date(Number.NaN) }, { a: () => 1 }, { a: 'ok' }],
    })
    const errors = report.exceptions.csvSink as CsvError[]
    expect(errors.map((error) => error.code)).toEqual([
      'CSV_INVALID_RECORD',
      'CSV_INVALID_RECORD',
      'CSV_INVALID_RECORD',
    ])
    expect(errors[0]?.message).toContain('record 1')
    expect(errors[1]?.message).toContain("column 'a'")
    expect(await text(path)).toBe('a\nok\n')
  })

  it('creates parent directories only with mkdir: true', async () => {
    const path = join(dir, 'a', 'b', 'out.csv')
    const { report: without } = await runNode(csvSink({ path }), { inputs: [{ a: 1 }] })
    expect(without.halted).toBe(true)
    expect((without.exceptions.csvSink?.[0] as CsvError | undefined)?.code).toBe('CSV_OPEN')
    await runNode(csvSink({ path, mkdir: true }), { inputs: [{ a: 1 }] })
    expect(await text(path)).toBe('a\n1\n')
  })

  it('runs a second time from scratch, resetting the counters', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path })
    const graph = new AsyncGraph()
    let run = 0
    const source = graph.addNode(async function* items() {
      run++
      for (let index = 0; index < run * 2; index++) yield { run, index }
    })
    graph.addEdge(source, graph.addNode(sink))
    const executor = new AsyncExecutor(graph, { logger: memoryLogger() })
    await executor.execute()
    await executor.execute()
    expect(sink.stats.records).toBe(4)
    expect(await readCsv(path)).toHaveLength(4)
  })

  it('keeps every record and a well-formed file under backpressure and concurrent calls', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path, columns: ['id', 'text'] })
    const long = 'x,"y"\n'.repeat(100)
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* items() {
      for (let index = 0; index < 200; index++) {
        yield Array.from({ length: 50 }, (_, offset) => ({ id: index * 50 + offset, text: long }))
      }
    })
    graph.addEdge(source, graph.addNode(sink, { maxTasks: 4 }))
    await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    const rows = (await readCsv(path)) as { id: string; text: string }[]
    expect(rows).toHaveLength(10_000)
    expect(rows.every((row) => row.text === long)).toBe(true)
    expect(new Set(rows.map((row) => row.id)).size).toBe(10_000)
    expect(sink.stats.records).toBe(10_000)
  })

  it('validates its options with TypeErrors naming the option', () => {
    expect(() => csvSink({ path: '' })).toThrow(/"path": expected a non-empty string, got ""/)
    expect(() => csvSink({ path: 'x', columns: [] })).toThrow(/"columns"/)
    expect(() => csvSink({ path: 'x', columns: ['a', 'a'] })).toThrow(/repeated column "a"/)
    expect(() => csvSink({ path: 'x', header: 'yes' as never })).toThrow(
      /"header": expected a boolean, got "yes"/,
    )
    expect(() => csvSink({ path: 'x', onUnknownColumn: 'drop' as never })).toThrow(
      /"onUnknownColumn": expected one of "error", "ignore"/,
    )
    expect(() => csvSink({ path: 'x', delimiter: '"' })).toThrow(TypeError)
    expect(() => csvSink({ path: 'x', keepPartial: true })).toThrow(/"keepPartial"/)
    expect(() => csvSink({ path: 'x', cast: { date: 'iso' as never } })).toThrow(
      /"cast.date": expected a function/,
    )
    expect(() => csvSink(null as never)).toThrow(TypeError)
  })

  it('does no I/O in the factory', async () => {
    csvSink({ path: join(dir, 'never.csv'), mkdir: true, atomic: true })
    expect(await readdir(dir)).toEqual([])
  })

  it('writes to a file created meanwhile by someone else (opened in open(), truncating)', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path })
    await writeFile(path, 'old content\n')
    await runNode(sink, { inputs: [{ a: 1 }] })
    expect(await text(path)).toBe('a\n1\n')
  })

  // Guards: a column named like an Object method ('constructor') let unknown keys through.
  it('does not let unknown keys through when a column is named like an Object method', async () => {
    const path = join(dir, 'constructor.csv')
    const { report } = await runNode(csvSink({ path, columns: ['name', 'constructor'] }), {
      inputs: [{ name: 'x', extra: 'lost?' }],
    })
    expect(report.exceptions.csvSink?.[0]?.message).toMatch(/extra/)
  })
})
