// Who made a change: the `X-Lab-Client` header of the request (the dashboard sends "web"; scripts may send
// their own name, default "api"), carried through the request's async context to the op queue, which
// records it on each op as `by`. The store keeps it with the op; events report it as `client`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const labels = new AsyncLocalStorage<string>();

/** A label fit to keep: printable, at most 64 characters; anything else is the default. */
export function clientLabel(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  return /^[\x20-\x7e]{1,64}$/.test(value) ? value : 'api';
}

/** The label of the request being served, if any. */
export function currentClient(): string | undefined {
  return labels.getStore();
}

/** `op` with the current request's label as `by` (ops outside a request are left as they are). */
export function labelled<T extends object>(op: T): T {
  const by = labels.getStore();
  return by === undefined ? op : { ...op, by };
}

export default fp(async function clientLabelPlugin(app: FastifyInstance) {
  // run() around done(): the rest of the request's lifecycle (body parsing, handler) continues in this context.
  app.addHook('onRequest', (request, _reply, done) => {
    labels.run(clientLabel(request.headers['x-lab-client']), done);
  });
});
