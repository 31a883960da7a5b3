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

/** The last byte of a non-empty file. */
export async function readLastByte(path: string, size: number): Promise<number> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(1)
    await handle.read(buffer, 0, 1, size - 1)
    return buffer[0] as number
  } finally {
    await handle.close()
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
