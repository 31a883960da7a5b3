// Resumable loads: the position httpSource yields after each page with `checkpoint()`, and how
// a resumed call reads it back (see "Resumable and incremental loads" in the README).

import { createHash } from 'node:crypto'
import type { HttpIncremental } from './http-source-options.js'
import type { CursorValue } from './incremental.js'
import { type HttpPagination, ResumeProblem } from './pagination.js'
import type { Redactor } from './redact.js'
import type { HttpRequest } from './request.js'

/**
 * What a position was saved for, without secrets: a call that asks for something else refuses
 * to resume from it (its pages would not be the ones the sinks have).
 */
export interface HttpPositionFor {
  /** The method of the first request. */
  method: string
  /** The first request's URL with the options' query, secret values shown as `***`. */
  url: string
  /** A SHA-256 of the JSON body (secret values taken out), when there is one. */
  body?: string
  /** The pagination type and its settings (`page param=page start=1 size=100`). */
  pagination: string
  /** The incremental settings (`cursorField=updated_at param=updated_since`), when set. */
  incremental?: string
}

/**
 * The position `httpSource` saves after each page: what restarts its sequence after that page.
 * JSON, without secrets.
 */
export interface HttpPosition {
  /** The version of this format. */
  httpSource: 1
  /** What it was saved for. */
  for: HttpPositionFor
  /** Pages of the sequence done (fetched and handed over, empty ones included). */
  pages: number
  /** Records of the sequence handed over (for `total`). */
  records: number
  /** The sequence ended with that page. */
  done?: true
  /**
   * What the next page is asked with, per pagination type: `{ page }`, `{ offset }`,
   * `{ cursor }`, `{ url, secrets? }` (link), `{ method, url, secrets?, body? }` or `{ custom }`.
   */
  next?: Record<string, unknown>
  /** An incremental load: the value sent in this sequence and the largest one stored. */
  incremental?: { since?: CursorValue; largest?: CursorValue }
}

/** How the pagination is set up, for {@link HttpPositionFor.pagination}. */
export function describePagination<Item>(pagination: HttpPagination<Item> | undefined): string {
  if (pagination === undefined) return 'none'
  const settings = Object.entries(pagination)
    .filter(([name, value]) => name !== 'type' && value !== undefined)
    .map(([name, value]) => `${name}=${typeof value === 'function' ? 'function' : String(value)}`)
    .sort()
  return [pagination.type, ...settings].join(' ')
}

/** What a call's position is saved for: its first request (before the incremental parameter). */
export function positionFor<Item>(
  request: HttpRequest,
  pagination: HttpPagination<Item> | undefined,
  incremental: HttpIncremental | undefined,
  redactor: Redactor,
): HttpPositionFor {
  const identity: HttpPositionFor = {
    method: request.method,
    url: redactor.url(request.url),
    pagination: describePagination(pagination),
  }
  if (request.body !== undefined) {
    const json = redactor.text(JSON.stringify(request.body) ?? 'undefined')
    identity.body = createHash('sha256').update(json).digest('hex')
  }
  if (incremental !== undefined) {
    identity.incremental = `cursorField=${incremental.cursorField} param=${incremental.param}`
  }
  return identity
}

/** What differs between what a position was saved for and this call, or `undefined`. */
export function positionDifference(
  saved: HttpPositionFor,
  now: HttpPositionFor,
): string | undefined {
  const differences: string[] = []
  const compare = (what: string, before: string | undefined, after: string | undefined) => {
    if (before !== after) {
      const show = (value: string | undefined) => (value === undefined ? 'none' : `"${value}"`)
      differences.push(`${what}: saved for ${show(before)}, this call has ${show(after)}`)
    }
  }
  compare('the method', saved.method, now.method)
  compare('the URL', saved.url, now.url)
  if (saved.body !== now.body) {
    differences.push(
      saved.body === undefined || now.body === undefined
        ? `the body: saved ${saved.body === undefined ? 'without' : 'with'} one, this call has ${now.body === undefined ? 'none' : 'one'}`
        : 'the body differs',
    )
  }
  compare('the pagination', saved.pagination, now.pagination)
  compare('the incremental settings', saved.incremental, now.incremental)
  return differences.length === 0 ? undefined : differences.join('; ')
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads a saved position back; a {@link ResumeProblem} when it is not one httpSource made. */
export function readPosition(value: unknown): HttpPosition {
  if (!isRecord(value) || value.httpSource !== 1 || !isRecord(value.for)) {
    throw new ResumeProblem(
      `the saved position is not one this version of httpSource makes: ${JSON.stringify(value)?.slice(0, 200)}`,
    )
  }
  const { pages, records, done, next, incremental } = value
  const counted = (number: unknown) => Number.isSafeInteger(number) && (number as number) >= 0
  if (!counted(pages) || !counted(records)) {
    throw new ResumeProblem('the saved position has no page or record count')
  }
  if (done !== undefined && done !== true) throw new ResumeProblem('its "done" is not true')
  if (done === undefined && !isRecord(next)) {
    throw new ResumeProblem('the saved position has neither "done" nor "next"')
  }
  if (incremental !== undefined && !isRecord(incremental)) {
    throw new ResumeProblem('its "incremental" is not an object')
  }
  return value as unknown as HttpPosition
}
