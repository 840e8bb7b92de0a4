// Vitest for the server: integration tests beside the code, generous hook timeouts because each
// suite starts a real server (native core, SQLite file, sockets).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
