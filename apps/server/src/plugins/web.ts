// Serves the Next.js UI from this same process and port: requests the API does not own go to Next.
// The UI folder is found by path, not by package resolution: neither package imports the other.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import next from 'next';

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The UI folder: `LAB_WEB_DIR` when set, else the sibling workspace `apps/web`. */
export function webDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_WEB_DIR || fileURLToPath(new URL('../../../web', import.meta.url));
}

/** Prepares the built UI (apps/web/.next) and returns Next's request handler plus a closer. */
export async function prepareWeb(dev = false): Promise<{ handle: WebHandler; close: () => Promise<void> }> {
  const nextApp = next({ dir: webDir(), dev, quiet: true });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  return { handle: (req, res) => handle(req, res), close: () => nextApp.close() };
}
