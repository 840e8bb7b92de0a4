// Public entry of @ioasid-lab/api: the contract of the lab API that the server and every client share.
// Browser-safe: the typed HTTP and stream client and its types; the TypeBox schemas are at ./schemas.
export * from './client/index.ts';
