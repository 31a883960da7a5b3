// `pnpm --filter @graphflow/nats bench:scaling`: only the scaling rows of the benchmark.
import { startNats } from '../test/nats-server.js'
import { scaling } from './scaling.js'

const server = await startNats()
try {
  await scaling(server.url)
} finally {
  await server.stop()
}
