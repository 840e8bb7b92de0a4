// Entry of the store worker thread: registers the TypeScript loader (workers do not inherit the
// parent's), then runs worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
