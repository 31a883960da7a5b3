import { Worker } from 'node:worker_threads'

/**
 * A clock the executor's hot loop reads for the price of an array load: a helper thread adds
 * one to a shared counter every {@link TICK_MS} while a run is active, so the workers notice
 * that time went by without calling `performance.now()` per item.
 *
 * One thread at most per loaded copy of this module, started the first time a run kept the
 * event loop busy for ~16 ms (short runs never start it). It sleeps in `Atomics.wait` while no run is active, and
 * while a run waits (for I/O, a timer, a slow call) with the last tick not yet seen by any
 * worker (see {@link tickSeen}): no wake-ups in an idle process nor in a long run that waits.
 * It is `unref()`ed (it never keeps the process alive) and costs about 8 MB of RSS, which it
 * gives back by ending after {@link IDLE_MS} without a run (the next busy run starts another):
 * a process that loads the package many times (a test runner with a module registry per
 * file) does not collect sleeping threads.
 * Until it has started, or where threads are refused (a permission model without
 * `--allow-worker`), the executor reads the clock every few items instead.
 */

/** How often the thread advances the counter while a run is active. */
export const TICK_MS = 4

/** How long the thread waits for a run before it ends. */
export const IDLE_MS = 5_000

/** The cells shared with the thread (Int32 indexes). */
const EPOCH = 0
const LIVE = 1
const ACTIVE = 2
const SLEEP = 3
/** The last counter value a worker saw: the thread ticks again only once this caught up. */
const SEEN = 4

const cells = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT))

/**
 * The counter the workers compare with the value they saw last: `ticks[0]`, never negative.
 * It changes every {@link TICK_MS} during a run once {@link tickerLive} is true, as long as
 * the workers step (they call {@link tickSeen}); a run that waits sees one change.
 */
export const ticks: Int32Array = cells

// CommonJS: the code of an `eval` worker. It allocates next to nothing: it needs no heap to speak of.
const threadCode = `
const { workerData } = require('node:worker_threads')
const cells = new Int32Array(workerData)
Atomics.store(cells, ${LIVE}, 1)
let last = 0
for (;;) {
  const active = Atomics.load(cells, ${ACTIVE})
  const seen = Atomics.load(cells, ${SEEN})
  if (active <= 0) {
    if (Atomics.wait(cells, ${ACTIVE}, active, ${IDLE_MS}) === 'timed-out') {
      // No run for a while: end, unless a run began meanwhile (it read LIVE after counting
      // itself in ACTIVE, so it either saw 0 here or is seen below).
      Atomics.store(cells, ${LIVE}, 0)
      if (Atomics.load(cells, ${ACTIVE}) <= 0) break
      Atomics.store(cells, ${LIVE}, 1)
    }
  }
  // The last tick is not seen yet: the runs wait (or one call is busy), one tick tells them.
  else if (seen !== Atomics.load(cells, ${EPOCH})) Atomics.wait(cells, ${SEEN}, seen)
  else {
    // ${TICK_MS} ms after the last tick; at once when a worker saw a tick made long ago (it
    // steps again, maybe into a slow call: no second wake-up of this thread needed first).
    const rest = last + ${TICK_MS} - performance.now()
    if (rest > 0) Atomics.wait(cells, ${SLEEP}, 0, rest)
    // Kept in [0, 2^30): the executor marks "not ticking" with -1.
    if (Atomics.add(cells, ${EPOCH}, 1) >= 0x3fffffff) Atomics.store(cells, ${EPOCH}, 0)
    last = performance.now()
  }
}
`

/** `started` from `new Worker` until the thread ended. */
let state: 'idle' | 'started' | 'failed' = 'idle'

/** True once the thread runs: from then on {@link ticks} advances during every run. */
export function tickerLive(): boolean {
  return Atomics.load(cells, LIVE) === 1
}

/** Starts the thread if it is not started yet; a refusal leaves the executor on its clock. */
export function startTicker(): void {
  if (state !== 'idle') return
  state = 'started'
  let thread: Worker
  try {
    thread = new Worker(threadCode, {
      eval: true,
      workerData: cells.buffer,
      // No loaders, --require hooks or inspector of the process: the thread needs none.
      execArgv: [],
      stdout: true,
      stderr: true,
      name: 'graphflow ticker',
    })
  } catch {
    state = 'failed'
    return
  }
  thread.unref()
  // Runs go back to reading the clock every few items (see AsyncExecutor's #due).
  thread.on('error', () => {
    Atomics.store(cells, LIVE, 0)
    state = 'failed'
  })
  thread.on('exit', (code) => {
    Atomics.store(cells, LIVE, 0)
    // 0: it ended after IDLE_MS without a run; the next busy run starts another.
    if (state !== 'failed') state = code === 0 ? 'idle' : 'failed'
  })
}

/**
 * A worker saw the counter at `value` (read from {@link ticks}): the thread may tick again.
 * Called once per tick at most, not per step.
 */
export function tickSeen(value: number): void {
  Atomics.store(cells, SEEN, value)
  Atomics.notify(cells, SEEN)
}

/**
 * A run began: the thread advances the counter while at least one run is active. Returns
 * the counter's value, which now counts as seen: the run starts from it (a later value
 * read without {@link tickSeen} could be a tick the thread waits to be seen, forever). Read
 * {@link tickerLive} after this call, not before: a thread that ends for want of runs does
 * not end once this call counted the run.
 */
export function runBegan(): number {
  Atomics.add(cells, ACTIVE, 1)
  Atomics.notify(cells, ACTIVE)
  const value = Atomics.load(cells, EPOCH)
  tickSeen(value)
  return value
}

/** A run ended; after the last one, a thread asleep until a tick is seen waits for runs. */
export function runEnded(): void {
  if (Atomics.sub(cells, ACTIVE, 1) === 1) Atomics.notify(cells, SEEN)
}
