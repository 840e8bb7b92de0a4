/* serialize.c - a lab as bytes and back: objects, areas, counters and KVM's view; page tables are rebuilt
 * from the areas (they are canonical). Also the rollback of transactions and atomic batches. Host byte order. */
#include <stdlib.h>
#include <string.h>
#include "abi_names.h"
#include "lab_internal.h"

#define SNAP_MAGIC "IOASLAB\0"
/* Version 2 added the kernel profile after the policy. Version 1 snapshots are refused: their KVM state
 * was computed under rules since corrected (docs/kernels.md), so their owners replay the events instead. */
#define SNAP_VERSION 2u

static void put32(struct sbuf *sb, uint32_t v)
{
	sb_putn(sb, &v, 4);
}

static void put64(struct sbuf *sb, uint64_t v)
{
	sb_putn(sb, &v, 8);
}

static void put8(struct sbuf *sb, uint8_t v)
{
	sb_putn(sb, &v, 1);
}

static uint32_t index_of(const struct pvec *pv, const void *p)
{
	long i = p ? pvec_find(pv, p) : -1;

	return i < 0 ? UINT32_MAX : (uint32_t)i;
}

/* p's index in pv through the hint lab_serialize_to() stamped (at), checked, so writing references costs
 * one step each, not a scan of the lab's list: every compound op takes a snapshot, and a scan per device
 * made the snapshot of a 10,000-device lab quadratic. */
static uint32_t index_at(const struct pvec *pv, const void *p, uint32_t at)
{
	if (p && at < pv->n && pv->v[at] == p)
		return at;
	return index_of(pv, p);
}

static uint32_t device_index(const struct pvec *devices, const struct device *d)
{
	return index_at(devices, d, d ? d->at : 0);
}

static void stamp_indices(const struct ioasid_lab *lab)
{
	for (size_t i = 0; i < lab->iommus.n; i++)
		((struct iommu *)lab->iommus.v[i])->at = (uint32_t)i;
	for (size_t i = 0; i < lab->devices.n; i++)
		((struct device *)lab->devices.v[i])->at = (uint32_t)i;
	for (size_t i = 0; i < lab->vms.n; i++)
		((struct vm *)lab->vms.v[i])->at = (uint32_t)i;
}

/* One saver per object kind, in the order the loaders read them back; references are list indices. */
static void save_iommus(const struct ioasid_lab *lab, struct sbuf *sb)
{
	put32(sb, (uint32_t)lab->iommus.n);
	for (size_t i = 0; i < lab->iommus.n; i++) {
		const struct iommu *u = lab->iommus.v[i];

		sb_putn(sb, u->name, IOASID_NAME_LEN);
		put32(sb, u->vendor);
		put8(sb, u->enforce);
		put32(sb, u->page_sizes);
		put32(sb, u->iova_bits);
		put32(sb, u->nr_resv);
		for (uint32_t k = 0; k < u->nr_resv; k++) {
			put64(sb, u->resv[k].start);
			put64(sb, u->resv[k].last);
			put32(sb, u->resv[k].kind);
		}
	}
}

static void save_devices(const struct ioasid_lab *lab, struct sbuf *sb)
{
	put32(sb, (uint32_t)lab->devices.n);
	for (size_t i = 0; i < lab->devices.n; i++) {
		const struct device *d = lab->devices.v[i];

		sb_putn(sb, d->name, IOASID_NAME_LEN);
		put32(sb, index_at(&lab->iommus, d->iommu, d->iommu ? d->iommu->at : 0));
		put32(sb, d->group);
		put32(sb, d->kind);
		put32(sb, d->requires_kvm);
		put8(sb, d->nosnoop);
		put8(sb, d->kvm_file);
		put32(sb, index_at(&lab->vms, d->vm, d->vm ? d->vm->at : 0));
	}
}

static void save_refs(struct sbuf *sb, const struct pvec *refs, const struct pvec *devices)
{
	put32(sb, (uint32_t)refs->n);
	for (size_t k = 0; k < refs->n; k++)
		put32(sb, device_index(devices, refs->v[k]));
}

static void save_vms(const struct ioasid_lab *lab, struct sbuf *sb)
{
	put32(sb, (uint32_t)lab->vms.n);
	for (size_t i = 0; i < lab->vms.n; i++) {
		const struct vm *vm = lab->vms.v[i];

		sb_putn(sb, vm->name, IOASID_NAME_LEN);
#define SAVE_VM_FIELD(kind, field, json, description) SAVE_##kind(vm->field);
#define SAVE_VM_HEX64(v) put64(sb, v)
#define SAVE_VM_U32(v) put32(sb, v)
#define SAVE_VM_BOOL(v) put8(sb, v)
#define SAVE_VM_DEVICES(v) save_refs(sb, &(v), &lab->devices)
		VM_FIELDS(SAVE_VM_FIELD)
	}
}

