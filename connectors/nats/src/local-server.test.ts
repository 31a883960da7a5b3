import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { connectTo, natsBinary } from '../test/nats-server.js'
import { NatsServerError, startLocalNatsServer } from './local-server.js'
import { NatsError } from './nats-error.js'

// Starts servers of its own (not NATS_URL's): this is what the local deployment and the tests
// without NATS_URL run.
describe.skipIf(!natsBinary && !process.env.CI)('startLocalNatsServer', () => {
  it('serves JetStream on 127.0.0.1 and removes its own temp store when stopped', async () => {
    const server = await startLocalNatsServer()
    const nc = await connectTo(server.url)
    try {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/)
      expect(nc.info?.jetstream).toBe(true)
      expect(existsSync(server.storeDir)).toBe(true)
    } finally {
      await nc.close()
      await server.stop()
    }
    expect(existsSync(server.storeDir)).toBe(false)
  })

  it('keeps a store directory it was given, unless asked to remove it', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'graphflow-nats-store-'))
    try {
      const storeDir = join(parent, 'js')
      const first = await startLocalNatsServer({ storeDir })
      await first.stop()
      expect(existsSync(storeDir)).toBe(true)
      const second = await startLocalNatsServer({ storeDir })
      await second.stop({ removeStore: true })
      expect(existsSync(storeDir)).toBe(false)
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })
})

describe('startLocalNatsServer failures', () => {
  it('names a binary that does not start', async () => {
    const error = await startLocalNatsServer({ binary: '/nonexistent/nats-server' }).catch(
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(NatsServerError)
    expect(error).toBeInstanceOf(NatsError)
    expect(error).toMatchObject({ code: 'NATS_SERVER' })
    expect(String((error as Error).message)).toContain('/nonexistent/nats-server')
  })

  it('names a binary that exits, with its log, and removes its temp store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graphflow-nats-bin-'))
    try {
      const binary = join(dir, 'not-nats')
      await writeFile(binary, '#!/bin/sh\necho "bad flag -js" >&2\nexit 3\n', { mode: 0o755 })
      const error = await startLocalNatsServer({ binary }).catch((thrown: unknown) => thrown)
      expect(error).toMatchObject({ code: 'NATS_SERVER' })
      expect((error as Error).message).toMatch(/not-nats\) exited with 3:\nbad flag -js/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!natsBinary && !process.env.CI)('startLocalNatsServer and its process', () => {
  // Guards: a bench that died (EPIPE) left its nats-server running.
  it('stops the server when the process exits without stop()', async () => {
    const program = `
      import { startLocalNatsServer } from ${JSON.stringify(fileURLToPath(new URL('./local-server.ts', import.meta.url)))}
      const server = await startLocalNatsServer()
      console.log(server.pid)
      throw new Error('the process dies without stop()')
    `
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', program],
      { encoding: 'utf8', timeout: 60_000 },
    )
    expect(child.stderr).toContain('the process dies without stop()')
    const pid = Number(child.stdout.trim())
    expect(pid).toBeGreaterThan(0)
    const alive = () => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    for (let waited = 0; alive() && waited < 10_000; waited += 50) await sleep(50)
    expect(alive()).toBe(false)
  }, 90_000)
})
