// Next.js settings of the dashboard: strict React, no X-Powered-By, tracing rooted at the monorepo.
// The server (apps/server) runs this app through next({ dir }); there is no separate Next server.
import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The typed API client (@ioasid-lab/server/client) ships as TypeScript source; only that subpath is imported.
  transpilePackages: ['@ioasid-lab/server'],
  // The server package lives beside this one; Next must not guess the workspace root from lockfiles.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default config;
