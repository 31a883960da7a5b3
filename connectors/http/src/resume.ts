import { messageOf } from '@graphflow/core'
// Resumable loads: the position httpSource yields after each page with `checkpoint()`, and how
// a resumed call reads it back (see "Resumable and incremental loads" in the README).

import { createHash } from 'node:crypto'
import { type HttpError, redactedError } from './http-error.js'
import type { HttpIncremental } from './http-source-options.js'
import type { CursorTracker, HttpIncrementalState } from './incremental.js'
import { PaginationProblem, type Paginator } from './pagination.js'
import type { HttpPage, HttpPagination } from './pagination-types.js'
import type { PageStep } from './read-pages.js'
import type { Redactor } from './redact.js'
import type { HttpRequest } from './request.js'
import { ResumeProblem } from './saved-request.js'

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
  /**
   * An incremental load: the value this sequence asks with, the largest one stored and digests
   * of the records carrying it.
   */
  incremental?: HttpIncrementalState
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

/**
 * The position a call resumes from, checked against what this call asks for: an `HTTP_RESUME`
 * error naming the node and what differs when it was saved for another request.
 */
export function savedPosition(
  value: unknown,
  call: { identity: HttpPositionFor; request: HttpRequest; redactor: Redactor; node: string },
): HttpPosition {
  const refuse = (problem: string, page: number) =>
    redactedError(
      call.redactor,
      `httpSource '${call.node}' cannot resume from the saved position: ${problem}; use another checkpoints.key or remove the saved state to start over`,
      { code: 'HTTP_RESUME', method: call.request.method, url: call.request.url, page },
    )
  let saved: HttpPosition
  try {
    saved = readPosition(value)
  } catch (error) {
    throw refuse(messageOf(error), 1)
  }
  const difference = positionDifference(saved.for, call.identity)
  if (difference !== undefined) {
    throw refuse(`it was saved for another request (${difference})`, saved.pages + 1)
  }
  return saved
}

/** What {@link positionAfter} needs of a call. */
export interface PositionContext<Item> {
  identity: HttpPositionFor
  paginator: Paginator<Item>
  /** An incremental load's state. */
  cursor: CursorTracker | undefined
  redactor: Redactor
  /** Turns a problem into the call's error about `page`. */
  fail(error: unknown, page: HttpPage<Item>): HttpError
}

/**
 * The position after a page: what restarts the sequence after it. Never one that holds a
 * credential the source knows: that fails with `HTTP_PAGINATION` instead.
 */
export function positionAfter<Item>(
  step: Extract<PageStep<Item>, { kind: 'end' }>,
  context: PositionContext<Item>,
): HttpPosition {
  const after: HttpPosition = {
    httpSource: 1,
    for: context.identity,
    pages: step.index + 1,
    records: step.records,
  }
  if (step.next === undefined) after.done = true
  else {
    try {
      after.next = context.paginator.save(step.next, step.index + 1, step.page)
    } catch (error) {
      throw context.fail(error, step.page)
    }
  }
  if (context.cursor) after.incremental = context.cursor.state()
  if (context.redactor.holdsSecret(JSON.stringify(after))) {
    throw context.fail(
      new PaginationProblem(
        'the position after this page would hold a credential of the options: not saved (give pagination.position and pagination.resume to keep it out)',
      ),
      step.page,
    )
  }
  return after
}
