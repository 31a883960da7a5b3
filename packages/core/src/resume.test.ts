import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// The harness of @graphflow/testkit, from its source: testkit depends on core, so core cannot
// depend on it (and this file needs no build of it); tsconfig.json has rootDir ".." for it.
import { killAndResume, runLoad } from '../../testkit/src/kill-and-resume.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { type CheckpointStore, memoryCheckpointStore } from './checkpoint-store.js'
import { defineSink, defineSource } from './define.js'
import { GraphflowError } from './errors.js'
import type { CommitDone, NodeContext, NodeSpec } from './node-spec.js'
import { type Checkpoint, checkpoint } from './work-tracking.js'

const quiet = { info() {}, error() {} }
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A source of `pages` pages of `size` rows; restarts after `resumeFrom.page`; records what it got. */
function pagesSource(pages: number, size: number, seen: unknown[], honour = true) {
  let from = 0
  return {
    name: 'pages',
    open(context: NodeContext) {
      seen.push(context.resumeFrom)
      const position = context.resumeFrom as { page: number } | undefined
      from = honour && position ? position.page : 0
    },
    async *fn() {
      for (let page = from + 1; page <= pages; page++) {
        for (let row = 1; row <= size; row++) yield `${page}.${row}`
        yield checkpoint({ page })
      }
    },
  } satisfies NodeSpec<[], string | Checkpoint<{ page: number }>>
}

/** A sink storing each item when its call returns; throws on `failOn`. */
function sink(name: string, stored: string[], failOn?: string) {
  return {
    name,
    async *fn(item: string) {
      if (item === failOn) throw new Error(`refused ${item}`)
      stored.push(item)
    },
  } satisfies NodeSpec<[string], never>
}

function rows(pages: number, size: number, fromPage = 1): string[] {
  const all: string[] = []
  for (let page = fromPage; page <= pages; page++)
    for (let row = 1; row <= size; row++) all.push(`${page}.${row}`)
  return all
}

