// Every ```ts block of every README typechecks; blocks tagged ```ts run also run.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const output = join(root, 'scripts/readme/.snippets')

/** Where a snippet is written: beside its markdown file, so its relative imports resolve. */
const snippetPath = (snippet: Snippet) =>
  join(root, dirname(snippet.file), `.snippet-${snippet.line}.ts`)

interface Snippet {
  file: string
  line: number
  code: string
  run: boolean
}

function markdownFiles(): string[] {
  const files = ['README.md']
  for (const parent of ['packages', 'connectors', 'examples']) {
    for (const entry of readdirSync(join(root, parent))) {
      if (existsSync(join(root, parent, entry, 'README.md')))
        files.push(join(parent, entry, 'README.md'))
    }
  }
  // docs/writing-a-connector.md quotes the connector template: scripts/test checks each of its
  // blocks against the scaffolded files instead.
  return files
}

function snippets(): Snippet[] {
  const found: Snippet[] = []
  for (const file of markdownFiles()) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    let start = -1
    let run = false
    for (const [index, line] of lines.entries()) {
      const fence = /^```(ts|typescript)(\s+run)?\s*$/.exec(line)
      if (start === -1 && fence) {
        start = index
        run = Boolean(fence[2])
      } else if (start !== -1 && line.startsWith('```')) {
        const code = lines.slice(start + 1, index).join('\n')
        found.push({ file, line: start + 1, code, run })
        start = -1
      }
    }
  }
  return found
}

const all = snippets()

describe('README snippets', () => {
  afterAll(() => {
    for (const snippet of all) rmSync(snippetPath(snippet), { force: true })
  })

  it('finds snippets in the READMEs', () => {
    expect(all.length).toBeGreaterThan(3)
  })

  it('typecheck', () => {
    rmSync(output, { recursive: true, force: true })
    mkdirSync(output, { recursive: true })
    for (const snippet of all) {
      const code = /^\s*(import|export)\s/m.test(snippet.code)
        ? snippet.code
        : `${snippet.code}\nexport {}`
      writeFileSync(snippetPath(snippet), `// ${snippet.file}:${snippet.line}\n${code}\n`)
    }
    writeFileSync(
      join(output, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.base.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false },
        files: all.map(snippetPath),
      }),
    )
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(output, 'tsconfig.json')], {
        encoding: 'utf8',
      })
    } catch (error) {
      const stdout = (error as { stdout?: string }).stdout ?? String(error)
      throw new Error(`README snippets do not typecheck:\n${stdout}`)
    }
  }, 120_000)

  for (const snippet of all.filter((each) => each.run)) {
    it(`runs ${snippet.file}:${snippet.line}`, () => {
      const cwd = mkdtempSync(join(tmpdir(), 'graphflow-snippet-'))
      try {
        const path = snippetPath(snippet)
        execFileSync(join(root, 'node_modules/.bin/tsx'), [path], {
          cwd,
          encoding: 'utf8',
          timeout: 60_000,
          stdio: 'pipe',
        })
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
        throw new Error(
          `${relative(root, snippet.file)}:${snippet.line} failed:\n${stdout}\n${stderr}`,
        )
      } finally {
        rmSync(cwd, { recursive: true, force: true })
      }
    }, 90_000)
  }
})
