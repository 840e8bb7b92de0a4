// Child process of crash.test.ts: appends batches of maps to a lab forever, printing "ack <seq>" after each
// batch returns (i.e. after it is durable), until the parent kills it with SIGKILL.
import type { Op } from '@ioasid-lab/core';
import { openLabStore } from './store.ts';

const CRASH_BATCH = 40;
const path = process.argv[2];
if (!path) throw new Error('usage: crash-writer <db path>');

const store = openLabStore({ path, snapshotEvery: 100 });
const lab = store.createLab({ name: 'crash', policy: 'type1', template: 'seed' });
lab.apply({ op: 'vm.create', name: 'VM1', devices: ['A'] });
const ioas = lab.state().vms[0]?.ioas ?? 0;
process.stdout.write(`base ${lab.seq}\n`);
let next = 0;
for (;;) {
  const ops: Op[] = [];
  for (let i = 0; i < CRASH_BATCH; i++) {
    // Distinct 4 KiB areas above guest RAM: every op succeeds and adds one area.
    ops.push({ op: 'ioas.map', ioas, iova: 0x100000000 + next * 0x2000, length: 0x1000 });
    next++;
  }
  const events = lab.applyBatch(ops);
  process.stdout.write(`ack ${events[events.length - 1]?.seq}\n`);
}
