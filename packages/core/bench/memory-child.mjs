// Runs N items (numbers, or small objects with `objects`) through source -> map -> sink with default queues and prints peak RSS (MB).
// Plain JavaScript on purpose: no TypeScript loader in the process being measured.
import { AsyncExecutor, AsyncGraph } from '../dist/index.js'

const count = Number(process.argv[2] ?? 5_000_000)
const objects = process.argv[3] === 'objects'
let total = 0
const graph = new AsyncGraph()
graph.addNode(async function* source() {
  for (let index = 0; index < count; index++)
    yield objects ? { index, payload: `item-${index}` } : index
})
graph.addNode(async function* map(item) {
  yield objects ? { ...item, mapped: true } : item + 1
})
graph.addNode(async function* sink(item) {
  total += objects ? item.index : item
})
graph.addEdge('source', 'map').addEdge('map', 'sink')
const started = performance.now()
const report = await new AsyncExecutor(graph, { logger: { info() {}, error() {} } }).execute()
const seconds = (performance.now() - started) / 1000
process.stdout.write(
  JSON.stringify({
    count,
    total,
    sinkIn: report.dataFlowStats.sink.in,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    itemsPerSecond: count / seconds,
  }),
)
