import type { Parser } from 'csv-parse'

/** Records buffered before the parser is paused. */
const MAX_BUFFERED = 1024

/**
 * The records of a csv-parse stream, every record parsed before an error included (an async
 * iterator over the stream would drop the records still buffered when the error comes).
 */
export async function* parserRecords(parser: Parser): AsyncGenerator<unknown, void, undefined> {
  let buffer: unknown[] = []
  let failure: { error: unknown } | undefined
  let ended = false
  let wake: (() => void) | undefined
  const notify = () => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  parser.on('data', (record: unknown) => {
    if (buffer.push(record) >= MAX_BUFFERED) parser.pause()
    notify()
  })
  parser.on('error', (error: unknown) => {
    failure ??= { error }
    notify()
  })
  parser.on('end', () => {
    ended = true
    notify()
  })
  parser.on('close', () => {
    ended = true
    notify()
  })
  for (;;) {
    if (buffer.length > 0) {
      const records = buffer
      buffer = []
      if (parser.isPaused()) parser.resume()
      for (const record of records) yield record
    } else if (failure) throw failure.error
    else if (ended) return
    else await new Promise<void>((resolve) => (wake = resolve))
  }
}
