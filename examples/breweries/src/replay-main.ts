/**
 * Runs the offline Open Brewery DB replay server until Ctrl-C.
 *
 * Usage: `tsx src/replay-main.ts [--port 8787] [--host 127.0.0.1] [--count 5000] [--seed N]
 * [--latency-ms 0] [--fault-rate 0]`
 *
 * `--fault-rate` injects, each at that seeded rate, 503s, 429s with `Retry-After: 1`, mid-body
 * resets and malformed JSON (first attempt of a page only, so retrying clients get through).
 */
import { parseArgs } from 'node:util'
import { generateBreweries } from './dataset.js'
import type { FaultPlan } from './fault-plan.js'
import { startReplayServer } from './replay-server.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    count: { type: 'string', default: '5000' },
    seed: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'fault-rate': { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(
    'Usage: tsx src/replay-main.ts [--port 8787] [--host 127.0.0.1] [--count 5000] [--seed N] ' +
      '[--latency-ms 0] [--fault-rate 0]',
  )
  process.exit(0)
}

const faultRate = numberOption('fault-rate', values['fault-rate'])
const faults: FaultPlan =
  faultRate > 0
    ? [
        { kind: 'status', status: 503, rate: faultRate },
        { kind: 'retry-after', seconds: 1, rate: faultRate },
        { kind: 'reset', rate: faultRate },
        { kind: 'malformed-json', rate: faultRate },
      ]
    : []
const server = await startReplayServer({
  data: generateBreweries({
    count: numberOption('count', values.count),
    ...(values.seed === undefined ? {} : { seed: numberOption('seed', values.seed) }),
  }),
  host: values.host,
  port: numberOption('port', values.port),
  latencyMs: numberOption('latency-ms', values['latency-ms']),
  faults,
})

console.log(`Replay server listening at ${server.url}`)
console.log(`Try: curl '${server.apiUrl}?by_country=United%20States&page=1&per_page=200'`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\nServed ${server.requests.count} requests; shutting down.`)
    void server.close().then(() => process.exit(0))
  })
}

function numberOption(name: string, text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) {
    console.error(`--${name} must be a number, got ${JSON.stringify(text)}`)
    process.exit(2)
  }
  return value
}
