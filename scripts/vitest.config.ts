import { defineConfig } from 'vitest/config'

// Repository-level tests: README snippets and the connector scaffolder.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/.snippets/**'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
