import { GraphflowError } from '@graphflow/core'

/**
 * The stable codes of a {@link __PASCAL__Error}:
 * - `__CONSTANT___FETCH`: `fetchPage` threw or rejected.
 * - `__CONSTANT___INVALID_PAGE`: `fetchPage` returned something that is not an array.
 * - `__CONSTANT___INVALID_ITEM`: the sink was given an item that is not an object.
 * - `__CONSTANT___SEND`: `send` threw or rejected; the records of that batch were not stored.
 * - `__CONSTANT___NOT_OPEN`: the source's function was called without `open()`.
 */
export type __PASCAL__ErrorCode =
  | '__CONSTANT___FETCH'
  | '__CONSTANT___INVALID_PAGE'
  | '__CONSTANT___INVALID_ITEM'
  | '__CONSTANT___SEND'
  | '__CONSTANT___NOT_OPEN'

/** What a {@link __PASCAL__Error} carries besides its message. */
export interface __PASCAL__ErrorDetails {
  /** The error code. */
  code: __PASCAL__ErrorCode
  /** The page the error is about, for `fetchPage` errors. */
  page?: number | undefined
  /** The underlying error. */
  cause?: unknown
}

/**
 * What `__CAMEL__Source` and `__CAMEL__Sink` throw. The message names the connector:
 * `[graphflow] [__NAME__] cannot fetch page 2: HTTP 503`.
 *
 * @example
 * ```ts
 * if (error instanceof __PASCAL__Error && error.code === '__CONSTANT___FETCH') retryLater(error.page)
 * ```
 */
export class __PASCAL__Error extends GraphflowError<__PASCAL__ErrorCode> {
  override name = '__PASCAL__Error'
  /** The page the error is about, for `fetchPage` errors. */
  declare readonly page: number | undefined

  constructor(message: string, details: __PASCAL__ErrorDetails) {
    super(message, { page: undefined, ...details, scope: '__NAME__' })
  }
}
