/* test_kernels.c - kernel profiles through the ABI: choosing one, refusing what a kernel lacks, keeping
 * the profile across a snapshot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ioasid_lab.h"

static char out[1 << 16];

static struct ioasid_lab *create(uint32_t policy, uint32_t flags, uint32_t kernel, int32_t *err)
{
	struct ioasid_lab_limits limits = { .size = sizeof(limits), .flags = flags, .kernel = kernel };

	return ioasid_lab_create_limits(policy, &limits, err);
}

void kernel_tests(void)
{
	struct ioasid_lab *lab, *copy;
	uint32_t len;
	int32_t err;

	lab = ioasid_lab_create(IOASID_POLICY_TYPE1);
	CHECK("default kernel is 6.12", ioasid_lab_kernel(lab) == IOASID_KERNEL_6_12);
	ioasid_lab_destroy(lab);

	lab = create(IOASID_POLICY_TYPE1, IOASID_LIMITS_KERNEL, IOASID_KERNEL_6_1, &err);
	CHECK("type1 on 6.1", lab && err == 0 && ioasid_lab_kernel(lab) == IOASID_KERNEL_6_1);
	ioasid_lab_serialize(lab, out, sizeof(out));
	memcpy(&len, out, 4);
	copy = ioasid_lab_restore(out + 4, len, &err);
	CHECK("snapshot keeps the kernel", copy && ioasid_lab_kernel(copy) == IOASID_KERNEL_6_1);
	ioasid_lab_destroy(copy);
	ioasid_lab_destroy(lab);

	CHECK("iommufd on 6.1 is EOPNOTSUPP",
	      !create(IOASID_POLICY_IOMMUFD, IOASID_LIMITS_KERNEL, IOASID_KERNEL_6_1, &err) && err == -EOPNOTSUPP);
	lab = create(IOASID_POLICY_IOMMUFD, IOASID_LIMITS_KERNEL, IOASID_KERNEL_6_6, &err);
	CHECK("iommufd on 6.6", lab && err == 0);
	ioasid_lab_destroy(lab);
	CHECK("unknown kernel is EINVAL",
	      !create(IOASID_POLICY_TYPE1, IOASID_LIMITS_KERNEL, IOASID_KERNEL_MAX, &err) && err == -EINVAL);
	CHECK("a kernel without its flag is EINVAL", !create(IOASID_POLICY_TYPE1, 0, 1, &err) && err == -EINVAL);
	CHECK("unknown limit flags are EOPNOTSUPP",
	      !create(IOASID_POLICY_TYPE1, 1u << 5, 0, &err) && err == -EOPNOTSUPP);
}
