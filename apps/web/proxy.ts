// The UI owns the Content-Security-Policy of its pages: a fresh nonce per request, on the response and in
// the request header Next reads to put it on its own script tags (the root layout puts it on the theme
// boot script). The server (apps/server, plugins/security.ts) sets its CSP only on replies it sends
// itself, never on those it hands to Next, so each page carries this one policy and no other.
// (Next 16 calls middleware "proxy"; this file is middleware.ts under its current name.)
import { type NextRequest, NextResponse } from 'next/server';
import { NONCE_HEADER, pagePolicy } from './lib/csp';

export function proxy(request: NextRequest): NextResponse {
  // 128 random bits, base64: unguessable, and in the character set Next's nonce parser accepts.
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const policy = pagePolicy(nonce);
  // Set, not appended: whatever CSP or nonce the client sent is replaced before Next renders.
  const headers = new Headers(request.headers);
  headers.set(NONCE_HEADER, nonce);
  headers.set('content-security-policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export const config = {
  // Every page and Next's data requests; not the hashed static files, which no policy changes.
  matcher: ['/((?!_next/static|_next/image).*)'],
};