describe('execute({ checkpoints })', () => {
  it('saves per source and per sink the last stored position and its unit number', async () => {
    const store = memoryCheckpointStore()
    const graph = new AsyncGraph()
    const seen: unknown[] = []
    const stored: string[] = []
    graph.addEdge(graph.addNode(pagesSource(3, 2, seen)), graph.addNode(sink('save', stored)))
    const report = await new AsyncExecutor(graph).execute({ checkpoints: { store, key: 'load' } })
    expect(report.ok).toBe(true)
    expect(seen).toEqual([undefined])
    expect(stored).toEqual(rows(3, 2))
    expect(await store.get('load')).toEqual({
      format: 'graphflow-resume',
      version: 1,
      sources: { pages: { save: { position: { page: 3 }, seq: 3 } } },
    })
    expect(report.skipped).toEqual({})
  })

  it('a resumed source gets the position of the sink furthest behind; a sink ahead skips what it has, through a transform and a fan-out', async () => {
    const store = memoryCheckpointStore()
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: {
        pages: {
          ahead: { position: { page: 3 }, seq: 3 },
          behind: { position: { page: 1 }, seq: 1 },
        },
      },
    })
    const graph = new AsyncGraph()
    const seen: unknown[] = []
    const ahead: string[] = []
    const behind: string[] = []
    const upper = graph.addNode(
      async function* upper(row: string) {
        await tick()
        yield `row ${row}`
      },
      { maxTasks: 4 },
    )
    graph.addEdge(graph.addNode(pagesSource(4, 2, seen)), upper)
    graph.addEdge(upper, graph.addNode(sink('ahead', ahead)))
    graph.addEdge(upper, graph.addNode(sink('behind', behind)))
    const executor = new AsyncExecutor(graph)
    const events: string[] = []
    executor.on('position-stored', ({ position, sink, complete }) =>
      events.push(`${sink}:${(position as { page: number }).page}:${complete}`),
    )
    const report = await executor.execute({ checkpoints: { store } })
    expect(seen).toEqual([{ page: 1 }])
    expect(behind.sort()).toEqual(rows(4, 2, 2).map((row) => `row ${row}`))
    expect(ahead.sort()).toEqual(rows(4, 2, 4).map((row) => `row ${row}`))
    // Pages 2 and 3 went through the transform (behind needs them) but not into 'ahead'.
    expect(report.skipped).toEqual({ ahead: 4 })
    // Positions continue the unit numbering; 'ahead' reports only what it newly stored.
    // (Whether 'behind' stored page 4 first, so `complete`, depends on the transform's order.)
    expect(
      events.filter((event) => event.startsWith('ahead')).map((event) => event.slice(0, 7)),
    ).toEqual(['ahead:4'])
    expect(await store.get('graphflow')).toMatchObject({
      sources: {
        pages: {
          ahead: { position: { page: 4 }, seq: 4 },
          behind: { position: { page: 4 }, seq: 4 },
        },
      },
    })
  })

  it('a source that ignores resumeFrom starts over; the skip still keeps every sink from getting an item twice', async () => {
    const store = memoryCheckpointStore()
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: { pages: { a: { position: { page: 2 }, seq: 2 } } },
    })
    const graph = new AsyncGraph()
    const seen: unknown[] = []
    const a: string[] = []
    const b: string[] = []
    const source = graph.addNode(pagesSource(3, 2, seen, false))
    graph.addEdge(source, graph.addNode(sink('a', a)))
    graph.addEdge(source, graph.addNode(sink('b', b)))
    const report = await new AsyncExecutor(graph).execute({ checkpoints: { store } })
    // 'b' stored nothing yet: the source starts from the beginning.
    expect(seen).toEqual([undefined])
    expect(b).toEqual(rows(3, 2))
    expect(a).toEqual(rows(3, 2, 3))
    expect(report.skipped).toEqual({ a: 4 })
  })

  // Guards: a source starting over (a sink stored nothing) still sees the positions of the sinks ahead.
  it('gives a source savedPositions: every sink position, also when resumeFrom is undefined', async () => {
    const store = memoryCheckpointStore()
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: { pages: { a: { position: { page: 2 }, seq: 2 }, b: { position: null, seq: 0 } } },
    })
    const graph = new AsyncGraph()
    const got: unknown[] = []
    const source = graph.addNode({
      ...pagesSource(1, 1, []),
      open(context: NodeContext) {
        got.push(context.resumeFrom, context.savedPositions)
      },
    })
    graph.addEdge(source, graph.addNode(sink('a', [])))
    graph.addEdge(source, graph.addNode(sink('b', [])))
    await new AsyncExecutor(graph).execute({ checkpoints: { store } })
    expect(got).toEqual([undefined, [{ page: 2 }]])
  })

  it('a failed item does not let the position pass it; the resumed run delivers it', async () => {
    const store = memoryCheckpointStore()
    const build = (failOn: string | undefined, stored: string[], seen: unknown[]) => {
      const graph = new AsyncGraph()
      graph.addEdge(
        graph.addNode(pagesSource(4, 2, seen)),
        graph.addNode(sink('save', stored, failOn)),
      )
      return graph
    }
    const first: string[] = []
    const report = await new AsyncExecutor(build('2.2', first, []), { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(report.ok).toBe(false)
    // Pages 3 and 4 were stored, but the position stays before page 2 for the rest of the run.
    expect(first).toEqual(rows(4, 2).filter((row) => row !== '2.2'))
    expect(await store.get('graphflow')).toMatchObject({
      sources: { pages: { save: { position: { page: 1 }, seq: 1 } } },
    })
    const second: string[] = []
    const seen: unknown[] = []
    await new AsyncExecutor(build(undefined, second, seen)).execute({ checkpoints: { store } })
    expect(seen).toEqual([{ page: 1 }])
    expect(second).toEqual(rows(4, 2, 2))
  })

  it('keeps nodes named like Object.prototype members apart from the prototype', async () => {
    // Guards the state lookups: a sink named 'constructor' must not read Object's constructor.
    const store = memoryCheckpointStore()
    const build = (stored: string[], seen: unknown[]) => {
      const graph = new AsyncGraph()
      graph.addEdge(
        graph.addNode({ ...pagesSource(2, 1, seen), name: 'constructor' }),
        graph.addNode(sink('toString', stored)),
      )
      return graph
    }
    const first: string[] = []
    await new AsyncExecutor(build(first, [])).execute({ checkpoints: { store } })
    expect(first).toEqual(rows(2, 1))
    expect(JSON.stringify(await store.get('graphflow'))).toContain(
      '"sources":{"constructor":{"toString":{"position":{"page":2},"seq":2}}}',
    )
    const second: string[] = []
    const seen: unknown[] = []
    await new AsyncExecutor(build(second, seen)).execute({ checkpoints: { store } })
    expect(seen).toEqual([{ page: 2 }])
    expect(second).toEqual([])
  })

  it('coalesces writes: at most one in flight, the latest state wins, flushed before execute() resolves', async () => {
    const inner = memoryCheckpointStore()
    let inFlight = 0
    let most = 0
    let puts = 0
    const slow: CheckpointStore = {
      get: (key) => inner.get(key),
      async put(key, value) {
        puts++
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        await inner.put(key, value)
        inFlight--
      },
    }
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(pagesSource(1000, 1, [])), graph.addNode(sink('save', [])))
    await new AsyncExecutor(graph).execute({ checkpoints: { store: slow } })
    expect(most).toBe(1)
    expect(puts).toBeLessThan(1000)
    expect(await inner.get('graphflow')).toMatchObject({
      sources: { pages: { save: { position: { page: 1000 }, seq: 1000 } } },
    })
  })

  it('after an abort, the state is flushed and a second run resumes after the last stored position', async () => {
    const store = memoryCheckpointStore()
    const controller = new AbortController()
    const first: string[] = []
    const graph = new AsyncGraph()
    graph.addEdge(
      graph.addNode(pagesSource(50, 2, [])),
      graph.addNode({
        name: 'save',
        async *fn(item: string) {
          first.push(item)
          if (item === '20.2') controller.abort()
          await tick()
        },
      }),
    )
    const report = await new AsyncExecutor(graph).execute({
      checkpoints: { store },
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    const state = (await store.get('graphflow')) as {
      sources: { pages: { save: { position: { page: number }; seq: number } } }
    }
    const saved = state.sources.pages.save
    expect(saved.seq).toBe(saved.position.page)
    // Never ahead of what the sink stored.
    expect(saved.position.page).toBeLessThanOrEqual(20)
    expect(first).toEqual(expect.arrayContaining(rows(saved.position.page, 2)))
    const second: string[] = []
    const graph2 = new AsyncGraph()
    graph2.addEdge(graph2.addNode(pagesSource(50, 2, [])), graph2.addNode(sink('save', second)))
    await new AsyncExecutor(graph2).execute({ checkpoints: { store } })
    expect(second).toEqual(rows(50, 2, saved.position.page + 1))
  })

  it('rejects with CHECKPOINT_STORE when the last write failed, the report attached', async () => {
    const store: CheckpointStore = {
      get: async () => undefined,
      put: async () => {
        throw new Error('disk full')
      },
    }
    const errors: string[] = []
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(pagesSource(2, 1, [])), graph.addNode(sink('save', [])))
    const executor = new AsyncExecutor(graph, {
      logger: { info() {}, error: (message) => errors.push(message) },
    })
    const error = await executor
      .execute({ checkpoints: { store, key: 'mine' } })
      .catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(GraphflowError)
    expect((error as GraphflowError).code).toBe('CHECKPOINT_STORE')
    expect((error as Error).message).toContain("key 'mine'")
    expect((error as { report?: { ok: boolean } }).report?.ok).toBe(true)
    expect(errors.some((message) => message.includes('disk full'))).toBe(true)
  })

  it('refuses a state it did not write, naming the key, and can run again', async () => {
    const store = memoryCheckpointStore()
    await store.put('graphflow', { hello: 'world' })
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(pagesSource(1, 1, [])), graph.addNode(sink('save', [])))
    const executor = new AsyncExecutor(graph)
    await expect(executor.execute({ checkpoints: { store } })).rejects.toThrow(
      "checkpoint state under key 'graphflow' is not the state of a graphflow run",
    )
    await expect(executor.execute({ checkpoints: { store, key: 'other' } })).resolves.toMatchObject(
      { ok: true },
    )
  })

  it('refuses a position the store cannot hold as an error of the source', async () => {
    const graph = new AsyncGraph()
    graph.addEdge(
      graph.addNode(async function* source() {
        yield 'a'
        yield checkpoint({ big: 1n })
      }),
      graph.addNode(sink('save', [])),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store: memoryCheckpointStore() },
    })
    expect(report.dataFlowStats.source?.err).toBe(1)
    expect(report.exceptions.source?.[0]?.message).toMatch(/not JSON/)
  })

  it('a defineSource source gets resumeFrom in its open() context', async () => {
    const store = memoryCheckpointStore()
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: { numbers: { save: { position: 2, seq: 2 } } },
    })
    let after = 0
    const numbers = defineSource({
      name: 'numbers',
      checkpoints: true,
      open(context) {
        after = (context.resumeFrom as number | undefined) ?? 0
      },
      async *read() {
        for (let n = after + 1; n <= 4; n++) {
          yield `${n}`
          yield checkpoint(n)
        }
      },
    })
    const stored: string[] = []
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(numbers), graph.addNode(sink('save', stored)))
    await new AsyncExecutor(graph).execute({ checkpoints: { store } })
    expect(stored).toEqual(['3', '4'])
  })

  it('checks its options', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* only() {})
    const executor = new AsyncExecutor(graph)
    await expect(executor.execute({ checkpoints: 'file.json' as never })).rejects.toThrow(
      'execute option "checkpoints": expected { store, key? }, got "file.json"',
    )
    await expect(executor.execute({ checkpoints: { store: {} as never } })).rejects.toThrow(
      'execute option "checkpoints.store": expected a CheckpointStore (get and put methods), got an object',
    )
    await expect(
      executor.execute({ checkpoints: { store: memoryCheckpointStore(), key: '' } }),
    ).rejects.toThrow('execute option "checkpoints.key": expected a non-empty string, got ""')
  })
})

