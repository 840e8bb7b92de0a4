/* policy_iommufd.c - today's kernel: iommufd_device_auto_get_domain(). Existing auto domains of the IOAS are
 * tried in creation order (-EINVAL means incompatible: try the next); else a new domain enforcing iff the
 * device's IOMMU can. KVM judges each file by its device's IOMMU (vfio_file_enforced_coherent). */
#include "abi_names.h"
#include "lab_internal.h"

static int iommufd_auto_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	struct hwpt *h;
	int rc;

	for (size_t i = 0; i < lab->hwpts.n; i++) {
		h = lab->hwpts.v[i];
		if (h->ioas != vm->ioas || !h->autod)
			continue;
		rc = hwpt_attach(lab, vm, dev, h);
		if (rc != -EINVAL)
			return rc;
	}
	lab->msg[0] = 0;
	/* iommufd_hwpt_paging_alloc(immediate_attach): reserved regions are checked at attach, before the
	 * domain joins the IOAS. */
	rc = hwpt_check_areas_for_device(lab, vm->ioas, dev);
	if (!rc)
		rc = hwpt_create(lab, vm->ioas, dev->iommu, dev->iommu->enforce, true, &h);
	if (!rc)
		rc = hwpt_attach(lab, vm, dev, h);
	return rc;
}

static bool iommufd_file_coherent(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	(void)lab;
	(void)vm;
	return dev->iommu->enforce;
}

const struct attach_policy_ops policy_iommufd_ops = {
	.name = IOASID_POLICY_IOMMUFD_NAME,
	.auto_attach = iommufd_auto_attach,
	.file_coherent = iommufd_file_coherent,
	.area_conflict_errno = EADDRINUSE,
	.cdev_ownership = true,
};
