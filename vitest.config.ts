import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Real servers (postgres, redis, nats) are started per test file on free
    // loopback ports; two cores, so keep file parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
