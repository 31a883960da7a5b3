// Compile-time checks of the public types, run by `vitest --typecheck` (and `tsc --noEmit`).
import { AsyncGraph } from '@graphflow/core'
import { describe, expectTypeOf, it } from 'vitest'
import { sqliteSink } from './sqlite-sink.js'
import type { ColumnName, SqliteSinkSpec } from './sqlite-sink-options.js'
import { sqliteSource } from './sqlite-source.js'
import type { SqliteSourceStats } from './sqlite-source-options.js'

interface Brewery {
  id: string
  name: string
  city?: string
}

describe('sqliteSink types', () => {
  it('accepts records and arrays of records, not other items', () => {
    const graph = new AsyncGraph()
    const pages = graph.addNode(async function* pages() {
      yield [] as Brewery[]
    })
    const breweries = graph.addNode(async function* breweries() {
      yield {} as Brewery
    })
    const numbers = graph.addNode(async function* numbers() {
      yield 1
    })
    const sink = graph.addNode(sqliteSink({ path: 'x.db', table: 'breweries' }))
    graph.addEdge(pages, sink)
    graph.addEdge(breweries, sink)
    // @ts-expect-error a number is not a record
    graph.addEdge(numbers, sink)
  })

  it('types primaryKey and the names in columns from the record type', () => {
    expectTypeOf<ColumnName<Brewery>>().toEqualTypeOf<'id' | 'name' | 'city'>()
    sqliteSink<Brewery>({ path: 'x.db', table: 't', primaryKey: 'id', mode: 'upsert' })
    sqliteSink<Brewery>({ path: 'x.db', table: 't', primaryKey: ['id', 'city'] })
    sqliteSink<Brewery>({ path: 'x.db', table: 't', columns: { id: 'TEXT', name: 'TEXT' } })
    sqliteSink<Brewery>({ path: 'x.db', table: 't', columns: ['id', 'name'] })
    // @ts-expect-error a typo in primaryKey
    sqliteSink<Brewery>({ path: 'x.db', table: 't', primaryKey: 'idd', mode: 'upsert' })
    // @ts-expect-error a typo in a list of key columns
    sqliteSink<Brewery>({ path: 'x.db', table: 't', primaryKey: ['id', 'citty'] })
    // @ts-expect-error a typo in a declared column
    sqliteSink<Brewery>({ path: 'x.db', table: 't', columns: { id: 'TEXT', nmae: 'TEXT' } })
    // @ts-expect-error a typo in a list of declared columns
    sqliteSink<Brewery>({ path: 'x.db', table: 't', columns: ['id', 'nmae'] })
  })

  it('takes the record type from the declared spec type too', () => {
    const typed: SqliteSinkSpec<Brewery> = sqliteSink({
      path: 'x.db',
      table: 't',
      primaryKey: 'id',
    })
    const typo: SqliteSinkSpec<Brewery> = sqliteSink({
      path: 'x.db',
      table: 't',
      // @ts-expect-error a typo, with the record type from the variable's type
      primaryKey: 'idd',
    })
    void typed
    void typo
  })

  it('accepts any name when the record type is not known', () => {
    expectTypeOf<ColumnName<object>>().toEqualTypeOf<string>()
    expectTypeOf<ColumnName<Record<string, unknown>>>().toEqualTypeOf<string>()
    sqliteSink({ path: 'x.db', table: 't', primaryKey: 'anything', columns: ['anything'] })
    sqliteSink<Record<string, unknown>>({ path: 'x.db', table: 't', primaryKey: ['a', 'b'] })
    const key: string = 'id'
    sqliteSink({ path: 'x.db', table: 't', primaryKey: key, columns: { [key]: 'TEXT' } })
  })

  it('has live stats', () => {
    const stats = sqliteSink({ path: 'x.db', table: 't' }).stats
    expectTypeOf(stats.records).toEqualTypeOf<number>()
    expectTypeOf(stats.rowsWritten).toEqualTypeOf<number>()
  })
})

describe('sqliteSource types', () => {
  it('yields rows, or arrays of rows with batchSize', () => {
    const graph = new AsyncGraph()
    const sink = graph.addNode(sqliteSink({ path: 'x.db', table: 'breweries' }))
    const batches = graph.addNode(
      sqliteSource<{ n: number }>({ path: 'x.db', query: 'SELECT n FROM t', batchSize: 10 }),
    )
    const rows = graph.addNode(
      sqliteSource<{ n: number }>({ path: 'x.db', query: 'SELECT n FROM t', name: 'rows' }),
    )
    const takesBatch = graph.addNode(async function* takesBatch(_batch: { n: number }[]) {})
    const takesRow = graph.addNode(async function* takesRow(_row: { n: number }) {})
    graph.addEdge(batches, takesBatch)
    graph.addEdge(rows, takesRow)
    graph.addEdge(batches, sink)
    graph.addEdge(rows, sink)
    // @ts-expect-error batches are arrays of rows
    graph.addEdge(batches, takesRow)
  })

  it('has live stats', () => {
    const spec = sqliteSource({ path: 'x.db', query: 'SELECT 1' })
    expectTypeOf(spec.stats).toEqualTypeOf<SqliteSourceStats>()
    expectTypeOf(spec.stats.records).toEqualTypeOf<number>()
  })
})
