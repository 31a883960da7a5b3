import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request handler of {@link startTestServer}. */
export type TestRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => void | Promise<void>

/** A running {@link startTestServer}. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** How many requests it has received. */
  readonly requests: number
  /** Stops listening and destroys open connections. */
  close(): Promise<void>
}

/**
 * Starts a real HTTP server on 127.0.0.1 (a free port) around a `node:http` handler, for
 * testing sources against real sockets. A handler that throws answers 500.
 *
 * @example
 * ```ts
 * const server = await startTestServer((request, response) => {
 *   response.setHeader('content-type', 'application/json')
 *   response.end(JSON.stringify([{ id: 1 }]))
 * })
 * try { ... } finally { await server.close() }
 * ```
 */
export async function startTestServer(handler: TestRequestHandler): Promise<TestServer> {
  let requests = 0
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    requests++
    Promise.resolve()
      .then(() => handler(request, response))
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
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
