// Shapes of the lab API (shared/API.md) as the UI reads them: the core's and the store's own types,
// imported type-only so the browser bundle never pulls the native core or SQLite.
import type { Policy } from '@ioasid-lab/core';

export type {
  AreaState,
  DeviceState,
  Effect,
  Hex,
  HwptState,
  HwptStats,
  IoasState,
  IommuState,
  Leaf,
  LeafPage,
  Policy,
  Vendor,
  VmState,
} from '@ioasid-lab/core';
export type {
  Comparison,
  EventResult,
  Explanation,
  LabState,
  LabSummary,
  PolicyComparison,
  Remedy,
  StoredEvent as LabEvent,
  Template,
  VmComparison,
  VmOutcome as Outcome,
  VmVerdict,
} from '@ioasid-lab/db';
export type {
  AttachRequest,
  CreateLabRequest,
  DeviceRequest,
  ImportRequest,
  IommuRequest,
  Op,
  ReplaceRequest,
  VmRequest,
} from '@ioasid-lab/api';

/** The policies in the order the UI offers them (a runtime value, so not imported from the core). */
export const POLICIES: readonly Policy[] = ['type1', 'iommufd', 'shared', 'explicit'];
