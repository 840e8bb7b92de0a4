/* test_objects.c - the lab through its ioctl ABI: struct size/flag rules, objects, refusal leaves no trace,
 * snapshot round trip, batch framing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "abi_names.h"
#include "ioasid_lab.h"

static char out[1 << 16];

static int call(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t len)
{
	return ioasid_lab_ioctl(lab, cmd, arg, len, out, sizeof(out));
}

static void name(char *dst, const char *src)
{
	memset(dst, 0, IOASID_NAME_LEN);
	memcpy(dst, src, strlen(src));
}

static size_t snapshot(struct ioasid_lab *lab, char **copy)
{
	uint32_t len;

	ioasid_lab_serialize(lab, out, sizeof(out));
	memcpy(&len, out, 4);
	*copy = malloc(len);
	memcpy(*copy, out + 4, len);
	return len;
}

static int same_snapshot(struct ioasid_lab *lab, const char *copy, size_t len)
{
	uint32_t now;

	ioasid_lab_serialize(lab, out, sizeof(out));
	memcpy(&now, out, 4);
	return now == len && memcmp(out + 4, copy, len) == 0;
}

void object_tests(void)
{
	struct ioasid_lab *lab = ioasid_lab_create(IOASID_POLICY_IOMMUFD), *copy;
	struct ioasid_iommu_add iommu = { .size = sizeof(iommu), .flags = IOASID_IOMMU_ENFORCE_CC };
	struct ioasid_device_add dev = { .size = sizeof(dev), .flags = IOASID_DEVICE_NO_SNOOP };
	struct ioasid_vm_create vm = { .size = sizeof(vm) };
	struct ioasid_ioas_map map = { .size = sizeof(map), .flags = IOASID_MAP_READ | IOASID_MAP_WRITE };
	struct ioasid_hwpt_destroy destroy = { .size = sizeof(destroy) };
	unsigned char big[sizeof(struct ioasid_hwpt_destroy) + 8] = { 0 };
	char *snap;
	size_t snap_len;
	int32_t err;

	/* Struct sizes are the ABI the TypeScript encoder writes (src/abi.ts). */
	CHECK("sizeof iommu_add", sizeof(struct ioasid_iommu_add) == 280);
	CHECK("sizeof device_add", sizeof(struct ioasid_device_add) == 152);
	CHECK("sizeof vm_create", sizeof(struct ioasid_vm_create) == 2136);
	CHECK("sizeof vm_attach", sizeof(struct ioasid_vm_attach) == 144);
	CHECK("sizeof vm_detach", sizeof(struct ioasid_vm_detach) == 136);
	CHECK("sizeof replace", sizeof(struct ioasid_device_replace) == 144);
	CHECK("sizeof map", sizeof(struct ioasid_ioas_map) == 32 && sizeof(struct ioasid_ioas_unmap) == 32);
	CHECK("sizeof hwpt_alloc", sizeof(struct ioasid_hwpt_alloc) == 80);
	CHECK("sizeof hwpt_destroy", sizeof(struct ioasid_hwpt_destroy) == 16);
	CHECK("sizeof copy/allow", sizeof(struct ioasid_ioas_copy) == 40 && sizeof(struct ioasid_ioas_allow) == 272);
	CHECK("sizeof refuse", sizeof(struct ioasid_refuse) == 256);
	CHECK("sizeof query/limits", sizeof(struct ioasid_pagetable_query) == 32 &&
					     sizeof(struct ioasid_lab_limits) == 24);

	/* Size and flags rules, on IOMMU_DESTROY's twin. */
	CHECK("destroy unknown", call(lab, IOASID_CMD_HWPT_DESTROY, &destroy, sizeof(destroy)) == -ENOENT);
	destroy.size = sizeof(destroy) - 1;
	CHECK("short struct", call(lab, IOASID_CMD_HWPT_DESTROY, &destroy, sizeof(destroy)) == -EINVAL);
	memcpy(big, &(struct ioasid_hwpt_destroy){ .size = sizeof(big) }, sizeof(destroy));
	CHECK("longer, zero tail", call(lab, IOASID_CMD_HWPT_DESTROY, big, sizeof(big)) == -ENOENT);
	big[sizeof(destroy) + 3] = 1;
	CHECK("longer, nonzero tail", call(lab, IOASID_CMD_HWPT_DESTROY, big, sizeof(big)) == -E2BIG);
	destroy.size = sizeof(destroy);
	destroy.flags = 1;
	CHECK("unknown flags", call(lab, IOASID_CMD_HWPT_DESTROY, &destroy, sizeof(destroy)) == -EOPNOTSUPP);
	destroy.flags = 0;
	destroy.__reserved = 1;
	CHECK("reserved field", call(lab, IOASID_CMD_HWPT_DESTROY, &destroy, sizeof(destroy)) == -EOPNOTSUPP);
	CHECK("size past the buffer", call(lab, IOASID_CMD_HWPT_DESTROY, &destroy, 8) == -EINVAL);
	CHECK("unknown command", call(lab, 999, &destroy, sizeof(destroy)) == -EINVAL);
	{
		uint32_t status;
		uint16_t len;

		memcpy(&status, out + 4, 4);
		memcpy(&len, out + 8, 2);
		CHECK("refusal record", status == EINVAL && len > 0 && memcmp(out + 10, "unknown command", 15) == 0);
	}

	/* Objects. */
	name(iommu.name, "iommu0");
	CHECK("iommu add", call(lab, IOASID_CMD_IOMMU_ADD, &iommu, sizeof(iommu)) == 0);
	CHECK("iommu add twice", call(lab, IOASID_CMD_IOMMU_ADD, &iommu, sizeof(iommu)) == -EEXIST);
	name(iommu.name, "bad name");
	CHECK("iommu bad name", call(lab, IOASID_CMD_IOMMU_ADD, &iommu, sizeof(iommu)) == -EINVAL);
	name(dev.name, "A");
	name(dev.iommu, "iommu0");
	CHECK("device add", call(lab, IOASID_CMD_DEVICE_ADD, &dev, sizeof(dev)) == 0);
	name(vm.name, "VM1");
	vm.nr_devices = 1;
	name(vm.devices[0], "A");
	CHECK("vm create", call(lab, IOASID_CMD_VM_CREATE, &vm, sizeof(vm)) == 0);
	{
		uint32_t status, count;
		const unsigned char *e = (const unsigned char *)out + 12;
		int found = 0;

		memcpy(&status, out + 4, 4);
		memcpy(&count, out + 8, 4);
		/* Walk the effect records: type, field count, fields. */
		for (uint32_t i = 0; i < count; i++) {
			unsigned fields = e[1];

			found |= e[0] == IOASID_EFFECT_HWPT_CREATED;
			e += 2;
			for (unsigned f = 0; f < fields; f++) {
				unsigned key = *e++;

				if (key <= IOASID_KEY_IOMMU)
					e += 1 + *e;
				else if (key == IOASID_KEY_IOVA || key == IOASID_KEY_LENGTH)
					e += 8;
				else if (key == IOASID_KEY_ENFORCE_CC)
					e += 1;
				else
					e += 4;
			}
		}
		CHECK("effects written", status == 0 && count >= 6 && found);
		CHECK("effect records fill the output", (const char *)e == out + 4 + *(uint32_t *)out);
	}

	snap_len = snapshot(lab, &snap);
	map.ioas = 1;
	map.iova = 0xfee00000ull;
	map.length = 4096;
	CHECK("map into the MSI window", call(lab, IOASID_CMD_IOAS_MAP, &map, sizeof(map)) == -EINVAL);
	name(vm.name, "VM2");
	/* iommufd: a cdev already bound to another iommufd cannot be bound again (vfio_df_open). */
	CHECK("vm with a device owned elsewhere", call(lab, IOASID_CMD_VM_CREATE, &vm, sizeof(vm)) == -EINVAL);
	CHECK("refusals leave no trace", same_snapshot(lab, snap, snap_len));

	copy = ioasid_lab_restore(snap, (uint32_t)snap_len, &err);
	CHECK("restore", copy && err == 0);
	if (copy) {
		char *again;
		size_t again_len = snapshot(copy, &again);

		CHECK("restore round trip", again_len == snap_len && memcmp(again, snap, snap_len) == 0);
		free(again);
		ioasid_lab_destroy(copy);
	}
	CHECK("restore refuses a cut snapshot", !ioasid_lab_restore(snap, (uint32_t)snap_len - 1, &err) && err == -EINVAL);
	{
		/* A device record: name[64], iommu index, group, kind, requires_kvm. Every enum a snapshot holds
		 * is checked against its generated count, not against its last value. */
		char device_a[IOASID_NAME_LEN] = "A";
		char *at = NULL;
		uint32_t kind = IOASID_DEVICE_KIND_COUNT, requires_kvm = IOASID_REQUIRES_KVM_COUNT, was;

		for (size_t i = 0; !at && i + sizeof(device_a) <= snap_len; i++)
			if (memcmp(snap + i, device_a, sizeof(device_a)) == 0)
				at = snap + i;
		CHECK("device A in the snapshot", at != NULL);
		if (at) {
			memcpy(&was, at + IOASID_NAME_LEN + 8, 4);
			memcpy(at + IOASID_NAME_LEN + 8, &kind, 4);
			CHECK("restore refuses an unknown device kind", !ioasid_lab_restore(snap, (uint32_t)snap_len, &err) && err == -EINVAL);
			memcpy(at + IOASID_NAME_LEN + 8, &was, 4);
			memcpy(&was, at + IOASID_NAME_LEN + 12, 4);
			memcpy(at + IOASID_NAME_LEN + 12, &requires_kvm, 4);
			CHECK("restore refuses an unknown KVM requirement", !ioasid_lab_restore(snap, (uint32_t)snap_len, &err) && err == -EINVAL);
			memcpy(at + IOASID_NAME_LEN + 12, &was, 4);
			copy = ioasid_lab_restore(snap, (uint32_t)snap_len, &err);
			CHECK("restored again once mended", copy != NULL);
			ioasid_lab_destroy(copy);
		}
	}
	free(snap);

	/* Batch framing: a malformed record runs nothing. */
	{
		unsigned char batch[8 + sizeof(struct ioasid_hwpt_destroy)];
		uint32_t hdr[2] = { IOASID_CMD_HWPT_DESTROY, sizeof(batch) - 1 };

		memcpy(batch, hdr, 8);
		memcpy(batch + 8, &(struct ioasid_hwpt_destroy){ .size = sizeof(struct ioasid_hwpt_destroy) }, 16);
		CHECK("bad record length", ioasid_lab_batch(lab, batch, sizeof(batch), 0, out, sizeof(out)) == -EINVAL);
		hdr[1] = sizeof(batch);
		memcpy(batch, hdr, 8);
		CHECK("one record", ioasid_lab_batch(lab, batch, sizeof(batch), 0, out, sizeof(out)) == 1);
		CHECK("batch flags", ioasid_lab_batch(lab, batch, sizeof(batch), 4, out, sizeof(out)) == -EOPNOTSUPP);
		/* Refused only: the output is the count of refused ops (this destroy of no table is one). */
		{
			uint32_t len = 0, refused = 0;

			CHECK("refused only runs the op",
			      ioasid_lab_batch(lab, batch, sizeof(batch), IOASID_BATCH_REFUSED_ONLY, out, sizeof(out)) == 1);
			memcpy(&len, out, 4);
			memcpy(&refused, out + 4, 4);
			CHECK("refused only: one u32", len == 4);
			CHECK("refused only: the destroy was refused", refused == 1);
		}
	}

	/* Output larger than the caller's buffer: only the length, then fetch. */
	{
		char small[16];
		uint32_t len;

		CHECK("state into a small buffer", ioasid_lab_state(lab, small, sizeof(small)) == 0);
		memcpy(&len, small, 4);
		CHECK("length reported", len > sizeof(small));
		CHECK("fetch too small", ioasid_lab_fetch(lab, small, sizeof(small)) == -ENOSPC);
		CHECK("fetch", ioasid_lab_fetch(lab, out, sizeof(out)) == (int32_t)len && out[4] == '{');
	}
	ioasid_lab_destroy(lab);
}
