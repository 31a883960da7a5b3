export { __PASCAL__Error, type __PASCAL__ErrorCode } from './__NAME__-error.js'
export { __CAMEL__Sink, type __PASCAL__SinkOptions } from './__NAME__-sink.js'
export { __CAMEL__Source, type __PASCAL__SourceOptions } from './__NAME__-source.js'
