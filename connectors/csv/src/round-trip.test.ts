import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers.js'
import { csvSink } from './csv-sink.js'
import type { CsvSinkOptions } from './csv-sink-options.js'
import { csvSource } from './csv-source.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const nasty = [
  'plain',
  'comma, inside',
  'semi;colon',
  'quote " inside',
  '"fully quoted"',
  '""',
  'line\nbreak',
  'windows\r\nbreak',
  'lone\rcarriage',
  ' leading and trailing ',
  'accents: àéîõü ß Ç ñ',
  'emoji: 😀👍🏽 🇫🇷 👨‍👩‍👧',
  'tab\tinside',
  '',
  '#not a comment',
  'trailing comma,',
  '\\backslash\\',
]

function records() {
  return nasty.map((text, index) => ({
    id: index,
    text,
    missing: index % 2 === 0 ? null : undefined,
    number: index % 3 === 0 ? -(index + 1) * 1.25 : index * 1_000_000,
  }))
}

async function roundTrip(sinkOptions: CsvSinkOptions, batched: boolean) {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* items() {
    if (batched) yield records()
    else yield* records()
  })
  graph.addEdge(source, graph.addNode(csvSink(sinkOptions)))
  const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
  expect(report.dataFlowStats.csvSink?.err).toBe(0)
}

const expected = () =>
  records().map((record) => ({
    id: String(record.id),
    text: record.text,
    missing: '',
    number: String(record.number),
  }))

describe('round trip csvSink -> csvSource', () => {
  it('gives back every nasty value, one record per call', async () => {
    const path = join(dir, 'out.csv')
    await roundTrip({ path }, false)
    const { outputs: items, report } = await runNode(csvSource({ path }))
    expect(report.dataFlowStats.csvSource?.err).toBe(0)
    expect(items).toEqual(expected())
  })

  it('gives back every nasty value with arrays per call, a BOM, CRLF, quotes and ;', async () => {
    const path = join(dir, 'out.csv')
    await roundTrip(
      { path, bom: true, recordDelimiter: '\r\n', quoted: true, delimiter: ';' },
      true,
    )
    const { outputs: items } = await runNode(csvSource({ path, delimiter: ';' }))
    expect(items).toEqual(expected())
  })

  it('gives back numbers as numbers with cast: true', async () => {
    const path = join(dir, 'out.csv')
    await roundTrip({ path, columns: ['id', 'number'], onUnknownColumn: 'ignore' }, true)
    const { outputs: items } = await runNode(csvSource({ path, cast: true }))
    expect(items).toEqual(records().map(({ id, number }) => ({ id, number })))
  })

  // Guards: a one-column record with an empty value was written as an empty line, lost on read.
  it('writes a one-column record with an empty value as "" so that it reads back', async () => {
    const path = join(dir, 'one-column.csv')
    for (const quoted of [false, true]) {
      await runNode(csvSink({ path, columns: ['a'], quoted }), {
        inputs: [{ a: 'x' }, { a: '' }, { a: null }, { a: 'y' }],
      })
      const { outputs: items } = await runNode(csvSource({ path }))
      expect(items).toEqual([{ a: 'x' }, { a: '' }, { a: '' }, { a: 'y' }])
    }
    expect(await readFile(path, 'utf8')).toBe('"a"\n"x"\n""\n""\n"y"\n')
  })
})
