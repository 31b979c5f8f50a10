import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One MongoDB-wire server (MONGODB_URI, else FerretDB) for every MongoDB suite of the run.
    globalSetup: ['test/setup/mongoServer.globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites start servers on loopback ports; forks keep native modules isolated.
    pool: 'forks',
    reporters: ['default'],
  },
});
