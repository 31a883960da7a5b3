import { MultiBar, Presets, type SingleBar } from 'cli-progress'

/** What the progress display shows, read from the nodes' live counters. */
export interface ProgressSnapshot {
  pages: number
  records: number
  retries: number
  /** Records written per sink, by sink name. */
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
  pages: number | undefined
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

/** Bars on a TTY (cli-progress): pages fetched and records written per sink. */
export function barsProgress(
  sinks: string[],
  totals: ProgressTotals,
  stream: NodeJS.WriteStream,
): ProgressView {
  const multibar = new MultiBar(
    {
      stream,
      format: ' {label} |{bar}| {value}/{total} {unit} {extra}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
      fps: 10,
    },
    Presets.shades_classic,
  )
  const pages = multibar.create(totals.pages ?? 1, 0, {
    label: 'pages    ',
    unit: 'pages',
    extra: '',
  })
  const bars = new Map<string, SingleBar>(
    sinks.map((sink) => [
      sink,
      multibar.create(totals.records ?? 1, 0, {
        label: sink.padEnd(9),
        unit: 'records',
        extra: '',
      }),
    ]),
  )
  const render = (snapshot: ProgressSnapshot) => {
    if (totals.pages === undefined) pages.setTotal(snapshot.pages + 1)
    pages.update(snapshot.pages, {
      extra: `${snapshot.records} records, ${snapshot.retries} retries, ${seconds(snapshot.elapsedMs)}`,
    })
    for (const [sink, bar] of bars) {
      const written = snapshot.sinks[sink] ?? 0
      if (totals.records === undefined) bar.setTotal(Math.max(written, snapshot.records, 1))
      bar.update(written)
    }
  }
  return {
    update: render,
    stop(snapshot) {
      render(snapshot)
      multibar.stop()
    },
    log: (line) => multibar.log(`${line}\n`),
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
      .map(([sink, written]) => `${sink} ${written}`)
      .join(', ')
    write(
      `[breweries] ${seconds(snapshot.elapsedMs)} pages ${snapshot.pages}, records ${snapshot.records}, retries ${snapshot.retries}; written: ${sinks}`,
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

/** No display at all (`--quiet`). */
export function silentProgress(log: (line: string) => void): ProgressView {
  return { update() {}, stop() {}, log }
}
