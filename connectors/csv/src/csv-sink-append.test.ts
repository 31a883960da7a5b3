import { execFileSync } from 'node:child_process'
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readCsv, tempDir } from '../test/helpers.js'
import type { CsvError } from './csv-error.js'
import { csvSink } from './csv-sink.js'
import { csvSource } from './csv-source.js'

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
    await runNode(sink, { inputs: [{ id: 2, name: 'b' }] })
    expect(await text(path)).toBe('id,name\n1,a\n2,b\n')
  })

  it("takes the columns and their order from the file's header", async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, '\uFEFFname,id\na,1\n')
    await runNode(csvSink({ path, append: true }), { inputs: [{ id: 2, name: 'b' }] })
    await runNode(csvSink({ path, append: true, columns: ['id', 'name'] }), {
      inputs: [{ id: 3, name: 'c' }],
    })
    expect(await text(path)).toBe('\uFEFFname,id\na,1\nb,2\nc,3\n')
  })

  it('fails with CSV_HEADER_MISMATCH and leaves the file unchanged when the header differs', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id,name\n1,a\n')
    const { report } = await runNode(csvSink({ path, columns: ['id', 'city'], append: true }), {
      inputs: [{ id: 2, city: 'x' }],
    })
    const error = report.exceptions.csvSink?.[0] as CsvError
    expect(error.code).toBe('CSV_HEADER_MISMATCH')
    expect(error.message).toContain(path)
    expect(error.message).toContain('(id, name) does not match the columns (id, city)')
    expect(report.halted).toBe(true)
    expect(await text(path)).toBe('id,name\n1,a\n')
  })

  // Guards issue 8 item 8: LF records after CRLF ones made the file unreadable by csvSource.
  it("appends with the file's own record delimiter unless one is given", async () => {
    const path = join(dir, 'crlf.csv')
    // The header's quoted line break is not a record delimiter: the CRLF after it is.
    const before = '"i\nd",text\r\n1,"a\nb ""c"""\r\n'
    await writeFile(path, before)
    await runNode(csvSink({ path, append: true }), { inputs: [{ 'i\nd': 2, text: 'x' }] })
    await runNode(csvSink({ path, append: true, recordDelimiter: '\r\n' }), {
      inputs: [{ 'i\nd': 3, text: 'y\nz' }],
    })
    expect(await text(path)).toBe(`${before}2,x\r\n3,"y\nz"\r\n`)
    const { outputs: items, report } = await runNode(csvSource({ path }))
    expect(report.exceptions.csvSource).toEqual([])
    expect(items).toEqual([
      { 'i\nd': '1', text: 'a\nb "c"' },
      { 'i\nd': '2', text: 'x' },
      { 'i\nd': '3', text: 'y\nz' },
    ])
  })

  it('refuses a recordDelimiter that is not the one of the file appended to', async () => {
    const path = join(dir, 'crlf.csv')
    await writeFile(path, 'id\r\n1\r\n')
    for (const atomic of [false, true]) {
      const { report } = await runNode(
        csvSink({ path, append: true, atomic, recordDelimiter: '\n' }),
        {
          inputs: [{ id: 2 }],
        },
      )
      const error = report.exceptions.csvSink?.[0] as CsvError
      expect(error.code).toBe('CSV_HEADER_MISMATCH')
      expect(error.message).toContain(
        `cannot append to ${path}: its records end with CRLF (\\r\\n) but recordDelimiter is LF (\\n)`,
      )
      expect(await text(path)).toBe('id\r\n1\r\n')
      expect(await readdir(dir)).toEqual(['crlf.csv'])
    }
  })

  // Guards issue 8 item 9: records appended after an open quoted field vanished into it.
  it('refuses to append after a last record cut off inside a quoted field', async () => {
    const path = join(dir, 'cut.csv')
    const before = 'id,text\n1,"ok ""quoted""\nline"\n2,"cut off\nmid-field'
    await writeFile(path, before)
    for (const [atomic, header] of [
      [false, true],
      [true, true],
      [false, false],
    ]) {
      const { report } = await runNode(csvSink({ path, append: true, atomic, header }), {
        inputs: [{ id: 3, text: 'new' }],
      })
      const error = report.exceptions.csvSink?.[0] as CsvError
      expect(error.code).toBe('CSV_INCOMPLETE_RECORD')
      const offset = before.indexOf('2,"cut')
      expect(error).toMatchObject({ path, line: 4, offset })
      expect(error.message).toContain(
        `cannot append to ${path}: its last record, from line 4 (byte ${offset}) to the end, ` +
          'is cut off inside a quoted field',
      )
      expect(error.message).toContain(`truncate the file to ${offset} bytes`)
      expect(report.halted).toBe(true)
      expect(await text(path)).toBe(before)
      expect(await readdir(dir)).toEqual(['cut.csv'])
    }
  })

  it('refuses to append after a last line without a line break (it may be cut off)', async () => {
    const path = join(dir, 'cut.csv')
    // 15 bytes before the last line: a 3-byte BOM, 'id,name\n' and '1,a\n'.
    await writeFile(path, '\uFEFFid,name\n1,a\n2,ab')
    const { report } = await runNode(csvSink({ path, append: true }), {
      inputs: [{ id: 3, name: 'c' }],
    })
    const error = report.exceptions.csvSink?.[0] as CsvError
    expect(error).toMatchObject({ code: 'CSV_INCOMPLETE_RECORD', line: 3, offset: 15 })
    expect(error.message).toContain('its last record, at line 3 (byte 15), has no line break')
    expect(await text(path)).toBe('\uFEFFid,name\n1,a\n2,ab')
  })

  it('completes a CRLF cut between CR and LF before appending', async () => {
    const path = join(dir, 'cr.csv')
    await writeFile(path, 'id\r\n1\r')
    await runNode(csvSink({ path, append: true }), { inputs: [{ id: 2 }] })
    expect(await text(path)).toBe('id\r\n1\r\n2\r\n')
  })

  it('writes the header (and BOM) when the file to append to is missing or empty', async () => {
    const missing = join(dir, 'missing.csv')
    await runNode(csvSink({ path: missing, append: true, bom: true }), { inputs: [{ id: 1 }] })
    expect(await text(missing)).toBe('\uFEFFid\n1\n')
    const empty = join(dir, 'empty.csv')
    await writeFile(empty, '')
    await runNode(csvSink({ path: empty, append: true }), { inputs: [{ id: 1 }] })
    await runNode(csvSink({ path: empty, append: true, bom: true }), { inputs: [{ id: 2 }] })
    expect(await text(empty)).toBe('id\n1\n2\n')
  })

  // Guards issue 8 item 7: an escaped header ('=a) is the header of column =a when appending.
  it('appends to a file whose header was escaped by escapeFormulas', async () => {
    const path = join(dir, 'out.csv')
    await runNode(csvSink({ path, escapeFormulas: true }), { inputs: [{ '=a': 1, b: 2 }] })
    await runNode(csvSink({ path, escapeFormulas: true, append: true }), {
      inputs: [{ '=a': 3, b: 4 }],
    })
    const columns: string[] = ['b', '=a']
    const { report } = await runNode(
      csvSink({ path, escapeFormulas: true, append: true, columns }),
      {
        inputs: [{ '=a': 5, b: 6 }],
      },
    )
    expect(report.exceptions.csvSink).toEqual([])
    expect(await text(path)).toBe("'=a,b\n1,2\n3,4\n5,6\n")
  })

  it('appends without reading a header with header: false', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'anything,at,all\n')
    await runNode(csvSink({ path, append: true, header: false }), { inputs: [{ a: 1, b: 2 }] })
    expect(await text(path)).toBe('anything,at,all\n1,2\n')
  })

  // Guards: appending to a file holding only a BOM skipped the header.
  it('treats a file holding only a BOM as empty when appending', async () => {
    const path = join(dir, 'bom.csv')
    await writeFile(path, '\uFEFF')
    const { report } = await runNode(csvSink({ path, append: true }), { inputs: [{ a: 1 }] })
    expect(report.exceptions.csvSink).toEqual([])
    expect(await text(path)).toBe('a\n1\n')
  })
})

