// The lab's actions (docs/api.md) as form specs: fields prefilled from the state and the selection,
// checks in plain words, why an action cannot run now, and the request each one sends. Pure, so the
// forms and the graph's quick actions share them and unit tests read them.
import type { ReactNode } from 'react';
import type { Request } from '../../lib/api';
import { parseU64 } from '../../lib/format';
import {
  type AttachRequest,
  type DeviceRequest,
  type IommuRequest,
  type LabState,
  VENDORS,
} from '../../lib/types';
import { checkLength, checkName, checkNames, checkU64 } from '../../lib/validate';
import type { Field, Values } from './action-form';
import { mapHint } from './map-hint';

export interface ActionSpec {
  title: string;
  fields: Field[];
  build: (v: Values) => Request;
  /** Why it cannot run in this state, or null. */
  disabledReason?: string | null;
  hint?: (v: Values) => ReactNode;
}

export interface Selection {
  kind: string;
  id: string;
}

const s = (v: Values, k: string) => String(v[k] ?? '').trim();

/** The first free name `prefix` + n, from `from` up (VMs count from 1, units from 0 as iommu0, iommu1). */
export function nextName(prefix: string, taken: string[], from = 0): string {
  for (let i = from; ; i++) if (!taken.includes(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** `first` moved to the front of `list`, when it is in it. */
const firstOf = (list: string[], first?: string | null) =>
  first && list.includes(first) ? [first, ...list.filter((x) => x !== first)] : list;

/** What the specs need from the state and the selection, computed once. */
interface Ctx {
  lab: string;
  state: LabState;
  iommus: string[];
  devices: string[];
  free: string[];
  vms: string[];
  vmList: string[];
  ioasList: string[];
  hwpts: string[];
  selDev?: string;
  selHwpt?: string;
  attachedOf: (vm: string) => string[];
}

function context(lab: string, state: LabState, sel: Selection | null): Ctx {
  const vms = state.vms.map((v) => v.name);
  const selVm =
    sel?.kind === 'vm'
      ? sel.id
      : sel?.kind === 'dev'
        ? state.devices.find((d) => d.name === sel.id)?.vm
        : sel?.kind === 'ioas'
          ? state.ioas.find((a) => String(a.id) === sel.id)?.vm
          : undefined;
  const ioasOfVm = state.vms.find((v) => v.name === (selVm ?? vms[0]))?.ioas;
  return {
    lab,
    state,
    iommus: state.iommus.map((i) => i.name),
    devices: state.devices.map((d) => d.name),
    free: state.devices.filter((d) => !d.vm).map((d) => d.name),
    vms,
    vmList: firstOf(vms, selVm),
    ioasList: firstOf(
      state.ioas.map((a) => String(a.id)),
      sel?.kind === 'ioas' ? sel.id : ioasOfVm !== undefined ? String(ioasOfVm) : null,
    ),
    hwpts: state.hwpts.map((h) => String(h.id)),
    selDev: sel?.kind === 'dev' ? sel.id : undefined,
    selHwpt: sel?.kind === 'hwpt' ? sel.id : undefined,
    attachedOf: (vm) => state.vms.find((v) => v.name === vm)?.devices ?? [],
  };
}

function hardwareSpecs(c: Ctx, sel: Selection | null): ActionSpec[] {
  return [
    {
      title: 'Add IOMMU',
      fields: [
        { name: 'name', label: 'name', value: nextName('iommu', c.iommus), check: checkName },
        {
          name: 'vendor',
          label: 'vendor',
          kind: 'select',
          options: [...VENDORS],
          value: 'intel-vtd',
        },
        { name: 'sc', label: 'snoop control', kind: 'checkbox', value: true },
        { name: 'bits', label: 'IOVA bits', kind: 'select', options: ['48', '39', '57'], value: '48' },
      ],
      build: (v) => (api) =>
        api.addIommu(c.lab, {
          name: s(v, 'name'),
          vendor: s(v, 'vendor') as IommuRequest['vendor'],
          enforceCacheCoherency: Boolean(v.sc),
          iovaBits: Number(v.bits) as IommuRequest['iovaBits'],
        }),
    },
    {
      title: 'Add device',
      disabledReason: c.iommus.length ? null : 'Add an IOMMU unit first: a device sits behind one.',
      fields: [
        { name: 'name', label: 'name', value: nextName('dev', c.devices), check: checkName },
        {
          name: 'iommu',
          label: 'IOMMU',
          kind: 'select',
          options: firstOf(c.iommus, sel?.kind === 'iommu' ? sel.id : null),
          value: '',
        },
        { name: 'noSnoop', label: 'no-snoop DMA', kind: 'checkbox', value: true },
        { name: 'kvm', label: 'needs KVM', kind: 'select', options: ['none', 'ap', 'kvmgt'], value: 'none' },
      ],
      build: (v) => (api) =>
        api.addDevice(c.lab, {
          name: s(v, 'name'),
          iommu: s(v, 'iommu'),
          noSnoop: Boolean(v.noSnoop),
          requiresKvm: s(v, 'kvm') as DeviceRequest['requiresKvm'],
        }),
    },
  ];
}

function vmSpecs(c: Ctx): ActionSpec[] {
  return [
    {
      title: 'Create VM',
      fields: [
        { name: 'name', label: 'name', value: nextName('VM', c.vms, 1), check: checkName },
        {
          name: 'devices',
          label: 'boot devices',
          value: '',
          placeholder: c.free.length ? `${c.free.slice(0, 2).join(', ')} (in attach order)` : 'none free',
          check: (v) => checkNames(v, c.free),
        },
        { name: 'memory', label: 'memory', value: '1G', check: checkLength },
      ],
      build: (v) => (api) =>
        api.createVm(c.lab, {
          name: s(v, 'name'),
          memory: parseU64(s(v, 'memory')),
          devices: s(v, 'devices')
            .split(/[\s,]+/)
            .filter(Boolean),
        }),
    },
    {
      title: 'Hot-plug',
      disabledReason: !c.vms.length
        ? 'Create a VM first.'
        : !c.free.length
          ? 'Every device is in a VM: add a device or unplug one first.'
          : null,
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: c.vmList, value: '' },
        { name: 'device', label: 'device', kind: 'select', options: firstOf(c.free, c.selDev), value: '' },
        {
          name: 'hwpt',
          label: 'HWPT',
          kind: 'select',
          options: ['auto', ...c.hwpts],
          value: c.selHwpt ?? 'auto',
        },
        {
          name: 'announce',
          label: 'announce KVM',
          kind: 'select',
          options: ['before', 'after', 'never'],
          value: 'before',
        },
      ],
      build: (v) => (api) =>
        api.attachDevice(c.lab, s(v, 'vm'), {
          device: s(v, 'device'),
          announceKvm: s(v, 'announce') as AttachRequest['announceKvm'],
          ...(s(v, 'hwpt') !== 'auto' ? { hwpt: Number(v.hwpt) } : {}),
        }),
    },
    {
      title: 'Unplug',
      disabledReason: c.state.vms.some((v) => v.devices.length) ? null : 'No VM has a device to unplug.',
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: c.vmList, value: '' },
        {
          name: 'device',
          label: 'device',
          kind: 'select',
          optionsFor: (v) => firstOf(c.attachedOf(s(v, 'vm')), c.selDev),
          value: '',
          check: (v) => (v ? null : 'this VM has no device attached'),
        },
      ],
      build: (v) => (api) => api.detachDevice(c.lab, s(v, 'vm'), s(v, 'device')),
    },
  ];
}

