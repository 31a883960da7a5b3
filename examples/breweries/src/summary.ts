import type { ExecutionReport } from '@graphflow/core'
import Table from 'cli-table3'

/** One output of the run: what this run stored in it, and what it holds now. */
export interface OutputFile {
  kind: 'CSV' | 'SQLite'
  /** The sink's node name. */
  node: string
  path: string
  /** Records this run stored. */
  written: number
  /** Records fetched by this run that the output had already (a resumed run), not stored again. */
  skipped: number
  /** Records the file (CSV) or the table (SQLite) holds after the run; undefined: unknown. */
  total: number | undefined
}

/** Everything the summary tells, in records. */
export interface RunOutcome {
  report: ExecutionReport
  /** The source's node name. */
  source: string
  /** Records fetched by this run, and the pages and retries it took. */
  fetched: number
  pages: number
  retries: number
  outputs: OutputFile[]
  /** The signal that stopped the run (`SIGINT`, `SIGTERM`), when one did. */
  stoppedBy: string | undefined
}

/** Unhandled errors of every node in a run. */
export function errorCount(report: ExecutionReport): number {
  return Object.values(report.dataFlowStats).reduce((sum, stats) => sum + stats.err, 0)
}

const count = (value: number) => value.toLocaleString('en-US')
const plural = (value: number, word: string) => `${count(value)} ${word}${value === 1 ? '' : 's'}`

/** The first line of an error's message: the summary shows no stacks. */
export function firstLine(error: Error): string {
  return error.message.split('\n', 1)[0] ?? ''
}

/**
 * The end-of-run summary, in records everywhere: fetched by the source, stored by each sink
 * in this run, what each output holds now, errors, and how the run ended.
 */
export function formatSummary(outcome: RunOutcome, color = false): string {
  const { report } = outcome
  const table = new Table({
    head: ['node', 'records', 'errors', 'what the records are'],
    colAligns: ['left', 'right', 'right', 'left'],
    style: color ? {} : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  })
  const errorsOf = (node: string) => report.dataFlowStats[node]?.err ?? 0
  table.push([
    outcome.source,
    count(outcome.fetched),
    errorsOf(outcome.source),
    `fetched from the API by this run (${plural(outcome.pages, 'page')}, ${count(outcome.retries)} ${outcome.retries === 1 ? 'retry' : 'retries'})`,
  ])
  for (const output of outcome.outputs) {
    table.push([
      output.node,
      count(output.written),
      errorsOf(output.node),
      `stored in ${output.kind === 'CSV' ? 'the CSV' : 'SQLite'} by this run`,
    ])
  }
  const errors = errorCount(report)
  const took = `${(report.durationMs / 1000).toFixed(2)}s`
  const status = outcome.stoppedBy
    ? `interrupted by ${outcome.stoppedBy} after ${took}: stopped fetching, stored what was fetched`
    : report.aborted
      ? `stopped after ${took}: stored what was fetched`
      : report.halted
        ? `halted by ${report.haltedBy} after ${took}`
        : errors > 0
          ? `failed after ${took} with ${plural(errors, 'error')}`
          : `done in ${took}`
  const lines = [table.toString(), status]
  const dropped = Math.max(
    0,
    ...outcome.outputs.map((output) => outcome.fetched - output.written - output.skipped),
  )
  if (report.aborted && dropped > 0) {
    lines.push(`${plural(dropped, 'fetched record')} no sink took before the stop: not stored`)
  }
  for (const [node, nodeErrors] of Object.entries(report.exceptions)) {
    for (const error of nodeErrors.slice(0, 3)) lines.push(`error in ${node}: ${firstLine(error)}`)
    if (nodeErrors.length > 3) lines.push(`... and ${nodeErrors.length - 3} more errors in ${node}`)
  }
  for (const output of outcome.outputs) {
    // No total: the run stored nothing and removed what it had created.
    if (output.total === undefined) continue
    const holds =
      output.kind === 'CSV'
        ? ` holds ${plural(output.total, 'record')}`
        : ` holds ${plural(output.total, 'row')} in table breweries`
    lines.push(`${output.kind.padEnd(6)} ${output.path}${holds}`)
  }
  return lines.join('\n')
}
