/**
 * Child process of the kill -9 fault test: writes fixed-length records to a CSV file with a
 * plain (non-atomic) csvSink, a batch per call, until it is killed.
 * Usage: node --import tsx test/write-until-killed.ts <path>
 */
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { csvSink } from '../src/index.js'
import { killRecord } from './helpers.js'

const path = process.argv[2]
if (!path) throw new Error('usage: write-until-killed.ts <path>')
const graph = new AsyncGraph()
const source = graph.addNode(async function* batches() {
  for (let batch = 0; ; batch++) {
    yield Array.from({ length: 256 }, (_, index) => killRecord(batch * 256 + index))
  }
})
graph.addEdge(source, graph.addNode(csvSink({ path, columns: ['id', 'text'] })))
await new AsyncExecutor(graph).execute()
