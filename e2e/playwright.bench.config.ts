// The UI's speed benchmarks: the same real server and Chromium as the end-to-end tests, kept out of
// `npm test` because wall-clock limits belong in benchmarks, not in tests that flake on a busy machine.
import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  outputDir: './artifacts/bench-results',
  reporter: [['list']],
});
