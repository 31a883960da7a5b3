import {
  type RunNodeResult,
  runNode,
  sendJson,
  type TestServer,
  useTestServer,
} from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'
import type { HttpRetryInfo } from './fetch-page.js'
import { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'
import type { HttpPageInfo } from './http-source-options.js'

import { Redactor } from './redact.js'

const serve = useTestServer()
let server: TestServer | undefined

const PASSWORD = 'pa55-PASSWORD-secret'
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64')
const API_KEY = 'KEY-in-the-query-0001'
const SESSION = 'SESSION-user-listed-0002'
const HEADER_KEY = 'HEADER-x-api-key-0003'
const BEARER = 'BEARER-token-0004'
const NEXT_TOKEN = 'NEXT-link-token-0005'
const SECRETS = [PASSWORD, BASIC, API_KEY, SESSION, HEADER_KEY, BEARER, NEXT_TOKEN]

/** Every text the source handed out: errors (message, url, stack, cause chain), log lines, payloads. */
function everythingShown(run: RunNodeResult<unknown>, payloads: unknown[]): string[] {
  const texts: string[] = [...run.logs, ...payloads.map((payload) => JSON.stringify(payload))]
  const walk = (error: unknown, depth: number) => {
    if (!(error instanceof Error) || depth > 10) return
    texts.push(String(error), error.message, error.stack ?? '')
    if (error instanceof HttpError) texts.push(error.url)
    if (error instanceof AggregateError) for (const each of error.errors) walk(each, depth + 1)
    walk(error.cause, depth + 1)
  }
  for (const errors of Object.values(run.report.exceptions)) {
    for (const error of errors ?? []) walk(error, 0)
  }
  return texts
}

function expectNoSecret(texts: string[]): void {
  for (const secret of SECRETS) {
    const leaks = texts.filter((text) => text.includes(secret))
    expect(leaks, `secret ${secret} leaked`).toEqual([])
  }
}

describe('redaction: no secret leaves the source', () => {
  // Guards issue 8 item 12: URL userinfo, secret query values, credential headers and body
  // echoes of them were shown verbatim in errors, the retry log, logger.error and callbacks.
  it('in errors, stacks, causes, log lines and onPage / onRetry, for every way a run can fail', async () => {
    let statusCalls = 0
    server = await serve((_raw, response, request) => {
      const echo = { url: request.url.href, headers: request.headers }
      const page = request.url.searchParams.get('page')
      switch (request.url.pathname) {
        case '/status':
          if (page === '1') return sendJson(response, records(1, 2))
          statusCalls++
          // A retried 503, then a 401: both bodies echo the credentials and the URL.
          return sendJson(response, echo, statusCalls === 1 ? 503 : 401)
        case '/json':
          response.writeHead(200, { 'content-type': 'text/html' })
          // The key and the session on their own too, not inside a URL.
          response.end(
            `<p>bad ${request.headers.authorization} ${request.url.href} ${request.url.searchParams.get('api_key')} ${request.url.searchParams.get('session')}</p>`,
          )
          return
        case '/shape':
          return sendJson(response, { echo })
        case '/loop':
          response.writeHead(302, { location: `/loop2?token=${NEXT_TOKEN}` })
          response.end()
          return
        case '/loop2':
          response.writeHead(302, { location: `/loop?api_key=${API_KEY}` })
          response.end()
          return
        case '/link':
          return sendJson(response, records(1, 2), 200, {
            link: `</link?token=${NEXT_TOKEN}>; rel="next"`,
          })
        default:
          return sendJson(response, [], 404)
      }
    })
    const origin = new URL(server.url)
    const secretUrl = (path: string) => `http://alice:${PASSWORD}@${origin.host}${path}`
    const cases = [
      { path: '/status', code: 'HTTP_STATUS', pagination: { type: 'page' } as const },
      { path: '/json', code: 'HTTP_BAD_JSON' },
      { path: '/shape', code: 'HTTP_BAD_SHAPE', records: 'items' },
      { path: '/loop', code: 'HTTP_REDIRECT_LOOP' },
      { path: '/link', code: 'HTTP_LOOP', pagination: { type: 'link' } as const },
      {
        path: '/link',
        code: 'HTTP_PAGINATION',
        pagination: { type: 'link' } as const,
        throws: true,
      },
    ]
    for (const each of cases) {
      const payloads: Array<HttpPageInfo | HttpRetryInfo> = []
      const run = await runNode(
        httpSource({
          url: secretUrl(each.path),
          // Secret query values given in `query` are found as well as those in the URL.
          query: { api_key: API_KEY, session: SESSION },
          headers: { 'x-api-key': HEADER_KEY },
          redact: ['session'],
          pagination: each.pagination,
          records: each.records,
          retry: { baseDelay: 1 },
          stopWhen: each.throws
            ? (page) => {
                throw new Error(`cannot handle ${page.request.url.href}`)
              }
            : undefined,
          onPage: (info) => payloads.push(info),
          onRetry: (info) => payloads.push(info),
        }),
      )
      expect(run.errors.map((error) => (error as HttpError).code)).toEqual([each.code])
      const texts = everythingShown(run, payloads)
      expect(texts.join('\n')).toContain('***')
      expectNoSecret(texts)
    }
    // The retry, the onPage calls and logger.error were all searched.
    expect(statusCalls).toBe(2)
  })

  it('with bearer auth echoed in a body, and in the cause chain of a refused connection', async () => {
    server = await serve((_raw, response, request) =>
      sendJson(response, { error: `bad ${request.headers.authorization}` }, 403),
    )
    const forbidden = await runNode(httpSource({ url: server.url, auth: { bearer: BEARER } }))
    expect((forbidden.errors[0] as HttpError).message).toContain('bad Bearer ***')
    expectNoSecret(everythingShown(forbidden, []))
    const port = new URL(server.url).port
    await server.close()
    server = undefined
    const refused = await runNode(
      httpSource({
        url: `http://127.0.0.1:${port}/?access_token=${API_KEY}`,
        auth: { bearer: BEARER },
        retry: false,
      }),
    )
    expect((refused.errors[0] as HttpError).code).toBe('HTTP_NETWORK')
    expect((refused.errors[0] as HttpError).url).toBe(`http://127.0.0.1:${port}/?access_token=***`)
    expectNoSecret(everythingShown(refused, []))
  })

  // Guards the user-trial leak: a secret with a space or with ' ~ * ! ( ) takes other forms in
  // the request URL (`+`, URLSearchParams escapes, lower-case hex) that a body echoing req.url
  // showed verbatim; and secret parameters in the URL fragment were shown unredacted.
  it('in every encoded form a secret takes in a URL or a body echo, and in the fragment', async () => {
    const spaced = 'SECRET 17 spaced'
    const symbols = "SYM'~*!()-secret 18"
    const fragment = 'FRAG-token-0019'
    const quoted = 'QUOTE"back\\slash/0020'
    server = await serve((raw, response) => {
      const url = raw.url ?? ''
      const lower = url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())
      const spaces = url.replace(/\+/g, '%20')
      // req.url as sent, with lower-case escapes, with %20 for `+`, and each value in JSON.
      sendJson(response, { url, lower, spaces, spaced, symbols, quoted }, 500)
    })
    const payloads: HttpRetryInfo[] = []
    const run = await runNode(
      httpSource({
        url: `${server.url}/items#access_token=${fragment}&view=full`,
        query: { api_key: spaced, token: symbols, page: '1' },
        headers: { 'x-api-key': quoted },
        retry: { attempts: 2, baseDelay: 1 },
        onRetry: (info) => payloads.push(info),
      }),
    )
    const error = run.errors[0] as HttpError
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.url).toContain('#access_token=***&view=full')
    expect(payloads).toHaveLength(1)
    const texts = everythingShown(run, payloads)
    const forms = (secret: string) => {
      const component = encodeURIComponent(secret)
      const form = new URLSearchParams({ k: secret }).toString().slice(2)
      const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)
      return [secret, component, form, strict, JSON.stringify(secret).slice(1, -1)].flatMap(
        (each) => [each, each.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())],
      )
    }
    for (const secret of [spaced, symbols, fragment, quoted]) {
      for (const form of forms(secret)) {
        const leaks = texts.filter((text) => text.includes(form))
        expect(leaks, `secret ${secret} leaked as ${form}`).toEqual([])
      }
    }
  })

  it('in the TypeError of a bad start URL', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    const run = await runNode(httpSource({ url: server.url }), {
      startArgs: [`ftp://alice:${PASSWORD}@example.test/?token=${NEXT_TOKEN}`],
    })
    expect(run.errors[0]).toBeInstanceOf(TypeError)
    expectNoSecret(everythingShown(run, []))
  })
})