/**
 * A sink with a save point over an in-memory "file": each batch is appended and committed
 * (beginCommit / done); `savePoint()` is the committed length; a resumed run truncates to the
 * length it is handed back. `file` survives runs like a real file.
 */
function lengthSink(file: string[], log: { batches: string[][]; savedPoints: unknown[] }) {
  let context: NodeContext | undefined
  let committed = 0
  return defineSink({
    name: 'file',
    batchSize: 3,
    open(run) {
      context = run
      log.savedPoints.push(run.savedPoint)
      const saved = run.savedPoint as { length: number } | undefined
      if ('savedPoint' in run && saved) file.length = saved.length
      else file.length = 0
      committed = file.length
    },
    writeBatch(items: string[]) {
      const done = (context as NodeContext).beginCommit()
      log.batches.push(items)
      file.push(...items)
      committed = file.length
      done()
    },
    savePoint: () => ({ length: committed }),
  })
}

describe('sinks with a save point', () => {
  it('store what the sink committed with each position, end batches at units, hand it back on resume', async () => {
    const store = memoryCheckpointStore()
    const file: string[] = []
    const log = { batches: [] as string[][], savedPoints: [] as unknown[] }
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(pagesSource(3, 2, [])), graph.addNode(lengthSink(file, log)))
    await new AsyncExecutor(graph).execute({ checkpoints: { store } })
    expect(file).toEqual(rows(3, 2))
    // batchSize 3 with units of 2: a batch is written before the first item of the next unit.
    expect(log.batches).toEqual([
      ['1.1', '1.2', '2.1', '2.2'],
      ['3.1', '3.2'],
    ])
    expect(log.savedPoints).toEqual([undefined])
    expect(await store.get('graphflow')).toMatchObject({
      sources: { pages: { file: { position: { page: 3 }, seq: 3, data: { length: 6 } } } },
    })
    // A resumed run truncates to the saved length and gets only what comes after.
    file.push('garbage past the save point')
    const seen: unknown[] = []
    const graph2 = new AsyncGraph()
    graph2.addEdge(graph2.addNode(pagesSource(4, 2, seen)), graph2.addNode(lengthSink(file, log)))
    await new AsyncExecutor(graph2).execute({ checkpoints: { store } })
    expect(seen).toEqual([{ page: 3 }])
    expect(log.savedPoints[1]).toEqual({ length: 6 })
    expect(file).toEqual(rows(4, 2))
  })

  it('saves where a sink starts (seq 0) before it writes, so a run stopped before any position is undone', async () => {
    const store = memoryCheckpointStore()
    const file = ['kept from before the load']
    const log = { batches: [] as string[][], savedPoints: [] as unknown[] }
    const controller = new AbortController()
    const graph = new AsyncGraph()
    const sinkSpec = lengthSink(file, log)
    const open = sinkSpec.open
    sinkSpec.open = (context) =>
      // Like an append: keep what the file had.
      open?.({ ...context, savedPoint: { length: file.length } })
    const stopped = graph.addNode({
      name: 'pages',
      async *fn() {
        yield '1.1'
        yield '1.2'
        await tick()
        controller.abort() // before the unit's checkpoint: the sink stores no position
        yield checkpoint({ page: 1 })
      },
    })
    graph.addEdge(stopped, graph.addNode(sinkSpec))
    await new AsyncExecutor(graph).execute({ checkpoints: { store }, signal: controller.signal })
    // close() wrote what the sink had accepted: past its saved point.
    expect(file).toEqual(['kept from before the load', '1.1', '1.2'])
    expect(await store.get('graphflow')).toMatchObject({
      sources: { pages: { file: { position: null, seq: 0, data: { length: 1 } } } },
    })
    const seen: unknown[] = []
    const graph2 = new AsyncGraph()
    graph2.addEdge(graph2.addNode(pagesSource(2, 1, seen)), graph2.addNode(lengthSink(file, log)))
    await new AsyncExecutor(graph2).execute({ checkpoints: { store } })
    expect(seen).toEqual([undefined]) // nothing stored: from the beginning
    expect(log.savedPoints.at(-1)).toEqual({ length: 1 })
    expect(file).toEqual(['kept from before the load', '1.1', '2.1'])
  })

  it('interleaved units (a transform with maxTasks 4): the saved data never holds a unit the position does not cover', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const saves: { seq: number; length: number }[] = []
      const file: string[] = []
      const inner = memoryCheckpointStore()
      const store: CheckpointStore = {
        get: (key) => inner.get(key),
        put: (key, value) => inner.put(key, value),
        putSync(_key, value) {
          const entry = (
            value as { sources: { pages?: { file?: { seq: number; data?: { length: number } } } } }
          ).sources.pages?.file
          if (entry?.data && entry.seq > 0) {
            saves.push({ seq: entry.seq, length: entry.data.length })
            // Exactly the rows of pages 1..seq, in any order, and nothing else.
            expect([...file.slice(0, entry.data.length)].sort()).toEqual(rows(entry.seq, 3).sort())
          }
        },
      }
      const graph = new AsyncGraph()
      const shuffle = graph.addNode(
        async function* shuffle(item: string) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
          yield item
        },
        { maxTasks: 4 },
      )
      graph.addEdge(graph.addNode(pagesSource(12, 3, [])), shuffle)
      graph.addEdge(shuffle, graph.addNode(lengthSink(file, { batches: [], savedPoints: [] })))
      await new AsyncExecutor(graph).execute({ checkpoints: { store } })
      expect([...file].sort()).toEqual(rows(12, 3).sort())
      expect(saves.at(-1)).toEqual({ seq: 12, length: 36 })
    }
  })

  it('a store with putSync is written on every stored position; save() inside a commit writes the state it will have, and a failed commit does not advance it', async () => {
    const puts: unknown[] = []
    const inner = memoryCheckpointStore()
    const store: CheckpointStore = {
      get: (key) => inner.get(key),
      put: () => Promise.reject(new Error('put is not used with putSync')),
      putSync(_key, value) {
        puts.push((value as { sources: Record<string, unknown> }).sources)
      },
    }
    let context: NodeContext | undefined
    let committed = 0
    let batch = 0
    const graph = new AsyncGraph()
    graph.addEdge(
      graph.addNode(pagesSource(3, 2, [])),
      graph.addNode(
        defineSink({
          name: 'table',
          batchSize: 2,
          open(run) {
            context = run
          },
          writeBatch(items: string[]) {
            const done = (context as NodeContext).beginCommit() as CommitDone & { save(): void }
            batch++
            const before = committed
            committed += items.length // the "transaction"
            done.save()
            if (batch === 2) {
              committed = before // rolled back
              done(new Error('SQLITE_FULL'))
              throw new Error('SQLITE_FULL')
            }
            done()
          },
          savePoint: () => ({ rows: committed }),
        }),
      ),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(report.dataFlowStats.table?.err).toBe(1)
    const entries = puts.map((sources) => (sources as { pages?: { table: unknown } }).pages?.table)
    expect(entries).toEqual([
      { position: null, seq: 0, data: { rows: 0 } }, // where it starts
      { position: { page: 1 }, seq: 1, data: { rows: 2 } }, // save() in batch 1
      { position: { page: 2 }, seq: 2, data: { rows: 4 } }, // save() in batch 2, rolled back
      // The failed batch's unit is failed: no position passes it, and the next write puts the
      // state as it is (a store whose transaction rolled back holds it already).
      { position: { page: 1 }, seq: 1, data: { rows: 2 } },
    ])
  })

  // Guards against a failed open() saving a start point (data null) that a resumed run refuses.
  it('saves no start point when a node failed to open', async () => {
    const store = memoryCheckpointStore()
    const sinkSpec = lengthSink([], { batches: [], savedPoints: [] })
    sinkSpec.open = () => {
      throw new Error('cannot open the file')
    }
    const graph = new AsyncGraph()
    graph.addEdge(graph.addNode(pagesSource(1, 1, [])), graph.addNode(sinkSpec))
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(report.halted).toBe(true)
    expect(await store.get('graphflow')).toBeUndefined()
  })

  it('refuses a sink with a save point and maxTasks above 1, or reached by two sources', async () => {
    const store = memoryCheckpointStore()
    const graph = new AsyncGraph()
    const file = graph.addNode(lengthSink([], { batches: [], savedPoints: [] }), { maxTasks: 2 })
    graph.addEdge(graph.addNode(pagesSource(1, 1, [])), file)
    await expect(new AsyncExecutor(graph).execute({ checkpoints: { store } })).rejects.toThrow(
      'sink \'file\' keeps a save point with its positions, so in a run with "checkpoints" it runs with maxTasks 1, got maxTasks 2',
    )
    // Without checkpoints it runs.
    expect((await new AsyncExecutor(graph).execute()).ok).toBe(true)
    const two = new AsyncGraph()
    const target = two.addNode(lengthSink([], { batches: [], savedPoints: [] }))
    two.addEdge(two.addNode(pagesSource(1, 1, [])), target)
    two.addEdge(two.addNode({ ...pagesSource(1, 1, []), name: 'more' }), target)
    await expect(new AsyncExecutor(two).execute({ checkpoints: { store } })).rejects.toThrow(
      "sink 'file' keeps a save point with its positions and is reached by two nodes that yield checkpoints ('pages' and 'more')",
    )
  })
})

