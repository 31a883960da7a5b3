// `changeset version` on the pending changesets, in a scratch copy of the workspace: the first
// release of every package is 0.1.0, and so is a newly scaffolded connector's.
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunResult, repoRoot, run, scaffold } from './helpers.js'

interface Manifest {
  name: string
  version: string
  private?: boolean
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

const output = (result: RunResult) => `exit ${result.code}\n${result.stdout}\n${result.stderr}`
const readManifest = async (dir: string): Promise<Manifest> =>
  JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))

/** The workspace's package folders, relative to the root (pnpm-workspace.yaml lists these). */
async function packageDirs(): Promise<string[]> {
  const dirs: string[] = []
  for (const parent of ['packages', 'connectors', 'examples']) {
    for (const entry of await readdir(path.join(repoRoot, parent))) {
      if (existsSync(path.join(repoRoot, parent, entry, 'package.json'))) {
        dirs.push(`${parent}/${entry}`)
      }
    }
  }
  return dirs
}

let scratch: string
/** Package folder -> its manifest before and after `changeset version`. */
const before = new Map<string, Manifest>()
const after = new Map<string, Manifest>()
let versioned: RunResult

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'graphflow-release-'))
  // What changesets reads: the root manifest and workspace list, the changesets and their
  // config, each package's manifest and changelog. The working tree's, not the last commit's.
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'tsconfig.base.json']) {
    await copyFile(path.join(repoRoot, file), path.join(scratch, file))
  }
  await cp(path.join(repoRoot, '.changeset'), path.join(scratch, '.changeset'), {
    recursive: true,
  })
  const dirs = await packageDirs()
  for (const dir of dirs) {
    await mkdir(path.join(scratch, dir), { recursive: true })
    for (const file of ['package.json', 'CHANGELOG.md']) {
      const from = path.join(repoRoot, dir, file)
      if (existsSync(from)) await copyFile(from, path.join(scratch, dir, file))
    }
  }
  await symlink(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'), 'dir')

  // A connector scaffolded the way docs/writing-a-connector.md says, with its initial changeset.
  const created = await scaffold(['my-api', '--dir', path.join(scratch, 'connectors')], scratch)
  expect(created.code, output(created)).toBe(0)
  dirs.push('connectors/my-api')

  const git = (...args: string[]) =>
    run('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@127.0.0.1', ...args], scratch)
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-qm', 'scratch'],
  ]) {
    const result = await git(...args)
    expect(result.code, output(result)).toBe(0)
  }
  for (const dir of dirs) before.set(dir, await readManifest(path.join(scratch, dir)))
  versioned = await run(
    path.join(scratch, 'node_modules', '.bin', 'changeset'),
    ['version'],
    scratch,
    60_000,
  )
  for (const dir of dirs) after.set(dir, await readManifest(path.join(scratch, dir)))
}, 120_000)

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('changeset version on the pending changesets', () => {
  it('runs', () => {
    expect(versioned.code, output(versioned)).toBe(0)
  })

  // Guards: the packages were already 0.1.0 and the initial changeset added a minor, so the
  // first release was 0.2.0.
  it('makes 0.1.0 the first release of every published package that was never released', () => {
    // Never released: no CHANGELOG.md yet (`changeset version` writes it with the first release).
    const unreleased = [...before].filter(
      ([dir, manifest]) =>
        !manifest.private && !existsSync(path.join(repoRoot, dir, 'CHANGELOG.md')),
    )
    for (const [dir, manifest] of unreleased) {
      expect(`${manifest.name} ${after.get(dir)?.version}`).toBe(`${manifest.name} 0.1.0`)
    }
  })

  it('releases no package as 1.0.0 or later', () => {
    for (const [dir, manifest] of after) {
      if (manifest.private) continue
      expect(Number(manifest.version.split('.')[0]), `${manifest.name} ${manifest.version}`).toBe(
        Number(before.get(dir)?.version.split('.')[0]),
      )
    }
  })

  // Guards: the template's workspace:^ peer range made the core release a major release of a
  // new connector: 1.0.0, with a "Minor Changes" changelog.
  it("makes 0.1.0 a scaffolded connector's first release, with its initial changeset", async () => {
    expect(after.get('connectors/my-api')?.version).toBe('0.1.0')
    expect(after.get('connectors/my-api')?.peerDependencies).toEqual({
      '@graphflow/core': '>=0.1.0 <1.0.0',
    })
    const changelog = await readFile(path.join(scratch, 'connectors/my-api/CHANGELOG.md'), 'utf8')
    expect(changelog).toMatch(
      /## 0\.1\.0\n\n### Minor Changes\n\n- (\w+: )?Initial release: `myApiSource` and `myApiSink`\./,
    )
    expect(changelog).not.toMatch(/## [1-9]\d*\.\d+\.\d+/)
  })

  it("keeps the connectors' peer range on core and their workspace devDependencies", () => {
    for (const [dir, manifest] of after) {
      const peer = manifest.peerDependencies?.['@graphflow/core']
      if (peer !== undefined) expect(`${dir} ${peer}`).toBe(`${dir} >=0.1.0 <1.0.0`)
      const dev = manifest.devDependencies?.['@graphflow/core']
      if (dev !== undefined) expect(`${dir} ${dev}`).toBe(`${dir} workspace:^`)
    }
  })
})
