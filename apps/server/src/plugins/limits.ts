// Connection-level limits, below Fastify's routing: a cap on open connections (overall and per client
// address) answered with 503 at once instead of hanging, and the replies Node's HTTP parser sends on its
// own (request timeout, malformed request, oversized headers) in the API's error shape.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from '../errors.ts';

export interface ConnectionLimits {
  /** Open connections (HTTP and WebSocket) in total. */
  maxConnections: number;
  /** Open connections from one client address. */
  maxPerClient: number;
}

/** Headers of a reply written straight to a socket: the security basics helmet would add. */
const RAW_HEADERS = [
  'content-type: application/json; charset=utf-8',
  'cache-control: no-store',
  'x-content-type-options: nosniff',
  "content-security-policy: default-src 'none'; frame-ancestors 'none'",
  'connection: close',
];

/** A complete HTTP/1.1 reply carrying `error` in the API's shape, closing the connection. */
export function rawErrorReply(error: ApiError, extraHeaders: string[] = []): string {
  const body = JSON.stringify(error.body());
  const reason = STATUS_TEXT[error.status] ?? 'Error';
  return [
    `HTTP/1.1 ${error.status} ${reason}`,
    ...RAW_HEADERS,
    ...extraHeaders,
    `content-length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/**
 * Fastify's clientErrorHandler: Node calls it for a request it could not parse or that timed out
 * before Fastify saw it. Same error shape as every other reply; the connection is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let apiError: ApiError;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    apiError = new ApiError('EBUSY', 'the request was not received in time', { status: 408 });
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    apiError = new ApiError('E2BIG', 'request headers are too large', { status: 431 });
  } else {
    apiError = new ApiError('EINVAL', 'malformed HTTP request', { status: 400 });
  }
  if (socket.writable) socket.end(rawErrorReply(apiError));
  socket.destroySoon?.();
}

/**
 * Puts a gate in front of the HTTP server's own connection handling: a connection over either cap gets
 * a 503 `EBUSY` straight away and is closed, before Node parses anything from it, so half-sent
 * requests cannot use up the process's file descriptors and turn every later request away.
 */
export function gateConnections(server: Server, limits: ConnectionLimits): { open(): number } {
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  let open = 0;
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    const fromClient = perClient.get(client) ?? 0;
    if (open >= limits.maxConnections || fromClient >= limits.maxPerClient) {
      refuse(
        socket,
        open >= limits.maxConnections
          ? `the server has ${open} open connections, its limit; try again later`
          : `this client has ${fromClient} open connections, the per-client limit; try again later`,
      );
      return;
    }
    open += 1;
    perClient.set(client, fromClient + 1);
    socket.once('close', () => {
      open -= 1;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
    for (const handler of handlers) handler.call(server, socket);
  });
  return { open: () => open };
}

function refuse(socket: Socket, message: string): void {
  socket.on('error', () => undefined);
  socket.end(rawErrorReply(new ApiError('EBUSY', message, { status: 503 }), ['retry-after: 1']));
  // Whatever the client still sends is read and dropped (an unread request would turn the close into
  // a reset that can swallow the 503); the socket goes away after a second in any case.
  socket.resume();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The soft limit on open files of this process (Linux), or undefined when unknown. */
export function openFileLimit(read: () => string): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(read());
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
