// Labs and their histories survive a restart on the same SQLite file; the seed is made only once.
import { describe, expect, it } from 'vitest';
import { startServer } from '../test/harness.ts';

describe('restart', () => {
  it('keeps every lab, event and state, and does not re-create a deleted seed', async () => {
    const first = await startServer();
    const { client } = first;
    await client.createLab({ name: 'kept', policy: 'type1', template: 'seed-story' });
    const vm = await client.createVm('kept', { name: 'VM9', memory: '0x200000' });
    await client.map('kept', vm.ioas, { iova: '0x80000000', length: '0x1000' });
    await client.map('kept', vm.ioas, { iova: '0x80000000', length: '0x1000' }).catch(() => undefined);
    const stateBefore = await client.state('kept');
    const eventsBefore = await client.events('kept', { limit: 10_000 });
    await client.deleteLab('seed');
    await first.stop();

    const second = await startServer({ dir: first.dir });
    try {
      const labs = (await second.client.listLabs()).map((lab) => lab.name);
      expect(labs).toContain('kept');
      expect(labs).not.toContain('seed');
      expect(await second.client.state('kept')).toEqual(stateBefore);
      expect(await second.client.events('kept', { limit: 10_000 })).toEqual(eventsBefore);
      expect(eventsBefore.at(-1)?.result).toMatchObject({ ok: false, code: 'EEXIST' });
      // The history goes on from where it was.
      const next = await second.client.map('kept', vm.ioas, { iova: '0x90000000', length: '0x1000' });
      expect(next.seq).toBe(stateBefore.seq + 1);
    } finally {
      await second.close();
    }
  });
});