describe('csvSink atomic', () => {
  const items = (count: number) => Array.from({ length: count }, (_, id) => ({ id }))

  it('renames the temp file over the target on success, leaving no temp file', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'old\n')
    await runNode(csvSink({ path, atomic: true }), { inputs: items(3) })
    expect(await text(path)).toBe('id\n0\n1\n2\n')
    expect(await readdir(dir)).toEqual(['out.csv'])
  })

  it('appends atomically: the old content is kept and the new records added', async () => {
    const path = join(dir, 'out.csv')
    await writeFile(path, 'id\n9\n')
    await runNode(csvSink({ path, atomic: true, append: true }), { inputs: items(2) })
    expect(await text(path)).toBe('id\n9\n0\n1\n')
    expect(await readdir(dir)).toEqual(['out.csv'])
  })

  // Guards issue 8 item 11: the rename replaced the symlink with a regular file.
  it("writes through a symlink to the link's target, which stays a symlink", async () => {
    await mkdir(join(dir, 'data'))
    const real = join(dir, 'data', 'real.csv')
    await writeFile(real, 'id\n9\n')
    const path = join(dir, 'out.csv')
    await symlink('data/real.csv', path) // relative to the link's directory
    await runNode(csvSink({ path, atomic: true, append: true }), { inputs: items(1) })
    await runNode(csvSink({ path, atomic: true, append: true }), { inputs: items(2) })
    expect((await lstat(path)).isSymbolicLink()).toBe(true)
    expect(await readlink(path)).toBe('data/real.csv')
    expect(await text(real)).toBe('id\n9\n0\n0\n1\n')
    expect((await readdir(dir)).sort()).toEqual(['data', 'out.csv'])
    expect(await readdir(join(dir, 'data'))).toEqual(['real.csv'])
    // A dangling link: its target is created, as a non-atomic write through it would.
    const dangling = join(dir, 'dangling.csv')
    await symlink(join(dir, 'data', 'new.csv'), dangling)
    await runNode(csvSink({ path: dangling, atomic: true }), { inputs: items(1) })
    expect((await lstat(dangling)).isSymbolicLink()).toBe(true)
    expect(await text(join(dir, 'data', 'new.csv'))).toBe('id\n0\n')
  })

  // Guards issue 8 item 11: atomic mode renamed over a read-only file that a plain open refuses.
  // The tests run as root, whom the OS lets write to any file; so the sink checks the mode bits
  // itself and refuses a file without any write permission in both modes, whoever runs it.
  it('refuses a read-only target in both modes, leaving it as it was', async () => {
    const path = join(dir, 'read-only.csv')
    await writeFile(path, 'id\n9\n')
    await chmod(path, 0o444)
    for (const atomic of [false, true]) {
      for (const append of [false, true]) {
        const report = (await runNode(csvSink({ path, atomic, append }), { inputs: items(1) }))
          .report
        const error = report.exceptions.csvSink?.[0] as CsvError
        expect(error.code).toBe('CSV_OPEN')
        expect(error.message).toContain(`cannot open ${path} for writing: EACCES: it is read-only`)
        expect(await text(path)).toBe('id\n9\n')
        expect((await stat(path)).mode & 0o777).toBe(0o444)
        expect(await readdir(dir)).toEqual(['read-only.csv'])
      }
    }
  })

  it.skipIf(process.platform === 'win32')(
    'refuses to replace something that is not a regular file (a FIFO)',
    async () => {
      const path = join(dir, 'pipe')
      execFileSync('mkfifo', [path])
      const { report } = await runNode(csvSink({ path, atomic: true }), { inputs: items(1) })
      const error = report.exceptions.csvSink?.[0] as CsvError
      expect(error.code).toBe('CSV_OPEN')
      expect(error.message).toContain('atomic: true only replaces a regular file')
      expect((await lstat(path)).isFIFO()).toBe(true)
    },
  )

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
  return new AsyncExecutor(graph, { logger: memoryLogger() }).execute({ signal: controller.signal })
}
