// The Content-Security-Policy of the UI's pages, built per request around a fresh nonce (proxy.ts sets it,
// the root layout reads the nonce back for its own inline script).

/** The request header the root layout reads the nonce from. */
export const NONCE_HEADER = 'x-nonce';

/** The page policy: the directives of the server's own (plugins/security.ts), scripts by nonce. */
export function pagePolicy(nonce: string, dev = process.env.NODE_ENV === 'development'): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    // No 'strict-dynamic': the chunks Next loads later are same-origin files, which 'self' allows.
    // React's development build evaluates server error stacks with eval; production never does.
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ''}`,
    "script-src-attr 'none'",
    // Styles keep 'unsafe-inline': the components set style attributes (positions, sizes, colours
    // computed at run time) and render <style> elements on the client, neither of which can carry a nonce.
    "style-src 'self' 'unsafe-inline'",
    // 'self' covers the stream's WebSocket on the same host and port.
    "connect-src 'self'",
    "worker-src 'self' blob:",
  ].join('; ');
}
