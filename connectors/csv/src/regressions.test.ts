import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readAll, tempDir, writeThrough } from '../test/helpers.js'
import { csvSink } from './csv-sink.js'
import { csvSource } from './csv-source.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

describe('regressions found in review', () => {
  it('writes a one-column record with an empty value as "" so that it reads back', async () => {
    const path = join(dir, 'one-column.csv')
    for (const quoted of [false, true]) {
      await writeThrough(csvSink({ path, columns: ['a'], quoted }), [
        { a: 'x' },
        { a: '' },
        { a: null },
        { a: 'y' },
      ])
      const { items } = await readAll(csvSource({ path }))
      expect(items).toEqual([{ a: 'x' }, { a: '' }, { a: '' }, { a: 'y' }])
    }
    expect(readFileSync(path, 'utf8')).toBe('"a"\n"x"\n""\n""\n"y"\n')
  })

  it('does not let unknown keys through when a column is named like an Object method', async () => {
    const path = join(dir, 'constructor.csv')
    const report = await writeThrough(csvSink({ path, columns: ['name', 'constructor'] }), [
      { name: 'x', extra: 'lost?' },
    ])
    expect(report.exceptions.csvSink?.[0]?.message).toMatch(/extra/)
  })

  it('treats a file holding only a BOM as empty when appending', async () => {
    const path = join(dir, 'bom.csv')
    writeFileSync(path, '\uFEFF')
    const report = await writeThrough(csvSink({ path, append: true }), [{ a: 1 }])
    expect(report.exceptions.csvSink).toEqual([])
    expect(readFileSync(path, 'utf8')).toBe('a\n1\n')
  })
})
