import type { ServerResponse } from 'node:http'
import { runNode, sendJson, useTestServer } from '@graphflow/testkit'
import { Agent, MockAgent } from 'undici'
import { describe, expect, it } from 'vitest'
import type { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'

const server = useTestServer()

function redirect(response: ServerResponse, status: number, location: string): void {
  response.writeHead(status, { location })
  response.end()
}

const credentials = {
  auth: { bearer: 'secret-bearer' },
  headers: { 'x-api-key': 'secret-key', 'x-trace': 'trace-1' },
}

describe('redirects', () => {
  // Guards issue 8 item 14: a cross-origin redirect forwarded custom credential headers
  // such as x-api-key (undici drops only authorization, cookie and proxy-authorization).
  it('a redirect to another origin drops auth and every user header; one to the same origin keeps them', async () => {
    const other = await server((_request, response) => sendJson(response, ['other']))
    const home = await server((_raw, response, request) => {
      if (request.url.pathname === '/away') redirect(response, 302, `${other.url}/items`)
      else if (request.url.pathname === '/here') redirect(response, 301, '/items')
      else sendJson(response, ['home'])
    })
    for (const dispatcher of [undefined, new Agent()]) {
      const away = await runNode(
        httpSource({ url: `${home.url}/away`, ...credentials, dispatcher, yield: 'records' }),
      )
      expect(away.outputs).toEqual(['other'])
      const seen = other.calls.at(-1)?.headers
      expect(seen?.authorization).toBeUndefined()
      expect(seen?.['x-api-key']).toBeUndefined()
      expect(seen?.['x-trace']).toBeUndefined()
      expect(seen?.accept).toBe('application/json')
      await dispatcher?.close()
    }
    await runNode(httpSource({ url: `${home.url}/here`, ...credentials }))
    const kept = home.calls.at(-1)
    expect(kept?.url.pathname).toBe('/items')
    expect(kept?.headers.authorization).toBe('Bearer secret-bearer')
    expect(kept?.headers['x-api-key']).toBe('secret-key')
  })

  it('trustedOrigins keeps auth and headers on a redirect to a listed origin', async () => {
    const other = await server((_request, response) => sendJson(response, []))
    const home = await server((_request, response) => redirect(response, 307, other.url))
    await runNode(httpSource({ url: home.url, ...credentials, trustedOrigins: [other.url] }))
    expect(other.calls[0]?.headers.authorization).toBe('Bearer secret-bearer')
    expect(other.calls[0]?.headers['x-api-key']).toBe('secret-key')
  })

  it('refuses a redirect from https to http with HTTP_DOWNGRADE', async () => {
    const plain = await server((_request, response) => sendJson(response, []))
    const mock = new MockAgent()
    mock.enableNetConnect('127.0.0.1')
    mock
      .get('https://api.example.test')
      .intercept({ path: '/items', method: 'GET' })
      .reply(302, '', { headers: { location: `${plain.url}/items` } })
    const { errors } = await runNode(
      httpSource({ url: 'https://api.example.test/items', ...credentials, dispatcher: mock }),
    )
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_DOWNGRADE')
    expect(error.message).toContain(`the redirect to ${plain.url}/items leaves https for http`)
    expect(plain.calls).toHaveLength(0)
    await mock.close()
  })

  // Guards issue 8 item 17: a redirect loop was reported as undici's "Use an Agent for
  // cross-origin redirects" or a max-redirects network error, and retried.
  it('a redirect loop fails at once with HTTP_REDIRECT_LOOP naming the chain', async () => {
    const home = await server((_raw, response, request) =>
      redirect(response, 302, request.url.pathname === '/a' ? '/b' : '/a'),
    )
    const { errors } = await runNode(httpSource({ url: `${home.url}/a` }))
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_REDIRECT_LOOP')
    expect(error.message).toContain(
      `redirect loop: ${home.url}/a -> ${home.url}/b -> ${home.url}/a`,
    )
    expect(home.calls).toHaveLength(2)
  })

  it('more than maxRedirections is HTTP_REDIRECT; maxRedirections: 0 gives the 3xx as HTTP_STATUS', async () => {
    const home = await server((_raw, response, request) => {
      const step = Number(request.url.searchParams.get('step'))
      redirect(response, 302, `/?step=${step + 1}`)
    })
    const many = await runNode(httpSource({ url: `${home.url}/?step=0`, maxRedirections: 2 }))
    expect((many.errors[0] as HttpError).code).toBe('HTTP_REDIRECT')
    expect(many.errors[0]?.message).toContain('more than maxRedirections (2) redirects')
    expect(home.calls).toHaveLength(3)
    const none = await runNode(httpSource({ url: `${home.url}/?step=0`, maxRedirections: 0 }))
    expect((none.errors[0] as HttpError).code).toBe('HTTP_STATUS')
    expect((none.errors[0] as HttpError).status).toBe(302)
  })

  // Guards issue 8 item 17: a POST redirected by 301/302 silently became a GET without body.
  it('a POST is refused through 301/302/303 and followed with its body through 307/308', async () => {
    const home = await server((_raw, response, request) => {
      const status = Number(request.url.pathname.slice(1))
      if (status >= 300) redirect(response, status, '/target')
      else sendJson(response, [{ method: request.method, body: request.body }])
    })
    for (const status of [301, 302, 303]) {
      const { errors } = await runNode(
        httpSource({ url: `${home.url}/${status}`, method: 'POST', body: { q: 1 } }),
      )
      const error = errors[0] as HttpError
      expect(error.code).toBe('HTTP_REDIRECT')
      expect(error.message).toContain(
        `the POST was redirected by HTTP ${status} to ${home.url}/target, which would turn it into a GET without its body`,
      )
    }
    expect(home.calls.filter((request) => request.url.pathname === '/target')).toHaveLength(0)
    for (const status of [307, 308]) {
      const { outputs: items } = await runNode(
        httpSource({
          url: `${home.url}/${status}`,
          method: 'POST',
          body: { q: 1 },
          yield: 'records',
        }),
      )
      expect(items).toEqual([{ method: 'POST', body: '{"q":1}' }])
    }
  })
})
