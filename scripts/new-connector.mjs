#!/usr/bin/env node
// @ts-check
/**
 * Scaffolds a graphflow connector package from templates/connector.
 *
 *   node scripts/new-connector.mjs <name> [--dir <parent>] [--standalone] [--package <npm name>]
 *     [--core <spec>] [--testkit <spec>] [--repository <git url>]
 *
 * In this monorepo (the default) it writes `connectors/<name>` with `workspace:^` devDependencies
 * and the changeset in the workspace's `.changeset/`. With `--standalone` (and `--package`, the
 * name to publish under) it writes a self-contained project for a repository of its own. Needs
 * nothing but Node.js. Either way the peer range on @graphflow/core is the first-party
 * connectors' (`>=0.1.0 <1.0.0`), so the connector's first release is 0.1.0.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** Where the user typed the command: `pnpm new:connector` runs scripts from the root. */
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by pnpm for package scripts, not a turbo task
const cwd = (process.env.npm_lifecycle_event && process.env.INIT_CWD) || process.cwd()
const templateDir = path.join(repoRoot, 'templates', 'connector')
/** Template files that are not part of the package: extras for --standalone, the changeset. */
const STANDALONE_DIR = '_standalone'
const CHANGESET_DIR = '.changeset'
/** The version a package at 0.0.0 (never released) gets from its first release. */
const FIRST_RELEASE = '0.1.0'
/** Names whose identifiers would clash with the template's imports or existing packages. */
const RESERVED = new Set(['core', 'testkit', 'define', 'graphflow'])

const USAGE = `Usage: npx -y pnpm@10 new:connector <name> [options]     (pnpm new:connector with pnpm 10)
       node scripts/new-connector.mjs <name> [options]

Scaffolds a graphflow connector package: <name> is kebab-case, e.g. my-api.

Options:
  --dir <parent>        where to create <name>/ (default: connectors/ of this repo, or the
                        current directory with --standalone)
  --standalone          a self-contained project for a repository outside this monorepo
                        (needs --package)
  --package <npm name>  the package name (default: @graphflow/<name> in this monorepo; your
                        own, e.g. @acme/graphflow-my-api, with --standalone)
  --core <spec>         the @graphflow/core devDependency (default: workspace:^, or ^<released
                        version> with --standalone); e.g. file:../graphflow-core.tgz
  --testkit <spec>      the @graphflow/testkit devDependency (same defaults as --core)
  --repository <url>    the git URL for package.json "repository" (with --standalone)
  -h, --help            this help`

class UsageError extends Error {}

/**
 * Checks a connector name and returns its spellings.
 * @param {string | undefined} name
 */
function connectorNames(name) {
  if (!name) throw new UsageError('missing <name>, e.g. `npx -y pnpm@10 new:connector my-api`')
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new UsageError(
      `invalid name ${JSON.stringify(name)}: expected kebab-case (lowercase letters and digits in words joined by single hyphens, starting with a letter), e.g. my-api`,
    )
  }
  if (name.length > 50) throw new UsageError(`invalid name "${name}": at most 50 characters`)
  if (RESERVED.has(name)) {
    throw new UsageError(`invalid name "${name}": reserved (${[...RESERVED].join(', ')})`)
  }
  const words = name.split('-')
  const pascal = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')
  const camel = (pascal[0]?.toLowerCase() ?? '') + pascal.slice(1)
  return { name, camel, pascal, constant: words.join('_').toUpperCase() }
}

/** @param {string} file */
function toPosix(file) {
  return file.split(path.sep).join('/')
}

/** @param {string} file */
function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/**
 * The version users can install: a package at 0.0.0 is not released yet, and its first release
 * will be {@link FIRST_RELEASE}.
 * @param {string} version
 */
function released(version) {
  return version === '0.0.0' ? FIRST_RELEASE : version
}

/** @param {string} value */
function looksLikeRange(value) {
  return /^([\^~]|[<>]=?|=)?\s*\d/.test(value) || value === '*'
}

/**
 * The nearest folder at or above `start` with a pnpm-workspace.yaml.
 * @param {string} start
 */
