import type { NodeSpec } from '@graphflow/core'
import { AsyncGraph } from '@graphflow/core'
import { describe, expectTypeOf, it } from 'vitest'
import { httpSource } from './http-source.js'
import type { HttpSourceSpec, HttpStartArgs } from './http-source-options.js'

interface Brewery {
  id: string
  name: string
}

describe('httpSource types', () => {
  it('yields arrays of records (pages) by default', () => {
    const spec = httpSource<Brewery>({ url: 'http://x/' })
    expectTypeOf(spec).toEqualTypeOf<HttpSourceSpec<Brewery[]>>()
    expectTypeOf(spec).toExtend<NodeSpec<HttpStartArgs, Brewery[]>>()
    expectTypeOf(httpSource<Brewery>({ url: 'http://x/', yield: 'pages' })).toEqualTypeOf<
      HttpSourceSpec<Brewery[]>
    >()
  })

  it("yields single records with yield: 'records'", () => {
    const spec = httpSource<Brewery>({ url: 'http://x/', yield: 'records' })
    expectTypeOf(spec).toEqualTypeOf<HttpSourceSpec<Brewery>>()
  })

  it('defaults the record type to unknown and infers it from a records function', () => {
    expectTypeOf(httpSource({ url: 'http://x/' })).toEqualTypeOf<HttpSourceSpec<unknown[]>>()
    const inferred = httpSource({
      url: 'http://x/',
      records: (body) => (body as { items: Brewery[] }).items,
      yield: 'records',
    })
    expectTypeOf(inferred).toEqualTypeOf<HttpSourceSpec<Brewery>>()
  })

  it('types callbacks with the record type', () => {
    httpSource<Brewery>({
      url: 'http://x/',
      stopWhen: (page) => {
        expectTypeOf(page.records).toEqualTypeOf<Brewery[]>()
        return false
      },
      pagination: {
        type: 'custom',
        next: (last) => {
          expectTypeOf(last.records).toEqualTypeOf<Brewery[]>()
          return undefined
        },
      },
    })
  })

  it('types incremental settings and the resume functions of a custom pagination', () => {
    const spec = httpSource<Brewery>({
      url: 'http://x/',
      incremental: { cursorField: 'updated_at', param: 'updated_since', initial: '2026-01-01' },
      pagination: {
        type: 'custom',
        next: () => undefined,
        position: (last) => {
          expectTypeOf(last.records).toEqualTypeOf<Brewery[]>()
          return { page: last.page + 1 }
        },
        resume: (position) => ({ query: { page: (position as { page: number }).page } }),
      },
    })
    // The checkpoint() markers are consumed by the executor: the node yields pages only.
    expectTypeOf(spec).toEqualTypeOf<HttpSourceSpec<Brewery[]>>()
    // @ts-expect-error initial is a string or a number
    httpSource({ url: 'http://x/', incremental: { cursorField: 'a', param: 'b', initial: true } })
  })

  it('accepts no start args, a URL or an override', () => {
    const spec = httpSource({ url: 'http://x/' })
    expectTypeOf(spec.fn).toBeCallableWith()
    expectTypeOf(spec.fn).toBeCallableWith('http://x/other')
    expectTypeOf(spec.fn).toBeCallableWith({ query: { page: 2 } })
    // @ts-expect-error a number is not a start argument
    spec.fn(42)
  })

  it('wires to a destination accepting what it yields, and not to one that does not', () => {
    const graph = new AsyncGraph()
    const pages = graph.addNode(httpSource<Brewery>({ url: 'http://x/' }))
    const records = graph.addNode(httpSource<Brewery>({ url: 'http://x/', yield: 'records' }))
    const takePage = graph.addNode(async function* takePage(_page: Brewery[]) {})
    const takeOne = graph.addNode(async function* takeOne(_brewery: Brewery) {})
    graph.addEdge(pages, takePage)
    graph.addEdge(records, takeOne)
    // @ts-expect-error a page (Brewery[]) is not a Brewery
    graph.addEdge(pages, takeOne)
  })

  it('rejects a yield value that is not a mode', () => {
    // @ts-expect-error 'items' is not 'pages' or 'records'
    httpSource({ url: 'http://x/', yield: 'items' })
  })
})
