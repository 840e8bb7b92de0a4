// Serves the Next.js UI from this same process and port: requests the API does not own go to Next.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import next from 'next';

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Prepares the built UI (apps/web/.next) and returns Next's request handler plus a closer. */
export async function prepareWeb(dev = false): Promise<{ handle: WebHandler; close: () => Promise<void> }> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@ioasid-lab/web/package.json'));
  const nextApp = next({ dir, dev, quiet: true });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  return { handle: (req, res) => handle(req, res), close: () => nextApp.close() };
}
