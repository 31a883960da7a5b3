export {
  HttpError,
  type HttpErrorCode,
  type HttpErrorDetails,
} from './http-error.js'
export {
  findNextLink,
  httpSource,
  parseRetryAfter,
} from './http-source.js'
export type {
  CursorPagination,
  CustomPagination,
  HttpAuth,
  HttpIncremental,
  HttpMethod,
  HttpNextRequest,
  HttpPage,
  HttpPageInfo,
  HttpPagination,
  HttpQuery,
  HttpQueryValue,
  HttpRequest,
  HttpResponseInfo,
  HttpRetryInfo,
  HttpRetryOptions,
  HttpSourceOptions,
  HttpSourceSpec,
  HttpSourceStats,
  HttpStart,
  HttpStartArgs,
  LinkPagination,
  OffsetPagination,
  PageNumberPagination,
  RecordsOption,
  TotalOption,
} from './http-source-options.js'
export type { HttpCursorValue, HttpIncrementalState } from './incremental.js'
export type { HttpPosition, HttpPositionFor } from './resume.js'
