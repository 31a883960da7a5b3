// The release tier: what a user's first `pnpm release` meets, against a real registry server on
// 127.0.0.1. From a scratch clone of HEAD: `changeset version` and the documented release
// command publish every public package to a throwaway Verdaccio (a guard refuses any other
// registry first); fresh projects outside the repo install the packages by name with npm and
// with pnpm and run the README's brewery snippet against a local server; a standalone connector
// `@acme/graphflow-my-api` is built and tested with the testkit from the registry, published,
// and used next to the first-party connectors; a core patch then publishes only core, and the
// peer ranges accept it. Each step is one test, named by what it proves: the first blocking step
// that fails skips the rest, and every failure names the package and the command.
//
// Run it with `bash scripts/registry/run.sh` (KEEP=1 keeps the temp folder with every log).
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeBlocks, repoRoot } from '../test/helpers.js'
import { checkTarball } from './check-tarball.mjs'
import { isLocalRegistry } from './guard-registry.mjs'
import { type Packument, packument, type Registry, startRegistry } from './verdaccio.js'

const FIRST_PARTY = ['@graphflow/core', '@graphflow/http', '@graphflow/csv', '@graphflow/sqlite']
const CONNECTOR = '@acme/graphflow-my-api'
const CORE_PEER = '>=0.1.0 <1.0.0'
const BREWERIES = 450

let work: string
let registry: Registry | undefined
let breweries: Server | undefined
let breweriesUrl: string
let clone: string
let connectorDir: string
/** The public packages of the clone: name -> folder. */
const publics = new Map<string, string>()
/** Versions after the first and the second `changeset version`. */
const first = new Map<string, string>()
const second = new Map<string, string>()
let logNumber = 0

/** The environment of every command: none of the outer pnpm's or vitest's variables. */
function baseEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^(VITEST|npm_|pnpm_|PNPM_|TURBO_HASH|INIT_CWD$)/i.test(key) &&
        key !== 'NODE_ENV' &&
        key !== 'TEST',
    ),
  )
}

interface Ran {
  code: number
  output: string
  log: string
}

/**
 * Runs a command, logs its output to a numbered file, and throws when it fails: the error says
 * which package (`what`), the command, the folder, and ends with the output's last lines.
 */
async function sh(
  what: string,
  command: string,
  args: string[],
  cwd: string,
  options: { env?: NodeJS.ProcessEnv; allowFailure?: boolean; timeout?: number } = {},
): Promise<Ran> {
  const line = `${command} ${args.join(' ')}`
  const log = path.join(
    work,
    'logs',
    `${String(++logNumber).padStart(2, '0')}-${line.replace(/[^\w@.-]+/g, '_').slice(0, 60)}.log`,
  )
  const ran = await new Promise<Ran>((resolve) => {
    execFile(
      command,
      args,
      {
        cwd,
        env: { ...baseEnvironment(), ...options.env },
        timeout: options.timeout ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, output: `${stdout}\n${stderr}`, log })
      },
    )
  })
  await writeFile(log, `$ ${line}\n# in ${cwd}\n# exit ${ran.code}\n\n${ran.output}`)
  if (ran.code !== 0 && !options.allowFailure) {
    const tail = ran.output.trim().split('\n').slice(-40).join('\n')
    throw new Error(`${what}: \`${line}\` in ${cwd} exited ${ran.code} (log ${log}):\n${tail}`)
  }
  return ran
}

