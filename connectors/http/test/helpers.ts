import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AsyncExecutor,
  AsyncGraph,
  type ExecutionReport,
  type Logger,
  type NodeSpec,
} from '@graphflow/core'

/** A request the test server received. */
export interface SeenRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
  at: number
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. */
export interface TestServer {
  url: string
  requests: SeenRequest[]
  close(): Promise<void>
}

type Handler = (
  request: SeenRequest,
  response: ServerResponse,
  raw: IncomingMessage,
) => void | Promise<void>

/** Starts a server around `handler`; the request body is read before the handler runs. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = []
  const server = createServer(async (raw, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of raw) chunks.push(chunk as Buffer)
    const seen: SeenRequest = {
      method: raw.method ?? '',
      url: new URL(raw.url ?? '/', 'http://127.0.0.1'),
      headers: raw.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now(),
    }
    requests.push(seen)
    try {
      await handler(seen, response, raw)
    } catch (error) {
      response.destroy(error as Error)
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Sends `value` as JSON. */
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

/** A logger that keeps its lines. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, info: (line) => lines.push(line), error: (line) => lines.push(line) }
}

/** What {@link runSource} returns. */
export interface SourceRun<Out> {
  items: Out[]
  report: ExecutionReport
  errors: Error[]
  logs: string[]
}

/** Runs `spec` as the start node of a graph feeding a collecting sink. */
export async function runSource<Out>(
  spec: NodeSpec<never[], Out> | NodeSpec<[start?: never], Out>,
  options: { startArgs?: unknown[]; signal?: AbortSignal; onItem?: (item: Out) => void } = {},
): Promise<SourceRun<Out>> {
  const items: Out[] = []
  const graph = new AsyncGraph()
  const source = graph.addNode(spec as NodeSpec<never[], Out>)
  const sink = graph.addNode(async function* collect(item: Out) {
    items.push(item)
    options.onItem?.(item)
  })
  graph.addEdge(source.name, sink.name)
  const logger = memoryLogger()
  const executor = new AsyncExecutor(graph, { logger })
  const report = await executor.execute({
    signal: options.signal,
    ...(options.startArgs ? { startNodes: { [source.name]: options.startArgs } } : {}),
  })
  return { items, report, errors: report.exceptions[source.name] ?? [], logs: logger.lines }
}

/** `n` records `{ id }` numbered from `from`. */
export function records(from: number, n: number): Array<{ id: number }> {
  return Array.from({ length: n }, (_, index) => ({ id: from + index }))
}
