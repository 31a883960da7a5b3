import { describe, expect, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { type CheckpointStore, memoryCheckpointStore } from './checkpoint-store.js'
import {
  AlreadyRunningError,
  CheckpointStateError,
  CheckpointStoreError,
  type CoreErrorCode,
  DuplicateNodeError,
  DuplicateStartNodeError,
  ForeignNodeRefError,
  GraphflowError,
  InvalidAsyncGraphError,
  NotTrackedError,
  QueueEndedError,
  QueueInUseError,
  UnknownNodeError,
} from './errors.js'
import { startNode } from './start-node.js'
import { checkpoint } from './work-tracking.js'

type ShopErrorCode = 'SHOP_SEND' | 'SHOP_NOT_OPEN'

class ShopError extends GraphflowError<ShopErrorCode> {
  override name = 'ShopError'
  declare readonly order: number | undefined

  constructor(message: string, options: { code: ShopErrorCode; order?: number; cause?: unknown }) {
    super(message, { ...options, scope: 'shop' })
  }
}

/** What a second install of the same packages would define: same names, other classes. */
function duplicateInstall() {
  const BRAND = Symbol.for('graphflow.error')
  class OtherGraphflowError extends Error {}
  Object.defineProperty(OtherGraphflowError, 'name', { value: 'GraphflowError' })
  Object.defineProperty(OtherGraphflowError.prototype, BRAND, { value: true })
  class OtherShopError extends OtherGraphflowError {}
  Object.defineProperty(OtherShopError, 'name', { value: 'ShopError' })
  return { shop: new OtherShopError('x'), base: new OtherGraphflowError('y') }
}

describe('GraphflowError', () => {
  it('prefixes the message, keeps the unprefixed text, the code, the cause and the details', () => {
    const cause = new Error('EPIPE')
    const error = new ShopError('cannot send order 7', { code: 'SHOP_SEND', order: 7, cause })
    expect(error.message).toBe('[graphflow] [shop] cannot send order 7')
    expect(error.text).toBe('cannot send order 7')
    expect(error.code).toBe('SHOP_SEND')
    expect(error.scope).toBe('shop')
    expect(error.cause).toBe(cause)
    expect(error.order).toBe(7)
    expect(error.name).toBe('ShopError')
    expect(new GraphflowError('plain', { code: 'X' }).message).toBe('[graphflow] plain')
  })

  it('is recognised by instanceof across duplicated installs, by class name', () => {
    const { shop, base } = duplicateInstall()
    expect(shop instanceof ShopError).toBe(true)
    expect(shop instanceof GraphflowError).toBe(true)
    expect(base instanceof GraphflowError).toBe(true)
    expect(base instanceof ShopError).toBe(false)
    expect(new Error('x') instanceof GraphflowError).toBe(false)
    expect(new InvalidAsyncGraphError('cycle') instanceof ShopError).toBe(false)
    expect(new InvalidAsyncGraphError('cycle') instanceof GraphflowError).toBe(true)
    expect((null as unknown as object) instanceof GraphflowError).toBe(false)
  })

  it('keeps the codes given to InvalidAsyncGraphError', () => {
    const error = new InvalidAsyncGraphError('start node x is not in the graph', {
      code: 'UNKNOWN_NODE',
    })
    expect(error.code).toBe('UNKNOWN_NODE')
    expect(new InvalidAsyncGraphError('no start nodes').code).toBe('INVALID_GRAPH')
  })
})

const quiet = { info() {}, error() {} }

/** What a call threw or rejected with. */
async function thrownBy(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

/** A graph `source -> sink` whose source waits a little, so a run stays in progress. */
function slowGraph(queue?: AsyncQueue<number>) {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    await new Promise((resolve) => setTimeout(resolve, 20))
    yield 1
  })
  async function* sink(_value: number) {}
  return graph.addEdge(source, queue ? graph.addNode(sink, { queue }) : graph.addNode(sink))
}

/** A queue whose `pushDone` pushes with an `onDone` outside any run. */
class PushingQueue extends AsyncQueue<number> {
  pushDone(item: number) {
    return this.push(item, () => {})
  }
}

/** Each code of core, the class it is thrown as, and a real call that throws it. */
const CORE_THROWS: Record<
  CoreErrorCode,
  { errorClass: abstract new (...args: never[]) => GraphflowError; call: () => unknown }
