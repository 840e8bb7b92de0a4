/* fuzz.h - shared helpers of the libFuzzer harnesses: a small lab to run ops against, the output
 * convention of the ABI (length-prefixed bytes, fetch when larger), and the invariants every lab must
 * keep whatever ops it was given. A broken invariant aborts, so libFuzzer records the input. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasid_lab.h"
#include "lab_internal.h"
#include "pagetable.h"

#define FUZZ_OUT_CAP (64u * 1024u)

static unsigned char fuzz_out[FUZZ_OUT_CAP] __attribute__((aligned(8)));

#define FUZZ_ASSERT(cond, ...)                                            \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant broken: " __VA_ARGS__); \
			fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__); \
			abort();                                          \
		}                                                         \
	} while (0)

/* The bytes of the last output of lab (state, serialize): malloc'd copy, *len set. */
static unsigned char *fuzz_output(struct ioasid_lab *lab, uint32_t *len)
{
	uint32_t n;
	memcpy(&n, fuzz_out, 4);
	unsigned char *copy = malloc(n ? n : 1);
	FUZZ_ASSERT(copy != NULL, "out of memory");
	if (4u + n <= FUZZ_OUT_CAP) {
		memcpy(copy, fuzz_out + 4, n);
	} else {
		int32_t got = ioasid_lab_fetch(lab, copy, n);
		FUZZ_ASSERT(got == (int32_t)n, "fetch returned %d for %u bytes", got, n);
	}
	*len = n;
	return copy;
}

static int fuzz_ioctl(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t len)
{
	return ioasid_lab_ioctl(lab, cmd, arg, len, fuzz_out, FUZZ_OUT_CAP);
}

static void fuzz_name(char dst[IOASID_NAME_LEN], const char *name)
{
	memset(dst, 0, IOASID_NAME_LEN);
	memcpy(dst, name, strlen(name));
}

/* Two IOMMUs (I0 enforces cache coherency, I1 cannot), devices A, B (no-snoop), C on I0 and D on I1,
 * VM1 with A and B, VM2 with C: the seed lab of the tests, small enough to fuzz quickly. Each input's
 * cost is mostly the invariant walks over every leaf, so the VMs get 64 KiB of RAM (16 leaves) and the
 * lab a 128 KiB table budget: a map that would need more is refused from arithmetic before any table
 * is built, so big maps still reach the budget checks without turning one input into seconds of walks. */
#define FUZZ_TABLE_BYTES (128ull << 10)
#define FUZZ_VM_MEMORY 0x10000ull
static struct ioasid_lab *fuzz_seed_lab(uint32_t policy, uint32_t kernel)
{
	struct ioasid_lab_limits limits = { .size = sizeof(limits),
					    .flags = IOASID_LIMITS_KERNEL,
					    .max_objects = 256,
					    .kernel = kernel % IOASID_KERNEL_MAX,
					    .max_table_bytes = FUZZ_TABLE_BYTES };
	int32_t err = 0;
	struct ioasid_lab *lab = ioasid_lab_create_limits(policy % 4, &limits, &err);
	if (!lab) {
		lab = ioasid_lab_create_limits(policy % 4, &(struct ioasid_lab_limits){ .size = sizeof(limits),
											  .max_objects = 256,
											  .max_table_bytes = FUZZ_TABLE_BYTES },
					       &err);
	}
	FUZZ_ASSERT(lab != NULL, "cannot create a lab (%d)", err);
	for (int i = 0; i < 2; i++) {
		struct ioasid_iommu_add a = { .size = sizeof(a), .flags = i == 0 ? IOASID_IOMMU_ENFORCE_CC : 0 };
		fuzz_name(a.name, i == 0 ? "I0" : "I1");
		fuzz_ioctl(lab, IOASID_CMD_IOMMU_ADD, &a, sizeof(a));
	}
	const char *devices[] = { "A", "B", "C", "D" };
	for (int i = 0; i < 4; i++) {
		struct ioasid_device_add d = { .size = sizeof(d), .flags = i == 1 ? IOASID_DEVICE_NO_SNOOP : 0 };
		fuzz_name(d.name, devices[i]);
		fuzz_name(d.iommu, i == 3 ? "I1" : "I0");
		fuzz_ioctl(lab, IOASID_CMD_DEVICE_ADD, &d, sizeof(d));
	}
	for (int i = 0; i < 2; i++) {
		struct ioasid_vm_create v = { .size = sizeof(v), .flags = IOASID_VM_HAS_MEMORY, .memory = FUZZ_VM_MEMORY };
		fuzz_name(v.name, i == 0 ? "VM1" : "VM2");
		v.nr_devices = i == 0 ? 2 : 1;
		fuzz_name(v.devices[0], i == 0 ? "A" : "C");
		if (i == 0)
			fuzz_name(v.devices[1], "B");
		fuzz_ioctl(lab, IOASID_CMD_VM_CREATE, &v, sizeof(v));
	}
	return lab;
}

struct walk_sum {
	uint64_t leaves, snoop, bytes, by_size[3];
	uint64_t last_end; /* one past the previous leaf, to check the walk is in IOVA order */
	int disorder;
};

