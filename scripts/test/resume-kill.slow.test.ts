// The kill -9 resume tests of core, csv and sqlite with many kills: each package's test kills
// its load with SIGKILL at random moments GRAPHFLOW_RESUME_KILLS times (3 in `pnpm test`),
// resumes it with the same store and compares the result with a clean run's.
import path from 'node:path'
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
