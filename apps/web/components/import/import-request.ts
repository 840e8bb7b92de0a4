// The import page's form as a POST /labs/import-host request (sent by the typed client), and the text of
// whatever stops it: a form the browser can already tell is wrong, or the API's refusal.

import type { ImportHostRequest, Kernel, Policy } from '@ioasid-lab/api';
import { ApiFailure } from '../../lib/api';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A form the browser refuses before asking the server, worded as the API words its refusals. */
export class ImportFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface VmEntry {
  id: number;
  text: string;
}

export interface ImportForm {
  snapshotText: string;
  name: string;
  policy: Policy;
  /** '' means the profile nearest the snapshot's kernel. */
  kernel: Kernel | '';
  vms: VmEntry[];
}

/** The request for `form`; throws ImportFailure when the snapshot is not JSON or the name not a lab name. */
export function importRequest(form: ImportForm): ImportHostRequest {
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(form.snapshotText);
  } catch (failure) {
    throw new ImportFailure('EINVAL', `the snapshot is not JSON: ${(failure as Error).message}`);
  }
  if (!NAME.test(form.name.trim()))
    throw new ImportFailure('EINVAL', 'lab name must be [A-Za-z0-9][A-Za-z0-9_.-]{0,63}');
  return {
    name: form.name.trim(),
    policy: form.policy,
    ...(form.kernel ? { kernel: form.kernel } : {}),
    snapshot,
    vms: form.vms.filter((vm) => vm.text.trim()).map((vm) => vmSource(vm.text)),
  };
}

/** A domain XML starts with '<'; anything else is taken as a QEMU command line. */
export function vmSource(text: string): { libvirt: string } | { qemu: string } {
  return text.trimStart().startsWith('<') ? { libvirt: text } : { qemu: text };
}

/** "CODE: message" for a refusal (the API's or the form's), the error itself otherwise. */
export function failureText(failure: unknown): string {
  return failure instanceof ApiFailure || failure instanceof ImportFailure
    ? `${failure.code}: ${failure.message}`
    : String(failure);
}