static int walk_leaf(void *ctx, const struct pt_leaf *leaf)
{
	struct walk_sum *sum = ctx;
	uint64_t size = leaf->level == 1 ? 0x1000ull : leaf->level == 2 ? 0x200000ull : 0x40000000ull;
	if (leaf->iova < sum->last_end)
		sum->disorder = 1;
	sum->last_end = leaf->iova + size;
	sum->leaves++;
	sum->bytes += size;
	if (leaf->pte & PTE_SNP)
		sum->snoop++;
	if (leaf->level >= 1 && leaf->level <= 3)
		sum->by_size[leaf->level - 1]++;
	return 0;
}

/* Areas sorted and disjoint; every HWPT's counters equal a walk of its table, which maps exactly its
 * IOAS's areas (with SNP on every leaf when it enforces). */
static void fuzz_check_model(struct ioasid_lab *lab)
{
	for (size_t i = 0; i < lab->ioas.n; i++) {
		const struct ioas *ioas = lab->ioas.v[i];
		for (size_t a = 0; a < ioas->nr_areas; a++) {
			FUZZ_ASSERT(ioas->areas[a].iova <= ioas->areas[a].last, "area %zu of ioas %u is inverted", a,
				    ioas->id);
			if (a > 0)
				FUZZ_ASSERT(ioas->areas[a - 1].last < ioas->areas[a].iova,
					    "areas %zu and %zu of ioas %u overlap or are out of order", a - 1, a, ioas->id);
		}
	}
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		const struct hwpt *hwpt = lab->hwpts.v[i];
		struct walk_sum sum = { 0 };
		pt_walk(&hwpt->pt, 0, pt_last_iova(&hwpt->pt), walk_leaf, &sum);
		FUZZ_ASSERT(!sum.disorder, "hwpt %u walk is not in IOVA order", hwpt->id);
		FUZZ_ASSERT(sum.leaves == hwpt->pt.st.leaves, "hwpt %u counts %llu leaves, walk finds %llu", hwpt->id,
			    (unsigned long long)hwpt->pt.st.leaves, (unsigned long long)sum.leaves);
		FUZZ_ASSERT(sum.snoop == hwpt->pt.st.snoop_leaves, "hwpt %u snoop leaves differ from the walk",
			    hwpt->id);
		for (int s = 0; s < 3; s++)
			FUZZ_ASSERT(sum.by_size[s] == hwpt->pt.st.leaves_by_size[s], "hwpt %u leaves of size %d differ",
				    hwpt->id, s);
		if (hwpt->enforce)
			FUZZ_ASSERT(sum.snoop == sum.leaves, "hwpt %u enforces but has leaves without SNP", hwpt->id);
		uint64_t mapped = 0;
		for (size_t a = 0; a < hwpt->ioas->nr_areas; a++)
			mapped += hwpt->ioas->areas[a].last - hwpt->ioas->areas[a].iova + 1;
		FUZZ_ASSERT(sum.bytes == mapped, "hwpt %u maps %llu bytes, its ioas %u has %llu in areas", hwpt->id,
			    (unsigned long long)sum.bytes, hwpt->ioas->id, (unsigned long long)mapped);
	}
}

/* restore(serialize(x)) == x: the snapshot of the restored lab is byte for byte the same, and so is
 * its state as JSON. */
static void fuzz_check_roundtrip(struct ioasid_lab *lab)
{
	uint32_t snap_len = 0, state_len = 0, snap2_len = 0, state2_len = 0;
	FUZZ_ASSERT(ioasid_lab_serialize(lab, fuzz_out, FUZZ_OUT_CAP) == 0, "serialize failed");
	unsigned char *snap = fuzz_output(lab, &snap_len);
	FUZZ_ASSERT(ioasid_lab_state(lab, fuzz_out, FUZZ_OUT_CAP) == 0, "state failed");
	unsigned char *state = fuzz_output(lab, &state_len);
	int32_t err = 0;
	struct ioasid_lab *copy = ioasid_lab_restore(snap, snap_len, &err);
	FUZZ_ASSERT(copy != NULL, "restore of a fresh snapshot failed (%d)", err);
	FUZZ_ASSERT(ioasid_lab_serialize(copy, fuzz_out, FUZZ_OUT_CAP) == 0, "serialize of the copy failed");
	unsigned char *snap2 = fuzz_output(copy, &snap2_len);
	FUZZ_ASSERT(snap_len == snap2_len && memcmp(snap, snap2, snap_len) == 0, "snapshot differs after restore");
	FUZZ_ASSERT(ioasid_lab_state(copy, fuzz_out, FUZZ_OUT_CAP) == 0, "state of the copy failed");
	unsigned char *state2 = fuzz_output(copy, &state2_len);
	FUZZ_ASSERT(state_len == state2_len && memcmp(state, state2, state_len) == 0, "state differs after restore");
	fuzz_check_model(copy);
	ioasid_lab_destroy(copy);
	free(snap);
	free(state);
	free(snap2);
	free(state2);
}

#endif
