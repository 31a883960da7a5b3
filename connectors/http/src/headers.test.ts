import { afterEach, describe, expect, it } from 'vitest'
import { runSource, sendJson, startServer, type TestServer } from '../test/helpers.js'
import { httpSource } from './http-source.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('request headers', () => {
  it('let a header in any letter case replace the default, the auth header and earlier ones', async () => {
    server = await startServer((_request, response) => sendJson(response, []))
    await runSource(
      httpSource({
        url: server.url,
        auth: { bearer: 'from-auth' },
        method: 'POST',
        body: { query: 'x' },
        headers: {
          Accept: 'application/vnd.api+json',
          Authorization: 'Token from-headers',
          'Content-Type': 'application/vnd.api+json',
        },
      }),
      { startArgs: [{ headers: { ACCEPT: 'application/json; version=2' } }] },
    )
    const seen = server.requests[0]?.headers
    expect(seen?.accept).toBe('application/json; version=2')
    expect(seen?.authorization).toBe('Token from-headers')
    expect(seen?.['content-type']).toBe('application/vnd.api+json')
  })
})