static void save_ioas(const struct ioasid_lab *lab, struct sbuf *sb)
{
	put32(sb, (uint32_t)lab->ioas.n);
	for (size_t i = 0; i < lab->ioas.n; i++) {
		const struct ioas *ioas = lab->ioas.v[i];

		put32(sb, ioas->id);
		put32(sb, index_of(&lab->vms, ioas->vm));
		put32(sb, (uint32_t)ioas->nr_areas);
		for (size_t k = 0; k < ioas->nr_areas; k++) {
			put64(sb, ioas->areas[k].iova);
			put64(sb, ioas->areas[k].last);
			put8(sb, (uint8_t)(ioas->areas[k].read | (ioas->areas[k].write << 1)));
		}
		put32(sb, ioas->nr_allowed);
		for (uint32_t k = 0; k < ioas->nr_allowed; k++) {
			put64(sb, ioas->allowed[k].start);
			put64(sb, ioas->allowed[k].last);
		}
	}
}

static void save_hwpts(const struct ioasid_lab *lab, struct sbuf *sb)
{
	put32(sb, (uint32_t)lab->hwpts.n);
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		const struct hwpt *h = lab->hwpts.v[i];

		put32(sb, h->id);
		put32(sb, index_of(&lab->ioas, h->ioas));
		put32(sb, index_at(&lab->iommus, h->iommu, h->iommu ? h->iommu->at : 0));
		put8(sb, h->enforce);
		put8(sb, h->autod);
		save_refs(sb, &h->devices, &lab->devices);
	}
}

int lab_serialize_to(struct ioasid_lab *lab, struct sbuf *sb)
{
	sb_putn(sb, SNAP_MAGIC, 8);
	put32(sb, SNAP_VERSION);
	put32(sb, lab->policy);
	put32(sb, lab->kernel);
	put32(sb, lab->max_objects);
	put32(sb, lab->nr_objects);
	put32(sb, lab->next_id);
	put32(sb, lab->next_group);
	put64(sb, lab->pool->max_bytes);
	stamp_indices(lab);
	save_iommus(lab, sb);
	save_devices(lab, sb);
	save_vms(lab, sb);
	save_ioas(lab, sb);
	save_hwpts(lab, sb);
	return sb->oom ? -ENOMEM : 0;
}

struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static void get(struct reader *r, void *dst, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

static uint32_t get32(struct reader *r)
{
	uint32_t v;

	get(r, &v, 4);
	return v;
}

static uint64_t get64(struct reader *r)
{
	uint64_t v;

	get(r, &v, 8);
	return v;
}

static uint8_t get8(struct reader *r)
{
	uint8_t v;

	get(r, &v, 1);
	return v;
}

static void *at(struct reader *r, const struct pvec *pv, uint32_t i)
{
	if (i >= pv->n) {
		r->bad = true;
		return NULL;
	}
	return pv->v[i];
}

/* One loader per object kind, mirroring the savers. Each returns 0, -EINVAL for a malformed snapshot (the
 * reader is marked bad) or -ENOMEM. */
static int load_iommus(struct ioasid_lab *lab, struct reader *r)
{
	uint32_t n = get32(r);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct iommu *u = iommu_new(lab);

		if (!u)
			return -ENOMEM;
		get(r, u->name, IOASID_NAME_LEN);
		u->vendor = get32(r);
		u->enforce = get8(r);
		u->page_sizes = get32(r);
		u->iova_bits = get32(r);
		u->nr_resv = get32(r);
		if (u->nr_resv > IOASID_MAX_RESERVED || !name_valid(u->name) || u->vendor >= IOASID_VENDOR_COUNT ||
		    !(u->page_sizes & IOASID_PGSIZE_4K) || (u->iova_bits != 39 && u->iova_bits != 48 && u->iova_bits != 57))
			return -EINVAL;
		for (uint32_t k = 0; k < u->nr_resv; k++) {
			u->resv[k].start = get64(r);
			u->resv[k].last = get64(r);
			u->resv[k].kind = get32(r);
			if (u->resv[k].kind >= IOASID_RESV_KIND_COUNT)
				return -EINVAL;
		}
	}
	return 0;
}

