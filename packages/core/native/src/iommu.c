/* iommu.c - hardware of the lab: IOMMU units (with vendor defaults) and the devices behind them.
 * Vendor defaults follow the drivers' get_resv_regions(): the x86 MSI window, AMD's HyperTransport hole, SMMU SW_MSI. */
#include <stdlib.h>
#include <string.h>
#include "abi_names.h"
#include "lab_internal.h"

const char *vendor_name(uint32_t vendor)
{
	static const char *const names[] = IOASID_VENDOR_NAMES;

	return vendor < IOASID_VENDOR_COUNT ? names[vendor] : "unknown";
}

const char *resv_kind_name(uint32_t kind)
{
	static const char *const names[] = IOASID_RESV_KIND_NAMES;

	return kind < IOASID_RESV_KIND_COUNT ? names[kind] : "unknown";
}

const char *device_kind_name(uint32_t kind)
{
	static const char *const names[] = IOASID_DEVICE_KIND_NAMES;

	return kind < IOASID_DEVICE_KIND_COUNT ? names[kind] : "unknown";
}

const char *requires_kvm_name(uint32_t kind)
{
	static const char *const names[] = IOASID_REQUIRES_KVM_NAMES;

	return kind < IOASID_REQUIRES_KVM_COUNT ? names[kind] : "unknown";
}

uint32_t levels_for_bits(uint32_t bits)
{
	return bits == 39 ? 3 : bits == 57 ? 5 : 4;
}

struct iommu *iommu_new(struct ioasid_lab *lab)
{
	struct iommu *u = calloc(1, sizeof(*u));

	if (u && pvec_push(&lab->iommus, u)) {
		free(u);
		return NULL;
	}
	return u;
}

struct device *device_new(struct ioasid_lab *lab)
{
	struct device *d = calloc(1, sizeof(*d));

	if (d && pvec_push(&lab->devices, d)) {
		free(d);
		return NULL;
	}
	return d;
}

static void default_regions(struct iommu *u)
{
	switch (u->vendor) {
	case IOASID_VENDOR_AMD:
		u->resv[u->nr_resv++] = (struct resv){ 0xfee00000ull, 0xfeefffffull, IOASID_RESV_MSI };
		u->resv[u->nr_resv++] = (struct resv){ 0xfd00000000ull, 0xffffffffffull, IOASID_RESV_RESERVED };
		break;
	case IOASID_VENDOR_SMMUV3:
		/* MSI_IOVA_BASE/MSI_IOVA_LENGTH of arm-smmu-v3: a software-managed MSI window. */
		u->resv[u->nr_resv++] = (struct resv){ 0x8000000ull, 0x80fffffull, IOASID_RESV_MSI };
		break;
	default:
		u->resv[u->nr_resv++] = (struct resv){ 0xfee00000ull, 0xfeefffffull, IOASID_RESV_MSI };
		break;
	}
}

int op_iommu_add(struct ioasid_lab *lab, const struct ioasid_iommu_add *a)
{
	char name[IOASID_NAME_LEN + 1];
	struct iommu tmp = { 0 }, *u;
	int rc;

	rc = lab_name_check(lab, "iommu", name, a->name);
	if (rc)
		return rc;
	if (lab_find_iommu(lab, name))
		return lab_err(lab, EEXIST, "iommu %s already exists", name);
	if (a->vendor >= IOASID_VENDOR_COUNT)
		return lab_err(lab, EINVAL, "iommu %s: unknown vendor %u", name, a->vendor);
	tmp.vendor = a->vendor;
	tmp.enforce = a->flags & IOASID_IOMMU_ENFORCE_CC;
	tmp.page_sizes = IOASID_PGSIZE_4K | IOASID_PGSIZE_2M | IOASID_PGSIZE_1G;
	if (a->flags & IOASID_IOMMU_HAS_PAGE_SIZES) {
		if (a->page_sizes & ~(IOASID_PGSIZE_4K | IOASID_PGSIZE_2M | IOASID_PGSIZE_1G))
			return lab_err(lab, EINVAL, "iommu %s: page sizes must be among 4096, 2097152, 1073741824", name);
		if (!(a->page_sizes & IOASID_PGSIZE_4K))
			return lab_err(lab, EINVAL, "iommu %s: page sizes must include 4096", name);
		tmp.page_sizes = a->page_sizes;
	}
	tmp.iova_bits = 48;
	if (a->flags & IOASID_IOMMU_HAS_IOVA_BITS) {
		if (a->iova_bits != 39 && a->iova_bits != 48 && a->iova_bits != 57)
			return lab_err(lab, EINVAL, "iommu %s: iovaBits %u is not 39, 48 or 57", name, a->iova_bits);
		tmp.iova_bits = a->iova_bits;
	}
	if (a->flags & IOASID_IOMMU_HAS_RESERVED) {
		if (a->nr_reserved > IOASID_MAX_RESERVED)
			return lab_err(lab, EINVAL, "iommu %s: %u reserved regions, at most %u", name, a->nr_reserved,
				       IOASID_MAX_RESERVED);
		for (uint32_t i = 0; i < a->nr_reserved; i++) {
			const struct ioasid_reserved_region *r = &a->reserved[i];
			uint64_t last;

			if (r->__reserved)
				return lab_err(lab, EOPNOTSUPP, "iommu %s: reserved region %u has nonzero padding", name, i);
			if (r->kind >= IOASID_RESV_KIND_COUNT)
				return lab_err(lab, EINVAL, "iommu %s: reserved region %u has unknown kind %u", name, i,
					       r->kind);
			if (!r->length)
				return lab_err(lab, EINVAL, "iommu %s: reserved region %u has length 0", name, i);
			if (__builtin_add_overflow(r->start, r->length - 1, &last))
				return lab_err(lab, EOVERFLOW, "iommu %s: reserved region 0x%llx+0x%llx wraps", name,
					       (unsigned long long)r->start, (unsigned long long)r->length);
			tmp.resv[tmp.nr_resv++] = (struct resv){ r->start, last, r->kind };
		}
	} else {
		if (a->nr_reserved)
			return lab_err(lab, EINVAL, "iommu %s: reserved regions given without their flag", name);
		default_regions(&tmp);
	}
	rc = lab_take_object(lab, "an iommu");
	if (rc)
		return rc;
	u = iommu_new(lab);
	if (!u) {
		lab_put_object(lab);
		return lab_err(lab, ENOMEM, "no memory for iommu %s", name);
	}
	*u = tmp;
	memcpy(u->name, name, sizeof(u->name));
	ef_begin(lab, IOASID_EFFECT_IOMMU_ADDED);
	ef_str(lab, IOASID_KEY_IOMMU, u->name);
	ef_end(lab);
	return 0;
}

