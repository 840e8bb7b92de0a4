/* ioas.c - I/O address spaces: the sorted, non-overlapping areas of io_pagetable.c and the checks of
 * iopt_check_iova() (alignment, overflow, reserved ranges, overlap), mirrored into every HWPT of the IOAS. */
#include <stdlib.h>
#include <string.h>
#include "lab_internal.h"

struct ioas *ioas_new(struct ioasid_lab *lab, uint32_t id)
{
	struct ioas *ioas = calloc(1, sizeof(*ioas));

	if (!ioas)
		return NULL;
	ioas->id = id;
	if (pvec_push(&lab->ioas, ioas)) {
		free(ioas);
		return NULL;
	}
	return ioas;
}

void ioas_free(struct ioas *ioas)
{
	free(ioas->areas);
	free(ioas);
}

/* Index of the first area whose last >= iova. */
static size_t area_lower_bound(const struct ioas *ioas, uint64_t iova)
{
	size_t lo = 0, hi = ioas->nr_areas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ioas->areas[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int ioas_insert_area(struct ioas *ioas, uint64_t iova, uint64_t last, bool read, bool write)
{
	size_t at = area_lower_bound(ioas, iova);

	if (ioas->nr_areas == ioas->cap_areas) {
		size_t cap = ioas->cap_areas ? ioas->cap_areas * 2 : 4;
		struct area *areas = realloc(ioas->areas, cap * sizeof(*areas));

		if (!areas)
			return -ENOMEM;
		ioas->areas = areas;
		ioas->cap_areas = cap;
	}
	memmove(ioas->areas + at + 1, ioas->areas + at, (ioas->nr_areas - at) * sizeof(*ioas->areas));
	ioas->areas[at] = (struct area){ iova, last, read, write };
	ioas->nr_areas++;
	return 0;
}

static void ioas_remove_areas(struct ioas *ioas, size_t from, size_t to)
{
	if (from == to)
		return;
	memmove(ioas->areas + from, ioas->areas + to, (ioas->nr_areas - to) * sizeof(*ioas->areas));
	ioas->nr_areas -= to - from;
}

/* iopt->iova_alignment: the smallest page of every domain of the IOAS; byte granular without one. */
uint64_t ioas_alignment(struct ioasid_lab *lab, struct ioas *ioas)
{
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas == ioas)
			return 4096;
	}
	return 1;
}

bool ioas_reserved_hit(struct ioasid_lab *lab, struct ioas *ioas, uint64_t start, uint64_t last, uint64_t *rs,
		       uint64_t *rl, const char **owner)
{
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];
		uint64_t top = pt_last_iova(&h->pt);

		if (h->ioas != ioas)
			continue;
		/* iopt_table_add_domain() reserves what lies past the domain's aperture. */
		if (top != UINT64_MAX && last > top) {
			*rs = top + 1;
			*rl = UINT64_MAX;
			*owner = "the aperture of a domain";
			return true;
		}
		/* Each attached device reserves its IOMMU's regions (iopt_table_enforce_dev_resv_regions). */
		for (size_t j = 0; j < h->devices.n; j++) {
			struct device *d = h->devices.v[j];

			for (uint32_t k = 0; k < d->iommu->nr_resv; k++) {
				const struct resv *r = &d->iommu->resv[k];

				if (r->start <= last && start <= r->last) {
					*rs = r->start;
					*rl = r->last;
					*owner = d->name;
					return true;
				}
			}
		}
	}
	return false;
}

static void unmap_from_hwpts(struct ioasid_lab *lab, struct ioas *ioas, uint64_t iova, uint64_t last)
{
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas == ioas)
			pt_unmap(&h->pt, iova, last);
	}
}

/* A range past 2^64: iommufd says EOVERFLOW, type1's vfio_dma_do_map/unmap say EINVAL. */
static int overflow_errno(const struct ioasid_lab *lab)
{
	return lab->ops->vfio_dma_errnos ? EINVAL : EOVERFLOW;
}

