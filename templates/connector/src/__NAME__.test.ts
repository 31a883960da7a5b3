import { setTimeout } from 'node:timers/promises'
import { runNode, startTestServer, type TestServer } from '@graphflow/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { __PASCAL__Error } from './__NAME__-error.js'
import { __CAMEL__Sink } from './__NAME__-sink.js'
import { __CAMEL__Source } from './__NAME__-source.js'

interface Row {
  id: number
}

/** A stand-in for the API: two pages of records, then empty pages. */
const pages: Row[][] = [[{ id: 1 }, { id: 2 }], [{ id: 3 }]]

describe('__CAMEL__Source', () => {
  it('yields the records of every page until an empty page, and does no I/O before a run', async () => {
    const requested: number[] = []
    const spec = __CAMEL__Source({
      fetchPage: (page) => {
        requested.push(page)
        return pages[page - 1] ?? []
      },
    })
    expect(requested).toEqual([])
    const { outputs, errors } = await runNode(spec)
    expect(errors).toEqual([])
    expect(outputs).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect(requested).toEqual([1, 2, 3])
    expect(spec.stats).toEqual({ records: 3, pages: 3 })
  })

  it('starts at firstPage and stops after maxPages', async () => {
    const spec = __CAMEL__Source({ fetchPage: (page) => [{ id: page }], firstPage: 0, maxPages: 2 })
    const { outputs } = await runNode(spec)
    expect(outputs).toEqual([{ id: 0 }, { id: 1 }])
  })

  it('fails with a __PASCAL__Error naming the page when fetchPage throws', async () => {
    const spec = __CAMEL__Source<Row>({
      fetchPage: (page) => {
        if (page === 2) throw new Error('HTTP 503')
        return pages[page - 1] ?? []
      },
    })
    const { outputs, errors } = await runNode(spec)
    expect(outputs).toEqual([{ id: 1 }, { id: 2 }])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(__PASCAL__Error)
    expect(errors[0]).toMatchObject({ code: '__CONSTANT___FETCH', scope: '__NAME__' })
    expect(errors[0]?.message).toBe('[graphflow] [__NAME__] cannot fetch page 2: HTTP 503')
  })

  it('rejects bad options with a TypeError naming the option', () => {
    const fetchPage = () => pages[0] ?? []
    expect(() => __CAMEL__Source({ fetchPage: 'nope' } as never)).toThrow(
      '__CAMEL__Source option "fetchPage": expected a function, got "nope"',
    )
    expect(() => __CAMEL__Source({ fetchPage, maxPages: 0 })).toThrow(
      '__CAMEL__Source option "maxPages": expected an integer >= 1 or Infinity, got 0',
    )
  })
})

describe('__CAMEL__Source against a real HTTP server', () => {
  let server: TestServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  /** Fetches `?page=N` as JSON, passing the run's signal on. */
  const fetchFrom =
    (url: string) =>
    async (page: number, signal: AbortSignal): Promise<Row[]> => {
      const response = await fetch(`${url}/items?page=${page}`, { signal })
      return (await response.json()) as Row[]
    }

  it('reads every page over HTTP', async () => {
    server = await startTestServer((request, response) => {
      const page = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('page'))
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(pages[page - 1] ?? []))
    })
    const { outputs, errors } = await runNode(__CAMEL__Source({ fetchPage: fetchFrom(server.url) }))
    expect(errors).toEqual([])
    expect(outputs).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect(server.requests).toBe(3)
  })

  it('cancels the request in flight when the run is aborted, and ends quietly', async () => {
    const controller = new AbortController()
    let received = 0
    server = await startTestServer(async (request, response) => {
      if (request.url?.endsWith('page=1')) {
        response.end(JSON.stringify(pages[0]))
        return
      }
      // Page 2 never answers: once page 1's records are through, only the signal ends it.
      while (received < 2) await setTimeout(5)
      controller.abort()
    })
    const spec = __CAMEL__Source({ fetchPage: fetchFrom(server.url) })
    const { outputs, errors, report } = await runNode(spec, {
      signal: controller.signal,
      onOutput: () => received++,
    })
    expect(report.aborted).toBe(true)
    expect(errors).toEqual([])
    expect(outputs).toEqual([{ id: 1 }, { id: 2 }])
  })
})

describe('__CAMEL__Sink', () => {
  it('sends full batches while the run goes on and the rest in close()', async () => {
    const batches: Row[][] = []
    const spec = __CAMEL__Sink<Row>({ send: (batch) => void batches.push(batch), batchSize: 2 })
    const { errors } = await runNode(spec, { inputs: [{ id: 1 }, { id: 2 }, { id: 3 }] })
    expect(errors).toEqual([])
    expect(batches).toEqual([[{ id: 1 }, { id: 2 }], [{ id: 3 }]])
    expect(spec.stats).toEqual({ records: 3 })
  })

  it('takes an array of records per call, and rejects a call with an item that is not a record', async () => {
    const batches: Row[][] = []
    const spec = __CAMEL__Sink<Row>({ send: (batch) => void batches.push(batch), batchSize: 2 })
    const { errors } = await runNode(spec, {
      inputs: [
        [{ id: 1 }, { id: 2 }, { id: 3 }],
        [{ id: 4 }, 'x' as unknown as Row],
      ],
    })
    expect(batches.flat()).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect(errors[0]).toMatchObject({ code: '__CONSTANT___INVALID_ITEM' })
    expect(errors[0]?.message).toBe('[graphflow] [__NAME__] expected a record (an object), got "x"')
  })

  it('fails with a __PASCAL__Error when send throws', async () => {
    const spec = __CAMEL__Sink<Row>({
      send: () => {
        throw new Error('HTTP 400')
      },
      batchSize: 1,
    })
    const { errors } = await runNode(spec, { inputs: [{ id: 1 }] })
    expect(errors[0]).toMatchObject({ code: '__CONSTANT___SEND' })
    expect(errors[0]?.message).toBe('[graphflow] [__NAME__] cannot send 1 records: HTTP 400')
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => __CAMEL__Sink({ send: () => {}, batchSize: 1.5 })).toThrow(
      '__CAMEL__Sink option "batchSize": expected an integer >= 1, got 1.5',
    )
  })
})
