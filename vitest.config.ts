import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'spec-tests/**/*.test.ts'],
    // Builds dist/ from the current sources before any test runs (tests run the built CLI and workers).
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // `npm run coverage` (scripts/coverage.mjs) turns coverage on, adds the child processes' and prints the tables.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The inspector's page and worker run in a browser (test/inspect drives them in Chromium), not in Node.
      exclude: ['src/inspect/page/**'],
      reporter: ['json'],
      reportsDirectory: 'coverage/in-process',
      // A failing test does not make the coverage of the others unknown.
      reportOnFailure: true,
    },
  },
});
