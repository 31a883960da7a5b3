// The kill -9 resume tests of core, csv and sqlite with many kills: each package's test kills
// its load with SIGKILL at random moments GRAPHFLOW_RESUME_KILLS times (3 in `pnpm test`),
// resumes it with the same store and compares the result with a clean run's. Then the graph of
// issue 12's proof (maxTasks 4, a fan-out to csvSink and sqliteSink, the state in the database),
// killed as many times: every row once in the CSV and in the table. 7 loads, 18 kills each.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { sqliteSource } from '@graphflow/sqlite'
import { killAndResume } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { repoRoot, run } from './helpers.js'

const KILLS_PER_LOAD = 18

/** Each file's kill -9 loads: core one, csv two (linear, maxTasks 4), sqlite three (and a JSON state file). */
const loads = [
  { directory: 'packages/core', file: 'src/resume.test.ts' },
  { directory: 'connectors/csv', file: 'src/csv-sink-resume.test.ts' },
  { directory: 'connectors/sqlite', file: 'src/sqlite-sink-resume.test.ts' },
]

describe(`resumable loads, up to ${KILLS_PER_LOAD} kills per load (6 loads)`, () => {
  for (const { directory, file } of loads) {
    it(`${directory}: ${file}`, async () => {
      const result = await run(
        process.execPath,
        [
          path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'),
          'run',
          file,
          '-t',
          'SIGKILL|maxTasks 4',
        ],
        path.join(repoRoot, directory),
        1_000_000,
        { GRAPHFLOW_RESUME_KILLS: String(KILLS_PER_LOAD) },
      )
      expect(result.code, `${result.stdout.slice(-5000)}\n${result.stderr.slice(-5000)}`).toBe(0)
      expect(result.stdout).toMatch(/Tests\s+.*[1-9]\d* passed/)
    })
  }
})

describe('the graph of the proof: maxTasks 4, a fan-out to CSV and SQLite', () => {
  it(`killed with SIGKILL ${KILLS_PER_LOAD} times and resumed: every row once in the CSV and in the table`, async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'graphflow-fan-out-'))
    try {
      const csv = path.join(directory, 'rows.csv')
      const database = path.join(directory, 'rows.db')
      // A kill at a random moment within 50 ms after rows flow; the run after the last completes.
      const { kills, seed } = await killAndResume(
        path.join(repoRoot, 'scripts/test/resume-fan-out-child.ts'),
        [csv, database, '3000'],
        { cwd: repoRoot, kills: KILLS_PER_LOAD, windowMs: 50 },
      )
      expect(kills, `every kill lands mid-load (seed ${seed})`).toBe(KILLS_PER_LOAD)
      const expected: string[] = []
      for (let page = 1; page <= 3000; page++)
        for (let row = 1; row <= 4; row++) expected.push(`p${page}r${row},${page},${row}`)
      expected.sort()
      const lines = (await readFile(csv, 'utf8')).split('\n')
      expect(lines[0]).toBe('id,page,row')
      expect(lines.at(-1)).toBe('')
      expect(lines.slice(1, -1).sort()).toEqual(expected)
      const rows: string[] = []
      const read = new AsyncGraph()
      read.addEdge(
        read.addNode(
          sqliteSource<{ id: string; page: number; row: number }>({
            path: database,
            query: 'SELECT id, page, row FROM rows',
          }),
        ),
        read.addNode(async function* collect(row: { id: string; page: number; row: number }) {
          rows.push(`${row.id},${row.page},${row.row}`)
        }),
      )
      await new AsyncExecutor(read).execute({ rejectOnError: true })
      expect(rows.sort()).toEqual(expected)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
