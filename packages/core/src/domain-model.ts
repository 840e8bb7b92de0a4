// An independent statement, in TypeScript, of the rules the core follows for domains and KVM: which table
// a device lands on (per policy), what attach, detach, replace and hwpt.alloc refuse, and how KVM judges
// coherency under each kernel profile (docs/kernels.md). Property tests run it beside the core: from the
// same state, the model predicts the op's errno and the resulting domain layout and KVM view.
import { predictMap, predictUnmap } from './model.ts';
import type { AnyOp, CoreState, ErrnoCode, Kernel, Policy } from './types.ts';

interface Unit {
  name: string;
  vendor: string;
  enforce: boolean;
  pageSizes: string;
  iovaBits: number;
  reserved: [bigint, bigint][];
}
interface Device {
  name: string;
  unit: Unit;
  group: number;
  noSnoop: boolean;
  requiresKvm: string;
  vm: string | null;
  hwpt: Table | null;
}
/** A table: `id` is the core's id for tables that existed before the op, a negative number for new ones. */
interface Table {
  id: number;
  ioas: number;
  unit: Unit;
  enforce: boolean;
  auto: boolean;
  devices: Device[];
}
interface Vm {
  name: string;
  ioas: number;
  devices: Device[];
  files: Device[];
  noncoherent: 0 | 1;
  hazard: boolean;
}
interface Area {
  iova: bigint;
  last: bigint;
}

/** A refusal: the op's errno, as the kernel (or the lab, for its own ops) reports it. */
class Refusal extends Error {
  constructor(readonly code: ErrnoCode) {
    super(code);
  }
}
const refuse = (code: ErrnoCode): never => {
  throw new Refusal(code);
};

/** One domain-level view of a lab, comparable between the model and the core. */
export interface DomainView {
  devices: { name: string; vm: string | null; hwpt: number | null }[];
  hwpts: { id: number; ioas: number; iommu: string; enforce: boolean; auto: boolean; devices: string[] }[];
  vms: { name: string; devices: string[]; files: string[]; noncoherentDma: number; hazard: boolean }[];
}

export type DomainPrediction = { code: 'ok'; view: DomainView } | { code: ErrnoCode };

const GIB = 1n << 30n;
const MSI_WINDOW = 0xfee00000n;
const HIGH_RAM = 4n << 30n;

/** The model's lab: built from a core state (plain data), then changed by one op. */
class ModelLab {
  units = new Map<string, Unit>();
  devices: Device[] = [];
  tables: Table[] = [];
  vms: Vm[] = [];
  areas = new Map<number, Area[]>();
  #nextNew = -1;

  constructor(
    readonly policy: Policy,
    readonly kernel: Kernel,
    state: CoreState,
  ) {
    for (const u of state.iommus) {
      this.units.set(u.name, {
        name: u.name,
        vendor: u.vendor,
        enforce: u.enforceCacheCoherency,
        pageSizes: u.pageSizes.join(),
        iovaBits: u.iovaBits,
        reserved: u.reserved.map((r) => [BigInt(r.start), BigInt(r.start) + BigInt(r.length) - 1n]),
      });
    }
    for (const d of state.devices) {
      this.devices.push({
        name: d.name,
        unit: this.units.get(d.iommu) as Unit,
        group: d.group,
        noSnoop: d.noSnoop,
        requiresKvm: d.requiresKvm,
        vm: d.vm,
        hwpt: null,
      });
    }
    const device = (name: string) => this.devices.find((d) => d.name === name) as Device;
    for (const h of state.hwpts) {
      const table: Table = {
        id: h.id,
        ioas: h.ioas,
        unit: this.units.get(h.iommu) as Unit,
        enforce: h.enforceCacheCoherency,
        auto: h.auto,
        devices: h.devices.map(device),
      };
      for (const d of table.devices) d.hwpt = table;
      this.tables.push(table);
    }
    for (const v of state.vms) {
      this.vms.push({
        name: v.name,
        ioas: v.ioas,
        devices: v.devices.map(device),
        files: (v.kvmFiles ?? []).map(device),
        noncoherent: v.noncoherentDma > 0 ? 1 : 0,
        hazard: v.coherencyHazard,
      });
    }
    for (const i of state.ioas) {
      this.areas.set(
        i.id,
        i.areas.map((a) => ({ iova: BigInt(a.iova), last: BigInt(a.iova) + BigInt(a.length) - 1n })),
      );
    }
  }

