// The crash harness: a load in a child process, killed with SIGKILL at random moments and
// resumed until it completes, must end with exactly a clean run's output. The kill delays come
// from a seeded generator; the seed is printed (BREWERIES_CRASH_SEED=<seed> replays them).
// BREWERIES_CRASH_KILLS sets the kills per graph (the slow tier, `pnpm test:slow`, asks for 50).
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLoad } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ReplayServer, startReplayServer } from '../src/replay-server.js'
import { mulberry32, type RandomSource } from '../src/seeded-random.js'

const example = join(import.meta.dirname, '..')
const child = join(import.meta.dirname, 'fixtures', 'crash-child.ts')
const seed = Number(process.env.BREWERIES_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32))
const kills = {
  breweries: Number(process.env.BREWERIES_CRASH_KILLS ?? 3),
  fanout: Number(process.env.BREWERIES_CRASH_KILLS ?? 2),
}
type Graph = keyof typeof kills

let server: ReplayServer
let root: string
beforeAll(async () => {
  // Some latency, so that a load takes long enough for kills to land between its pages.
  server = await startReplayServer({ latencyMs: 8 })
  root = await mkdtemp(join(tmpdir(), 'breweries-crash-'))
  console.log(`crash harness: seed ${seed} (BREWERIES_CRASH_SEED=${seed} replays the kill delays)`)
})
afterAll(async () => {
  await server?.close()
  await rm(root, { recursive: true, force: true })
})

interface ChildRun {
  /** `unsaved`: killed before the run saved its parameters, so --resume had nothing to go on. */
  outcome: 'done' | 'killed' | 'unsaved'
  /** Milliseconds from "started" to the exit. */
  ms: number
}

/** Runs the child once; with `killAfterMs`, kills it with SIGKILL that long after "started". */
async function runChild(
  graph: Graph,
  directory: string,
  killAfterMs?: number,
  fresh = false,
): Promise<ChildRun> {
  // The state is in the database, in both graphs: resume once it exists.
  const resume =
    !fresh && existsSync(join(directory, graph === 'breweries' ? 'us.db' : 'fanout.db'))
      ? 'resume'
      : 'fresh'
  try {
    const run = await runLoad(child, [graph, server.apiUrl, directory, resume], {
      cwd: example,
      kill: killAfterMs === undefined ? undefined : { afterMs: killAfterMs },
      doneLine: null,
    })
    return { outcome: run.outcome, ms: run.ms }
  } catch (error) {
    // As a user would, after "--resume: no checkpoint at ...; run once without --resume".
    if (resume === 'resume' && (error as Error).message.includes('--resume: no checkpoint at'))
      return { outcome: 'unsaved', ms: 0 }
    throw new Error(`the ${graph} load (${resume}): ${(error as Error).message}`)
  }
}

/**
 * Kills the load at random moments within `window` ms of its start, resuming it each time,
 * until a run completes (after `most` kills, the next run is left to complete). Returns the
 * kill delays.
 */
async function killUntilDone(
  graph: Graph,
  directory: string,
  random: RandomSource,
  window: number,
  most: number,
): Promise<number[]> {
  const delays: number[] = []
  for (;;) {
    // Enough kills: the next run goes to the end.
    const delay = delays.length < most ? Math.round(random() * window) : undefined
    let run = await runChild(graph, directory, delay)
    if (run.outcome === 'unsaved') run = await runChild(graph, directory, delay, true)
    if (run.outcome === 'done') return delays
    if (delay === undefined) throw new Error(`the ${graph} load was killed by something else`)
    delays.push(delay)
    if (rowsIn(join(directory, graph === 'breweries' ? 'us.db' : 'fanout.db')) > 0) midLoad[graph]++
  }
}

/** Kills that landed once the load had stored rows (the rest stopped it before its first page). */
const midLoad: Record<Graph, number> = { breweries: 0, fanout: 0 }

/**
 * Rows of table breweries (0 when the database or the table is not there yet), without
 * touching the database the next run resumes from: a kill mid-transaction leaves a hot journal
 * that a read-only connection cannot roll back (SQLITE_READONLY_*), so then a copy is counted.
 */
function rowsIn(path: string): number {
  if (!existsSync(path)) return 0
  try {
    return countRows(new Database(path, { readonly: true }))
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('SQLITE_READONLY')) throw error
  }
  const copy = mkdtempSync(join(tmpdir(), 'breweries-crash-copy-'))
  try {
    for (const suffix of ['', '-journal', '-wal', '-shm']) {
      if (existsSync(path + suffix)) copyFileSync(path + suffix, join(copy, `db${suffix}`))
    }
    return countRows(new Database(join(copy, 'db')))
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
}

function countRows(database: Database.Database): number {
  try {
    const table = database.prepare("SELECT 1 FROM sqlite_master WHERE name = 'breweries'").get()
    return table ? (database.prepare('SELECT count(*) FROM breweries').pluck().get() as number) : 0
  } finally {
    database.close()
  }
}

