/** A growable FIFO ring buffer: O(1) `push` and `shift`, no `Array#shift`. */
export class RingBuffer<T> {
  #slots: (T | undefined)[] = new Array(16)
  #mask = 15
  #head = 0
  #length = 0

  get length(): number {
    return this.#length
  }

  push(value: T): void {
    if (this.#length > this.#mask) this.#grow()
    this.#slots[(this.#head + this.#length) & this.#mask] = value
    this.#length++
  }

  /** Removes and returns the oldest value; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const value = this.#slots[this.#head]
    this.#slots[this.#head] = undefined
    this.#head = (this.#head + 1) & this.#mask
    this.#length--
    return value
  }

  clear(): void {
    this.#slots = new Array(16)
    this.#mask = 15
    this.#head = 0
    this.#length = 0
  }

  #grow(): void {
    const slots: (T | undefined)[] = new Array(this.#slots.length * 2)
    for (let index = 0; index < this.#length; index++) {
      slots[index] = this.#slots[(this.#head + index) & this.#mask]
    }
    this.#slots = slots
    this.#mask = slots.length - 1
    this.#head = 0
  }
}
