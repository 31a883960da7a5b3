import { AsyncGraph } from '@graphflow/core'
import { expectTypeOf } from 'vitest'
import { csvSink } from './csv-sink.js'
import { csvSource } from './csv-source.js'

interface Brewery {
  id: string
  name: string
}

const graph = new AsyncGraph()

// Records and batches of an interface type reach a sink typed with it.
const breweries = graph.addNode(async function* breweries() {
  yield [{ id: '1', name: 'a' }] as Brewery[]
  yield { id: '2', name: 'b' } as Brewery
})
graph.addEdge(
  breweries,
  graph.addNode(csvSink<Brewery>({ path: 'x.csv', columns: ['id', 'name'] })),
)
// @ts-expect-error: 'city' is not a key of Brewery
csvSink<Brewery>({ path: 'x.csv', columns: ['city'] })
// @ts-expect-error: numbers are not records
graph.addEdge(
  graph.addNode(async function* numbers() {
    yield 1
  }),
  graph.addNode(csvSink({ path: 'y.csv' })),
)

// What a source yields follows its options.
expectTypeOf(csvSource({ path: 'x.csv' }).fn).returns.toEqualTypeOf<
  AsyncIterable<Record<string, string>>
>()
expectTypeOf(csvSource({ columns: false }).fn).returns.toEqualTypeOf<AsyncIterable<string[]>>()
expectTypeOf(csvSource({ batchSize: 10 }).fn).returns.toEqualTypeOf<
  AsyncIterable<Record<string, string>[]>
>()
expectTypeOf(csvSource({ cast: true, columns: false, batchSize: 5 }).fn).returns.toEqualTypeOf<
  AsyncIterable<unknown[][]>
>()
expectTypeOf(csvSource().fn).parameters.toEqualTypeOf<[] | [path: string]>()

// A source's records flow into a sink; a path-yielding node feeds a source.
graph.addEdge(
  graph.addNode(csvSource({ path: 'in.csv' })),
  graph.addNode(csvSink({ path: 'out.csv', name: 'copy' })),
)
graph.addEdge(
  graph.addNode(async function* paths() {
    yield 'a.csv'
  }),
  graph.addNode(csvSource({ name: 'fromPaths' })),
)

// Columns do not narrow the record type: without a type argument, records are any objects.
expectTypeOf(csvSink({ path: 'z.csv', columns: ['id'] }).fn).parameters.toEqualTypeOf<
  [Record<string, unknown> | readonly Record<string, unknown>[]]
>()
