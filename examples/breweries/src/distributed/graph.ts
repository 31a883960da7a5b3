/**
 * The breweries graph spread over processes with `@graphflow/nats`: every worker process
 * imports this module (`graphflow-nats run src/distributed/graph.ts --role <role> ...`).
 *
 *   breweries (HTTP source, one record per item)  role "fetch"
 *     -> geocode (a simulated geocoder: waits, I/O-bound, maxTasks 8)  role "enrich", N replicas
 *     -> store (SQLite, upsert on id: a redelivered record updates its row)  role "store"
 *
 * Configured by environment variables, the same in every process (`start.ts` sets them):
 * `BREWERIES_API_URL` (required), `BREWERIES_DB` (required, the SQLite file),
 * `BREWERIES_COUNTRY` (default `United States`), `BREWERIES_GEOCODE_MS` (default 20: the
 * geocoder's latency per record) and `BREWERIES_ENRICH_REPLICAS` (default 2).
 */
import { AsyncGraph } from '@graphflow/core'
import { httpSource } from '@graphflow/http'
import type { Deployment, WorkerModuleOptions } from '@graphflow/nats'
import { sqliteSink } from '@graphflow/sqlite'
import type { Brewery } from '../dataset.js'
import { SQLITE_COLUMNS } from '../pipeline.js'

/** A brewery with coordinates, and who gave them. */
export interface GeocodedBrewery extends Brewery {
  /** `source` when the API had coordinates, `simulated` when the geocoder made them. */
  geocoder: 'source' | 'simulated'
}

/** The SQLite columns: typed, `id` the primary key. */
export const GEOCODED_COLUMNS: Record<keyof GeocodedBrewery, string> = {
  ...SQLITE_COLUMNS,
  geocoder: 'TEXT NOT NULL',
}

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback
  if (value === undefined || value === '') {
    throw new TypeError(`${name}: expected the environment variable to be set, got nothing`)
  }
  return value
}

function integerSetting(name: string, fallback: number, min: number): number {
  const text = setting(name, String(fallback))
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`${name}: expected an integer >= ${min}, got "${text}"`)
  }
  return value
}

/** A deterministic point in the contiguous United States for a place (the same place, the same point). */
export function simulatedCoordinates(place: string): { latitude: number; longitude: number } {
  let hash = 2166136261
  for (let index = 0; index < place.length; index++) {
    hash = Math.imul(hash ^ place.charCodeAt(index), 16777619)
  }
  const unit = (hash >>> 0) / 2 ** 32
  const other = (Math.imul(hash, 2654435761) >>> 0) / 2 ** 32
  return {
    latitude: Math.round((25 + unit * 24) * 1e6) / 1e6,
    longitude: Math.round((-124 + other * 57) * 1e6) / 1e6,
  }
}

const geocodeMs = integerSetting('BREWERIES_GEOCODE_MS', 20, 0)

/**
 * The simulated geocoder: one remote call per record (`geocodeMs` of waiting), so the node is
 * I/O-bound and scales with replicas. Deterministic: a redelivered record gets the same row.
 */
async function* geocode(brewery: Brewery): AsyncGenerator<GeocodedBrewery> {
  await new Promise((resolve) => setTimeout(resolve, geocodeMs))
  if (brewery.latitude !== null && brewery.longitude !== null) {
    yield { ...brewery, geocoder: 'source' }
    return
  }
  const place = `${brewery.street ?? ''}|${brewery.city}|${brewery.state_province}`
  yield { ...brewery, ...simulatedCoordinates(place), geocoder: 'simulated' }
}

export const graph = new AsyncGraph()
const breweries = graph.addNode(
  httpSource<Brewery>({
    name: 'breweries',
    url: setting('BREWERIES_API_URL'),
    query: { by_country: setting('BREWERIES_COUNTRY', 'United States') },
    pagination: { type: 'page', param: 'page', sizeParam: 'per_page', size: 200 },
    yield: 'records',
  }),
)
const enrich = graph.addNode(geocode, { maxTasks: 8 })
// Batches of rows in one transaction each; a message is acknowledged once its rows are
// committed (a partial batch is committed once the sink's input stayed empty for its linger).
const store = graph.addNode(
  sqliteSink<GeocodedBrewery>({
    name: 'store',
    path: setting('BREWERIES_DB'),
    table: 'breweries',
    columns: GEOCODED_COLUMNS,
    primaryKey: 'id',
    mode: 'upsert',
  }),
)
graph.addEdge(breweries, enrich).addEdge(enrich, store)

export const deployment: Deployment = {
  roles: {
    fetch: { nodes: ['breweries'] },
    enrich: { nodes: ['geocode'], replicas: integerSetting('BREWERIES_ENRICH_REPLICAS', 2, 1) },
    store: { nodes: ['store'] },
  },
}

/**
 * Small messages (20 records) spread the geocoder's input evenly over its replicas; a replica
 * holds at most 4 of them.
 */
export const workerOptions: WorkerModuleOptions = {
  publish: { maxItems: 20 },
  consume: { prefetch: 4 },
}
