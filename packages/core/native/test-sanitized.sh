#!/usr/bin/env bash
# Runs the package's Vitest suites against the ASan+UBSan build of the core (npm run test:asan).
# Leak checking is off: Node itself holds memory until exit. Any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -C native build/libioasid_lab_san.so
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so):$(${CC:-cc} -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0 \
IOASID_LAB_LIBRARY="$PWD/native/build/libioasid_lab_san.so" \
	npx vitest run 2>&1 | tee "$log" || status=$?
if grep -Eq 'runtime error|ERROR: AddressSanitizer' "$log"; then
	echo "sanitizer reported an error" >&2
	exit 1
fi
exit "$status"
