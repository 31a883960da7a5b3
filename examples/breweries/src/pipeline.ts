import {
  AsyncExecutor,
  AsyncGraph,
  type ExecutionReport,
  type Logger,
  type NodeRef,
} from '@graphflow/core'
import { type CsvSinkSpec, csvSink } from '@graphflow/csv'
import {
  type HttpPageInfo,
  type HttpRetryInfo,
  type HttpRetryOptions,
  type HttpSourceSpec,
  type HttpStartArgs,
  httpSource,
} from '@graphflow/http'
import { type SqliteSinkSpec, sqliteSink } from '@graphflow/sqlite'
import { BREWERY_COLUMNS, type Brewery } from './dataset.js'

/** The live Open Brewery DB list endpoint. */
export const LIVE_API_URL = 'https://api.openbrewerydb.org/v1/breweries'

/** Options of {@link buildBreweriesPipeline}. */
export interface BreweriesOptions {
  /** The list endpoint (`.../v1/breweries`). */
  apiUrl: string
  /** The `by_country` filter. */
  country: string
  /** Records per page (the API caps it at 200). */
  perPage: number
  /** Pages fetched at once. */
  concurrency: number
  /** Where the CSV goes; no CSV sink without it. */
  csvPath?: string
  /** Where the SQLite database goes; no SQLite sink without it. */
  sqlitePath?: string
  /** Retry settings of the HTTP source. */
  retry?: HttpRetryOptions
  /** Called before each retry wait. */
  onRetry?: (info: HttpRetryInfo) => void
  /** Called after each page is fetched. */
  onPage?: (info: HttpPageInfo) => void
  /** The first page to fetch (a resumed run starts after what is stored). @default 1 */
  startPage?: number
  /** Append to an existing CSV instead of replacing it (a resumed run). @default false */
  appendCsv?: boolean
  /**
   * Pages to let pass before a sink stores anything, when one sink of a resumed run is ahead
   * of the other: the source restarts after the slower one. @default none
   */
  skipPages?: { csv?: number; sqlite?: number }
}

/** A wired graph, its nodes' live counters, and a way to run it. */
export interface BreweriesPipeline {
  graph: AsyncGraph
  executor: AsyncExecutor
  source: HttpSourceSpec<Brewery[]>
  csv: CsvSinkSpec<Brewery> | undefined
  sqlite: SqliteSinkSpec<Brewery> | undefined
  run(signal?: AbortSignal): Promise<ExecutionReport>
}

/** The SQLite columns: typed, `id` the primary key, so a re-run updates rather than duplicates. */
const SQLITE_COLUMNS: Record<(typeof BREWERY_COLUMNS)[number], string> = {
  id: 'TEXT NOT NULL',
  name: 'TEXT NOT NULL',
  brewery_type: 'TEXT',
  address_1: 'TEXT',
  address_2: 'TEXT',
  address_3: 'TEXT',
  city: 'TEXT',
  state_province: 'TEXT',
  postal_code: 'TEXT',
  country: 'TEXT',
  longitude: 'REAL',
  latitude: 'REAL',
  phone: 'TEXT',
  website_url: 'TEXT',
  state: 'TEXT',
  street: 'TEXT',
}

/**
 * Inserts a node that drops the first `count` pages on their way to `sink` (pages arrive in
 * page order); returns the node the sink should be fed from.
 */
function skipFirst(
  graph: AsyncGraph,
  from: NodeRef<HttpStartArgs, Brewery[]>,
  sink: string,
  count = 0,
): NodeRef<never, Brewery[]> {
  if (count <= 0) return from
  let skipped = 0
  const skip = graph.addNode(
    async function* skipStoredPages(page: Brewery[]) {
      if (skipped < count) skipped++
      else yield page
    },
    { name: `${sink}-resume` },
  )
  graph.addEdge(from, skip)
  return skip
}

/**
 * Open Brewery DB -> CSV and/or SQLite: one paginated HTTP source feeding each sink with one
 * page (an array of breweries) per item.
 */
export function buildBreweriesPipeline(
  options: BreweriesOptions,
  logger: Logger = console,
): BreweriesPipeline {
  if (!options.csvPath && !options.sqlitePath) {
    throw new TypeError('breweries: expected at least one output, "csvPath" or "sqlitePath"')
  }
  const graph = new AsyncGraph()
  const source = httpSource<Brewery>({
    name: 'breweries',
    url: options.apiUrl,
    query: { by_country: options.country },
    pagination: {
      type: 'page',
      param: 'page',
      start: options.startPage ?? 1,
      sizeParam: 'per_page',
      size: options.perPage,
    },
    concurrency: options.concurrency,
    retry: options.retry,
    onRetry: options.onRetry,
    onPage: options.onPage,
  })
  const from = graph.addNode(source)
  const csv = options.csvPath
    ? csvSink<Brewery>({
        name: 'csv',
        path: options.csvPath,
        columns: BREWERY_COLUMNS,
        escapeFormulas: true,
        mkdir: true,
        append: options.appendCsv ?? false,
        // The CSV has the seed's 16 columns: a field the API adds later is left out of it
        // (SQLite keeps it, below) instead of failing every page.
        onUnknownColumn: 'ignore',
      })
    : undefined
  const sqlite = options.sqlitePath
    ? sqliteSink<Brewery>({
        name: 'sqlite',
        path: options.sqlitePath,
        table: 'breweries',
        columns: SQLITE_COLUMNS,
        primaryKey: 'id',
        mode: 'upsert',
        // One transaction per page: a page is committed when the sink's call for it returns,
        // so the checkpoint can count it.
        batchSize: options.perPage,
        onUnknownColumn: 'add',
      })
    : undefined
  if (csv) graph.addEdge(skipFirst(graph, from, 'csv', options.skipPages?.csv), graph.addNode(csv))
  if (sqlite) {
    graph.addEdge(
      skipFirst(graph, from, 'sqlite', options.skipPages?.sqlite),
      graph.addNode(sqlite),
    )
  }
  const executor = new AsyncExecutor(graph, { logger, progressInterval: 200 })
  return { graph, executor, source, csv, sqlite, run: (signal) => executor.execute({ signal }) }
}