function ioasSpecs(c: Ctx): ActionSpec[] {
  const noIoas = c.ioasList.length ? null : 'Create a VM first: its IOAS is where areas are mapped.';
  return [
    {
      title: 'Map',
      disabledReason: noIoas,
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: c.ioasList, value: '' },
        { name: 'iova', label: 'IOVA', value: '0x100000000', check: checkU64 },
        { name: 'length', label: 'length', value: '2M', check: checkLength },
        { name: 'read', label: 'read', kind: 'checkbox', value: true },
        { name: 'write', label: 'write', kind: 'checkbox', value: true },
      ],
      hint: (v) => mapHint(c.state, Number(v.ioas), s(v, 'iova'), s(v, 'length')),
      build: (v) => (api) =>
        api.map(c.lab, Number(v.ioas), {
          iova: parseU64(s(v, 'iova')),
          length: parseU64(s(v, 'length')),
          read: Boolean(v.read),
          write: Boolean(v.write),
        }),
    },
    {
      title: 'Unmap',
      disabledReason: noIoas,
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: c.ioasList, value: '' },
        { name: 'iova', label: 'IOVA', value: '0x100000000', check: checkU64 },
        { name: 'length', label: 'length', value: '2M', check: checkLength },
      ],
      build: (v) => (api) =>
        api.unmap(c.lab, Number(v.ioas), { iova: parseU64(s(v, 'iova')), length: parseU64(s(v, 'length')) }),
    },
  ];
}

function tableSpecs(c: Ctx): ActionSpec[] {
  return [
    {
      title: 'Allocate HWPT',
      disabledReason: !c.ioasList.length
        ? 'Create a VM first: a table mirrors its IOAS.'
        : !c.iommus.length
          ? 'Add an IOMMU unit first.'
          : null,
      fields: [
        { name: 'ioas', label: 'IOAS', kind: 'select', options: c.ioasList, value: '' },
        { name: 'iommu', label: 'IOMMU', kind: 'select', options: c.iommus, value: '' },
        { name: 'sc', label: 'enforce SNP', kind: 'checkbox', value: true },
      ],
      build: (v) => (api) =>
        api.allocHwpt(c.lab, {
          ioas: Number(v.ioas),
          iommu: s(v, 'iommu'),
          enforceCacheCoherency: Boolean(v.sc),
        }),
    },
    {
      title: 'Replace',
      disabledReason: c.state.vms.some((v) => v.devices.length) ? null : 'No device is attached to a VM.',
      fields: [
        { name: 'vm', label: 'VM', kind: 'select', options: c.vmList, value: '' },
        {
          name: 'device',
          label: 'device',
          kind: 'select',
          optionsFor: (v) => firstOf(c.attachedOf(s(v, 'vm')), c.selDev),
          value: '',
          check: (v) => (v ? null : 'this VM has no device attached'),
        },
        { name: 'hwpt', label: 'onto HWPT', kind: 'select', options: ['new', ...c.hwpts], value: 'new' },
        { name: 'sc', label: 'enforce SNP', kind: 'checkbox', value: true },
      ],
      build: (v) => (api) =>
        api.replaceDevice(c.lab, s(v, 'vm'), s(v, 'device'), {
          hwpt: s(v, 'hwpt') === 'new' ? 'new' : Number(v.hwpt),
          ...(s(v, 'hwpt') === 'new' ? { enforceCacheCoherency: Boolean(v.sc) } : {}),
        }),
    },
  ];
}

export function actionSpecs(lab: string, state: LabState, sel: Selection | null): ActionSpec[] {
  const c = context(lab, state, sel);
  return [...hardwareSpecs(c, sel), ...vmSpecs(c), ...ioasSpecs(c), ...tableSpecs(c)];
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
