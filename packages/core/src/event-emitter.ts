/** A minimal typed event emitter, free of Node's `events` so core runs anywhere. */
export class TypedEmitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<Name extends keyof Events>(
    event: Name,
    listener: (payload: Events[Name]) => void,
  ): () => void {
    let listeners = this.#listeners.get(event)
    if (!listeners) {
      listeners = new Set()
      this.#listeners.set(event, listeners)
    }
    listeners.add(listener)
    return () => this.off(event, listener)
  }

  /** Removes a listener added with `on`. */
  off<Name extends keyof Events>(event: Name, listener: (payload: Events[Name]) => void): void {
    this.#listeners.get(event)?.delete(listener)
  }

  /** True when at least one listener listens to `event`. */
  protected listens(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0
  }

  /** Calls each listener; a listener that throws is reported to `onListenerError`. */
  protected emit<Name extends keyof Events>(event: Name, payload: Events[Name]): void {
    const listeners = this.#listeners.get(event)
    if (!listeners) return
    for (const listener of listeners) {
      try {
        ;(listener as (payload: Events[Name]) => void)(payload)
      } catch (error) {
        this.onListenerError(event, error)
      }
    }
  }

  /** Called when a listener throws; subclasses log it. */
  protected onListenerError(_event: keyof Events, _error: unknown): void {}
}