static int load_devices(struct ioasid_lab *lab, struct reader *r)
{
	uint32_t n = get32(r);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct device *d = device_new(lab);

		if (!d)
			return -ENOMEM;
		get(r, d->name, IOASID_NAME_LEN);
		if (!name_valid(d->name))
			return -EINVAL;
		d->iommu = at(r, &lab->iommus, get32(r));
		d->group = get32(r);
		d->kind = get32(r);
		d->requires_kvm = get32(r);
		d->nosnoop = get8(r);
		d->kvm_file = get8(r);
		d->vm = (void *)(uintptr_t)get32(r); /* an index until the VMs exist: link_device_vms() */
		if (d->kind >= IOASID_DEVICE_KIND_COUNT || d->requires_kvm >= IOASID_REQUIRES_KVM_COUNT)
			return -EINVAL;
	}
	return 0;
}

static int load_refs(struct reader *r, struct pvec *refs, const struct pvec *in)
{
	uint32_t m = get32(r);

	for (uint32_t k = 0; k < m && !r->bad; k++)
		if (pvec_push(refs, at(r, in, get32(r))))
			return -ENOMEM;
	return 0;
}

static int load_vms(struct ioasid_lab *lab, struct reader *r)
{
	uint32_t n = get32(r);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct vm *vm = vm_new(lab);

		if (!vm)
			return -ENOMEM;
		get(r, vm->name, IOASID_NAME_LEN);
		if (!name_valid(vm->name))
			return -EINVAL;
#define LOAD_VM_FIELD(kind, field, json, description) LOAD_##kind(vm->field);
#define LOAD_VM_HEX64(v) v = get64(r)
#define LOAD_VM_U32(v) v = get32(r)
#define LOAD_VM_BOOL(v) v = get8(r)
#define LOAD_VM_DEVICES(v)                            \
	if (load_refs(r, &(v), &lab->devices)) \
		return -ENOMEM
		VM_FIELDS(LOAD_VM_FIELD)
	}
	for (size_t i = 0; i < lab->devices.n && !r->bad; i++) {
		struct device *d = lab->devices.v[i];
		uint32_t vi = (uint32_t)(uintptr_t)d->vm;

		d->vm = vi == UINT32_MAX ? NULL : at(r, &lab->vms, vi);
	}
	return 0;
}

static int load_ioas(struct ioasid_lab *lab, struct reader *r)
{
	uint32_t n = get32(r);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct ioas *ioas = ioas_new(lab, get32(r));
		uint32_t vi, m;

		if (!ioas)
			return -ENOMEM;
		vi = get32(r);
		ioas->vm = vi == UINT32_MAX ? NULL : at(r, &lab->vms, vi);
		if (ioas->vm)
			ioas->vm->ioas = ioas;
		m = get32(r);
		for (uint32_t k = 0; k < m && !r->bad; k++) {
			uint64_t iova = get64(r), last = get64(r);
			uint8_t rw = get8(r);

			/* Areas come sorted and disjoint, readable or writable: a damaged snapshot that breaks
			 * that would build tables whose leaf counts disagree with their walk. */
			if (r->bad || last < iova || !rw || rw > 3 ||
			    (ioas->nr_areas && iova <= ioas->areas[ioas->nr_areas - 1].last))
				return -EINVAL;
			if (ioas_insert_area(ioas, iova, last, rw & 1, rw & 2))
				return -ENOMEM;
		}
		ioas->nr_allowed = get32(r);
		if (ioas->nr_allowed > IOASID_MAX_ALLOWED)
			return -EINVAL;
		for (uint32_t k = 0; k < ioas->nr_allowed; k++) {
			ioas->allowed[k].start = get64(r);
			ioas->allowed[k].last = get64(r);
		}
	}
	return 0;
}

