import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The slow tier, `pnpm test:slow`: fresh clones that install, build and test, as a newcomer
 * does. Not part of `pnpm test`; CI runs it once.
 */
export default defineConfig({
  test: {
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.slow.test.ts'],
    testTimeout: 1_200_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