int op_device_add(struct ioasid_lab *lab, const struct ioasid_device_add *a)
{
	char name[IOASID_NAME_LEN + 1], iommu_name[IOASID_NAME_LEN + 1];
	struct iommu *u;
	struct device *d;
	uint32_t group;
	int rc;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "device.add: nonzero reserved field");
	rc = lab_name_check(lab, "device", name, a->name);
	if (rc)
		return rc;
	if (lab_find_device(lab, name))
		return lab_err(lab, EEXIST, "device %s already exists", name);
	rc = lab_name_check(lab, "iommu", iommu_name, a->iommu);
	if (rc)
		return rc;
	u = lab_find_iommu(lab, iommu_name);
	if (!u)
		return lab_err(lab, ENOENT, "device %s: no iommu %s", name, iommu_name);
	if (a->kind >= IOASID_DEVICE_KIND_COUNT)
		return lab_err(lab, EINVAL, "device %s: unknown kind %u", name, a->kind);
	if (a->requires_kvm >= IOASID_REQUIRES_KVM_COUNT)
		return lab_err(lab, EINVAL, "device %s: unknown requiresKvm %u", name, a->requires_kvm);
	group = (a->flags & IOASID_DEVICE_HAS_GROUP) ? a->group : lab->next_group;
	/* An IOMMU group never spans two units: its devices share the translation. */
	for (size_t i = 0; i < lab->devices.n; i++) {
		struct device *o = lab->devices.v[i];

		if (o->group == group && o->iommu != u)
			return lab_err(lab, EINVAL, "device %s: group %u is behind iommu %s, not %s", name, group,
				       o->iommu->name, u->name);
	}
	rc = lab_take_object(lab, "a device");
	if (rc)
		return rc;
	d = device_new(lab);
	if (!d) {
		lab_put_object(lab);
		return lab_err(lab, ENOMEM, "no memory for device %s", name);
	}
	memcpy(d->name, name, sizeof(d->name));
	d->iommu = u;
	d->group = group;
	d->kind = a->kind;
	d->requires_kvm = a->requires_kvm;
	d->nosnoop = a->flags & IOASID_DEVICE_NO_SNOOP;
	if (group >= lab->next_group && group != UINT32_MAX)
		lab->next_group = group + 1;
	ef_begin(lab, IOASID_EFFECT_DEVICE_ADDED);
	ef_str(lab, IOASID_KEY_DEVICE, d->name);
	ef_str(lab, IOASID_KEY_IOMMU, u->name);
	ef_end(lab);
	return 0;
}

int op_device_remove(struct ioasid_lab *lab, const struct ioasid_device_remove *a)
{
	char name[IOASID_NAME_LEN + 1];
	struct device *d;
	int rc;

	rc = lab_name_check(lab, "device", name, a->name);
	if (rc)
		return rc;
	d = lab_find_device(lab, name);
	if (!d)
		return lab_err(lab, ENOENT, "no device %s", name);
	if (d->vm)
		return lab_err(lab, EBUSY, "device %s is attached in vm %s", name, d->vm->name);
	pvec_remove(&lab->devices, d);
	ef_begin(lab, IOASID_EFFECT_DEVICE_REMOVED);
	ef_str(lab, IOASID_KEY_DEVICE, d->name);
	ef_end(lab);
	free(d);
	lab_put_object(lab);
	return 0;
}
