import { defineConfig } from 'vitest/config'

// Repository-level tests: README snippets, the connector scaffolder, the release versions. The
// slow tier (`*.slow.test.ts`, `pnpm test:slow`) has a config of its own.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/.snippets/**', '**/*.slow.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
