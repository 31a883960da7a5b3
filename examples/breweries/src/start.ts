// `pnpm breweries` / `pnpm start`: builds the workspace packages the CLI needs (quietly: turbo's
// output is shown only when the build fails), then runs the CLI in this same process, so that
// a signal forwarded by pnpm reaches it directly.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..', '..')

async function buildQuietly(): Promise<void> {
  const turbo = join(root, 'node_modules', '.bin', 'turbo')
  const child = spawn(
    turbo,
    ['run', 'build', '--filter=@graphflow/example-breweries...', '--output-logs=errors-only'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  )
  const output: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
  // A first build takes a while: say what is going on instead of staying silent.
  const slow = setTimeout(
    () =>
      process.stderr.write('building the workspace packages the CLI uses (when they changed)...\n'),
    3000,
  )
  const forward = (signal: NodeJS.Signals) => {
    stoppedBy = signal
    child.kill(signal)
  }
  process.on('SIGINT', forward).on('SIGTERM', forward)
  let stoppedBy: NodeJS.Signals | undefined
  const code = await new Promise<number>((resolveExit) => {
    child.on('error', (error) => {
      output.push(Buffer.from(`cannot start ${turbo}: ${error.message}\n`))
      resolveExit(1)
    })
    child.on('close', (status, signal) => resolveExit(status ?? (signal === 'SIGINT' ? 130 : 143)))
  })
  clearTimeout(slow)
  process.off('SIGINT', forward).off('SIGTERM', forward)
  // Stopped while building: nothing to show, exit as the signal asks.
  if (stoppedBy) process.exit(stoppedBy === 'SIGINT' ? 130 : 143)
  if (code !== 0) {
    process.stderr.write(Buffer.concat(output))
    process.stderr.write(`breweries: building the packages failed (exit code ${code})\n`)
    process.exit(code)
  }
}

// BREWERIES_SKIP_BUILD=1: the packages are built already (the CLI's own tests).
if (process.env.BREWERIES_SKIP_BUILD !== '1') await buildQuietly()
await import('./cli.js')
