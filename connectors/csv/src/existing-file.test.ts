import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers.js'
import { scanRecords } from './existing-file.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

describe('scanRecords', () => {
  it('follows quotes and CRLF across the 1 MiB chunks it reads', async () => {
    const path = join(dir, 'big.csv')
    // A quoted field filling the first chunk, whose CR ends it and whose LF starts the next one.
    const first = `"${'y\n'.repeat((1 << 19) - 2)}y"\r`
    expect(first.length).toBe(1 << 20)
    await writeFile(path, `${first}\n1,"open\nfield`)
    expect(await scanRecords(path)).toEqual({
      recordDelimiter: '\r\n',
      complete: false,
      inQuotes: true,
      endsWithCr: false,
      lastRecordOffset: (1 << 20) + 1,
      lastRecordLine: (1 << 19) - 2 + 2,
    })
  })

  it('finds a complete file, and an escaped quote that does not end a field', async () => {
    const path = join(dir, 'ok.csv')
    await writeFile(path, 'a,b\n1,"x ""y""\nz"\n')
    expect(await scanRecords(path)).toMatchObject({
      recordDelimiter: '\n',
      complete: true,
      lastRecordOffset: 18,
      lastRecordLine: 4,
    })
  })
})
