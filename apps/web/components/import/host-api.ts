// The two host-import calls of the API (POST /labs/import-host, with or without dryRun), same origin.
// Errors come back in the API's one shape; they are thrown as ImportFailure with its code and message.

export interface DecodedField {
  register: string;
  field: string;
  bits: string;
  value: string;
  meaning: string;
}
export interface UnitReport {
  name: string;
  vendor: string;
  enforceCacheCoherency: boolean;
  pageSizes: number[];
  iovaBits: number;
  kernelIovaBits: number;
  reserved: { start: string; length: string; kind: string }[];
  registers: Record<string, unknown>;
  decoded: DecodedField[];
  groups: number[];
  notes: string[];
}
export interface GroupReport {
  id: number;
  type: string | null;
  unit: string | null;
  devices: string[];
  reservedRegions: { start: string; end: string; type: string; applied: boolean; why?: string }[];
}
export interface VmPreview {
  name: string;
  devices: string[];
  memory: string;
  source: { format: 'libvirt' | 'qemu'; backend: string; notes: string[] };
}
export interface HostPlan {
  policy: string;
  kernel: string;
  kernelProfile: { profile: string; from: string | null; rule: string };
  units: UnitReport[];
  groups: GroupReport[];
  devices: {
    name: string;
    bdf: string;
    group: number;
    unit: string;
    driver: string | null;
    class: string | null;
  }[];
  skipped: { bdf: string; reason: string }[];
  ignored: { unit: string; reason: string }[];
  notes: string[];
  vms: VmPreview[];
  ops: number;
}

export interface ImportHostRequest {
  name: string;
  policy?: string;
  kernel?: string;
  snapshot: unknown;
  vms?: ({ libvirt: string } | { qemu: string })[];
}

export class ImportFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function importHost(request: ImportHostRequest, dryRun: boolean): Promise<HostPlan> {
  const response = await fetch('/api/v1/labs/import-host', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...request, ...(dryRun ? { dryRun: true } : {}) }),
    cache: 'no-store',
  });
  const body = (await response.json().catch(() => null)) as
    | (HostPlan & { error?: undefined })
    | { error: { code: string; message: string } }
    | null;
  if (!response.ok || !body || body.error) {
    const error = body?.error;
    throw new ImportFailure(error?.code ?? `HTTP ${response.status}`, error?.message ?? response.statusText);
  }
  return body as HostPlan;
}

/** A domain XML starts with '<'; anything else is taken as a QEMU command line. */
export function vmSource(text: string): { libvirt: string } | { qemu: string } {
  return text.trimStart().startsWith('<') ? { libvirt: text } : { qemu: text };
}
