import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectTo, skipReason, startNats, type TestServer } from './nats-server.js'

describe.skipIf(skipReason)('test nats-server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startNats()
  })
  afterAll(() => server?.stop())

  it('serves JetStream on 127.0.0.1', async () => {
    const nc = await connectTo(server.url)
    try {
      expect(nc.info?.jetstream).toBe(true)
      expect(nc.info?.max_payload).toBeGreaterThan(0)
    } finally {
      await nc.close()
    }
  })
})
