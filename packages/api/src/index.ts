// Public entry of @ioasid-lab/api: the contract of the lab API that the server and every client share.
// Browser-safe: vocabularies, data types, and the typed HTTP and stream client. The TypeBox schemas are
// at @ioasid-lab/api/schemas.
export * from './client/index.ts';
export * from './types.ts';
export * from './vocab.ts';
