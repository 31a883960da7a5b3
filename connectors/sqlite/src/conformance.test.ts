import { existsSync } from 'node:fs'
import { describeSinkConformance, describeSourceConformance } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { readRows, tempFile } from '../test/helpers.js'
import { sqliteSink } from './sqlite-sink.js'
import { sqliteSource } from './sqlite-source.js'

interface Item {
  id: number
  label: string
}

function readTable(file: string, table: string): unknown[] {
  if (!existsSync(file)) return []
  const found = readRows(
    file,
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${table}'`,
  )
  return found.length === 0 ? [] : readRows(file, `SELECT * FROM "${table}" ORDER BY rowid`)
}

const items = (): Item[] => Array.from({ length: 40 }, (_, id) => ({ id, label: `item ${id}` }))

describeSinkConformance<Item>({
  name: 'sqliteSink (inferred table, batch 7)',
  make: async () => {
    const file = await tempFile()
    return {
      spec: sqliteSink<Item>({ path: file, table: 'items', batchSize: 7 }),
      read: () => readTable(file, 'items'),
    }
  },
  items,
  badItem: { item: 'not a record' as unknown as Item, message: /\[sqlite\] expected a record/ },
})

describeSinkConformance<Item>({
  name: 'sqliteSink (declared upsert into a given database)',
  make: () => {
    const database = new Database(':memory:')
    const spec = sqliteSink<Item>({
      database,
      table: 'items',
      columns: { id: 'INTEGER', label: 'TEXT NOT NULL' },
      primaryKey: 'id',
      mode: 'upsert',
    })
    return {
      spec,
      read: () => database.prepare('SELECT * FROM items ORDER BY id').all(),
      cleanup: () => {
        database.close()
      },
    }
  },
  items,
  badItem: {
    item: { id: 1, label: 'x', extra: true } as Item,
    message: /not a column of table "items"/,
  },
})

/** A database file with a table `numbers` of the integers 0 to 49. */
async function numbersFile(): Promise<string> {
  const file = await tempFile('source.db')
  const database = new Database(file)
  database.exec('CREATE TABLE numbers (n INTEGER)')
  const insert = database.prepare('INSERT INTO numbers VALUES (?)')
  for (let n = 0; n < 50; n++) insert.run(n)
  database.close()
  return file
}

describeSourceConformance({
  name: 'sqliteSource',
  make: async () => {
    const spec = sqliteSource({
      path: await numbersFile(),
      query: 'SELECT n FROM numbers WHERE n < ?',
      params: [100],
    })
    return { spec, expected: 50 }
  },
})

describeSourceConformance({
  name: 'sqliteSource (batches, start argument)',
  make: async () => {
    const spec = sqliteSource({
      path: await numbersFile(),
      query: 'SELECT n FROM numbers WHERE n < @below',
      batchSize: 4,
    })
    return { spec, startArgs: [{ below: 30 }], expected: 8 }
  },
})
