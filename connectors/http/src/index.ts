export type { HttpRetryInfo, RecordsOption } from './fetch-page.js'
export { HttpError, type HttpErrorCode, type HttpErrorDetails } from './http-error.js'
export {
  type HttpAuth,
  type HttpPageInfo,
  type HttpSourceOptions,
  type HttpSourceSpec,
  type HttpSourceStats,
  type HttpStartArgs,
  httpSource,
} from './http-source.js'
export { findNextLink } from './link-header.js'
export type {
  CursorPagination,
  CustomPagination,
  HttpNextRequest,
  HttpPage,
  HttpPagination,
  HttpResponseInfo,
  LinkPagination,
  OffsetPagination,
  PageNumberPagination,
} from './pagination.js'
export type { TotalOption } from './read-pages.js'
export type { HttpMethod, HttpQuery, HttpQueryValue, HttpRequest } from './request.js'
export { type HttpRetryOptions, parseRetryAfter } from './retry.js'
export type { HttpStart } from './validate-options.js'
