import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileCheckpointStore, memoryCheckpointStore } from './checkpoint-store.js'
import { GraphflowError } from './errors.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'graphflow-store-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('fileCheckpointStore', () => {
  it('a missing file is an empty store; put then get returns the value, per key', async () => {
    const path = join(dir, 'state.json')
    const store = fileCheckpointStore(path)
    expect(await store.get('a')).toBeUndefined()
    await store.put('a', { page: 3 })
    await store.put('b', [1, 'two'])
    await store.put('a', { page: 4 })
    expect(await store.get('a')).toEqual({ page: 4 })
    // A new store on the same file reads what the first one wrote.
    expect(await fileCheckpointStore(path).get('b')).toEqual([1, 'two'])
    // No temporary file is left next to it.
    expect(await readdir(dir)).toEqual(['state.json'])
  })

  it('puts started together are written one after the other, none lost', async () => {
    const store = fileCheckpointStore(join(dir, 'state.json'))
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.put(`k${index}`, index)))
    for (let index = 0; index < 10; index++) expect(await store.get(`k${index}`)).toBe(index)
  })

  it('refuses a corrupt file with an error naming the path, and does not overwrite it', async () => {
    const path = join(dir, 'state.json')
    await writeFile(path, '{"format": "graphflow-checkp')
    const store = fileCheckpointStore(path)
    const error = await store.get('a').catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(GraphflowError)
    expect((error as GraphflowError).code).toBe('CHECKPOINT_STATE')
    expect((error as Error).message).toContain(path)
    await expect(store.put('a', 1)).rejects.toThrow(path)
    expect(await readFile(path, 'utf8')).toBe('{"format": "graphflow-checkp')
  })

  it('refuses a JSON file it did not write, naming the path', async () => {
    const path = join(dir, 'package.json')
    await writeFile(path, '{"name": "not-a-checkpoint"}')
    await expect(fileCheckpointStore(path).put('a', 1)).rejects.toThrow(
      `checkpoint file '${path}' is not a graphflow checkpoint file`,
    )
    expect(await readFile(path, 'utf8')).toBe('{"name": "not-a-checkpoint"}')
  })

  it('refuses a value that is not JSON, and a bad path', async () => {
    const store = fileCheckpointStore(join(dir, 'state.json'))
    await expect(store.put('a', { big: 1n })).rejects.toThrow(/under 'a' is not JSON/)
    expect(() => fileCheckpointStore('')).toThrow(
      new TypeError('fileCheckpointStore option "path": expected a non-empty string, got ""'),
    )
  })
})

describe('memoryCheckpointStore', () => {
  it('copies values through JSON, as a durable store would', async () => {
    const store = memoryCheckpointStore()
    const value = { page: 1 }
    await store.put('k', value)
    value.page = 2
    expect(await store.get('k')).toEqual({ page: 1 })
    expect(await store.get('other')).toBeUndefined()
    await expect(store.put('k', undefined)).rejects.toThrow(/not JSON/)
  })
})
