// Thin same-origin client for /api/v1: JSON in and out, errors turned into ApiFailure with errno and message.
// Every mutating call also yields the equivalent curl line so the UI can offer "copy as curl".

export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    readonly errno: number | undefined,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
}

export async function call<T>({ method, path, body }: Request): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; errno?: number; message?: string } } | undefined)
      ?.error;
    throw new ApiFailure(
      error?.code ?? `HTTP ${response.status}`,
      error?.errno,
      error?.message ?? (text || response.statusText),
      response.status,
    );
  }
  return parsed as T;
}

export const get = <T>(path: string) => call<T>({ method: 'GET', path });
export const post = <T>(path: string, body: unknown) => call<T>({ method: 'POST', path, body });
export const del = <T>(path: string) => call<T>({ method: 'DELETE', path });

/** The curl command a script would run for the same request. */
export function curlFor({ method, path, body }: Request, origin: string): string {
  const parts = [`curl -sS -X ${method} '${origin}/api/v1${path}'`];
  // Off loopback the server wants LAB_TOKEN; the command reads it from the caller's environment.
  const host = new URL(origin).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host))
    parts.push(`-H "authorization: Bearer $LAB_TOKEN"`);
  if (body !== undefined) {
    parts.push(`-H 'content-type: application/json'`);
    parts.push(`-d '${JSON.stringify(body).replaceAll("'", "'\\''")}'`);
  }
  return parts.join(' ');
}

export const enc = encodeURIComponent;
export const labPath = (lab: string) => `/labs/${enc(lab)}`;
