/* policy_shared.c - the 2021 /dev/ioasid proposal: one table per IOAS per IOMMU family (same vendor, page
 * sizes and width). A device whose IOMMU cannot snoop-control downgrades the table (SNP cleared in every PTE);
 * a table never regains SNP. The IOASID layer tells KVM: the VM is coherent iff every table its devices sit on
 * enforces, re-evaluated after every table change. */
#include "abi_names.h"
#include "lab_internal.h"

static int shared_auto_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	struct hwpt *h = NULL;
	int rc;

	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *c = lab->hwpts.v[i];

		if (c->ioas == vm->ioas && c->autod && iommu_same_format(c->iommu, dev->iommu)) {
			h = c;
			break;
		}
	}
	rc = hwpt_check_areas_for_device(lab, vm->ioas, dev);
	if (rc)
		return rc;
	if (!h) {
		rc = hwpt_create(lab, vm->ioas, dev->iommu, dev->iommu->enforce, true, &h);
		if (rc)
			return rc;
	} else if (h->enforce && !dev->iommu->enforce) {
		hwpt_downgrade(lab, h, dev);
	}
	return hwpt_attach(lab, vm, dev, h);
}

bool vm_tables_enforce(struct ioasid_lab *lab, struct vm *vm)
{
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *d = lab->devices.v[i];

		if (d->vm == vm && d->hwpt && !d->hwpt->enforce)
			return false;
	}
	return true;
}

static bool shared_file_coherent(struct ioasid_lab *lab, struct vm *vm, struct device *dev)
{
	(void)dev;
	return vm_tables_enforce(lab, vm);
}

const struct attach_policy_ops policy_shared_ops = {
	.name = IOASID_POLICY_SHARED_NAME,
	.auto_attach = shared_auto_attach,
	.file_coherent = shared_file_coherent,
	.kvm_follows_tables = true,
	.mates_share_by_group = true,
	.area_conflict_errno = EADDRINUSE,
};
