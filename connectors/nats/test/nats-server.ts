/**
 * A real nats-server with JetStream for the tests: `NATS_URL` when set (CI may start one),
 * else a server of our own on a free 127.0.0.1 port with a temp store dir, one per test file.
 *
 * Without a nats-server binary the suites are skipped with a reason, except under CI, where
 * a missing server is a failure.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll } from 'vitest'
import { findNatsServer, startLocalNatsServer } from '../src/local-server.js'

export const natsBinary = findNatsServer()

/** Why the suites are skipped, or `undefined` when they run. */
export const skipReason: string | undefined =
  process.env.NATS_URL || natsBinary || process.env.CI
    ? undefined
    : 'nats-server not found (set NATS_URL, or install it: apt-get install nats-server)'

if (skipReason) console.warn(`@graphflow/nats tests skipped: ${skipReason}`)

export interface TestServer {
  readonly url: string
  /** Stops the server (when we started it) and removes its store. */
  stop(): Promise<void>
}

/** Starts (or reuses, from `NATS_URL`) a JetStream-enabled nats-server. */
export async function startNats(): Promise<TestServer> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} }
  const server = await startLocalNatsServer({ binary: natsBinary })
  return { url: server.url, stop: () => server.stop() }
}

/** A unique run id per test, so tests sharing one server never share a stream. */
export function uniqueRun(label = 'run'): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
}

/** Connects to `url` (closed by the caller). */
export function connectTo(url: string): Promise<NatsConnection> {
  return connect({ servers: url, name: 'graphflow-nats-test' })
}

/**
 * A nats-server with JetStream and a connection to it for one test file's `describe`: started
 * before its tests, closed and stopped after them. Read `server` and `nc` inside the tests.
 */
export function useNats(): { readonly server: TestServer; readonly nc: NatsConnection } {
  const handle = {} as { server: TestServer; nc: NatsConnection }
  beforeAll(async () => {
    handle.server = await startNats()
    handle.nc = await connectTo(handle.server.url)
  })
  afterAll(async () => {
    await handle.nc?.close()
    await handle.server?.stop()
  })
  return handle
}
