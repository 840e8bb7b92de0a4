// The checks both event stores (SQLite and PostgreSQL) make of a lab's name, policy and kernel before
// anything is created: refusals are LabError EINVAL naming what is allowed.
import { NAME_RE } from '@ioasid-lab/api/vocab';
import { KERNELS, type Kernel, LabError, POLICIES, type Policy } from '@ioasid-lab/core';

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new LabError('EINVAL', `lab name must match ${NAME_RE.source}`);
  }
  return name;
}

export function checkPolicy(policy: unknown): Policy {
  if (!POLICIES.includes(policy as Policy)) {
    throw new LabError('EINVAL', `policy must be one of ${POLICIES.join(', ')}`);
  }
  return policy as Policy;
}

export function checkKernel(kernel: unknown): Kernel {
  if (!KERNELS.includes(kernel as Kernel)) {
    throw new LabError('EINVAL', `kernel ${String(kernel)} is unknown: one of ${KERNELS.join(', ')}`);
  }
  return kernel as Kernel;
}
