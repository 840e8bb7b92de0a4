#!/bin/sh
# Builds a bzImage from Debian's linux-source-<version> package for the conformance guests.
# Cached: does nothing when $KCACHE/linux-<version>/bzImage exists. Needs the packages
# linux-source-6.12 / linux-source-6.1, bc bison flex libelf-dev libssl-dev (see docs/conformance.md).
# Usage: build-kernel.sh 6.12|6.1
set -eu
version=${1:?usage: build-kernel.sh 6.12|6.1}
KCACHE=${KCACHE:-/work/kcache}
JOBS=${JOBS:-2}
out=$KCACHE/linux-$version
if [ -s "$out/bzImage" ]; then
  echo "build-kernel: $out/bzImage is cached"
  exit 0
fi
tarball=/usr/src/linux-source-$version.tar.xz
[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-$version)" >&2; exit 1; }
mkdir -p "$out"
src=$out/src
if [ ! -f "$src/Makefile" ]; then
  rm -rf "$src" && mkdir -p "$src"
  tar -xJf "$tarball" -C "$src" --strip-components=1
fi
cd "$src"
make -s x86_64_defconfig
make -s kvm_guest.config
common="IOMMU_SUPPORT INTEL_IOMMU INTEL_IOMMU_DEFAULT_ON IRQ_REMAP VFIO VFIO_PCI VFIO_IOMMU_TYPE1
  VFIO_CONTAINER VFIO_GROUP E1000E DEVTMPFS DEVTMPFS_MOUNT PCI_MSI KPROBES KPROBE_EVENTS FTRACE
  DYNAMIC_FTRACE KVM KVM_INTEL KVM_VFIO VIRTUALIZATION BLK_DEV_INITRD"
case $version in
  6.1) extra="" ;;
  *) extra="IOMMUFD VFIO_DEVICE_CDEV DEBUG_KERNEL FAULT_INJECTION RUNTIME_TESTING_MENU IOMMUFD_TEST" ;;
esac
for opt in $common $extra; do scripts/config --enable "$opt"; done
# No debug info: it triples the build time and the guests never need it.
scripts/config --disable DEBUG_INFO --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 \
  --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE \
  --disable DEBUG_INFO_BTF --disable FAIL_PAGE_ALLOC --disable FAILSLAB
# Subsystems the guests never use (graphics, sound, USB, wireless, netfilter, NFS, IPv6, SCSI/ATA, MD, ...):
# off, to halve the build (the guests boot from an initramfs and only need PCI, VT-d, VFIO and the NICs).
for opt in DRM SOUND USB_SUPPORT WLAN WIRELESS CFG80211 NETFILTER NFS_FS NETWORK_FILESYSTEMS AGP \
  HID INPUT_JOYSTICK INPUT_TABLET INPUT_TOUCHSCREEN INPUT_MISC MACINTOSH_DRIVERS HAMRADIO \
  IPV6 XFRM_USER NETLABEL NET_SCHED PCCARD SCSI ATA MD WATCHDOG CPU_FREQ; do
  scripts/config --disable "$opt"
done
for vendor in 3COM ADAPTEC AGERE ALACRITECH ALTEON AMAZON AMD AQUANTIA ARC ATHEROS BROADCOM CADENCE \
  CAVIUM CHELSIO CISCO CORTINA DEC DLINK EMULEX GOOGLE HUAWEI MARVELL MELLANOX MICREL MICROCHIP \
  MICROSEMI MICROSOFT MYRI NATSEMI NETERION NETRONOME NI NVIDIA OKI PACKET_ENGINES PENSANDO QLOGIC \
  QUALCOMM RDC REALTEK RENESAS ROCKER SAMSUNG SEEQ SILAN SIS SMSC SOCIONEXT SOLARFLARE STMICRO SUN \
  SYNOPSYS TEHUTI TI VERTEXCOM VIA WANGXUN WIZNET XILINX; do
  scripts/config --disable "NET_VENDOR_$vendor"
done
make -s olddefconfig
for opt in $common $extra; do
  grep -q "^CONFIG_$opt=y" .config || echo "build-kernel: warning: CONFIG_$opt is not y after olddefconfig" >&2
done
nice -n 15 make -s -j"$JOBS" bzImage
cp arch/x86/boot/bzImage "$out/bzImage.tmp"
cp .config "$out/config"
make -s kernelrelease > "$out/release"
mv "$out/bzImage.tmp" "$out/bzImage"
echo "build-kernel: built $out/bzImage ($(cat "$out/release"))"
