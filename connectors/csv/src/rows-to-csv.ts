import { type Options, stringify } from 'csv-stringify/sync'

/** How rows become CSV text. */
export interface RowsToCsvOptions {
  delimiter: string
  recordDelimiter: string
  quoted: boolean
}

/**
 * Returns a function that turns rows of strings into CSV text, each row ended by the record
 * delimiter. Rows whose fields need no quoting (no delimiter, quote, CR or LF) are joined
 * directly, which is what csv-stringify writes for them; any other row goes through
 * csv-stringify. The output is the same as csv-stringify's, only faster for plain rows.
 */
export function rowsToCsv(options: RowsToCsvOptions): (rows: readonly string[][]) => string {
  const { delimiter, recordDelimiter } = options
  const csvOptions: Options = {
    delimiter,
    record_delimiter: recordDelimiter,
    quote_record_delimiter: true,
    quoted: options.quoted,
    header: false,
    eof: true,
  }
  if (options.quoted || delimiter.length !== 1) {
    return (rows) => stringify(rows as string[][], csvOptions)
  }
  const special = new RegExp(`[${delimiter.replace(/[\\\]^-]/g, '\\$&')}"\\r\\n]`)
  return (rows) => {
    let text = ''
    for (const row of rows) {
      let plain = true
      for (const field of row) {
        if (special.test(field)) {
          plain = false
          break
        }
      }
      text += plain ? row.join(delimiter) + recordDelimiter : stringify([row], csvOptions)
    }
    return text
  }
}
