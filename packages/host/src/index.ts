// @ioasid-lab/host: a real machine into a lab. Browser-safe: the snapshot decoders and converter, the
// libvirt XML and QEMU command-line parsers. The sysfs reader (Node only) is '@ioasid-lab/host/sysfs'.
export * from './convert.ts';
export * from './decode.ts';
export * from './types.ts';
export * from './vm.ts';
export { parseXml, type XmlElement, XmlError } from './xml.ts';

/** The command that prints a host's snapshot, as the docs and the UI show it. */
export const SNAPSHOT_COMMAND = 'node snapshot.mjs > host.json';
