import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BREWERY_COLUMNS, BREWERY_TYPES, type Brewery, generateBreweries } from '../src/dataset.js'
import { type FaultPlan, type ReplayServer, startReplayServer } from '../src/replay-server.js'

const US = 'United States'

interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** GET over a fresh connection (no keep-alive), so socket faults are observed exactly once. */
function rawGet(url: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('aborted', () => reject(new Error('aborted')))
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const expected = Number(response.headers['content-length'])
        if (Buffer.byteLength(body) !== expected) reject(new Error('truncated body'))
        else resolve({ status: response.statusCode ?? 0, headers: response.headers, body })
      })
    })
    request.on('error', reject)
    request.end()
  })
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as T }
}

function listUrl(server: ReplayServer, query: Record<string, string | number>): string {
  const search = Object.entries(query)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&')
  return `${server.apiUrl}?${search}`
}

describe('generateBreweries', () => {
  const breweries = generateBreweries()

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateBreweries({ seed: 42, count: 300 })).toEqual(
      generateBreweries({ seed: 42, count: 300 }),
    )
    expect(generateBreweries({ seed: 43, count: 300 })).not.toEqual(
      generateBreweries({ seed: 42, count: 300 }),
    )
    expect(generateBreweries()).toEqual(breweries)
    expect(generateBreweries({ count: 10 })).toHaveLength(10)
  })

  it('has 5000 records by default, 3800 in the United States, unique uuid-like ids', () => {
    expect(breweries).toHaveLength(5000)
    expect(breweries.filter((brewery) => brewery.country === US)).toHaveLength(3800)
    const countries = new Set(breweries.map((brewery) => brewery.country))
    expect([...countries]).toEqual(
      expect.arrayContaining([US, 'Ireland', 'England', 'Germany', 'Poland']),
    )
    expect(new Set(breweries.map((brewery) => brewery.id)).size).toBe(5000)
    for (const brewery of breweries) {
      expect(brewery.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
    }
  })

  it('has the 16 keys in the live order, with consistent types', () => {
    expect(BREWERY_COLUMNS).toHaveLength(16)
    for (const brewery of breweries) {
      expect(Object.keys(brewery)).toEqual([...BREWERY_COLUMNS])
      expect(BREWERY_TYPES).toContain(brewery.brewery_type)
      expect(brewery.state).toBe(brewery.state_province)
      expect(brewery.street).toBe(brewery.address_1)
      expect(brewery.longitude === null || typeof brewery.longitude === 'number').toBe(true)
      expect(brewery.latitude === null || typeof brewery.latitude === 'number').toBe(true)
    }
  })

  it('includes the nasty cases, all of them among the US breweries', () => {
    const unitedStates = breweries.filter((brewery) => brewery.country === US)
    const names = unitedStates.map((brewery) => brewery.name)
    const some = (test: (name: string) => boolean) => names.some(test)
    expect(names).toContain('The "Hop" House')
    expect(names).toContain('’t Drankorgel')
    expect(some((name) => name.includes(','))).toBe(true)
    expect(some((name) => name.includes('\n'))).toBe(true)
    expect(some((name) => name.includes('\r\n'))).toBe(true)
    expect(some((name) => /[À-ž]/.test(name))).toBe(true)
    for (const first of ['=', '+', '-', '@'])
      expect(some((name) => name.startsWith(first))).toBe(true)
    const has = (test: (brewery: Brewery) => boolean) => breweries.some(test)
    expect(has((brewery) => brewery.address_1 === null)).toBe(true)
    expect(has((brewery) => brewery.address_2 !== null)).toBe(true)
    expect(has((brewery) => brewery.phone === null)).toBe(true)
    expect(has((brewery) => brewery.website_url === null)).toBe(true)
    expect(has((brewery) => brewery.latitude === null && brewery.longitude === null)).toBe(true)
    expect(has((brewery) => typeof brewery.latitude === 'number')).toBe(true)
    expect(has((brewery) => brewery.postal_code.startsWith('0'))).toBe(true)
  })
})

