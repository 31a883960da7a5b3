export { CsvError, type CsvErrorCode, type CsvErrorDetails } from './csv-error.js'
export { csvSink, escapeFormula, startsLikeFormula } from './csv-sink.js'
export type {
  CsvCastContext,
  CsvCastOptions,
  CsvSinkOptions,
  CsvSinkSpec,
  CsvSinkStats,
} from './csv-sink-options.js'
export { csvSource } from './csv-source.js'
export type {
  CsvSourceCast,
  CsvSourceItem,
  CsvSourceOptions,
  CsvSourceRow,
  CsvSourceSpec,
  CsvSourceStats,
  CsvSourceValue,
} from './csv-source-options.js'