function findWorkspaceRoot(start) {
  let dir = start
  for (;;) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/**
 * Every file under `dir`, as paths relative to it with forward slashes.
 * @param {string} dir
 */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => toPosix(path.relative(dir, path.join(entry.parentPath, entry.name))))
}

/**
 * Replaces every `__KEY__` of `values` in `text`; in JSON files the values are escaped.
 * @param {string} text
 * @param {Record<string, string>} values
 * @param {boolean} json
 */
function fill(text, values, json) {
  return text.replace(/__([A-Z]+(?:_[A-Z]+)*)__/g, (match, key) => {
    const value = values[key]
    if (value === undefined) return match
    return json ? JSON.stringify(value).slice(1, -1) : value
  })
}

/**
 * The pnpm workspace `parent` is in, and its changeset folder; throws when there is none.
 * @param {string} parent
 */
function locateWorkspace(parent) {
  const workspaceRoot = findWorkspaceRoot(parent)
  if (!workspaceRoot) {
    throw new UsageError(
      `${parent} is not inside a pnpm workspace (no pnpm-workspace.yaml above it): use --standalone for a project outside this monorepo`,
    )
  }
  const changesetDir = path.join(workspaceRoot, CHANGESET_DIR)
  for (const needed of [changesetDir, path.join(workspaceRoot, 'tsconfig.base.json')]) {
    if (!existsSync(needed)) throw new UsageError(`${needed} is missing: the package needs it`)
  }
  const globs = readFileSync(path.join(workspaceRoot, 'pnpm-workspace.yaml'), 'utf8')
  const listed = `${toPosix(path.relative(workspaceRoot, parent))}/*`
  const warning = globs.includes(listed)
    ? undefined
    : `pnpm-workspace.yaml does not list "${listed}": add it, or pnpm will not see the package.`
  return { workspaceRoot, changesetDir, warning }
}

/**
 * Plans the files of the new connector: nothing is written here.
 * @param {ReturnType<typeof parseCommandLine>} command
 */
