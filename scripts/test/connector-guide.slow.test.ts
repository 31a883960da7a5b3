// docs/writing-a-connector.md's command blocks, run exactly as written (parsed out of the
// markdown, not copied) in a fresh clone, in the monorepo and standalone; and the scaffold's
// "Next" lines are the block's commands that follow it. A clone has what is committed: commit
// before running this locally.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { codeBlocks, type RunResult, repoRoot, run } from './helpers.js'

const guideFile = path.join(repoRoot, 'docs', 'writing-a-connector.md')
const output = (result: RunResult) =>
  `exit ${result.code}\n${result.stdout.slice(-20_000)}\n${result.stderr.slice(-20_000)}`

/** A ```sh block of the guide and the marker comment on the line before it. */
interface CommandBlock {
  line: number
  code: string
  /** `test: <name>` or `not run by the test: <reason>`, or undefined without a marker. */
  marker: string | undefined
}

async function commandBlocks(): Promise<CommandBlock[]> {
  const guide = await readFile(guideFile, 'utf8')
  const lines = guide.split('\n')
  return codeBlocks(guide)
    .filter((block) => block.language === 'sh')
    .map((block) => {
      const before = lines[block.line - 2] ?? ''
      const marker = /^<!-- (.+) -->$/.exec(before.trim())?.[1]
      return { line: block.line, code: block.code, marker }
    })
}

/** The commands of a block, one per entry, with `\`-continued lines joined. */
function commands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
}

/** The commands the scaffold printed under "Next", in order. */
function nextLines(stdout: string): string[] {
  const lines = stdout.split('\n')
  const start = lines.findIndex((line) => line.startsWith('Next'))
  const end = lines.findIndex((line, index) => index > start && line.trim() === '')
  return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim())
}

/**
 * A newcomer's PATH: without the folders that hold a pnpm binary and without node_modules/.bin
 * folders (`pnpm test:slow` puts both first), so that a bare `pnpm`, `tsc` or `biome` in the
 * guide fails here as it does in a fresh shell. Node's own folder stays.
 */
function newcomerPath(): string {
  const nodeDir = path.dirname(process.execPath)
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(
      (dir) =>
        dir === nodeDir ||
        !(existsSync(path.join(dir, 'pnpm')) || /node_modules[\\/]\.bin$/.test(dir)),
    )
    .join(path.delimiter)
}

let temp: string | undefined
afterEach(async () => {
  if (temp) await rm(temp, { recursive: true, force: true })
  temp = undefined
})

describe('docs/writing-a-connector.md', () => {
  it('marks every command block: run by this test, or why not', async () => {
    const blocks = await commandBlocks()
    for (const block of blocks) {
      expect(block.marker, `the sh block at docs/writing-a-connector.md:${block.line}`).toMatch(
        /^(test: (monorepo|standalone)|not run by the test: .+)$/,
      )
    }
    const tested = blocks
      .map((block) => block.marker)
      .filter((marker) => marker?.startsWith('test'))
    expect(tested.sort()).toEqual(['test: monorepo', 'test: standalone'])
  })

  // Guards: the guide's commands failed in a fresh clone (nothing built before the connector's
  // build, the scaffold before `pnpm install`, bare `pnpm`, `git init` making master).
  it.each(['monorepo', 'standalone'])(
    'runs the %s block as written in a fresh clone, and the scaffold prints its next commands',
    async (name) => {
      const block = (await commandBlocks()).find((each) => each.marker === `test: ${name}`)
      if (!block) throw new Error(`no <!-- test: ${name} --> block in the guide`)
      temp = await mkdtemp(path.join(os.tmpdir(), `graphflow-guide-${name}-`))
      const clone = path.join(temp, 'graphflow')
      const cloned = await run('git', ['clone', '-q', repoRoot, clone], temp)
      expect(cloned.code, output(cloned)).toBe(0)

      // As in a newcomer's shell: no pnpm installed, not CI (pnpm would refuse to write a
      // lockfile), and pnpm may take what its store and cache hold instead of asking the registry.
      const result = await run('bash', ['-euo', 'pipefail', '-c', block.code], clone, 1_100_000, {
        PATH: newcomerPath(),
        CI: undefined,
        GITHUB_ACTIONS: undefined,
        npm_config_prefer_offline: 'true',
      })
      expect(result.code, output(result)).toBe(0)
      const stdout = stripVTControlCharacters(result.stdout)
      // The connector's tests ran and passed (vitest's summary, none failed or skipped).
      expect(stdout).toMatch(/^\s+Tests\s+\d+ passed \(\d+\)$/m)

      const all = commands(block.code)
      const scaffold = all.findIndex((command) => /new:connector|new-connector\.mjs/.test(command))
      expect(scaffold).toBeGreaterThanOrEqual(0)
      expect(nextLines(stdout)).toEqual(all.slice(scaffold + 1))
    },
  )
})
