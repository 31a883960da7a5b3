import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { AsyncExecutor, AsyncGraph, checkpoint, type NodeContext } from '@graphflow/core'
import { killAndResume, runLoad } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { readRows, tempFile } from '../test/helpers.js'
import { sqliteCheckpointStore } from './sqlite-checkpoint-store.js'
import { sqliteSink } from './sqlite-sink.js'

const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const child = fileURLToPath(new URL('../test/fixtures/resume-child.ts', import.meta.url))
/** Kills per load in the default run; the slow tier sets more. */
const KILLS = Number(process.env.GRAPHFLOW_RESUME_KILLS ?? 3)
/** A kill comes at a random moment this long after rows flow: shorter with more kills, so each load takes them all. */
const KILL_WINDOW_MS = Math.min(300, 900 / KILLS)
/** Pages of the linear loads: more with more kills (SQLite writes them fast). */
const PAGES = 1500 * Math.ceil(KILLS / 6)
const quiet = { info() {}, error() {} }

interface Settings {
  pages: number
  size: number
  maxTasks: number
  lines?: string
  stateFile?: string
}

/** Runs the child load once, to its end. */
async function runChild(database: string, settings: Settings) {
  return (await runLoad(child, [database, JSON.stringify(settings)], { cwd: packageDirectory }))
    .outcome
}

/** Kills the load `kills` times at random moments, then lets it complete. */
async function killAndResumeChild(database: string, settings: Settings, kills: number) {
  const result = await killAndResume(child, [database, JSON.stringify(settings)], {
    cwd: packageDirectory,
    kills,
    windowMs: KILL_WINDOW_MS,
  })
  // The slow tier counts on every kill landing mid-load.
  if (KILLS > 3) expect(result.kills, `seed ${result.seed}`).toBe(KILLS)
  return result.kills
}

const rowsOf = (database: string) =>
  readRows<{ page: number; row: number; label: string }>(
    database,
    'SELECT page, row, label FROM rows ORDER BY page, row',
  )

