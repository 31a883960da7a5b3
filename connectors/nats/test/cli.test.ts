// The graphflow-nats command as processes against a real nats-server.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunState } from '../src/run-state.js'
import { eventually } from './helpers.js'
import { connectTo, skipReason, startNats, type TestServer, uniqueRun } from './nats-server.js'

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const graphModule = fileURLToPath(new URL('./fixtures/cli-graph.ts', import.meta.url))

function graphflowNats(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe.skipIf(skipReason)('graphflow-nats', () => {
  let server: TestServer
  let outDir: string
  beforeAll(async () => {
    server = await startNats()
    outDir = await mkdtemp(join(tmpdir(), 'graphflow-nats-cli-'))
  })
  afterAll(async () => {
    await server?.stop()
    await rm(outDir, { recursive: true, force: true })
  })

  it('run: one process per worker completes the run; status shows every input ended', async () => {
    const run = uniqueRun()
    const common = ['--run', run, '--servers', server.url]
    const env = { GF_OUT_DIR: outDir }
    const results = await Promise.all(
      [
        ['--role', 'store'],
        ['--role', 'enrich', '--replica', '0..1'],
        ['--role', 'fetch'],
      ].map((args) => graphflowNats(['run', graphModule, ...args, ...common], env)),
    )
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(results.map((result) => result.stdout.split('\n')[0]?.split(' ')[0])).toEqual([
      'store-0:',
      'graphflow-nats:',
      'fetch-0:',
    ])
    // --replica 0..1: one child process per replica, each printing its own report.
    expect(results[1]?.stdout).toMatch(
      /^graphflow-nats: replicas 0\.\.1 in 2 processes \(pids \d+, \d+\)$/m,
    )
    expect(results[1]?.stdout).toMatch(/^enrich-0: ok in \d+ ms$/m)
    expect(results[1]?.stdout).toMatch(/^enrich-1: ok in \d+ ms$/m)
    expect(results[0]?.stdout).toMatch(
      /store-0: ok in \d+ ms\n {2}store: in=60 \(from JetStream 60\) out=0 err=0/,
    )
    expect((await readdir(outDir)).filter((name) => name.endsWith('.json'))).toHaveLength(60)
    // the module's workerOptions reached the workers: 60 items in messages of at most 5
    const json = await graphflowNats(['status', ...common, '--json'])
    const [enrichStatus] = JSON.parse(json.stdout) as {
      ended: Record<string, { items: number; messages: number }>
    }[]
    expect(enrichStatus?.ended['fetch-0']?.items).toBe(60)
    expect(enrichStatus?.ended['fetch-0']?.messages).toBeGreaterThanOrEqual(12) // 1 by default
    const status = await graphflowNats(['status', ...common])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^enrich: done, in stream 0 /m)
    expect(status.stdout).toMatch(/^store: done, in stream 0 /m)
    expect(status.stdout).toMatch(/^ {2}store-0: in=60 out=0 err=0$/m)
  }, 120_000)

  it('mark-ended: a worker that never came is fenced and marked ended, the run completes', async () => {
    const run = uniqueRun()
    const common = ['--run', run, '--servers', server.url]
    const dir = await mkdtemp(join(tmpdir(), 'graphflow-nats-cli-'))
    const env = { GF_OUT_DIR: dir }
    try {
      // enrich-1 never starts: store waits for its end marker.
      const running = Promise.all(
        [
          ['--role', 'store'],
          ['--role', 'enrich', '--replica', '0'],
          ['--role', 'fetch'],
        ].map((args) => graphflowNats(['run', graphModule, ...args, ...common], env)),
      )
      await eventually(
        async () => (await readdir(dir)).filter((name) => name.endsWith('.json')).length === 60,
        60_000,
      )
      await eventually(async () => {
        const status = await graphflowNats(['status', ...common])
        return (
          /^store: running/m.test(status.stdout) &&
          /waiting for producers: enrich-1$/m.test(status.stdout)
        )
      }, 30_000)
      const marked = await graphflowNats([
        'mark-ended',
        ...common,
        '--worker',
        'enrich-1',
        '--reason',
        'never started',
      ])
      expect(marked).toMatchObject({ code: 0, stderr: '' })
      expect(marked.stdout).toBe('enrich-1: marked ended (fenced) for store\n')
      for (const result of await running) expect(result).toMatchObject({ code: 0, stderr: '' })
      const status = await graphflowNats(['status', ...common])
      expect(status.stdout).toMatch(/^store: done/m)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)

  // guards the range's signal forwarding: a SIGTERM to the command reaches every replica's process
  it('run --replica 0..1: a SIGTERM to the command aborts every replica and exits 1', async () => {
    const run = uniqueRun()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'run', graphModule, '--run', run, '--servers', server.url].concat([
        '--role',
        'enrich',
        '--replica',
        '0..1',
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GF_OUT_DIR: outDir } },
    )
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    // No source runs: both replicas wait for their input until the signal.
    await eventually(async () => {
      const status = await graphflowNats(['status', '--run', run, '--servers', server.url])
      return (
        /^ {2}enrich-0: in=0/m.test(status.stdout) && /^ {2}enrich-1: in=0/m.test(status.stdout)
      )
    }, 60_000)
    child.kill('SIGTERM')
    expect(await exited).toBe(1)
    expect(stdout).toMatch(/^enrich-1: aborted in \d+ ms$/m)
    expect(stdout).toMatch(/^enrich-0: aborted in \d+ ms$/m)
  }, 90_000)

  // guards explicit reruns: a worker started after an abort says so and how to rerun (no new
  // attempt of its own); `rerun` starts the next attempt once
  it('rerun: a late worker reports the abort; rerun starts the next attempt once', async () => {
    const run = uniqueRun()
    const common = ['--run', run, '--servers', server.url]
    const nc = await connectTo(server.url)
    try {
      const nothing = await graphflowNats(['rerun', ...common])
      expect(nothing).toMatchObject({ code: 3, stderr: '' })
      expect(nothing.stdout).toMatch(/no worker started it yet, nothing to rerun/)
      const state = await RunState.open(nc, run)
      await state.begin()
      await state.control('abort', 'stopped by the operator', 'enrich-0')
      const late = await graphflowNats(['run', graphModule, '--role', 'store', ...common], {
        GF_OUT_DIR: outDir,
      })
      expect(late).toMatchObject({ code: 1, stderr: '' })
      expect(late.stdout).toMatch(/^store-0: aborted in \d+ ms$/m)
      expect(late.stdout).toContain('  abort by enrich-0: stopped by the operator\n')
      expect(late.stdout).toContain(
        `  run "${run}" was aborted by enrich-0 before this worker started (stopped by the operator): to resume it, rerun it (graphflow-nats rerun --run ${run}, or RunState.rerun) and start its workers again\n`,
      )
      const rerun = await graphflowNats(['rerun', ...common])
      expect(rerun).toMatchObject({ code: 0, stderr: '' })
      expect(rerun.stdout).toBe(
        `run "${run}": attempt 1 started (after the abort by enrich-0: stopped by the operator); start its workers again\n`,
      )
      const again = await graphflowNats(['rerun', ...common])
      expect(again).toMatchObject({ code: 3, stderr: '' })
      expect(again.stdout).toMatch(/attempt 1 was neither halted nor aborted/)
      expect(await (await RunState.open(nc, run)).begin()).toBe(1)
    } finally {
      await nc.close()
    }
  }, 60_000)

  it('refuses a bad command line with the usage and exit code 2', async () => {
    const missing = await graphflowNats(['run', graphModule, '--role', 'fetch'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/run: --run <id> is required\nusage:/)
    const replica = await graphflowNats(
      ['run', graphModule, '--run', 'r', '--role', 'enrich', '--replica', 'x'],
      { GF_OUT_DIR: outDir },
    )
    expect(replica.stderr).toMatch(
      /--replica: expected an integer >= 0 or a range <first>\.\.<last> with first <= last, got "x"/,
    )
    const range = await graphflowNats([
      'run',
      graphModule,
      '--run',
      'r',
      '--role',
      'enrich',
      '--replica',
      '3..1',
    ])
    expect(range).toMatchObject({ code: 2 })
    expect(range.stderr).toMatch(/--replica: .* got "3\.\.1"/)
    const role = await graphflowNats(
      ['run', graphModule, '--run', 'r', '--role', 'nope', '--servers', server.url],
      { GF_OUT_DIR: outDir },
    )
    expect(role).toMatchObject({ code: 2 })
    expect(role.stderr).toMatch(/option "role": expected one of the deployment's roles/)
    const options = await graphflowNats(
      ['run', graphModule, '--run', 'r', '--role', 'fetch', '--servers', server.url],
      { GF_OUT_DIR: outDir, GF_BAD_OPTIONS: '1' },
    )
    expect(options).toMatchObject({ code: 2 })
    expect(options.stderr).toMatch(
      /workerOptions: expected an object with only codec, .* got "prefetch"/,
    )
    expect((await graphflowNats(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/)
  }, 60_000)
})