describe('Redactor', () => {
  it('redacts userinfo, the built-in and listed parameter names, and known secrets in text', () => {
    const redactor = new Redactor(['Session'])
    expect(
      redactor.url(
        'https://u:p@api.test/a?page=2&API_KEY=1&refresh_token=2&X-Amz-Signature=3&session=4&sort=id',
      ),
    ).toBe(
      'https://***@api.test/a?page=2&API_KEY=***&refresh_token=***&X-Amz-Signature=***&session=***&sort=id',
    )
    redactor.learn({ headers: { 'X-Api-Key': 'abcd1234', accept: 'application/json' } })
    expect(redactor.text('echo abcd1234 as application/json, Bearer zz.zz-zz9')).toBe(
      'echo *** as application/json, Bearer ***',
    )
    // A secret in any mix of raw, `+`, upper- and lower-case escapes; fragment parameters.
    redactor.learn({ secrets: ["s3cret word's"] })
    expect(redactor.text('/a?k=s3cret+word%27s&x=s3cret%20word%27S s3cret%20wor%64%27s')).toBe(
      '/a?k=***&x=s3cret%20word%27S ***',
    )
    expect(redactor.url('https://api.test/cb#/done?key=1&state=x')).toBe(
      'https://api.test/cb#/done?key=***&state=x',
    )
    // Prose after a scheme name is not a credential.
    expect(redactor.text('Basic authentication required')).toBe('Basic authentication required')
  })
})
