// Storage faults: a full disk or a read-only file answers writes with 503 EIO (never 500), /health says
// so, and writes resume by themselves once the storage works again. A damaged file, a bad LAB_DB path or a
// database another server holds stops the process at once with one line naming the path and the reason.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer, tempDir } from '../test/harness.ts';
import { killLeftovers, runMainToExit, startMain } from '../test/main-process.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => killLeftovers());

async function labWithVm(s: TestServer): Promise<number> {
  expect(
    (await call(s.base, 'POST', '/labs', { name: 'disk', policy: 'iommufd', template: 'seed' })).status,
  ).toBe(201);
  return (await call(s.base, 'POST', '/labs/disk/vms', { name: 'VM', memory: '0x100000' })).body.ioas;
}

/** 400 maps of 4 KiB in one batch: enough new rows to need new database pages. */
function bigBatch(ioas: number, from: number) {
  return {
    ops: Array.from({ length: 400 }, (_, i) => ({
      op: 'ioas.map',
      ioas,
      iova: toHex(0x100000000 + (from + i) * 0x1000),
      length: '0x1000',
    })),
  };
}

describe('storage faults while running', () => {
  it('a full disk answers 503 EIO, /health reports it, and writes resume once there is room', async () => {
    server = await startServer({ faultInjection: true });
    const s = server;
    const ioas = await labWithVm(s);
    const before = await call(s.base, 'GET', '/labs/disk/state');
    const [pages] = (await s.app.labs.call(undefined, 'pragma', 'page_count')) as number[];
    // No room for one more page: what a full disk does to SQLite.
    await s.app.labs.call(undefined, 'pragma', `max_page_count = ${pages}`);

    const refused = await call(s.base, 'POST', '/labs/disk/batch', bigBatch(ioas, 0));
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'EIO', errno: 5 });
    expect(refused.body.error.message).toMatch(/full/);
    const health = await call(s.base, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.error.code).toBe('EIO');
    expect(health.body.store).toMatchObject({ state: 'fault', fault: { code: 'SQLITE_FULL' } });
    // Nothing changed: the core was put back where the log is.
    expect((await call(s.base, 'GET', '/labs/disk/state')).body).toEqual(before.body);

    await s.app.labs.call(undefined, 'pragma', 'max_page_count = 1073741823');
    const resumed = await call(s.base, 'POST', '/labs/disk/batch', bigBatch(ioas, 0));
    expect(resumed.status).toBe(200);
    expect(resumed.body.applied).toBe(400);
    expect((await call(s.base, 'GET', '/health')).body.store.state).toBe('ok');
  });

  it('a read-only database answers 503 EIO, then resumes when writable again', async () => {
    server = await startServer({ faultInjection: true });
    const s = server;
    const ioas = await labWithVm(s);
    await s.app.labs.call(undefined, 'pragma', 'query_only = 1');
    const refused = await call(s.base, 'POST', `/labs/disk/ioas/${ioas}/map`, {
      iova: '0x100000000',
      length: 4096,
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('EIO');
    const created = await call(s.base, 'POST', '/labs', { name: 'other', policy: 'shared' });
    expect(created.status).toBe(503);
    expect((await call(s.base, 'GET', '/health')).body.store).toMatchObject({
      state: 'fault',
      fault: { code: 'SQLITE_READONLY' },
    });
    // Reads still work.
    expect((await call(s.base, 'GET', '/labs/disk/state')).status).toBe(200);

    await s.app.labs.call(undefined, 'pragma', 'query_only = 0');
    expect(
      (await call(s.base, 'POST', `/labs/disk/ioas/${ioas}/map`, { iova: '0x100000000', length: 4096 }))
        .status,
    ).toBe(200);
    expect((await call(s.base, 'GET', '/health')).status).toBe(200);
  });
});

function expectOneLineNaming(result: { code: number | null; output: string }, path: string): void {
  expect(result.code).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(path);
  expect(lines[0]).toMatch(/^ioasid-lab: /);
}

describe('refusing to start', () => {
  it('refuses a damaged database (random pages written into it) with one line', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    const made = await startServer({ dir, dbPath });
    // Enough events that the file has many pages to damage.
    const ioas = await labWithVm(made);
    await call(made.base, 'POST', '/labs/disk/batch', bigBatch(ioas, 0));
    await made.stop();
    const size = readFileSync(dbPath).length;
    const pages = Math.floor(size / 4096);
    expect(pages).toBeGreaterThan(8);
    // 64 pages of noise at deterministic places past the header page.
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const fd = openSync(dbPath, 'r+');
    for (let i = 0; i < 64; i += 1) {
      const page = 1 + (next() % (pages - 1));
      writeSync(fd, Buffer.from(Array.from({ length: 4096 }, () => next() & 0xff)), 0, 4096, page * 4096);
    }
    closeSync(fd);
    const result = await runMainToExit(dbPath);
    expectOneLineNaming(result, dbPath);
    expect(result.output).toMatch(/damaged|malformed|not a database/);
  });

  it('bad LAB_DB paths exit non-zero with one line naming the path, in seconds', async () => {
    const dir = tempDir();
    // A real database cut short: its first 3 pages only.
    const whole = join(dir, 'whole.db');
    const made = await startServer({ dir, dbPath: whole });
    await made.stop();
    const truncated = join(dir, 'truncated.db');
    writeFileSync(truncated, readFileSync(whole).subarray(0, 3 * 4096));
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) & 0xff)));
    const folder = join(dir, 'folder.db');
    mkdirSync(folder);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const cases = [garbage, truncated, folder, join(file, 'x.db'), '/proc/nope/x.db'];
    const results = await Promise.all(cases.map((path) => runMainToExit(path)));
    results.forEach((result, i) => {
      expectOneLineNaming(result, cases[i] as string);
    });
  });

  it('a second server on the same database refuses to start and names the holder', async () => {
    const dbPath = join(tempDir(), 'lab.db');
    const first = await startMain(dbPath);
    const second = await runMainToExit(dbPath);
    expectOneLineNaming(second, dbPath);
    expect(second.output).toContain(`in use by process ${first.child.pid}`);
    // The lock goes with the process, even killed -9: the next server starts.
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const third = await startMain(dbPath);
    expect((await call(third.base, 'GET', '/health')).status).toBe(200);
    third.child.kill('SIGKILL');
  });
});
