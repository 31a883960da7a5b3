// The distributed mode as a user runs it (src/distributed/start.ts): a real nats-server, the
// replay server, and one process per worker; needs nats-server (apt-get install nats-server).
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findNatsServer } from '@graphflow/nats'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { generateBreweries } from '../src/dataset.js'

const start = fileURLToPath(new URL('../src/distributed/start.ts', import.meta.url))

const skip = findNatsServer() === undefined && !process.env.CI
if (skip) console.warn('distributed breweries tests skipped: nats-server not found')

interface Launched {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exit: Promise<number | null>
}

function launch(args: string[]): Launched {
  const child = spawn(process.execPath, ['--import', 'tsx', start, ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { child, output: () => output, exit }
}

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function rows(db: string): { id: string; geocoder: string; latitude: number | null }[] {
  try {
    const database = new Database(db, { readonly: true, fileMustExist: true })
    try {
      return database.prepare('SELECT id, geocoder, latitude FROM breweries').all() as {
        id: string
        geocoder: string
        latitude: number | null
      }[]
    } finally {
      database.close()
    }
  } catch {
    return [] // not created yet
  }
}

const pidOf = (output: string, worker: string) =>
  Number(new RegExp(`\\[${worker}\\] started \\(pid (\\d+)\\)`).exec(output)?.[1])

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(skip)('breweries, distributed over processes on NATS JetStream', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })
  const freshDb = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'breweries-distributed-'))
    dirs.push(dir)
    return join(dir, 'out', 'breweries.db')
  }
  const unitedStates = generateBreweries({ count: 1000 })
    .filter((brewery) => brewery.country === 'United States')
    .map((brewery) => brewery.id)
    .sort()

  it('stores every US brewery exactly once, also after kill -9 of an enrichment worker', async () => {
    const db = await freshDb()
    const run = launch(
      ['--db', db, '--count', '1000', '--replicas', '3', '--geocode-ms', '100'].concat([
        '--ack-wait-ms',
        '2000',
      ]),
    )
    await eventually(() => pidOf(run.output(), 'enrich-1') > 0, 60_000, 'enrich-1 started')
    const victim = pidOf(run.output(), 'enrich-1')
    await eventually(() => rows(db).length >= 60, 90_000, '60 rows stored')
    expect(rows(db).length).toBeLessThan(unitedStates.length) // mid-run
    process.kill(victim, 'SIGKILL')
    expect(await run.exit).toBe(0)
    const output = run.output()
    expect(output).toMatch(/\[enrich-1\] killed by SIGKILL: restarting it \(same replica id\)/)
    expect(output).toContain(`output: ${db}`)
    expect(output).toMatch(/run complete\n$/)
    const stored = rows(db)
    expect(stored.map((row) => row.id).sort()).toEqual(unitedStates) // each once: id is the key
    expect(stored.every((row) => row.latitude !== null && row.geocoder !== null)).toBe(true)
  }, 180_000)

  it('Ctrl-C stops every worker and the servers; the same --run resumes the run', async () => {
    const db = await freshDb()
    const run = launch(['--db', db, '--count', '1000', '--replicas', '2', '--geocode-ms', '200'])
    await eventually(() => rows(db).length > 0, 90_000, 'a row stored')
    const pids = ['store-0', 'enrich-0', 'enrich-1', 'fetch-0'].map((worker) =>
      pidOf(run.output(), worker),
    )
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
    expect(run.output()).toContain(`output: ${db}`)
    const id = /run "(\S+)" stopped; its JetStream store is kept in \S+: rerun with --run/.exec(
      run.output(),
    )?.[1]
    expect(id).toBeDefined()
    expect(pids.filter(alive)).toEqual([])
    // The same run id again resumes it: every US brewery once at the end...
    const rerun = launch(['--db', db, '--count', '1000', '--replicas', '2', '--run', id as string])
    expect(await rerun.exit).toBe(0)
    // ...rerun explicitly, once (the next attempt), before the workers start and join it
    expect(rerun.output()).toMatch(
      /^\[rerun\] run "\S+": attempt 1 started \(after the abort by \S+: aborted in worker \S+\)/m,
    )
    expect(rerun.output()).toMatch(/\(attempt 1: a rerun\)/)
    expect(
      rows(db)
        .map((row) => row.id)
        .sort(),
    ).toEqual(unitedStates)
    expect(existsSync(`${db}.jetstream`)).toBe(false) // removed once the run completed
  }, 180_000)
})
