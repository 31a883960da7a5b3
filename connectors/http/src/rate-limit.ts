import { sleep } from './abort.js'

/**
 * Spaces request starts at least `1000 / requestsPerSecond` ms apart, across every request of
 * a source (retries and prefetched pages included). Each caller reserves the next free slot,
 * so concurrent callers are served in call order.
 */
export class RateLimiter {
  readonly #interval: number
  #nextSlot = 0

  /**
   * `requestsPerSecond` (> 0, checked with the other options by `checkOptions`) of `Infinity`
   * makes {@link RateLimiter.wait} return at once.
   */
  constructor(requestsPerSecond: number) {
    this.#interval = 1000 / requestsPerSecond
  }

  /** Resolves when the caller may start its request; rejects when `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.#interval === 0) return
    const now = performance.now()
    const slot = Math.max(now, this.#nextSlot)
    this.#nextSlot = slot + this.#interval
    // Timers may fire up to a millisecond early against performance.now(): wait out the rest.
    for (let left = slot - now; left > 0; left = slot - performance.now()) {
      await sleep(Math.ceil(left), signal)
    }
  }
}
