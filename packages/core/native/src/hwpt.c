/* hwpt.c - hardware page tables (iommu_domain): creation from an IOAS's areas (iopt_table_add_domain),
 * the driver's compatibility test (intel paging_domain_compatible), attach/detach and snoop downgrade. */
#include <stdlib.h>
#include <string.h>
#include "lab_internal.h"

struct hwpt *hwpt_new(struct ioasid_lab *lab, uint32_t id, struct ioas *ioas, struct iommu *iommu, bool enforce,
		      bool autod, bool with_table)
{
	struct hwpt *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->id = id;
	h->ioas = ioas;
	h->iommu = iommu;
	h->enforce = enforce;
	h->autod = autod;
	if (with_table && pt_init(&h->pt, lab->pool, levels_for_bits(iommu->iova_bits), iommu->page_sizes)) {
		free(h);
		return NULL;
	}
	if (pvec_push(&lab->hwpts, h)) {
		pt_fini(&h->pt);
		free(h);
		return NULL;
	}
	return h;
}

void hwpt_free(struct ioasid_lab *lab, struct hwpt *h)
{
	(void)lab;
	pt_fini(&h->pt);
	pvec_free(&h->devices);
	free(h);
}

int hwpt_populate(struct ioasid_lab *lab, struct hwpt *h)
{
	(void)lab;
	for (size_t i = 0; i < h->ioas->nr_areas; i++) {
		const struct area *a = &h->ioas->areas[i];
		int rc = pt_map(&h->pt, a->iova, a->last, a->read, a->write, h->enforce);

		if (rc)
			return rc;
	}
	return 0;
}

/* iopt_table_add_domain(): every area must fit the new domain's pages and aperture. */
static int hwpt_check_areas(struct ioasid_lab *lab, struct ioas *ioas, struct iommu *iommu, int conflict)
{
	uint64_t top = (1ull << iommu->iova_bits) - 1;

	for (size_t i = 0; i < ioas->nr_areas; i++) {
		const struct area *a = &ioas->areas[i];
		uint64_t len = a->last - a->iova + 1;

		if ((a->iova | len) & 4095)
			return lab_err(lab, conflict,
				       "area 0x%llx+0x%llx of ioas %u is not aligned to the 0x1000 pages of iommu %s",
				       (unsigned long long)a->iova, (unsigned long long)len, ioas->id, iommu->name);
		if (a->last > top)
			return lab_err(lab, conflict,
				       "area 0x%llx+0x%llx of ioas %u is past the %u-bit aperture of iommu %s",
				       (unsigned long long)a->iova, (unsigned long long)len, ioas->id, iommu->iova_bits,
				       iommu->name);
	}
	if (top != UINT64_MAX)
		return ioas_check_reservation(lab, ioas, top + 1, UINT64_MAX, "the domain aperture");
	return 0;
}

int hwpt_create(struct ioasid_lab *lab, struct ioas *ioas, struct iommu *iommu, bool enforce, bool autod,
		struct hwpt **out)
{
	struct hwpt *h;
	int rc;

	rc = hwpt_check_areas(lab, ioas, iommu, autod ? lab->ops->area_conflict_errno : EADDRINUSE);
	if (rc)
		return rc;
	rc = lab_take_object(lab, "a hwpt");
	if (rc)
		return rc;
	h = hwpt_new(lab, lab->next_id, ioas, iommu, enforce, autod, true);
	if (!h) {
		lab_put_object(lab);
		return lab_err(lab, ENOMEM, "no memory for a hwpt: page tables would exceed %llu bytes",
			       (unsigned long long)lab->pool->max_bytes);
	}
	rc = hwpt_populate(lab, h);
	if (rc) {
		pvec_remove(&lab->hwpts, h);
		hwpt_free(lab, h);
		lab_put_object(lab);
		return lab_err(lab, ENOMEM, "hwpt for ioas %u: page tables would exceed %llu bytes", ioas->id,
			       (unsigned long long)lab->pool->max_bytes);
	}
	lab->next_id++;
	ef_begin(lab, IOASID_EFFECT_HWPT_CREATED);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
	ef_str(lab, IOASID_KEY_IOMMU, iommu->name);
	ef_bool(lab, IOASID_KEY_ENFORCE_CC, enforce);
	ef_end(lab);
	*out = h;
	return 0;
}

void hwpt_destroy(struct ioasid_lab *lab, struct hwpt *h)
{
	pvec_remove(&lab->hwpts, h);
	ef_begin(lab, IOASID_EFFECT_HWPT_DESTROYED);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_end(lab);
	hwpt_free(lab, h);
	lab_put_object(lab);
}

