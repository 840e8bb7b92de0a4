// The error a client call throws: the API's error shape plus the HTTP status, for callers to branch on.

export interface ApiErrorShape {
  code: string;
  errno?: number;
  message: string;
  seq?: number;
}

export class LabApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errno: number | undefined;
  /** For a refused op: the seq of the event that recorded the refusal. */
  readonly seq: number | undefined;
  constructor(status: number, error: ApiErrorShape) {
    super(error.message);
    this.name = 'LabApiError';
    this.status = status;
    this.code = error.code;
    this.errno = error.errno;
    this.seq = error.seq;
  }
}

/** Reads an error reply; a reply that is not the API's shape (a proxy's HTML page) still becomes one. */
export async function errorFromResponse(response: Response): Promise<LabApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const error = (body as { error?: ApiErrorShape } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new LabApiError(response.status, error);
  }
  return new LabApiError(response.status, {
    code: 'EIO',
    message: `HTTP ${response.status} ${response.statusText}`,
  });
}
