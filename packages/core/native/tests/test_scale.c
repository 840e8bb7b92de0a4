/* test_scale.c - a lab at its default object limit: the limit is enforced, and the snapshot every compound
 * op takes (its device references written by index) round-trips at that size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ioasid_lab.h"
#include "lab_internal.h"

#define SCALE_IOMMUS 64
#define SCALE_VMS 40
#define SCALE_PER_VM 40

static char small_out[1 << 12];

static int call(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t len)
{
	return ioasid_lab_ioctl(lab, cmd, arg, len, small_out, sizeof(small_out));
}

static void set_name(char *dst, const char *fmt, unsigned i)
{
	memset(dst, 0, IOASID_NAME_LEN);
	snprintf(dst, IOASID_NAME_LEN, fmt, i);
}

/* The snapshot's bytes, in a buffer of its own (the caller frees it). */
static char *snapshot(struct ioasid_lab *lab, uint32_t *len)
{
	uint32_t cap = 4u << 20;
	char *buf = malloc(cap);

	if (!buf || ioasid_lab_serialize(lab, buf, cap)) {
		free(buf);
		return NULL;
	}
	memcpy(len, buf, 4);
	if (*len + 4 > cap) {
		free(buf);
		return NULL;
	}
	memmove(buf, buf + 4, *len);
	return buf;
}

/* The state document (names, not indices): equal states mean the references came back to the same objects. */
static char *state(struct ioasid_lab *lab)
{
	uint32_t cap = 8u << 20, len;
	char *buf = malloc(cap);

	if (!buf || ioasid_lab_state(lab, buf, cap)) {
		free(buf);
		return NULL;
	}
	memcpy(&len, buf, 4);
	if (len + 5 > cap) {
		free(buf);
		return NULL;
	}
	memmove(buf, buf + 4, len);
	buf[len] = 0;
	return buf;
}

/* IOMMUs, then devices until the lab refuses one; returns how many devices it took. */
static unsigned fill(struct ioasid_lab *lab, int *last_rc)
{
	struct ioasid_iommu_add iommu = { .size = sizeof(iommu) };
	struct ioasid_device_add dev = { .size = sizeof(dev) };
	unsigned n = 0;
	int rc = 0;

	for (unsigned i = 0; i < SCALE_IOMMUS; i++) {
		iommu.flags = i % 2 ? 0 : IOASID_IOMMU_ENFORCE_CC;
		set_name(iommu.name, "iommu%u", i);
		call(lab, IOASID_CMD_IOMMU_ADD, &iommu, sizeof(iommu));
	}
	while (n <= LAB_DEFAULT_MAX_OBJECTS) {
		set_name(dev.name, "d%u", n);
		set_name(dev.iommu, "iommu%u", n % SCALE_IOMMUS);
		rc = call(lab, IOASID_CMD_DEVICE_ADD, &dev, sizeof(dev));
		if (rc)
			break;
		n++;
	}
	*last_rc = rc;
	return n;
}

/* VMs whose devices are spread over the whole device list (v, v + VMS, ...), then one removed VM's devices
 * are gone from the middle of the list, so list indices have moved since the last snapshot. */
static int build_vms(struct ioasid_lab *lab)
{
	struct ioasid_vm_create vm = { .size = sizeof(vm) };
	struct ioasid_vm_attach attach = { .size = sizeof(attach) };
	struct ioasid_device_remove remove = { .size = sizeof(remove) };
	int failed = 0;

	for (unsigned v = 0; v < SCALE_VMS; v++) {
		set_name(vm.name, "vm%u", v);
		vm.nr_devices = 1;
		set_name(vm.devices[0], "d%u", v);
		failed |= call(lab, IOASID_CMD_VM_CREATE, &vm, sizeof(vm));
		for (unsigned k = 1; k < SCALE_PER_VM; k++) {
			set_name(attach.vm, "vm%u", v);
			set_name(attach.device, "d%u", v + k * 97);
			failed |= call(lab, IOASID_CMD_VM_ATTACH, &attach, sizeof(attach));
		}
	}
	for (unsigned i = 0; i < 50; i++) {
		set_name(remove.name, "d%u", 5000 + i * 3);
		failed |= call(lab, IOASID_CMD_DEVICE_REMOVE, &remove, sizeof(remove));
	}
	return failed;
}

void scale_tests(void)
{
	struct ioasid_lab *lab = ioasid_lab_create(IOASID_POLICY_IOMMUFD), *copy;
	char *snap, *again, *before, *after;
	uint32_t len, len2;
	unsigned added;
	int rc, err;

	added = fill(lab, &rc);
	CHECK("default limit: the lab fills to it", added == LAB_DEFAULT_MAX_OBJECTS - SCALE_IOMMUS);
	CHECK("default limit: one more is ENOSPC", rc == -ENOSPC);
	CHECK("default limit: 10,000 devices fit", added >= 10000);
	/* Free room for the VMs' IOAS and HWPTs. */
	for (unsigned i = 0; i < 400; i++) {
		struct ioasid_device_remove remove = { .size = sizeof(remove) };

		set_name(remove.name, "d%u", added - 1 - i);
		call(lab, IOASID_CMD_DEVICE_REMOVE, &remove, sizeof(remove));
	}
	CHECK("big lab: VMs built", build_vms(lab) == 0);
	snap = snapshot(lab, &len);
	CHECK("big lab: snapshot", snap != NULL);
	copy = snap ? ioasid_lab_restore(snap, len, &err) : NULL;
	CHECK("big lab: restore", copy != NULL && err == 0);
	again = copy ? snapshot(copy, &len2) : NULL;
	CHECK("big lab: snapshot round trip", again && len2 == len && memcmp(snap, again, len) == 0);
	before = state(lab);
	after = copy ? state(copy) : NULL;
	CHECK("big lab: restored state", before && after && strstr(before, "\"vm39\"") && !strcmp(before, after));
	free(before);
	free(after);
	free(again);
	free(snap);
	ioasid_lab_destroy(copy);
	ioasid_lab_destroy(lab);
}
