/* fuzz_ioctl - the op decoder: arbitrary commands with arbitrary argument bytes and lengths (shorter,
 * longer, unterminated names, unknown flags) against a small lab. Input: [u8 policy][u8 kernel] then
 * records [u8 cmd][u16 length][bytes]. Afterwards the lab keeps its invariants and survives a
 * snapshot round trip. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct ioasid_lab *lab = fuzz_seed_lab(data[0], data[1]);
	size_t at = 2;
	/* The decoder reads at most IOASID_MAX_STRUCT_SIZE bytes; a little more exercises E2BIG. */
	static unsigned char arg[IOASID_MAX_STRUCT_SIZE + 64] __attribute__((aligned(8)));
	int ops = 0;
	while (at + 3 <= size && ops < 64) {
		uint32_t cmd = data[at] % (IOASID_CMD_MAX + 2);
		uint32_t len = (uint32_t)data[at + 1] | ((uint32_t)data[at + 2] << 8);
		at += 3;
		if (len > sizeof(arg))
			len = sizeof(arg);
		size_t have = size - at < len ? size - at : len;
		memset(arg, 0, sizeof(arg));
		memcpy(arg, data + at, have);
		at += have;
		/* A NULL argument with a length is the caller's bug the ABI must still refuse cleanly. */
		const void *p = (cmd == IOASID_CMD_MAX + 1 && len == 0) ? NULL : arg;
		fuzz_ioctl(lab, cmd, p, len);
		ops++;
	}
	fuzz_check_model(lab);
	fuzz_check_roundtrip(lab);
	ioasid_lab_destroy(lab);
	return 0;
}
