// Throughput of sqliteSink against a hand-written better-sqlite3 loop.
//
//   pnpm bench                      1,000,000 rows of 16 columns, best of 3 rounds
//   BENCH_ROWS=200000 BENCH_ROUNDS=1 pnpm bench
//
// baseline:  one prepared INSERT with positional arguments, one transaction per batch
// candidate: a graph, a source node yielding arrays of records -> sqliteSink (same batch size)
// Both read the same pre-built records (no allocation while timing) into a fresh file in WAL mode.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import Database from 'better-sqlite3'
import { sqliteSink } from '../src/index.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const BATCH_SIZE = 1000
const TARGET = 0.8
const POOL_SIZE = 10_000

/** The 16 columns of an Open Brewery DB record (the seed example's CSV columns). */
interface Brewery {
  id: string
  name: string
  brewery_type: string
  address_1: string
  address_2: string | null
  address_3: string | null
  city: string
  state_province: string
  postal_code: string
  country: string
  longitude: number
  latitude: number
  phone: string
  website_url: string
  state: string
  street: string
}

const COLUMNS: Record<keyof Brewery, string> = {
  id: 'TEXT',
  name: 'TEXT',
  brewery_type: 'TEXT',
  address_1: 'TEXT',
  address_2: 'TEXT',
  address_3: 'TEXT',
  city: 'TEXT',
  state_province: 'TEXT',
  postal_code: 'TEXT',
  country: 'TEXT',
  longitude: 'REAL',
  latitude: 'REAL',
  phone: 'TEXT',
  website_url: 'TEXT',
  state: 'TEXT',
  street: 'TEXT',
}
const TYPES = [
  'micro',
  'nano',
  'regional',
  'brewpub',
  'large',
  'planning',
  'contract',
  'proprietor',
]
const STATES = ['Ohio', 'Oregon', 'Texas', 'Colorado', 'California', 'Maine', 'Vermont', 'Alaska']

function brewery(index: number): Brewery {
  const state = STATES[index % STATES.length] as string
  const street = `${100 + (index % 9000)} Main St`
  return {
    id: `b-${index.toString(36).padStart(8, '0')}-${(index * 2654435761) % 1e9}`,
    name: `Brewery number ${index} of ${state}`,
    brewery_type: TYPES[index % TYPES.length] as string,
    address_1: street,
    address_2: index % 3 === 0 ? `Suite ${index % 500}` : null,
    address_3: null,
    city: `City ${index % 700}`,
    state_province: state,
    postal_code: String(10000 + (index % 89999)),
    country: 'United States',
    longitude: -120 + (index % 5000) / 97.3,
    latitude: 30 + (index % 3000) / 113.7,
    phone: String(5550000000 + index),
    website_url: `https://brewery-${index}.example.com`,
    state,
    street,
  }
}

// The first records of the pool have every column set, so the sink infers the same types.
const POOL: Brewery[] = Array.from({ length: POOL_SIZE }, (_, index) => ({
  ...brewery(index),
  ...(index === 0 ? { address_2: 'Suite 1', address_3: 'Floor 2' } : {}),
}))

const directory = mkdtempSync(join(tmpdir(), 'graphflow-sqlite-bench-'))
let fileCount = 0
const freshFile = () => join(directory, `bench-${fileCount++}.db`)

function countRows(file: string): number {
  const database = new Database(file, { readonly: true })
  const { n } = database.prepare('SELECT count(*) AS n FROM breweries').get() as { n: number }
  database.close()
  return n
}

function schemaOf(file: string): string {
  const database = new Database(file, { readonly: true })
  const columns = database
    .prepare("SELECT name, type FROM pragma_table_info('breweries')")
    .all() as { name: string; type: string }[]
  database.close()
  return columns.map(({ name, type }) => `${name} ${type}`).join(', ')
}

