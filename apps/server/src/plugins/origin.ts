// Which pages may talk to the lab. Loopback mode serves only loopback Host names, so a DNS-rebinding page
// (evil.example resolving to 127.0.0.1) is refused; a WebSocket or a state-changing request sent by a
// browser from another origin is refused whatever the mode (a page elsewhere must not read or change labs).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hostName, isLoopbackHost } from '../config.ts';
import { ApiError } from '../errors.ts';

export interface OriginOptions {
  /**
   * Host names (no port) served besides loopback ones; `null` serves any Host (a token-gated server
   * with no LAB_ALLOWED_HOSTS: the token is the guard).
   */
  allowedHosts: string[] | null;
  /** Browser origins allowed besides the server's own (LAB_CORS_ORIGIN). */
  corsOrigins: string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether `origin` is a page of this server: same host and port as the request's Host. The scheme is
 * not compared, so a TLS proxy in front (browser on https, server on http) still matches.
 */
function isOwnOrigin(request: FastifyRequest, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = (request.headers.host ?? '').toLowerCase();
  if (parsed.host === host) return true;
  // Default ports: Origin omits them, Host may carry them.
  const port = parsed.protocol === 'https:' ? '443' : '80';
  return parsed.port === '' && `${parsed.hostname}:${port}` === host;
}

async function originPlugin(app: FastifyInstance, options: OriginOptions): Promise<void> {
  const hosts = options.allowedHosts === null ? null : new Set(options.allowedHosts);
  const origins = new Set(options.corsOrigins);

  app.addHook('onRequest', (request, _reply, done) => {
    if (hosts) {
      const header = request.headers.host;
      const name = typeof header === 'string' ? hostName(header) : '';
      if (!name || !(isLoopbackHost(name) || hosts.has(name))) {
        done(
          new ApiError('EPERM', `host ${JSON.stringify(name || '(none)')} is not served here`, {
            status: 403,
          }),
        );
        return;
      }
    }
    const origin = request.headers.origin;
    const upgrade = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (origin !== undefined && (upgrade || !SAFE_METHODS.has(request.method))) {
      if (!origins.has(origin) && !isOwnOrigin(request, origin)) {
        done(
          new ApiError(
            'EPERM',
            `origin ${JSON.stringify(origin)} may not ${upgrade ? 'open streams' : 'change labs'}`,
            {
              status: 403,
            },
          ),
        );
        return;
      }
    }
    done();
  });
}

export default fp(originPlugin, { name: 'ioasid-origin' });
