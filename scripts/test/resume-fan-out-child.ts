// The graph of issue 12's proof, run in a child process by resume-kill.slow.test.ts, which kills
// it with SIGKILL at random moments and runs it again until it completes: a source of pages with
// checkpoints, a transform with maxTasks 4, a fan-out to a csvSink and a sqliteSink (insert
// mode, no primary key), the state in the SQLite database. Arguments: the CSV path, the database
// path, the number of pages. Prints "started" once rows flow and "done" when the run completed.
import { setTimeout as sleep } from 'node:timers/promises'
import { AsyncExecutor, AsyncGraph, checkpoint, type NodeContext } from '@graphflow/core'
import { csvSink } from '@graphflow/csv'
import { sqliteCheckpointStore, sqliteSink } from '@graphflow/sqlite'

const [csvPath, database, pageCount] = process.argv.slice(2) as [string, string, string]
const pages = Number(pageCount)

interface Row {
  id: string
  page: number
  row: number
}

let after = 0
const graph = new AsyncGraph()
const source = graph.addNode({
  name: 'pages',
  open(context: NodeContext) {
    after = (context.resumeFrom as { page: number } | undefined)?.page ?? 0
  },
  async *fn() {
    for (let page = after + 1; page <= pages; page++) {
      if (page % 100 === 0) await sleep(1)
      for (let row = 1; row <= 4; row++) yield { id: `p${page}r${row}`, page, row }
      yield checkpoint({ page })
      if (page === after + 1) console.log('started')
    }
  },
})
const enrich = graph.addNode(
  async function* enrich(row: Row) {
    if (Math.random() < 0.2) await sleep(Math.random() * 2)
    yield row
  },
  { maxTasks: 4 },
)
graph.addEdge(source, enrich)
graph.addEdge(enrich, graph.addNode(csvSink<Row>({ path: csvPath })))
graph.addEdge(enrich, graph.addNode(sqliteSink<Row>({ path: database, table: 'rows' })))
const store = sqliteCheckpointStore({ path: database })
const report = await new AsyncExecutor(graph).execute({ checkpoints: { store } })
store.close()
if (!report.ok) {
  console.error(JSON.stringify(report.exceptions))
  process.exit(1)
}
console.log('done')
