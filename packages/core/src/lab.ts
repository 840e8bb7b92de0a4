// Lab: the typed TypeScript face of one native lab context.
import * as native from './binding.ts';
import { LabError } from './errors.ts';
import { POLICIES, type Policy } from './types.ts';

export function abiVersion(): number {
  return native.ioasid_abi_version();
}

export class Lab {
  readonly policy: Policy;
  #handle: unknown;

  private constructor(policy: Policy, handle: unknown) {
    this.policy = policy;
    this.#handle = handle;
  }

  static create(policy: Policy): Lab {
    const index = POLICIES.indexOf(policy);
    if (index < 0) throw new LabError('EINVAL', `unknown policy ${String(policy)}`);
    const handle = native.ioasid_lab_create(index);
    if (!handle) throw new LabError('ENOMEM', 'cannot allocate a lab');
    return new Lab(policy, handle);
  }

  /** Frees the native context; the Lab must not be used afterwards. */
  destroy(): void {
    if (this.#handle) native.ioasid_lab_destroy(this.#handle);
    this.#handle = null;
  }
}