bool iommu_same_format(const struct iommu *a, const struct iommu *b)
{
	return a->vendor == b->vendor && a->page_sizes == b->page_sizes && a->iova_bits == b->iova_bits;
}

/* The driver's test (iommu_attach_group -> paging_domain_compatible); every refusal is EINVAL. */
int hwpt_compatible(struct ioasid_lab *lab, struct hwpt *h, struct device *dev)
{
	struct iommu *u = dev->iommu;

	if (u->vendor != h->iommu->vendor)
		return lab_err(lab, EINVAL, "device %s is behind %s iommu %s; hwpt %u is a %s domain", dev->name,
			       vendor_name(u->vendor), u->name, h->id, vendor_name(h->iommu->vendor));
	if (u->page_sizes != h->iommu->page_sizes)
		return lab_err(lab, EINVAL, "iommu %s supports other page sizes than hwpt %u", u->name, h->id);
	if (u->iova_bits < h->iommu->iova_bits)
		return lab_err(lab, EINVAL, "iommu %s translates %u bits, hwpt %u needs %u", u->name, u->iova_bits,
			       h->id, h->iommu->iova_bits);
	if (h->enforce && !u->enforce)
		return lab_err(lab, EINVAL, "hwpt %u enforces cache coherency; iommu %s of device %s has no snoop control",
			       h->id, u->name, dev->name);
	return 0;
}

/* iommufd_device_attach_reserved_iova(): the device's reserved regions must hold no area. */
int hwpt_check_areas_for_device(struct ioasid_lab *lab, struct ioas *ioas, struct device *dev)
{
	int conflict = lab->ops->area_conflict_errno;
	int rc;

	for (uint32_t k = 0; k < dev->iommu->nr_resv; k++) {
		const struct resv *r = &dev->iommu->resv[k];

		for (size_t i = 0; i < ioas->nr_areas; i++) {
			const struct area *a = &ioas->areas[i];

			if (a->iova <= r->last && r->start <= a->last)
				return lab_err(lab, conflict,
					       "area 0x%llx+0x%llx of ioas %u overlaps the %s region 0x%llx-0x%llx of iommu %s",
					       (unsigned long long)a->iova, (unsigned long long)(a->last - a->iova + 1),
					       ioas->id, resv_kind_name(r->kind), (unsigned long long)r->start,
					       (unsigned long long)r->last, dev->iommu->name);
		}
		rc = ioas_check_reservation(lab, ioas, r->start, r->last, dev->iommu->name);
		if (rc)
			return rc;
	}
	return 0;
}

struct device *group_mate_attached(struct ioasid_lab *lab, struct device *dev)
{
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *o = lab->devices.v[i];

		if (o != dev && o->group == dev->group && o->hwpt)
			return o;
	}
	return NULL;
}

/* Whether the driver's enforce_cache_coherency() op turns an existing domain into an enforcing one.
 * VT-d (intel_iommu_enforce_cache_coherency): only if every device on it is behind a unit with snoop
 * control (domain_support_force_snooping) and, for a second-level table, before it has mappings, since
 * the SNP bit would be missing from the PTEs already written. AMD-Vi (amd_iommu_enforce_cache_coherency):
 * its v1 tables always set the force-coherent bit, so it succeeds when every unit can enforce. SMMUv3 had
 * no enforce_cache_coherency op before 6.12, so iommufd_hw_pagetable_enforce_cc() failed. */
static bool driver_enforce_cache_coherency(struct hwpt *h)
{
	for (size_t i = 0; i < h->devices.n; i++)
		if (!((struct device *)h->devices.v[i])->iommu->enforce)
			return false;
	if (!h->iommu->enforce)
		return false;
	switch (h->iommu->vendor) {
	case IOASID_VENDOR_VTD:
		return h->ioas->nr_areas == 0;
	case IOASID_VENDOR_AMD:
		return true;
	default:
		return false;
	}
}

int hwpt_enforce_cc(struct ioasid_lab *lab, struct hwpt *h, struct device *dev)
{
	if (h->enforce)
		return 0;
	if (!driver_enforce_cache_coherency(h))
		return lab_err(lab, EINVAL,
			       "hwpt %u does not enforce cache coherency and its %s driver cannot upgrade it for device %s",
			       h->id, vendor_name(h->iommu->vendor), dev->name);
	h->enforce = true;
	pt_set_snoop(&h->pt, true);
	ef_begin(lab, IOASID_EFFECT_HWPT_SNOOP_UPGRADED);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_end(lab);
	return 0;
}

/* Kernels before 2ccabf81ddff: iommufd_hw_pagetable_attach() (and replace) first asked the domain to
 * enforce when the device's IOMMU could (idev->enforce_cache_coherency). */
