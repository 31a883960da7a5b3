import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { filterBreweries, pageOf, parseBreweryQuery, queryKey } from './brewery-query.js'
import { type Brewery, generateBreweries } from './dataset.js'
import {
  type Fault,
  type FaultCandidate,
  FaultInjector,
  type FaultKind,
  type FaultPlan,
} from './fault-plan.js'

export type {
  Fault,
  FaultKind,
  FaultPlan,
  FaultScope,
  FaultTrigger,
  MalformedJsonFault,
  ResetFault,
  RetryAfterFault,
  SlowBodyFault,
  StatusFault,
} from './fault-plan.js'

/** Options for {@link startReplayServer}. */
export interface ReplayServerOptions {
  /**
   * Breweries to serve, in this order.
   * @default generateBreweries() (5,000 records, 3,800 of them in the United States)
   */
  data?: readonly Brewery[]
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Port to listen on; 0 picks a free one (read it back from `url`).
   * @default 0
   */
  port?: number
  /**
   * Delay, in milliseconds, before each response (faulty ones included).
   * @default 0
   */
  latencyMs?: number
  /**
   * Faults to inject, e.g. `[{ kind: 'status', status: 503, on: [2] }, { kind: 'reset', rate: 0.05 }]`.
   * @default [] (no faults)
   */
  faults?: FaultPlan
  /**
   * Seed for faults given as a `rate`; the same seed faults the same request numbers.
   * @default 1
   */
  faultSeed?: number
}

/** One request the server answered (or dropped). */
export interface RequestLogEntry {
  /** 1-based arrival order over all requests. */
  number: number
  /** Path and query string as received, e.g. `/v1/breweries?page=2&per_page=200`. */
  path: string
  /** Status sent; `0` when the connection was reset before any header was written. */
  status: number
  /** The injected fault, or `null` for a normal answer. */
  fault: FaultKind | null
}

/** Live view of the requests a replay server has received. */
export interface ReplayRequests {
  /** How many requests arrived (any path, answered or not yet). */
  readonly count: number
  /** One entry per request, appended just before its response is written. */
  readonly log: readonly RequestLogEntry[]
}

/** A running replay server. */
export interface ReplayServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string
  /** `${url}/v1/breweries`. */
  readonly apiUrl: string
  readonly requests: ReplayRequests
  /** Stops listening, destroys open sockets and cancels pending delays. Safe to call twice. */
  close(): Promise<void>
}

interface PlannedResponse extends FaultCandidate {
  status: number
  body: string
  headers: Record<string, string>
}

const LIST_PATH = '/v1/breweries'
const META_PATH = '/v1/breweries/meta'

/**
 * Starts an offline stand-in for the Open Brewery DB API (`/v1/breweries`, `/v1/breweries/meta`,
 * `/v1/breweries/{id}`) with optional latency and fault injection. Uses only `node:http`.
 */
