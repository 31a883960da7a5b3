import { GraphflowError } from '@graphflow/core'

/**
 * The stable codes of a {@link __PASCAL__Error}:
 * - `__CONSTANT___FETCH`: `fetchPage` threw or rejected.
 * - `__CONSTANT___INVALID_PAGE`: `fetchPage` returned something that is not an array.
 * - `__CONSTANT___INVALID_ITEM`: the sink was given an item that is not an object.
 * - `__CONSTANT___SEND`: `send` threw or rejected; the records of that batch were not stored.
 * - `__CONSTANT___NOT_OPEN`: the node's function was called without `open()`.
 */
export type __PASCAL__ErrorCode =
  | '__CONSTANT___FETCH'
  | '__CONSTANT___INVALID_PAGE'
  | '__CONSTANT___INVALID_ITEM'
  | '__CONSTANT___SEND'
  | '__CONSTANT___NOT_OPEN'

/**
 * What `__CAMEL__Source` and `__CAMEL__Sink` throw. The message names the connector:
 * `[graphflow] [__NAME__] cannot fetch page 2: HTTP 503`.
 *
 * @example
 * ```ts
 * if (error instanceof __PASCAL__Error && error.code === '__CONSTANT___FETCH') retryLater()
 * ```
 */
export class __PASCAL__Error extends GraphflowError {
  override name = '__PASCAL__Error'
  declare readonly code: __PASCAL__ErrorCode

  constructor(message: string, code: __PASCAL__ErrorCode, cause?: unknown) {
    super(message, { code, scope: '__NAME__', cause })
  }
}
