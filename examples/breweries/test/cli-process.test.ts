// The CLI as a user starts it: a real child process, a real replay server, real files.
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { csvSource } from '@graphflow/csv'
import { sqliteSource } from '@graphflow/sqlite'
import { runNode } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runRecord } from '../src/checkpoint.js'
import { generateBreweries } from '../src/dataset.js'
import { type ReplayServer, startReplayServer } from '../src/replay-server.js'
import { readSavedState } from './saved-state.js'

const US_IDS = generateBreweries()
  .filter((brewery) => brewery.country === 'United States')
  .map((brewery) => brewery.id)
  .sort()
const example = join(import.meta.dirname, '..')
const root = join(example, '..', '..')
let directory: string
let server: ReplayServer | undefined

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'breweries-cli-'))
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await rm(directory, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  done: Promise<{ code: number | null; stdout: string; stderr: string }>
}

function start(command: string, args: string[], cwd: string): Started {
  // detached: its own process group, like a job in a terminal, so a Ctrl-C can reach it all.
  const child = spawn(command, args, {
    cwd,
    detached: true,
    env: { ...process.env, INIT_CWD: directory, BREWERIES_SKIP_BUILD: '1', FORCE_COLOR: '0' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  )
  return { child, done }
}

/** `npx -y pnpm@10 breweries -- ...` from the root: pnpm runs the root script with `sh -c`. */
async function startLikePnpm(args: string[]): Promise<Started> {
  const { scripts } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  return start('sh', ['-c', `${scripts.breweries} -- ${args.join(' ')}`], root)
}

/** `node --import tsx src/cli.ts ...` inside examples/breweries. */
function startWithNode(args: string[]): Started {
  return start(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], example)
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let tries = 0; tries < 400; tries++) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** What us.db's saved state says the CSV stored, and whether the load is complete. */
const readCheckpoint = async () => {
  const position = readSavedState(join(directory, 'us.db'))?.positions.csv
  if (!position) throw new Error('nothing saved yet')
  return { csv: position.records, complete: position.done }
}

async function csvIds(): Promise<string[]> {
  const { outputs, errors } = await runNode(csvSource({ path: join(directory, 'us.csv') }))
  expect(errors).toEqual([])
  return (outputs as { id: string }[]).map((row) => row.id)
}

async function sqliteIds(): Promise<string[]> {
  const { outputs, errors } = await runNode(
    sqliteSource<{ id: string }>({
      path: join(directory, 'us.db'),
      query: 'SELECT id FROM breweries',
    }),
  )
  expect(errors).toEqual([])
  return (outputs as { id: string }[]).map((row) => row.id)
}

describe('the CLI under signals', () => {
  const args = (apiUrl: string) => [
    '--api-url',
    apiUrl,
    '--csv',
    'us.csv',
    '--sqlite',
    'us.db',
    '--per-page',
    '100',
    '--progress',
    'none',
  ]

  // Guards issue 11 item 4: Ctrl-C under pnpm (the terminal's SIGINT to the whole job plus
  // pnpm's forwarded one) and SIGTERM both stop with a summary, a checkpoint and 130/143.
  for (const { signal, via, code } of [
    { signal: 'SIGINT', via: 'pnpm', code: 130 },
    { signal: 'SIGTERM', via: 'pnpm', code: 143 },
    { signal: 'SIGTERM', via: 'node', code: 143 },
    { signal: 'SIGINT', via: 'node', code: 130 },
  ] as const) {
    it(`${signal} through ${via === 'pnpm' ? 'the pnpm script' : 'node --import tsx'}: summary, checkpoint, ${code}; --resume completes`, async () => {
      server = await startReplayServer({ latencyMs: 120 })
      const run =
        via === 'pnpm'
          ? await startLikePnpm(args(server.apiUrl))
          : startWithNode(args(server.apiUrl))
      // The checkpoint follows the pages as they are stored, before any signal.
      const early = await waitFor(
        () =>
          readCheckpoint().then(
            (checkpoint) => (checkpoint.csv > 0 ? checkpoint : undefined),
            () => undefined,
          ),
        'a checkpoint during the run',
      )
      expect(early.complete).toBe(false)
      const pid = run.child.pid as number
      if (signal === 'SIGINT') {
        process.kill(-pid, 'SIGINT') // the terminal: the whole job
        process.kill(pid, 'SIGINT') // pnpm forwarding it
      } else process.kill(pid, 'SIGTERM') // kill, docker stop, pnpm forwarding a SIGTERM
      const { code: exit, stdout, stderr } = await run.done
      expect(stderr).toContain('interrupted: stopping, flushing what was fetched...')
      expect(stdout).toContain(`interrupted by ${signal} after`)
      expect(stdout).toMatch(/run the same command with --resume to continue/)
      expect(exit).toBe(code)
      expect((await readdir(directory)).sort()).toEqual(['us.csv', 'us.db'])
      const checkpoint = await readCheckpoint()
      const ids = await csvIds()
      expect(checkpoint.complete).toBe(false)
      // The state counts what was stored before the signal; what the CSV sink flushed after
      // it is cut and fetched again by --resume.
      expect(checkpoint.csv).toBeGreaterThanOrEqual(early.csv)
      expect(ids.length).toBeGreaterThanOrEqual(checkpoint.csv)
      expect(ids.length).toBeLessThan(US_IDS.length)
      expect(stdout).toContain(`holds ${ids.length.toLocaleString('en-US')} records`)

      const resumed = await startWithNode([...args(server.apiUrl), '--resume']).done
      expect(resumed.stderr).toBe('')
      expect(resumed.code).toBe(0)
      expect(resumed.stdout).toMatch(/resuming from page \d+/)
      expect(resumed.stdout).toContain(`holds ${US_IDS.length.toLocaleString('en-US')} records`)
      expect((await readdir(directory)).sort()).toEqual(['us.csv', 'us.db'])
      expect((await csvIds()).sort()).toEqual(US_IDS)
      expect((await sqliteIds()).sort()).toEqual(US_IDS)
    })
  }
})

describe('a run killed without a chance to clean up', () => {
  // Guards issue 11 item 4: the checkpoint is written as pages are stored, so even SIGKILL
  // (the OOM killer, a power cut) leaves a run that --resume completes exactly once.
  it('SIGKILL mid-run: --resume completes with every brewery once', async () => {
    server = await startReplayServer({ latencyMs: 120 })
    const args = ['--api-url', server.apiUrl, '--csv', 'us.csv', '--sqlite', 'us.db']
    const run = startWithNode([...args, '--per-page', '100', '--progress', 'none'])
    await waitFor(
      () =>
        readCheckpoint().then(
          (checkpoint) => (checkpoint.csv >= 300 ? checkpoint : undefined),
          () => undefined,
        ),
      'a checkpoint during the run',
    )
    process.kill(run.child.pid as number, 'SIGKILL')
    expect((await run.done).code).toBe(null)
    const resumed = await startWithNode([
      ...args,
      '--per-page',
      '100',
      '--progress',
      'none',
      '--resume',
    ]).done
    expect(resumed.code).toBe(0)
    expect(resumed.stdout).toMatch(/resuming from page \d+/)
    expect((await readdir(directory)).sort()).toEqual(['us.csv', 'us.db'])
    expect((await csvIds()).sort()).toEqual(US_IDS)
    expect((await sqliteIds()).sort()).toEqual(US_IDS)
  })
})

describe('expected errors', () => {
  const run = async (args: string[]) => startWithNode(['--progress', 'none', ...args]).done

  // Guards issue 11 item 5: one line without a stack, exit 1, nothing left behind.
  it('an output under a file, a database that is not one, an API that is down: one line each', async () => {
    server = await startReplayServer()
    await writeFile(join(directory, 'file'), 'x')
    await writeFile(join(directory, 'not.db'), 'id,name\n1,a\n')
    const api = ['--api-url', server.apiUrl]
    const cases: [string[], RegExp][] = [
      [
        [...api, '--csv', 'file/out/us.csv'],
        /cannot write the CSV .*file\/out\/us\.csv: a part of the path is a file, not a directory \(ENOTDIR\)/,
      ],
      [
        [...api, '--csv', 'us.csv', '--sqlite', 'not.db'],
        /cannot open the SQLite database .*not\.db: file is not a database/,
      ],
      [
        ['--api-url', 'http://127.0.0.1:1/v1/breweries', '--csv', 'us.csv'],
        /cannot reach the API at http:\/\/127\.0\.0\.1:1\/v1\/breweries: ECONNREFUSED \(--offline runs against the bundled replay server\)/,
      ],
    ]
    for (const [args, message] of cases) {
      const result = await run(args)
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(message)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stdout).not.toMatch(/--resume/)
      expect((await readdir(directory)).sort()).toEqual(['file', 'not.db'])
    }
    const verbose = await run([...api, '--csv', 'us.csv', '--sqlite', 'not.db', '--verbose'])
    expect(verbose.stderr).toMatch(/\n {4}at /)
  })

  // Guards issue 11 item 5: the check tries to write, so it holds for root too (where a
  // permission check passes) and on special file systems (where mkdir -p never returned).
  it.runIf(process.platform === 'linux')(
    'refuses a directory no file can be created in, as root too',
    async () => {
      const result = await run(['--offline', '--csv', '/proc/breweries-test/us.csv'])
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        'breweries: cannot write the CSV /proc/breweries-test/us.csv: cannot create files in /proc: ENOENT\n',
      )
    },
  )

  // Guards the trial's data loss: a read-only CSV (root could open it) is refused before the
  // run, in one line, and is still there byte for byte afterwards.
  it('refuses a read-only CSV, as root too, and leaves it as it was', async () => {
    const keep = join(directory, 'keep.csv')
    const content = 'id,name\n1,precious data\n'
    await writeFile(keep, content)
    await chmod(keep, 0o444)
    const result = await run(['--offline', '--csv', 'keep.csv'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `breweries: cannot write the CSV ${keep}: it is read-only (mode 0444), so it is not written over\n`,
    )
    expect(await readFile(keep, 'utf8')).toBe(content)
    expect(await readdir(directory)).toEqual(['keep.csv'])
  })

  // Root may write anywhere: this case needs an ordinary user.
  it.skipIf(process.getuid?.() === 0)(
    'refuses a directory without write permission (EACCES)',
    async () => {
      const locked = join(directory, 'locked')
      await mkdir(locked, { mode: 0o555 })
      const result = await run(['--offline', '--csv', 'locked/us.csv'])
      await chmod(locked, 0o755)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /cannot create files in .*locked: permission denied \(EACCES\)\n$/,
      )
      expect(await readdir(locked)).toEqual([])
    },
  )

  it('says so in one line when a run starts over an interrupted one', async () => {
    server = await startReplayServer()
    // The state of a run stopped before it stored anything.
    await writeFile(
      join(directory, 'us.csv.checkpoint.json'),
      JSON.stringify({
        format: 'graphflow-checkpoints',
        version: 1,
        entries: {
          'breweries-run': runRecord({
            apiUrl: server.apiUrl,
            country: 'Ireland',
            perPage: 200,
            csv: join(directory, 'us.csv'),
            sqlite: undefined,
          }),
        },
      }),
    )
    const result = await run([
      '--api-url',
      server.apiUrl,
      '--country',
      'Ireland',
      '--csv',
      'us.csv',
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /^starting over: .*us\.csv\.checkpoint\.json is from an interrupted run \(--resume continues it\)$/m,
    )
  })
})