> = {
  INVALID_GRAPH: {
    errorClass: InvalidAsyncGraphError,
    call: () => slowGraph().addEdge('sink', 'source'),
  },
  DUPLICATE_NODE: {
    errorClass: DuplicateNodeError,
    call: () => slowGraph().addNode(async function* source() {}),
  },
  UNKNOWN_NODE: {
    errorClass: UnknownNodeError,
    call: () => slowGraph().addEdge('source', 'missing'),
  },
  DUPLICATE_START_NODE: {
    errorClass: DuplicateStartNodeError,
    call: () => {
      const graph = new AsyncGraph()
      const greet = graph.addNode(async function* greet(_name: string) {})
      return new AsyncExecutor(graph, { logger: quiet }).execute({
        startNodes: [startNode(greet, 'a'), startNode(greet, 'b')],
      })
    },
  },
  FOREIGN_NODE_REF: {
    errorClass: ForeignNodeRefError,
    call: () => {
      const foreign = new AsyncGraph().addNode(async function* other() {})
      return slowGraph().addEdge('source', foreign)
    },
  },
  QUEUE_IN_USE: {
    errorClass: QueueInUseError,
    call: async () => {
      const graph = slowGraph(new AsyncQueue<number>(5))
      const first = new AsyncExecutor(graph, { logger: quiet }).execute()
      try {
        await new AsyncExecutor(graph, { logger: quiet }).execute()
      } finally {
        await first
      }
    },
  },
  ALREADY_RUNNING: {
    errorClass: AlreadyRunningError,
    call: async () => {
      const executor = new AsyncExecutor(slowGraph(), { logger: quiet })
      const first = executor.execute()
      try {
        await executor.execute()
      } finally {
        await first
      }
    },
  },
  QUEUE_ENDED: {
    errorClass: QueueEndedError,
    call: () => {
      const queue = new AsyncQueue<number>()
      queue.end()
      return queue.put(1)
    },
  },
  NOT_TRACKED: {
    errorClass: NotTrackedError,
    call: () => new PushingQueue().pushDone(1),
  },
  CHECKPOINT_STATE: {
    errorClass: CheckpointStateError,
    call: async () => {
      const store = memoryCheckpointStore()
      await store.put('run', { format: 'something else' })
      return new AsyncExecutor(slowGraph(), { logger: quiet }).execute({
        checkpoints: { store, key: 'run' },
      })
    },
  },
  CHECKPOINT_STORE: {
    errorClass: CheckpointStoreError,
    call: () => {
      const store: CheckpointStore = {
        get: async () => undefined,
        put: async () => {
          throw new Error('disk full')
        },
      }
      const graph = new AsyncGraph()
      const source = graph.addNode(async function* source() {
        yield 1
        yield checkpoint({ page: 1 })
      })
      graph.addEdge(
        source,
        graph.addNode(async function* sink(_value: number) {}),
      )
      return new AsyncExecutor(graph, { logger: quiet }).execute({
        checkpoints: { store, key: 'run' },
      })
    },
  },
}

/** The same class chain as another install of core would define it: same names, other classes. */
function otherCopyOf(names: string[]): Error {
  let parent: new (message: string) => Error = Error
  for (const name of names) {
    const child = class extends parent {}
    Object.defineProperty(child, 'name', { value: name })
    if (name === 'GraphflowError') {
      Object.defineProperty(child.prototype, Symbol.for('graphflow.error'), { value: true })
    }
    parent = child
  }
  return new parent('x')
}

/** The names of a class and its ancestors up to `GraphflowError`, base first. */
function chainOf(errorClass: abstract new (...args: never[]) => GraphflowError): string[] {
  const names: string[] = []
  for (let current: unknown = errorClass; current !== Error; ) {
    names.unshift((current as { name: string }).name)
    current = Object.getPrototypeOf(current)
  }
  return names
}

describe('core errors: one class per code', () => {
  for (const [code, { errorClass, call }] of Object.entries(CORE_THROWS)) {
    it(`${code} is thrown as ${errorClass.name}, recognised across copies`, async () => {
      const error = await thrownBy(call)
      expect(error).toBeInstanceOf(errorClass)
      expect(error).toBeInstanceOf(GraphflowError)
      expect((error as GraphflowError).code).toBe(code)
      expect((error as GraphflowError).name).toBe(errorClass.name)
      expect((error as Error).message).toMatch(/^\[graphflow\] /)
      const copy = otherCopyOf(chainOf(errorClass))
      expect(copy instanceof errorClass).toBe(true)
      expect(copy instanceof GraphflowError).toBe(true)
      const others = Object.values(CORE_THROWS).filter((entry) => entry.errorClass !== errorClass)
      for (const other of others) {
        if (!(errorClass.prototype instanceof other.errorClass)) {
          expect(error instanceof other.errorClass).toBe(false)
        }
      }
    })
  }

  it('the graph errors are InvalidAsyncGraphErrors, as start-node errors were before', async () => {
    for (const code of ['UNKNOWN_NODE', 'DUPLICATE_START_NODE', 'QUEUE_IN_USE'] as const) {
      expect(await thrownBy(CORE_THROWS[code].call)).toBeInstanceOf(InvalidAsyncGraphError)
    }
    expect(await thrownBy(CORE_THROWS.QUEUE_ENDED.call)).not.toBeInstanceOf(InvalidAsyncGraphError)
  })

  it('keeps the details: the report of CHECKPOINT_STORE, the path of CHECKPOINT_STATE', async () => {
    const error = (await thrownBy(CORE_THROWS.CHECKPOINT_STORE.call)) as CheckpointStoreError
    expect(error.report.ok).toBe(true)
    expect(new CheckpointStateError('corrupt', { path: '/tmp/state.json' }).path).toBe(
      '/tmp/state.json',
    )
  })
})
