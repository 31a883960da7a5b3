import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'

/** A fresh temp dir, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'graphflow-csv-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** The records of a CSV file, parsed strictly with csv-parse. */
export async function readCsv(path: string, columns = true): Promise<unknown[]> {
  return parse(await readFile(path), { columns, bom: true }) as unknown[]
}

/** The header and one record's length in the kill -9 test's CSV (all records have that length). */
export const KILL_HEADER = 'id,text\n'
/** The kill -9 test's record `id`: a fixed-width id and a long quoted field with quotes and line breaks. */
export function killRecord(id: number): { id: string; text: string } {
  const text = `row ${id}: "quoted"\n`.padEnd(64, '.')
  return { id: String(id).padStart(9, '0'), text: `${text}\n`.repeat(1000) }
}
/** The bytes csvSink writes for {@link killRecord}(id). */
export function killRecordCsv(id: number): string {
  const { id: key, text } = killRecord(id)
  return `${key},"${text.replaceAll('"', '""')}"\n`
}

/** A record of the resume tests: quotes, a comma and a line break in a field, like real data. */
export function resumeRecord(
  page: number,
  row: number,
): { id: string; page: number; text: string } {
  return { id: `${page}.${row}`, page, text: `page ${page}, "row" ${row}\nsecond line` }
}
