import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** The release tier (`bash scripts/registry/run.sh`): one file of ordered, slow steps. */
export default defineConfig({
  test: {
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