describe('replay server', () => {
  const data = generateBreweries()
  const unitedStatesIds = data
    .filter((brewery) => brewery.country === US)
    .map((brewery) => brewery.id)
  let server: ReplayServer

  beforeAll(async () => {
    server = await startReplayServer({ data })
  })
  afterAll(() => server.close())

  it('listens on 127.0.0.1 and exposes the API URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.apiUrl).toBe(`${server.url}/v1/breweries`)
  })

  it('pages through exactly the US breweries, then returns []', async () => {
    const seen: string[] = []
    for (let page = 1; page <= 19; page++) {
      const { status, body } = await getJson<Brewery[]>(
        listUrl(server, { by_country: US, page, per_page: 200 }),
      )
      expect(status).toBe(200)
      expect(body.length).toBe(200)
      seen.push(...body.map((brewery) => brewery.id))
      expect(body.every((brewery) => brewery.country === US)).toBe(true)
    }
    expect(seen).toEqual(unitedStatesIds)
    expect(new Set(seen).size).toBe(3800)
    const past = await getJson<Brewery[]>(
      listUrl(server, { by_country: US, page: 20, per_page: 200 }),
    )
    expect(past.body).toEqual([])
  })

  it('serves records exactly as generated, keys in order', async () => {
    const { body } = await getJson<Brewery[]>(`${server.apiUrl}?per_page=3`)
    expect(body).toEqual(data.slice(0, 3))
    expect(Object.keys(body[0] ?? {})).toEqual([...BREWERY_COLUMNS])
  })

  it('defaults to page 1 and per_page 50, and caps per_page at 200', async () => {
    expect((await getJson<Brewery[]>(server.apiUrl)).body).toEqual(data.slice(0, 50))
    expect((await getJson<Brewery[]>(`${server.apiUrl}?per_page=500`)).body).toHaveLength(200)
    const page2 = await getJson<Brewery[]>(`${server.apiUrl}?page=2&per_page=500`)
    expect(page2.body).toEqual(data.slice(200, 400))
  })

  it('matches by_country case-insensitively with %20, + or _ for spaces', async () => {
    for (const country of ['United%20States', 'united+states', 'united_states', 'UNITED_STATES']) {
      const meta = await getJson<{ total: string }>(`${server.apiUrl}/meta?by_country=${country}`)
      expect(meta.body.total).toBe('3800')
      const page = await getJson<Brewery[]>(`${server.apiUrl}?by_country=${country}&per_page=5`)
      expect(page.body.map((brewery) => brewery.id)).toEqual(unitedStatesIds.slice(0, 5))
    }
    const ireland = await getJson<Brewery[]>(`${server.apiUrl}?by_country=ireland&per_page=200`)
    expect(ireland.body.length).toBeGreaterThan(0)
    expect(ireland.body.every((brewery) => brewery.country === 'Ireland')).toBe(true)
    expect((await getJson<Brewery[]>(`${server.apiUrl}?by_country=atlantis`)).body).toEqual([])
  })

  it('filters by_state and by_type', async () => {
    const oregon = data.filter((brewery) => brewery.state_province === 'Oregon')
    const meta = await getJson<{ total: string }>(`${server.apiUrl}/meta?by_state=oregon`)
    expect(meta.body.total).toBe(String(oregon.length))
    const newYork = await getJson<Brewery[]>(`${server.apiUrl}?by_state=new_york&per_page=200`)
    expect(newYork.body.every((brewery) => brewery.state === 'New York')).toBe(true)
    const micro = await getJson<Brewery[]>(`${server.apiUrl}?by_type=micro&by_country=england`)
    expect(micro.body.length).toBeGreaterThan(0)
    expect(micro.body.every((brewery) => brewery.brewery_type === 'micro')).toBe(true)
    expect(micro.body.every((brewery) => brewery.country === 'England')).toBe(true)
  })

  it('answers meta with string fields like the live API', async () => {
    expect((await getJson(`${server.apiUrl}/meta?by_country=United%20States`)).body).toEqual({
      total: '3800',
      page: '1',
      per_page: '50',
    })
    expect((await getJson(`${server.apiUrl}/meta?page=3&per_page=900`)).body).toEqual({
      total: '5000',
      page: '3',
      per_page: '200',
    })
  })

  it('answers 404 for unknown paths and ids, and finds a brewery by id', async () => {
    const missing = await getJson<{ message: string }>(`${server.url}/v1/pubs`)
    expect(missing.status).toBe(404)
    expect(missing.body.message).toMatch(/^Couldn't find/)
    expect((await getJson(`${server.apiUrl}/no-such-id`)).status).toBe(404)
    const one = await getJson<Brewery>(`${server.apiUrl}/${data[7]?.id}`)
    expect(one.body).toEqual(data[7])
  })

  it('answers 400 for bad page, per_page and by_type', async () => {
    for (const query of [
      'page=abc',
      'page=0',
      'page=-1',
      'per_page=0',
      'per_page=1.5',
      'by_type=pub',
    ]) {
      const { status, body } = await getJson<{ message: string }>(`${server.apiUrl}?${query}`)
      expect(status, query).toBe(400)
      expect(body.message).toEqual(expect.any(String))
    }
  })

  it('counts and logs requests', async () => {
    const before = server.requests.count
    await fetch(`${server.apiUrl}?page=2`)
    await fetch(`${server.url}/nowhere`)
    expect(server.requests.count).toBe(before + 2)
    expect(server.requests.log.slice(-2)).toEqual([
      { number: before + 1, path: '/v1/breweries?page=2', status: 200, fault: null },
      { number: before + 2, path: '/nowhere', status: 404, fault: null },
    ])
  })
})

