/* fuzz_batch - batch framing: arbitrary record streams ([u32 cmd][u32 length][struct], 8-byte
 * aligned) in plain and atomic mode, with or without result records (IOASID_BATCH_REFUSED_ONLY). Input:
 * [u8 policy][u8 flags] then the batch bytes. An atomic batch that fails must leave the lab exactly as
 * before (snapshot unchanged); a refused-only batch answers one u32, at most the number of ops run. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > (1u << 20))
		return 0;
	struct ioasid_lab *lab = fuzz_seed_lab(data[0], data[0] >> 2);
	uint32_t flags = (data[1] & 1 ? IOASID_BATCH_ATOMIC : 0) | (data[1] & 2 ? IOASID_BATCH_REFUSED_ONLY : 0);
	size_t len = size - 2;
	/* The binding hands the core 8-byte aligned buffers; so do we, and ASan sees the exact length. */
	unsigned char *ops = aligned_alloc(8, (len + 7) & ~(size_t)7 ? (len + 7) & ~(size_t)7 : 8);
	FUZZ_ASSERT(ops != NULL, "out of memory");
	memcpy(ops, data + 2, len);

	uint32_t before_len = 0;
	FUZZ_ASSERT(ioasid_lab_serialize(lab, fuzz_out, FUZZ_OUT_CAP) == 0, "serialize failed");
	unsigned char *before = fuzz_output(lab, &before_len);

	int32_t rc = ioasid_lab_batch(lab, ops, (uint32_t)len, flags, fuzz_out, FUZZ_OUT_CAP);
	if (rc >= 0 && (flags & IOASID_BATCH_REFUSED_ONLY)) {
		uint32_t out_len = 0, refused = 0;

		memcpy(&out_len, fuzz_out, 4);
		memcpy(&refused, fuzz_out + 4, 4);
		FUZZ_ASSERT(out_len == 4 && refused <= (uint32_t)rc, "refused-only output %u bytes, %u of %d refused",
			    out_len, refused, rc);
	}
	if (rc < 0 || (flags & IOASID_BATCH_ATOMIC)) {
		/* A malformed batch changes nothing; an atomic one either applied whole or not at all. */
		uint32_t after_len = 0;
		FUZZ_ASSERT(ioasid_lab_serialize(lab, fuzz_out, FUZZ_OUT_CAP) == 0, "serialize failed");
		unsigned char *after = fuzz_output(lab, &after_len);
		if (rc < 0)
			FUZZ_ASSERT(before_len == after_len && memcmp(before, after, before_len) == 0,
				    "a refused batch (%d) changed the lab", rc);
		free(after);
	}
	free(before);
	free(ops);
	fuzz_check_model(lab);
	fuzz_check_roundtrip(lab);
	ioasid_lab_destroy(lab);
	return 0;
}
