#!/bin/sh
# Builds the static probe against the 6.12 uAPI headers (iommufd.h, vfio.h) taken from the kernel
# tree build-kernel.sh unpacked; the same binary runs on 6.1, where the iommufd ioctls are absent.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
KCACHE=${KCACHE:-/work/kcache}
src=$KCACHE/linux-6.12/src/include/uapi/linux
hdr=$KCACHE/uapi/linux
out=$KCACHE/probe
[ -f "$src/iommufd.h" ] || { echo "build-probe: $src missing (run build-kernel.sh 6.12 first)" >&2; exit 1; }
mkdir -p "$hdr"
for h in iommufd.h vfio.h; do
  # What headers_install does for these two: drop the kernel-only __user annotation.
  sed 's/__user //g' "$src/$h" > "$hdr/$h"
done
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -I"$KCACHE/uapi" \
  -o "$out.tmp" "$here/probe/probe.c" "$here/probe/json.c"
mv "$out.tmp" "$out"
echo "build-probe: $out"
