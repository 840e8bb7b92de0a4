// npm run conformance: builds what is missing (kernels, probe), records every scenario on every kernel
// and machine shape, and rewrites docs/conformance.md. Slow (kernel builds, TCG boots): not part of CI;
// the replay of the recordings is.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../src/replay.ts';
import { record } from './record.ts';
import { formattedReport } from './report.ts';

function run(script: string, ...args: string[]): void {
  const result = spawnSync(join(ROOT, 'scripts', script), args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed`);
}

const kernels = process.argv.slice(2).length ? process.argv.slice(2) : ['6.12', '6.1'];
for (const kernel of kernels) run('build-kernel.sh', kernel);
run('build-probe.sh');
record(kernels);
const file = join(ROOT, '..', 'docs', 'conformance.md');
writeFileSync(file, formattedReport(file));
console.log(`conformance: wrote ${file}`);
