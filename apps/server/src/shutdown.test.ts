// The real entry point (main.ts) as a process: JSON logs with request ids, and SIGTERM that lets an
// in-flight request finish, closes SQLite cleanly (no WAL left behind) and keeps what was acknowledged,
// with the default four store workers on the file, each of which closes its connection before the exit.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { describe, expect, it, vi } from 'vitest';
import { call, startServer, tempDir } from './test/harness.ts';
import { killLeftovers, startMain } from './test/main-process.ts';

describe('main.ts', () => {
  it('logs JSON lines with request ids, finishes in-flight work on SIGTERM and closes the database', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    try {
      const { child, base, logs } = await startMain(dbPath);
      const created = await call(base, 'POST', '/labs', {
        name: 'late',
        policy: 'iommufd',
        template: 'seed',
      });
      expect(created.status).toBe(201);
      await call(base, 'POST', '/labs/late/iommus', {
        name: 'u9',
        vendor: 'amd-vi',
        enforceCacheCoherency: false,
      });
      const vm = await call(base, 'POST', '/labs/late/vms', {
        name: 'VM',
        memory: '0x100000',
        devices: ['A'],
      });
      // A large batch is in flight when the signal arrives; it must still be answered and be durable.
      const ops = Array.from({ length: 5000 }, (_, i) => ({
        op: 'ioas.map',
        ioas: vm.body.ioas,
        iova: toHex(0x100000000 + i * 0x1000),
        length: '0x1000',
      }));
      const inFlight = call(base, 'POST', '/labs/late/batch', { ops });
      // The signal goes out once the server has logged the batch request as received.
      await vi.waitFor(
        () =>
          expect(logs()).toMatch(
            /"msg":"incoming request".*\/labs\/late\/batch|\/labs\/late\/batch.*"msg":"incoming request"/,
          ),
        {
          timeout: 10_000,
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.body.applied).toBe(5000);
      const code = await exited;
      expect(code).toBe(0);

      const lines = logs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map(
          (line) =>
            JSON.parse(line) as {
              reqId?: string;
              msg?: string;
              shards?: number;
              req?: { headers?: unknown };
            },
        );
      const completed = lines.filter((line) => line.msg === 'request completed');
      expect(completed.length).toBeGreaterThanOrEqual(4);
      expect(completed.every((line) => typeof line.reqId === 'string' && line.reqId.length === 36)).toBe(
        true,
      );
      expect(lines.some((line) => line.msg === 'shutting down')).toBe(true);
      // Four store workers by default, and every one closed its database in time (none terminated).
      expect(lines.find((line) => line.msg === 'lab store open')?.shards).toBe(4);
      expect(lines.filter((line) => /did not close|closing the lab store/.test(line.msg ?? ''))).toEqual([]);
      expect(lines.at(-1)?.msg).toBe('shut down');
      // SQLite removes the WAL when the last connection closes cleanly.
      expect(existsSync(`${dbPath}-wal`)).toBe(false);

      const again = await startServer({ dir, dbPath });
      try {
        const events = await again.client.getLab('late');
        expect(events.events).toBe(answered.body.events.at(-1).seq);
      } finally {
        await again.stop();
      }
    } finally {
      killLeftovers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