describe('sqliteSink in a resumable load (checkpoints)', () => {
  it(
    `killed with SIGKILL ${KILLS} times and resumed, the table equals a clean run's: no row twice, none missing (insert mode, no primary key)`,
    async () => {
      const settings = { pages: PAGES, size: 4, maxTasks: 1 }
      const clean = await tempFile('clean.db')
      expect(await runChild(clean, settings)).toBe('done')
      const resumed = await tempFile('resumed.db')
      const killed = await killAndResumeChild(resumed, settings, KILLS)
      expect(killed).toBeGreaterThan(0)
      expect(rowsOf(resumed)).toEqual(rowsOf(clean))
      expect(rowsOf(clean)).toHaveLength(PAGES * 4)
    },
    120_000 + KILLS * 10_000,
  )

  it(
    `killed with SIGKILL ${KILLS} times, the state in a JSON file (not in the transactions): the rows past the saved row id are deleted, the table equals a clean run's`,
    async () => {
      const settings = { pages: PAGES, size: 4, maxTasks: 1 }
      const clean = await tempFile('clean.db')
      expect(await runChild(clean, settings)).toBe('done')
      const resumed = await tempFile('resumed.db')
      await killAndResumeChild(resumed, { ...settings, stateFile: `${resumed}.json` }, KILLS)
      expect(rowsOf(resumed)).toEqual(rowsOf(clean))
    },
    120_000 + KILLS * 10_000,
  )

  it(
    'with a transform of maxTasks 4 and a second sink (a line file) updating the same state outside the transactions, both end exactly once',
    async () => {
      const directory = await tempFile('x')
      const settings = { pages: 1500, size: 4, maxTasks: 4, lines: `${directory}.lines.txt` }
      const database = await tempFile('resumed.db')
      await killAndResumeChild(database, settings, KILLS)
      const rows = rowsOf(database)
      const expected: string[] = []
      for (let page = 1; page <= 1500; page++)
        for (let row = 1; row <= 4; row++) expected.push(`p${page}r${row}`)
      expect(rows.map((row) => row.label).sort()).toEqual([...expected].sort())
      const lines = readFileSync(settings.lines, 'utf8').split('\n').slice(0, -1)
      expect(lines.sort()).toEqual([...expected].sort())
      const state = readRows<{ value: string }>(
        database,
        "SELECT value FROM graphflow_checkpoints WHERE key = 'graphflow'",
      )
      expect(JSON.parse(state[0]?.value ?? '{}')).toMatchObject({
        sources: {
          pages: {
            sqliteSink: { position: { page: 1500 }, seq: 1500 },
            lines: { position: { page: 1500 }, seq: 1500 },
          },
        },
      })
    },
    120_000 + KILLS * 10_000,
  )

  it('a failed transaction does not advance the saved state; the resumed run stores the rest exactly once', async () => {
    const path = await tempFile('failed.db')
    const setup = new Database(path)
    setup.exec(`CREATE TABLE rows (page INTEGER, row INTEGER, label TEXT);
      CREATE TRIGGER refuse BEFORE INSERT ON rows WHEN NEW.page = 3
      BEGIN SELECT RAISE(ROLLBACK, 'page 3 refused'); END;`)
    setup.close()
    const load = () => {
      let after = 0
      const graph = new AsyncGraph()
      graph.addEdge(
        graph.addNode({
          name: 'pages',
          open(context: NodeContext) {
            after = (context.resumeFrom as { page: number } | undefined)?.page ?? 0
          },
          async *fn() {
            for (let page = after + 1; page <= 5; page++) {
              for (let row = 1; row <= 2; row++) yield { page, row, label: `p${page}r${row}` }
              yield checkpoint({ page })
            }
          },
        }),
        graph.addNode(sqliteSink({ path, table: 'rows', batchSize: 2 })),
      )
      return graph
    }
    const store = sqliteCheckpointStore({ path })
    const report = await new AsyncExecutor(load(), { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(report.ok).toBe(false)
    const saved = (await store.get('graphflow')) as {
      sources: { pages: { sqliteSink: { position: unknown; seq: number } } }
    }
    expect(saved.sources.pages.sqliteSink).toMatchObject({ position: { page: 2 }, seq: 2 })
    // Pages 4 and 5 were committed past the saved position: the resumed run deletes them.
    expect(rowsOf(path).map((row) => row.page)).toEqual([1, 1, 2, 2, 4, 4, 5, 5])
    store.connection().exec('DROP TRIGGER refuse')
    const logged: string[] = []
    const second = await new AsyncExecutor(load(), {
      logger: { info: (line) => logged.push(line), error() {} },
    }).execute({ checkpoints: { store } })
    expect(second.ok).toBe(true)
    expect(logged.join('\n')).toContain(
      'deleted 4 row(s) of table "rows" written past the saved position (row id 4)',
    )
    expect(rowsOf(path).map((row) => row.label)).toEqual([
      'p1r1',
      'p1r2',
      'p2r1',
      'p2r2',
      'p3r1',
      'p3r2',
      'p4r1',
      'p4r2',
      'p5r1',
      'p5r2',
    ])
    store.close()
  })

  it('the sink shares the store connection when both name the same file, and commits the state with its rows', async () => {
    const path = await tempFile('shared.db')
    const store = sqliteCheckpointStore({ path })
    const sink = sqliteSink({ path, table: 'rows', batchSize: 2 })
    const seen: { stateRows: number; tableRows: number }[] = []
    // A commit hook on the store's connection sees the state and the rows of each transaction.
    const graph = new AsyncGraph()
    graph.addEdge(
      graph.addNode(async function* pages() {
        for (let page = 1; page <= 3; page++) {
          yield [{ page, row: 1, label: `p${page}` }]
          yield checkpoint({ page })
        }
      }),
      graph.addNode(sink),
    )
    const putSync = store.putSync
    store.putSync = (key, value) => {
      putSync(key, value)
      const database = store.connection()
      const table = database.prepare("SELECT 1 FROM sqlite_master WHERE name = 'rows'").get()
      seen.push({
        stateRows: database.inTransaction ? 1 : 0,
        tableRows: table
          ? (database.prepare('SELECT count(*) FROM rows').pluck().get() as number)
          : 0,
      })
    }
    await new AsyncExecutor(graph).execute({ checkpoints: { store } })
    // The start point outside a transaction, then each batch's state inside its transaction.
    expect(seen[0]).toEqual({ stateRows: 0, tableRows: 0 })
    expect(seen.filter((put) => put.stateRows === 1).map((put) => put.tableRows)).toEqual([2, 3])
    store.close()
  })
})