function plan(command) {
  const names = connectorNames(command.name)
  const standalone = command.standalone
  const parent = path.resolve(
    cwd,
    command.dir ?? (standalone ? '.' : path.join(repoRoot, 'connectors')),
  )
  const target = path.join(parent, names.name)
  if (standalone && !command.package) {
    throw new UsageError(
      `--standalone needs --package <npm name>, the name you publish under, e.g. --package @acme/graphflow-${names.name}: only graphflow's own packages can use the @graphflow scope`,
    )
  }
  const packageName = command.package ?? `@graphflow/${names.name}`
  if (!/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(packageName)) {
    throw new UsageError(
      `invalid --package ${JSON.stringify(packageName)}: expected an npm package name such as @scope/graphflow-${names.name}`,
    )
  }
  const testkitManifest = readJson(path.join(repoRoot, 'packages/testkit/package.json'))
  const coreVersion = released(readJson(path.join(repoRoot, 'packages/core/package.json')).version)
  const testkitVersion = released(testkitManifest.version)
  // The first-party packages' peer range on core (the testkit's is theirs): a range, not
  // workspace:^, so that a core release within it does not force a major release of the
  // connector, and its first release is 0.1.0.
  const corePeer = testkitManifest.peerDependencies['@graphflow/core']
  const defaultCore = standalone ? `^${coreVersion}` : 'workspace:^'
  const coreSpec = command.core ?? defaultCore
  const warnings = []

  const { workspaceRoot, changesetDir, warning } = standalone
    ? { workspaceRoot: target, changesetDir: path.join(target, CHANGESET_DIR), warning: undefined }
    : locateWorkspace(parent)
  if (warning) warnings.push(warning)
  const enclosing = standalone && findWorkspaceRoot(parent)
  if (enclosing) {
    warnings.push(
      `${target} is inside the pnpm workspace at ${enclosing}, so pnpm would install it as part of that workspace: for a repository of its own, scaffold it outside (e.g. --dir ..).`,
    )
  }

  /** @type {Record<string, string>} */
  const values = {
    NAME: names.name,
    CAMEL: names.camel,
    PASCAL: names.pascal,
    CONSTANT: names.constant,
    PACKAGE: packageName,
    DIRECTORY: toPosix(path.relative(workspaceRoot, target)),
    TSCONFIG_BASE: standalone
      ? './tsconfig.base.json'
      : toPosix(path.relative(target, path.join(workspaceRoot, 'tsconfig.base.json'))),
    CORE_PEER: command.core && looksLikeRange(command.core) ? command.core : corePeer,
    CORE_SPEC: coreSpec,
    TESTKIT_SPEC: command.testkit ?? (standalone ? `^${testkitVersion}` : 'workspace:^'),
    YEAR: String(new Date().getFullYear()),
    COPYRIGHT_HOLDER: standalone ? `the ${packageName} authors` : 'graphflow contributors',
  }

  /** @type {Map<string, string>} absolute path -> content */
  const files = new Map()
  for (const relative of listFiles(templateDir)) {
    const text = fill(
      readFileSync(path.join(templateDir, relative), 'utf8'),
      values,
      relative.endsWith('.json'),
    )
    const [first, ...rest] = relative.split('/')
    if (first === STANDALONE_DIR) {
      if (!standalone) continue
      const inner = rest.join('/').replace(/^gitignore$/, '.gitignore')
      files.set(path.join(target, fill(inner, values, false)), text)
    } else if (first === CHANGESET_DIR) {
      files.set(path.join(changesetDir, fill(rest.join('/'), values, false)), text)
    } else {
      files.set(path.join(target, fill(relative, values, false)), text)
    }
  }

  if (standalone) {
    const packageFile = path.join(target, 'package.json')
    const manifest = standaloneManifest(JSON.parse(files.get(packageFile) ?? '{}'), command)
    files.set(packageFile, `${JSON.stringify(manifest, null, 2)}\n`)
    const base = readFileSync(path.join(repoRoot, 'tsconfig.base.json'), 'utf8')
    files.set(path.join(target, 'tsconfig.base.json'), base)
  }

  for (const [file, text] of files) {
    const left = text.match(/__[A-Z]+(?:_[A-Z]+)*__/)
    if (left) throw new Error(`template placeholder ${left[0]} left in ${file}`)
  }
  if (existsSync(target)) {
    const kind = statSync(target).isDirectory() ? 'folder' : 'file'
    throw new UsageError(
      `${target} already exists (a ${kind}): pick another name or --dir, or remove it first`,
    )
  }
  for (const file of files.keys()) {
    if (existsSync(file)) throw new UsageError(`${file} already exists: remove it first`)
  }
  return { names, packageName, standalone, target, files, warnings }
}

/**
 * The package.json of a standalone project: no monorepo directory, its own changesets scripts.
 * @param {{ [key: string]: unknown, scripts?: object, devDependencies?: object }} manifest
 * @param {ReturnType<typeof parseCommandLine>} command
 */
function standaloneManifest(manifest, command) {
  const rootPackage = readJson(path.join(repoRoot, 'package.json'))
  if (command.repository) manifest.repository = { type: 'git', url: command.repository }
  else delete manifest.repository
  manifest.scripts = {
    ...manifest.scripts,
    changeset: 'changeset',
    'version-packages': 'changeset version',
    release: 'pnpm build && changeset publish',
  }
  const changesets = rootPackage.devDependencies['@changesets/cli']
  manifest.devDependencies = Object.fromEntries(
    Object.entries({ ...manifest.devDependencies, '@changesets/cli': changesets }).sort(),
  )
  // "packageManager" right after "engines": pnpm/action-setup and corepack read it.
  return Object.fromEntries(
    Object.entries(manifest).flatMap((entry) =>
      entry[0] === 'engines' ? [entry, ['packageManager', rootPackage.packageManager]] : [entry],
    ),
  )
}

