/* policy_type1.c - the VFIO type1 container (vfio_iommu_type1_attach_group): each group gets a new domain,
 * enforcing iff its IOMMU can, merged into the first existing domain with the same IOMMU ops and the same
 * enforce flag that accepts it. How KVM judges a group file depends on the kernel profile (kernel.c):
 * 6.1 asks the container, 6.2 on asks the group's devices. Reserved-region and aperture conflicts are
 * -EINVAL here (vfio_iommu_resv_conflict). QEMU's legacy container joins the container before FILE_ADD and
 * does FILE_DEL before leaving it (hw/vfio: vfio_kvm_device_add_group / vfio_kvm_device_del_group). */
#include "abi_names.h"
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

/* 6.1 vfio_file_enforced_coherent(): VFIO_DMA_CC_IOMMU of the group's container, i.e.
 * vfio_domains_have_enforce_cache_coherency() over every domain of the container (the VM's IOAS here). */
static bool container_enforces(struct ioasid_lab *lab, struct vm *vm)
{
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas == vm->ioas && h->devices.n && !h->enforce)
			return false;
	}
	return true;
}

/* 6.2 on, drivers/vfio/group.c vfio_group_enforced_coherent(): every device of the group has
 * IOMMU_CAP_ENFORCE_CACHE_COHERENCY; the domain it sits in does not matter. */
static bool group_devices_enforce(struct ioasid_lab *lab, struct device *dev)
{
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *d = lab->devices.v[i];

		if (d->group == dev->group && !d->iommu->enforce)
			return false;
	}
	return true;
}

static bool type1_file_coherent(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	if (lab->profile->type1_judge == KVM_JUDGE_CONTAINER)
		return container_enforces(lab, vm);
	return group_devices_enforce(lab, dev);
}

const struct attach_policy_ops policy_type1_ops = {
	.name = IOASID_POLICY_TYPE1_NAME,
	.auto_attach = type1_auto_attach,
	.file_coherent = type1_file_coherent,
	.domain_before_kvm = true,
	.file_per_group = true,
	.mates_share_by_group = true,
	.no_replace = true,
	.area_conflict_errno = EINVAL,
	.vfio_dma_errnos = true,
};