int ioas_map(struct ioasid_lab *lab, struct ioas *ioas, uint64_t iova, uint64_t length, bool read, bool write)
{
	uint64_t align, last, rs, rl, need = 0;
	uint64_t room = lab->pool->max_bytes > lab->pool->bytes ? lab->pool->max_bytes - lab->pool->bytes : 0;
	const char *owner;
	size_t at;
	int rc;

	if (iova == UINT64_MAX || length == UINT64_MAX)
		return lab_err(lab, overflow_errno(lab), "ioas %u: iova 0x%llx+0x%llx is out of range", ioas->id,
			       (unsigned long long)iova, (unsigned long long)length);
	if (!read && !write)
		return lab_err(lab, EINVAL, "ioas %u: a mapping must be readable or writable", ioas->id);
	if (!length)
		return lab_err(lab, EINVAL, "ioas %u: length 0", ioas->id);
	align = ioas_alignment(lab, ioas);
	/* iopt_alloc_area_pages() checks the length's alignment before iopt_check_iova() looks at the IOVA's
	 * alignment and at overflow, so a misaligned length wins over a wrapping IOVA. */
	if (length & (align - 1))
		return lab_err(lab, EINVAL, "ioas %u: length 0x%llx is not a multiple of 0x%llx", ioas->id,
			       (unsigned long long)length, (unsigned long long)align);
	if (iova & (align - 1))
		return lab_err(lab, EINVAL, "ioas %u: iova 0x%llx is not aligned to 0x%llx", ioas->id,
			       (unsigned long long)iova, (unsigned long long)align);
	if (__builtin_add_overflow(iova, length - 1, &last))
		return lab_err(lab, overflow_errno(lab), "ioas %u: iova 0x%llx+0x%llx wraps past 2^64", ioas->id,
			       (unsigned long long)iova, (unsigned long long)length);
	if (ioas_reserved_hit(lab, ioas, iova, last, &rs, &rl, &owner))
		return lab_err(lab, EINVAL, "ioas %u: iova 0x%llx+0x%llx overlaps reserved 0x%llx-0x%llx of %s",
			       ioas->id, (unsigned long long)iova, (unsigned long long)length, (unsigned long long)rs,
			       (unsigned long long)rl, owner);
	at = area_lower_bound(ioas, iova);
	if (at < ioas->nr_areas && ioas->areas[at].iova <= last) {
		const struct area *a = &ioas->areas[at];

		return lab_err(lab, EEXIST, "ioas %u: iova 0x%llx+0x%llx overlaps area 0x%llx+0x%llx", ioas->id,
			       (unsigned long long)iova, (unsigned long long)length, (unsigned long long)a->iova,
			       (unsigned long long)(a->last - a->iova + 1));
	}
	/* A map that cannot fit the lab's table budget is refused from the arithmetic, before any table is built
	 * (the same answer the walk below would reach after filling the pool). */
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		const struct hwpt *h = lab->hwpts.v[i];
		uint64_t least;

		if (h->ioas != ioas)
			continue;
		least = pt_map_min_bytes(&h->pt, iova, last);
		if (least > room - need)
			return lab_err(lab, ENOMEM, "ioas %u: iova 0x%llx+0x%llx: page tables would exceed %llu bytes",
				       ioas->id, (unsigned long long)iova, (unsigned long long)length,
				       (unsigned long long)lab->pool->max_bytes);
		need += least;
	}
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		struct hwpt *h = lab->hwpts.v[i];

		if (h->ioas != ioas)
			continue;
		rc = pt_map(&h->pt, iova, last, read, write, h->enforce);
		if (rc) {
			unmap_from_hwpts(lab, ioas, iova, last);
			return lab_err(lab, ENOMEM, "ioas %u: iova 0x%llx+0x%llx: page tables would exceed %llu bytes",
				       ioas->id, (unsigned long long)iova, (unsigned long long)length,
				       (unsigned long long)lab->pool->max_bytes);
		}
	}
	if (ioas_insert_area(ioas, iova, last, read, write)) {
		unmap_from_hwpts(lab, ioas, iova, last);
		return lab_err(lab, ENOMEM, "ioas %u: no memory for an area", ioas->id);
	}
	ef_begin(lab, IOASID_EFFECT_AREA_MAPPED);
	ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
	ef_hex(lab, IOASID_KEY_IOVA, iova);
	ef_hex(lab, IOASID_KEY_LENGTH, length);
	ef_end(lab);
	return 0;
}

int op_ioas_map(struct ioasid_lab *lab, const struct ioasid_ioas_map *a)
{
	struct ioas *ioas;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "ioas.map: nonzero reserved field");
	ioas = lab_find_ioas(lab, a->ioas);
	if (!ioas)
		return lab_err(lab, ENOENT, "no ioas %u", a->ioas);
	return ioas_map(lab, ioas, a->iova, a->length, a->flags & IOASID_MAP_READ, a->flags & IOASID_MAP_WRITE);
}

/* Removes whole areas in [from, to) of the sorted array, from the tables and the IOAS. */
static void ioas_unmap_areas(struct ioasid_lab *lab, struct ioas *ioas, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct area *a = &ioas->areas[i];

		unmap_from_hwpts(lab, ioas, a->iova, a->last);
		ef_begin(lab, IOASID_EFFECT_AREA_UNMAPPED);
		ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
		ef_hex(lab, IOASID_KEY_IOVA, a->iova);
		ef_hex(lab, IOASID_KEY_LENGTH, a->last - a->iova + 1);
		ef_end(lab);
	}
	ioas_remove_areas(ioas, from, to);
}

