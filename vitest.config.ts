// One Vitest run over every TypeScript package; each project keeps its own config.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { projects: ['packages/*', 'apps/server', 'apps/web', 'conformance'] } });
