// A throwaway Verdaccio on 127.0.0.1: its own storage, no uplinks (nothing is proxied to any
// other registry), publishing for one user created here.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Installed by scripts/registry/run.sh from scripts/registry/tools/package-lock.json. */
const verdaccioBin = fileURLToPath(
  new URL('./tools/node_modules/verdaccio/bin/verdaccio', import.meta.url),
)

/** A running registry. */
export interface Registry {
  /** `http://127.0.0.1:<port>/`, with the trailing slash npm writes. */
  url: string
  /** What `npm login` would store: `//127.0.0.1:<port>/:_authToken=...`. */
  authLine: string
  /** Verdaccio's own output. */
  logFile: string
  /** Stops the server (the process this module started, by its pid). */
  stop(): Promise<void>
}

/** A port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port from the OS')
  return address.port
}

const tail = (file: string, lines = 30) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : ''

/** Starts Verdaccio with its storage, config and log under `dir`. */
export async function startRegistry(dir: string): Promise<Registry> {
  if (!existsSync(verdaccioBin)) {
    throw new Error(`${verdaccioBin} is missing: run the tier with bash scripts/registry/run.sh`)
  }
  await mkdir(path.join(dir, 'storage'), { recursive: true })
  const config = path.join(dir, 'config.yaml')
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
      '    max_users: 1',
      '# No uplinks: a package that was not published here is not found, never fetched elsewhere.',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  )
  const logFile = path.join(dir, 'verdaccio.log')
  const out = openSync(logFile, 'a')
  let child: ChildProcess | undefined
  let exited = false
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    child = spawn(
      process.execPath,
      [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`],
      {
        stdio: ['ignore', out, out],
      },
    )
    exited = false
    child.once('exit', () => {
      exited = true
    })
    const deadline = Date.now() + 60_000
    let up = false
    while (!up && !exited && Date.now() < deadline) {
      up = await fetch(new URL('-/ping', url)).then(
        (response) => response.ok,
        () => false,
      )
      if (!up) await new Promise((resolve) => setTimeout(resolve, 250))
    }
    if (up) {
      const running = child
      const authLine = `//127.0.0.1:${port}/:_authToken=${await createUser(url)}`
      return {
        url,
        authLine,
        logFile,
        stop: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve()
            running.once('exit', () => resolve())
            running.kill('SIGTERM')
          }),
      }
    }
    if (!exited) child.kill('SIGTERM')
    // Another process may have taken the port between freePort() and the listen: try another.
    if (attempt === 3) {
      throw new Error(`Verdaccio did not start on 127.0.0.1 (log ${logFile}):\n${tail(logFile)}`)
    }
  }
}

/** Adds the publishing user (what `npm adduser` does) and returns its token. */
async function createUser(url: string): Promise<string> {
  const name = 'graphflow-release'
  const response = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'local-registry-only', type: 'user', roles: [] }),
  })
  const body = (await response.json()) as { token?: string; error?: string }
  if (!response.ok || !body.token) {
    throw new Error(`cannot add a user to ${url}: HTTP ${response.status} ${JSON.stringify(body)}`)
  }
  return body.token
}

/** What the registry serves for a package name: its versions and their tarballs. */
export interface Packument {
  name: string
  'dist-tags': Record<string, string>
  versions: Record<
    string,
    {
      dist: { tarball: string; integrity: string }
      peerDependencies?: Record<string, string>
      dependencies?: Record<string, string>
    }
  >
}

/** The packument of `name`, or undefined when the registry does not have it (404). */
export async function packument(url: string, name: string): Promise<Packument | undefined> {
  const response = await fetch(new URL(name.replace('/', '%2f'), url))
  if (response.status === 404) return undefined
  if (!response.ok) throw new Error(`GET ${url}${name}: HTTP ${response.status}`)
  return (await response.json()) as Packument
}
