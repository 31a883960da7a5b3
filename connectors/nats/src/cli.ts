#!/usr/bin/env node
/**
 * `graphflow-nats`: runs one worker of a graph spread over processes, or shows a run's status.
 *
 *   graphflow-nats run <graph-module> --run <id> --role <role> [--replica <n>|<first>..<last>]
 *                      [--servers <url>] [--ack-wait-ms <ms>]
 *   graphflow-nats status --run <id> [--servers <url>] [--json]
 *   graphflow-nats mark-ended --run <id> --worker <worker> --reason <text> [--servers <url>]
 *   graphflow-nats rerun --run <id> [--servers <url>]
 *
 * The graph module exports `graph` (an `AsyncGraph`) and `deployment` (a `Deployment`), and may
 * export `workerOptions` (a `WorkerModuleOptions`: codec, publish, consume, ...). A `.ts`
 * module needs a loader: `node --import tsx $(which graphflow-nats) run graph.ts ...`.
 * `--replica 0..3` starts one child process per replica of the range (the same command with
 * `--replica 0`, `--replica 1`, ...), forwards SIGINT and SIGTERM to them and exits with the
 * worst of their exit codes.
 *
 * A worker joins the run's current attempt; started after it was halted or aborted, it runs
 * nothing, says so and exits 1. `rerun` starts the run's next attempt once (exit 0), or says
 * there is nothing to rerun (exit 3: the current attempt was neither halted nor aborted); the
 * workers started afterwards join the new attempt.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { AsyncGraph } from '@graphflow/core'
import { connect } from '@nats-io/transport-node'
import { NothingToRerunError, RunState } from './run-state.js'
import { type Deployment, runWorker, stoppedMessage, type WorkerModuleOptions } from './worker.js'

/** The exit code of `rerun` when the current attempt was neither halted nor aborted. */
const NOTHING_TO_RERUN = 3

const MODULE_OPTIONS = [
  'codec',
  'ackWaitMs',
  'maxAckPending',
  'publish',
  'consume',
  'executor',
  'statusIntervalMs',
] as const

const USAGE = `usage:
  graphflow-nats run <graph-module> --run <id> --role <role> [--replica <n>|<first>..<last>] [--servers <url>] [--ack-wait-ms <ms>]
  graphflow-nats status --run <id> [--servers <url>] [--json]
  graphflow-nats mark-ended --run <id> --worker <worker> --reason <text> [--servers <url>]
  graphflow-nats rerun --run <id> [--servers <url>]
The servers default to $NATS_URL, else nats://127.0.0.1:4222.`

class UsageError extends Error {}

