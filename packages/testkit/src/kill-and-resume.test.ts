import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { killAndResume, runLoad } from './kill-and-resume.js'

const child = fileURLToPath(new URL('../test/fixtures/count-child.ts', import.meta.url))
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const numbers = (count: number) => Array.from({ length: count }, (_, i) => `${i + 1}\n`).join('')

let directory = ''
afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true })
  directory = ''
})
async function file(name: string) {
  directory ||= await mkdtemp(join(tmpdir(), 'graphflow-kill-'))
  return join(directory, name)
}

describe('runLoad', () => {
  it('runs a child to its end', async () => {
    const path = await file('clean.txt')
    const run = await runLoad(child, [path, '50'], { cwd: packageDirectory })
    expect(run.outcome).toBe('done')
    expect(run.stdout).toBe('started\ndone\n')
    expect(await readFile(path, 'utf8')).toBe(numbers(50))
  })

  it('kills a child with SIGKILL after the line it waits for', async () => {
    const path = await file('killed.txt')
    const run = await runLoad(child, [path, '1000000'], {
      cwd: packageDirectory,
      kill: { afterLine: 'started', afterMs: 20 },
    })
    expect(run).toMatchObject({ outcome: 'killed', killAfterMs: 20, stdout: 'started\n' })
  })

  it('rejects a child that fails, with its stderr', async () => {
    const script = await file('fails.mjs')
    await writeFile(script, "console.error('no such table'); process.exit(3)\n")
    await expect(runLoad(script, [], { nodeArgs: [] })).rejects.toThrow(
      /exited with 3: no such table/,
    )
  })

  it('rejects a child that exits 0 without its done line', async () => {
    const script = await file('quiet.mjs')
    await writeFile(script, "console.log('started')\n")
    await expect(runLoad(script, [], { nodeArgs: [] })).rejects.toThrow(
      'exited with 0 without printing "done"',
    )
  })

  it('with doneLine null, an exit with code 0 is done; ms counts from "started" to the exit', async () => {
    const script = await file('silent.mjs')
    await writeFile(script, "console.log('started'); setTimeout(() => {}, 100)\n")
    const run = await runLoad(script, [], { nodeArgs: [], doneLine: null })
    expect(run.outcome).toBe('done')
    expect(run.ms).toBeGreaterThanOrEqual(50)
  })

  it('names a bad kill delay', () => {
    expect(() => runLoad(child, [], { kill: { afterMs: -1 } })).toThrow(
      new TypeError('runLoad: option "kill.afterMs" must be a number of milliseconds >= 0, got -1'),
    )
  })
})

describe('killAndResume', () => {
  it('kills a resumable load at random moments and completes it: the output equals a clean run', async () => {
    const path = await file('resumed.txt')
    const result = await killAndResume(child, [path, '3000'], {
      cwd: packageDirectory,
      kills: 3,
      windowMs: 150,
    })
    expect(result.kills, `seed ${result.seed}`).toBeGreaterThan(0)
    expect(result.delays).toHaveLength(result.kills)
    for (const delay of result.delays) expect(delay).toBeLessThan(150)
    expect(result.runs.at(-1)?.outcome).toBe('done')
    expect(result.runs.filter((run) => run.outcome === 'killed')).toHaveLength(result.kills)
    expect(await readFile(path, 'utf8')).toBe(numbers(3000))
  }, 60_000)

  it('the same seed gives the same kill delays', async () => {
    // Waits to be killed in its first 3 runs, completes in the 4th: every kill lands.
    const script = await file('runs.mjs')
    await writeFile(
      script,
      `import { appendFileSync, readFileSync } from 'node:fs'
const [counter] = process.argv.slice(2)
appendFileSync(counter, 'x')
console.log('started')
if (readFileSync(counter, 'utf8').length > 3) console.log('done')
else setInterval(() => {}, 1000)
`,
    )
    const run = async (name: string) =>
      killAndResume(script, [await file(name)], { nodeArgs: [], kills: 3, windowMs: 50, seed: 42 })
    const first = await run('a.txt')
    const second = await run('b.txt')
    expect(first).toMatchObject({ kills: 3, seed: 42 })
    expect(first.runs.map((one) => one.outcome)).toEqual(['killed', 'killed', 'killed', 'done'])
    expect(second.delays).toEqual(first.delays)
    expect(new Set(first.delays).size).toBe(3)
  }, 30_000)

  it('names the seed when a run fails', async () => {
    const script = await file('fails.mjs')
    // Fails before "started": no kill is armed, so the first run is the one that fails (a kill
    // armed by "started" could land before the exit under load).
    await writeFile(script, "console.error('disk full'); process.exit(2)\n")
    await expect(
      killAndResume(script, [], { nodeArgs: [], kills: 2, windowMs: 10, seed: 123 }),
    ).rejects.toThrow(
      'killAndResume: run 1 after 0 kill(s) failed (GRAPHFLOW_KILL_SEED=123 replays the kill delays): the load',
    )
  })
})
