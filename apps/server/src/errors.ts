// The API's one error shape, the errno -> HTTP status mapping of docs/api.md, and the translation of every
// failure (core refusals, schema violations, Fastify's own errors) into that shape.
import { ERRNO, type ErrnoCode, LabError } from '@ioasid-lab/core';

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

/** Errno numbers of codes the server uses that the core never returns. */
const SERVER_ERRNO: Record<string, number> = { EIO: 5 };

export interface ApiErrorBody {
  error: { code: string; errno?: number; message: string; seq?: number };
}

/** An error the API answers with: HTTP status plus the error shape of docs/api.md. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errno: number | undefined;
  readonly seq: number | undefined;
  constructor(code: string, message: string, options: { status?: number; seq?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.errno = (ERRNO as Record<string, number>)[code] ?? SERVER_ERRNO[code];
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

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/** Says which field failed and why, e.g. "body/iova must match pattern ...". */
function validationMessage(error: FastifyLikeError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const where = `${error.validationContext ?? 'request'}${first.instancePath ?? ''}`;
  const extra = first.params?.additionalProperty ? ` (${String(first.params.additionalProperty)})` : '';
  return `${where} ${first.message ?? 'is invalid'}${extra}`;
}

/**
 * Any thrown value -> ApiError. Core refusals keep their errno; client mistakes become 4xx with the
 * right code; only genuine server faults become 500 (and the caller logs those).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof LabError) return new ApiError(error.code, error.message);
  // A LabError from another copy of the core module still carries its errno name.
  const named = error as { name?: string; code?: string; message?: string };
  if (named?.name === 'LabError' && typeof named.code === 'string' && named.code in ERRNO) {
    return new ApiError(named.code, named.message ?? named.code);
  }
  const e = error as FastifyLikeError;
  if (e && Array.isArray(e.validation)) return new ApiError('EINVAL', validationMessage(e));
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new ApiError('E2BIG', 'request body exceeds the 1 MiB limit', { status: 413 });
  if (status === 429) return new ApiError('EBUSY', e.message, { status: 429 });
  // Wrong content type is bad input like any other: the table of docs/api.md answers it with 400.
  if (status === 415) return new ApiError('EINVAL', e.message, { status: 400 });
  if (status >= 400 && status < 500) return new ApiError('EINVAL', e.message, { status });
  if (status === 503) return new ApiError('EBUSY', e.message, { status });
  return new ApiError('EIO', 'internal server error', { status: 500 });
}
