import type { Logger } from '@graphflow/core'

/** A {@link Logger} that keeps its lines, for asserting what a node logged. */
export interface MemoryLogger extends Logger {
  /** Every line logged through `info` or `error`, in order. */
  readonly lines: string[]
  /** The lines logged through `info`. */
  readonly infos: string[]
  /** The lines logged through `error`. */
  readonly errors: string[]
}

/**
 * A logger that keeps what it is given instead of printing it.
 *
 * @example
 * ```ts
 * const logger = memoryLogger()
 * await new AsyncExecutor(graph, { logger }).execute()
 * expect(logger.lines.join('\n')).toMatch(/retrying/)
 * ```
 */
export function memoryLogger(): MemoryLogger {
  const lines: string[] = []
  const infos: string[] = []
  const errors: string[] = []
  return {
    lines,
    infos,
    errors,
    info(line) {
      lines.push(line)
      infos.push(line)
    },
    error(line) {
      lines.push(line)
      errors.push(line)
    },
  }
}
