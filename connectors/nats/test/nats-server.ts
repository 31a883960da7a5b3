/**
 * A real nats-server with JetStream for the tests: `NATS_URL` when set (CI may start one),
 * else a server of our own on a free 127.0.0.1 port with a temp store dir, one per test file.
 *
 * Without a nats-server binary the suites are skipped with a reason, except under CI, where
 * a missing server is a failure.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll } from 'vitest'

function findBinary(): string | undefined {
  for (const candidate of [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server']) {
    if (!candidate) continue
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' })
      return candidate
    } catch {}
  }
  return undefined
}

export const natsBinary = findBinary()

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
  if (!natsBinary) {
    throw new Error(
      'nats-server not found and NATS_URL not set: install nats-server (apt-get install nats-server) or start one and set NATS_URL',
    )
  }
  const store = await mkdtemp(join(tmpdir(), 'graphflow-nats-'))
  const child = spawn(natsBinary, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', '-1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let log = ''
    const timer = setTimeout(
      () => fail(new Error(`nats-server did not start in 20 s:\n${log}`)),
      20_000,
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.on('error', fail)
    child.on('exit', (code) => fail(new Error(`nats-server exited with ${code}:\n${log}`)))
    child.stderr?.setEncoding('utf8')
    const onLog = (chunk: string) => {
      log += chunk
      const port = /Listening for client connections on [\d.]+:(\d+)/.exec(log)?.[1]
      if (port && /Server is ready/.test(log)) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        child.stderr?.off('data', onLog)
        child.stderr?.resume()
        resolve(`nats://127.0.0.1:${port}`)
      }
    }
    child.stderr?.on('data', onLog)
  })
  return { url, stop: () => stopChild(child, store) }
}

async function stopChild(child: ChildProcess, store: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  await rm(store, { recursive: true, force: true })
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
