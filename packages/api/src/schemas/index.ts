// The request and response schemas of /api/v1 (TypeBox): the server validates with them and builds its
// OpenAPI document from them, so the document and the validation cannot drift apart.
export * from './analysis.ts';
export * from './common.ts';
export * from './history.ts';
export * from './labs.ts';
export * from './ops.ts';
export * from './results.ts';
export * from './state.ts';
