// What a user sees on a terminal: bars pinned below whole log lines, at 80 columns.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { barsProgress, wrapLine } from '../src/progress.js'
import { startReplayServer } from '../src/replay-server.js'
import { type BreweriesCliOptions, runBreweries } from '../src/run-breweries.js'
import { breweriesOptions } from './cli-options.js'
import { TerminalScreen } from './terminal-screen.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'breweries-bars-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const options = (overrides: Partial<BreweriesCliOptions> = {}): BreweriesCliOptions =>
  breweriesOptions({ progress: 'bars', ...overrides })

/** The bars of the screen: their labels in order, each once, next to each other. */
function barLabels(lines: string[]): string[] {
  return lines.flatMap((line) => /^ (fetched|csv|sqlite)\s+\|/.exec(line)?.[1] ?? [])
}

describe('wrapLine', () => {
  it('splits at spaces, and splits a word longer than the width', () => {
    expect(wrapLine('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc'])
    expect(wrapLine('x'.repeat(10), 4)).toEqual(['xxxx', 'xxxx', 'xx'])
    expect(wrapLine('short', 80)).toEqual(['short'])
  })
})

describe('bars on an 80-column terminal', () => {
  // Guards issue 11 item 5: a log line while a bar stands still used to leave that bar off
  // the screen (mid-run screens of log lines and no bars).
  it('keeps every bar on screen when a log line comes while the bars stand still', async () => {
    const screen = new TerminalScreen(80)
    const view = barsProgress(
      ['csv', 'sqlite'],
      { records: 400 },
      screen as unknown as NodeJS.WriteStream,
    )
    const snapshot = {
      records: 200,
      page: 1,
      retries: 0,
      sinks: { csv: 200, sqlite: 200 },
      elapsedMs: 0,
    }
    const frame = () => new Promise((resolve) => setTimeout(resolve, 300))
    view.update(snapshot)
    await frame()
    view.log('page 2: 2 attempts (HTTP 503), waited 12 ms')
    await frame()
    view.log('interrupted: stopping, flushing what was fetched...')
    await frame()
    expect(screen.lines().filter((line) => line !== '')).toEqual([
      'page 2: 2 attempts (HTTP 503), waited 12 ms',
      'interrupted: stopping, flushing what was fetched...',
      expect.stringMatching(/^ fetched \|/),
      expect.stringMatching(/^ csv {5}\|/),
      expect.stringMatching(/^ sqlite {2}\|/),
    ])
    view.stop(snapshot)
  })

  // Guards issue 11 item 5: with --faults the retry notes are whole, the bars drawn once.
  it('shows one whole line per retried page above the bars', async () => {
    const screen = new TerminalScreen(80)
    const run = await runBreweries(options(), {
      stdout: screen as unknown as NodeJS.WriteStream,
      stderr: { write: () => true },
      cwd: directory,
    })
    expect(run.exitCode).toBe(0)
    const lines = screen.lines()
    const notes = lines.filter((line) => line.startsWith('page '))
    expect(notes.length).toBeGreaterThanOrEqual(3)
    for (const note of notes) {
      expect(note).toMatch(/^page \d+: \d+ attempts \(.+\), waited \d+(\.\d)?( ms|s)$/)
    }
    expect(barLabels(lines)).toEqual(['fetched', 'csv', 'sqlite'])
    const firstBar = lines.findIndex((line) => line.startsWith(' fetched |'))
    expect(lines.slice(firstBar, firstBar + 3).map((line) => line.split('|')[0]?.trim())).toEqual([
      'fetched',
      'csv',
      'sqlite',
    ])
    expect(lines.indexOf(notes.at(-1) as string)).toBeLessThan(firstBar)
    expect(lines[firstBar]).toMatch(/3,800\/3,800 records, page 20/)
  })

  // Guards issue 11 item 5: a long log line (--verbose retries) wraps, it is not cut at 80.
  it('wraps long log lines instead of cutting them', async () => {
    const screen = new TerminalScreen(80)
    await runBreweries(options({ verbose: true }), {
      stdout: screen as unknown as NodeJS.WriteStream,
      stderr: { write: () => true },
      cwd: directory,
    })
    // Wrapped at spaces: joined with one, the screen holds every line whole.
    const text = screen.lines().join(' ')
    const retries = text.match(/retrying in \d+ ms/g) ?? []
    expect(retries.length).toBeGreaterThanOrEqual(3)
    expect(text).toMatch(
      /\[graphflow\] \[http\] breweries: GET http:\/\/127\.0\.0\.1:\d+\/v1\/breweries/,
    )
    expect(barLabels(screen.lines())).toEqual(['fetched', 'csv', 'sqlite'])
  })

  // Guards issue 11 item 5: the stop message stays on screen above the final bars.
  it('keeps "interrupted: stopping, flushing..." on screen', async () => {
    const server = await startReplayServer({ latencyMs: 100 })
    const screen = new TerminalScreen(80)
    const controller = new AbortController()
    setTimeout(() => controller.abort('SIGINT'), 1500)
    const slow = { apiUrl: server.apiUrl, offline: false, faults: false, perPage: 50 }
    const run = await runBreweries(options(slow), {
      stdout: screen as unknown as NodeJS.WriteStream,
      stderr: { write: () => true },
      cwd: directory,
      signal: controller.signal,
    })
    await server.close()
    expect(run.stoppedBy).toBe('SIGINT')
    const lines = screen.lines()
    const message = lines.indexOf('interrupted: stopping, flushing what was fetched...')
    expect(message).toBeGreaterThanOrEqual(0)
    expect(message).toBeLessThan(lines.findIndex((line) => line.startsWith(' fetched |')))
    expect(lines.join('\n')).toMatch(/interrupted by SIGINT after/)
    expect(barLabels(lines)).toEqual(['fetched', 'csv', 'sqlite'])
  })
})
