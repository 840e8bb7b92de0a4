// The client's request and response types, derived from the request schemas and the data types of this
// package, so a field renamed there fails to compile here.
import type { Static } from 'typebox';
import type { RevertBody, RevertResult as RevertResultBody } from '../schemas/history.ts';
import type { CreateLabBody, ForkBody, ImportBody } from '../schemas/labs.ts';
import type {
  AttachBody,
  DeviceBody,
  HwptAllocBody,
  IommuBody,
  MapBody,
  ReplaceBody,
  UnmapBody,
  VmBody,
} from '../schemas/ops.ts';
import type {
  Comparison,
  DeviceState,
  Explanation,
  HwptState,
  IoasState,
  IommuState,
  LabExport,
  LabState,
  LabSummary,
  LeafPage,
  Op,
  StoredEvent,
  VmExplanation,
  VmState,
} from '../types.ts';
import type { Kernel, Policy } from '../vocab.ts';

export type {
  Comparison,
  DeviceState,
  Explanation,
  HwptState,
  IoasState,
  IommuState,
  Kernel,
  LabExport,
  LabState,
  LabSummary,
  LeafPage,
  Op,
  Policy,
  StoredEvent,
  VmExplanation,
  VmState,
};

export type CreateLabRequest = Static<typeof CreateLabBody>;
export type ForkRequest = Static<typeof ForkBody>;
export type ImportRequest = Static<typeof ImportBody>;
export type IommuRequest = Static<typeof IommuBody>;
export type DeviceRequest = Static<typeof DeviceBody>;
export type VmRequest = Static<typeof VmBody>;
export type AttachRequest = Static<typeof AttachBody>;
export type ReplaceRequest = Static<typeof ReplaceBody>;
export type MapRequest = Static<typeof MapBody>;
export type UnmapRequest = Static<typeof UnmapBody>;
export type HwptAllocRequest = Static<typeof HwptAllocBody>;

/** What an op endpoint answers: the object it created or changed, with its event's seq and effects. */
export type WithEvent<T> = T & Pick<StoredEvent, 'seq' | 'effects'>;

export interface BatchResult {
  atomic: boolean;
  applied: number;
  refused: number;
  events: StoredEvent[];
}

/** The store worker's condition, as /health reports it (503 whenever `state` is not `ok`). */
export interface StoreHealth {
  state: 'ok' | 'restarting' | 'failed' | 'fault';
  restarts: number;
  /** Why the database cannot be used (full disk, read-only or damaged file), while it cannot. */
  fault?: { code: string; message: string; since: string };
}

export interface Health {
  status: 'ok';
  version: string;
  core: { abi: number };
  store: StoreHealth;
}

export type * from './host.ts';

export type RevertRequest = Static<typeof RevertBody>;
export type RevertResult = Static<typeof RevertResultBody>;

export type StreamMessage =
  | { type: 'hello'; seq: number; state: LabState }
  | { type: 'events'; events: StoredEvent[] }
  | { type: 'resync'; seq: number; state: LabState }
  | { type: 'error'; error: { code: string; errno?: number; message: string } };