export async function startReplayServer(options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const data = options.data ?? generateBreweries()
  const latencyMs = options.latencyMs ?? 0
  const injector = new FaultInjector(options.faults ?? [], options.faultSeed ?? 1)
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const log: RequestLogEntry[] = []
  let count = 0
  let closing: Promise<void> | undefined

  const sleep = (milliseconds: number): Promise<void> =>
    new Promise((resolve) => {
      if (milliseconds <= 0) return resolve()
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, milliseconds)
      timers.add(timer)
    })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const number = ++count
    const path = request.url ?? '/'
    const planned = planResponse(request.method ?? 'GET', path, data)
    const fault = injector.choose(planned)
    await sleep(latencyMs)
    if (closing !== undefined || response.destroyed) return
    const record = (status: number) =>
      log.push({ number, path, status, fault: fault?.kind ?? null })
    await sendResponse(request, response, planned, fault, record, sleep)
  }

  const server = createServer((request, response) => {
    request.on('error', () => {})
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy()
      const body = JSON.stringify({ message: `Replay server error: ${String(error)}` })
      response.writeHead(500, jsonHeaders(body)).end(body)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  return {
    url,
    apiUrl: `${url}${LIST_PATH}`,
    requests: {
      get count() {
        return count
      },
      log,
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        server.close((error) => (error ? reject(error) : resolve()))
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}

/** Works out the normal (fault-free) answer to a request. */
function planResponse(method: string, rawPath: string, data: readonly Brewery[]): PlannedResponse {
  const url = new URL(rawPath, 'http://replay.invalid')
  const path = url.pathname.replace(/\/+$/, '') || '/'
  const route = path === LIST_PATH ? 'list' : path === META_PATH ? 'meta' : 'other'
  const answer = (status: number, value: unknown, attemptKey = `${route} ${rawPath}`) =>
    jsonResponse(status, value, route, attemptKey)

  if (method !== 'GET' && method !== 'HEAD') {
    const planned = answer(405, { message: `Method ${method} not allowed` })
    planned.headers.allow = 'GET, HEAD'
    return planned
  }
  if (route === 'other') {
    const brewery = path.startsWith(`${LIST_PATH}/`) ? findById(data, path) : undefined
    if (brewery !== undefined) return answer(200, brewery)
    const what = path.startsWith(`${LIST_PATH}/`) ? 'Brewery' : `route ${path}`
    return answer(404, { message: `Couldn't find ${what}` })
  }
  const parsed = parseBreweryQuery(url.searchParams)
  if (!parsed.ok) return answer(400, { message: parsed.message })
  const { query } = parsed
  const matching = filterBreweries(data, query)
  const attemptKey = `${route} ${queryKey(query)}`
  if (route === 'list') return answer(200, pageOf(matching, query), attemptKey)
  const meta = {
    total: String(matching.length),
    page: String(query.page),
    per_page: String(query.perPage),
  }
  return answer(200, meta, attemptKey)
}

function findById(data: readonly Brewery[], path: string): Brewery | undefined {
  try {
    const id = decodeURIComponent(path.slice(LIST_PATH.length + 1))
    return data.find((brewery) => brewery.id === id)
  } catch {
    return undefined
  }
}

/** Writes the planned answer, or the fault's distortion of it. */
async function sendResponse(
  request: IncomingMessage,
  response: ServerResponse,
  planned: PlannedResponse,
  fault: Fault | undefined,
  record: (status: number) => void,
  sleep: (milliseconds: number) => Promise<void>,
): Promise<void> {
  switch (fault?.kind) {
    case undefined:
      record(planned.status)
      response.writeHead(planned.status, planned.headers).end(planned.body)
      return
    case 'status':
      return sendError(response, fault.status, {}, record)
    case 'retry-after':
      return sendError(
        response,
        fault.status ?? 429,
        { 'retry-after': String(fault.seconds) },
        record,
      )
    case 'reset': {
      const socket = request.socket
      if (fault.when === 'before-headers') {
        record(0)
        socket.destroy()
        return
      }
      record(planned.status)
      const bytes = Buffer.from(planned.body)
      response.writeHead(planned.status, planned.headers)
      response.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () =>
        socket.destroy(),
      )
      return
    }
    case 'slow-body':
      record(planned.status)
      response.writeHead(planned.status, planned.headers)
      response.flushHeaders()
      await sleep(fault.delayMs ?? 1000)
      if (!response.destroyed) response.end(planned.body)
      return
    case 'malformed-json': {
      record(200)
      const body = planned.body.slice(0, Math.ceil(planned.body.length / 2))
      response.writeHead(200, jsonHeaders(body)).end(body)
      return
    }
  }
}

function sendError(
  response: ServerResponse,
  status: number,
  extraHeaders: Record<string, string>,
  record: (status: number) => void,
): void {
  record(status)
  const body = JSON.stringify({ message: STATUS_CODES[status] ?? `HTTP ${status}` })
  response.writeHead(status, { ...jsonHeaders(body), ...extraHeaders }).end(body)
}

function jsonResponse(
  status: number,
  value: unknown,
  route: PlannedResponse['route'],
  attemptKey: string,
): PlannedResponse {
  const body = JSON.stringify(value)
  return { status, body, headers: jsonHeaders(body), route, attemptKey }
}

function jsonHeaders(body: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  }
}
