// Open Brewery DB -> CSV (and SQLite) with graphflow. `pnpm start -- --help` lists the flags.
import { Command, InvalidArgumentError, Option } from 'commander'
import { LIVE_API_URL } from './pipeline.js'
import { runBreweries } from './run-breweries.js'

// SIGINT (Ctrl-C) and SIGTERM (kill, docker stop, a CI cancel) stop the run alike: abort,
// flush what was fetched, write the checkpoint, print the summary, exit 130 or 143.
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const
const controller = new AbortController()
let stoppingSince = 0
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    if (!controller.signal.aborted) {
      stoppingSince = Date.now()
      controller.abort(name)
      return
    }
    // Under `pnpm breweries` a Ctrl-C arrives twice (from the terminal, and forwarded by pnpm):
    // a repeat within 2 s is that echo. A later one means: do not wait for the flush.
    if (Date.now() - stoppingSince < 2000) return
    process.stderr.write(`\n${name} again: exiting now, without the summary\n`)
    process.exit(EXIT_CODES[name])
  })
}

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
    'continue an interrupted run from its checkpoint (in the --sqlite database, else <csv>.checkpoint.json)',
    false,
  )
  .addOption(
    new Option('--progress <mode>', 'progress display')
      .choices(['auto', 'bars', 'lines', 'none'])
      .default('auto'),
  )
  .option('--verbose', 'show every retry, and the stack of every error', false)

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
  verbose: boolean
}>()

if (flags.csv === false && !flags.sqlite)
  program.error('nothing to write: give --sqlite <path> or keep the CSV')

try {
  const { exitCode, stoppedBy } = await runBreweries(
    { ...flags, csv: flags.csv || undefined, sqlite: flags.sqlite },
    {
      stdout: process.stdout,
      stderr: process.stderr,
      cwd: process.env.INIT_CWD ?? process.cwd(),
      signal: controller.signal,
    },
  )
  process.exitCode = stoppedBy ? EXIT_CODES[stoppedBy as keyof typeof EXIT_CODES] : exitCode
} catch (error) {
  // Expected problems (a path that cannot be written, an API that cannot be reached) are one
  // line; --verbose adds the stack.
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`breweries: ${message}\n`)
  if (flags.verbose && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`)
  process.exitCode = 1
}