const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
/** Kills per load in the default run; the slow tier sets more. */
const KILLS = Number(process.env.GRAPHFLOW_RESUME_KILLS ?? 3)
/** A kill comes at a random moment this long after rows flow: shorter with more kills, so each load takes them all. */
const KILL_WINDOW_MS = Math.min(300, 900 / KILLS)

const child = fileURLToPath(new URL('../test/fixtures/resume-child.ts', import.meta.url))
/** The arguments of test/fixtures/resume-child.ts: 3000 pages of 3 lines into `path`, the state in `state`. */
const childArgs = (path: string, state: string) => [path, state, '3000']

describe('a load killed with SIGKILL', () => {
  it(
    `killed ${KILLS} times at random moments and resumed with the same store, a sink that truncates to its save point ends byte-identical to a clean run`,
    async () => {
      const directory = await mkdtemp(join(tmpdir(), 'graphflow-resume-'))
      try {
        const clean = join(directory, 'clean.txt')
        const options = { cwd: packageDirectory }
        const cleanRun = await runLoad(
          child,
          childArgs(clean, join(directory, 'clean.json')),
          options,
        )
        expect(cleanRun.outcome).toBe('done')
        const resumed = join(directory, 'resumed.txt')
        const { kills, seed } = await killAndResume(
          child,
          childArgs(resumed, join(directory, 'resumed.json')),
          { ...options, kills: KILLS, windowMs: KILL_WINDOW_MS },
        )
        expect(kills, `seed ${seed}`).toBeGreaterThan(0)
        // The slow tier counts on every kill landing mid-load.
        if (KILLS > 3) expect(kills, `seed ${seed}`).toBe(KILLS)
        expect(await readFile(resumed, 'utf8')).toBe(await readFile(clean, 'utf8'))
        expect((await readFile(clean, 'utf8')).split('\n')).toHaveLength(9001)
      } finally {
        await rm(directory, { recursive: true, force: true })
      }
    },
    120_000 + KILLS * 10_000,
  )
})
