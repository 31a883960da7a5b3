import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  codeBlocks,
  containsSnippet,
  listFiles,
  packResult,
  type RunResult,
  readTree,
  repoRoot,
  run,
  scaffold,
} from './helpers.js'

let temp: string
beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'graphflow-new-connector-'))
})
afterAll(async () => {
  await rm(temp, { recursive: true, force: true })
})

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'))
const output = (result: RunResult) => `exit ${result.code}\n${result.stdout}\n${result.stderr}`
const placeholder = /__[A-Z]+(?:_[A-Z]+)*__/

/** The package files both modes write. */
const packageFiles = [
  'LICENSE',
  'README.md',
  'package.json',
  'src/check-options.ts',
  'src/conformance.test.ts',
  'src/index.ts',
  'src/my-api-error.ts',
  'src/my-api-sink-options.ts',
  'src/my-api-sink.ts',
  'src/my-api-source-options.ts',
  'src/my-api-source.ts',
  'src/my-api.test.ts',
  'tsconfig.build.json',
  'tsconfig.json',
  'vitest.config.ts',
]

/** A folder shaped like this monorepo's root: a pnpm workspace with changesets. */
async function makeWorkspace(name: string): Promise<string> {
  const root = path.join(temp, name)
  await mkdir(path.join(root, '.changeset'), { recursive: true })
  await writeFile(path.join(root, 'pnpm-workspace.yaml'), 'packages:\n  - connectors/*\n')
  await copyFile(path.join(repoRoot, 'tsconfig.base.json'), path.join(root, 'tsconfig.base.json'))
  return root
}

describe('new-connector: in the monorepo', () => {
  it('writes connectors/<name> with workspace devDependencies, the first-party peer range and the changeset at the root', async () => {
    const root = await makeWorkspace('monorepo')
    const result = await scaffold(['my-api', '--dir', path.join(root, 'connectors')], temp)
    expect(result.code, output(result)).toBe(0)
    expect(result.stdout).toContain('npx -y pnpm@10 --filter @graphflow/my-api... build')

    const target = path.join(root, 'connectors', 'my-api')
    expect(await listFiles(target)).toEqual(packageFiles)
    expect(await listFiles(path.join(root, '.changeset'))).toEqual(['my-api-initial.md'])
    expect(await readFile(path.join(root, '.changeset', 'my-api-initial.md'), 'utf8')).toBe(
      "---\n'@graphflow/my-api': minor\n---\n\nInitial release: `myApiSource` and `myApiSink`.\n",
    )

    const manifest = await readJson(path.join(target, 'package.json'))
    expect(manifest).toMatchObject({
      name: '@graphflow/my-api',
      version: '0.0.0',
      type: 'module',
      sideEffects: false,
      license: 'MIT',
      repository: { directory: 'connectors/my-api' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      // Guards: a workspace:^ peer made every core release a major release of the connector.
      peerDependencies: { '@graphflow/core': '>=0.1.0 <1.0.0' },
      devDependencies: { '@graphflow/core': 'workspace:^', '@graphflow/testkit': 'workspace:^' },
    })
    expect(manifest.scripts).toEqual({
      build: 'tsc -p tsconfig.build.json',
      prepack: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'vitest run',
    })
    expect(manifest.packageManager).toBeUndefined()
    const tsconfig = await readJson(path.join(target, 'tsconfig.build.json'))
    expect(tsconfig.extends).toBe('../../tsconfig.base.json')

    const tree = await readTree(target)
    for (const [file, text] of tree) expect(text, file).not.toMatch(placeholder)
    expect(tree.get('src/my-api-source.ts')).toContain(
      'export function myApiSource<Item>(options: MyApiSourceOptions<Item>): MyApiSourceSpec<Item> {',
    )
    expect(tree.get('src/my-api-error.ts')).toContain("| 'MY_API_FETCH'")
    expect(tree.get('src/my-api-error.ts')).toContain("scope: 'my-api'")
    expect(tree.get('LICENSE')).toContain('graphflow contributors')
  })

  it('takes another package name with --package', async () => {
    const root = await makeWorkspace('renamed')
    const dir = path.join(root, 'connectors')
    const result = await scaffold(['s3', '--dir', dir, '--package', '@acme/graphflow-s3'], temp)
    expect(result.code, output(result)).toBe(0)
    const manifest = await readJson(path.join(dir, 's3', 'package.json'))
    expect(manifest.name).toBe('@acme/graphflow-s3')
    expect(await readFile(path.join(dir, 's3', 'README.md'), 'utf8')).toContain(
      "import { s3Sink, s3Source } from '@acme/graphflow-s3'",
    )
    expect(await readFile(path.join(root, '.changeset', 's3-initial.md'), 'utf8')).toContain(
      "'@acme/graphflow-s3': minor",
    )
  })
})

describe('new-connector: errors', () => {
  it.each([
    ['MyApi', /invalid name "MyApi": expected kebab-case/],
    ['my_api', /invalid name "my_api": expected kebab-case/],
    ['my--api', /invalid name "my--api": expected kebab-case/],
    ['1api', /invalid name "1api": expected kebab-case/],
    ['core', /invalid name "core": reserved/],
  ])('rejects the name %s', async (name, message) => {
    const root = await makeWorkspace(`bad-${name}`)
    const result = await scaffold([name, '--dir', path.join(root, 'connectors')], temp)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(message)
    expect(existsSync(path.join(root, 'connectors'))).toBe(false)
    expect(await listFiles(path.join(root, '.changeset'))).toEqual([])
  })

  it('asks for a name, and rejects unknown options and bad package names', async () => {
    expect((await scaffold([], temp)).stderr).toMatch(/missing <name>/)
    expect((await scaffold(['my-api', '--bogus'], temp)).stderr).toMatch(/Unknown option '--bogus'/)
    const badPackage = await scaffold(['my-api', '--standalone', '--package', 'My Api'], temp)
    expect(badPackage.code).toBe(1)
    expect(badPackage.stderr).toMatch(/invalid --package "My Api": expected an npm package name/)
  })

  it('refuses to overwrite an existing folder, in both modes', async () => {
    const root = await makeWorkspace('existing')
    const dir = path.join(root, 'connectors')
    expect((await scaffold(['my-api', '--dir', dir], temp)).code).toBe(0)
    const readme = path.join(dir, 'my-api', 'README.md')
    await writeFile(readme, 'my own work')
    const again = await scaffold(['my-api', '--dir', dir], temp)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`${path.join(dir, 'my-api')} already exists (a folder)`)
    expect(await readFile(readme, 'utf8')).toBe('my own work')

    const standalone = await scaffold(
      ['my-api', '--standalone', '--dir', dir, '--package', '@acme/graphflow-my-api'],
      temp,
    )
    expect(standalone.code).toBe(1)
    expect(standalone.stderr).toContain('already exists')
  })

  // Guards: leaving out --package named a standalone project @graphflow/<name>, a scope its
  // author cannot publish to.
  it('refuses --standalone without --package, and writes nothing', async () => {
    const parent = path.join(temp, 'no-package')
    await mkdir(parent)
    const result = await scaffold(['my-api', '--standalone', '--dir', parent], temp)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      '--standalone needs --package <npm name>, the name you publish under, e.g. --package @acme/graphflow-my-api',
    )
    expect(await listFiles(parent)).toEqual([])
  })

  it('refuses monorepo mode outside a pnpm workspace', async () => {
    const result = await scaffold(['my-api', '--dir', path.join(temp, 'nowhere')], temp)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/is not inside a pnpm workspace .*use --standalone/)
  })
})

