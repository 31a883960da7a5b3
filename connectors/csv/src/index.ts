export { CsvError, type CsvErrorCode, type CsvErrorDetails } from './csv-error.js'
export { type CsvSinkOptions, type CsvSinkSpec, csvSink } from './csv-sink.js'
export {
  type CsvSourceCast,
  type CsvSourceItem,
  type CsvSourceOptions,
  type CsvSourceRow,
  type CsvSourceSpec,
  type CsvSourceStats,
  type CsvSourceValue,
  csvSource,
} from './csv-source.js'
export { escapeFormula, startsLikeFormula } from './formula-escape.js'
export type { CsvCastContext, CsvCastOptions } from './record-rows.js'
export type { CsvSinkStats } from './sink-run.js'
