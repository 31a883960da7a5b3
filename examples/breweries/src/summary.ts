import type { ExecutionReport } from '@graphflow/core'
import Table from 'cli-table3'

/** One output file of the run. */
export interface OutputFile {
  kind: 'CSV' | 'SQLite'
  path: string
  written: number
}

/** Unhandled errors of every node in a run. */
export function errorCount(report: ExecutionReport): number {
  return Object.values(report.dataFlowStats).reduce((sum, stats) => sum + stats.err, 0)
}

/** The end-of-run summary: per-node counts, errors, duration and the output files. */
export function formatSummary(
  report: ExecutionReport,
  outputs: OutputFile[],
  retries: number,
  color = false,
): string {
  const table = new Table({
    head: ['node', 'in', 'out', 'err'],
    colAligns: ['left', 'right', 'right', 'right'],
    style: color ? {} : { head: [], border: [] },
  })
  for (const [node, stats] of Object.entries(report.dataFlowStats)) {
    table.push([node, stats.in, stats.out, stats.err])
  }
  const errors = errorCount(report)
  const status = report.aborted
    ? 'aborted'
    : report.halted
      ? `halted by ${report.haltedBy}`
      : errors > 0
        ? `finished with ${errors} error${errors === 1 ? '' : 's'}`
        : 'done'
  const lines = [
    table.toString(),
    `${status} in ${(report.durationMs / 1000).toFixed(2)}s, ${retries} retries`,
  ]
  for (const [node, errors] of Object.entries(report.exceptions)) {
    for (const error of errors.slice(0, 3)) lines.push(`error in ${node}: ${error.message}`)
    if (errors.length > 3) lines.push(`... and ${errors.length - 3} more errors in ${node}`)
  }
  for (const output of outputs) {
    lines.push(
      `${output.kind.padEnd(6)} ${output.path} (${output.written.toLocaleString('en-US')} records)`,
    )
  }
  return lines.join('\n')
}
