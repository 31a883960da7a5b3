import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Checkpoint, readCsvContent, redactUrl, writeCheckpoint } from '../src/checkpoint.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'breweries-checkpoint-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const checkpoint: Checkpoint = {
  apiUrl: 'offline',
  country: 'United States',
  perPage: 2,
  csv: 'us.csv',
  sqlite: undefined,
  records: { csv: 4 },
  complete: false,
  updatedAt: '2026-01-01T00:00:00.000Z',
}

describe('writeCheckpoint', () => {
  it('replaces the checkpoint and leaves no temp file', async () => {
    const path = join(directory, 'us.csv.checkpoint.json')
    await writeCheckpoint(path, checkpoint)
    await writeCheckpoint(path, { ...checkpoint, records: { csv: 6 } })
    expect(JSON.parse(await readFile(path, 'utf8')).records).toEqual({ csv: 6 })
    expect(await readdir(directory)).toEqual(['us.csv.checkpoint.json'])
  })

  // Guards issue 11 item 5: a failure names the checkpoint, not an internal temp file.
  it('names the checkpoint when it cannot be written', async () => {
    const path = join(directory, 'missing', 'us.csv.checkpoint.json')
    const error = await writeCheckpoint(path, checkpoint).catch((caught: Error) => caught)
    expect((error as Error).message).toBe(`cannot write the checkpoint ${path}: ENOENT`)
    expect((error as Error).message).not.toMatch(/\.tmp/)
  })
})

describe('redactUrl', () => {
  // Guards the trial's finding: what the checkpoint keeps of --api-url shows no secret.
  it('hides userinfo and secret-looking query values, keeps the rest', () => {
    expect(
      redactUrl('https://me:pw@api.test/v1/breweries?api_key=S1&access_token=S2&by_country=US'),
    ).toBe('https://***:***@api.test/v1/breweries?api_key=***&access_token=***&by_country=US')
    expect(redactUrl('http://127.0.0.1:8080/v1/breweries')).toBe(
      'http://127.0.0.1:8080/v1/breweries',
    )
    expect(redactUrl('offline')).toBe('offline')
  })
})

describe('readCsvContent', () => {
  const columns = ['id', 'name']
  const write = (text: string) => writeFile(join(directory, 'us.csv'), text)
  const read = () => readCsvContent(join(directory, 'us.csv'), columns, 2)

  it('counts whole records and where each page ends, quoted newlines included', async () => {
    const text = 'id,name\n1,a\n2,"b\nb"\n3,c\n4,d\n5,e\n'
    await write(text)
    expect(await read()).toEqual({
      records: 5,
      pageEnds: [8, text.indexOf('3,c'), text.indexOf('5,e')],
      size: text.length,
    })
  })

  // Guards issue 11 item 4: a run killed mid-write leaves a cut record; it is not counted.
  it('does not count a record cut by a killed run', async () => {
    await write('id,name\n1,a\n2,b\n3,"c')
    expect((await read())?.records).toBe(2)
    await write('id,name\n1,a\n2,b\n3,c')
    expect((await read())?.records).toBe(2)
    await write('id,name\n1,a\n2,b\nhalf')
    expect((await read())?.records).toBe(2)
  })

  it('is undefined without a file, and refuses a file that is not the breweries CSV', async () => {
    expect(await read()).toBeUndefined()
    await write('other,header\n1,a\n')
    await expect(read()).rejects.toThrow(/us\.csv does not start with the breweries header/)
  })
})