const pnpm = (what: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  sh(what, 'pnpm', args, cwd, { env })
const npm = (what: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  sh(what, 'npm', args, cwd, { env })

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'))

/** The environment `changeset publish` gets: the registry comes from here and nowhere else. */
const publishEnvironment = () => ({ npm_config_registry: live().url })

function live(): Registry {
  if (!registry) throw new Error('the registry is not running')
  return registry
}

let blockedBy: string | undefined
/**
 * One step of the release. A failing step skips the ones after it (they need what it made),
 * unless it only checks an outcome (`blocking: false`).
 */
function step(name: string, run: () => Promise<void>, options: { blocking?: boolean } = {}) {
  it(name, async (context) => {
    if (blockedBy) context.skip(`needs "${blockedBy}", which failed`)
    try {
      await run()
    } catch (error) {
      if (options.blocking !== false) blockedBy = name
      throw error
    }
  })
}

/** Commits everything in `dir` as changesets' "Version Packages" commit does. */
async function commitVersions(dir: string) {
  await sh('git add', 'git', ['add', '-A'], dir)
  await sh(
    'git commit',
    'git',
    [
      '-c',
      'user.name=release',
      '-c',
      'user.email=release@127.0.0.1',
      'commit',
      '--quiet',
      '-m',
      'Version Packages',
    ],
    dir,
  )
}

/** Refuses to go on unless every public package under `dir` would publish to 127.0.0.1 only. */
async function guard(dir: string) {
  await sh(
    `guard before publishing from ${dir}`,
    process.execPath,
    [path.join(repoRoot, 'scripts/registry/guard-registry.mjs'), dir],
    dir,
    { env: publishEnvironment() },
  )
}

/** The registry's packument of a package that must be there. */
async function published(name: string): Promise<Packument> {
  const found = await packument(live().url, name)
  if (!found) throw new Error(`${name} is not on the registry ${live().url}`)
  return found
}

/** Downloads a published tarball and checks it as check-packages does. */
async function checkPublished(name: string, version: string) {
  const entry = (await published(name)).versions[version]
  if (!entry) throw new Error(`${name}@${version} is not on the registry`)
  if (!isLocalRegistry(entry.dist.tarball)) {
    throw new Error(
      `${name}@${version}: the registry serves its tarball from ${entry.dist.tarball}`,
    )
  }
  const response = await fetch(entry.dist.tarball)
  if (!response.ok)
    throw new Error(`${name}@${version}: GET ${entry.dist.tarball} ${response.status}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`
  expect(integrity, `${name}@${version}: the tarball's integrity`).toBe(entry.dist.integrity)
  const file = path.join(work, 'published', `${name.replace('/', '-')}-${version}.tgz`)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, bytes)
  const { problems } = checkTarball(file)
  expect(problems, `${name}@${version} as published`).toEqual([])
}

/** The integrity npm or pnpm recorded for `name@version` in a project's lockfile. */
async function lockedIntegrity(project: string, name: string, version: string) {
  if (existsSync(path.join(project, 'package-lock.json'))) {
    const lock = await readJson(path.join(project, 'package-lock.json'))
    return lock.packages?.[`node_modules/${name}`]?.integrity as string | undefined
  }
  const lock = await readFile(path.join(project, 'pnpm-lock.yaml'), 'utf8')
  const key = `'${name}@${version}':`
  const at = lock.indexOf(`\n  ${key}`)
  return at < 0 ? undefined : /integrity: ([^},\s]+)/.exec(lock.slice(at))?.[1]
}

/** Checks that `project` has `name@version` from the local registry, in one copy. */
async function expectInstalledFromRegistry(project: string, name: string, version: string) {
  const installed = await readJson(path.join(project, 'node_modules', name, 'package.json'))
  expect(installed.version, `${name} installed in ${project}`).toBe(version)
  const entry = (await published(name)).versions[version]
  expect(
    await lockedIntegrity(project, name, version),
    `${name}@${version} in ${project}'s lockfile: the tarball the local registry serves`,
  ).toBe(entry?.dist.integrity)
}

/** The README's brewery snippet, reading from the local server instead of the live API. */
function brewerySnippet(readme: string): string {
  const block = codeBlocks(readme).find(
    (each) => each.language === 'ts' && each.code.includes("from '@graphflow/sqlite'"),
  )
  if (!block) throw new Error("README.md: no ```ts block imports '@graphflow/sqlite'")
  const url = /url: '([^']+)'/.exec(block.code)
  if (!url?.[1]) throw new Error(`README.md:${block.line}: the brewery snippet has no url: '...'`)
  const local = new URL(new URL(url[1]).pathname.slice(1), breweriesUrl).href
  return `${block.code.replace(url[0], `url: '${local}'`)}
// Added by the release tier: what the run did.
console.log(JSON.stringify({
  stats: report.dataFlowStats,
  halted: report.halted,
  errors: Object.entries(report.exceptions).flatMap(([node, errors]) => errors.map((error) => \`\${node}: \${error}\`)),
}))
`
}

