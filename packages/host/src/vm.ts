// VMs from what engineers already have: a libvirt domain XML or a QEMU command line becomes one vm.create
// op booted with the assigned PCI functions in the order the VM plugs them (order changes outcomes:
// docs/domain.md). Emulated devices are not assignments and are not read; an assignment the lab cannot model
// (mdev, vfio-ap, vfio-ccw, vfio-platform) is an error naming the element, as is malformed input.
import { deviceNameForBdf, HostImportError, NAME_PATTERN, normalizeBdf, type VmCreateOp } from './types.ts';
import { childrenNamed, firstChild, parseXml, type XmlElement, XmlError } from './xml.ts';

export interface HostdevSpec {
  bdf: string;
  /** Where it came from: `<hostdev> #2 (line 41)` or `-device vfio-pci,host=...`. */
  element: string;
  managed: boolean | null;
  multifunction: boolean;
  /** The device uses the iommufd backend (`iommufd=` on -device, `<driver iommufd='yes'/>`). */
  iommufd: boolean;
}

export interface VmSpec {
  source: 'libvirt' | 'qemu';
  name: string | null;
  /** Bytes, 0x-hex. */
  memory: string;
  hostdevs: HostdevSpec[];
  /** iommufd when any assigned device uses it (QEMU `-object iommufd`), vfio (the legacy container) otherwise. */
  backend: 'vfio' | 'iommufd';
  notes: string[];
}

const KIB = 1024n;
const MIB = KIB * KIB;
/** libvirt's scaled integers (virScaleInteger): decimal K/M/G... and binary KiB/MiB/...; bare letters are binary. */
const LIBVIRT_UNITS: Record<string, bigint> = {
  b: 1n,
  bytes: 1n,
  kb: 1000n,
  k: KIB,
  kib: KIB,
  mb: 1000n ** 2n,
  m: KIB ** 2n,
  mib: KIB ** 2n,
  gb: 1000n ** 3n,
  g: KIB ** 3n,
  gib: KIB ** 3n,
  tb: 1000n ** 4n,
  t: KIB ** 4n,
  tib: KIB ** 4n,
  pb: 1000n ** 5n,
  p: KIB ** 5n,
  pib: KIB ** 5n,
};