function integer(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${option}: expected an integer >= 0, got "${value}"`)
  return Number(value)
}

/** `--replica`: `n`, or an inclusive range `first..last` (one process per replica). */
function replicaRange(value: string | undefined): number[] {
  if (value === undefined) return [0]
  if (/^\d+$/.test(value)) return [Number(value)]
  const range = /^(\d+)\.\.(\d+)$/.exec(value)
  const first = Number(range?.[1])
  const last = Number(range?.[2])
  if (range === null || last < first) {
    throw new UsageError(
      `--replica: expected an integer >= 0 or a range <first>..<last> with first <= last, got "${value}"`,
    )
  }
  return Array.from({ length: last - first + 1 }, (_, index) => first + index)
}

/**
 * Runs the same command once per replica of the range, each in its own child process (a process
 * per replica: they use every core, and one crashing leaves the others running). The children
 * get the signals this process gets (they are in their own process group, so a Ctrl-C in a
 * terminal reaches each of them once, through here). Resolves with the worst exit code.
 */
async function runReplicas(argv: readonly string[], replicas: readonly number[]): Promise<number> {
  const script = process.argv[1] as string
  const withoutReplica: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string
    if (arg === '--replica') index++
    else if (!arg.startsWith('--replica=')) withoutReplica.push(arg)
  }
  const children = replicas.map((replica) =>
    spawn(
      process.execPath,
      [...process.execArgv, script, 'run', ...withoutReplica, '--replica', String(replica)],
      { stdio: 'inherit', detached: true },
    ),
  )
  console.log(
    `graphflow-nats: replicas ${replicas[0]}..${replicas.at(-1)} in ${children.length} processes (pids ${children.map((child) => child.pid).join(', ')})`,
  )
  const forward = (signal: NodeJS.Signals) => {
    for (const child of children) if (child.exitCode === null) child.kill(signal)
  }
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  try {
    const codes = await Promise.all(
      children.map(
        (child) =>
          new Promise<number>((resolve) => {
            child.on('error', () => resolve(1))
            child.on('exit', (code) => resolve(code ?? 1))
          }),
      ),
    )
    return Math.max(...codes)
  } finally {
    process.off('SIGINT', forward)
    process.off('SIGTERM', forward)
  }
}

async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      role: { type: 'string' },
      replica: { type: 'string' },
      servers: { type: 'string' },
      'ack-wait-ms': { type: 'string' },
    },
  })
  const [modulePath] = positionals
  if (modulePath === undefined || positionals.length > 1) {
    throw new UsageError('run: expected one graph module')
  }
  if (!values.run) throw new UsageError('run: --run <id> is required')
  if (!values.role) throw new UsageError('run: --role <role> is required')
  const replicas = replicaRange(values.replica)
  const ackWaitMs = integer('ack-wait-ms', values['ack-wait-ms'])
  if (replicas.length > 1) return runReplicas(argv, replicas)
  const url = pathToFileURL(resolve(modulePath)).href
  const loaded = (await import(url)) as {
    graph?: AsyncGraph
    deployment?: Deployment
    workerOptions?: WorkerModuleOptions
  }
  if (loaded.graph === undefined || loaded.deployment === undefined) {
    throw new UsageError(
      `${modulePath}: expected the module to export "graph" and "deployment", got ${Object.keys(loaded).join(', ') || 'no exports'}`,
    )
  }
  const moduleOptions = loaded.workerOptions ?? {}
  const unknown = Object.keys(moduleOptions).filter(
    (key) => !(MODULE_OPTIONS as readonly string[]).includes(key),
  )
  if (typeof moduleOptions !== 'object' || moduleOptions === null || unknown.length > 0) {
    throw new TypeError(
      `${modulePath}: workerOptions: expected an object with only ${MODULE_OPTIONS.join(', ')}, got ${unknown.length > 0 ? `"${unknown.join('", "')}"` : String(moduleOptions)}`,
    )
  }
  const controller = new AbortController()
  const onSignal = () => controller.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const { worker, report, received, control, attempt, sourcesSkipped, stoppedBeforeStart } =
    await runWorker({
      ...moduleOptions,
      graph: loaded.graph,
      deployment: loaded.deployment,
      run: values.run,
      role: values.role,
      replica: replicas[0] as number,
      servers: servers(values.servers),
      signal: controller.signal,
      ...(ackWaitMs === undefined ? {} : { ackWaitMs }),
    })
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  const outcome = report.ok
    ? 'ok'
    : report.halted
      ? 'halted'
      : report.aborted
        ? 'aborted'
        : 'failed'
  const inAttempt = attempt > 0 ? ` (attempt ${attempt}: a rerun)` : ''
  console.log(`${worker}: ${outcome} in ${Math.round(report.durationMs)} ms${inAttempt}`)
  if (sourcesSkipped) console.log('  sources not called: this worker completed them before')
  for (const [node, stats] of Object.entries(report.dataFlowStats)) {
    const fromStream = received[node] === undefined ? '' : ` (from JetStream ${received[node]})`
    console.log(`  ${node}: in=${stats.in}${fromStream} out=${stats.out} err=${stats.err}`)
  }
  if (control) console.log(`  ${control.kind} by ${control.by}: ${control.reason}`)
  if (stoppedBeforeStart && control) console.log(`  ${stoppedMessage(values.run, control)}`)
  else if (control) {
    console.log(
      `  to resume the run: graphflow-nats rerun --run ${values.run}, then start its workers again`,
    )
  }
  return report.ok ? 0 : 1
}

async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { run: { type: 'string' }, servers: { type: 'string' }, json: { type: 'boolean' } },
  })
  if (!values.run) throw new UsageError('status: --run <id> is required')
  return withRunState('status', values.run, values.servers, async (state) => {
    const nodes = await state.status()
    if (values.json) {
      console.log(JSON.stringify(nodes, null, 2))
      return 0
    }
    if (nodes.length === 0) console.log(`run "${values.run}": no node registered`)
    else if ((nodes[0]?.attempt ?? 0) > 0) {
      console.log(
        `run "${values.run}": attempt ${nodes[0]?.attempt} (rerun after a halt or an abort)`,
      )
    }
    for (const node of nodes) {
      const input = node.input
        ? `in stream ${node.input.messages} (undelivered ${node.input.pending}, awaiting ack ${node.input.awaitingAck})`
        : 'stream missing'
      console.log(`${node.node}: ${node.done ? 'done' : 'running'}, ${input}`)
      if (node.missing.length > 0)
        console.log(`  waiting for producers: ${node.missing.join(', ')}`)
      for (const [worker, reason] of Object.entries(node.fenced)) {
        console.log(`  ${worker} marked ended (fenced): ${reason}`)
      }
      for (const [worker, counters] of Object.entries(node.workers)) {
        console.log(`  ${worker}: in=${counters.in} out=${counters.out} err=${counters.err}`)
      }
    }
    return 0
  })
}

async function markEndedCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      run: { type: 'string' },
      worker: { type: 'string' },
      reason: { type: 'string' },
      servers: { type: 'string' },
    },
  })
  if (!values.run) throw new UsageError('mark-ended: --run <id> is required')
  if (!values.worker) throw new UsageError('mark-ended: --worker <worker> is required')
  if (!values.reason) throw new UsageError('mark-ended: --reason <text> is required')
  const { worker, reason } = values
  return withRunState('mark-ended', values.run, values.servers, async (state) => {
    const nodes = await state.markWorkerEnded(worker, reason)
    console.log(`${worker}: marked ended (fenced) for ${nodes.join(', ')}`)
    return 0
  })
}

async function rerunCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { run: { type: 'string' }, servers: { type: 'string' } },
  })
  if (!values.run) throw new UsageError('rerun: --run <id> is required')
  const run = values.run
  return withRunState('rerun', run, values.servers, async (state) => {
    try {
      const { attempt, after } = await state.rerun()
      console.log(
        `run "${run}": attempt ${attempt} started (after the ${after.kind} by ${after.by}: ${after.reason}); start its workers again`,
      )
      return 0
    } catch (error) {
      if (!(error instanceof NothingToRerunError)) throw error
      console.log(`graphflow-nats: ${error.message}`)
      return NOTHING_TO_RERUN
    }
  })
}

/** Connects for one command, opens the run's state, runs `use`, and always closes the connection. */
async function withRunState(
  command: string,
  run: string,
  given: string | undefined,
  use: (state: RunState) => Promise<number>,
): Promise<number> {
  const nc = await connect({ servers: servers(given), name: `graphflow-nats ${command}` })
  try {
    return await use(await RunState.open(nc, run))
  } finally {
    await nc.close()
  }
}

function servers(given: string | undefined): string[] {
  return (given ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',')
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === 'run') return await runCommand(rest)
    if (command === 'status') return await statusCommand(rest)
    if (command === 'mark-ended') return await markEndedCommand(rest)
    if (command === 'rerun') return await rerunCommand(rest)
    throw new UsageError(`unknown command ${command === undefined ? '(none)' : `"${command}"`}`)
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`graphflow-nats: ${(error as Error).message}\n${USAGE}`)
      return 2
    }
    if (error instanceof TypeError) {
      console.error(`graphflow-nats: ${error.message}`)
      return 2
    }
    throw error
  }
}

process.exitCode = await main(process.argv.slice(2))
