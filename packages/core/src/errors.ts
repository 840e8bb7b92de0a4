// Linux errno numbers and names, and LabError: how a refused core operation surfaces in TypeScript.
import type { ErrnoCode } from './types.ts';

export const ERRNO: Record<ErrnoCode, number> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  E2BIG: 7,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EOVERFLOW: 75,
};

const CODE_BY_ERRNO = new Map<number, ErrnoCode>(
  Object.entries(ERRNO).map(([code, errno]) => [errno, code as ErrnoCode]),
);

export function errnoCode(errno: number): ErrnoCode {
  const code = CODE_BY_ERRNO.get(Math.abs(errno));
  if (!code) throw new Error(`unknown errno ${errno}`);
  return code;
}

export class LabError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;
  constructor(code: ErrnoCode, message: string) {
    super(message);
    this.name = 'LabError';
    this.code = code;
    this.errno = ERRNO[code];
  }
}