int op_ioas_unmap(struct ioasid_lab *lab, const struct ioasid_ioas_unmap *a)
{
	struct ioas *ioas;
	uint64_t last;
	size_t from, to;

	if (a->__reserved)
		return lab_err(lab, EOPNOTSUPP, "ioas.unmap: nonzero reserved field");
	ioas = lab_find_ioas(lab, a->ioas);
	if (!ioas)
		return lab_err(lab, ENOENT, "no ioas %u", a->ioas);
	if (a->iova == 0 && a->length == UINT64_MAX) {
		/* iopt_unmap_all(): succeeds on an empty IOAS too. */
		ioas_unmap_areas(lab, ioas, 0, ioas->nr_areas);
		return 0;
	}
	if (a->iova == UINT64_MAX || a->length == UINT64_MAX)
		return lab_err(lab, overflow_errno(lab), "ioas %u: iova 0x%llx+0x%llx is out of range", ioas->id,
			       (unsigned long long)a->iova, (unsigned long long)a->length);
	if (!a->length)
		return lab_err(lab, EINVAL, "ioas %u: length 0", ioas->id);
	if (__builtin_add_overflow(a->iova, a->length - 1, &last))
		return lab_err(lab, overflow_errno(lab), "ioas %u: iova 0x%llx+0x%llx wraps past 2^64", ioas->id,
			       (unsigned long long)a->iova, (unsigned long long)a->length);
	from = area_lower_bound(ioas, a->iova);
	for (to = from; to < ioas->nr_areas && ioas->areas[to].iova <= last; to++) {
		const struct area *ar = &ioas->areas[to];

		/* A range that cuts an area is refused whole. iommufd's iopt_unmap_iova_range() would already
		 * have removed the whole areas before it (docs/conformance.md: a refused op changes nothing in
		 * the lab, by design); type1's vfio_dma_do_unmap() checks first and says EINVAL. */
		if (ar->iova < a->iova || ar->last > last)
			return lab_err(lab, lab->ops->vfio_dma_errnos ? EINVAL : ENOENT,
				       "ioas %u: iova 0x%llx+0x%llx cuts area 0x%llx+0x%llx", ioas->id,
				       (unsigned long long)a->iova, (unsigned long long)a->length,
				       (unsigned long long)ar->iova, (unsigned long long)(ar->last - ar->iova + 1));
	}
	/* type1 unmaps nothing successfully (0 bytes); iommufd says ENOENT. */
	if (from == to && lab->ops->vfio_dma_errnos)
		return 0;
	if (from == to)
		return lab_err(lab, ENOENT, "ioas %u: nothing mapped in iova 0x%llx+0x%llx", ioas->id,
			       (unsigned long long)a->iova, (unsigned long long)a->length);
	ioas_unmap_areas(lab, ioas, from, to);
	return 0;
}

int ioas_check_reservation(struct ioasid_lab *lab, struct ioas *ioas, uint64_t start, uint64_t last, const char *owner)
{
	for (uint32_t i = 0; i < ioas->nr_allowed; i++) {
		const struct ioasid_iova_range *r = &ioas->allowed[i];

		if (r->start <= last && start <= r->last)
			return lab_err(lab, EADDRINUSE,
				       "ioas %u: reserved 0x%llx-0x%llx of %s overlaps allowed 0x%llx-0x%llx", ioas->id,
				       (unsigned long long)start, (unsigned long long)last, owner,
				       (unsigned long long)r->start, (unsigned long long)r->last);
	}
	return 0;
}