describe('new-connector --standalone', () => {
  it('scaffolds a project that installs, builds, passes its tests and versions', async () => {
    for (const dir of ['packages/core', 'packages/testkit']) {
      const built = path.join(repoRoot, dir, 'dist', 'index.js')
      expect(existsSync(built), `${built} is missing: run pnpm build first`).toBe(true)
    }
    const packs = path.join(temp, 'packs')
    const tarballs: string[] = []
    for (const dir of ['packages/core', 'packages/testkit']) {
      const packed = await run(
        'pnpm',
        ['pack', '--pack-destination', packs, '--json'],
        path.join(repoRoot, dir),
      )
      expect(packed.code, output(packed)).toBe(0)
      tarballs.push(packResult(packed.stdout).filename)
    }
    const [core, testkit] = tarballs as [string, string]

    const parent = path.join(temp, 'outside')
    await mkdir(parent)
    const created = await scaffold(
      [
        'my-api',
        '--standalone',
        '--dir',
        parent,
        '--package',
        '@acme/graphflow-my-api',
        '--core',
        `file:${core}`,
        '--testkit',
        `file:${testkit}`,
      ],
      temp,
    )
    expect(created.code, output(created)).toBe(0)
    const project = path.join(parent, 'my-api')
    expect(await listFiles(project)).toEqual(
      [
        ...packageFiles,
        '.changeset/README.md',
        '.changeset/config.json',
        '.changeset/my-api-initial.md',
        '.github/workflows/release.yml',
        '.gitignore',
        'tsconfig.base.json',
      ].sort(),
    )
    const tree = await readTree(project)
    for (const [file, text] of tree) expect(text, file).not.toMatch(placeholder)
    const manifest = JSON.parse(tree.get('package.json') ?? '')
    expect(manifest.repository).toBeUndefined()
    expect(manifest.name).toBe('@acme/graphflow-my-api')
    expect(manifest.peerDependencies).toEqual({ '@graphflow/core': '>=0.1.0 <1.0.0' })
    expect(manifest.devDependencies).toMatchObject({
      '@changesets/cli': expect.any(String),
      '@graphflow/core': `file:${core}`,
      '@graphflow/testkit': `file:${testkit}`,
    })
    expect(manifest.scripts).toMatchObject({
      changeset: 'changeset',
      'version-packages': 'changeset version',
      release: 'pnpm build && changeset publish',
    })
    expect(JSON.parse(tree.get('tsconfig.json') ?? '').extends).toBe('./tsconfig.base.json')

    // The README's usage example, typechecked as test/readme-example.ts and run as a module.
    const example = codeBlocks(tree.get('README.md') ?? '').find((block) => block.language === 'ts')
    await mkdir(path.join(project, 'test'))
    await writeFile(path.join(project, 'test', 'readme-example.ts'), example?.code ?? '')
    await writeFile(path.join(project, 'readme-example.mjs'), example?.code ?? '')

    const pnpm = (...args: string[]) => run('pnpm', args, project, 150_000)
    let installed = await pnpm('install', '--offline', '--no-frozen-lockfile')
    if (installed.code !== 0)
      installed = await pnpm('install', '--prefer-offline', '--no-frozen-lockfile')
    expect(installed.code, output(installed)).toBe(0)

    const built = await pnpm('build')
    expect(built.code, output(built)).toBe(0)
    expect(existsSync(path.join(project, 'dist', 'index.js'))).toBe(true)
    expect(existsSync(path.join(project, 'dist', 'index.d.ts'))).toBe(true)
    expect(
      (await listFiles(path.join(project, 'dist'))).filter((file) => file.includes('.test.')),
    ).toEqual([])

    const typechecked = await pnpm('typecheck')
    expect(typechecked.code, output(typechecked)).toBe(0)

    const report = path.join(project, 'vitest-report.json')
    const tested = await pnpm('test', '--reporter=json', `--outputFile=${report}`)
    expect(tested.code, output(tested)).toBe(0)
    const results = await readJson(report)
    expect(results.numFailedTests).toBe(0)
    const passed = results.testResults.flatMap(
      (file: { assertionResults: { ancestorTitles: string[]; title: string; status: string }[] }) =>
        file.assertionResults
          .filter((each) => each.status === 'passed')
          .map((each) => [...each.ancestorTitles, each.title].join(' > ')),
    )
    for (const test of [
      'lifecycle',
      'no-output-after-close',
      'close-after-halt',
      'close-after-abort',
      'rerun',
    ]) {
      expect(passed).toContain(`myApiSource: source conformance > ${test}`)
    }
    for (const test of [
      'lifecycle',
      'stores-everything',
      'close-after-halt',
      'close-after-abort',
      'empty-run',
      'bad-item',
    ]) {
      expect(passed).toContain(`myApiSink: sink conformance > ${test}`)
    }
    expect(passed.filter((name: string) => !name.includes('conformance')).length).toBeGreaterThan(4)

    const ran = await run(process.execPath, ['readme-example.mjs'], project)
    expect(ran.code, output(ran)).toBe(0)
    expect(ran.stdout).toBe(
      'send [ { id: 1 }, { id: 2 } ]\nsend [ { id: 3 } ]\n{ in: 3, out: 0, err: 0 }\n',
    )

    const versioned = await pnpm('version-packages')
    expect(versioned.code, output(versioned)).toBe(0)
    expect((await readJson(path.join(project, 'package.json'))).version).toBe('0.1.0')
    expect(await readFile(path.join(project, 'CHANGELOG.md'), 'utf8')).toContain(
      '## 0.1.0\n\n### Minor Changes\n\n- Initial release: `myApiSource` and `myApiSink`.',
    )

    const packed = await pnpm('pack', '--json', '--pack-destination', temp)
    expect(packed.code, output(packed)).toBe(0)
    const packedFiles = packResult(packed.stdout).files.map((file) => file.path)
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE']),
    )
    // src/ ships for the source maps, which name it; tests ship in neither.
    expect(packedFiles).toContain('src/index.ts')
    expect(
      packedFiles.filter(
        (file: string) =>
          !/^(dist\/|src\/|README\.md$|LICENSE$|package\.json$)/.test(file) ||
          /\.test(-d)?\./.test(file),
      ),
    ).toEqual([])
  })
})

