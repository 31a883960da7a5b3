export { IDENTIFIER_PATTERN } from './identifiers.js'
export type { SqliteDatabase } from './open-database.js'
export type { SqliteValue, SqliteWriteMode } from './schema.js'
export type { ColumnName, SqliteSinkOptions, UnknownColumnPolicy } from './sink-options.js'
export {
  type RejectedRow,
  type RowErrorContext,
  SQLITE_SCOPE,
  SqliteError,
  type SqliteErrorCode,
  type SqliteErrorDetails,
  SqliteRowError,
} from './sqlite-error.js'
export { type SqliteSinkInput, type SqliteSinkSpec, sqliteSink } from './sqlite-sink.js'
export {
  type SqliteParams,
  type SqliteSourceOptions,
  type SqliteSourceSpec,
  type SqliteSourceStats,
  sqliteSource,
} from './sqlite-source.js'
export type { SqliteSinkStats } from './table-writer.js'
