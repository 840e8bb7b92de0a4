// libvirt domain XML and QEMU command lines as engineers have them (written from the formats libvirt's
// formatdomain page and QEMU's invocation page document, and from what `virsh domxml-to-native` and
// libvirt's per-domain logs show), through the parsers and into vm.create ops.
import { describe, expect, it } from 'vitest';
import {
  HostImportError,
  parseLibvirtDomain,
  parseQemuCommandLine,
  parseXml,
  splitCommandLine,
  vmCreateOp,
  XmlError,
} from './index.ts';

const LAB_DEVICES = ['0000-00-02.0', '0000-00-03.0', '0000-00-1f.2', '0000-02-00.0', '0000-02-00.1'];

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (error instanceof HostImportError)
      return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

const GUEST_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- virsh dumpxml guest1 -->
<domain type='kvm' id='3'>
  <name>guest1</name>
  <uuid>5e4c8a6f-7c1d-4a8e-9d1b-6b8b2f0e9c11</uuid>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/guest1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
      </source>
      <alias name='hostdev0'/>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source>
        <address domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0' multifunction='on'/>
    </hostdev>
    <memballoon model='virtio'/>
  </devices>
</domain>
`;

describe('libvirt domain XML', () => {
  it('reads name, memory and two hostdevs in document order, with managed and multifunction', () => {
    const spec = parseLibvirtDomain(GUEST_XML);
    expect(spec).toMatchObject({
      source: 'libvirt',
      name: 'guest1',
      memory: '0x100000000',
      backend: 'vfio',
      hostdevs: [
        { bdf: '0000:00:03.0', managed: true, multifunction: false, iommufd: false },
        { bdf: '0000:00:02.0', managed: false, multifunction: true, iommufd: false },
      ],
    });
    expect(vmCreateOp(spec, LAB_DEVICES)).toEqual({
      op: 'vm.create',
      name: 'guest1',
      memory: '0x100000000',
      devices: ['0000-00-03.0', '0000-00-02.0'],
    });
  });

  it('swapping the hostdevs swaps the boot order', () => {
    const swapped = GUEST_XML.replace("slot='0x03' function='0x0'/>\n      </source>", 'X')
      .replace(
        "slot='0x02' function='0x0'/>\n      </source>",
        "slot='0x03' function='0x0'/>\n      </source>",
      )
      .replace('X', "slot='0x02' function='0x0'/>\n      </source>");
    expect(parseLibvirtDomain(swapped).hostdevs.map((h) => h.bdf)).toEqual(['0000:00:02.0', '0000:00:03.0']);
  });

  it('memory units: libvirt scaled integers (KiB default, MiB, GiB, decimal GB)', () => {
    const withMemory = (memory: string) => GUEST_XML.replace(/<memory unit='KiB'>4194304<\/memory>/, memory);
    expect(parseLibvirtDomain(withMemory('<memory>2097152</memory>')).memory).toBe('0x80000000');
    expect(parseLibvirtDomain(withMemory("<memory unit='MiB'>8192</memory>")).memory).toBe('0x200000000');
    expect(parseLibvirtDomain(withMemory("<memory unit='G'>1</memory>")).memory).toBe('0x40000000');
    // 4 GB = 4e9 bytes, rounded up to a whole MiB (3815 MiB) as libvirt does before starting QEMU.
    const decimal = parseLibvirtDomain(withMemory("<memory unit='GB'>4</memory>"));
    expect(decimal.memory).toBe('0xee700000');
    expect(decimal.notes).toEqual([expect.stringContaining('rounded up')]);
    expect(refusal(() => parseLibvirtDomain(withMemory("<memory unit='furlongs'>1</memory>")))).toMatchObject(
      {
        code: 'EINVAL',
        field: '<memory>',
      },
    );
    expect(refusal(() => parseLibvirtDomain(withMemory('<memory>0</memory>')))).toMatchObject({
      field: '<memory>',
      message: expect.stringContaining('not a positive multiple'),
    });
    expect(refusal(() => parseLibvirtDomain(withMemory('<memory>-5</memory>')))).toMatchObject({
      field: '<memory>',
    });
  });

  it('an SR-IOV VF as <interface type="hostdev"> and the iommufd driver are read; USB hostdevs are noted', () => {
    const xml = `<domain type='kvm'>
  <name>nfv-1</name>
  <memory unit='GiB'>2</memory>
  <devices>
    <hostdev mode='subsystem' type='usb' managed='yes'>
      <source><vendor id='0x046d'/><product id='0xc52b'/></source>
    </hostdev>
    <interface type='hostdev' managed='yes'>
      <source><address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x1'/></source>
      <mac address='52:54:00:6d:90:02'/>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' iommufd='yes'/>
      <source><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>`;
    const spec = parseLibvirtDomain(xml);
    expect(spec.hostdevs.map((h) => [h.bdf, h.iommufd])).toEqual([
      ['0000:02:00.1', false],
      ['0000:02:00.0', true],
    ]);
    expect(spec.backend).toBe('iommufd');
    expect(spec.notes).toEqual([expect.stringContaining('usb hostdev')]);
    expect(vmCreateOp(spec, LAB_DEVICES).devices).toEqual(['0000-02-00.1', '0000-02-00.0']);
  });

  it('an mdev hostdev cannot be mapped: the error names the element', () => {
    const xml = `<domain type='kvm'><name>gvt</name><memory>1048576</memory><devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
        <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>
      </hostdev></devices></domain>`;
    expect(refusal(() => parseLibvirtDomain(xml))).toMatchObject({
      code: 'EINVAL',
      field: '<hostdev> #1 (line 2)',
      message: expect.stringContaining("type='mdev'"),
    });
  });

  it('a hostdev the lab does not hold is ENOENT naming the BDF', () => {
    const spec = parseLibvirtDomain(GUEST_XML.replace("bus='0x00' slot='0x02'", "bus='0x81' slot='0x00'"));
    expect(refusal(() => vmCreateOp(spec, LAB_DEVICES))).toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('0000:81:00.0'),
    });
  });

  it('malformed XML is refused with the line and what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['<domain><name>x</name>', /<domain> \(line 1\) is never closed/],
      ['<domain><name>x</nam></domain>', /<\/nam> closes <name>/],
      ['<domain type=kvm><name>x</name></domain>', /must be quoted/],
      ["<domain a='1' a='2'></domain>", /repeated/],
      ['<domain></domain><domain></domain>', /second root/],
      ['<domain>&bogus;</domain>', /unknown entity/],
      ['<domain>a & b</domain>', /'&' must start an entity/],
      ['<!DOCTYPE domain [<!ENTITY x "y">]><domain/>', /DOCTYPE/],
      ['hello', /text outside the root/],
      ['', /no root element/],
    ];
    for (const [xml, pattern] of cases) {
      expect(() => parseXml(xml), xml).toThrow(XmlError);
      expect(() => parseXml(xml), xml).toThrow(pattern);
    }
    expect(
      refusal(() => parseLibvirtDomain('<domain>\n  <name>x</name>\n  <devices>\n</domain>')),
    ).toMatchObject({
      code: 'EINVAL',
      field: 'libvirt',
      message: expect.stringMatching(/XML does not parse: .*line 4/),
    });
    expect(refusal(() => parseLibvirtDomain('<network><name>default</name></network>'))).toMatchObject({
      message: expect.stringContaining('not <domain>'),
    });
    expect(
      refusal(() => parseLibvirtDomain("<domain><memory unit='KiB'>1048576</memory></domain>")),
    ).toMatchObject({
      field: '<name>',
    });
  });

  it('entities, CDATA and comments inside a domain are read as XML says', () => {
    const root = parseXml(
      '<domain><name>a&amp;b</name><description><![CDATA[<raw>]]></description><!-- c --></domain>',
    );
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['name', 'a&b'],
      ['description', '<raw>'],
    ]);
  });
});

// What libvirt 9 logs in /var/log/libvirt/qemu/guest1.log (JSON -device syntax), shortened.
const LIBVIRT_LOG_LINE = `LC_ALL=C \\
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin \\
HOME=/var/lib/libvirt/qemu/domain-3-guest1 \\
/usr/bin/qemu-system-x86_64 \\
-name guest=guest1,debug-threads=on \\
-S \\
-object '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-3-guest1/master-key.aes"}' \\
-machine pc-q35-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram \\
-accel kvm \\
-m size=4194304k \\
-object '{"qom-type":"memory-backend-ram","id":"pc.ram","size":4294967296}' \\
-smp 4,sockets=4,cores=1,threads=1 \\
-device '{"driver":"pcie-root-port","port":16,"chassis":1,"id":"pci.1","bus":"pcie.0","multifunction":true,"addr":"0x2"}' \\
-device '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:12:34:56","bus":"pci.1","addr":"0x0"}' \\
-device '{"driver":"vfio-pci","host":"0000:00:03.0","id":"hostdev0","bus":"pci.6","addr":"0x0"}' \\
-device '{"driver":"vfio-pci","host":"0000:00:02.0","id":"hostdev1","bus":"pci.7","multifunction":true,"addr":"0x0"}' \\
-msg timestamp=on`;

describe('QEMU command line', () => {
  it('a hand-written line: -name, -m with a suffix, two vfio-pci devices in order', () => {
    const spec = parseQemuCommandLine(
      'qemu-system-x86_64 -enable-kvm -M q35 -m 2G -name vm2 -device virtio-net-pci,netdev=n0 ' +
        '-device vfio-pci,host=02:00.1,id=nic1 -device vfio-pci,host=0000:02:00.0,multifunction=on,addr=05.0 ' +
        '-drive file=/tmp/disk.img,if=virtio',
    );
    expect(spec).toMatchObject({
      source: 'qemu',
      name: 'vm2',
      memory: '0x80000000',
      backend: 'vfio',
      hostdevs: [
        { bdf: '0000:02:00.1', multifunction: false },
        { bdf: '0000:02:00.0', multifunction: true },
      ],
    });
    expect(vmCreateOp(spec, LAB_DEVICES).devices).toEqual(['0000-02-00.1', '0000-02-00.0']);
  });

  it("libvirt's logged command line: env prefix, JSON -device and -object, memory from the RAM backend", () => {
    const spec = parseQemuCommandLine(LIBVIRT_LOG_LINE);
    expect(spec).toMatchObject({ name: 'guest1', memory: '0x100000000', backend: 'vfio' });
    expect(spec.hostdevs.map((h) => [h.bdf, h.multifunction])).toEqual([
      ['0000:00:03.0', false],
      ['0000:00:02.0', true],
    ]);
    // The same VM as the libvirt XML above: the same op.
    expect(vmCreateOp(spec, LAB_DEVICES)).toEqual(vmCreateOp(parseLibvirtDomain(GUEST_XML), LAB_DEVICES));
  });

  it('the iommufd backend: -object iommufd and iommufd= on the device', () => {
    const spec = parseQemuCommandLine(
      'qemu-system-x86_64 -m 1024 -name x -object iommufd,id=iommufd0 -device vfio-pci,host=0000:00:1f.2,iommufd=iommufd0',
    );
    expect(spec).toMatchObject({
      memory: '0x40000000',
      backend: 'iommufd',
      hostdevs: [{ bdf: '0000:00:1f.2', iommufd: true }],
    });
    expect(
      refusal(() =>
        parseQemuCommandLine('qemu-system-x86_64 -device vfio-pci,host=0000:00:1f.2,iommufd=nope'),
      ),
    ).toMatchObject({ code: 'EINVAL', field: '-device vfio-pci,host=0000:00:1f.2,iommufd=nope' });
  });

  it('sysfsdev= names the function by its sysfs path; an mdev there is refused', () => {
    const spec = parseQemuCommandLine(
      'qemu-system-x86_64 -name a -device vfio-pci,sysfsdev=/sys/bus/pci/devices/0000:00:02.0',
    );
    expect(spec.hostdevs.map((h) => h.bdf)).toEqual(['0000:00:02.0']);
    expect(spec.notes).toEqual([expect.stringContaining('128 MiB')]);
    expect(spec.memory).toBe('0x8000000');
    expect(
      refusal(() =>
        parseQemuCommandLine(
          'qemu-system-x86_64 -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/c2177883-f1bb-47f0-914d-32a22e3a8804',
        ),
      ),
    ).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('mdev') });
  });

  it('vfio-ap and vfio-platform cannot be mapped; the error names the -device', () => {
    expect(
      refusal(() =>
        parseQemuCommandLine('qemu-system-s390x -device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/x'),
      ),
    ).toMatchObject({ code: 'EINVAL', field: '-device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/x' });
  });

  it('errors: no program, bad quoting, bad JSON, a bad size, a missing -name, a device not in the lab', () => {
    expect(refusal(() => parseQemuCommandLine('ls -l'))).toMatchObject({ field: 'qemu' });
    expect(refusal(() => parseQemuCommandLine("qemu-system-x86_64 -name 'vm"))).toMatchObject({
      message: expect.stringContaining('unterminated single quote'),
    });
    expect(refusal(() => parseQemuCommandLine('qemu-system-x86_64 -device \'{"driver":\''))).toMatchObject({
      field: '-device',
    });
    expect(refusal(() => parseQemuCommandLine('qemu-system-x86_64 -m lots'))).toMatchObject({ field: '-m' });
    const nameless = parseQemuCommandLine('qemu-system-x86_64 -m 1G -device vfio-pci,host=00:02.0');
    expect(refusal(() => vmCreateOp(nameless, LAB_DEVICES))).toMatchObject({
      code: 'EINVAL',
      field: '-name',
    });
    expect(vmCreateOp(nameless, LAB_DEVICES, 'given')).toMatchObject({ name: 'given' });
    const stranger = parseQemuCommandLine('qemu-system-x86_64 -name s -device vfio-pci,host=0000:65:00.0');
    expect(refusal(() => vmCreateOp(stranger, LAB_DEVICES))).toMatchObject({
      code: 'ENOENT',
      field: '-device vfio-pci,host=0000:65:00.0',
      message: expect.stringContaining('0000:65:00.0'),
    });
    const twice = parseQemuCommandLine(
      'qemu-system-x86_64 -name t -device vfio-pci,host=00:02.0 -device vfio-pci,host=00:02.0',
    );
    expect(refusal(() => vmCreateOp(twice, LAB_DEVICES))).toMatchObject({
      code: 'EINVAL',
      message: expect.stringContaining('twice'),
    });
  });

  it('ps output (JSON options unquoted) and /proc/PID/cmdline (NUL-separated) read as the logged line', () => {
    const logged = parseQemuCommandLine(LIBVIRT_LOG_LINE);
    // What `ps -o args= -C qemu-system-x86_64` prints for the same process: one line, no quotes.
    const ps = splitCommandLine(LIBVIRT_LOG_LINE).slice(3).join(' ');
    expect(ps).toContain('-device {"driver":"vfio-pci","host":"0000:00:03.0"');
    expect(parseQemuCommandLine(ps)).toEqual(logged);
    const proc = `${splitCommandLine(LIBVIRT_LOG_LINE).slice(3).join('\0')}\0`;
    expect(parseQemuCommandLine(proc)).toEqual(logged);
  });

  it('splits like a shell: quotes, escapes, continuations, doubled commas in options', () => {
    expect(splitCommandLine(`a 'b c' "d \\"e\\"" f\\ g \\\nh # comment\ni`)).toEqual([
      'a',
      'b c',
      'd "e"',
      'f g',
      'h',
      'i',
    ]);
    const spec = parseQemuCommandLine('qemu-system-x86_64 -name "guest=my,,vm,debug-threads=on"');
    expect(spec.name).toBe('my,vm');
    expect(refusal(() => vmCreateOp(spec, LAB_DEVICES))).toMatchObject({ field: '-name' });
  });
});
