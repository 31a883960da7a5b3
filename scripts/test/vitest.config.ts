import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** The tests of the repository's scripts: `pnpm exec vitest run --config scripts/test/vitest.config.ts`. */
export default defineConfig({
  test: {
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
