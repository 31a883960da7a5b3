import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { chmod, mkdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KILL_HEADER, killRecordCsv, readCsv, tempDir } from '../test/helpers.js'
import type { CsvError } from './csv-error.js'
import { csvSink } from './csv-sink.js'
import type { CsvSinkSpec } from './csv-sink-options.js'
import { csvSource } from './csv-source.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const isRoot = process.getuid?.() === 0

/** The sink, counting the records its function was called with (what it accepted). */
function counted(sink: CsvSinkSpec) {
  const counter = { accepted: 0 }
  const spec: CsvSinkSpec = {
    ...sink,
    fn: async function* csvSink(input) {
      yield* sink.fn(input)
      counter.accepted += Array.isArray(input) ? input.length : 1
    },
  }
  return { spec, counter }
}
const sinkError = (report: { exceptions: Record<string, Error[]> }) =>
  report.exceptions.csvSink?.[0] as CsvError | undefined

describe('csvSink faults', () => {
  it('fails in open() with CSV_OPEN when the path is a directory, and halts the run', async () => {
    const path = join(dir, 'a-directory')
    await mkdir(path)
    for (const atomic of [false, true]) {
      const { report } = await runNode(csvSink({ path, atomic }), { inputs: [{ a: 1 }] })
      const error = sinkError(report)
      expect(error?.code).toBe('CSV_OPEN')
      expect(error?.message).toContain(`[graphflow] [csv] cannot open ${path} for writing`)
      expect(report.halted).toBe(true)
      expect(report.exceptions.csvSink).toHaveLength(1)
    }
  })

  it('fails with CSV_OPEN when a parent of the path is a file (ENOTDIR)', async () => {
    await writeFile(join(dir, 'file'), '')
    const { report } = await runNode(csvSink({ path: join(dir, 'file', 'out.csv') }), {
      inputs: [{ a: 1 }],
    })
    expect(sinkError(report)?.message).toMatch(/ENOTDIR/)
  })

  // root ignores file permissions, so EACCES cannot be produced when the suite runs as root.
  it.skipIf(isRoot)('fails with CSV_OPEN naming EACCES in a read-only directory', async () => {
    const readOnly = join(dir, 'read-only')
    await mkdir(readOnly)
    await chmod(readOnly, 0o500)
    const { report } = await runNode(csvSink({ path: join(readOnly, 'out.csv') }), {
      inputs: [{ a: 1 }],
    })
    await chmod(readOnly, 0o700)
    expect(sinkError(report)?.code).toBe('CSV_OPEN')
    expect(sinkError(report)?.message).toMatch(/EACCES/)
  })

  it.skipIf(!existsSync('/dev/full'))(
    'reports a failed write (ENOSPC on /dev/full) as CSV_WRITE',
    async () => {
      const records = Array.from({ length: 2000 }, (_, id) => ({ id, text: 'x'.repeat(100) }))
      const { report } = await runNode(csvSink({ path: '/dev/full' }), { inputs: [records] })
      const error = sinkError(report)
      expect(error?.code).toBe('CSV_WRITE')
      expect(error?.message).toContain('cannot write /dev/full: ENOSPC')
    },
  )

  it('keeps a well-formed file of what it accepted when another node halts the run', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path })
    const { spec, counter } = counted(sink)
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* numbers() {
      for (let id = 0; id < 100_000; id++) yield { id, text: `line "${id}"\nnext, line` }
    })
    const check = graph.addNode(
      async function* check(record: { id: number }) {
        if (record.id === 700) throw new Error('bad record')
      },
      { haltOnException: true, queueSize: 1 },
    )
    graph.addEdge(source, graph.addNode(spec, { queueSize: 1 }))
    graph.addEdge(source, check)
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(report.halted).toBe(true)
    expect(report.haltedBy).toBe('check')
    const rows = (await readCsv(path)) as { id: string; text: string }[]
    expect(rows.length).toBe(counter.accepted)
    expect(sink.stats.records).toBe(counter.accepted)
    expect(rows.length).toBeGreaterThan(600)
    expect(rows.length).toBeLessThan(100_000)
    rows.forEach((row, index) => {
      expect(row).toEqual({ id: String(index), text: `line "${index}"\nnext, line` })
    })
  })

  it('keeps a well-formed file of what it accepted when the run is aborted mid-batch', async () => {
    const path = join(dir, 'out.csv')
    const sink = csvSink({ path })
    const { spec, counter } = counted(sink)
    const controller = new AbortController()
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* batches() {
      for (let batch = 0; batch < 1000; batch++) {
        if (batch === 20) controller.abort()
        yield Array.from({ length: 500 }, (_, offset) => ({
          id: batch * 500 + offset,
          pad: 'p'.repeat(300),
        }))
      }
    })
    graph.addEdge(source, graph.addNode(spec, { queueSize: 1 }))
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute({
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    const rows = (await readCsv(path)) as { id: string }[]
    expect(rows.length).toBe(counter.accepted)
    expect(rows.length % 500).toBe(0)
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(500_000)
    expect(rows.map((row) => Number(row.id))).toEqual(rows.map((_, index) => index))
  })

  it('keeps what it accepted when its own error halts the run', async () => {
    const path = join(dir, 'out.csv')
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* records() {
      yield { id: 1 }
      yield { id: 2 }
      yield { id: 3, oops: true }
      yield { id: 4 }
    })
    graph.addEdge(source, graph.addNode(csvSink({ path }), { haltOnException: true, queueSize: 1 }))
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(report.halted).toBe(true)
    expect(sinkError(report)?.code).toBe('CSV_UNKNOWN_COLUMN')
    expect(await readFile(path, 'utf8')).toBe('id\n1\n2\n')
  })
})

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const RECORD_BYTES = killRecordCsv(0).length

