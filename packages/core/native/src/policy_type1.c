/* policy_type1.c - the VFIO type1 container (vfio_iommu_type1_attach_group): each group gets a new domain,
 * enforcing iff its IOMMU can, merged into the first existing domain with the same IOMMU ops and the same
 * enforce flag that accepts it. KVM judges a group file by the container: all domains enforce
 * (VFIO_DMA_CC_IOMMU). Reserved-region and aperture conflicts are -EINVAL here (vfio_iommu_resv_conflict). */
#include "lab_internal.h"

static int type1_auto_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	bool enforce = dev->iommu->enforce;
	struct hwpt *h;
	int rc;

	rc = hwpt_check_areas_for_device(lab, vm->ioas, dev);
	if (rc)
		return rc;
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		h = lab->hwpts.v[i];
		if (h->ioas != vm->ioas || !h->autod || h->iommu->vendor != dev->iommu->vendor || h->enforce != enforce)
			continue;
		if (!hwpt_attach(lab, vm, dev, h))
			return 0;
	}
	lab->msg[0] = 0;
	rc = hwpt_create(lab, vm->ioas, dev->iommu, enforce, true, &h);
	if (!rc)
		rc = hwpt_attach(lab, vm, dev, h);
	return rc;
}

static bool type1_file_coherent(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	(void)dev;
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas == vm->ioas && h->devices.n && !h->enforce)
			return false;
	}
	return true;
}

const struct attach_policy_ops policy_type1_ops = {
	.name = "type1",
	.auto_attach = type1_auto_attach,
	.file_coherent = type1_file_coherent,
	.domain_before_kvm = true,
	.area_conflict_errno = EINVAL,
};
