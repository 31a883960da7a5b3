import { MultiBar, Presets, type SingleBar } from 'cli-progress'

/** What the progress display shows, read from the nodes' live counters. Records throughout. */
export interface ProgressSnapshot {
  /** Records fetched from the first page on (a resumed run counts the pages it skipped). */
  records: number
  /**
   * Of {@link ProgressSnapshot.records}, those of the pages an earlier run fetched (a resumed
   * run skips them): the display names what this run fetched, as the summary does.
   * @default 0
   */
  before?: number
  /** The last page fetched. */
  page: number
  retries: number
  /** Records stored per sink from the first page on, by sink name. */
  sinks: Record<string, number>
  elapsedMs: number
}

/** A live progress display. */
export interface ProgressView {
  update(snapshot: ProgressSnapshot): void
  stop(snapshot: ProgressSnapshot): void
  /** Writes a log line without tearing the display. */
  log(line: string): void
}

/** Totals when the API's meta endpoint told them. */
export interface ProgressTotals {
  records: number | undefined
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`
const count = (value: number) => value.toLocaleString('en-US')
/** ` (1,800 by this run)` on a resumed run, whose count starts at the first page. */
const thisRun = (snapshot: ProgressSnapshot) =>
  snapshot.before ? ` (${count(snapshot.records - snapshot.before)} by this run)` : ''

/**
 * Splits a line into lines of at most `width` characters, at spaces where it can: a log line
 * is shown whole, never cut at the terminal's edge.
 */
export function wrapLine(line: string, width: number): string[] {
  const lines: string[] = []
  let rest = line
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width)
    const cut = space > width / 3 ? space : width
    lines.push(rest.slice(0, cut))
    rest = rest.slice(cut).replace(/^ /, '')
  }
  lines.push(rest)
  return lines
}

/**
 * Bars on a TTY (cli-progress), pinned at the bottom: records fetched, and records stored per
 * sink. Log lines go above them, wrapped to the terminal's width.
 */
export function barsProgress(
  sinks: string[],
  totals: ProgressTotals,
  stream: NodeJS.WriteStream,
): ProgressView {
  const multibar = new MultiBar(
    {
      stream,
      format: ' {label} |{bar}| {value}/{total} records{extra}',
      formatValue: (value, _options, type) =>
        type === 'value' || type === 'total' ? count(value) : String(value),
      hideCursor: true,
      clearOnComplete: false,
      // Stopping is the CLI's business: it aborts, flushes and prints the summary.
      gracefulExit: false,
      // Redraw every bar on every frame: a log line moves the bars down one row, and a bar
      // that did not change would otherwise not be drawn at its new row (lost from the screen).
      forceRedraw: true,
      barsize: 16,
      fps: 10,
    },
    Presets.shades_classic,
  )
  const fetched = multibar.create(totals.records ?? 1, 0, { label: 'fetched', extra: '' })
  const bars = new Map<string, SingleBar>(
    sinks.map((sink) => [
      sink,
      multibar.create(totals.records ?? 1, 0, { label: sink.padEnd(7), extra: '' }),
    ]),
  )
  const render = (snapshot: ProgressSnapshot) => {
    const total = Math.max(totals.records ?? 1, snapshot.records, 1)
    fetched.setTotal(total)
    fetched.update(snapshot.records, {
      extra: `${thisRun(snapshot)}, page ${snapshot.page}, ${snapshot.retries} ${snapshot.retries === 1 ? 'retry' : 'retries'}, ${seconds(snapshot.elapsedMs)}`,
    })
    for (const [sink, bar] of bars) {
      bar.setTotal(total)
      bar.update(snapshot.sinks[sink] ?? 0)
    }
  }
  const width = () => Math.max(20, (stream.columns || 80) - 1)
  return {
    update: render,
    stop(snapshot) {
      render(snapshot)
      // Draw once more so that log lines still buffered are shown above the final bars.
      multibar.update()
      multibar.stop()
    },
    log: (line) => {
      // Erase to the end of the line: a log line is drawn where a longer bar line was.
      for (const part of wrapLine(line, width())) multibar.log(`${part}\x1b[K\n`)
    },
  }
}

/** Plain lines every `everyMs` when stdout is not a TTY (CI logs, pipes), and one at the end. */
export function linesProgress(
  write: (line: string) => void,
  log: (line: string) => void,
  everyMs = 2000,
): ProgressView {
  let last = 0
  const line = (snapshot: ProgressSnapshot) => {
    const sinks = Object.entries(snapshot.sinks)
      .map(([sink, stored]) => `${sink} ${count(stored)}`)
      .join(', ')
    write(
      `[breweries] ${seconds(snapshot.elapsedMs)} fetched ${count(snapshot.records)} records${thisRun(snapshot)} (page ${snapshot.page}, ${snapshot.retries} retries); stored: ${sinks}`,
    )
  }
  return {
    update(snapshot) {
      if (snapshot.elapsedMs - last < everyMs) return
      last = snapshot.elapsedMs
      line(snapshot)
    },
    stop: line,
    log,
  }
}

/** No display at all (`--progress none`): log lines only. */
export function silentProgress(log: (line: string) => void): ProgressView {
  return { update() {}, stop() {}, log }
}
