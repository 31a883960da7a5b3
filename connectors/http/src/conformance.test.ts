import { describeSourceConformance, startTestServer } from '@graphflow/testkit'
import { httpSource } from './http-source.js'

/** Where {@link pagedServer}'s records are and how it pages. */
const PAGED = { records: 'data', pagination: { type: 'page' } } as const

/** Pages 1 to 5 of 4 records each, then an empty page. */
async function pagedServer() {
  return startTestServer((request, response) => {
    const page = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('page'))
    const rows =
      page <= 5 ? Array.from({ length: 4 }, (_, index) => ({ id: page * 10 + index })) : []
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ data: rows }))
  })
}

describeSourceConformance({
  name: 'httpSource (records)',
  make: async () => {
    const server = await pagedServer()
    const spec = httpSource({ url: server.url, ...PAGED, yield: 'records' })
    return { spec, expected: 20, cleanup: () => server.close() }
  },
})

describeSourceConformance({
  name: 'httpSource (pages, concurrency 3)',
  make: async () => {
    const server = await pagedServer()
    const spec = httpSource({ url: server.url, ...PAGED, concurrency: 3 })
    return { spec, expected: 5, cleanup: () => server.close() }
  },
})
