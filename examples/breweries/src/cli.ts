// Open Brewery DB -> CSV (and SQLite) with graphflow. `pnpm start -- --help` lists the flags.
import { Command, InvalidArgumentError, Option } from 'commander'
import { LIVE_API_URL } from './pipeline.js'
import { runBreweries } from './run-breweries.js'

function positiveInteger(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string) => {
    const number = Number(value)
    if (!Number.isInteger(number) || number < 1 || number > max) {
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got "${value}"`)
    }
    return number
  }
}

const program = new Command('breweries')
  .description('Fetch Open Brewery DB page by page and write the breweries to CSV and/or SQLite.')
  .option('--api-url <url>', 'the list endpoint', LIVE_API_URL)
  .option('--offline', 'start the bundled replay server on 127.0.0.1 and use it', false)
  .option('--country <name>', 'by_country filter', 'United States')
  .option('--csv <path>', 'CSV output file', 'breweries_us.csv')
  .option('--no-csv', 'do not write a CSV file')
  .option('--sqlite <path>', 'SQLite output file (table "breweries"); both sinks share one source')
  .option(
    '--per-page <n>',
    'records per page (the API caps it at 200)',
    positiveInteger('--per-page', 200),
    200,
  )
  .option('--concurrency <n>', 'pages fetched at once', positiveInteger('--concurrency', 32), 1)
  .option(
    '--faults',
    'with --offline: inject a 429 with Retry-After, 503s and resets to watch the retries',
    false,
  )
  .option(
    '--resume',
    'continue an interrupted run from its checkpoint (<output>.checkpoint.json)',
    false,
  )
  .addOption(
    new Option('--progress <mode>', 'progress display')
      .choices(['auto', 'bars', 'lines', 'none'])
      .default('auto'),
  )

// `pnpm breweries -- --offline` hands the separator through: drop it before parsing.
const argv = process.argv.slice(2)
while (argv[0] === '--') argv.shift()
program.parse(argv, { from: 'user' })
const flags = program.opts<{
  apiUrl: string
  offline: boolean
  country: string
  csv: string | false
  sqlite?: string
  perPage: number
  concurrency: number
  faults: boolean
  resume: boolean
  progress: 'auto' | 'bars' | 'lines' | 'none'
}>()

if (flags.csv === false && !flags.sqlite)
  program.error('nothing to write: give --sqlite <path> or keep the CSV')

const controller = new AbortController()
process.once('SIGINT', () => {
  process.stderr.write('\ninterrupted: stopping, flushing what was fetched...\n')
  controller.abort()
})

try {
  const { exitCode } = await runBreweries(
    { ...flags, csv: flags.csv || undefined, sqlite: flags.sqlite },
    {
      stdout: process.stdout,
      stderr: process.stderr,
      cwd: process.env.INIT_CWD ?? process.cwd(),
      signal: controller.signal,
    },
  )
  process.exitCode = exitCode
} catch (error) {
  process.stderr.write(`breweries: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
