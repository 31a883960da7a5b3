/**
 * An expected problem the user can fix (a path that cannot be written, an API that cannot be
 * reached): the CLI prints its message as one line, and its stack only with `--verbose`.
 */
export class BreweriesError extends Error {
  override name = 'BreweriesError'
}
