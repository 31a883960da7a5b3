import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers.js'
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
      await runNode(csvSink({ path, columns: ['a'], quoted }), {
        inputs: [{ a: 'x' }, { a: '' }, { a: null }, { a: 'y' }],
      })
      const { outputs: items } = await runNode(csvSource({ path }))
      expect(items).toEqual([{ a: 'x' }, { a: '' }, { a: '' }, { a: 'y' }])
    }
    expect(readFileSync(path, 'utf8')).toBe('"a"\n"x"\n""\n""\n"y"\n')
  })

  it('does not let unknown keys through when a column is named like an Object method', async () => {
    const path = join(dir, 'constructor.csv')
    const { report } = await runNode(csvSink({ path, columns: ['name', 'constructor'] }), {
      inputs: [{ name: 'x', extra: 'lost?' }],
    })
    expect(report.exceptions.csvSink?.[0]?.message).toMatch(/extra/)
  })

  it('treats a file holding only a BOM as empty when appending', async () => {
    const path = join(dir, 'bom.csv')
    writeFileSync(path, '\uFEFF')
    const { report } = await runNode(csvSink({ path, append: true }), { inputs: [{ a: 1 }] })
    expect(report.exceptions.csvSink).toEqual([])
    expect(readFileSync(path, 'utf8')).toBe('a\n1\n')
  })
})
