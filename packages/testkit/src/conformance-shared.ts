// What the source and the sink conformance suites share: how a case is skipped, fixtures
// made fresh for each case and cleaned up after it, a silent logger.
import type { Logger } from '@graphflow/core'
import { afterEach, it } from 'vitest'

/** A skipped case and why. */
export interface SkippedCase<Case extends string> {
  /** The case. */
  test: Case
  /** Why this connector cannot pass it; shown in the test title. */
  reason: string
}

/** The logger of the suites' runs: the cases check reports, not logs. */
export const silent: Logger = { info: () => {}, error: () => {} }

/** Makes fresh fixtures for a suite's cases; call it inside the suite's `describe`: its
 * `afterEach` cleans up what each case made. */
export function fixtures<Fixture extends { cleanup?(): Promise<void> | void }>(
  make: () => Promise<Fixture> | Fixture,
): () => Promise<Fixture> {
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })
  return async () => {
    const made = await make()
    if (made.cleanup) cleanups.push(made.cleanup.bind(made))
    return made
  }
}

/**
 * Registers a case: skipped with its reason when the connector skips it, or when its input is
 * missing (`missing` says which), so that no case passes without having checked anything.
 */
export function caseRunner<Case extends string>(skip: SkippedCase<Case>[] | undefined) {
  return (name: Case, body: () => Promise<void>, missing?: string) => {
    const reason = skip?.find((each) => each.test === name)?.reason ?? missing
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, body)
    else it(name, body)
  }
}
