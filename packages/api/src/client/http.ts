// LabClient: one typed method per REST endpoint (docs/api.md), over fetch, so no caller writes URLs.
// Works in the browser (same origin, baseUrl '') and in Node 20 (baseUrl 'http://127.0.0.1:4100').
import { errorFromResponse } from './errors.ts';
import type {
  AttachRequest,
  BatchResult,
  Comparison,
  CreateLabRequest,
  DeviceRequest,
  DeviceState,
  Explanation,
  ForkRequest,
  Health,
  HwptAllocRequest,
  HwptState,
  ImportHostRequest,
  ImportHostResult,
  ImportRequest,
  ImportVmRequest,
  ImportVmResult,
  IoasState,
  IommuRequest,
  IommuState,
  Kernel,
  LabExport,
  LabState,
  LabSummary,
  LeafPage,
  MapRequest,
  Op,
  Policy,
  ReplaceRequest,
  RevertRequest,
  RevertResult,
  StoredEvent,
  UnmapRequest,
  VmExplanation,
  VmRequest,
  VmState,
  WithEvent,
} from './types.ts';

export interface LabClientOptions {
  /** Origin of the server, e.g. "http://127.0.0.1:4100"; '' (default) means this page's origin. */
  baseUrl?: string;
  /** LAB_TOKEN, sent as a bearer token when the server requires one. */
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

const API = '/api/v1';
const seg = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export class LabClient {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: LabClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Absolute or same-origin URL of an API path ("/labs/x" -> ".../api/v1/labs/x"). */
  url(path: string): string {
    return `${this.baseUrl}${API}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await this.#fetch(this.url(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  // Server
  health = () => this.request<Health>('GET', '/health');
  openapi = () => this.request<Record<string, unknown>>('GET', '/openapi.json');

  // Labs
  listLabs = async () => (await this.request<{ labs: LabSummary[] }>('GET', '/labs')).labs;
  createLab = (body: CreateLabRequest) => this.request<LabSummary>('POST', '/labs', body);
  getLab = (lab: string) => this.request<LabSummary>('GET', `/labs/${seg(lab)}`);
  deleteLab = (lab: string) => this.request<void>('DELETE', `/labs/${seg(lab)}`);
  forkLab = (lab: string, body: ForkRequest) =>
    this.request<LabSummary>('POST', `/labs/${seg(lab)}/fork`, body);
  exportLab = (lab: string) => this.request<LabExport>('GET', `/labs/${seg(lab)}/export`);
  importLab = (body: ImportRequest) => this.request<LabSummary>('POST', '/labs/import', body);
  revertLab = (lab: string, body: RevertRequest) =>
    this.request<RevertResult>('POST', `/labs/${seg(lab)}/revert`, body);

  // Host import (docs/host-import.md): with `dryRun: true` each answers the plan and changes nothing.
  importHost = <R extends ImportHostRequest>(body: R) =>
    this.request<ImportHostResult<R>>('POST', '/labs/import-host', body);
  importVm = <R extends ImportVmRequest>(lab: string, body: R) =>
    this.request<ImportVmResult<R>>('POST', `/labs/${seg(lab)}/vms/import`, body);

  // Hardware
  addIommu = (lab: string, body: IommuRequest) =>
    this.request<WithEvent<IommuState>>('POST', `/labs/${seg(lab)}/iommus`, body);
  listIommus = async (lab: string) =>
    (await this.request<{ iommus: IommuState[] }>('GET', `/labs/${seg(lab)}/iommus`)).iommus;
  addDevice = (lab: string, body: DeviceRequest) =>
    this.request<WithEvent<DeviceState>>('POST', `/labs/${seg(lab)}/devices`, body);
  listDevices = async (lab: string) =>
    (await this.request<{ devices: DeviceState[] }>('GET', `/labs/${seg(lab)}/devices`)).devices;
  removeDevice = (lab: string, device: string) =>
    this.request<StoredEvent>('DELETE', `/labs/${seg(lab)}/devices/${seg(device)}`);

  // VMs
  createVm = (lab: string, body: VmRequest) =>
    this.request<WithEvent<VmState>>('POST', `/labs/${seg(lab)}/vms`, body);
  listVms = async (lab: string) =>
    (await this.request<{ vms: VmState[] }>('GET', `/labs/${seg(lab)}/vms`)).vms;
  destroyVm = (lab: string, vm: string) =>
    this.request<StoredEvent>('DELETE', `/labs/${seg(lab)}/vms/${seg(vm)}`);
  attachDevice = (lab: string, vm: string, body: AttachRequest) =>
    this.request<WithEvent<DeviceState>>('POST', `/labs/${seg(lab)}/vms/${seg(vm)}/devices`, body);
  detachDevice = (lab: string, vm: string, device: string) =>
    this.request<WithEvent<DeviceState>>('DELETE', `/labs/${seg(lab)}/vms/${seg(vm)}/devices/${seg(device)}`);
  replaceDevice = (lab: string, vm: string, device: string, body: ReplaceRequest) =>
    this.request<WithEvent<DeviceState>>(
      'POST',
      `/labs/${seg(lab)}/vms/${seg(vm)}/devices/${seg(device)}/replace`,
      body,
    );

  // Address spaces and page tables
  listIoas = async (lab: string) =>
    (await this.request<{ ioas: IoasState[] }>('GET', `/labs/${seg(lab)}/ioas`)).ioas;
  map = (lab: string, ioas: number, body: MapRequest) =>
    this.request<StoredEvent>('POST', `/labs/${seg(lab)}/ioas/${ioas}/map`, body);
  unmap = (lab: string, ioas: number, body: UnmapRequest) =>
    this.request<StoredEvent>('POST', `/labs/${seg(lab)}/ioas/${ioas}/unmap`, body);
  allocHwpt = (lab: string, body: HwptAllocRequest) =>
    this.request<WithEvent<HwptState>>('POST', `/labs/${seg(lab)}/hwpts`, body);
  listHwpts = async (lab: string) =>
    (await this.request<{ hwpts: HwptState[] }>('GET', `/labs/${seg(lab)}/hwpts`)).hwpts;
  getHwpt = (lab: string, id: number) => this.request<HwptState>('GET', `/labs/${seg(lab)}/hwpts/${id}`);
  destroyHwpt = (lab: string, id: number) =>
    this.request<StoredEvent>('DELETE', `/labs/${seg(lab)}/hwpts/${id}`);
  pagetable = (
    lab: string,
    id: number,
    range: { iova?: string; length?: string; limit?: number; at?: number } = {},
  ) => this.request<LeafPage>('GET', `/labs/${seg(lab)}/hwpts/${id}/pagetable${query(range)}`);

  // State, history, analysis
  state = (lab: string, at?: number) =>
    this.request<LabState>('GET', `/labs/${seg(lab)}/state${query({ at })}`);
  events = async (lab: string, options: { after?: number; limit?: number } = {}) =>
    (await this.request<{ events: StoredEvent[] }>('GET', `/labs/${seg(lab)}/events${query(options)}`))
      .events;
  explain = (lab: string, a: string, b: string) =>
    this.request<Explanation>('GET', `/labs/${seg(lab)}/explain${query({ a, b })}`);
  /** One VM alone: why it emulates wbinvd or not, the event behind it, and latent hazards. */
  explainVm = (lab: string, a: string) =>
    this.request<VmExplanation>('GET', `/labs/${seg(lab)}/explain${query({ a })}`);
  compare = (lab: string, policies?: Policy[], kernels?: Kernel[]) =>
    this.request<Comparison>(
      'GET',
      `/labs/${seg(lab)}/compare${query({ policies: policies?.join(','), kernels: kernels?.join(',') })}`,
    );
  batch = (lab: string, ops: Op[], options: { atomic?: boolean } = {}) =>
    this.request<BatchResult>('POST', `/labs/${seg(lab)}/batch`, { ops, ...options });
}
