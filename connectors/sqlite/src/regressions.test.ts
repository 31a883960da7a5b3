import { runNode } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { readRows, tempFile } from '../test/helpers.js'
import { sqliteSink } from './sqlite-sink.js'
import { sqliteSource } from './sqlite-source.js'

describe('regressions found in review', () => {
  it('upserts into a table named "excluded"', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'excluded', primaryKey: 'id', mode: 'upsert' })
    const { report } = await runNode(sink, {
      inputs: [
        { id: 1, a: 'old' },
        { id: 1, a: 'new' },
      ],
    })
    expect(report.exceptions[sink.name]).toEqual([])
    expect(readRows(file, 'SELECT id, a FROM excluded')).toEqual([{ id: 1, a: 'new' }])
  })

  it('binds query parameters converted like the sink stores values', async () => {
    const file = await tempFile()
    const when = new Date('2024-05-01T00:00:00.000Z')
    await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [
        { id: 1, active: true, at: when },
        { id: 2, active: false, at: new Date(0) },
      ],
    })
    const positional = await runNode(
      sqliteSource({
        path: file,
        query: 'SELECT id FROM t WHERE active = ? AND at = ?',
        params: [true, when],
      }),
    )
    expect(positional.errors).toEqual([])
    expect(positional.outputs).toEqual([{ id: 1 }])
    const named = await runNode(
      sqliteSource({ path: file, query: 'SELECT id FROM t WHERE active = :active' }),
      {
        startArgs: [{ active: false }],
      },
    )
    expect(named.outputs).toEqual([{ id: 2 }])
  })
})

describe('upsert without a key', () => {
  it('rejects a record without its primary key instead of inserting it again on every run', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'items', primaryKey: 'id', mode: 'upsert' })
    const items = [{ id: 1, name: 'a' }, { name: 'no key' }, { id: null, name: 'null key' }]
    await runNode(sink, { inputs: items })
    const { report } = await runNode(sink, { inputs: items })
    const error = report.exceptions[sink.name]?.[0]
    expect(error?.message).toMatch(/upsert needs the primary key "id"/)
    expect(readRows(file, 'SELECT id, name FROM items')).toEqual([{ id: 1, name: 'a' }])
    expect(sink.stats).toMatchObject({ records: 1, rowsRejected: 2 })
  })
})
