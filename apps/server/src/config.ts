// Server settings from options and the environment, and the safety rule for binding:
// a non-loopback HOST without LAB_TOKEN is refused before anything listens.
import { isIP } from 'node:net';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4100;
export const BODY_LIMIT = 1024 * 1024;

/**
 * Shutdown: requests in flight get SHUTDOWN_DRAIN_MS to finish, then every store worker gets
 * STORE_CLOSE_TIMEOUT_MS to close its database (checkpoint and close) and answer. A worker that does not
 * answer by then is terminated and logged; what it committed is safe in the WAL, which SQLite replays at
 * the next open.
 */
export const SHUTDOWN_DRAIN_MS = 10_000;
export const STORE_CLOSE_TIMEOUT_MS = 5_000;

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
  constructor(host: string, message?: string) {
    super(
      message ??
        `refusing to listen on non-loopback HOST ${host} without LAB_TOKEN; set LAB_TOKEN or bind 127.0.0.1`,
    );
    this.name = 'UnsafeBindError';
  }
}

/** The shortest LAB_TOKEN accepted on a non-loopback HOST. */
export const MIN_NETWORK_TOKEN_LENGTH = 16;

/** Throws UnsafeBindError when the address would expose the lab to the network with no (or a weak) token. */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (isLoopbackHost(host)) return;
  if (!token) throw new UnsafeBindError(host);
  if (token.length < MIN_NETWORK_TOKEN_LENGTH) {
    throw new UnsafeBindError(
      host,
      `refusing to listen on non-loopback HOST ${host} with a LAB_TOKEN of ${token.length} characters; use at least ${MIN_NETWORK_TOKEN_LENGTH}`,
    );
  }
}

/** The host name of a Host header ("127.0.0.1:4100" -> "127.0.0.1", "[::1]:80" -> "[::1]"), lower-cased. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}

/** LAB_ALLOWED_HOSTS: comma-separated host names (no port) the server answers to besides loopback ones. */
export function allowedHostsFromEnv(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0)
    .map((name) => {
      if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(name)) {
        throw new Error(
          `LAB_ALLOWED_HOSTS entries must be host names without a port, not ${JSON.stringify(name)}`,
        );
      }
      return name;
    });
}

export interface ServerLimits {
  /** A request must have arrived whole (headers and body) within this long: else 408. */
  requestTimeoutMs: number;
  /** The headers must have arrived within this long. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all for this long is closed (not streams: they have their own). */
  idleTimeoutMs: number;
  /** Open connections in total; more are answered 503 and closed. */
  maxConnections: number;
  /** Open connections from one client address; more are answered 503 and closed. */
  maxPerClient: number;
}

/**
 * Room for 500+ stream clients and writers on one machine; the total stays under the process's open
 * file limit (less a margin for the database, the worker and Next) so descriptors never run out.
 */
export function defaultLimits(openFiles: number | undefined): ServerLimits {
  const fitting = openFiles === undefined ? 4096 : Math.max(32, openFiles - 128);
  const maxConnections = Math.min(4096, fitting);
  return {
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 5_000,
    idleTimeoutMs: 60_000,
    maxConnections,
    maxPerClient: Math.min(1024, maxConnections),
  };
}

/** LAB_MAX_CONNECTIONS="total/perClient" (e.g. "2048/512"), or unset for the defaults. */
export function connectionLimitsFromEnv(value: string | undefined): Partial<ServerLimits> {
  if (!value) return {};
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new Error(
      `LAB_MAX_CONNECTIONS must be "total/perClient" (e.g. "2048/512"), not ${JSON.stringify(value)}`,
    );
  }
  return { maxConnections: Number(match[1]), maxPerClient: Number(match[2]) };
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
