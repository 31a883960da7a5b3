/** `count` records `{ id }` numbered from `from`: the pages the tests' servers serve. */
export function records(from: number, count: number): Array<{ id: number }> {
  return Array.from({ length: count }, (_, index) => ({ id: from + index }))
}
