import { appendFile, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  AsyncExecutor,
  AsyncGraph,
  type CheckpointStore,
  checkpoint,
  memoryCheckpointStore,
  type NodeContext,
} from '@graphflow/core'
import { killAndResume, runLoad } from '@graphflow/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { readCsv, resumeRecord, tempDir } from '../test/helpers.js'
import { CsvError } from './csv-error.js'
import { csvSink } from './csv-sink.js'

const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const child = fileURLToPath(new URL('../test/resume-child.ts', import.meta.url))
/** Kills per load in the default run; the slow tier sets more. */
const KILLS = Number(process.env.GRAPHFLOW_RESUME_KILLS ?? 3)
/** A kill comes at a random moment this long after rows flow: shorter with more kills, so each load takes them all. */
const KILL_WINDOW_MS = Math.min(300, 900 / KILLS)
const quiet = { info() {}, error() {} }

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})
async function directory(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return dir
}

interface Settings {
  pages: number
  size: number
  maxTasks: number
}

/** The arguments of test/resume-child.ts: the CSV path, the checkpoint file, the settings. */
const childArgs = (path: string, checkpoints: string, settings: Settings) => [
  path,
  checkpoints,
  JSON.stringify(settings),
]

/** Kills the load `KILLS` times at random moments (fewer when it completes first), then completes it. */
async function killAndResumeChild(path: string, checkpoints: string, settings: Settings) {
  const { kills, seed } = await killAndResume(child, childArgs(path, checkpoints, settings), {
    cwd: packageDirectory,
    kills: KILLS,
    windowMs: KILL_WINDOW_MS,
  })
  // The slow tier counts on every kill landing mid-load.
  if (KILLS > 3) expect(kills, `seed ${seed}`).toBe(KILLS)
  return kills
}

/** A load of `pages` pages of `size` records into `path`; `stopAfter` aborts once that many records came. */
function load(path: string, pages: number, size: number, options: { append?: boolean } = {}) {
  let after = 0
  const graph = new AsyncGraph()
  graph.addEdge(
    graph.addNode({
      name: 'pages',
      open(context: NodeContext) {
        after = (context.resumeFrom as { page: number } | undefined)?.page ?? 0
      },
      async *fn() {
        for (let page = after + 1; page <= pages; page++) {
          for (let row = 1; row <= size; row++) yield resumeRecord(page, row)
          yield checkpoint({ page })
        }
      },
    }),
    graph.addNode(csvSink({ path, ...options })),
  )
  return graph
}

/** Runs a load and aborts it once the sink committed its third position (a few batches in). */
async function loadAndStop(
  path: string,
  store: CheckpointStore,
  options: { append?: boolean } = {},
) {
  const controller = new AbortController()
  const executor = new AsyncExecutor(load(path, 400, 5, options), { logger: quiet })
  let stored = 0
  executor.on('position-stored', () => {
    // After the commit that stored it (a stop inside it would leave its other units held).
    if (++stored === 3) queueMicrotask(() => controller.abort())
  })
  const report = await executor.execute({ checkpoints: { store }, signal: controller.signal })
  expect(report.aborted).toBe(true)
}

