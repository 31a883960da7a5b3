// kill -9 tests: a load in a child process, killed with SIGKILL at a random moment after it
// printed a line, and run again until it completes. Only node: builtins, so that any test
// (also one of @graphflow/core, which this package depends on) can use it.
import { spawn } from 'node:child_process'

/** Where a run is killed: `afterMs` milliseconds after the child printed `afterLine`. */
export interface KillAt {
  /**
   * The line (all of one stdout line, trimmed) that arms the kill.
   * @default 'started'
   */
  afterLine?: string
  /** Milliseconds from that line to the SIGKILL (0 kills at once). */
  afterMs: number
}

/** Options of {@link runLoad}. */
export interface RunLoadOptions {
  /**
   * Kill the child with SIGKILL at this moment; without it the run goes to its end.
   * @default undefined
   */
  kill?: KillAt
  /**
   * Working directory of the child (`--import tsx` resolves `tsx` from here).
   * @default process.cwd()
   */
  cwd?: string
  /**
   * Environment variables added to (or, as `undefined`, removed from) the parent's.
   * @default {}
   */
  env?: Record<string, string | undefined>
  /**
   * Arguments to `node` before the script.
   * @default ['--import', 'tsx']
   */
  nodeArgs?: readonly string[]
  /**
   * The line (all of one stdout line, trimmed) a run prints when it completed: a run counts as
   * done when it exits with code 0 after printing it (`null`: when it exits with code 0).
   * @default 'done'
   */
  doneLine?: string | null
}

/** One run of a load. */
export interface LoadRun {
  /** `killed`: ended by SIGKILL; `done`: exit code 0 after the done line. */
  outcome: 'done' | 'killed'
  /** The child's stdout. */
  stdout: string
  /** The child's stderr. */
  stderr: string
  /** The delay of the kill this run was given (whether or not it landed), in ms. */
  killAfterMs: number | undefined
  /** Milliseconds from the line that arms a kill (`started` by default) to the exit; 0 without it. */
  ms: number
}

const hasLine = (output: string, line: string) =>
  output.split('\n').some((candidate) => candidate.trim() === line)

/**
 * Runs `node --import tsx <script> ...args` once; with `kill`, kills it with SIGKILL
 * `kill.afterMs` after it printed `kill.afterLine` (if it completes first, the outcome is
 * `done`). Rejects when the child exits any other way (a code other than 0, no done line, a
 * signal other than SIGKILL), with its exit code, stderr and stdout in the message.
 */
export function runLoad(
  script: string,
  args: readonly string[] = [],
  options: RunLoadOptions = {},
): Promise<LoadRun> {
  const { kill, cwd, env = {}, nodeArgs = ['--import', 'tsx'], doneLine = 'done' } = options
  if (kill !== undefined && !(Number.isFinite(kill.afterMs) && kill.afterMs >= 0))
    throw new TypeError(
      `runLoad: option "kill.afterMs" must be a number of milliseconds >= 0, got ${String(kill.afterMs)}`,
    )
  const afterLine = kill?.afterLine ?? 'started'
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let started = 0
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
      if (started === 0 && hasLine(stdout, afterLine)) {
        started = performance.now()
        if (kill) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = started === 0 ? 0 : performance.now() - started
      const run = { stdout, stderr, killAfterMs: kill?.afterMs, ms }
      if (signal === 'SIGKILL') resolve({ outcome: 'killed', ...run })
      else if (code === 0 && (doneLine === null || hasLine(stdout, doneLine)))
        resolve({ outcome: 'done', ...run })
      else
        reject(
          new Error(
            `the load ${script} exited with ${code ?? signal}${code === 0 ? ` without printing "${doneLine}"` : ''}: ${stderr}${stdout.slice(-2000)}`,
          ),
        )
    })
  })
}

/** Options of {@link killAndResume}. */
export interface KillAndResumeOptions extends Omit<RunLoadOptions, 'kill'> {
  /** At most this many kills; the run after the last one goes to its end. */
  kills: number
  /** Each kill lands at a random moment within this many ms after `afterLine`. */
  windowMs: number
  /**
   * The line that arms each kill.
   * @default 'started'
   */
  afterLine?: string
  /**
   * Seed of the kill delays: the same seed gives the same delays. The result carries it and a
   * failed run's error names it.
   * @default Number(process.env.GRAPHFLOW_KILL_SEED) when set, otherwise random
   */
  seed?: number
}

/** What {@link killAndResume} did. */
export interface KillAndResumeResult {
  /** The runs ended by a kill (fewer than `kills` when a run completed first). */
  kills: number
  /** The delay of each kill, in ms after the line. */
  delays: number[]
  /** The seed of the delays (`GRAPHFLOW_KILL_SEED=<seed>` replays them). */
  seed: number
  /** Every run, the last one (complete) last. */
  runs: LoadRun[]
}

/** Mulberry32: a small seeded generator of numbers in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Runs the load again and again with the same arguments (so with the same state), killing each
 * run with SIGKILL at a random moment within `windowMs` after it printed `afterLine`, until
 * `kills` runs were killed or one completed; then runs it once more without a kill, which must
 * complete. Compare the result with a clean run's (`runLoad(script, args)` on a fresh target).
 */
export async function killAndResume(
  script: string,
  args: readonly string[],
  options: KillAndResumeOptions,
): Promise<KillAndResumeResult> {
  const { kills, windowMs, afterLine, seed: given, ...run } = options
  if (!(Number.isInteger(kills) && kills >= 0))
    throw new TypeError(
      `killAndResume: option "kills" must be an integer >= 0, got ${String(kills)}`,
    )
  if (!(Number.isFinite(windowMs) && windowMs >= 0))
    throw new TypeError(
      `killAndResume: option "windowMs" must be a number of milliseconds >= 0, got ${String(windowMs)}`,
    )
  const fromEnv = process.env.GRAPHFLOW_KILL_SEED
  const seed = given ?? (fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32))
  const random = seededRandom(seed)
  const result: KillAndResumeResult = { kills: 0, delays: [], seed, runs: [] }
  try {
    while (result.kills < kills) {
      const afterMs = random() * windowMs
      const killed = await runLoad(script, args, { ...run, kill: { afterLine, afterMs } })
      result.runs.push(killed)
      if (killed.outcome === 'done') break // it completed first: the last run finds a complete load
      result.kills++
      result.delays.push(afterMs)
    }
    result.runs.push(await runLoad(script, args, run))
  } catch (error) {
    throw new Error(
      `killAndResume: run ${result.runs.length + 1} after ${result.kills} kill(s) failed (GRAPHFLOW_KILL_SEED=${seed} replays the kill delays): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  return result
}
