// Unit tests of the dashboard's pure modules (layout, focus and search, touched nodes, action specs,
// form checks, leaf plans); no browser: the views themselves are covered by the Playwright specs.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'web', include: ['test/**/*.test.ts'], environment: 'node' } });