function baseline(file: string): number {
  const started = performance.now()
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  const names = Object.keys(COLUMNS)
  database.exec(
    `CREATE TABLE breweries (${names.map((name) => `"${name}" ${COLUMNS[name as keyof Brewery]}`).join(', ')})`,
  )
  const insert = database.prepare(
    `INSERT INTO breweries (${names.map((name) => `"${name}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
  )
  const writeBatch = database.transaction((start: number, end: number) => {
    for (let index = start; index < end; index++) {
      const b = POOL[index % POOL_SIZE] as Brewery
      insert.run(
        b.id,
        b.name,
        b.brewery_type,
        b.address_1,
        b.address_2,
        b.address_3,
        b.city,
        b.state_province,
        b.postal_code,
        b.country,
        b.longitude,
        b.latitude,
        b.phone,
        b.website_url,
        b.state,
        b.street,
      )
    }
  })
  for (let start = 0; start < ROWS; start += BATCH_SIZE)
    writeBatch(start, Math.min(start + BATCH_SIZE, ROWS))
  database.close()
  return performance.now() - started
}

async function candidate(file: string, perRecord: boolean): Promise<number> {
  const started = performance.now()
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* breweries() {
    if (perRecord) {
      for (let index = 0; index < ROWS; index++) yield POOL[index % POOL_SIZE] as Brewery
      return
    }
    for (let start = 0; start < ROWS; start += BATCH_SIZE) {
      const page: Brewery[] = []
      const end = Math.min(start + BATCH_SIZE, ROWS)
      for (let index = start; index < end; index++) page.push(POOL[index % POOL_SIZE] as Brewery)
      yield page
    }
  })
  const sink = sqliteSink<Brewery>({ path: file, table: 'breweries', batchSize: BATCH_SIZE })
  graph.addEdge(source, graph.addNode(sink))
  const report = await new AsyncExecutor(graph).execute()
  const elapsed = performance.now() - started
  const errors = Object.values(report.exceptions).flat()
  if (errors.length > 0) throw errors[0]
  if (sink.stats.records !== ROWS)
    throw new Error(`wrote ${sink.stats.records} rows, expected ${ROWS}`)
  return elapsed
}

const rate = (ms: number) => Math.round(ROWS / (ms / 1000))
const format = (value: number) => value.toLocaleString('en-US')

async function main(): Promise<void> {
  console.log(
    `sqliteSink benchmark: ${format(ROWS)} rows x 16 columns, batch ${BATCH_SIZE}, best of ${ROUNDS} round(s)`,
  )
  const best = {
    baseline: Number.POSITIVE_INFINITY,
    arrays: Number.POSITIVE_INFINITY,
    records: Number.POSITIVE_INFINITY,
  }
  let baselineSchema = ''
  let sinkSchema = ''
  for (let round = 0; round < ROUNDS; round++) {
    const baselineFile = freshFile()
    best.baseline = Math.min(best.baseline, baseline(baselineFile))
    if (countRows(baselineFile) !== ROWS) throw new Error('baseline row count mismatch')
    baselineSchema = schemaOf(baselineFile)
    const arraysFile = freshFile()
    best.arrays = Math.min(best.arrays, await candidate(arraysFile, false))
    if (countRows(arraysFile) !== ROWS) throw new Error('candidate row count mismatch')
    sinkSchema = schemaOf(arraysFile)
    best.records = Math.min(best.records, await candidate(freshFile(), true))
    for (const name of readdirSync(directory)) rmSync(join(directory, name), { force: true })
  }
  if (baselineSchema !== sinkSchema)
    console.log(`WARN: schemas differ:\n  ${baselineSchema}\n  ${sinkSchema}`)
  const ratio = rate(best.arrays) / rate(best.baseline)
  const perRecordRatio = rate(best.records) / rate(best.baseline)
  console.log(
    `baseline  (hand-written better-sqlite3 loop):      ${format(rate(best.baseline))} rows/s`,
  )
  console.log(
    `candidate (graph, arrays of ${BATCH_SIZE} -> sqliteSink):  ${format(rate(best.arrays))} rows/s  ` +
      `ratio ${ratio.toFixed(2)}x (target ${TARGET}x): ${ratio >= TARGET ? 'PASS' : 'FAIL'}`,
  )
  console.log(
    `info      (graph, one record per item -> sqliteSink): ${format(rate(best.records))} rows/s  ` +
      `ratio ${perRecordRatio.toFixed(2)}x`,
  )
}

try {
  await main()
} finally {
  rmSync(directory, { recursive: true, force: true })
}
process.exitCode = 0