/**
 * Starts test/write-until-killed.ts (a plain csvSink writing 67 kB records, 256 per write) and
 * kills it with SIGKILL as soon as the file's size is not at a record boundary, i.e. while the
 * kernel is in the middle of a write. Resolves with the file's size once the child is gone.
 */
async function killMidWrite(path: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/write-until-killed.ts', path], {
    cwd: packageDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<NodeJS.Signals | null>((resolveExit) =>
    child.once('exit', (_, signal) => resolveExit(signal)),
  )
  const deadline = Date.now() + 60_000
  let size = 0
  while (Date.now() < deadline && child.exitCode === null) {
    size = existsSync(path) ? statSync(path).size : 0
    if (size > KILL_HEADER.length && (size - KILL_HEADER.length) % RECORD_BYTES !== 0) break
    // Until the first write, poll every 5 ms; then as often as possible (a write lasts ms).
    if (size === 0) await new Promise((resolveLater) => setTimeout(resolveLater, 5))
    else await new Promise((resolveLater) => setImmediate(resolveLater))
  }
  child.kill('SIGKILL')
  expect(await exited, `the writer exited by itself: ${stderr}`).toBe('SIGKILL')
  return statSync(path).size
}

describe('csvSink after a kill -9 of a plain (non-atomic) run', () => {
  // Guards issue 8 item 9 with a real cut: records appended after it vanished into its open field.
  it('refuses to append after the cut record, and appends once it is truncated away', {
    timeout: 90_000,
  }, async () => {
    const path = join(dir, 'killed.csv')
    const size = await killMidWrite(path)
    const written = size - KILL_HEADER.length
    const complete = Math.floor(written / RECORD_BYTES)
    const cutAt = written % RECORD_BYTES
    // What the child wrote is a prefix of its records; where the kill landed is known.
    const content = await readFile(path, 'utf8')
    let expected = KILL_HEADER
    for (let id = 0; id <= complete; id++) expected += killRecordCsv(id)
    expect(content).toBe(expected.slice(0, size))

    const offset = KILL_HEADER.length + complete * RECORD_BYTES
    const append = () =>
      runNode(csvSink({ path, append: true }), { inputs: [{ id: 'new', text: 'x' }] }).then(
        (run) => run.report,
      )
    if (cutAt > 0) {
      const report = await append()
      const error = sinkError(report)
      expect(error).toMatchObject({ code: 'CSV_INCOMPLETE_RECORD', path, offset })
      // An odd number of quotes in the cut record: it ends inside its quoted field (a cut
      // between the two quotes of an escaped "" is outside, as a reader sees it).
      const inQuotes = (content.slice(offset).split('"').length - 1) % 2 === 1
      expect(error?.message).toContain(
        inQuotes ? 'is cut off inside a quoted field' : 'has no line break at its end',
      )
      expect(statSync(path).size).toBe(size)
      // The recovery the error names: truncate to the offset, then append.
      await truncate(path, offset)
    }
    const report = await append()
    expect(report.exceptions.csvSink).toEqual([])
    const { outputs: items } = await runNode(csvSource({ path }))
    expect(items).toHaveLength(complete + 1)
    expect(items.at(-1)).toEqual({ id: 'new', text: 'x' })
  })
})
