import { openLabStore } from './src/store.ts';
import type { Op } from '@ioasid-lab/core';
const s = openLabStore({ path: '/tmp/churn.db' });
const l = s.hasLab('c') ? s.getLab('c') : s.createLab({ name: 'c', policy: 'shared', template: 'seed-story' });
if (l.seq < 1000) {
  const ops: Op[] = [];
  for (let i = 0; ops.length < 100000; i++) {
    ops.push({ op: 'vm.detach', vm: 'VM2', device: 'A2' }, { op: 'vm.attach', vm: 'VM2', device: 'A2' });
    if (i % 10 === 0) ops.push({ op: 'device.replace', vm: 'VM2', device: 'A2', hwpt: 'new', enforceCacheCoherency: true });
  }
  let t = performance.now();
  for (let i = 0; i < ops.length; i += 1000) l.applyBatch(ops.slice(i, i + 1000));
  console.log('build', performance.now() - t, l.seq, l.events(l.seq - 3, 3).map(e => e.result.ok));
}
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const e = l.explain('VM1', 'VM2');
  console.log('explain', performance.now() - t, e.diverges, e.firstDivergence?.seq, e.chain.length, e.a.why.length, e.b.why.length, JSON.stringify(e).length);
}
