// Port of async-graph-data-flow `examples/data_flow_logging.py` (docs: "Data Flow Statistics and
// Logging").
// Shows `turnOnDataFlowLogging({ timeInterval, nodeFilter })`: while the run lasts, the counts of
// the filtered nodes are logged every `timeInterval` seconds, and once more at the end.
// Timings are scaled down from seconds to tens of milliseconds.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface DataFlowLoggingResult {
  /** What data-flow logging wrote through `logger.info`. */
  logLines: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints and logs. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<DataFlowLoggingResult> {
  const logLines: string[] = []
  const logger = {
    info: (line: string) => {
      logLines.push(line)
      print(`INFO:graphflow:${line}`)
    },
    error: (line: string) => print(`ERROR:graphflow:${line}`),
  }

  async function* extract() {
    for (let i = 0; i < 3; i++) {
      await setTimeout(60)
      yield 'hello'
    }
  }

  async function* transform(data: string) {
    print(`Transformer received: ${data}`)
    yield data.charAt(0).toUpperCase() + data.slice(1)
  }

  async function* load(data: string) {
    print(`Data in Load: ${data}`)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1 })
  graph.addNode(transform)
  graph.addNode(load)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const executor = new AsyncExecutor(graph, { logger })

  executor.turnOnDataFlowLogging({ timeInterval: 0.05, nodeFilter: ['transform', 'load'] })
  const report = await executor.execute()
  return { logLines, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load"],"load":[]}
// INFO:graphflow: transform - in=0, out=0, err=0
// INFO:graphflow: load - in=0, out=0, err=0
// Transformer received: hello
// Data in Load: Hello
// INFO:graphflow: transform - in=1, out=1, err=0
// INFO:graphflow: load - in=1, out=1, err=0
// ...
// INFO:graphflow: transform - in=3, out=3, err=0
// INFO:graphflow: load - in=3, out=3, err=0

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
