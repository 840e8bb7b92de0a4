// Public entry of @ioasid-lab/core.
export * from './errors.ts';
export * from './lab.ts';
export * from './types.ts';
