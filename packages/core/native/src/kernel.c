/* kernel.c - kernel profiles: the rules that differ between Linux releases, as data. Each field names the
 * kernel function it follows and, where a commit changed it, that commit; docs/kernels.md has the table. */
#include "abi_names.h"
#include "lab_internal.h"

static const struct kernel_profile profiles[IOASID_KERNEL_MAX] = {
	[IOASID_KERNEL_6_1] = {
		.name = IOASID_KERNEL_6_1_NAME,
		/* iommufd (drivers/iommu/iommufd) and its VFIO integration were merged for 6.2. */
		.has_iommufd = false,
		/* 6.1 drivers/vfio/vfio_main.c vfio_file_enforced_coherent(): a group in a container asks the
		 * container for VFIO_DMA_CC_IOMMU, i.e. vfio_domains_have_enforce_cache_coherency() over every
		 * domain of the container; a group in no container is coherent. */
		.type1_judge = KVM_JUDGE_CONTAINER,
		.iommufd_upgrade_at_attach = false,
	},
	[IOASID_KERNEL_6_6] = {
		.name = IOASID_KERNEL_6_6_NAME,
		.has_iommufd = true,
		/* Since 6.2 drivers/vfio/group.c vfio_group_enforced_coherent(): every device of the group has
		 * IOMMU_CAP_ENFORCE_CACHE_COHERENCY (device_iommu_capable); the container does not matter. */
		.type1_judge = KVM_JUDGE_GROUP_DEVICES,
		/* drivers/iommu/iommufd/device.c iommufd_hw_pagetable_attach() and the replace path called
		 * iommufd_hw_pagetable_enforce_cc() for a device whose IOMMU can enforce, asking the driver's
		 * enforce_cache_coherency() to upgrade an existing domain; removed by commit 2ccabf81ddff
		 * ("iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc"). */
		.iommufd_upgrade_at_attach = true,
	},
	[IOASID_KERNEL_6_12] = {
		.name = IOASID_KERNEL_6_12_NAME,
		.has_iommufd = true,
		.type1_judge = KVM_JUDGE_GROUP_DEVICES,
		/* After 2ccabf81ddff: iommufd_hwpt_paging_alloc() decides enforcement once, at allocation. */
		.iommufd_upgrade_at_attach = false,
	},
};

const struct kernel_profile *kernel_profile(uint32_t kernel)
{
	return kernel < IOASID_KERNEL_MAX ? &profiles[kernel] : NULL;
}

uint32_t ioasid_lab_kernel(const struct ioasid_lab *lab)
{
	return lab->kernel;
}
