import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo's root folder. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/** scripts/new-connector.mjs */
export const script = path.join(repoRoot, 'scripts', 'new-connector.mjs')

/** What {@link run} resolves with. */
export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * The environment for child commands: without the variables of the vitest run and of the
 * `pnpm exec` around it, so that the nested pnpm and vitest behave as in a fresh shell.
 */
function childEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(VITEST|npm_|pnpm_|PNPM_)/i.test(key) && key !== 'NODE_ENV' && key !== 'TEST',
    ),
  )
}

/**
 * Runs a command without a shell; resolves with its exit code and output, never rejects.
 * `env` is added to the child's environment; a variable set to `undefined` there is removed.
 */
export function run(
  command: string,
  args: string[],
  cwd: string,
  timeout = 120_000,
  env: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const environment = { ...childEnvironment(), ...env }
  for (const [key, value] of Object.entries(environment)) {
    if (value === undefined) delete environment[key]
  }
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: environment, timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** What `pnpm pack --json` prints. */
export interface PackResult {
  name: string
  version: string
  filename: string
  files: { path: string }[]
}

/**
 * The JSON of `pnpm pack --json`: the last thing on stdout, after what a `prepack` script (the
 * packages' build) printed there.
 */
export function packResult(stdout: string): PackResult {
  const start = stdout.startsWith('{\n') ? 0 : stdout.lastIndexOf('\n{\n') + 1
  return JSON.parse(stdout.slice(start)) as PackResult
}

/** Runs scripts/new-connector.mjs with `args` in `cwd`. */
export function scaffold(args: string[], cwd: string): Promise<RunResult> {
  return run(process.execPath, [script, ...args], cwd, 30_000)
}

/** Every file under `dir`, relative to it with forward slashes, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort()
}

/** The texts of every file under `dir` (without node_modules and dist), by relative path. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>()
  for (const file of await listFiles(dir)) {
    if (/(^|\/)(node_modules|dist)\//.test(file)) continue
    texts.set(file, await readFile(path.join(dir, file), 'utf8'))
  }
  return texts
}

/** A fenced code block of a markdown text. */
export interface CodeBlock {
  language: string
  code: string
  /** The 1-based line of the opening fence. */
  line: number
}

/** The fenced code blocks of a markdown text. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  let open: { language: string; line: number; body: string[] } | undefined
  for (const [index, line] of lines.entries()) {
    if (!open) {
      const fence = /^```(\w*)\s*$/.exec(line)
      if (fence) open = { language: fence[1] ?? '', line: index + 1, body: [] }
    } else if (/^```\s*$/.test(line)) {
      blocks.push({ language: open.language, code: open.body.join('\n'), line: open.line })
      open = undefined
    } else {
      open.body.push(line)
    }
  }
  return blocks
}

/**
 * Whether `snippet` appears in `text`: its lines (trimmed, blank ones ignored) in a row, where a
 * line `// ...` or `# ...` stands for any number of left-out lines.
 */
export function containsSnippet(text: string, snippet: string): boolean {
  const normalize = (lines: string[]) => lines.map((line) => line.trim()).filter(Boolean)
  const haystack = normalize(text.split('\n'))
  const chunks: string[][] = [[]]
  for (const line of normalize(snippet.split('\n'))) {
    if (line === '// ...' || line === '# ...') chunks.push([])
    else chunks.at(-1)?.push(line)
  }
  let from = 0
  for (const chunk of chunks.filter((each) => each.length > 0)) {
    let found = -1
    for (let start = from; start + chunk.length <= haystack.length && found < 0; start++) {
      if (chunk.every((line, offset) => haystack[start + offset] === line)) found = start
    }
    if (found < 0) return false
    from = found + chunk.length
  }
  return true
}