  get conflictErrno(): ErrnoCode {
    // vfio_iommu_resv_conflict() is -EINVAL in type1; iommufd says -EADDRINUSE.
    return this.policy === 'type1' ? 'EINVAL' : 'EADDRINUSE';
  }

  view(): DomainView {
    return {
      devices: this.devices.map((d) => ({ name: d.name, vm: d.vm, hwpt: d.hwpt?.id ?? null })),
      hwpts: this.tables.map((t) => ({
        id: t.id,
        ioas: t.ioas,
        iommu: t.unit.name,
        enforce: t.enforce,
        auto: t.auto,
        devices: t.devices.map((d) => d.name),
      })),
      vms: this.vms.map((v) => ({
        name: v.name,
        devices: v.devices.map((d) => d.name),
        files: v.files.map((d) => d.name),
        noncoherentDma: v.noncoherent,
        hazard: v.hazard,
      })),
    };
  }

  // --- tables -------------------------------------------------------------------------------------

  /** The device's unit reserves regions that must hold no area (iommufd_device_attach_reserved_iova). */
  checkDeviceRegions(ioas: number, dev: Device, errno: ErrnoCode = this.conflictErrno): void {
    const areas = this.areas.get(ioas) ?? [];
    for (const [start, last] of dev.unit.reserved) {
      if (areas.some((a) => a.iova <= last && start <= a.last)) refuse(errno);
    }
  }