/* Page tables are rebuilt from the areas when tables is set (they are canonical). */
static int load_hwpts(struct ioasid_lab *lab, struct reader *r, bool tables)
{
	uint32_t n = get32(r);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint32_t id = get32(r);
		struct ioas *ioas = at(r, &lab->ioas, get32(r));
		struct iommu *u = at(r, &lab->iommus, get32(r));
		bool enforce = get8(r), autod = get8(r);
		struct hwpt *h;
		uint32_t m;

		if (r->bad)
			break;
		h = hwpt_new(lab, id, ioas, u, enforce, autod, tables);
		if (!h)
			return -ENOMEM;
		m = get32(r);
		for (uint32_t k = 0; k < m && !r->bad; k++) {
			struct device *d = at(r, &lab->devices, get32(r));

			if (!d || pvec_push(&h->devices, d))
				return r->bad ? -EINVAL : -ENOMEM;
			d->hwpt = h;
		}
		if (tables) {
			/* -EINVAL: an area the table cannot hold (misaligned, past its aperture). */
			int rc = hwpt_populate(lab, h);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Builds the objects of a snapshot into lab; page tables too when tables is set. */
static int load(struct ioasid_lab *lab, struct reader *r, bool tables)
{
	int rc = load_iommus(lab, r);

	if (!rc)
		rc = load_devices(lab, r);
	if (!rc)
		rc = load_vms(lab, r);
	if (!rc)
		rc = load_ioas(lab, r);
	if (!rc)
		rc = load_hwpts(lab, r, tables);
	if (rc)
		return rc;
	if (r->bad || r->off != r->len)
		return -EINVAL;
	for (size_t i = 0; i < lab->vms.n; i++)
		if (!((struct vm *)lab->vms.v[i])->ioas)
			return -EINVAL;
	return 0;
}

/* pool: NULL for a lab of its own (restore), or the pool of the lab being rolled back (no tables built). */
static struct ioasid_lab *parse(const void *data, size_t len, struct pt_pool *pool, int *err)
{
	struct reader r = { data, len, 0, false };
	char magic[8];
	uint32_t version, policy, kernel, max_objects, nr_objects, next_id, next_group;
	uint64_t max_bytes;
	struct ioasid_lab *lab;
	int rc;

	get(&r, magic, 8);
	version = get32(&r);
	policy = get32(&r);
	kernel = get32(&r);
	max_objects = get32(&r);
	nr_objects = get32(&r);
	next_id = get32(&r);
	next_group = get32(&r);
	max_bytes = get64(&r);
	if (r.bad || memcmp(magic, SNAP_MAGIC, 8) || version != SNAP_VERSION ||
	    policy >= IOASID_POLICY_COUNT || !kernel_profile(kernel) || max_bytes > IOASID_MAX_TABLE_BYTES) {
		*err = -EINVAL;
		return NULL;
	}
	lab = ioasid_lab_create(policy);
	if (!lab) {
		*err = -ENOMEM;
		return NULL;
	}
	lab->kernel = kernel;
	lab->profile = kernel_profile(kernel);
	lab->max_objects = max_objects;
	lab->nr_objects = nr_objects;
	lab->next_id = next_id;
	lab->next_group = next_group;
	if (pool) {
		pt_pool_free(lab->pool);
		lab->pool = pool;
	} else {
		lab->pool->max_bytes = max_bytes;
	}
	rc = load(lab, &r, pool == NULL);
	if (rc) {
		if (pool) {
			lab_free_objects(lab);
			lab->pool = NULL;
		}
		ioasid_lab_destroy(lab);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return lab;
}

struct ioasid_lab *lab_deserialize(const void *data, size_t len, int *err)
{
	return parse(data, len, NULL, err);
}

static bool same_areas(const struct ioas *a, const struct ioas *b)
{
	if (a->nr_areas != b->nr_areas)
		return false;
	for (size_t i = 0; i < a->nr_areas; i++) {
		const struct area *x = &a->areas[i], *y = &b->areas[i];

		if (x->iova != y->iova || x->last != y->last || x->read != y->read || x->write != y->write)
			return false;
	}
	return true;
}

/*
 * Puts the lab back as the snapshot has it. Page tables are canonical, so a HWPT whose areas, format and
 * snoop setting did not change keeps its tables; only the others are rebuilt, after the current objects
 * have given their pages back to the shared pool.
 */
int lab_rollback(struct ioasid_lab *lab, const struct sbuf *snapshot)
{
	int err;
	struct ioasid_lab *old = parse(snapshot->p, snapshot->len, lab->pool, &err);

	if (!old)
		return err;
	for (size_t i = 0; i < old->hwpts.n; i++) {
		struct hwpt *h = old->hwpts.v[i];
		struct hwpt *cur = lab_find_hwpt(lab, h->id);

		if (cur && cur->pt.root && cur->enforce == h->enforce && cur->ioas->id == h->ioas->id &&
		    iommu_same_format(cur->iommu, h->iommu) && same_areas(cur->ioas, h->ioas)) {
			h->pt = cur->pt;
			cur->pt.root = NULL;
		}
	}
	lab_free_objects(lab);
	for (size_t i = 0; i < old->hwpts.n; i++) {
		struct hwpt *h = old->hwpts.v[i];

		if (h->pt.root)
			continue;
		if (pt_init(&h->pt, old->pool, levels_for_bits(h->iommu->iova_bits), h->iommu->page_sizes) ||
		    hwpt_populate(old, h))
			err = -ENOMEM;
	}
	lab->policy = old->policy;
	lab->ops = old->ops;
	lab->kernel = old->kernel;
	lab->profile = old->profile;
	lab->max_objects = old->max_objects;
	lab->nr_objects = old->nr_objects;
	lab->next_id = old->next_id;
	lab->next_group = old->next_group;
	lab->pool = old->pool;
	lab->iommus = old->iommus;
	lab->devices = old->devices;
	lab->vms = old->vms;
	lab->ioas = old->ioas;
	lab->hwpts = old->hwpts;
	sb_free(&old->out);
	free(old);
	return err;
}
