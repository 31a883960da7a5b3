import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeSinkConformance, describeSourceConformance } from '@graphflow/testkit'
import { readCsv, tempDir } from '../test/helpers.js'
import { csvSink } from './csv-sink.js'
import { csvSource } from './csv-source.js'

const items = (): Record<string, unknown>[] =>
  Array.from({ length: 8 }, (_, id) => ({ id, name: `name ${id}, "quoted"\n` }))

/** A sink writing to a fresh temp dir; `read` parses the file back, one row per record. */
async function sinkFixture(atomic: boolean) {
  const { dir, cleanup } = await tempDir()
  const path = join(dir, 'out.csv')
  return {
    spec: csvSink({ path, columns: ['id', 'name'], atomic }),
    read: () => readCsv(path),
    cleanup,
  }
}

describeSinkConformance({
  name: 'csvSink',
  make: () => sinkFixture(false),
  items,
  badItem: { item: { id: 1, unknown: 'x' }, message: /unknown column 'unknown'.*out\.csv/ },
})

describeSinkConformance({
  name: 'csvSink (atomic)',
  make: () => sinkFixture(true),
  items,
  skip: [
    {
      test: 'close-after-halt',
      reason:
        'atomic is all or nothing: a halted run leaves the target untouched (tested in csv-sink-append.test.ts)',
    },
    {
      test: 'close-after-abort',
      reason:
        'atomic is all or nothing: an aborted run leaves the target untouched (tested in csv-sink-append.test.ts)',
    },
  ],
})

async function sourceFixture(options: { batchSize?: number; fromArgs?: boolean }) {
  const { dir, cleanup } = await tempDir()
  const path = join(dir, 'in.csv')
  await writeFile(
    path,
    `id,name\n${Array.from({ length: 10 }, (_, id) => `${id},"n ${id}"`).join('\n')}\n`,
  )
  const spec = options.fromArgs
    ? csvSource({ batchSize: options.batchSize })
    : csvSource({ path, batchSize: options.batchSize })
  return {
    spec,
    startArgs: options.fromArgs ? [path] : [],
    expected: options.batchSize ? Math.ceil(10 / options.batchSize) : 10,
    cleanup,
  }
}

describeSourceConformance({ name: 'csvSource', make: () => sourceFixture({}) })
describeSourceConformance({
  name: 'csvSource (batches)',
  make: () => sourceFixture({ batchSize: 3 }),
})
describeSourceConformance({
  name: 'csvSource (path argument)',
  make: () => sourceFixture({ fromArgs: true }),
})
