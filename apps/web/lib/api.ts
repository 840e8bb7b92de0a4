// Thin adapter over the typed client of @ioasid-lab/api: one same-origin instance, its
// error as ApiFailure, and mutating requests as client calls that can also be shown as "copy as curl".
import { createLabClient, LabApiError, LabClient } from '@ioasid-lab/api';

export type { LabClient };
export { LabApiError as ApiFailure };

/** The dashboard's client: same origin, never answered from the HTTP cache (the lab moves on). */
export const api = createLabClient({
  // Every change the dashboard makes is recorded as made by "web" (X-Lab-Client, shown in the events view).
  fetch: (input, init) =>
    fetch(input, { ...init, cache: 'no-store', headers: { ...headersOf(init), 'x-lab-client': 'web' } }),
});

function headersOf(init: RequestInit | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(init?.headers).entries());
}

/** A mutating request, written as a call on the typed client so no caller spells a URL. */
export type Request = (client: LabClient) => Promise<unknown>;

export const call = (request: Request) => request(api);

interface Captured {
  method: string;
  url: string;
  body?: string;
}

/** Runs `request` against a client whose fetch records the call instead of sending it. */
function capture(request: Request, origin: string): Captured {
  let seen: Captured = { method: 'GET', url: origin };
  const recorder = new LabClient({
    baseUrl: origin,
    fetch: (input, init) => {
      seen = {
        method: init?.method ?? 'GET',
        url: String(input),
        body: typeof init?.body === 'string' ? init.body : undefined,
      };
      return Promise.resolve(new Response(null, { status: 204 }));
    },
  });
  // The client calls fetch synchronously; the recorded reply is never used.
  request(recorder).catch(() => undefined);
  return seen;
}

/** The curl command a script would run for the same request. */
export function curlFor(request: Request, origin: string): string {
  const { method, url, body } = capture(request, origin);
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const parts = [`curl -sS -X ${method} ${quote(url)}`];
  // Off loopback the server wants LAB_TOKEN; the command reads it from the caller's environment.
  const host = new URL(origin).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host))
    parts.push(`-H "authorization: Bearer $LAB_TOKEN"`);
  if (body !== undefined) {
    parts.push(`-H 'content-type: application/json'`);
    parts.push(`-d ${quote(body)}`);
  }
  return parts.join(' ');
}

export const enc = encodeURIComponent;
