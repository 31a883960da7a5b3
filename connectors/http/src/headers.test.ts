import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { httpSource } from './http-source.js'

const serve = useTestServer()
let server: TestServer | undefined

describe('request headers', () => {
  it('let a header in any letter case replace the default, the auth header and earlier ones', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    await runNode(
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
    const seen = server.calls[0]?.headers
    expect(seen?.accept).toBe('application/json; version=2')
    expect(seen?.authorization).toBe('Token from-headers')
    expect(seen?.['content-type']).toBe('application/vnd.api+json')
  })
})

describe('header validation', () => {
  // Guards issue 8 item 15: CRLF in a header value passed the factory and failed later as
  // HTTP_NETWORK (or split the request).
  it('the factory refuses a CR/LF or NUL in a value, a bad name or a non-string value', () => {
    const url = 'http://127.0.0.1:1/'
    expect(() => httpSource({ url, headers: { 'x-a': 'ok\r\nx-b: injected' } })).toThrow(
      /^httpSource option "headers": expected valid headers, got header "x-a" holds a control character \(\\x0d/,
    )
    expect(() => httpSource({ url, headers: { 'x-a': 'nul\0' } })).toThrow(TypeError)
    expect(() => httpSource({ url, headers: { 'bad name': 'v' } })).toThrow(
      'header name "bad name" is not a valid HTTP token',
    )
    expect(() => httpSource({ url, headers: { 'x-n': 5 as unknown as string } })).toThrow(
      'header "x-n" must be a string, got number',
    )
    expect(() => httpSource({ url, auth: { bearer: 'abc\r\nx: y' } })).toThrow(
      /option "auth": expected a bearer token without control characters/,
    )
    expect(() => httpSource({ url, headers: { 'x-tab': 'a\tb' } })).not.toThrow()
  })

  it('a start override with a bad header is a TypeError in the run, before any request', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    const { errors } = await runNode(httpSource({ url: server.url }), {
      startArgs: [{ headers: { 'x-a': 'v\nx-b: injected' } }],
    })
    expect(errors[0]).toBeInstanceOf(TypeError)
    expect(errors[0]?.message).toMatch(
      /^httpSource start argument "headers": expected valid headers/,
    )
    expect(server.calls).toHaveLength(0)
  })

  it('a custom next request with a bad header is an HTTP_PAGINATION error', async () => {
    server = await serve((_raw, response) => sendJson(response, [1]))
    const { errors } = await runNode(
      httpSource({
        url: server.url,
        pagination: { type: 'custom', next: () => ({ headers: { 'x-a': 'v\r\n' } }) },
      }),
    )
    expect(errors[0]?.message).toMatch(/HTTP_PAGINATION|pagination.next returned an invalid header/)
    expect((errors[0] as { code?: string }).code).toBe('HTTP_PAGINATION')
    expect(server.calls).toHaveLength(1)
  })
})

describe('URL userinfo', () => {
  // Guards issue 8 item 13: undici ignores userinfo, so https://user:pass@host/ got a 401.
  it('is sent as Basic auth (percent-decoded) and not left in the URL', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    const withUserinfo = server.url.replace('http://', 'http://al%40ice:p%3Ass@')
    await runNode(httpSource({ url: withUserinfo }))
    const seen = server.calls[0]
    expect(seen?.headers.authorization).toBe(
      `Basic ${Buffer.from('al@ice:p:ss').toString('base64')}`,
    )
    // The same for a start URL with userinfo.
    await runNode(httpSource({ url: server.url }), {
      startArgs: [server.url.replace('http://', 'http://bob:pw@')],
    })
    expect(server.calls[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('bob:pw').toString('base64')}`,
    )
  })

  it('together with the auth option is refused: the credentials are given once', () => {
    expect(() => httpSource({ url: 'http://u:p@127.0.0.1:1/', auth: { bearer: 'token' } })).toThrow(
      /^httpSource option "url": expected no userinfo .* got http:\/\/\*\*\*@127\.0\.0\.1:1\//,
    )
  })
})
