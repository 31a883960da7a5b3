import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach } from 'vitest'

/** A request {@link startTestServer} received, recorded before its handler runs. */
export interface TestRequest {
  /** `GET`, `POST`, ... */
  readonly method: string
  /** The full URL, `http://127.0.0.1:<port>/path?query`. */
  readonly url: URL
  /** The request headers, names in lower case. */
  readonly headers: IncomingHttpHeaders
  /** The request body as UTF-8 text (`''` for none). */
  readonly body: string
  /** `performance.now()` when the request was received. */
  readonly at: number
}

/**
 * A request handler of {@link startTestServer}. The body has been read before it runs: it is
 * `call.body` (reading `request` again gives nothing).
 */
export type TestRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  call: TestRequest,
) => void | Promise<void>

/** A running {@link startTestServer}. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** How many requests it has received. */
  readonly requests: number
  /** Every request it has received, in order: method, URL, headers, body. */
  readonly calls: readonly TestRequest[]
  /** Stops listening and destroys open connections. */
  close(): Promise<void>
}

/**
 * Starts a real HTTP server on 127.0.0.1 (a free port) around a `node:http` handler, for
 * testing sources against real sockets. Every request is recorded in `calls` (its body read
 * before the handler runs). A handler that throws answers 500.
 *
 * @example
 * ```ts
 * const server = await startTestServer((request, response, call) => {
 *   response.setHeader('content-type', 'application/json')
 *   response.end(JSON.stringify([{ page: call.url.searchParams.get('page') }]))
 * })
 * try { ... } finally { await server.close() }
 * ```
 */
export async function startTestServer(handler: TestRequestHandler): Promise<TestServer> {
  const calls: TestRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => {
        const call: TestRequest = {
          method: request.method ?? '',
          url: new URL(request.url ?? '/', base),
          headers: request.headers,
          body,
          at: performance.now(),
        }
        calls.push(call)
        return handler(request, response, call)
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.statusCode = 500
        response.end(String(error))
      })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  return {
    url: base,
    get requests() {
      return calls.length
    },
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * Test servers closed after each test of the file: call once at the top of a test file (it
 * registers an `afterEach`), then start servers in the tests with the function it returns,
 * which takes the handler of {@link startTestServer}. Closing one earlier in a test is fine.
 *
 * @example
 * ```ts
 * const serve = useTestServer()
 *
 * it('reads every page', async () => {
 *   const server = await serve((request, response) => sendJson(response, [1, 2]))
 *   ...
 * })
 * ```
 */
export function useTestServer(): (handler: TestRequestHandler) => Promise<TestServer> {
  const open: TestServer[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()))
  })
  return async (handler) => {
    const server = await startTestServer(handler)
    open.push(server)
    return server
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Answers with `value` as JSON (`content-type` and `content-length` set).
 *
 * @example
 * ```ts
 * const server = await startTestServer((request, response) => sendJson(response, [{ id: 1 }]))
 * ```
 */
export function sendJson(
  response: ServerResponse,
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  response.end(text)
}
