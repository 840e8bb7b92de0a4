import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The server package lives beside this one; Next must not guess the workspace root from lockfiles.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default config;
