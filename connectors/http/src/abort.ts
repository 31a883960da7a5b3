/** Waits `ms` milliseconds; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * A controller that aborts when any of `parents` aborts (with that parent's reason).
 * Call `dispose()` when done so that long-lived parents do not keep listeners.
 */
export function linkedController(parents: ReadonlyArray<AbortSignal | undefined>): {
  controller: AbortController
  dispose(): void
} {
  const controller = new AbortController()
  const listeners: Array<[AbortSignal, () => void]> = []
  for (const parent of parents) {
    if (!parent) continue
    if (parent.aborted) {
      controller.abort(parent.reason)
      break
    }
    const onAbort = () => controller.abort(parent.reason)
    parent.addEventListener('abort', onAbort, { once: true })
    listeners.push([parent, onAbort])
  }
  return {
    controller,
    dispose() {
      for (const [parent, onAbort] of listeners) parent.removeEventListener('abort', onAbort)
      listeners.length = 0
    },
  }
}
