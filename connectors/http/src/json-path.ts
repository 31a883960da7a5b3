/**
 * Reads a dotted path (`"data.items"`, `"meta.page.next"`, `"results.0.id"`) from parsed JSON.
 * The empty path is the value itself. Returns `undefined` when a step is missing.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value
  let current = value
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    if (!Object.hasOwn(current, key)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}