/** Uses the scaffolded connector next to the first-party ones. */
const connectorProgram = `import { AsyncExecutor, AsyncGraph } from '@graphflow/core'
import { csvSink } from '@graphflow/csv'
import { httpSource } from '@graphflow/http'
import { sqliteSource } from '@graphflow/sqlite'
import { MyApiError, myApiSink, myApiSource } from '${CONNECTOR}'

interface Brewery {
  id: string
  name: string
  city: string
}

const url = process.env.BREWERIES_URL ?? ''
const sent: Brewery[] = []
const graph = new AsyncGraph()
// What the brewery job stored in SQLite goes out through the acme sink...
const stored = graph.addNode(
  sqliteSource<Brewery>({ file: 'breweries_us.db', query: 'SELECT id, name, city FROM breweries' }),
)
graph.addEdge(stored, graph.addNode(myApiSink<Brewery>({ send: (batch) => void sent.push(...batch), batchSize: 100 })))
// ... the acme source pages through the API into a CSV file...
const pages = graph.addNode(
  myApiSource<Brewery>({
    fetchPage: async (page, signal) => {
      const response = await fetch(\`\${url}?by_country=United%20States&per_page=200&page=\${page}\`, { signal })
      if (!response.ok) throw new MyApiError(\`HTTP \${response.status}\`, { code: 'MY_API_FETCH' })
      return (await response.json()) as Brewery[]
    },
  }),
)
graph.addEdge(pages, graph.addNode(csvSink<Brewery>({ path: 'acme.csv', columns: ['id', 'name', 'city'] }), { name: 'acme-csv' }))
// ... and so does the first-party HTTP source, into the same kind of sink.
const http = graph.addNode(
  httpSource<Brewery>({ url, query: { by_country: 'United States' }, pagination: { type: 'page', start: 1, sizeParam: 'per_page', size: 200 } }),
)
graph.addEdge(http, graph.addNode(csvSink<Brewery>({ path: 'http.csv', columns: ['id', 'name', 'city'] }), { name: 'http-csv' }))
const report = await new AsyncExecutor(graph).execute()
console.log(JSON.stringify({
  sent: sent.length,
  halted: report.halted,
  errors: Object.entries(report.exceptions).flatMap(([node, errors]) => errors.map((error) => \`\${node}: \${error}\`)),
}))
`

