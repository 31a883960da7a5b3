export {
  __PASCAL__Error,
  type __PASCAL__ErrorCode,
  type __PASCAL__ErrorDetails,
} from './__NAME__-error.js'
export { __CAMEL__Sink } from './__NAME__-sink.js'
export type {
  __PASCAL__SinkOptions,
  __PASCAL__SinkSpec,
  __PASCAL__SinkStats,
} from './__NAME__-sink-options.js'
export { __CAMEL__Source } from './__NAME__-source.js'
export type {
  __PASCAL__SourceOptions,
  __PASCAL__SourceSpec,
  __PASCAL__SourceStats,
} from './__NAME__-source-options.js'
