#!/usr/bin/env node
// @ts-check
/**
 * Refuses a publish that could reach any registry but one on 127.0.0.1:
 *
 *   node scripts/registry/guard-registry.mjs <workspace or package dir>
 *
 * For every public package under the directory (the workspace's `packages/*` and `connectors/*`,
 * or the directory itself when it is a package) it checks the registry `changeset publish` would
 * pass to `npm info` / `pnpm publish` (`publishConfig`, then `npm_config_@scope:registry`, then
 * `npm_config_registry`, else npmjs: the rules of @changesets/cli), and the registries npm itself
 * resolves there from every .npmrc and the environment (`@scope:registry` wins over `registry`).
 * Prints one line per refusal, naming the package, and exits 1 if there is any; the release tier
 * runs it before each publish, so it publishes nowhere else.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const NPMJS = 'https://registry.npmjs.org'
const LOCAL_HOSTS = new Set(['127.0.0.1'])

/**
 * Whether `url` is an http(s) registry on 127.0.0.1.
 * @param {string | undefined} url
 */
export function isLocalRegistry(url) {
  if (!url) return false
  try {
    const parsed = new URL(url)
    return /^https?:$/.test(parsed.protocol) && LOCAL_HOSTS.has(parsed.hostname)
  } catch {
    return false
  }
}

/**
 * The registry @changesets/cli publishes a package to (its `getCorrectRegistry`).
 * @param {{ name: string, publishConfig?: Record<string, string> }} manifest
 * @param {NodeJS.ProcessEnv} env
 */
export function changesetsRegistry(manifest, env) {
  const scope = manifest.name.startsWith('@') ? manifest.name.split('/')[0] : undefined
  const scoped =
    scope && (manifest.publishConfig?.[`${scope}:registry`] ?? env[`npm_config_${scope}:registry`])
  if (scoped) return { how: `${scope}:registry`, registry: scoped }
  const registry = manifest.publishConfig?.registry ?? env.npm_config_registry
  if (!registry) return { how: 'npm_config_registry is not set', registry: NPMJS }
  return {
    how: manifest.publishConfig?.registry ? 'publishConfig.registry' : 'npm_config_registry',
    registry,
  }
}

/**
 * The public packages of a workspace (or the package at `root`).
 * @param {string} root
 */
function publicPackages(root) {
  const dirs = existsSync(path.join(root, 'pnpm-workspace.yaml'))
    ? ['packages', 'connectors']
        .filter((parent) => existsSync(path.join(root, parent)))
        .flatMap((parent) =>
          readdirSync(path.join(root, parent)).map((entry) => path.join(root, parent, entry)),
        )
    : [root]
  return dirs
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true)
}

/** @type {Map<string, Record<string, unknown>>} */
const configs = new Map()

/**
 * What npm resolves for a config key in `dir` (every .npmrc and the environment).
 * @param {string} key
 * @param {string} dir
 * @param {NodeJS.ProcessEnv} env
 */
function npmConfig(key, dir, env) {
  let config = configs.get(dir)
  if (!config) {
    const json = execFileSync('npm', ['config', 'list', '--json'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    })
    config = /** @type {Record<string, unknown>} */ (JSON.parse(json))
    configs.set(dir, config)
  }
  const value = config[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Every reason not to publish from `root` with `env`: one sentence each, naming the package.
 * @param {string} root
 * @param {NodeJS.ProcessEnv} env
 */
export function refusals(root, env) {
  const packages = publicPackages(root)
  if (packages.length === 0) return [`no public package under ${root}`]
  /** @type {string[]} */
  const found = []
  for (const { dir, manifest } of packages) {
    const { how, registry } = changesetsRegistry(manifest, env)
    if (!isLocalRegistry(registry)) {
      found.push(`${manifest.name}: changeset publish would publish to ${registry} (${how})`)
    }
    const scope = manifest.name.startsWith('@') ? manifest.name.split('/')[0] : undefined
    // npm reads the package's own folder's .npmrc, pnpm the workspace root's: check both.
    for (const where of new Set([dir, root])) {
      const scoped = scope && npmConfig(`${scope}:registry`, where, env)
      const effective = scoped ?? npmConfig('registry', where, env)
      if (!isLocalRegistry(effective)) {
        const key = scoped ? `${scope}:registry` : 'registry'
        found.push(`${manifest.name}: npm in ${where} resolves ${key} to ${effective}`)
      }
    }
  }
  return found
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(process.argv[2] ?? '.')
  const found = refusals(root, process.env)
  for (const line of found) console.error(`guard-registry: refusing to publish ${line}`)
  if (found.length === 0) {
    console.log(`guard-registry: every public package under ${root} publishes to 127.0.0.1 only`)
  }
  process.exitCode = found.length > 0 ? 1 : 0
}
