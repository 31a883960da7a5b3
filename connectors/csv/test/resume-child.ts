/**
 * A load run in a child process by csv-sink-resume.test.ts, which kills it with SIGKILL at a
 * random moment and runs it again until it completes. Arguments: the CSV path, the checkpoint
 * file path, a JSON object of settings ({ pages, size, maxTasks }). Prints "started" once rows
 * flow and "done" when the run completed.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  AsyncExecutor,
  AsyncGraph,
  checkpoint,
  fileCheckpointStore,
  type NodeContext,
} from '@graphflow/core'
import { csvSink } from '../src/index.js'
import { resumeRecord } from './helpers.js'

const [path, checkpoints, json] = process.argv.slice(2) as [string, string, string]
const settings = JSON.parse(json) as { pages: number; size: number; maxTasks: number }

let after = 0
const graph = new AsyncGraph()
const pages = graph.addNode({
  name: 'pages',
  open(context: NodeContext) {
    after = (context.resumeFrom as { page: number } | undefined)?.page ?? 0
  },
  async *fn() {
    for (let page = after + 1; page <= settings.pages; page++) {
      if (page % 100 === 0) await sleep(1)
      for (let row = 1; row <= settings.size; row++) yield resumeRecord(page, row)
      yield checkpoint({ page })
      if (page === after + 1) console.log('started')
    }
  },
})
const shuffle = graph.addNode(
  async function* shuffle(record: ReturnType<typeof resumeRecord>) {
    if (settings.maxTasks > 1) await sleep(Math.random() * 3)
    yield record
  },
  { maxTasks: settings.maxTasks },
)
graph.addEdge(pages, shuffle)
graph.addEdge(shuffle, graph.addNode(csvSink({ path })))
const report = await new AsyncExecutor(graph).execute({
  checkpoints: { store: fileCheckpointStore(checkpoints) },
})
if (!report.ok) {
  console.error(JSON.stringify(report.exceptions))
  process.exit(1)
}
console.log('done')
