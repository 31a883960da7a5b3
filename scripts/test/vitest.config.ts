import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The tests of the repository's scripts: `pnpm exec vitest run --config scripts/test/vitest.config.ts`.
 * The slow tier (`*.slow.test.ts`) has a config of its own: `pnpm test:slow`.
 */
export default defineConfig({
  test: {
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.slow.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