describe('docs/writing-a-connector.md', () => {
  it('quotes only real code: every snippet is in a scaffolded file, core, testkit or csv', async () => {
    const created = await scaffold(
      [
        'my-api',
        '--standalone',
        '--dir',
        path.join(temp, 'docs'),
        '--package',
        '@graphflow/my-api',
      ],
      temp,
    )
    expect(created.code, output(created)).toBe(0)
    const sources = [
      ...(await readTree(path.join(temp, 'docs', 'my-api'))).entries(),
      ...(await readTree(path.join(repoRoot, 'packages', 'core', 'src'))).entries(),
      ...(await readTree(path.join(repoRoot, 'packages', 'testkit', 'src'))).entries(),
      // The guide shows a real connector's file next to the template's.
      ...(await readTree(path.join(repoRoot, 'connectors', 'csv', 'src'))).entries(),
    ]
    const guide = await readFile(path.join(repoRoot, 'docs', 'writing-a-connector.md'), 'utf8')
    const checked = codeBlocks(guide).filter(
      (block) => !['sh', 'text', ''].includes(block.language),
    )
    expect(checked.length).toBeGreaterThan(5)
    for (const block of checked) {
      const found = sources.some(([, text]) => containsSnippet(text, block.code))
      expect(found, `the snippet at docs/writing-a-connector.md:${block.line} is in no file`).toBe(
        true,
      )
    }
  })
})
