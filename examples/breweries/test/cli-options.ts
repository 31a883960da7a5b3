import type { BreweriesCliOptions } from '../src/run-breweries.js'

/**
 * The CLI's options for a test: an offline run for the United States into `us.csv` and
 * `us.db`, with faults, no progress display and no resume; `overrides` sets what the test is
 * about.
 */
export function breweriesOptions(
  overrides: Partial<BreweriesCliOptions> = {},
): BreweriesCliOptions {
  return {
    apiUrl: 'unused',
    offline: true,
    country: 'United States',
    csv: 'us.csv',
    sqlite: 'us.db',
    perPage: 200,
    concurrency: 2,
    faults: true,
    progress: 'none',
    resume: false,
    ...overrides,
  }
}