/** @param {string[]} argv */
function parseCommandLine(argv) {
  const options = /** @type {const} */ ({
    dir: { type: 'string' },
    standalone: { type: 'boolean', default: false },
    package: { type: 'string' },
    core: { type: 'string' },
    testkit: { type: 'string' },
    repository: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  })
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options, allowPositionals: true })
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error))
    }
  })()
  const { values, positionals } = parsed
  if (positionals.length > 1) {
    throw new UsageError(`expected one <name>, got ${positionals.length}: ${positionals.join(' ')}`)
  }
  if (values.repository && !values.standalone) {
    throw new UsageError('--repository only applies with --standalone')
  }
  return { ...values, name: positionals[0] }
}

/** @param {ReturnType<typeof plan>} planned */
function write(planned) {
  for (const [file, text] of planned.files) {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
}

/**
 * Formats what was written with this repository's biome, when it is installed: the template is
 * formatted for its placeholder names, and real names change line lengths and import order.
 * Returns whether it worked.
 * @param {ReturnType<typeof plan>} planned
 */
function format(planned) {
  const binary = process.platform === 'win32' ? 'biome.cmd' : 'biome'
  const biome = path.join(repoRoot, 'node_modules', '.bin', binary)
  if (!existsSync(biome)) return false
  // Not the changesets: biome reads their front matter as markdown and breaks it.
  const paths = [...planned.files.keys()].filter(
    (file) => /\.(ts|js|mjs|md)$/.test(file) && path.basename(path.dirname(file)) !== CHANGESET_DIR,
  )
  const result = spawnSync(
    biome,
    ['check', '--write', `--config-path=${path.join(repoRoot, 'biome.json')}`, ...paths],
    { stdio: 'ignore', shell: process.platform === 'win32' },
  )
  return result.status === 0
}

/**
 * What to run next, one command a line, in order, from where the command was typed: the lines
 * that follow the scaffold command in docs/writing-a-connector.md (`pnpm test:slow` checks it).
 * @param {ReturnType<typeof plan>} planned
 */
function nextSteps(planned) {
  const where = path.relative(cwd, planned.target) || '.'
  const pnpm = 'npx -y pnpm@10'
  const filter = `${pnpm} --filter ${planned.packageName}`
  const lines = [
    `Created ${where} (${planned.packageName}), ${planned.files.size} files.`,
    '',
    `Next (${pnpm} runs pnpm 10 without installing it; with pnpm 10 installed, pnpm does the same):`,
  ]
  if (planned.standalone) {
    lines.push(
      `  cd ${where}`,
      '  git init -b main',
      `  ${pnpm} install`,
      `  ${pnpm} build && ${pnpm} typecheck && ${pnpm} test`,
      '',
      'Then set "repository" in package.json and your name in LICENSE (npm provenance checks the',
      `repository), add a changeset for each change (${pnpm} changeset; the initial one is in`,
      `.changeset/), and release with ${pnpm} version-packages && ${pnpm} release, or let`,
      '.github/workflows/release.yml do it.',
    )
  } else {
    lines.push(
      `  ${pnpm} install`,
      `  ${filter}... build`,
      `  ${filter} typecheck`,
      `  ${filter} test`,
      `  ${pnpm} lint`,
      '',
      `Then edit src/${planned.names.name}-source.ts and src/${planned.names.name}-sink.ts, the README and the changeset.`,
      `(${filter}... build builds core and the testkit first: the connector imports their dist/.)`,
    )
  }
  lines.push('', 'Guide: docs/writing-a-connector.md')
  return lines.join('\n')
}

function main() {
  try {
    const command = parseCommandLine(process.argv.slice(2))
    if (command.help) {
      console.log(USAGE)
      return
    }
    const planned = plan(command)
    write(planned)
    // A standalone project has no linter of its own: formatting it is a courtesy.
    if (!format(planned) && !planned.standalone) {
      planned.warnings.push(
        `could not format the files with biome (is this clone installed? \`npx -y pnpm@10 install\` first): run \`npx -y pnpm@10 exec biome check --write ${planned.target}\``,
      )
    }
    for (const warning of planned.warnings) console.warn(`new-connector: warning: ${warning}`)
    console.log(nextSteps(planned))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(
      `new-connector: ${error.message}\n(node scripts/new-connector.mjs --help for usage)`,
    )
    process.exitCode = 1
  }
}

main()
