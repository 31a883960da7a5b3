import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NatsError } from './nats-error.js'

/**
 * {@link startLocalNatsServer} found no nats-server binary, or the server did not start (the
 * message holds its log). Code `NATS_SERVER`.
 */
export class NatsServerError extends NatsError {
  override name = 'NatsServerError'

  constructor(message: string, details: { cause?: unknown } = {}) {
    super(message, { ...details, code: 'NATS_SERVER' })
  }
}

/** Options of {@link startLocalNatsServer}. */
export interface LocalNatsServerOptions {
  /**
   * The directory JetStream stores its streams in; kept by `stop()` unless asked. Give the
   * same one again to resume a run from what its streams still hold.
   * @default a new temp directory, removed by `stop()`
   */
  readonly storeDir?: string
  /**
   * The nats-server binary.
   * @default what {@link findNatsServer} finds
   */
  readonly binary?: string
  /**
   * How long to wait for the server to say it is ready, in ms.
   * @default 20000
   */
  readonly startTimeoutMs?: number
}

/** A nats-server started by {@link startLocalNatsServer}. */
export interface LocalNatsServer {
  /** Its client URL: `nats://127.0.0.1:<port>`. */
  readonly url: string
  /** The server's process id. */
  readonly pid: number
  /** Where JetStream stores its streams. */
  readonly storeDir: string
  /**
   * Stops the server (SIGTERM, SIGKILL after 5 s). Removes the store when it was a temp
   * directory of its own, or when `removeStore` is true. A process that exits without calling
   * it still stops the server (not its store), except on SIGKILL.
   */
  stop(options?: { readonly removeStore?: boolean }): Promise<void>
}

/**
 * The nats-server binary to run: `$NATS_SERVER_BIN`, else `nats-server` on `PATH`, else
 * Debian's `/usr/sbin/nats-server` (not on a user's `PATH`); `undefined` when none runs.
 */
export function findNatsServer(): string | undefined {
  for (const candidate of [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server']) {
    if (!candidate) continue
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' })
      return candidate
    } catch {}
  }
  return undefined
}

/**
 * Starts a nats-server with JetStream on a free 127.0.0.1 port, for development, tests and a
 * one-command local deployment (in production, run your servers as the README says).
 *
 * @example
 * ```ts
 * const server = await startLocalNatsServer()
 * // graphflow-nats run graph.ts --servers server.url ...
 * await server.stop()
 * ```
 */
export async function startLocalNatsServer(
  options: LocalNatsServerOptions = {},
): Promise<LocalNatsServer> {
  const binary = options.binary ?? findNatsServer()
  if (binary === undefined) {
    throw new NatsServerError(
      'nats-server not found: install it (Debian: apt-get install nats-server), or set NATS_SERVER_BIN to its path',
    )
  }
  const ownStore = options.storeDir === undefined
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'graphflow-nats-')))
  await mkdir(storeDir, { recursive: true })
  const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', '-1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  // The server never outlives this process: an exit that skipped stop() (an uncaught error,
  // process.exit) still stops it (SIGTERM: JetStream shuts down cleanly).
  const onExit = () => child.kill('SIGTERM')
  process.once('exit', onExit)
  const stop = async (stopOptions: { readonly removeStore?: boolean } = {}) => {
    process.off('exit', onExit)
    await stopChild(child)
    if (ownStore || stopOptions.removeStore) await rm(storeDir, { recursive: true, force: true })
  }
  const timeoutMs = options.startTimeoutMs ?? 20_000
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let log = ''
      const timer = setTimeout(
        () => fail(`did not say it is ready within ${timeoutMs} ms`),
        timeoutMs,
      )
      const fail = (what: string, cause?: Error) => {
        clearTimeout(timer)
        reject(new NatsServerError(`nats-server (${binary}) ${what}:\n${log}`, { cause }))
      }
      child.on('error', (error) => fail('failed to start', error))
      // 'close', not 'exit': its whole log has been read by then.
      child.on('close', (code, signal) => fail(`exited with ${code ?? signal}`))
      child.stderr?.setEncoding('utf8')
      const onLog = (chunk: string) => {
        log += chunk
        const port = /Listening for client connections on [\d.]+:(\d+)/.exec(log)?.[1]
        if (port && /Server is ready/.test(log)) {
          clearTimeout(timer)
          child.removeAllListeners('close')
          child.stderr?.off('data', onLog)
          child.stderr?.resume()
          resolve(`nats://127.0.0.1:${port}`)
        }
      }
      child.stderr?.on('data', onLog)
    })
    return { url, pid: child.pid as number, storeDir, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
