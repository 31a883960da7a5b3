import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { parse } from 'csv-parse'

/** The first record of a CSV file (its header), BOM stripped; `[]` when the file is empty. */
export async function readFirstRecord(path: string, delimiter: string): Promise<string[]> {
  const input = createReadStream(path)
  const parser = parse({ delimiter, bom: true, to: 1, relax_column_count: true })
  input.on('error', (error) => parser.destroy(error))
  input.pipe(parser)
  try {
    for await (const record of parser) return record as string[]
    return []
  } finally {
    input.destroy()
    parser.destroy()
  }
}

/** How the records of an existing file end, from {@link scanRecords}. */
export interface RecordLayout {
  /** The line break after the first record, `undefined` when no line break ends a record. */
  recordDelimiter: '\n' | '\r\n' | undefined
  /** The file ends with a line break outside quotes: its last record is complete. */
  complete: boolean
  /** The file ends inside a quoted field. */
  inQuotes: boolean
  /** The file ends with CR outside quotes (a CRLF cut between CR and LF). */
  endsWithCr: boolean
  /** Where the last record starts: the byte after the last line break outside quotes. */
  lastRecordOffset: number
  /** The line (1-based) the last record starts on. */
  lastRecordLine: number
}

const QUOTE = 0x22
const LF = 0x0a
const CR = 0x0d

/**
 * Reads a whole file once and tracks RFC 4180 quoting (every `"` opens or closes a quoted field;
 * an escaped `""` does both), to find the record delimiter (the line break ending the first
 * record) and whether the file ends inside a record: a quoted field left open, or a last line
 * without a line break, which is what a writer killed mid-write leaves.
 */
export async function scanRecords(path: string): Promise<RecordLayout> {
  let inQuotes = false
  let lines = 0
  let recordDelimiter: RecordLayout['recordDelimiter']
  let lastRecordOffset = 0
  let lastRecordLine = 1
  let base = 0
  let previous = -1
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]
      if (byte === QUOTE) inQuotes = !inQuotes
      else if (byte === LF) {
        lines++
        if (inQuotes) continue
        lastRecordOffset = base + index + 1
        lastRecordLine = lines + 1
        if (recordDelimiter === undefined) {
          const before = index > 0 ? chunk[index - 1] : previous
          recordDelimiter = before === CR ? '\r\n' : '\n'
        }
      }
    }
    base += chunk.length
    if (chunk.length > 0) previous = chunk[chunk.length - 1] as number
  }
  return {
    recordDelimiter,
    complete: !inQuotes && (base === 0 || previous === LF),
    inQuotes,
    endsWithCr: !inQuotes && previous === CR,
    lastRecordOffset,
    lastRecordLine,
  }
}

/** True when a 3-byte file is exactly a UTF-8 byte order mark. */
export async function isBomOnly(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(3)
    await handle.read(buffer, 0, 3, 0)
    return buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf
  } finally {
    await handle.close()
  }
}
