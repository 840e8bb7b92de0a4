// Who made a change: the `X-Lab-Client` header of the request (the dashboard sends "web"; scripts may send
// their own name, default "api"), kept on the request as `labClient` and passed with each op to the op
// queue, which records it on the op as `by`. The store keeps it with the op; events report it as `client`.
// Passed by hand rather than through AsyncLocalStorage: on Node 20 that turns on promise hooks for the
// whole process, a cost every await of every request pays.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's X-Lab-Client label ("api" when absent or unfit). */
    labClient: string;
  }
}

const FIT = /^[\x20-\x7e]{1,64}$/;

/** A label fit to keep: printable, at most 64 characters; anything else is the default. */
export function clientLabel(header: string | string[] | undefined): string {
  if (header === undefined) return 'api';
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  return FIT.test(value) ? value : 'api';
}

/**
 * `op` with `by`, the label of the request that asked for it. The op is the request's own (built by its
 * route or parsed from its body), so it is labelled in place rather than copied: a spread copy was a
 * measurable part of a durable request's main-thread time.
 */
export function labelled<T extends object>(op: T, by: string): T {
  (op as T & { by?: string }).by = by;
  return op;
}

export default fp(async function clientLabelPlugin(app: FastifyInstance) {
  app.decorateRequest('labClient', 'api');
  app.addHook('onRequest', (request, _reply, done) => {
    request.labClient = clientLabel(request.headers['x-lab-client']);
    done();
  });
});
