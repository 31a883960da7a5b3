import {
  AsyncExecutor,
  AsyncGraph,
  type CheckpointStore,
  type ExecutionReport,
  type Logger,
} from '@graphflow/core'
import { type CsvSinkSpec, csvSink } from '@graphflow/csv'
import {
  type HttpPageInfo,
  type HttpRetryInfo,
  type HttpRetryOptions,
  type HttpSourceSpec,
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
  /**
   * How SQLite stores a brewery: `upsert` on `id` (a re-run updates, never duplicates), or plain
   * `insert` without a primary key (the crash tests use it: a row stored twice would show).
   * @default 'upsert'
   */
  sqliteMode?: 'upsert' | 'insert'
}

/** A wired graph, its nodes' live counters, and a way to run it. */
export interface BreweriesPipeline {
  graph: AsyncGraph
  executor: AsyncExecutor
  source: HttpSourceSpec<Brewery[]>
  csv: CsvSinkSpec<Brewery> | undefined
  sqlite: SqliteSinkSpec<Brewery> | undefined
  /**
   * Runs the graph. With `checkpoints` the load is resumable: the source saves a position after
   * each page once every sink stored it, and a run with the same store goes on after it.
   */
  run(
    signal?: AbortSignal,
    checkpoints?: { store: CheckpointStore; key: string },
  ): Promise<ExecutionReport>
}

/** The SQLite columns: typed, `id` the primary key, so a re-run updates rather than duplicates. */
export const SQLITE_COLUMNS: Record<(typeof BREWERY_COLUMNS)[number], string> = {
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
        ...(options.sqliteMode === 'insert'
          ? { mode: 'insert' as const }
          : { primaryKey: 'id', mode: 'upsert' as const }),
        // One transaction per page.
        batchSize: options.perPage,
        onUnknownColumn: 'add',
      })
    : undefined
  // A resumed run: the source starts after the last page every sink stored, a sink that got
  // further is not handed the pages it has (core), the CSV is cut to its saved size (csvSink).
  if (csv) graph.addEdge(from, graph.addNode(csv))
  if (sqlite) graph.addEdge(from, graph.addNode(sqlite))
  const executor = new AsyncExecutor(graph, { logger, progressInterval: 200 })
  return {
    graph,
    executor,
    source,
    csv,
    sqlite,
    run: (signal, checkpoints) => executor.execute({ signal, checkpoints }),
  }
}
