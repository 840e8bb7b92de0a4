// Public entry of @ioasid-lab/core.
export * from './abi.ts';
export * from './errors.ts';
export * from './lab.ts';
export * from './types.ts';
export * from './u64.ts';