int hwpt_upgrade_for(struct ioasid_lab *lab, struct hwpt *h, struct device *dev)
{
	if (!lab->profile->iommufd_upgrade_at_attach || lab->policy != IOASID_POLICY_IOMMUFD || !dev->iommu->enforce)
		return 0;
	return hwpt_enforce_cc(lab, h, dev);
}

/* iommufd_hw_pagetable_attach(): group check, reserved regions, then the driver; links on success. */
int hwpt_attach(struct ioasid_lab *lab, struct vm *vm, struct device *dev, struct hwpt *h)
{
	struct device *mate = group_mate_attached(lab, dev);
	int rc;

	if (mate && mate->hwpt != h)
		return lab_err(lab, EINVAL, "group %u of device %s is attached to hwpt %u, not %u", dev->group, dev->name,
			       mate->hwpt->id, h->id);
	rc = hwpt_upgrade_for(lab, h, dev);
	if (rc)
		return rc;
	rc = hwpt_check_areas_for_device(lab, h->ioas, dev);
	if (rc)
		return rc;
	rc = hwpt_compatible(lab, h, dev);
	if (rc)
		return rc;
	if (pvec_push(&h->devices, dev))
		return lab_err(lab, ENOMEM, "no memory to attach device %s", dev->name);
	dev->hwpt = h;
	ef_begin(lab, IOASID_EFFECT_DEVICE_ATTACHED);
	ef_str(lab, IOASID_KEY_VM, vm->name);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_end(lab);
	return 0;
}

/* Unlinks dev from its HWPT; an auto HWPT left without devices is destroyed. */
void hwpt_detach(struct ioasid_lab *lab, struct device *dev)
{
	struct hwpt *h = dev->hwpt;

	pvec_remove(&h->devices, dev);
	dev->hwpt = NULL;
	ef_begin(lab, IOASID_EFFECT_DEVICE_DETACHED);
	ef_str(lab, IOASID_KEY_VM, dev->vm->name);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_end(lab);
	if (h->autod && h->devices.n == 0)
		hwpt_destroy(lab, h);
}

void hwpt_downgrade(struct ioasid_lab *lab, struct hwpt *h, struct device *dev)
{
	h->enforce = false;
	pt_set_snoop(&h->pt, false);
	ef_begin(lab, IOASID_EFFECT_HWPT_SNOOP_DOWNGRADED);
	ef_u32(lab, IOASID_KEY_HWPT, h->id);
	ef_str(lab, IOASID_KEY_DEVICE, dev->name);
	ef_str(lab, IOASID_KEY_IOMMU, dev->iommu->name);
	ef_end(lab);
}

int op_hwpt_alloc(struct ioasid_lab *lab, const struct ioasid_hwpt_alloc *a)
{
	char name[IOASID_NAME_LEN + 1];
	struct ioas *ioas;
	struct iommu *u;
	struct hwpt *h;
	bool enforce;
	int rc;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "hwpt.alloc: nonzero reserved field");
	/* iommufd_hwpt_alloc() answers EINVAL for a pt_id that names no object. */
	ioas = lab_find_ioas(lab, a->ioas);
	if (!ioas)
		return lab_err(lab, EINVAL, "no ioas %u", a->ioas);
	rc = lab_name_check(lab, "iommu", name, a->iommu);
	if (rc)
		return rc;
	u = lab_find_iommu(lab, name);
	if (!u)
		return lab_err(lab, ENOENT, "no iommu %s", name);
	enforce = (a->flags & IOASID_HWPT_HAS_ENFORCE) ? (a->flags & IOASID_HWPT_ENFORCE) != 0 : u->enforce;
	if (!(a->flags & IOASID_HWPT_HAS_ENFORCE) && (a->flags & IOASID_HWPT_ENFORCE))
		return lab_err(lab, EINVAL, "hwpt.alloc: ENFORCE without HAS_ENFORCE");
	/* iommufd_hwpt_paging_enforce_cc(): a domain that cannot enforce is -EINVAL. */
	if (enforce && !u->enforce)
		return lab_err(lab, EINVAL, "iommu %s has no snoop control: a hwpt on it cannot enforce cache coherency",
			       u->name);
	return hwpt_create(lab, ioas, u, enforce, false, &h);
}

int op_hwpt_destroy(struct ioasid_lab *lab, const struct ioasid_hwpt_destroy *a)
{
	struct hwpt *h;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "hwpt.destroy: nonzero reserved field");
	h = lab_find_hwpt(lab, a->hwpt);
	if (!h)
		return lab_err(lab, ENOENT, "no hwpt %u", a->hwpt);
	if (h->devices.n)
		return lab_err(lab, EBUSY, "hwpt %u is in use by device %s", h->id,
			       ((struct device *)h->devices.v[0])->name);
	hwpt_destroy(lab, h);
	return 0;
}
