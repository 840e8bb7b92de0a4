// The topology as nested groups for the narrow list view: each IOMMU unit with its page tables and the
// devices on each table, then the unit's devices on no table; VMs after. Pure, so it is unit-tested.
import type { DeviceState, HwptState, IommuState, LabState } from '../../lib/types';

export interface UnitGroup {
  unit: IommuState;
  tables: { table: HwptState; devices: DeviceState[] }[];
  /** Devices of this unit attached to no table. */
  loose: DeviceState[];
}

export function listGroups(state: LabState): UnitGroup[] {
  const byName = new Map(state.devices.map((d) => [d.name, d]));
  return state.iommus.map((unit) => ({
    unit,
    tables: state.hwpts
      .filter((h) => h.iommu === unit.name)
      .map((table) => ({
        table,
        devices: table.devices.map((n) => byName.get(n)).filter((d): d is DeviceState => d !== undefined),
      })),
    loose: state.devices.filter((d) => d.iommu === unit.name && d.hwpt === null),
  }));
}
