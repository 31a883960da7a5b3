export {
  isSqliteCheckpointStore,
  type SqliteCheckpointStore,
  type SqliteCheckpointStoreOptions,
  sqliteCheckpointStore,
} from './sqlite-checkpoint-store.js'
export {
  type RejectedRow,
  type RowErrorContext,
  SQLITE_SCOPE,
  SqliteError,
  type SqliteErrorCode,
  type SqliteErrorDetails,
  SqliteRowError,
  type SqliteRowErrorDetails,
} from './sqlite-error.js'
export { IDENTIFIER_PATTERN, sqliteSink } from './sqlite-sink.js'
export type {
  ColumnName,
  SqliteDatabase,
  SqliteSinkInput,
  SqliteSinkOptions,
  SqliteSinkSpec,
  SqliteSinkStats,
  SqliteValue,
  SqliteWriteMode,
  UnknownColumnPolicy,
} from './sqlite-sink-options.js'
export { sqliteSource } from './sqlite-source.js'
export type * from './sqlite-source-options.js'
