/* fuzz_restore - snapshots from outside (a damaged database row): restore must refuse or produce a lab
 * that keeps every invariant, round-trips, and still takes ops. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	int32_t err = 0;
	struct ioasid_lab *lab = ioasid_lab_restore(data, (uint32_t)size, &err);
	if (!lab) {
		FUZZ_ASSERT(err < 0, "restore failed without an errno");
		return 0;
	}
	fuzz_check_model(lab);
	fuzz_check_roundtrip(lab);
	/* The restored lab works: map and unmap in every IOAS it has. */
	for (size_t i = 0; i < lab->ioas.n && i < 8; i++) {
		const struct ioas *ioas = lab->ioas.v[i];
		struct ioasid_ioas_map m = { .size = sizeof(m),
					     .flags = IOASID_MAP_READ | IOASID_MAP_WRITE,
					     .ioas = ioas->id,
					     .iova = 0x7f0000000ull,
					     .length = 0x3000 };
		fuzz_ioctl(lab, IOASID_CMD_IOAS_MAP, &m, sizeof(m));
		struct ioasid_ioas_unmap u = { .size = sizeof(u), .ioas = ioas->id, .iova = 0x7f0000000ull, .length = 0x1000 };
		fuzz_ioctl(lab, IOASID_CMD_IOAS_UNMAP, &u, sizeof(u));
	}
	fuzz_check_model(lab);
	ioasid_lab_destroy(lab);
	return 0;
}
