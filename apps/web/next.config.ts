// Next.js settings of the dashboard: strict React, no X-Powered-By, tracing rooted at the monorepo.
// The server (apps/server) runs this app through next({ dir }); there is no separate Next server.
import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The API contract and typed client (@ioasid-lab/api) ship as TypeScript source.
  transpilePackages: ['@ioasid-lab/api'],
  // The server package lives beside this one; Next must not guess the workspace root from lockfiles.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default config;
