// Compile-time checks of the public types (run by `tsc --noEmit`, not by vitest).
import { AsyncGraph } from '@graphflow/core'
import { sqliteSink } from './sqlite-sink.js'
import { sqliteSource } from './sqlite-source.js'

interface Brewery {
  id: string
  name: string
}

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
const sink = graph.addNode(sqliteSink({ file: 'x.db', table: 'breweries' }))
graph.addEdge(pages, sink)
graph.addEdge(breweries, sink)
// @ts-expect-error a number is not a record
graph.addEdge(numbers, sink)

const batches = graph.addNode(
  sqliteSource<{ n: number }>({ file: 'x.db', query: 'SELECT n FROM t', batchSize: 10 }),
)
const rows = graph.addNode(
  sqliteSource<{ n: number }>({ file: 'x.db', query: 'SELECT n FROM t', name: 'rows' }),
)
const takesBatch = graph.addNode(async function* takesBatch(_batch: { n: number }[]) {})
const takesRow = graph.addNode(async function* takesRow(_row: { n: number }) {})
graph.addEdge(batches, takesBatch)
graph.addEdge(rows, takesRow)
graph.addEdge(batches, sink)
graph.addEdge(rows, sink)
// @ts-expect-error batches are arrays of rows
graph.addEdge(batches, takesRow)

const stats: { readonly rowsWritten: number } = sqliteSink({ file: 'x.db', table: 't' }).stats
void stats
