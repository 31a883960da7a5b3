#!/usr/bin/env node
// @ts-check
/**
 * Checks what a packed or published package tarball holds, the way a user gets it:
 *
 *   node scripts/registry/check-tarball.mjs <package.tgz>...
 *
 * - `dist/` with the entry points the exports map names (`pnpm pack` in a fresh clone must build);
 * - no test files;
 * - every source map (`.js.map`, `.d.ts.map`) names only sources that are in the tarball;
 * - no `workspace:` range left in package.json.
 *
 * Prints one line per problem, naming the package and the file, and exits 1 if there is any.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * The problems of one tarball, each a sentence naming the file.
 * @param {string} tarball
 * @returns {{ name: string, problems: string[] }}
 */
export function checkTarball(tarball) {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphflow-tarball-'))
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', dir])
    const root = path.join(dir, 'package')
    const files = new Set(
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) =>
          path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
        ),
    )
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
    const name = `${manifest.name}@${manifest.version}`
    /** @type {string[]} */
    const problems = []
    const entries = [manifest.main, manifest.types, ...exportTargets(manifest.exports)]
    for (const entry of new Set(entries.filter((each) => typeof each === 'string'))) {
      const file = path.posix.normalize(entry)
      if (!files.has(file)) problems.push(`${file} is missing (package.json names it)`)
    }
    if (![...files].some((file) => file.startsWith('dist/'))) {
      problems.push('dist/ is missing: was the package built before it was packed?')
    }
    for (const file of files) {
      if (/\.test(-d)?\.|(^|\/)__tests__\//.test(file)) problems.push(`${file} is a test file`)
      if (!file.endsWith('.map')) continue
      const map = JSON.parse(readFileSync(path.join(root, file), 'utf8'))
      for (const source of map.sources ?? []) {
        const target = path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source)
        if (!files.has(target)) {
          problems.push(`${file} names the source ${source} (${target}), which is not shipped`)
        }
      }
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) {
          problems.push(`package.json ${field}.${dependency} is "${range}"`)
        }
      }
    }
    return { name, problems }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Every file path an `exports` field points to.
 * @param {unknown} exports
 * @returns {string[]}
 */
function exportTargets(exports) {
  if (typeof exports === 'string') return [exports]
  if (!exports || typeof exports !== 'object') return []
  return Object.values(exports).flatMap(exportTargets)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tarballs = process.argv.slice(2)
  if (tarballs.length === 0) {
    console.error('usage: node scripts/registry/check-tarball.mjs <package.tgz>...')
    process.exit(2)
  }
  let failed = false
  for (const tarball of tarballs) {
    const { name, problems } = checkTarball(tarball)
    for (const problem of problems) console.error(`${name} (${path.basename(tarball)}): ${problem}`)
    if (problems.length > 0) failed = true
    else console.log(`${name}: dist, entry points and source maps complete`)
  }
  process.exitCode = failed ? 1 : 0
}
