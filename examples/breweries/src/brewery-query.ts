import { BREWERY_TYPES, type Brewery, type BreweryType } from './dataset.js'

/** `per_page` when the request gives none, like the live API. */
export const DEFAULT_PER_PAGE = 50

/** The live API silently caps `per_page` at this value. */
export const MAX_PER_PAGE = 200

/** A validated `GET /v1/breweries` (or `/meta`) query. */
export interface BreweryQuery {
  /** 1-based page number. */
  page: number
  /** Records per page, already capped at {@link MAX_PER_PAGE}. */
  perPage: number
  /** Normalized by {@link normalizeFilterValue}; `undefined` when absent. */
  byCountry: string | undefined
  /** Normalized by {@link normalizeFilterValue}; `undefined` when absent. */
  byState: string | undefined
  byType: BreweryType | undefined
}

/** Either a query or the reason the request is a 400. */
export type BreweryQueryResult = { ok: true; query: BreweryQuery } | { ok: false; message: string }

/**
 * Lower-cases a filter value and treats `_`, `+` and runs of whitespace as one space, so
 * `United%20States`, `united+states` and `united_states` all match `United States`.
 */
export function normalizeFilterValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[_+\s]+/g, ' ')
    .trim()
}

/** Parses `page`, `per_page`, `by_country`, `by_state` and `by_type`; ignores other parameters. */
export function parseBreweryQuery(params: URLSearchParams): BreweryQueryResult {
  const page = parsePositiveInteger(params.get('page'), 1)
  if (page === undefined) return invalid('page', params.get('page'))
  const perPage = parsePositiveInteger(params.get('per_page'), DEFAULT_PER_PAGE)
  if (perPage === undefined) return invalid('per_page', params.get('per_page'))
  const type = params.get('by_type')?.trim() || null
  const byType =
    type === null ? undefined : BREWERY_TYPES.find((item) => item === type.toLowerCase())
  if (type !== null && byType === undefined) {
    return {
      ok: false,
      message: `Brewery type must include one of these types: ${JSON.stringify(BREWERY_TYPES)}`,
    }
  }
  return {
    ok: true,
    query: {
      page,
      perPage: Math.min(perPage, MAX_PER_PAGE),
      byCountry: optionalFilter(params.get('by_country')),
      byState: optionalFilter(params.get('by_state')),
      byType,
    },
  }
}

/** The breweries matching the query's filters, in dataset order (paging not applied). */
export function filterBreweries(data: readonly Brewery[], query: BreweryQuery): Brewery[] {
  return data.filter(
    (brewery) =>
      (query.byCountry === undefined ||
        normalizeFilterValue(brewery.country) === query.byCountry) &&
      (query.byState === undefined ||
        normalizeFilterValue(brewery.state_province) === query.byState) &&
      (query.byType === undefined || brewery.brewery_type === query.byType),
  )
}

/** The query's page of an already-filtered list; `[]` past the end. */
export function pageOf<T>(items: readonly T[], query: BreweryQuery): T[] {
  const start = (query.page - 1) * query.perPage
  return items.slice(start, start + query.perPage)
}

/** A stable key for "this page of these filters", used to tell first attempts from retries. */
export function queryKey(query: BreweryQuery): string {
  const filters = [query.byCountry, query.byState, query.byType].map((value) => value ?? '')
  return `${filters.join('|')}|page=${query.page}|per_page=${query.perPage}`
}

function parsePositiveInteger(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback
  if (!/^\d+$/.test(text.trim())) return undefined
  const value = Number(text.trim())
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined
}

/** An absent or blank filter means "no filter". */
function optionalFilter(value: string | null): string | undefined {
  const normalized = value === null ? '' : normalizeFilterValue(value)
  return normalized === '' ? undefined : normalized
}

function invalid(name: string, value: string | null): BreweryQueryResult {
  return {
    ok: false,
    message: `Invalid ${name}: ${JSON.stringify(value)} (expected an integer >= 1)`,
  }
}
