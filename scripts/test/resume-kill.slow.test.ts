// The kill -9 resume tests of core, csv and sqlite with many kills: each package's test kills
// its load with SIGKILL at random moments GRAPHFLOW_RESUME_KILLS times (3 in `pnpm test`),
// resumes it with the same store and compares the result with a clean run's. Then the graph of
// issue 12's proof (maxTasks 4, a fan-out to csvSink and sqliteSink, the state in the database),
// killed as many times: every row once in the CSV and in the table. 7 loads, 18 kills each.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { sqliteSource } from '@graphflow/sqlite'
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

/** Runs resume-fan-out-child.ts once; kills it at a random moment after rows flow (if asked). */
function runFanOut(csv: string, database: string, kill: boolean): Promise<'done' | 'killed'> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'scripts/test/resume-fan-out-child.ts'),
        csv,
        database,
        '3000',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    let errors = ''
    let armed = kill
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk
      if (armed && output.includes('started')) {
        armed = false
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 50)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed')
      else if (code === 0 && output.includes('done')) resolve('done')
      else reject(new Error(`the load exited with ${code ?? signal}: ${errors}${output}`))
    })
  })
}

describe('the graph of the proof: maxTasks 4, a fan-out to CSV and SQLite', () => {
  it(`killed with SIGKILL ${KILLS_PER_LOAD} times and resumed: every row once in the CSV and in the table`, async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'graphflow-fan-out-'))
    try {
      const csv = path.join(directory, 'rows.csv')
      const database = path.join(directory, 'rows.db')
      let killed = 0
      while (killed < KILLS_PER_LOAD && (await runFanOut(csv, database, true)) === 'killed')
        killed++
      expect(await runFanOut(csv, database, false)).toBe('done')
      expect(killed).toBe(KILLS_PER_LOAD)
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