int op_ioas_allow(struct ioasid_lab *lab, const struct ioasid_ioas_allow *a)
{
	struct ioasid_iova_range ranges[IOASID_MAX_ALLOWED];
	struct ioas *ioas = lab_find_ioas(lab, a->ioas);
	uint64_t rs, rl;
	const char *owner;

	if (!ioas)
		return lab_err(lab, ENOENT, "no ioas %u", a->ioas);
	if (a->nr_ranges > IOASID_MAX_ALLOWED)
		return lab_err(lab, EINVAL, "ioas %u: %u allowed ranges, at most %u", ioas->id, a->nr_ranges,
			       IOASID_MAX_ALLOWED);
	memcpy(ranges, a->ranges, sizeof(ranges));
	/* Sorted by start (insertion sort: at most 16), then disjoint. */
	for (uint32_t i = 1; i < a->nr_ranges; i++)
		for (uint32_t j = i; j > 0 && ranges[j].start < ranges[j - 1].start; j--) {
			struct ioasid_iova_range t = ranges[j];

			ranges[j] = ranges[j - 1];
			ranges[j - 1] = t;
		}
	for (uint32_t i = 0; i < a->nr_ranges; i++) {
		if (ranges[i].start > ranges[i].last)
			return lab_err(lab, EINVAL, "ioas %u: allowed range 0x%llx-0x%llx is backwards", ioas->id,
				       (unsigned long long)ranges[i].start, (unsigned long long)ranges[i].last);
		if (i && ranges[i].start <= ranges[i - 1].last)
			return lab_err(lab, EINVAL, "ioas %u: allowed ranges 0x%llx-0x%llx and 0x%llx-0x%llx overlap",
				       ioas->id, (unsigned long long)ranges[i - 1].start,
				       (unsigned long long)ranges[i - 1].last, (unsigned long long)ranges[i].start,
				       (unsigned long long)ranges[i].last);
		if (ioas_reserved_hit(lab, ioas, ranges[i].start, ranges[i].last, &rs, &rl, &owner))
			return lab_err(lab, EADDRINUSE,
				       "ioas %u: allowed 0x%llx-0x%llx overlaps reserved 0x%llx-0x%llx of %s", ioas->id,
				       (unsigned long long)ranges[i].start, (unsigned long long)ranges[i].last,
				       (unsigned long long)rs, (unsigned long long)rl, owner);
	}
	memcpy(ioas->allowed, ranges, sizeof(ranges));
	ioas->nr_allowed = a->nr_ranges;
	ef_begin(lab, IOASID_EFFECT_IOAS_ALLOWED_CHANGED);
	ef_u32(lab, IOASID_KEY_IOAS, ioas->id);
	ef_end(lab);
	return 0;
}

struct copy_req {
	struct ioas *dst, *src;
	uint64_t dst_iova, src_iova, length;
	bool read, write;
};

static int do_copy(struct ioasid_lab *lab, const void *arg)
{
	const struct copy_req *c = arg;
	uint64_t last = c->src_iova + (c->length - 1);
	size_t i = area_lower_bound(c->src, c->src_iova);
	struct area pieces[64];
	size_t n = 0;
	int rc = 0;

	/* iopt_get_pages(): the source range must be covered without holes. Collect first: dst may be src. */
	for (uint64_t cur = c->src_iova;; i++) {
		const struct area *a;

		if (i >= c->src->nr_areas || c->src->areas[i].iova > cur)
			return lab_err(lab, ENOENT, "ioas %u: iova 0x%llx+0x%llx is not fully mapped", c->src->id,
				       (unsigned long long)c->src_iova, (unsigned long long)c->length);
		a = &c->src->areas[i];
		if (c->write && !a->write)
			return lab_err(lab, EPERM, "ioas %u: area 0x%llx+0x%llx is not writable", c->src->id,
				       (unsigned long long)a->iova, (unsigned long long)(a->last - a->iova + 1));
		if (n == sizeof(pieces) / sizeof(pieces[0]))
			return lab_err(lab, EINVAL, "ioas %u: a copy may span at most 64 areas", c->src->id);
		pieces[n++] = (struct area){ cur, a->last < last ? a->last : last, c->read, c->write };
		if (a->last >= last)
			break;
		cur = a->last + 1;
	}
	for (size_t k = 0; !rc && k < n; k++)
		rc = ioas_map(lab, c->dst, c->dst_iova + (pieces[k].iova - c->src_iova),
			      pieces[k].last - pieces[k].iova + 1, c->read, c->write);
	return rc;
}

int op_ioas_copy(struct ioasid_lab *lab, const struct ioasid_ioas_copy *a)
{
	struct copy_req c = { 0 };
	uint64_t last;

	if (a->length == UINT64_MAX || a->src_iova == UINT64_MAX || a->dst_iova == UINT64_MAX)
		return lab_err(lab, EOVERFLOW, "ioas.copy: iova or length out of range");
	if (!(a->flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return lab_err(lab, EINVAL, "ioas.copy: a mapping must be readable or writable");
	c.src = lab_find_ioas(lab, a->src_ioas);
	if (!c.src)
		return lab_err(lab, ENOENT, "no ioas %u", a->src_ioas);
	if (!a->length)
		return lab_err(lab, EINVAL, "ioas %u: length 0", a->src_ioas);
	if (__builtin_add_overflow(a->src_iova, a->length - 1, &last))
		return lab_err(lab, EOVERFLOW, "ioas %u: iova 0x%llx+0x%llx wraps past 2^64", a->src_ioas,
			       (unsigned long long)a->src_iova, (unsigned long long)a->length);
	c.dst = lab_find_ioas(lab, a->dst_ioas);
	if (!c.dst)
		return lab_err(lab, ENOENT, "no ioas %u", a->dst_ioas);
	c.dst_iova = a->dst_iova;
	c.src_iova = a->src_iova;
	c.length = a->length;
	c.read = a->flags & IOASID_MAP_READ;
	c.write = a->flags & IOASID_MAP_WRITE;
	return lab_transaction(lab, do_copy, &c);
}