  /** A new domain must hold every area: 4 KiB pages and its aperture (iopt_table_add_domain). */
  createTable(ioas: number, unit: Unit, enforce: boolean, auto: boolean): Table {
    const top = (1n << BigInt(unit.iovaBits)) - 1n;
    const errno = auto ? this.conflictErrno : 'EADDRINUSE';
    for (const a of this.areas.get(ioas) ?? []) {
      if (a.iova % 4096n !== 0n || (a.last + 1n) % 4096n !== 0n || a.last > top) refuse(errno);
    }
    const table: Table = { id: this.#nextNew--, ioas, unit, enforce, auto, devices: [] };
    this.tables.push(table);
    return table;
  }

  destroyTable(table: Table): void {
    this.tables.splice(this.tables.indexOf(table), 1);
  }

  /** The driver's paging_domain_compatible: every refusal is -EINVAL. */
  compatible(table: Table, dev: Device): void {
    const u = dev.unit;
    if (u.vendor !== table.unit.vendor || u.pageSizes !== table.unit.pageSizes) refuse('EINVAL');
    if (u.iovaBits < table.unit.iovaBits) refuse('EINVAL');
    if (table.enforce && !u.enforce) refuse('EINVAL');
  }

  /** Kernels before 2ccabf81ddff: iommufd asks the driver to make the domain enforce (enforce_cc). */
  upgradeFor(table: Table, dev: Device): void {
    if (this.kernel !== '6.6' || this.policy !== 'iommufd' || !dev.unit.enforce || table.enforce) return;
    const everyUnit = table.unit.enforce && table.devices.every((d) => d.unit.enforce);
    const driverAgrees =
      table.unit.vendor === 'intel-vtd'
        ? everyUnit && (this.areas.get(table.ioas) ?? []).length === 0
        : table.unit.vendor === 'amd-vi' && everyUnit;
    if (!driverAgrees) refuse('EINVAL');
    table.enforce = true;
  }

  mateOnTable(dev: Device): Device | undefined {
    return this.devices.find((d) => d !== dev && d.group === dev.group && d.hwpt !== null);
  }

  attachTo(table: Table, dev: Device): void {
    const mate = this.mateOnTable(dev);
    if (mate && mate.hwpt !== table) refuse('EINVAL');
    this.upgradeFor(table, dev);
    this.checkDeviceRegions(table.ioas, dev);
    this.compatible(table, dev);
    table.devices.push(dev);
    dev.hwpt = table;
  }

  /** attachTo for the auto path, which moves on after -EINVAL (an upgrade that succeeded stays). */
  tryAttach(table: Table, dev: Device): ErrnoCode | null {
    try {
      this.attachTo(table, dev);
      return null;
    } catch (error) {
      if (error instanceof Refusal) return error.code;
      throw error;
    }
  }

  autoAttach(vm: Vm, dev: Device): void {
    const own = this.tables.filter((t) => t.ioas === vm.ioas && t.auto);
    switch (this.policy) {
      case 'iommufd': {
        // iommufd_device_auto_get_domain: every auto domain in order, -EINVAL means "try the next".
        for (const table of own) {
          const code = this.tryAttach(table, dev);
          if (code === null) return;
          if (code !== 'EINVAL') refuse(code);
        }
        this.checkDeviceRegions(vm.ioas, dev);
        this.attachTo(this.createTable(vm.ioas, dev.unit, dev.unit.enforce, true), dev);
        return;
      }
      case 'type1': {
        // vfio_iommu_type1_attach_group: merge into a domain of the same ops and enforce flag, else new.
        this.checkDeviceRegions(vm.ioas, dev);
        for (const table of own) {
          if (table.unit.vendor !== dev.unit.vendor || table.enforce !== dev.unit.enforce) continue;
          if (this.tryAttach(table, dev) === null) return;
        }
        this.attachTo(this.createTable(vm.ioas, dev.unit, dev.unit.enforce, true), dev);
        return;
      }
      case 'shared': {
        // The 2021 proposal: one table per family; a unit without snoop control downgrades it.
        const table = own.find(
          (t) =>
            t.unit.vendor === dev.unit.vendor &&
            t.unit.pageSizes === dev.unit.pageSizes &&
            t.unit.iovaBits === dev.unit.iovaBits,
        );
        this.checkDeviceRegions(vm.ioas, dev);
        const target = table ?? this.createTable(vm.ioas, dev.unit, dev.unit.enforce, true);
        if (target.enforce && !dev.unit.enforce) target.enforce = false;
        this.attachTo(target, dev);
        return;
      }
      case 'explicit':
        refuse('EINVAL');
    }
  }

  // --- KVM ----------------------------------------------------------------------------------------

  /** vfio_file_enforced_coherent() for dev's file, per policy and kernel. */
  fileCoherent(vm: Vm, dev: Device): boolean {
    if (this.policy === 'iommufd') return dev.unit.enforce;
    if (this.policy === 'type1') {
      if (this.kernel === '6.1') {
        return this.tables.every((t) => t.ioas !== vm.ioas || t.devices.length === 0 || t.enforce);
      }
      return this.devices.every((d) => d.group !== dev.group || d.unit.enforce);
    }
    // shared and explicit: the IOASID layer tells KVM whether every table of the VM's devices enforces.
    return this.devices.every((d) => d.vm !== vm.name || !d.hwpt || d.hwpt.enforce);
  }

  /** kvm_vfio_update_coherency: one flag per kvm-vfio device. */
  rejudge(vm: Vm): void {
    vm.noncoherent = vm.files.some((f) => !this.fileCoherent(vm, f)) ? 1 : 0;
  }

  tablesChanged(vm: Vm): void {
    if (this.policy === 'shared' || this.policy === 'explicit') this.rejudge(vm);
  }

  fileHolder(vm: Vm, dev: Device): Device | undefined {
    if (this.policy !== 'type1') return vm.files.includes(dev) ? dev : undefined;
    return vm.files.find((f) => f.group === dev.group);
  }

  announce(vm: Vm, dev: Device): void {
    if (this.fileHolder(vm, dev)) return;
    vm.files.push(dev);
    this.rejudge(vm);
  }

  unannounce(vm: Vm, dev: Device): void {
    const at = vm.files.indexOf(dev);
    if (at < 0) return;
    const mate = this.policy === 'type1' && vm.devices.find((d) => d !== dev && d.group === dev.group);
    if (mate) {
      vm.files[at] = mate;
      return;
    }
    vm.files.splice(at, 1);
    this.rejudge(vm);
  }

  open(vm: Vm, dev: Device): void {
    if (dev.requiresKvm === 'none' || this.fileHolder(vm, dev)) return;
    refuse(dev.requiresKvm === 'ap' ? 'EINVAL' : 'ESRCH');
  }

  updateHazards(): void {
    for (const vm of this.vms) {
      vm.hazard = vm.noncoherent === 0 && vm.devices.some((d) => d.noSnoop && d.hwpt && !d.hwpt.enforce);
    }
  }

  // --- ops ----------------------------------------------------------------------------------------

  vm(name: string): Vm {
    return this.vms.find((v) => v.name === name) ?? refuse('ENOENT');
  }

  device(name: string): Device {
    return this.devices.find((d) => d.name === name) ?? refuse('ENOENT');
  }

  table(id: number): Table {
    return this.tables.find((t) => t.id === id) ?? refuse('ENOENT');
  }

  precheckAttach(vm: Vm, dev: Device, hwpt: number | undefined): Table | null {
    if (dev.vm === vm.name) refuse('EINVAL');
    // iommufd binds cdevs: a second bind is EINVAL (vfio_df_open), a group owned by another iommufd EPERM
    // (iommu_device_claim_dma_owner); a VFIO group file is EBUSY for both.
    const cdev = this.policy === 'iommufd';
    if (dev.vm) refuse(cdev ? 'EINVAL' : 'EBUSY');
    if (this.devices.some((o) => o !== dev && o.group === dev.group && o.vm && o.vm !== vm.name)) {
      refuse(cdev ? 'EPERM' : 'EBUSY');
    }
    if (hwpt === undefined && this.policy === 'explicit') refuse('EINVAL');
    if (hwpt === undefined) return null;
    const table = this.table(hwpt);
    if (table.ioas !== vm.ioas) refuse('EINVAL');
    return table;
  }

  attachDomain(vm: Vm, dev: Device, target: Table | null): void {
    const mate = this.mateOnTable(dev);
    // type1 attaches whole groups; shared keeps one table per family; iommufd's auto path decides.
    const groupTable = this.policy === 'type1' || this.policy === 'shared' ? mate?.hwpt : null;
    const table = target ?? groupTable;
    if (table) this.attachTo(table, dev);
    else this.autoAttach(vm, dev);
  }

  /** Hot-plug in QEMU's order for the policy's backend. */
  plug(vm: Vm, dev: Device, target: Table | null, announce: string): void {
    if (this.policy === 'type1') {
      dev.vm = vm.name;
      this.attachDomain(vm, dev, target);
      if (announce === 'before') this.announce(vm, dev);
      this.open(vm, dev);
    } else {
      if (announce === 'before') this.announce(vm, dev);
      this.open(vm, dev);
      dev.vm = vm.name;
      this.attachDomain(vm, dev, target);
    }
    if (announce === 'after') this.announce(vm, dev);
    vm.devices.push(dev);
    this.tablesChanged(vm);
  }

  unplug(vm: Vm, dev: Device): void {
    if (this.policy === 'type1') this.unannounce(vm, dev);
    const table = dev.hwpt as Table;
    table.devices.splice(table.devices.indexOf(dev), 1);
    dev.hwpt = null;
    if (table.auto && table.devices.length === 0) this.destroyTable(table);
    this.tablesChanged(vm);
    dev.vm = null;
    vm.devices.splice(vm.devices.indexOf(dev), 1);
    if (this.policy !== 'type1') this.unannounce(vm, dev);
  }

  replace(vm: Vm, dev: Device, hwpt: number | 'new', enforce: boolean | undefined): void {
    if (this.policy === 'type1') refuse('EOPNOTSUPP');
    const v = this.vm(vm.name);
    if (dev.vm !== v.name) refuse('ENOENT');
    let target: Table;
    if (hwpt !== 'new') {
      if (enforce !== undefined) refuse('EINVAL');
      target = this.table(hwpt);
      if (target.ioas !== v.ioas) refuse('EINVAL');
      if (target === dev.hwpt) return;
    } else {
      const wanted = enforce ?? dev.unit.enforce;
      if (wanted && !dev.unit.enforce) refuse('EINVAL');
      // IOMMU_HWPT_ALLOC then replace: a user-allocated table.
      target = this.createTable(v.ioas, dev.unit, wanted, false);
    }
    const old = dev.hwpt as Table;
    const moving = old.devices.filter((d) => d.group === dev.group);
    for (const d of moving) {
      this.upgradeFor(target, d);
      this.compatible(target, d);
      this.checkDeviceRegions(target.ioas, d);
    }
    for (const d of moving) {
      old.devices.splice(old.devices.indexOf(d), 1);
      target.devices.push(d);
      d.hwpt = target;
    }
    if (old.auto && old.devices.length === 0) this.destroyTable(old);
    this.tablesChanged(v);
  }

  createVm(name: string, memory: bigint, devices: string[]): number {
    if (this.vms.some((v) => v.name === name)) refuse('EEXIST');
    if (memory === 0n || memory % 4096n !== 0n) refuse('EINVAL');
    for (const d of devices) this.device(d);
    const ioas = Math.min(...this.tables.map((t) => t.id), ...[...this.areas.keys()], 0) - 1000;
    const ram: Area[] =
      memory <= MSI_WINDOW
        ? [{ iova: 0n, last: memory - 1n }]
        : [
            { iova: 0n, last: MSI_WINDOW - 1n },
            { iova: HIGH_RAM, last: HIGH_RAM + memory - MSI_WINDOW - 1n },
          ];
    this.areas.set(ioas, ram);
    const vm: Vm = { name, ioas, devices: [], files: [], noncoherent: 0, hazard: false };
    this.vms.push(vm);
    for (const d of devices) {
      const dev = this.device(d);
      this.plug(vm, dev, this.precheckAttach(vm, dev, undefined), 'before');
    }
    return ioas;
  }

  destroyVm(name: string): void {
    const vm = this.vm(name);
    if (vm.devices.length > 0) refuse('EBUSY');
    if (this.tables.some((t) => t.ioas === vm.ioas)) refuse('EBUSY');
    this.vms.splice(this.vms.indexOf(vm), 1);
  }

  allocTable(ioas: number, iommu: string, enforce: boolean | undefined): void {
    // iommufd_hwpt_alloc: a pt_id that names no object is EINVAL.
    if (!this.areas.has(ioas)) refuse('EINVAL');
    const unit = this.units.get(iommu) ?? refuse('ENOENT');
    const wanted = enforce ?? unit.enforce;
    if (wanted && !unit.enforce) refuse('EINVAL');
    this.createTable(ioas, unit, wanted, false);
  }

  destroyTableOp(id: number): void {
    const table = this.table(id);
    if (table.devices.length > 0) refuse('EBUSY');
    this.destroyTable(table);
  }

  removeDevice(name: string): void {
    const dev = this.device(name);
    if (dev.vm) refuse('EBUSY');
    this.devices.splice(this.devices.indexOf(dev), 1);
  }
}

/** Applies one op to a copy of `state` under the model's rules. */
export function predictDomain(policy: Policy, kernel: Kernel, state: CoreState, op: AnyOp): DomainPrediction {
  const lab = new ModelLab(policy, kernel, state);
  try {
    switch (op.op) {
      case 'vm.attach': {
        const vm = lab.vm(op.vm);
        const dev = lab.device(op.device);
        lab.plug(vm, dev, lab.precheckAttach(vm, dev, op.hwpt), op.announceKvm ?? 'before');
        break;
      }
      case 'vm.detach': {
        const vm = lab.vm(op.vm);
        const dev = lab.device(op.device);
        if (dev.vm !== vm.name) refuse('ENOENT');
        lab.unplug(vm, dev);
        break;
      }
      case 'device.replace': {
        if (policy === 'type1') refuse('EOPNOTSUPP');
        const vm = lab.vm(op.vm);
        lab.replace(vm, lab.device(op.device), op.hwpt, op.enforceCacheCoherency);
        break;
      }
      case 'vm.create':
        lab.createVm(op.name, op.memory === undefined ? GIB : BigInt(op.memory), op.devices ?? []);
        break;
      case 'vm.destroy':
        lab.destroyVm(op.vm);
        break;
      case 'hwpt.alloc':
        lab.allocTable(op.ioas, op.iommu, op.enforceCacheCoherency);
        break;
      case 'hwpt.destroy':
        lab.destroyTableOp(op.hwpt);
        break;
      case 'device.remove':
        lab.removeDevice(op.name);
        break;
      case 'ioas.map': {
        const code = predictMap(
          state,
          op.ioas,
          BigInt(op.iova),
          BigInt(op.length),
          op.read ?? true,
          op.write ?? true,
        );
        if (code !== 'ok') refuse(code);
        break;
      }
      case 'ioas.unmap': {
        const code = predictUnmap(state, op.ioas, BigInt(op.iova), BigInt(op.length));
        if (code !== 'ok') refuse(code);
        break;
      }
      default:
        throw new Error(`the domain model does not cover ${op.op}`);
    }
  } catch (error) {
    if (error instanceof Refusal) return { code: error.code };
    throw error;
  }
  lab.updateHazards();
  return { code: 'ok', view: lab.view() };
}

/**
 * The core's state as a DomainView, with its new tables renamed as the model names them (-1, -2, ... in
 * creation order) and a new VM's IOAS as the model's placeholder, so the two compare with toEqual.
 */
export function domainViewOf(before: CoreState, after: CoreState): DomainView {
  const old = new Set(before.hwpts.map((h) => h.id));
  const fresh = after.hwpts.filter((h) => !old.has(h.id)).map((h) => h.id);
  const rename = (id: number | null) => (id === null || old.has(id) ? id : -1 - fresh.indexOf(id));
  return {
    devices: after.devices.map((d) => ({ name: d.name, vm: d.vm, hwpt: rename(d.hwpt) })),
    hwpts: after.hwpts.map((h) => ({
      id: rename(h.id) as number,
      ioas: h.ioas,
      iommu: h.iommu,
      enforce: h.enforceCacheCoherency,
      auto: h.auto,
      devices: h.devices,
    })),
    vms: after.vms.map((v) => ({
      name: v.name,
      devices: v.devices,
      files: v.kvmFiles ?? [],
      noncoherentDma: v.noncoherentDma,
      hazard: v.coherencyHazard,
    })),
  };
}

/** The model's placeholder IOAS ids of new VMs, replaced by the core's, so views compare. */
export function alignNewIoas(predicted: DomainView, before: CoreState, after: CoreState): DomainView {
  const known = new Set(before.ioas.map((i) => i.id));
  const fresh = after.ioas.filter((i) => !known.has(i.id)).map((i) => i.id);
  const placeholders = [...new Set(predicted.hwpts.map((h) => h.ioas).filter((id) => !known.has(id)))];
  const rename = (id: number) => (known.has(id) ? id : (fresh[placeholders.indexOf(id)] ?? id));
  return { ...predicted, hwpts: predicted.hwpts.map((h) => ({ ...h, ioas: rename(h.ioas) })) };
}
