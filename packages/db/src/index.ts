// Public entry of @ioasid-lab/db.
export * from './database.ts';
export * as schema from './schema.ts';
export * from './store-types.ts';