/** A fresh project outside the repo: package.json, tsconfig (strict), and the registry scopes. */
async function freshProject(dir: string, manager: 'npm' | 'pnpm') {
  await mkdir(dir, { recursive: true })
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: `brewery-app-${manager}`,
        private: true,
        type: 'module',
        // pnpm 10 runs no install script unless allowed: better-sqlite3 builds its binding in one.
        ...(manager === 'pnpm' ? { pnpm: { onlyBuiltDependencies: ['better-sqlite3'] } } : {}),
      },
      null,
      2,
    )}\n`,
  )
  await writeFile(
    path.join(dir, '.npmrc'),
    [
      `@graphflow:registry=${live().url}`,
      `@acme:registry=${live().url}`,
      // A peer range that does not accept the installed core fails the install (npm always does).
      ...(manager === 'pnpm' ? ['strict-peer-dependencies=true'] : []),
      '',
    ].join('\n'),
  )
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          outDir: 'out',
          types: ['node'],
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  )
}

async function install(dir: string, manager: 'npm' | 'pnpm', names: string[], dev = false) {
  const what = `${manager} project ${path.basename(dir)}: install ${names.join(' ')}`
  if (manager === 'npm') {
    await npm(
      what,
      ['install', '--no-audit', '--no-fund', ...(dev ? ['--save-dev'] : []), ...names],
      dir,
    )
  } else {
    await pnpm(what, ['add', ...(dev ? ['--save-dev'] : []), ...names], dir)
  }
}

/** Typechecks with `tsc --strict` and runs one program of a fresh project; returns its JSON line. */
async function compileAndRun(dir: string, program: string) {
  const project = path.basename(dir)
  await sh(
    `${project}: tsc --strict`,
    path.join(dir, 'node_modules/.bin/tsc'),
    ['--strict', '-p', '.'],
    dir,
  )
  const ran = await sh(
    `${project}: node out/${program}`,
    process.execPath,
    [`out/${program}`],
    dir,
    {
      env: { BREWERIES_URL: new URL('v1/breweries', breweriesUrl).href },
    },
  )
  const last = ran.output
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .at(-1)
  if (!last) throw new Error(`${project}: out/${program} printed no result (log ${ran.log})`)
  return JSON.parse(last)
}

const csvRows = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').length - 1

/** The fake Open Brewery DB: BREWERIES US breweries, paged like the live API. */
async function startBreweries(): Promise<string> {
  const all = Array.from({ length: BREWERIES }, (_, index) => ({
    id: `brewery-${String(index + 1).padStart(4, '0')}`,
    name: `Brewery ${index + 1}`,
    city: ['Portland', 'Denver', 'San Diego'][index % 3],
  }))
  breweries = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const page = Number(url.searchParams.get('page') ?? '1')
    const size = Number(url.searchParams.get('per_page') ?? '50')
    response.setHeader('content-type', 'application/json')
    if (
      url.pathname !== '/v1/breweries' ||
      url.searchParams.get('by_country') !== 'United States'
    ) {
      response.statusCode = 400
      response.end(JSON.stringify({ message: `unexpected request ${request.url}` }))
      return
    }
    response.end(JSON.stringify(all.slice((page - 1) * size, page * size)))
  })
  const server = breweries
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the brewery server has no port')
  return `http://127.0.0.1:${address.port}/`
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'graphflow-release-'))
  await mkdir(path.join(work, 'logs'))
  console.log(`release tier: working in ${work}`)
  breweriesUrl = await startBreweries()
})

afterAll(async () => {
  await registry?.stop()
  await new Promise<void>((resolve) => (breweries ? breweries.close(() => resolve()) : resolve()))
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: run.sh's KEEP=1, not a turbo task
  if (process.env.KEEP) console.log(`release tier: kept ${work}`)
  else await rm(work, { recursive: true, force: true })
})