describe('csvSink in a resumable load (checkpoints)', () => {
  it(
    `killed with SIGKILL ${KILLS} times at random moments and resumed, the file is byte-identical to a clean run's`,
    async () => {
      const dir = await directory()
      const settings = { pages: 3000, size: 4, maxTasks: 1 }
      const clean = join(dir, 'clean.csv')
      const cleanRun = await runLoad(child, childArgs(clean, join(dir, 'clean.json'), settings), {
        cwd: packageDirectory,
      })
      expect(cleanRun.outcome).toBe('done')
      const resumed = join(dir, 'resumed.csv')
      const killed = await killAndResumeChild(resumed, join(dir, 'resumed.json'), settings)
      expect(killed).toBeGreaterThan(0)
      expect(await readFile(resumed, 'utf8')).toBe(await readFile(clean, 'utf8'))
      expect(await readCsv(clean)).toHaveLength(12_000)
    },
    120_000 + KILLS * 10_000,
  )

  it(
    'with a transform of maxTasks 4 (units interleave), every record is in the file once, under one header',
    async () => {
      const dir = await directory()
      const settings = { pages: 120, size: 4, maxTasks: 4 }
      const path = join(dir, 'resumed.csv')
      await killAndResumeChild(path, join(dir, 'resumed.json'), settings)
      const text = await readFile(path, 'utf8')
      expect(text.split('id,page,text\n')).toHaveLength(2)
      const ids = ((await readCsv(path)) as { id: string }[]).map((record) => record.id)
      const expected: string[] = []
      for (let page = 1; page <= 120; page++)
        for (let row = 1; row <= 4; row++) expected.push(`${page}.${row}`)
      expect(ids.sort()).toEqual(expected.sort())
    },
    120_000 + KILLS * 10_000,
  )

  it('a resumed run truncates what lies past the saved size (a cut-off record) and goes on', async () => {
    const dir = await directory()
    const clean = join(dir, 'clean.csv')
    await new AsyncExecutor(load(clean, 400, 5)).execute({
      checkpoints: { store: memoryCheckpointStore() },
    })
    const path = join(dir, 'out.csv')
    const store = memoryCheckpointStore()
    await loadAndStop(path, store)
    await appendFile(path, '999.1,999,"a record cut off inside its quoted fie')
    await new AsyncExecutor(load(path, 400, 5)).execute({ checkpoints: { store } })
    expect(await readFile(path, 'utf8')).toBe(await readFile(clean, 'utf8'))
  })

  it('with append, what the file had before the load stays, and a resumed run writes no second header', async () => {
    const dir = await directory()
    const path = join(dir, 'out.csv')
    const before = 'id,page,text\n0.1,0,before the load\n'
    await writeFile(path, before)
    const store = memoryCheckpointStore()
    await loadAndStop(path, store, { append: true })
    await new AsyncExecutor(load(path, 400, 5, { append: true })).execute({
      checkpoints: { store },
    })
    const text = await readFile(path, 'utf8')
    expect(text.startsWith(before)).toBe(true)
    expect(text.split('id,page,text\n')).toHaveLength(2)
    expect(await readCsv(path)).toHaveLength(2001)
  })

  it('refuses a file shorter than its saved size, naming the path and the sizes, and leaves it unchanged', async () => {
    const dir = await directory()
    const path = join(dir, 'out.csv')
    const store = memoryCheckpointStore()
    await loadAndStop(path, store)
    const state = (await store.get('graphflow')) as {
      sources: { pages: { csvSink: { data: { size: number } } } }
    }
    const saved = state.sources.pages.csvSink.data.size
    await truncate(path, saved - 10)
    const report = await new AsyncExecutor(load(path, 400, 5), { logger: quiet }).execute({
      checkpoints: { store },
    })
    const error = report.exceptions.csvSink?.[0] as CsvError
    expect(error).toBeInstanceOf(CsvError)
    expect(error.code).toBe('CSV_RESUME')
    expect(error.message).toContain(
      `cannot resume writing ${path}: it has ${saved - 10} bytes, shorter than the ${saved} bytes saved with its position`,
    )
    expect(error).toMatchObject({ path, savedSize: saved, size: saved - 10 })
    expect((await stat(path)).size).toBe(saved - 10)
  })

  it('refuses a file that was replaced (another inode, or its head rewritten)', async () => {
    const dir = await directory()
    const path = join(dir, 'out.csv')
    const store = memoryCheckpointStore()
    await loadAndStop(path, store)
    const content = await readFile(path)
    await rm(path)
    await writeFile(join(dir, 'other.csv'), 'x') // the freed inode goes elsewhere
    await writeFile(path, content)
    let report = await new AsyncExecutor(load(path, 400, 5), { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(String(report.exceptions.csvSink?.[0]?.message)).toMatch(
      /cannot resume writing .*out\.csv: it was replaced \(device \d+, inode \d+; the saved state was made of device \d+, inode \d+\)/,
    )
    // Same inode, rewritten head.
    const second = join(dir, 'second.csv')
    const store2 = memoryCheckpointStore()
    await loadAndStop(second, store2)
    const text = await readFile(second, 'utf8')
    await writeFile(second, text.replace('id,page,text', 'ID,PAGE,TEXT'))
    report = await new AsyncExecutor(load(second, 400, 5), { logger: quiet }).execute({
      checkpoints: { store: store2 },
    })
    expect(String(report.exceptions.csvSink?.[0]?.message)).toContain(
      'are not those it had when its position was saved (it was rewritten)',
    )
  })

  it('refuses atomic: true in a run with checkpoints', async () => {
    const dir = await directory()
    const graph = new AsyncGraph()
    graph.addEdge(
      graph.addNode(async function* one() {
        yield { a: 1 }
      }),
      graph.addNode(csvSink({ path: join(dir, 'out.csv'), atomic: true })),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store: memoryCheckpointStore() },
    })
    expect(report.exceptions.csvSink?.[0]?.message).toContain(
      'in a run with checkpoints: atomic: true replaces the file only at the end',
    )
  })
})
