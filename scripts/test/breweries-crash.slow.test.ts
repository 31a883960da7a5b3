// The breweries crash harness (examples/breweries/test/crash.test.ts) with 50 SIGKILLs per
// graph instead of the default run's handful: the breweries CLI into CSV and SQLite (insert
// mode), and a maxTasks 4 fan-out to CSV and SQLite. The seed is in the output; run it again
// with BREWERIES_CRASH_SEED=<seed> to replay the kill delays.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, run } from './helpers.js'

const KILLS = 50

describe('breweries: kill -9 at random moments, resume until done', () => {
  it(`${KILLS} kills per graph end exactly like a clean run`, async () => {
    const example = path.join(repoRoot, 'examples', 'breweries')
    const vitest = path.join(example, 'node_modules', '.bin', 'vitest')
    const result = await run(vitest, ['run', 'test/crash.test.ts'], example, 1_100_000, {
      BREWERIES_CRASH_KILLS: String(KILLS),
    })
    const output = `${result.stdout}\n${result.stderr}`
    // The seed and the kill counts, in this run's output too.
    for (const line of output.split('\n')) if (line.includes('crash harness:')) console.log(line)
    expect(result.code, output.slice(-20_000)).toBe(0)
    for (const graph of ['breweries', 'fanout']) {
      const landed = Number(new RegExp(`${graph}: (\\d+) kills`).exec(output)?.[1])
      expect(landed).toBeGreaterThanOrEqual(KILLS)
    }
  }, 1_200_000)
})
