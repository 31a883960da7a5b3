import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

interface JsonReport {
  testResults: { assertionResults: { fullName: string; status: string }[] }[]
}

/** The verdict of every case of test/fixtures/lossy-sink.fixture.ts, by full name. */
let verdicts: Record<string, string>

beforeAll(async () => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const vitest = fileURLToPath(new URL('../node_modules/.bin/vitest', import.meta.url))
  const result = await promisify(execFile)(
    vitest,
    [
      'run',
      'test/fixtures/lossy-sink.fixture.ts',
      '--reporter=json',
      '--dir',
      '.',
      '--config',
      'test/fixtures/vitest.config.ts',
    ],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error: { stdout: string }) => error)
  const report = JSON.parse(result.stdout) as JsonReport
  verdicts = Object.fromEntries(
    report.testResults.flatMap((file) =>
      file.assertionResults.map((test) => [test.fullName, test.status]),
    ),
  )
}, 120_000)

/** Expects each of `tests` of `suite` to have `verdict`. */
function expectVerdicts(suite: string, verdict: 'passed' | 'failed', tests: string[]): void {
  for (const test of tests) expect(verdicts[`${suite} ${test}`], test).toBe(verdict)
}

describe('the sink conformance suite', () => {
  // Guards: close-after-halt passed a sink that drops its last batch when the batch size
  // divided the number of items accepted before the halt.
  it.each([2, 3, 4, 5, 8, Infinity])(
    'fails a sink that drops its last batch when the run stops, batch size %s',
    (batchSize) => {
      const suite = `lossy batch ${batchSize}: sink conformance`
      expect(verdicts).toMatchObject({
        [`${suite} lifecycle`]: 'passed',
        [`${suite} stores-everything`]: 'passed',
        [`${suite} close-after-halt`]: 'failed',
        [`${suite} close-after-abort`]: 'failed',
        [`${suite} empty-run`]: 'passed',
      })
    },
  )

  it.each([2, 3, 4, 5, 8, Infinity])(
    'passes the same sink when it flushes its last batch, batch size %s',
    (batchSize) => {
      expectVerdicts(`flushing batch ${batchSize}: sink conformance`, 'passed', [
        'lifecycle',
        'stores-everything',
        'close-after-halt',
        'close-after-abort',
        'empty-run',
      ])
    },
  )

  // Guards: bad-item passed without checking anything when no badItem was given.
  it('skips bad-item with a reason when no badItem is given, instead of passing it', () => {
    expect(
      verdicts['flushing batch 2: sink conformance bad-item (skipped: no badItem given)'],
    ).toBe('skipped')
    expect(verdicts['flushing batch 2: sink conformance bad-item']).toBeUndefined()
  })

  it('fails every case that writes items when items() gives fewer than 4', () => {
    const suite = 'too few items: sink conformance'
    expectVerdicts(suite, 'failed', [
      'lifecycle',
      'stores-everything',
      'close-after-halt',
      'close-after-abort',
    ])
    expect(verdicts[`${suite} empty-run`]).toBe('passed')
  })
})

describe('the source conformance suite', () => {
  // Guards: rerun passed a source that yields nothing (two empty runs are "as much").
  it('fails every case for a source that yields nothing', () => {
    expectVerdicts('empty source: source conformance', 'failed', [
      'lifecycle',
      'no-output-after-close',
      'close-after-halt',
      'close-after-abort',
      'rerun',
    ])
  })
})
