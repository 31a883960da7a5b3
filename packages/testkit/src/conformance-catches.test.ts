import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string }[] }[]
}

it('fails a sink that loses what it accepted when the run halts or is aborted', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const vitest = fileURLToPath(new URL('../node_modules/.bin/vitest', import.meta.url))
  const run = promisify(execFile)
  const result = await run(
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
    { cwd: root },
  ).catch((error: { stdout: string }) => error)
  const report = JSON.parse(result.stdout) as JsonReport
  const statuses = Object.fromEntries(
    report.testResults.flatMap((file) =>
      file.assertionResults.map((test) => [test.title, test.status]),
    ),
  )
  expect(statuses).toMatchObject({
    lifecycle: 'passed',
    'stores-everything': 'passed',
    'close-after-halt': 'failed',
    'close-after-abort': 'failed',
  })
}, 60_000)
