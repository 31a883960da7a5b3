/**
 * Names on the server, derived from a run id, a node name and a worker id.
 *
 * NATS forbids whitespace, `.`, `*`, `>` and path separators in stream and consumer names,
 * KV bucket names allow only `[A-Za-z0-9_-]`, and subject tokens must not contain whitespace,
 * `.`, `*` or `>`. Every user-given part is escaped into `[A-Za-z0-9_-]` by {@link escapeName}:
 * letters, digits and `-` stay, `_` becomes `__`, and every other UTF-8 byte becomes `_HH`
 * (upper-case hex). The escaping is injective, and `_-` never occurs inside an escaped part, so
 * it separates parts without ambiguity: two different (run, node) pairs never share a stream.
 */

/** Longest name we create: stream names become directory names (255 bytes on most file systems). */
export const MAX_NAME_LENGTH = 200

const PLAIN = /^[A-Za-z0-9-]$/
const SEPARATOR = '_-'

/** Escapes `value` into `[A-Za-z0-9_-]` (see the module comment). */
export function escapeName(value: string): string {
  let out = ''
  for (const char of value) {
    if (PLAIN.test(char)) out += char
    else if (char === '_') out += '__'
    else {
      for (const byte of Buffer.from(char, 'utf8')) {
        out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`
      }
    }
  }
  return out
}

/** The inverse of {@link escapeName}. */
export function unescapeName(escaped: string): string {
  const bytes: number[] = []
  for (let index = 0; index < escaped.length; index++) {
    const char = escaped[index] as string
    if (char !== '_') {
      bytes.push(char.charCodeAt(0))
    } else if (escaped[index + 1] === '_') {
      bytes.push(0x5f)
      index++
    } else {
      const hex = escaped.slice(index + 1, index + 3)
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new TypeError(`not an escaped name: "${escaped}"`)
      bytes.push(Number.parseInt(hex, 16))
      index += 2
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function checkPart(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(
      `${option}: expected a non-empty string, got ${typeof value === 'string' ? '""' : String(value)}`,
    )
  }
  return escapeName(value)
}

function checkLength(kind: string, name: string, parts: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw new TypeError(
      `${kind} name for ${parts} is ${name.length} characters once escaped, over the limit of ${MAX_NAME_LENGTH}: use a shorter run id or node name`,
    )
  }
  return name
}

/** The names of everything one (run, node) pair uses on the server. */
export interface NodeNames {
  /** The WorkQueue stream holding the node's input. */
  readonly stream: string
  /** The durable pull consumer shared by the node's replicas. */
  readonly consumer: string
  /** The subject a producer publishes the node's input on. */
  subject(worker: string): string
  /**
   * The KV key (in the run's bucket) of a producer's end marker for this node in an attempt of
   * the run (see `RunState.rerun`).
   */
  endKey(worker: string, attempt: number): string
  /** The KV key filter matching every end marker for this node in an attempt. */
  endKeys(attempt: number): string
  /** The KV key filter matching the producer's end markers for this node in every attempt. */
  endKeysOf(worker: string): string
  /** The KV key of a producer's fence for this node (valid in every attempt). */
  fenceKey(worker: string): string
  /** The KV key filter matching every fence for this node. */
  readonly fenceKeys: string
  /** The KV key of a worker's counters for this node. */
  statusKey(worker: string): string
  /** The KV key holding the node's expected producers. */
  readonly layoutKey: string
  /** The KV key written once the node's input ended in an attempt. */
  doneKey(attempt: number): string
}

/** The KV bucket of a run. */
export function runBucket(run: string): string {
  const name = `graphflow_-${checkPart('run', run)}`
  return checkLength('KV bucket', name, `run "${run}"`)
}

/** Names for the input of `node` in `run`; throws a TypeError for an empty or too long part. */
export function nodeNames(run: string, node: string): NodeNames {
  const runPart = checkPart('run', run)
  const nodePart = checkPart('node', node)
  const parts = `run "${run}", node "${node}"`
  const stream = checkLength('stream', `GF${SEPARATOR}${runPart}${SEPARATOR}${nodePart}`, parts)
  const subjectPrefix = `graphflow.${runPart}.${nodePart}`
  const worker = (value: string) => checkPart('worker', value)
  return {
    stream,
    consumer: checkLength('consumer', `${nodePart}${SEPARATOR}in`, parts),
    subject: (id) => `${subjectPrefix}.${worker(id)}`,
    endKey: (id, attempt) => `end.${attemptPart(attempt)}.${nodePart}.${worker(id)}`,
    endKeys: (attempt) => `end.${attemptPart(attempt)}.${nodePart}.*`,
    endKeysOf: (id) => `end.*.${nodePart}.${worker(id)}`,
    fenceKey: (id) => `fence.${nodePart}.${worker(id)}`,
    fenceKeys: `fence.${nodePart}.*`,
    statusKey: (id) => `status.${nodePart}.${worker(id)}`,
    layoutKey: `layout.${nodePart}`,
    doneKey: (attempt) => `done.${attemptPart(attempt)}.${nodePart}`,
  }
}

/** An attempt number as a KV key token; throws a TypeError for anything but an integer >= 0. */
export function attemptPart(attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new TypeError(`attempt: expected an integer >= 0, got ${String(attempt)}`)
  }
  return String(attempt)
}
