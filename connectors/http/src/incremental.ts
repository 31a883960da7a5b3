// Incremental loads: the largest cursor value among the records handed over, and the records
// carrying it (see "Resumable and incremental loads" in the README).

import { createHash } from 'node:crypto'
import { HttpProblem } from './http-error.js'
import { getPath } from './json-path.js'

/** A cursor value: numbers compare numerically, strings lexicographically (ISO 8601). */
export type HttpCursorValue = string | number

/** What an incremental load keeps in the position. */
export interface HttpIncrementalState {
  /** The value this sequence asks with (`?param=since`). */
  since?: HttpCursorValue
  /** The largest value among the records handed over. */
  largest?: HttpCursorValue
  /** Digests of the records handed over that carry `largest`. */
  boundary?: string[]
  /**
   * Digests of the records carrying `since` that the last load stored: an API whose filter is
   * inclusive sends them again, and they are dropped.
   */
  skip?: string[]
}

/** Why a record's cursor value cannot be used: its index on the page and what is wrong. */
export class CursorProblem extends HttpProblem {
  override name = 'CursorProblem'
  /** The record's index on its page, from 0. */
  declare readonly index: number

  constructor(message: string, details: { index: number }) {
    super(message, { ...details, code: 'HTTP_INCREMENTAL' })
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'number' || typeof value === 'string') {
    return `${typeof value} ${JSON.stringify(value)}`
  }
  return `${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`
}

/** A short digest of a record's JSON; `undefined` when it is not JSON. */
function digest(record: unknown): string | undefined {
  let json: string | undefined
  try {
    json = JSON.stringify(record)
  } catch {
    return undefined
  }
  return json === undefined
    ? undefined
    : createHash('sha256').update(json).digest('base64url').slice(0, 22)
}

/**
 * The incremental state of one call: the value the sequence asks with, the largest value among
 * the records it scanned and the records carrying it. The type of the first value it knows (the
 * saved one, `initial` or the first record's) is the type of all of them.
 */
export class CursorTracker {
  readonly since: HttpCursorValue | undefined
  largest: HttpCursorValue | undefined
  #boundary: Set<string>
  readonly #skip: ReadonlySet<string>
  #type: 'number' | 'string' | undefined

  /**
   * `saved`: the state of the position the call resumes from; `done`: that sequence ended (this
   * call starts a new one, asking for what is newer than its largest value).
   */
  constructor(
    readonly field: string,
    saved: HttpIncrementalState | undefined,
    done: boolean,
    initial: HttpCursorValue | undefined,
  ) {
    if (saved === undefined) {
      this.since = initial
      this.largest = initial
      this.#boundary = new Set()
      this.#skip = new Set()
    } else if (done) {
      this.since = saved.largest ?? saved.since
      this.largest = this.since
      // The records carrying the largest value are stored: the new sequence drops them.
      this.#skip = new Set(saved.largest === undefined ? [] : saved.boundary)
      this.#boundary = new Set(this.#skip)
    } else {
      this.since = saved.since
      this.largest = saved.largest ?? saved.since
      this.#skip = new Set(saved.skip)
      this.#boundary = new Set(saved.boundary)
    }
    const known = this.largest ?? this.since
    if (known !== undefined) this.#type = typeof known as 'number' | 'string'
  }

  /**
   * Scans a page's records and returns those to hand over: all of them, except the records
   * carrying `since` that the last load stored. Throws a {@link CursorProblem} for the first
   * record without a usable value.
   */
  scan<Item>(records: Item[]): Item[] {
    let largest = this.largest
    const values: HttpCursorValue[] = new Array(records.length)
    for (let index = 0; index < records.length; index++) {
      const value = getPath(records[index], this.field)
      const type = typeof value
      if (type !== 'number' && type !== 'string') {
        throw new CursorProblem(
          `its cursor field "${this.field}" is ${describe(value)}, expected a string or a number`,
          { index },
        )
      }
      if (type === 'number' && !Number.isFinite(value)) {
        throw new CursorProblem(`its cursor field "${this.field}" is ${String(value)}`, { index })
      }
      this.#type ??= type
      if (type !== this.#type) {
        throw new CursorProblem(
          `its cursor field "${this.field}" is ${describe(value)}, the other cursor values are ${this.#type}s (a load compares values of one type)`,
          { index },
        )
      }
      values[index] = value as HttpCursorValue
    }
    // Every record checked: only now does the state change (a bad page changes nothing).
    let kept: Item[] | undefined
    for (let index = 0; index < records.length; index++) {
      const value = values[index] as HttpCursorValue
      const record = records[index] as Item
      const key = value === this.since || value === largest ? digest(record) : undefined
      if (value === this.since && key !== undefined && this.#skip.has(key)) {
        kept ??= records.slice(0, index)
        continue
      }
      kept?.push(record)
      if (largest === undefined || value > largest) {
        largest = value
        this.#boundary = new Set()
      }
      if (value === largest) {
        const boundaryKey = key ?? digest(record)
        if (boundaryKey !== undefined) this.#boundary.add(boundaryKey)
      }
    }
    this.largest = largest
    return kept ?? records
  }

  /** The state to keep in the position after the records scanned so far. */
  state(): HttpIncrementalState {
    const state: HttpIncrementalState = {}
    if (this.since !== undefined) state.since = this.since
    if (this.largest !== undefined) state.largest = this.largest
    if (this.#boundary.size > 0) state.boundary = [...this.#boundary]
    if (this.#skip.size > 0) state.skip = [...this.#skip]
    return state
  }
}
