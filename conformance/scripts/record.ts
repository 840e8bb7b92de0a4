// Records every scenario on the real kernels: boots each (kernel, machine) guest once with the
// scenarios that apply to it, and writes conformance/recorded/linux-<kernel>/<scenario>.jsonl, one line
// per scenario line with the exact `uname -r`, the machine shape and the scenario's hash.
// Usage: npx tsx conformance/scripts/record.ts [6.12|6.1 ...]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  listFiles,
  loadScenario,
  MACHINES,
  RECORDED,
  ROOT,
  SCENARIOS,
  type Scenario,
} from '../src/replay.ts';

const KERNELS = ['6.12', '6.1'];
const SHAPES: Record<string, string> = {
  'vtd-sc':
    'qemu-system-x86_64 -accel tcg -M q35,kernel-irqchip=split -m 1G; intel-iommu intremap=on caching-mode=on snoop-control=on; ' +
    'e1000e 00:03.0, e1000e 00:04.0, pcie-pci-bridge 00:05.0 with e1000 01:01.0 and 01:02.0',
  'vtd-nosc':
    'qemu-system-x86_64 -accel tcg -M q35,kernel-irqchip=split -m 1G; intel-iommu intremap=on caching-mode=on snoop-control=off; ' +
    'e1000e 00:03.0, e1000e 00:04.0, pcie-pci-bridge 00:05.0 with e1000 01:01.0 and 01:02.0',
};
const NO_KVM =
  'the guest has no /dev/kvm: it runs under QEMU TCG, whose vCPU has no VMX (on this host -accel kvm stops after ' +
  '"Booting from ROM" with no kernel output, and -accel kvm -cpu host aborts with "failed to set MSR 0x10a"), ' +
  'so kvm-vfio FILE_ADD/FILE_DEL and KVM non-coherent DMA cannot be observed';

function qemuVersion(): string {
  const out = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /version (\S+)/.exec(out)?.[1] ?? 'unknown';
}

const flat = (name: string) => name.replace(/\//g, '__');

export function record(kernels: string[] = KERNELS): void {
  const scenarios = listFiles(SCENARIOS, '.jsonl').map(loadScenario);
  const qemu = qemuVersion();
  for (const kernel of kernels) {
    const outDir = join(RECORDED, `linux-${kernel}`);
    const fresh = mkdtempSync('/var/tmp/conformance-record-');
    for (const machine of MACHINES) {
      const chosen = scenarios.filter(
        (s) => s.header.kernels.includes(kernel) && s.header.machine === machine,
      );
      if (chosen.length === 0) continue;
      const runnable = chosen.filter((s) => !s.header.needs?.length);
      const stage = mkdtempSync('/var/tmp/conformance-scenarios-');
      for (const s of runnable) copyFileSync(s.file, join(stage, flat(s.name)));
      const serial = join(stage, 'serial.out');
      console.log(`record: linux ${kernel}, ${machine}: ${runnable.length} scenarios`);
      const started = Date.now();
      const boot = spawnSync(join(ROOT, 'scripts', 'boot.sh'), [kernel, machine, stage, serial], {
        stdio: 'inherit',
      });
      if (boot.status !== 0) throw new Error(`record: the ${kernel} ${machine} guest failed`);
      console.log(`record: linux ${kernel}, ${machine}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      const text = readFileSync(serial, 'utf8').replace(/\r/g, '');
      const machineLine = /^@@MACHINE (\S+) kvm=(\w+) iommufd=(\w+)$/m.exec(text);
      if (!machineLine) throw new Error(`record: no @@MACHINE line in ${serial}`);
      const [, uname = '', kvm] = machineLine;
      const common = (s: Scenario) => ({
        kernel: uname,
        machine,
        shape: `${SHAPES[machine]}; QEMU ${qemu}`,
        scenario: s.name,
        sha256: s.sha256,
      });
      const write = (s: Scenario, lines: object[]) => {
        const file = join(fresh, s.name);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      };
      for (const s of runnable) {
        const block = new RegExp(
          `^@@BEGIN ${flat(s.name)}\\n([\\s\\S]*?)^@@END ${flat(s.name)} rc=(\\d+)$`,
          'm',
        ).exec(text);
        if (!block) throw new Error(`record: no output for ${s.name} in ${serial}`);
        if (block[2] !== '0') throw new Error(`record: the probe exited ${block[2]} on ${s.name}`);
        const lines = (block[1] ?? '')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => {
            const parsed = JSON.parse(l) as Record<string, unknown>;
            const { kernel: _k, ...rest } = parsed;
            return { ...common(s), ...rest };
          });
        write(s, lines);
      }
      for (const s of chosen.filter((c) => c.header.needs?.length)) {
        const console = readFileSync(`${serial}.console`, 'utf8');
        const vmx = /kvm_intel: VMX not supported[^\r\n]*/.exec(console)?.[0];
        const reason =
          kvm === 'yes'
            ? 'the probe does not drive kvm-vfio yet'
            : `${NO_KVM}${vmx ? ` (guest log: "${vmx}")` : ''}`;
        write(s, [{ ...common(s), line: 1, header: true, kvm: kvm === 'yes', notRun: reason }]);
      }
      rmSync(stage, { recursive: true, force: true });
    }
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(dirname(outDir), { recursive: true });
    spawnSync('cp', ['-r', fresh, outDir]);
    rmSync(fresh, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  record(args.length ? args : KERNELS);
}
