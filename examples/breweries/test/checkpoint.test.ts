import { describe, expect, it } from 'vitest'
import {
  mismatch,
  moveOfflinePositions,
  type RunKey,
  redactUrl,
  runRecord,
  storedBySink,
} from '../src/checkpoint.js'

const key: RunKey = {
  apiUrl: 'https://api.test/v1/breweries?api_key=SECRET1',
  country: 'United States',
  perPage: 200,
  csv: '/out/us.csv',
  sqlite: undefined,
}

describe('redactUrl', () => {
  // Guards the trial's finding: what the state file keeps of --api-url shows no secret.
  it('hides userinfo and secret-looking query values, keeps the rest', () => {
    expect(
      redactUrl('https://me:pw@api.test/v1/breweries?api_key=S1&access_token=S2&by_country=US'),
    ).toBe('https://***:***@api.test/v1/breweries?api_key=***&access_token=***&by_country=US')
    expect(redactUrl('http://127.0.0.1:8080/v1/breweries')).toBe(
      'http://127.0.0.1:8080/v1/breweries',
    )
    expect(redactUrl('offline')).toBe('offline')
  })
})

describe('mismatch', () => {
  it('names what differs, never a secret', () => {
    const saved = runRecord(key)
    expect(JSON.stringify(saved)).not.toContain('SECRET1')
    expect(mismatch(saved, key)).toBeUndefined()
    expect(mismatch(saved, { ...key, country: 'Ireland' })).toBe(
      'country was "United States", now "Ireland"',
    )
    expect(mismatch(saved, { ...key, perPage: 50 })).toBe('perPage was 200, now 50')
    expect(mismatch(saved, { ...key, sqlite: '/out/us.db' })).toBe(
      'sqlite was not given, now "/out/us.db"',
    )
    const other = mismatch(saved, { ...key, apiUrl: key.apiUrl.replace('SECRET1', 'SECRET2') })
    expect(other).toBe(
      'apiUrl was "https://api.test/v1/breweries?api_key=***", now "https://api.test/v1/breweries?api_key=***" (they differ in a part that is not shown)',
    )
  })
})

describe('storedBySink', () => {
  const state = {
    format: 'graphflow-resume',
    version: 1,
    sources: {
      breweries: {
        csv: { position: { pages: 3, records: 600, next: { page: 4 } }, seq: 3, data: { size: 9 } },
        sqlite: { position: null, seq: 0, data: { rowid: 0 } },
      },
    },
  }

  it("reads each sink's pages and records from the httpSource positions", () => {
    expect(storedBySink(state, ['csv', 'sqlite'])).toEqual({
      csv: { pages: 3, records: 600, done: false, size: 9 },
      sqlite: { pages: 0, records: 0, done: false },
    })
    expect(storedBySink(undefined, ['csv'])).toEqual({
      csv: { pages: 0, records: 0, done: false },
    })
  })

  it('moves an offline state to the replay server of this run', () => {
    const offline = structuredClone(state)
    Object.assign(offline.sources.breweries.csv.position, {
      for: { url: 'http://127.0.0.1:40001/v1/breweries?by_country=United+States' },
    })
    expect(moveOfflinePositions(offline, 'http://127.0.0.1:40002/v1/breweries')).toBe(true)
    expect(offline.sources.breweries.csv.position).toMatchObject({
      for: { url: 'http://127.0.0.1:40002/v1/breweries?by_country=United+States' },
    })
    expect(moveOfflinePositions(offline, 'http://127.0.0.1:40002/v1/breweries')).toBe(false)
  })
})
