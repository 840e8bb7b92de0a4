// The lab's actions (docs/api.md) as form specs: fields prefilled from the state and the selection,
// and the request each one sends. Pure, so the forms and the graph's quick actions share them.
import type { Request } from '../../lib/api';
import { parseU64 } from '../../lib/format';
import type { AttachRequest, DeviceRequest, IommuRequest, LabState } from '../../lib/types';
import type { Field, Values } from './action-form';

export interface ActionSpec {
  title: string;
  fields: Field[];
  build: (v: Values) => Request;
}

export interface Selection {
  kind: string;
  id: string;
}

const s = (v: Values, k: string) => String(v[k] ?? '').trim();
const nextName = (prefix: string, taken: string[]) => {
  for (let i = taken.length; ; i++) if (!taken.includes(`${prefix}${i}`)) return `${prefix}${i}`;
};

export function actionSpecs(lab: string, state: LabState, sel: Selection | null): ActionSpec[] {
  const iommus = state.iommus.map((i) => i.name);
  const devices = state.devices.map((d) => d.name);
  const free = state.devices.filter((d) => !d.vm).map((d) => d.name);
  const vms = state.vms.map((v) => v.name);
  const ioas = state.ioas.map((a) => String(a.id));
  const hwpts = state.hwpts.map((h) => String(h.id));
  const selVm =
    sel?.kind === 'vm'
      ? sel.id
      : sel?.kind === 'dev'
        ? state.devices.find((d) => d.name === sel.id)?.vm
        : sel?.kind === 'ioas'
          ? state.ioas.find((a) => String(a.id) === sel.id)?.vm
          : undefined;
  const vmFirst = (list: string[], first?: string | null) =>
    first && list.includes(first) ? [first, ...list.filter((x) => x !== first)] : list;
  const vmList = vmFirst(vms, selVm);
  const attachedOf = (vm: string | undefined) => state.vms.find((v) => v.name === vm)?.devices ?? [];
  const selDev = sel?.kind === 'dev' ? sel.id : undefined;
  const ioasOfVm = state.vms.find((v) => v.name === (selVm ?? vms[0]))?.ioas;
  const ioasList = vmFirst(
    ioas,
    sel?.kind === 'ioas' ? sel.id : ioasOfVm !== undefined ? String(ioasOfVm) : null,
  );
  const selHwpt = sel?.kind === 'hwpt' ? sel.id : undefined;

  return [
    {
      title: 'Add IOMMU',
      fields: [
        { name: 'name', label: 'name', value: nextName('iommu', iommus) },
        {
          name: 'vendor',
          label: 'vendor',
          kind: 'select',
          options: ['intel-vtd', 'amd-vi', 'arm-smmuv3'],
          value: 'intel-vtd',
        },
        { name: 'sc', label: 'snoop control', kind: 'checkbox', value: true },
        { name: 'bits', label: 'IOVA bits', kind: 'select', options: ['48', '39', '57'], value: '48' },
      ],
      build: (v) => (c) =>
        c.addIommu(lab, {
          name: s(v, 'name'),
          vendor: s(v, 'vendor') as IommuRequest['vendor'],
          enforceCacheCoherency: Boolean(v.sc),
          iovaBits: Number(v.bits) as IommuRequest['iovaBits'],
        }),
    },
    {
      title: 'Add device',
      fields: [
        { name: 'name', label: 'name', value: nextName('dev', devices) },
        {
          name: 'iommu',
          label: 'IOMMU',
          kind: 'select',
          options: vmFirst(iommus, sel?.kind === 'iommu' ? sel.id : null),
          value: '',
        },
        { name: 'noSnoop', label: 'no-snoop DMA', kind: 'checkbox', value: true },
        { name: 'kvm', label: 'needs KVM', kind: 'select', options: ['none', 'ap', 'kvmgt'], value: 'none' },
      ],
      build: (v) => (c) =>
        c.addDevice(lab, {
          name: s(v, 'name'),
          iommu: s(v, 'iommu'),
          noSnoop: Boolean(v.noSnoop),
          requiresKvm: s(v, 'kvm') as DeviceRequest['requiresKvm'],
        }),
    },
    {
      title: 'Create VM',
      fields: [
        { name: 'name', label: 'name', value: nextName('VM', vms) },
        { name: 'devices', label: 'boot devices', value: '', placeholder: 'A, B (in attach order)' },
        { name: 'memory', label: 'memory', value: '1G' },
      ],
      build: (v) => (c) =>
        c.createVm(lab, {
          name: s(v, 'name'),
          memory: parseU64(s(v, 'memory')),
          devices: s(v, 'devices')
            .split(/[\s,]+/)
            .filter(Boolean),
        }),
    },
    {
      title: 'Hot-plug',
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: vmList, value: '' },
        { name: 'device', label: 'device', kind: 'select', options: vmFirst(free, selDev), value: '' },
        {
          name: 'hwpt',
          label: 'HWPT',
          kind: 'select',
          options: ['auto', ...hwpts],
          value: selHwpt ?? 'auto',
        },
        {
          name: 'announce',
          label: 'announce KVM',
          kind: 'select',
          options: ['before', 'after', 'never'],
          value: 'before',
        },
      ],
      build: (v) => (c) =>
        c.attachDevice(lab, s(v, 'vm'), {
          device: s(v, 'device'),
          announceKvm: s(v, 'announce') as AttachRequest['announceKvm'],
          ...(s(v, 'hwpt') !== 'auto' ? { hwpt: Number(v.hwpt) } : {}),
        }),
    },
    {
      title: 'Unplug',
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: vmList, value: '' },
        {
          name: 'device',
          label: 'device',
          kind: 'select',
          optionsFor: (v) => vmFirst(attachedOf(s(v, 'vm')), selDev),
          value: '',
        },
      ],
      build: (v) => (c) => c.detachDevice(lab, s(v, 'vm'), s(v, 'device')),
    },
    {
      title: 'Map',
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: ioasList, value: '' },
        { name: 'iova', label: 'IOVA', value: '0x100000000' },
        { name: 'length', label: 'length', value: '2M' },
        { name: 'read', label: 'read', kind: 'checkbox', value: true },
        { name: 'write', label: 'write', kind: 'checkbox', value: true },
      ],
      build: (v) => (c) =>
        c.map(lab, Number(v.ioas), {
          iova: parseU64(s(v, 'iova')),
          length: parseU64(s(v, 'length')),
          read: Boolean(v.read),
          write: Boolean(v.write),
        }),
    },
    {
      title: 'Unmap',
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: ioasList, value: '' },
        { name: 'iova', label: 'IOVA', value: '0x100000000' },
        { name: 'length', label: 'length', value: '2M' },
      ],
      build: (v) => (c) =>
        c.unmap(lab, Number(v.ioas), { iova: parseU64(s(v, 'iova')), length: parseU64(s(v, 'length')) }),
    },
    {
      title: 'Allocate HWPT',
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: ioasList, value: '' },
        { name: 'iommu', label: 'IOMMU', kind: 'select', options: iommus, value: '' },
        { name: 'sc', label: 'enforce SNP', kind: 'checkbox', value: true },
      ],
      build: (v) => (c) =>
        c.allocHwpt(lab, {
          ioas: Number(v.ioas),
          iommu: s(v, 'iommu'),
          enforceCacheCoherency: Boolean(v.sc),
        }),
    },
    {
      title: 'Replace',
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: vmList, value: '' },
        {
          name: 'device',
          label: 'device',
          kind: 'select',
          optionsFor: (v) => vmFirst(attachedOf(s(v, 'vm')), selDev),
          value: '',
        },
        { name: 'hwpt', label: 'onto HWPT', kind: 'select', options: ['new', ...hwpts], value: 'new' },
        { name: 'sc', label: 'enforce SNP', kind: 'checkbox', value: true },
      ],
      build: (v) => (c) =>
        c.replaceDevice(lab, s(v, 'vm'), s(v, 'device'), {
          hwpt: s(v, 'hwpt') === 'new' ? 'new' : Number(v.hwpt),
          ...(s(v, 'hwpt') === 'new' ? { enforceCacheCoherency: Boolean(v.sc) } : {}),
        }),
    },
  ];
}

/** The action a selection most likely wants first. */
export function suggestedAction(state: LabState, sel: Selection | null): string {
  if (!sel) return state.vms.length ? 'Hot-plug' : 'Create VM';
  if (sel.kind === 'vm') return 'Hot-plug';
  if (sel.kind === 'dev') return state.devices.find((d) => d.name === sel.id)?.vm ? 'Unplug' : 'Hot-plug';
  if (sel.kind === 'ioas') return 'Map';
  if (sel.kind === 'hwpt') return 'Replace';
  return 'Add device';
}
