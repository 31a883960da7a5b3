import { randomFor } from './seeded-random.js'

/**
 * Which requests a fault counts and may hit:
 * `list` = `GET /v1/breweries`, `meta` = `GET /v1/breweries/meta`, `all` = every request.
 */
export type FaultScope = 'list' | 'meta' | 'all'

/** When a fault fires. With neither `on` nor `rate`, it fires on every eligible request. */
export interface FaultTrigger {
  /**
   * 1-based request numbers, counted among the requests of `scope` (so `[2, 5]` with the default
   * scope means the 2nd and 5th `GET /v1/breweries`).
   */
  on?: readonly number[]
  /**
   * Probability in `[0, 1]` of firing, decided by a seeded hash of the request number, so the same
   * seed and request sequence always fault the same requests.
   */
  rate?: number
  /**
   * Also fire on retries. By default a fault only fires on the first attempt of a given page
   * (same path, filters, page and per_page), so a client that retries gets through. A
   * `malformed-json` body comes with status 200: clients (graphflow's HTTP source too) report
   * it as an error rather than retry it.
   * @default false
   */
  repeat?: boolean
  /**
   * Which requests are counted for `on` and `rate`, and may be hit.
   * @default 'list'
   */
  scope?: FaultScope
}

/** Answer with an error status (e.g. 500, 502, 503) and a JSON error body. */
export interface StatusFault extends FaultTrigger {
  kind: 'status'
  /** HTTP status to answer with, 400 to 599. */
  status: number
}

/** Answer "slow down" with a `Retry-After: <seconds>` header. */
export interface RetryAfterFault extends FaultTrigger {
  kind: 'retry-after'
  /** Value of the `Retry-After` header, in whole seconds. */
  seconds: number
  /**
   * HTTP status to answer with.
   * @default 429
   */
  status?: number
}

/** Destroy the TCP connection. */
export interface ResetFault extends FaultTrigger {
  kind: 'reset'
  /**
   * `before-headers`: destroy the socket before writing anything (the client sees a socket
   * hang-up); `mid-body`: send the headers (with the full `Content-Length`) and about half of the
   * body, then destroy the socket.
   * @default 'mid-body'
   */
  when?: 'before-headers' | 'mid-body'
}

/** Send the headers at once, then wait before sending the body. */
export interface SlowBodyFault extends FaultTrigger {
  kind: 'slow-body'
  /**
   * Milliseconds between the headers and the body.
   * @default 1000
   */
  delayMs?: number
}

/** Answer 200 with `application/json` but a truncated, unparsable body (correct Content-Length). */
export interface MalformedJsonFault extends FaultTrigger {
  kind: 'malformed-json'
}

/** One fault the replay server can inject. */
export type Fault = StatusFault | RetryAfterFault | ResetFault | SlowBodyFault | MalformedJsonFault

/** The discriminant of a {@link Fault}. */
export type FaultKind = Fault['kind']

/**
 * Faults to inject, checked in order; the first that fires wins.
 * @example [{ kind: 'status', status: 503, on: [2, 5] }, { kind: 'reset', rate: 0.05 }]
 */
export type FaultPlan = readonly Fault[]

/** What the fault injector needs to know about one incoming request. */
export interface FaultCandidate {
  /** `list`, `meta`, or `other` for any other path. */
  route: 'list' | 'meta' | 'other'
  /** Identifies "the same page": requests with an equal key are attempts of one page. */
  attemptKey: string
}

/** Decides, request by request, which fault of a plan (if any) fires. Stateful: one per server. */
export class FaultInjector {
  readonly #plan: FaultPlan
  readonly #seed: number
  readonly #counts: Record<FaultScope, number> = { list: 0, meta: 0, all: 0 }
  readonly #seenAttemptKeys = new Set<string>()

  /** Throws a `RangeError` when the plan is invalid (bad status, rate, seconds or delay). */
  constructor(plan: FaultPlan, seed: number) {
    plan.forEach(validateFault)
    this.#plan = plan
    this.#seed = seed
  }

  /** Counts the request and returns the fault to inject, or `undefined` to answer normally. */
  choose(candidate: FaultCandidate): Fault | undefined {
    this.#counts.all++
    if (candidate.route !== 'other') this.#counts[candidate.route]++
    const isFirstAttempt = !this.#seenAttemptKeys.has(candidate.attemptKey)
    this.#seenAttemptKeys.add(candidate.attemptKey)
    return this.#plan.find((fault, index) => {
      const scope = fault.scope ?? 'list'
      if (scope !== 'all' && scope !== candidate.route) return false
      if (!isFirstAttempt && fault.repeat !== true) return false
      return this.#triggers(fault, index, this.#counts[scope])
    })
  }

  #triggers(fault: Fault, index: number, requestNumber: number): boolean {
    if (fault.on === undefined && fault.rate === undefined) return true
    if (fault.on?.includes(requestNumber)) return true
    return fault.rate !== undefined && randomFor(this.#seed, index, requestNumber) < fault.rate
  }
}

function validateFault(fault: Fault, index: number): void {
  const problem = faultProblem(fault)
  if (problem !== undefined) throw new RangeError(`faults[${index}] (${fault.kind}): ${problem}`)
}

function faultProblem(fault: Fault): string | undefined {
  if (fault.rate !== undefined && !(fault.rate >= 0 && fault.rate <= 1)) {
    return `rate must be between 0 and 1, got ${fault.rate}`
  }
  if (fault.on?.some((number) => !Number.isInteger(number) || number < 1)) {
    return 'on must list 1-based request numbers'
  }
  switch (fault.kind) {
    case 'status':
      return isErrorStatus(fault.status) ? undefined : `status must be 400-599, got ${fault.status}`
    case 'retry-after':
      if (!Number.isInteger(fault.seconds) || fault.seconds < 0) {
        return `seconds must be a whole number >= 0, got ${fault.seconds}`
      }
      return fault.status === undefined || isErrorStatus(fault.status)
        ? undefined
        : `status must be 400-599, got ${fault.status}`
    case 'slow-body':
      return fault.delayMs === undefined || fault.delayMs >= 0
        ? undefined
        : `delayMs must be >= 0, got ${fault.delayMs}`
    case 'reset':
    case 'malformed-json':
      return undefined
  }
}

function isErrorStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 400 && status <= 599
}