const csvRecords = (text: string) => parse(text, { relax_quotes: false }) as string[][]
function tableRows(path: string): Record<string, unknown>[] {
  const database = new Database(path, { readonly: true })
  try {
    return database.prepare('SELECT * FROM breweries ORDER BY rowid').all() as Record<
      string,
      unknown
    >[]
  } finally {
    database.close()
  }
}

/**
 * Rounds of kill-until-done, each in a fresh directory and checked against the clean run,
 * until `target` kills landed.
 */
async function crashRounds(
  graph: Graph,
  target: number,
  check: (directory: string, clean: string) => Promise<void>,
) {
  const clean = join(root, `${graph}-clean`)
  const cleanRun = await runChild(graph, clean)
  expect(cleanRun.outcome).toBe('done')
  const random = mulberry32(seed + (graph === 'breweries' ? 0 : 1))
  // Kills spread over the clean run's duration (and a little past it: some runs finish first).
  const window = Math.max(200, cleanRun.ms * 1.1)
  const landed: number[] = []
  for (let round = 1; landed.length < target; round++) {
    const directory = join(root, `${graph}-round-${round}`)
    const delays = await killUntilDone(graph, directory, random, window, target - landed.length)
    landed.push(...delays)
    try {
      await check(directory, clean)
    } catch (error) {
      throw new Error(
        `${graph}: round ${round} (seed ${seed}, kills after ${delays.join(', ')} ms) ended unlike the clean run: ${(error as Error).message}`,
      )
    }
  }
  console.log(
    `crash harness: ${graph}: ${landed.length} kills (${midLoad[graph]} after rows were stored; seed ${seed}), every round exact`,
  )
  return landed
}

describe('kill -9 at random moments, resume, repeat: the output equals a clean run', () => {
  it(
    `the breweries CLI (CSV, SQLite in insert mode): ${kills.breweries} kills; CSV byte-identical, table equal`,
    async () => {
      const landed = await crashRounds('breweries', kills.breweries, async (directory, clean) => {
        const csv = await readFile(join(directory, 'us.csv'))
        expect(csv.equals(await readFile(join(clean, 'us.csv')))).toBe(true)
        // In rowid order: the same rows in the same order, none twice, none missing.
        expect(tableRows(join(directory, 'us.db'))).toEqual(tableRows(join(clean, 'us.db')))
      })
      expect(landed.length).toBeGreaterThanOrEqual(kills.breweries)
    },
    60_000 + kills.breweries * 20_000,
  )

  it(
    `a transform with maxTasks 4 fanning out to CSV and SQLite (insert mode): ${kills.fanout} kills; every row exactly once in each`,
    async () => {
      const landed = await crashRounds('fanout', kills.fanout, async (directory, clean) => {
        // maxTasks 4 lets records overtake each other: the order varies, so compare sorted.
        const records = csvRecords(await readFile(join(directory, 'fanout.csv'), 'utf8'))
        const cleanRecords = csvRecords(await readFile(join(clean, 'fanout.csv'), 'utf8'))
        expect(records[0]).toEqual(cleanRecords[0])
        const sorted = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).sort()
        expect(sorted(records.slice(1))).toEqual(sorted(cleanRecords.slice(1)))
        const rows = tableRows(join(directory, 'fanout.db'))
        expect(sorted(rows)).toEqual(sorted(tableRows(join(clean, 'fanout.db'))))
        const ids = rows.map((row) => row.id)
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids.length).toBe(cleanRecords.length - 1)
      })
      expect(landed.length).toBeGreaterThanOrEqual(kills.fanout)
    },
    60_000 + kills.fanout * 20_000,
  )
})

describe('the crash harness', () => {
  // Guards: a kill mid-transaction left a hot journal; counting its rows read-only failed the
  // slow tier with "attempt to write a readonly database" (SQLITE_READONLY_ROLLBACK).
  it('counts the rows of a database left with a hot journal, and leaves the journal for the resume', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'breweries-hot-journal-'))
    try {
      const path = join(directory, 'us.db')
      const killed = spawnSync(
        process.execPath,
        [
          '-e',
          `const Database = require('better-sqlite3')
           const db = new Database(${JSON.stringify(path)})
           db.pragma('cache_size = 5') // spill pages mid-transaction: the journal is hot
           db.exec('CREATE TABLE breweries (id TEXT)')
           db.prepare('INSERT INTO breweries VALUES (?)').run('stored')
           db.exec('BEGIN')
           for (let i = 0; i < 20000; i++) db.prepare('INSERT INTO breweries VALUES (?)').run('x'.repeat(100) + i)
           process.kill(process.pid, 'SIGKILL')`,
        ],
        { cwd: example },
      )
      expect(killed.signal).toBe('SIGKILL')
      expect(existsSync(`${path}-journal`)).toBe(true)
      expect(rowsIn(path)).toBe(1)
      expect(existsSync(`${path}-journal`)).toBe(true)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
