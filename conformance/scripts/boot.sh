#!/bin/sh
# Boots one conformance guest: kernel <6.12|6.1>, machine <vtd-sc|vtd-nosc>, the scenarios in
# <dir> (*.jsonl); writes the probe's serial output to <out>. TCG: the guest needs no host KVM.
# Usage: boot.sh <kernel> <machine> <scenario-dir> <out>
set -eu
kernel=$1 machine=$2 scenarios=$3 out=$4
here=$(cd "$(dirname "$0")/.." && pwd)
KCACHE=${KCACHE:-/work/kcache}
bz=$KCACHE/linux-$kernel/bzImage
[ -s "$bz" ] || { echo "boot: $bz missing (build-kernel.sh $kernel)" >&2; exit 1; }
[ -x "$KCACHE/probe" ] || { echo "boot: $KCACHE/probe missing (build-probe.sh)" >&2; exit 1; }
case $machine in
  vtd-sc) snoop=on ;;
  vtd-nosc) snoop=off ;;
  *) echo "boot: unknown machine $machine" >&2; exit 1 ;;
esac
stage=$(mktemp -d /var/tmp/conformance-initrd.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/scenarios" "$stage/proc" "$stage/sys" "$stage/dev"
cp /bin/busybox "$stage/bin/busybox"
cp "$KCACHE/probe" "$stage/probe"
cp "$here/guest/init" "$stage/init"
chmod +x "$stage/init"
cp "$scenarios"/*.jsonl "$stage/scenarios/"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$stage.cpio.gz"
trap 'rm -rf "$stage" "$stage.cpio.gz"' EXIT
# The guest's timer check can fail when TCG is starved of CPU ("timer doesn't work through
# Interrupt-remapped IO-APIC"): no_timer_check skips it, and a boot that still does not finish is retried.
for attempt in 1 2 3; do
rm -f "$out"
# Two e1000e functions on the root bus (one IOMMU group each) and two e1000 behind a
# PCIe-to-PCI bridge (one group for both).
timeout "${BOOT_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -M q35,kernel-irqchip=split -m 1G \
  -nographic -no-reboot -kernel "$bz" -initrd "$stage.cpio.gz" \
  -append "console=ttyS0 intel_iommu=on iommu=nopt quiet panic=-1 no_timer_check" \
  -device intel-iommu,intremap=on,caching-mode=on,snoop-control=$snoop \
  -device e1000e,addr=0x3 \
  -device e1000e,addr=0x4 \
  -device pcie-pci-bridge,id=br0,addr=0x5 \
  -device e1000,bus=br0,addr=0x1 \
  -device e1000,bus=br0,addr=0x2 \
  -nic none -serial mon:stdio -serial "file:$out" > "$out.console" 2>&1
grep -q '^@@DONE' "$out" && exit 0
echo "boot: attempt $attempt: the guest did not finish; see $out.console" >&2
done
exit 1
