import { defineConfig } from 'drizzle-kit';

// The PostgreSQL dialect of the same tables (LAB_DB=postgres://…): `npx drizzle-kit generate --config drizzle-pg.config.ts --name <name>`.
export default defineConfig({ dialect: 'postgresql', schema: './src/pg/schema.ts', out: './drizzle-pg' });
