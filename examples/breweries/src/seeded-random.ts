/** A function returning a pseudo-random number in `[0, 1)`, like `Math.random`. */
export type RandomSource = () => number

/**
 * mulberry32: a tiny, fast, seeded 32-bit PRNG. The same seed always yields the same sequence.
 * Not suitable for cryptography.
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = state
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A deterministic number in `[0, 1)` derived from a seed and some integer keys, independent of
 * call order: `randomFor(7, 3, 12)` is always the same value.
 */
export function randomFor(seed: number, ...keys: readonly number[]): number {
  let hash = seed >>> 0
  for (const key of keys) {
    hash = Math.imul(hash ^ (key >>> 0), 0x9e3779b1) >>> 0
    hash = (hash ^ (hash >>> 16)) >>> 0
  }
  return mulberry32(hash)()
}

/** A random integer in `[minimum, maximum]` (both inclusive). */
export function randomInteger(random: RandomSource, minimum: number, maximum: number): number {
  return minimum + Math.floor(random() * (maximum - minimum + 1))
}

/** A random element of a non-empty list. */
export function pick<T>(random: RandomSource, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)]
  if (item === undefined) throw new RangeError('pick() needs a non-empty list')
  return item
}

/** A random element, chosen with probability proportional to its weight. */
export function pickWeighted<T>(random: RandomSource, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0)
  let remaining = random() * total
  for (const [item, weight] of items) {
    remaining -= weight
    if (remaining < 0) return item
  }
  const last = items[items.length - 1]
  if (last === undefined) throw new RangeError('pickWeighted() needs a non-empty list')
  return last[0]
}

/** Shuffles a list in place (Fisher-Yates) and returns it. */
export function shuffle<T>(random: RandomSource, items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    const current = items[index] as T
    items[index] = items[other] as T
    items[other] = current
  }
  return items
}

/** A deterministic, uuid-v4-shaped string (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`). */
export function randomUuid(random: RandomSource): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16)
  const text = hex.join('')
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`
}
