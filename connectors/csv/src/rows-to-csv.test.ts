import { stringify } from 'csv-stringify/sync'
import { describe, expect, it } from 'vitest'
import { rowsToCsv } from './rows-to-csv.js'

const pieces = [
  'a',
  'é',
  '😀',
  ' ',
  '"',
  ',',
  ';',
  '\t',
  '|',
  '\n',
  '\r',
  '\r\n',
  '^',
  ']',
  '-',
  '\\',
  '=',
  '',
]

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

describe('rowsToCsv', () => {
  it.each([
    { delimiter: ',', recordDelimiter: '\n', quoted: false },
    { delimiter: ';', recordDelimiter: '\r\n', quoted: false },
    { delimiter: '\t', recordDelimiter: '\n', quoted: false },
    { delimiter: '|', recordDelimiter: '\n', quoted: true },
    { delimiter: ']', recordDelimiter: '\n', quoted: false },
    { delimiter: '^', recordDelimiter: '\n', quoted: false },
    { delimiter: '::', recordDelimiter: '\n', quoted: false },
  ])('writes what csv-stringify writes (delimiter $delimiter, quoted $quoted)', (options) => {
    const next = random(42)
    const field = () =>
      Array.from(
        { length: Math.floor(next() * 4) },
        () => pieces[Math.floor(next() * pieces.length)],
      ).join('')
    const rows = Array.from({ length: 2000 }, () => Array.from({ length: 5 }, field))
    const expected = stringify(rows, {
      delimiter: options.delimiter,
      record_delimiter: options.recordDelimiter,
      quote_record_delimiter: true,
      quoted: options.quoted,
    })
    expect(rowsToCsv(options)(rows)).toBe(expected)
  })
})
