// Incremental loads: the largest cursor value among the records handed over (see "Resumable and
// incremental loads" in the README).

import { getPath } from './json-path.js'

/** A cursor value: numbers compare numerically, strings lexicographically (ISO 8601). */
export type CursorValue = string | number

/** Why a record's cursor value cannot be used: its index on the page and what is wrong. */
export class CursorProblem extends Error {
  constructor(
    readonly index: number,
    problem: string,
  ) {
    super(problem)
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'number' || typeof value === 'string') {
    return `${typeof value} ${JSON.stringify(value)}`
  }
  return `${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`
}

/**
 * Keeps the largest cursor value of the records it scanned. The type of the first value it
 * knows (the saved one, `initial` or the first record's) is the type of all of them.
 */
export class CursorTracker {
  largest: CursorValue | undefined
  #type: 'number' | 'string' | undefined

  constructor(
    readonly field: string,
    known: readonly (CursorValue | undefined)[],
  ) {
    for (const value of known) {
      if (value === undefined) continue
      this.#type ??= typeof value as 'number' | 'string'
    }
    this.largest = known[0]
  }

  /** Scans a page's records; throws a {@link CursorProblem} for the first unusable value. */
  scan(records: readonly unknown[]): void {
    let largest = this.largest
    for (let index = 0; index < records.length; index++) {
      const value = getPath(records[index], this.field)
      const type = typeof value
      if (type !== 'number' && type !== 'string') {
        throw new CursorProblem(
          index,
          `its cursor field "${this.field}" is ${describe(value)}, expected a string or a number`,
        )
      }
      if (type === 'number' && !Number.isFinite(value)) {
        throw new CursorProblem(index, `its cursor field "${this.field}" is ${String(value)}`)
      }
      this.#type ??= type
      if (type !== this.#type) {
        throw new CursorProblem(
          index,
          `its cursor field "${this.field}" is ${describe(value)}, the other cursor values are ${this.#type}s (a load compares values of one type)`,
        )
      }
      if (largest === undefined || (value as CursorValue) > largest) {
        largest = value as CursorValue
      }
    }
    this.largest = largest
  }
}
