import { describe, expect, it } from 'vitest'
import { BatchQueue } from '../test/fixtures/batch-queue.js'
import { AsyncQueue, QUEUE_EMPTY } from './async-queue.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('AsyncQueue', () => {
  it('is FIFO across many items, growing its ring buffer', () => {
    const queue = new AsyncQueue<number>()
    for (let index = 0; index < 1000; index++) queue.put(index)
    const taken: number[] = []
    for (let item = queue.tryGet(); item !== QUEUE_EMPTY; item = queue.tryGet()) taken.push(item)
    expect(taken).toEqual(Array.from({ length: 1000 }, (_, index) => index))
  })

  it('makes put wait while full and resumes producers once there is room', async () => {
    const queue = new AsyncQueue<number>(2)
    expect(queue.put(1)).toBeUndefined()
    expect(queue.put(2)).toBeUndefined()
    expect(queue.full).toBe(true)
    let resumed = false
    const waiting = queue.put(3)
    expect(waiting).toBeInstanceOf(Promise)
    void waiting?.then(() => {
      resumed = true
    })
    await tick()
    expect(resumed).toBe(false)
    expect(queue.tryGet()).toBe(1)
    await tick()
    expect(resumed).toBe(true)
    expect([queue.tryGet(), queue.tryGet(), queue.tryGet()]).toEqual([2, 3, QUEUE_EMPTY])
  })

  it('wakes a waiting consumer and signals the end once drained', async () => {
    const queue = new AsyncQueue<string>()
    const first = queue.next()
    queue.put('a')
    expect(await first).toBe('a')
    queue.put('b')
    await queue.end()
    expect(await queue.next()).toBe('b')
    expect(await queue.next()).toBe(QUEUE_EMPTY)
    await expect(queue.get()).rejects.toMatchObject({ code: 'QUEUE_ENDED' })
    expect(() => queue.put('late')).toThrow(/ended/)
  })

  it('releases waiting consumers with QUEUE_EMPTY when it ends empty', async () => {
    const queue = new AsyncQueue<number>()
    const waiting = [queue.next(), queue.next()]
    await queue.end()
    expect(await Promise.all(waiting)).toEqual([QUEUE_EMPTY, QUEUE_EMPTY])
  })

  it('discard drops items, releases blocked producers and drops later puts', async () => {
    const queue = new AsyncQueue<number>(1)
    queue.put(1)
    const blocked = queue.put(2)
    queue.discard()
    await blocked
    expect(queue.size).toBe(0)
    expect(queue.put(3)).toBeUndefined()
    expect(await queue.next()).toBe(QUEUE_EMPTY)
    queue.reset()
    queue.put(4)
    expect(queue.tryGet()).toBe(4)
  })

  it('iterates with for await until it ends', async () => {
    const queue = new AsyncQueue<number>()
    queue.put(1)
    queue.put(2)
    await queue.end()
    const items: number[] = []
    for await (const item of queue) items.push(item)
    expect(items).toEqual([1, 2])
  })

  it('lets a subclass batch and flush the last partial batch in end()', async () => {
    const queue = new BatchQueue<number>(3)
    for (let index = 1; index <= 7; index++) await queue.put(index)
    await queue.end()
    const batches: number[][] = []
    for await (const batch of queue) batches.push(batch)
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]])
  })

  it('rejects a bad maxSize with a TypeError naming it', () => {
    expect(() => new AsyncQueue(-1)).toThrow(/maxSize: expected an integer >= 0, got -1/)
    expect(() => new AsyncQueue(1.5)).toThrow(TypeError)
  })

  // Guards: a put that was not awaited could overtake puts waiting for room.
  it('keeps FIFO order when puts are not awaited', () => {
    const queue = new AsyncQueue<number>(4)
    for (let item = 1; item <= 5; item++) void queue.put(item)
    queue.tryGet()
    void queue.put(6)
    const out: number[] = []
    for (let item = queue.tryGet(); item !== QUEUE_EMPTY; item = queue.tryGet()) out.push(item)
    expect(out).toEqual([2, 3, 4, 5, 6])
  })
})
