// The API's one error shape and the errno -> HTTP status mapping of API.md.
import { ERRNO, type ErrnoCode } from '@ioasid-lab/core';

const STATUS_BY_CODE: Partial<Record<ErrnoCode, number>> = {
  EINVAL: 400,
  E2BIG: 400,
  EOVERFLOW: 400,
  ERANGE: 400,
  EPERM: 403,
  ENOENT: 404,
  EEXIST: 409,
  EBUSY: 409,
  EADDRINUSE: 409,
  ESRCH: 409,
  ENOSPC: 409,
  ENOMEM: 409,
  EOPNOTSUPP: 422,
};

export interface ApiErrorBody {
  error: { code: string; errno?: number; message: string; seq?: number };
}

/** An error the API answers with: HTTP status plus the error shape of API.md. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errno: number | undefined;
  readonly seq: number | undefined;
  constructor(code: string, message: string, options: { status?: number; seq?: number } = {}) {
    super(message);
    this.code = code;
    this.errno = (ERRNO as Record<string, number>)[code];
    this.status = options.status ?? STATUS_BY_CODE[code as ErrnoCode] ?? 400;
    this.seq = options.seq;
  }
  body(): ApiErrorBody {
    return {
      error: {
        code: this.code,
        ...(this.errno !== undefined ? { errno: this.errno } : {}),
        message: this.message,
        ...(this.seq !== undefined ? { seq: this.seq } : {}),
      },
    };
  }
}

export function statusForCode(code: ErrnoCode): number {
  return STATUS_BY_CODE[code] ?? 400;
}
