// Every publishable package, packed the way `pnpm publish` packs it, installs into a fresh
// project outside the workspace and works there: ESM imports run, types resolve. Slow tier
// (`pnpm test:slow`): the install may compile better-sqlite3 from source, minutes on a busy machine.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packResult, repoRoot, run } from './helpers.js'

const packages = [
  'packages/core',
  'packages/testkit',
  'connectors/http',
  'connectors/csv',
  'connectors/sqlite',
]
let temp: string

const output = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`

beforeAll(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'graphflow-packed-'))
})
afterAll(async () => {
  await rm(temp, { recursive: true, force: true })
})

const program = `
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'
import { csvSink } from '@graphflow/csv'
import { httpSource } from '@graphflow/http'
import { sqliteSink, sqliteSource } from '@graphflow/sqlite'
import type { SourceFixture } from '@graphflow/testkit'

interface Item { id: number; name: string }
const pages: Item[][] = [[{ id: 1, name: 'a, "quoted"' }, { id: 2, name: 'b' }], [{ id: 3, name: 'c' }], []]
const server = createServer((request, response) => {
  const page = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('page'))
  response.setHeader('content-type', 'application/json')
  response.end(JSON.stringify(pages[page - 1] ?? []))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const address = server.address()
const port = typeof address === 'object' && address ? address.port : 0

const graph = new AsyncGraph()
const source = graph.addNode(httpSource<Item>({ url: \`http://127.0.0.1:\${port}/items\`, pagination: { type: 'page' } }))
graph.addEdge(source, graph.addNode(csvSink<Item>({ path: 'items.csv', columns: ['id', 'name'] })))
graph.addEdge(source, graph.addNode(sqliteSink<Item>({ path: 'items.db', table: 'items', primaryKey: 'id' })))
const report: ExecutionReport = await new AsyncExecutor(graph).execute()
server.close()

const rows: unknown[] = []
const read = new AsyncGraph()
const query = read.addNode(sqliteSource<Item>({ path: 'items.db', query: 'SELECT * FROM items ORDER BY id' }))
read.addEdge(query, read.addNode(async function* collect(row: Item) { rows.push(row) }))
await new AsyncExecutor(read).execute()

const fixture: SourceFixture<Item> | undefined = undefined
console.log(JSON.stringify({ stats: report.dataFlowStats, csv: readFileSync('items.csv', 'utf8'), rows, fixture }))
`

describe('packed packages in a project outside the workspace', () => {
  it('install from their tarballs, typecheck and run', async () => {
    const packs = path.join(temp, 'packs')
    const tarballs: Record<string, string> = {}
    for (const dir of packages) {
      const packed = await run(
        'pnpm',
        ['pack', '--pack-destination', packs, '--json'],
        path.join(repoRoot, dir),
      )
      expect(packed.code, output(packed)).toBe(0)
      const { name, filename } = packResult(packed.stdout)
      tarballs[name] = `file:${filename}`
    }
    const project = path.join(temp, 'project')
    await mkdir(project)
    await writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'packed-check',
        private: true,
        type: 'module',
        dependencies: { ...tarballs },
        devDependencies: { typescript: '~5.9.3', '@types/node': '^20.19.0', vitest: '^4.0.0' },
        pnpm: { onlyBuiltDependencies: ['better-sqlite3'] },
      }),
    )
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          types: ['node'],
        },
        files: ['main.ts'],
      }),
    )
    await writeFile(path.join(project, 'main.ts'), program)
    const pnpm = (...args: string[]) => run('pnpm', args, project, 900_000)
    let installed = await pnpm('install', '--offline')
    if (installed.code !== 0) installed = await pnpm('install', '--prefer-offline')
    expect(installed.code, output(installed)).toBe(0)

    const compiled = await pnpm('exec', 'tsc', '-p', 'tsconfig.json')
    expect(compiled.code, output(compiled)).toBe(0)
    const ran = await run(process.execPath, [path.join(project, 'out', 'main.js')], project)
    expect(ran.code, output(ran)).toBe(0)
    const result = JSON.parse(ran.stdout)
    expect(result.stats.httpSource).toEqual({ in: 0, out: 2, err: 0 })
    expect(result.csv).toBe('id,name\n1,"a, ""quoted"""\n2,b\n3,c\n')
    expect(result.rows).toEqual([
      { id: 1, name: 'a, "quoted"' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ])
  }, 1_200_000)
})