function invalid(field: string, message: string): never {
  throw new HostImportError('EINVAL', field, message);
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

function checkMemory(bytes: bigint, field: string): string {
  if (bytes <= 0n || bytes % 4096n !== 0n)
    invalid(field, `${field}: ${bytes} bytes is not a positive multiple of 4 KiB`);
  if (bytes >= 1n << 64n) invalid(field, `${field}: ${bytes} bytes does not fit in 64 bits`);
  return hex(bytes);
}

function flag(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  return ['yes', 'on', 'true'].includes(value.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------
// libvirt domain XML (https://libvirt.org/formatdomain.html)

function libvirtPciAddress(address: XmlElement | undefined, element: string): string {
  if (!address) invalid(element, `${element} has no <source><address .../></source>`);
  const { domain = '0x0000', bus, slot, function: fn } = address.attributes;
  if (address.attributes.type !== undefined && address.attributes.type !== 'pci') {
    invalid(element, `${element}: source address type '${address.attributes.type}' is not a PCI address`);
  }
  const parts = [domain, bus, slot, fn];
  if (parts.some((part) => part === undefined || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(part))) {
    invalid(element, `${element}: <address> needs domain, bus, slot and function as numbers`);
  }
  const [d, b, s, f] = parts.map((part) => Number(part)) as [number, number, number, number];
  if (d > 0xffffffff || b > 0xff || s > 0x1f || f > 7)
    invalid(element, `${element}: <address> is out of range`);
  const bdf = `${d.toString(16).padStart(4, '0')}:${b.toString(16).padStart(2, '0')}:${s.toString(16).padStart(2, '0')}.${f}`;
  return bdf;
}

/** Parses a libvirt `<domain>`: name, memory, and every PCI assignment in document order. */
export function parseLibvirtDomain(xml: string): VmSpec {
  if (typeof xml !== 'string' || !xml.trim()) invalid('libvirt', 'libvirt must be a domain XML document');
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlError) invalid('libvirt', error.message);
    throw error;
  }
  if (root.name !== 'domain') invalid('libvirt', `the root element is <${root.name}>, not <domain>`);
  const notes: string[] = [];
  const nameElement = firstChild(root, 'name');
  const name = nameElement?.text.trim() ?? '';
  if (!name) invalid('<name>', 'the domain has no <name>');

  const memoryElement = firstChild(root, 'memory') ?? firstChild(root, 'currentMemory');
  if (!memoryElement) invalid('<memory>', 'the domain has no <memory>');
  const amount = memoryElement.text.trim();
  const unit = (memoryElement.attributes.unit ?? 'KiB').toLowerCase();
  const scale = LIBVIRT_UNITS[unit];
  if (!/^[0-9]+$/.test(amount))
    invalid('<memory>', `<memory> must be a whole number, got ${JSON.stringify(amount)}`);
  if (scale === undefined)
    invalid('<memory>', `<memory unit='${memoryElement.attributes.unit}'> is not a libvirt unit`);
  // qemuDomainAlignMemorySizes: QEMU gets the initial memory rounded up to a whole MiB.
  const asked = BigInt(amount) * scale;
  const aligned = ((asked + MIB - 1n) / MIB) * MIB;
  if (aligned !== asked)
    notes.push(`<memory> ${asked} bytes rounded up to ${aligned} (libvirt aligns guest memory to 1 MiB)`);
  const memory = checkMemory(aligned, '<memory>');

  const devices = firstChild(root, 'devices');
  const hostdevs: HostdevSpec[] = [];
  let index = 0;
  for (const child of devices?.children ?? []) {
    const isHostdev = child.name === 'hostdev';
    const isNetHostdev = child.name === 'interface' && child.attributes.type === 'hostdev';
    if (!isHostdev && !isNetHostdev) continue;
    index++;
    const element = `<${child.name}> #${index} (line ${child.line})`;
    if (isHostdev) {
      const mode = child.attributes.mode ?? 'subsystem';
      const type = child.attributes.type;
      if (mode !== 'subsystem')
        invalid(element, `${element}: mode='${mode}' is not a PCI assignment the lab can model`);
      if (type === 'usb' || type === 'scsi' || type === 'scsi_host') {
        notes.push(
          `${element}: a ${type} hostdev is forwarded by QEMU, not assigned through the IOMMU; not imported`,
        );
        continue;
      }
      if (type !== 'pci')
        invalid(
          element,
          `${element}: type='${type ?? ''}' (mdev and others) cannot be mapped to a PCI function of the host`,
        );
    }
    const driver = firstChild(child, 'driver');
    if (driver?.attributes.name && driver.attributes.name !== 'vfio') {
      invalid(element, `${element}: <driver name='${driver.attributes.name}'> is not VFIO`);
    }
    const source = firstChild(child, 'source');
    const bdf = libvirtPciAddress(source ? firstChild(source, 'address') : undefined, element);
    const guestAddress = childrenNamed(child, 'address')[0];
    hostdevs.push({
      bdf,
      element,
      managed: flag(child.attributes.managed),
      multifunction: flag(guestAddress?.attributes.multifunction) === true,
      iommufd: flag(driver?.attributes.iommufd) === true,
    });
  }
  const backend = hostdevs.some((h) => h.iommufd) ? 'iommufd' : 'vfio';
  return { source: 'libvirt', name, memory, hostdevs, backend, notes };
}

// ---------------------------------------------------------------------------------------------------------
// QEMU command line (https://www.qemu.org/docs/master/system/invocation.html)

/**
 * Splits a command line as a POSIX shell would: quotes, backslashes, line continuations, comments. Two
 * other spellings engineers paste are read too: /proc/PID/cmdline (arguments separated by NUL bytes, taken
 * as they are), and `ps` output, where libvirt's JSON options appear unquoted: a word that starts with an
 * unquoted `{"` is taken raw up to the next whitespace (libvirt writes its JSON without spaces).
 */
export function splitCommandLine(text: string): string[] {
  if (text.includes('\0')) return text.split('\0').filter((word) => word.length > 0);
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (!inWord && c === '{' && text[i + 1] === '"') {
      let end = i;
      while (end < text.length && !/\s/.test(text[end] as string)) end++;
      word = text.slice(i, end);
      inWord = true;
      i = end;
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') i += 2;
      else if (next === '\r' && text[i + 2] === '\n') i += 3;
      else if (next === undefined) invalid('qemu', 'the command line ends with a lone backslash');
      else {
        word += next;
        inWord = true;
        i += 2;
      }
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) invalid('qemu', `unterminated single quote at offset ${i}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) invalid('qemu', 'unterminated double quote');
        const d = text[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] as string)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** QEMU's `key=value,...` options with `,,` for a literal comma; a leading bare word is `implied`'s value. */
export function parseQemuOptions(
  text: string,
  implied?: string,
): { entries: [string, string][]; get(key: string): string | undefined } {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',') {
      if (text[i + 1] === ',') {
        current += ',';
        i++;
      } else {
        parts.push(current);
        current = '';
      }
    } else current += text[i];
  }
  parts.push(current);
  const entries: [string, string][] = parts.map((part, index) => {
    const eq = part.indexOf('=');
    if (eq === -1) return index === 0 && implied ? [implied, part] : [part, 'on'];
    return [part.slice(0, eq), part.slice(eq + 1)];
  });
  return { entries, get: (key) => entries.filter(([k]) => k === key).at(-1)?.[1] };
}

/** A QEMU size: bytes with an optional binary suffix (B, K, M, G, T, P, E); `defaultSuffix` for none. */
function qemuSize(text: string, defaultSuffix: string, field: string): bigint {
  const match = /^([0-9]+)(?:\.([0-9]+))?([bBkKmMgGtTpPeE])?[bB]?$/.exec(text.trim());
  if (!match) invalid(field, `${field}: ${JSON.stringify(text)} is not a size`);
  const [, whole = '0', fraction, suffixRaw] = match;
  const suffix = (suffixRaw ?? defaultSuffix).toUpperCase();
  const shift = { B: 0n, K: 10n, M: 20n, G: 30n, T: 40n, P: 50n, E: 60n }[suffix] ?? 0n;
  if (fraction) {
    const scaled = (BigInt(whole + fraction) << shift) / 10n ** BigInt(fraction.length);
    return scaled;
  }
  return BigInt(whole) << shift;
}

/** An option given as JSON (libvirt 7+ writes `-device {"driver":"vfio-pci",...}`) or as key=value. */
function deviceOptions(value: string, option: string): Map<string, string> {
  if (value.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      invalid(option, `${option} ${value}: JSON that does not parse`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      invalid(option, `${option} ${value}: not a JSON object`);
    return new Map(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }
  return new Map(
    parseQemuOptions(value, option === '-device' ? 'driver' : option === '-object' ? 'qom-type' : undefined)
      .entries,
  );
}

const PROGRAM = /(^|\/)(qemu-system-[A-Za-z0-9_]+|qemu-kvm|kvm)$/;

/** The options of a QEMU command line that carry a value the import reads (or must step over). */
const VALUE_OPTIONS = ['-name', '-m', '-device', '-object', '-machine', '-M'];

/** What the options seen so far say; parseQemuCommandLine reads them left to right into it. */
interface QemuScan {
  name: string | null;
  memory: bigint | null;
  memoryBackend: string | null;
  /** Sizes of -object memory-backend-* by id, for -machine memory-backend=. */
  backends: Map<string, bigint>;
  /** Ids of -object iommufd, which a later -device iommufd= must name. */
  iommufdObjects: Set<string>;
  hostdevs: HostdevSpec[];
}

/** Parses a QEMU command line: -name, -m (or the RAM backend), and every vfio-pci device in order. */
export function parseQemuCommandLine(text: string): VmSpec {
  if (typeof text !== 'string' || !text.trim()) invalid('qemu', 'qemu must be a QEMU command line');
  const words = splitCommandLine(text);
  const start = words.findIndex((word) => PROGRAM.test(word));
  if (start === -1) invalid('qemu', 'no qemu-system-* (or qemu-kvm) program in the command line');
  const args = words.slice(start + 1);
  const notes: string[] = [];
  const scan: QemuScan = {
    name: null,
    memory: null,
    memoryBackend: null,
    backends: new Map(),
    iommufdObjects: new Set(),
    hostdevs: [],
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-')) continue;
    const option = arg.replace(/^--/, '-');
    if (!VALUE_OPTIONS.includes(option)) continue;
    const value = args[i + 1];
    if (value === undefined) invalid(option, `${option} has no value`);
    i++;
    readQemuOption(option, value, scan);
  }
  const { hostdevs } = scan;
  let { name, memory } = scan;
  if (memory === null && scan.memoryBackend !== null) {
    const size = scan.backends.get(scan.memoryBackend);
    if (size === undefined)
      invalid('-machine', `-machine memory-backend=${scan.memoryBackend} names no -object with a size`);
    memory = size;
  }
  if (memory === null) {
    memory = 128n << 20n;
    notes.push('no -m: QEMU gives the guest its default 128 MiB');
  }
  if (name !== null && !name) name = null;
  const backend = hostdevs.some((h) => h.iommufd) ? 'iommufd' : 'vfio';
  return { source: 'qemu', name, memory: checkMemory(memory, '-m'), hostdevs, backend, notes };
}

/** One option and its value into `scan`. */
function readQemuOption(option: string, value: string, scan: QemuScan): void {
  if (option === '-name') {
    const opts = parseQemuOptions(value, 'guest');
    scan.name = opts.get('guest') ?? null;
  } else if (option === '-m') {
    const opts = parseQemuOptions(value, 'size');
    const size = opts.get('size');
    if (size !== undefined) scan.memory = qemuSize(size, 'M', '-m');
  } else if (option === '-machine' || option === '-M') {
    const opts = deviceOptions(value, option);
    const backend = opts.get('memory-backend');
    if (backend) scan.memoryBackend = backend;
  } else if (option === '-object') {
    const opts = deviceOptions(value, '-object');
    const type = opts.get('qom-type');
    const id = opts.get('id');
    if (type === 'iommufd' && id) scan.iommufdObjects.add(id);
    if (type?.startsWith('memory-backend-') && id && opts.get('size')) {
      scan.backends.set(id, qemuSize(opts.get('size') as string, 'B', `-object ${id}`));
    }
  } else if (option === '-device') {
    const hostdev = qemuHostdev(value, scan.iommufdObjects);
    if (hostdev) scan.hostdevs.push(hostdev);
  }
}

/** A -device that assigns a host PCI function; null for any device that is not a vfio- one. */
function qemuHostdev(value: string, iommufdObjects: Set<string>): HostdevSpec | null {
  const opts = deviceOptions(value, '-device');
  const driver = opts.get('driver') ?? '';
  const element = `-device ${value}`;
  if (!driver.startsWith('vfio-')) return null;
  if (driver !== 'vfio-pci' && driver !== 'vfio-pci-nohotplug') {
    invalid(element, `${element}: ${driver} is not a PCI function of the host; the lab cannot map it`);
  }
  const bdf = qemuHostdevBdf(opts, element);
  const iommufd = opts.get('iommufd');
  if (iommufd !== undefined && !iommufdObjects.has(iommufd)) {
    invalid(element, `${element}: iommufd=${iommufd} names no earlier -object iommufd,id=${iommufd}`);
  }
  return {
    bdf,
    element,
    managed: null,
    multifunction: flag(opts.get('multifunction')) === true,
    iommufd: iommufd !== undefined,
  };
}

/** The function a vfio-pci device names, by host= or by its sysfs path (an mdev path is refused). */
function qemuHostdevBdf(opts: Map<string, string>, element: string): string {
  const host = opts.get('host');
  const sysfsdev = opts.get('sysfsdev');
  if (host !== undefined) {
    const bdf = normalizeBdf(host);
    if (!bdf) invalid(element, `${element}: host=${host} is not a PCI address`);
    return bdf;
  }
  if (sysfsdev !== undefined) {
    const last = sysfsdev.replace(/\/+$/, '').split('/').at(-1) ?? '';
    const bdf = normalizeBdf(last);
    if (sysfsdev.includes('/mdev') || !bdf) {
      invalid(
        element,
        `${element}: sysfsdev=${sysfsdev} is not a PCI function (an mdev?); the lab cannot map it`,
      );
    }
    return bdf;
  }
  invalid(element, `${element}: neither host= nor sysfsdev= names the device`);
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The vm.create op for a parsed VM against the lab's device names. ENOENT names the first BDF the lab does
 * not hold; EINVAL a name that is missing or not a lab name, or a device assigned twice.
 */
export function vmCreateOp(spec: VmSpec, labDevices: Iterable<string>, nameOverride?: string): VmCreateOp {
  const nameField = spec.source === 'libvirt' ? '<name>' : '-name';
  const name = nameOverride ?? spec.name;
  if (!name) invalid(nameField, `the VM has no ${nameField}; give one in the request's "name"`);
  if (!NAME_PATTERN.test(name)) {
    invalid(
      nameField,
      `${nameField} "${name}" is not a lab name ([A-Za-z0-9][A-Za-z0-9_.-]{0,63}); give one in "name"`,
    );
  }
  const known = new Set(labDevices);
  const devices: string[] = [];
  for (const hostdev of spec.hostdevs) {
    const device = deviceNameForBdf(hostdev.bdf);
    if (!known.has(device)) {
      throw new HostImportError(
        'ENOENT',
        hostdev.element,
        `${hostdev.bdf} (${hostdev.element}) is not a device of this lab (no ${device})`,
      );
    }
    if (devices.includes(device))
      invalid(hostdev.element, `${hostdev.bdf} is assigned twice (${hostdev.element})`);
    devices.push(device);
  }
  return { op: 'vm.create', name, memory: spec.memory, devices };
}
