import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Browser tests share one Vite server and one Chromium; keep files from fighting over 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