describe('fault injection', () => {
  const data = generateBreweries({ count: 400, seed: 9 })
  const servers: ReplayServer[] = []

  async function start(faults: FaultPlan, extra: { faultSeed?: number; latencyMs?: number } = {}) {
    const server = await startReplayServer({ data, faults, ...extra })
    servers.push(server)
    return server
  }
  const page = (server: ReplayServer, number: number) =>
    `${server.apiUrl}?page=${number}&per_page=20`

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })

  it('answers an error status on the listed request numbers, once per page', async () => {
    const server = await start([{ kind: 'status', status: 503, on: [2, 5] }])
    const statuses: number[] = []
    for (let number = 1; number <= 6; number++)
      statuses.push((await rawGet(page(server, number))).status)
    expect(statuses).toEqual([200, 503, 200, 200, 503, 200])
    const retry = await rawGet(page(server, 2))
    expect(retry.status).toBe(200)
    expect(JSON.parse(retry.body)).toEqual(data.slice(20, 40))
    expect(server.requests.log.map((entry) => entry.fault)).toEqual([
      null,
      'status',
      null,
      null,
      'status',
      null,
      null,
    ])
  })

  it('answers 429 with Retry-After, then lets the retry through', async () => {
    const server = await start([{ kind: 'retry-after', seconds: 2, on: [1] }])
    const limited = await rawGet(page(server, 1))
    expect(limited.status).toBe(429)
    expect(limited.headers['retry-after']).toBe('2')
    expect(JSON.parse(limited.body)).toEqual({ message: 'Too Many Requests' })
    expect((await rawGet(page(server, 1))).status).toBe(200)
  })

  it('resets the connection before any header', async () => {
    const server = await start([{ kind: 'reset', when: 'before-headers', on: [1] }])
    await expect(rawGet(page(server, 1))).rejects.toThrow()
    expect(server.requests.log[0]).toMatchObject({ status: 0, fault: 'reset' })
    expect((await rawGet(page(server, 1))).status).toBe(200)
  })

  it('resets the connection in the middle of the body', async () => {
    const server = await start([{ kind: 'reset', on: [1] }])
    const response = await fetch(page(server, 1))
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    await expect(rawGet(page(server, 2))).resolves.toMatchObject({ status: 200 })
  })

  it('sends the headers at once and the body late', async () => {
    const server = await start([{ kind: 'slow-body', delayMs: 300, on: [1] }])
    const started = performance.now()
    const response = await fetch(page(server, 1))
    const headersAt = performance.now() - started
    const body = (await response.json()) as Brewery[]
    const bodyAt = performance.now() - started
    expect(headersAt).toBeLessThan(250)
    expect(bodyAt).toBeGreaterThanOrEqual(290)
    expect(body).toEqual(data.slice(0, 20))
  })

  it('sends malformed JSON with a 200 status', async () => {
    const server = await start([{ kind: 'malformed-json', on: [1] }])
    const broken = await rawGet(page(server, 1))
    expect(broken.status).toBe(200)
    expect(broken.headers['content-type']).toMatch(/application\/json/)
    expect(() => JSON.parse(broken.body)).toThrow(SyntaxError)
    expect(JSON.parse((await rawGet(page(server, 1))).body)).toEqual(data.slice(0, 20))
  })

  it('fires rate faults deterministically for a seed', async () => {
    const faultedNumbers = async (faultSeed: number) => {
      const server = await start([{ kind: 'status', status: 500, rate: 0.3 }], { faultSeed })
      for (let number = 1; number <= 20; number++) await rawGet(page(server, number))
      return server.requests.log
        .filter((entry) => entry.status === 500)
        .map((entry) => entry.number)
    }
    const first = await faultedNumbers(5)
    expect(await faultedNumbers(5)).toEqual(first)
    expect(await faultedNumbers(6)).not.toEqual(first)
    expect(first.length).toBeGreaterThan(1)
    expect(first.length).toBeLessThan(15)
  })

  it('repeats on retries only when asked to', async () => {
    const server = await start([{ kind: 'status', status: 502, repeat: true }])
    expect((await rawGet(page(server, 1))).status).toBe(502)
    expect((await rawGet(page(server, 1))).status).toBe(502)
  })

  it('limits faults to their scope', async () => {
    const server = await start([{ kind: 'status', status: 500, on: [1], scope: 'meta' }])
    expect((await rawGet(page(server, 1))).status).toBe(200)
    expect((await rawGet(`${server.apiUrl}/meta`)).status).toBe(500)
    expect((await rawGet(`${server.apiUrl}/meta`)).status).toBe(200)
  })

  it('lets a retrying client read every page despite a heavy fault plan', async () => {
    const server = await start([
      { kind: 'status', status: 503, rate: 0.2 },
      { kind: 'retry-after', seconds: 0, rate: 0.2 },
      { kind: 'reset', rate: 0.2 },
      { kind: 'reset', when: 'before-headers', rate: 0.2 },
      { kind: 'malformed-json', rate: 0.2 },
    ])
    const ids: string[] = []
    for (let number = 1; ; number++) {
      let records: Brewery[] | undefined
      for (let attempt = 1; records === undefined; attempt++) {
        expect(attempt).toBeLessThanOrEqual(2)
        try {
          const response = await rawGet(page(server, number))
          if (response.status === 200) records = JSON.parse(response.body) as Brewery[]
        } catch {}
      }
      if (records.length === 0) break
      ids.push(...records.map((brewery) => brewery.id))
    }
    expect(ids).toEqual(data.map((brewery) => brewery.id))
    expect(server.requests.log.some((entry) => entry.fault !== null)).toBe(true)
  })

  it('waits latencyMs before answering', async () => {
    const server = await start([], { latencyMs: 150 })
    const started = performance.now()
    await rawGet(page(server, 1))
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('rejects an invalid plan', async () => {
    await expect(startReplayServer({ data, faults: [{ kind: 'reset', rate: 2 }] })).rejects.toThrow(
      RangeError,
    )
    await expect(
      startReplayServer({ data, faults: [{ kind: 'status', status: 200, on: [1] }] }),
    ).rejects.toThrow(/status must be 400-599/)
  })

  it('close() destroys open sockets and pending slow bodies', async () => {
    const server = await startReplayServer({
      data,
      faults: [{ kind: 'slow-body', delayMs: 60_000 }],
    })
    const response = await fetch(page(server, 1))
    const started = performance.now()
    await server.close()
    await expect(response.text()).rejects.toThrow()
    expect(performance.now() - started).toBeLessThan(1000)
    await server.close()
  }, 5000)
})
