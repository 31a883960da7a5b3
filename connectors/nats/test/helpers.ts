import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { type NodeLayout, type NodeLayoutOptions, provisionNode } from '../src/layout.js'
import { uniqueRun } from './nats-server.js'

/** Provisions a fresh node input in a unique run. */
export async function freshNode(
  nc: NatsConnection,
  options: Partial<NodeLayoutOptions> = {},
): Promise<NodeLayout> {
  return provisionNode(await jetstreamManager(nc), {
    run: uniqueRun(),
    node: 'enrich',
    producers: ['fetch-0'],
    ...options,
  })
}

/** Messages in the node's stream (WorkQueue: published and not yet acknowledged or terminated). */
export async function streamMessages(nc: NatsConnection, layout: NodeLayout): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info(layout.names.stream)
  return info.state.messages
}

export const js = (nc: NatsConnection) => jetstream(nc)

/** Polls `check` until it is true or `ms` passed. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Reports every item of `message` done. */
export function doneAll(message: {
  readonly items: readonly unknown[]
  done(index: number): void
}) {
  for (let index = 0; index < message.items.length; index++) message.done(index)
}
