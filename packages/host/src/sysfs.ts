// The Node-only half: reads a sysfs root (live, or captured as in ../fixtures) into a snapshot document.
// The reader itself is bin/snapshot.mjs, a single file that also runs alone on a host without a checkout.
import { readSnapshot as read } from '../bin/snapshot.mjs';

export type HostSnapshot = ReturnType<typeof read>;
export const readSnapshot: (root?: string) => HostSnapshot = read;