describe.sequential('release to a registry on 127.0.0.1', () => {
  step('start Verdaccio on 127.0.0.1 with a throwaway storage', async () => {
    registry = await startRegistry(path.join(work, 'registry'))
    expect(isLocalRegistry(registry.url), registry.url).toBe(true)
  })

  step('scratch clone of HEAD: pnpm install', async () => {
    clone = path.join(work, 'graphflow')
    await sh('git clone', 'git', ['clone', '--quiet', repoRoot, clone], work)
    await sh('git checkout main', 'git', ['checkout', '--quiet', '-B', 'main'], clone)
    for (const parent of ['packages', 'connectors']) {
      for (const entry of readdirSync(path.join(clone, parent))) {
        const manifest = JSON.parse(
          readFileSync(path.join(clone, parent, entry, 'package.json'), 'utf8'),
        )
        if (manifest.private !== true) publics.set(manifest.name, path.join(clone, parent, entry))
      }
    }
    expect([...publics.keys()]).toEqual(
      expect.arrayContaining([...FIRST_PARTY, '@graphflow/testkit']),
    )
    await pnpm('workspace', ['install', '--frozen-lockfile', '--prefer-offline'], clone)
    // What `npm login` to the local registry would leave, kept out of git.
    await writeFile(path.join(clone, '.npmrc'), `${live().authLine}\n`)
    await appendFile(path.join(clone, '.git/info/exclude'), '.npmrc\n')
  })

  step('changeset version: the first release', async () => {
    await pnpm('workspace', ['version-packages'], clone)
    for (const [name, dir] of publics) {
      first.set(name, (await readJson(path.join(dir, 'package.json'))).version)
      const changelog = path.join(dir, 'CHANGELOG.md')
      expect(existsSync(changelog), `${name}: CHANGELOG.md after changeset version`).toBe(true)
    }
    await commitVersions(clone)
  })

  step(
    'the first release of every public package is 0.1.0',
    async () => {
      const wrong = [...first].filter(([, version]) => version !== '0.1.0')
      expect(wrong.map(([name, version]) => `${name} is ${version}`)).toEqual([])
    },
    { blocking: false },
  )

  step(
    'pnpm pack of each package in the fresh clone builds dist/ and ships what the maps name',
    async () => {
      const packs = path.join(work, 'packs')
      for (const [name, dir] of publics) {
        // No dist/ before its pack (an earlier pack may have built it as a dependency, e.g.
        // nats's build needs sqlite's): a pnpm pack that does not build would ship no dist/.
        await rm(path.join(dir, 'dist'), { recursive: true, force: true })
        await pnpm(name, ['pack', '--pack-destination', packs], dir)
        expect(existsSync(path.join(dir, 'dist')), `${name}: dist/ after pnpm pack`).toBe(true)
        const { version } = await readJson(path.join(dir, 'package.json'))
        const tarball = path.join(packs, `${name.slice(1).replace('/', '-')}-${version}.tgz`)
        const { problems } = checkTarball(tarball)
        expect(problems, `${name}: pnpm pack in a fresh clone`).toEqual([])
      }
    },
  )

  step('the guard refuses to publish to any registry but 127.0.0.1', async () => {
    const guardScript = path.join(repoRoot, 'scripts/registry/guard-registry.mjs')
    for (const env of [{ npm_config_registry: 'https://registry.npmjs.org/' }, {}]) {
      const refused = await sh('guard', process.execPath, [guardScript, clone], clone, {
        env,
        allowFailure: true,
      })
      expect(refused.code, `guard with ${JSON.stringify(env)}`).toBe(1)
      for (const name of publics.keys())
        expect(refused.output).toContain(`refusing to publish ${name}`)
    }
    await guard(clone)
  })

  step(
    'pnpm release publishes every public package to the local registry, and nothing private',
    async () => {
      await guard(clone)
      await pnpm('workspace: pnpm release', ['release'], clone, publishEnvironment())
      for (const [name, version] of first) {
        const found = await published(name)
        expect(Object.keys(found.versions), `${name}: versions on the registry`).toEqual([version])
        expect(found['dist-tags'].latest, `${name}: latest`).toBe(version)
      }
      for (const entry of readdirSync(path.join(clone, 'examples'))) {
        const { name } = await readJson(path.join(clone, 'examples', entry, 'package.json'))
        expect(await packument(live().url, name), `${name} is private`).toBeUndefined()
      }
    },
  )

  step(
    'the published tarballs hold dist/, src/ for the maps, no tests, no workspace: ranges',
    async () => {
      for (const [name, version] of first) await checkPublished(name, version)
    },
  )

  for (const manager of ['npm', 'pnpm'] as const) {
    step(
      `${manager}: a fresh project installs ${FIRST_PARTY.join(' ')} by name and runs the README's brewery snippet (tsc --strict)`,
      async () => {
        const dir = path.join(work, `app-${manager}`)
        await freshProject(dir, manager)
        await install(dir, manager, ['typescript@~5.9.3', '@types/node@^20.19.0'], true)
        await install(dir, manager, FIRST_PARTY)
        for (const name of FIRST_PARTY)
          await expectInstalledFromRegistry(dir, name, first.get(name) ?? '')
        await writeFile(
          path.join(dir, 'main.ts'),
          brewerySnippet(await readFile(path.join(clone, 'README.md'), 'utf8')),
        )
        const result = await compileAndRun(dir, 'main.js')
        expect(result.errors, `${manager} project: the README snippet's errors`).toEqual([])
        expect(result.halted).toBe(false)
        expect(await csvRows(path.join(dir, 'breweries_us.csv')), 'breweries_us.csv rows').toBe(
          BREWERIES,
        )
        expect(existsSync(path.join(dir, 'breweries_us.db')), 'breweries_us.db').toBe(true)
      },
    )
  }

  step(
    `connector: node scripts/new-connector.mjs my-api --standalone --package ${CONNECTOR}`,
    async () => {
      await sh(
        'scaffold',
        process.execPath,
        [
          'scripts/new-connector.mjs',
          'my-api',
          '--standalone',
          '--dir',
          work,
          '--package',
          CONNECTOR,
          '--repository',
          'git+https://github.com/acme/graphflow-my-api.git',
        ],
        clone,
      )
      connectorDir = path.join(work, 'my-api')
      expect((await readJson(path.join(connectorDir, 'package.json'))).name).toBe(CONNECTOR)
    },
  )

  step(
    `connector: its core peer range is ${CORE_PEER}`,
    async () => {
      const manifest = await readJson(path.join(connectorDir, 'package.json'))
      expect(manifest.peerDependencies?.['@graphflow/core'], `${CONNECTOR} peerDependencies`).toBe(
        CORE_PEER,
      )
    },
    { blocking: false },
  )

  step(
    'connector: pnpm install, build, typecheck and test with @graphflow/testkit from the registry',
    async () => {
      await sh(CONNECTOR, 'git', ['init', '--quiet', '-b', 'main'], connectorDir)
      await writeFile(
        path.join(connectorDir, '.npmrc'),
        [
          `@graphflow:registry=${live().url}`,
          `@acme:registry=${live().url}`,
          live().authLine,
          '',
        ].join('\n'),
      )
      await appendFile(path.join(connectorDir, '.git/info/exclude'), '.npmrc\n')
      await pnpm(CONNECTOR, ['install', '--no-frozen-lockfile'], connectorDir)
      for (const name of ['@graphflow/core', '@graphflow/testkit']) {
        await expectInstalledFromRegistry(connectorDir, name, first.get(name) ?? '')
      }
      await pnpm(CONNECTOR, ['build'], connectorDir)
      await pnpm(CONNECTOR, ['typecheck'], connectorDir)
      const tested = await pnpm(CONNECTOR, ['test'], connectorDir)
      expect(tested.output, `${CONNECTOR}: the testkit's conformance suites ran`).toMatch(
        /conformance/,
      )
    },
  )

  step(
    `connector: pnpm version-packages and pnpm release publish ${CONNECTOR} to the registry`,
    async () => {
      await sh(CONNECTOR, 'git', ['add', '-A'], connectorDir)
      await sh(
        CONNECTOR,
        'git',
        [
          '-c',
          'user.name=acme',
          '-c',
          'user.email=acme@127.0.0.1',
          'commit',
          '--quiet',
          '-m',
          'scaffold',
        ],
        connectorDir,
      )
      await pnpm(CONNECTOR, ['version-packages'], connectorDir)
      const { version } = await readJson(path.join(connectorDir, 'package.json'))
      expect(version, `${CONNECTOR}: its first release`).toBe('0.1.0')
      await guard(connectorDir)
      await pnpm(`${CONNECTOR}: pnpm release`, ['release'], connectorDir, publishEnvironment())
      expect((await published(CONNECTOR))['dist-tags'].latest).toBe(version)
      await checkPublished(CONNECTOR, version)
      first.set(CONNECTOR, version)
    },
  )

  for (const manager of ['npm', 'pnpm'] as const) {
    step(
      `${manager}: the fresh project installs ${CONNECTOR} by name and uses it next to the first-party connectors`,
      async () => {
        const dir = path.join(work, `app-${manager}`)
        await install(dir, manager, [CONNECTOR])
        await expectInstalledFromRegistry(dir, CONNECTOR, first.get(CONNECTOR) ?? '')
        await writeFile(path.join(dir, 'connector.ts'), connectorProgram)
        const result = await compileAndRun(dir, 'connector.js')
        expect(result.errors, `${manager} project: errors of the run with ${CONNECTOR}`).toEqual([])
        expect(result.sent, `${CONNECTOR}'s sink: records sent`).toBe(BREWERIES)
        expect(
          await csvRows(path.join(dir, 'acme.csv')),
          `acme.csv rows (${CONNECTOR}'s source)`,
        ).toBe(BREWERIES)
        expect(await csvRows(path.join(dir, 'http.csv')), 'http.csv rows (@graphflow/http)').toBe(
          BREWERIES,
        )
      },
    )
  }

  step(
    'second release: a core patch changeset versions and publishes @graphflow/core only',
    async () => {
      await writeFile(
        path.join(clone, '.changeset/release-tier-core-patch.md'),
        "---\n'@graphflow/core': patch\n---\n\nA fix in core (the release tier's second release).\n",
      )
      await pnpm('workspace', ['version-packages'], clone)
      for (const [name, dir] of publics)
        second.set(name, (await readJson(path.join(dir, 'package.json'))).version)
      const [major, minor, patch] = (first.get('@graphflow/core') ?? '').split('.').map(Number)
      expect(second.get('@graphflow/core'), '@graphflow/core after a patch changeset').toBe(
        `${major}.${minor}.${(patch ?? 0) + 1}`,
      )
      const moved = [...publics.keys()]
        .filter((name) => name !== '@graphflow/core' && second.get(name) !== first.get(name))
        .map((name) => `${name} went ${first.get(name)} -> ${second.get(name)}`)
      expect(
        moved,
        'packages versioned by a core patch (their core peer range should accept it)',
      ).toEqual([])
      await commitVersions(clone)
      await guard(clone)
      const released = await pnpm(
        'workspace: pnpm release (second)',
        ['release'],
        clone,
        publishEnvironment(),
      )
      const tags = [...released.output.matchAll(/New tag:\s+(\S+)/g)].map((match) => match[1])
      expect(tags, 'what the second release published').toEqual([
        `@graphflow/core@${second.get('@graphflow/core')}`,
      ])
      for (const [name, version] of second) {
        const found = await published(name)
        expect(found['dist-tags'].latest, `${name}: latest after the second release`).toBe(version)
        const expected = name === '@graphflow/core' ? [first.get(name), version] : [version]
        expect(Object.keys(found.versions), `${name}: versions on the registry`).toEqual(expected)
      }
      await checkPublished('@graphflow/core', second.get('@graphflow/core') ?? '')
    },
  )

  for (const manager of ['npm', 'pnpm'] as const) {
    step(
      `${manager}: the fresh project takes the core patch; every connector's peer range accepts it`,
      async () => {
        const dir = path.join(work, `app-${manager}`)
        const core = second.get('@graphflow/core') ?? ''
        await install(dir, manager, [`@graphflow/core@${core}`])
        await expectInstalledFromRegistry(dir, '@graphflow/core', core)
        if (manager === 'npm') {
          await npm('npm project: npm ls (peer ranges)', ['ls', '--all'], dir)
        } else {
          const lock = await readFile(path.join(dir, 'pnpm-lock.yaml'), 'utf8')
          const cores = new Set(
            [...lock.matchAll(/@graphflow\/core@(\d+\.\d+\.\d+)/g)].map((match) => match[1]),
          )
          expect([...cores], 'versions of @graphflow/core in pnpm-lock.yaml').toEqual([core])
        }
        for (const name of [...FIRST_PARTY.slice(1), CONNECTOR]) {
          const peer = (await readJson(path.join(dir, 'node_modules', name, 'package.json')))
            .peerDependencies
          expect(peer?.['@graphflow/core'], `${name}'s core peer range`).toBeDefined()
        }
        const result = await compileAndRun(dir, 'connector.js')
        expect(result.errors, `${manager} project: errors after the core patch`).toEqual([])
        expect(result.sent).toBe(BREWERIES)
      },
    )
  }
})
