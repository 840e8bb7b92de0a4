// Server settings from options and the environment, and the safety rule for binding:
// a non-loopback HOST without LAB_TOKEN is refused before anything listens.
import { isIP } from 'node:net';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4100;
export const BODY_LIMIT = 1024 * 1024;

export interface RateLimitSettings {
  /** Requests allowed per client (IP) per window. */
  max: number;
  /** Window length in milliseconds. */
  windowMs: number;
}
/**
 * 2,000 requests/s per client on average over 10 s: scripts and test loops on loopback (which all share
 * one address) stay well under it, while one runaway or hostile client cannot monopolise the server.
 */
export const DEFAULT_RATE_LIMIT: RateLimitSettings = { max: 20_000, windowMs: 10_000 };

/** True for 127.0.0.0/8, ::1 (also as ::ffff:127.x) and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

export class UnsafeBindError extends Error {
  constructor(host: string) {
    super(
      `refusing to listen on non-loopback HOST ${host} without LAB_TOKEN; set LAB_TOKEN or bind 127.0.0.1`,
    );
    this.name = 'UnsafeBindError';
  }
}

/** Throws UnsafeBindError when the address would expose the lab to the network with no token. */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) throw new UnsafeBindError(host);
}

/** LAB_RATE_LIMIT="max/windowMs" (e.g. "600/1000"), "off", or unset for the default. */
export function rateLimitFromEnv(value: string | undefined): RateLimitSettings | false {
  if (!value) return DEFAULT_RATE_LIMIT;
  if (value === 'off') return false;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match) throw new Error(`LAB_RATE_LIMIT must be "max/windowMs" or "off", not ${JSON.stringify(value)}`);
  return { max: Number(match[1]), windowMs: Number(match[2]) };
}

/**
 * LAB_CORS_ORIGIN: comma-separated exact origins (e.g. "http://localhost:3000") allowed to call the API
 * from a browser; unset means CORS stays off. No wildcard: a lab may hold a token-protected setup.
 */
export function corsOriginsFromEnv(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0)
    .map((origin) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
        throw new Error(
          `LAB_CORS_ORIGIN entries must be origins like "http://localhost:3000", not ${JSON.stringify(origin)}`,
        );
      }
      return origin;
    });
}
