/* state.c - the lab as JSON (CoreState of src/types.ts) and the paged leaf walk of one HWPT.
 * Lists in creation (= id) order; 64-bit quantities as 0x-hex strings. */
#include <stdlib.h>
#include <string.h>
#include "abi_names.h"
#include "lab_internal.h"

static void put_name_list(struct sbuf *sb, const struct pvec *pv)
{
	sb_putn(sb, "[", 1);
	for (size_t i = 0; i < pv->n; i++) {
		if (i)
			sb_putn(sb, ",", 1);
		sb_jstr(sb, ((const struct device *)pv->v[i])->name);
	}
	sb_putn(sb, "]", 1);
}

static void put_hex(struct sbuf *sb, const char *key, uint64_t v)
{
	sb_printf(sb, "\"%s\":\"", key);
	sb_hex(sb, v);
	sb_putn(sb, "\"", 1);
}

struct span {
	uint64_t start, last;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* IOMMU_IOAS_IOVA_RANGES: the whole IOVA space less every reservation. */
static void put_iova_ranges(struct ioasid_lab *lab, struct sbuf *sb, const struct ioas *ioas)
{
	struct span resv[64], base[1];
	size_t nr = 0, nb = 0;
	bool first = true;

	for (size_t i = 0; i < lab->hwpts.n; i++) {
		const struct hwpt *h = lab->hwpts.v[i];
		uint64_t top = pt_last_iova(&h->pt);

		if (h->ioas != ioas)
			continue;
		if (top != UINT64_MAX && nr < 64)
			resv[nr++] = (struct span){ top + 1, UINT64_MAX };
		for (size_t j = 0; j < h->devices.n; j++) {
			const struct device *d = h->devices.v[j];

			for (uint32_t k = 0; k < d->iommu->nr_resv && nr < 64; k++)
				resv[nr++] = (struct span){ d->iommu->resv[k].start, d->iommu->resv[k].last };
		}
	}
	qsort(resv, nr, sizeof(resv[0]), span_cmp);
	/* IOMMU_IOAS_IOVA_RANGES (iommufd_ioas_iova_ranges) reports the holes of the reserved tree only:
	 * ranges set by IOMMU_IOAS_ALLOW_IOVAS live in their own tree and never show here (seen on 6.12,
	 * docs/conformance.md). They are reported as allowedIovas. */
	base[nb++] = (struct span){ 0, UINT64_MAX };
	sb_putn(sb, "[", 1);
	for (size_t b = 0; b < nb; b++) {
		uint64_t cur = base[b].start;
		bool done = false;

		for (size_t k = 0; k < nr && !done; k++) {
			if (resv[k].last < cur || resv[k].start > base[b].last)
				continue;
			if (resv[k].start > cur) {
				sb_puts(sb, first ? "{" : ",{");
				put_hex(sb, "start", cur);
				sb_putn(sb, ",", 1);
				put_hex(sb, "last", resv[k].start - 1);
				sb_putn(sb, "}", 1);
				first = false;
			}
			if (resv[k].last >= base[b].last)
				done = true;
			else
				cur = resv[k].last + 1;
		}
		if (!done) {
			sb_puts(sb, first ? "{" : ",{");
			put_hex(sb, "start", cur);
			sb_putn(sb, ",", 1);
			put_hex(sb, "last", base[b].last);
			sb_putn(sb, "}", 1);
			first = false;
		}
	}
	sb_putn(sb, "]", 1);
}

static const char *policy_name(uint32_t policy)
{
	static const char *const names[] = IOASID_POLICY_NAMES;

	return names[policy];
}

/* One writer per object kind: the JSON of types.ts CoreState, list by list. */
static void write_iommu(struct sbuf *sb, const struct iommu *u)
{
	bool first = true;

	sb_jstr(sb, u->name);
	sb_printf(sb, ",\"vendor\":\"%s\",\"enforceCacheCoherency\":%s,\"pageSizes\":[", vendor_name(u->vendor),
		  u->enforce ? "true" : "false");
	for (unsigned k = 0; k < 3; k++) {
		if (!(u->page_sizes & (1u << k)))
			continue;
		sb_printf(sb, "%s%llu", first ? "" : ",", 4096ull << (9 * k));
		first = false;
	}
	sb_printf(sb, "],\"iovaBits\":%u,\"reserved\":[", u->iova_bits);
	for (uint32_t k = 0; k < u->nr_resv; k++) {
		sb_puts(sb, k ? ",{" : "{");
		put_hex(sb, "start", u->resv[k].start);
		sb_putn(sb, ",", 1);
		put_hex(sb, "length", u->resv[k].last - u->resv[k].start + 1);
		sb_printf(sb, ",\"kind\":\"%s\"}", resv_kind_name(u->resv[k].kind));
	}
	sb_puts(sb, "]}");
}

static void write_device(struct sbuf *sb, const struct device *d)
{
	sb_jstr(sb, d->name);
	sb_puts(sb, ",\"iommu\":");
	sb_jstr(sb, d->iommu->name);
	sb_printf(sb, ",\"group\":%u,\"kind\":\"%s\",\"noSnoop\":%s,\"requiresKvm\":\"%s\",\"vm\":", d->group,
		  device_kind_name(d->kind), d->nosnoop ? "true" : "false", requires_kvm_name(d->requires_kvm));
	if (d->vm)
		sb_jstr(sb, d->vm->name);
	else
		sb_puts(sb, "null");
	if (d->hwpt)
		sb_printf(sb, ",\"hwpt\":%u}", d->hwpt->id);
	else
		sb_puts(sb, ",\"hwpt\":null}");
}

/* The stored facts come from vm_fields.h, in its order; wbinvd is derived (KVM emulates WBINVD while a
 * non-coherent file is on its kvm-vfio device). */
#define WRITE_VM_FIELD(kind, field, json, description) \
	sb_putn(sb, ",", 1);                            \
	WRITE_##kind(json, vm->field);
#define WRITE_VM_HEX64(key, v) put_hex(sb, key, v)
#define WRITE_VM_U32(key, v) sb_printf(sb, "\"%s\":%u", key, v)
#define WRITE_VM_BOOL(key, v) sb_printf(sb, "\"%s\":%s", key, (v) ? "true" : "false")
#define WRITE_VM_DEVICES(key, v) (sb_printf(sb, "\"%s\":", key), put_name_list(sb, &(v)))
static void write_vm(struct sbuf *sb, const struct vm *vm)
{
	sb_jstr(sb, vm->name);
	sb_printf(sb, ",\"ioas\":%u", vm->ioas->id);
	VM_FIELDS(WRITE_VM_FIELD)
	sb_printf(sb, ",\"wbinvd\":%s}", vm->noncoherent ? "true" : "false");
}

static void write_ioas(struct ioasid_lab *lab, struct sbuf *sb, const struct ioas *ioas)
{
	sb_printf(sb, "%u,\"vm\":", ioas->id);
	if (ioas->vm)
		sb_jstr(sb, ioas->vm->name);
	else
		sb_puts(sb, "null");
	sb_puts(sb, ",\"areas\":[");
	for (size_t k = 0; k < ioas->nr_areas; k++) {
		const struct area *a = &ioas->areas[k];

		sb_puts(sb, k ? ",{" : "{");
		put_hex(sb, "iova", a->iova);
		sb_putn(sb, ",", 1);
		put_hex(sb, "length", a->last - a->iova + 1);
		sb_printf(sb, ",\"read\":%s,\"write\":%s}", a->read ? "true" : "false", a->write ? "true" : "false");
	}
	sb_printf(sb, "],\"iovaAlignment\":%llu,\"iovaRanges\":",
		  (unsigned long long)ioas_alignment(lab, (struct ioas *)ioas));
	put_iova_ranges(lab, sb, ioas);
	sb_puts(sb, ",\"allowedIovas\":[");
	for (uint32_t k = 0; k < ioas->nr_allowed; k++) {
		sb_puts(sb, k ? ",{" : "{");
		put_hex(sb, "start", ioas->allowed[k].start);
		sb_putn(sb, ",", 1);
		put_hex(sb, "last", ioas->allowed[k].last);
		sb_putn(sb, "}", 1);
	}
	sb_puts(sb, "]}");
}

static void write_hwpt(struct sbuf *sb, const struct hwpt *h)
{
	const struct pt_stats *st = &h->pt.st;

	sb_printf(sb, "%u,\"ioas\":%u,\"iommu\":", h->id, h->ioas->id);
	sb_jstr(sb, h->iommu->name);
	sb_printf(sb, ",\"enforceCacheCoherency\":%s,\"auto\":%s,\"levels\":%u,\"devices\":",
		  h->enforce ? "true" : "false", h->autod ? "true" : "false", h->pt.levels);
	put_name_list(sb, &h->devices);
	sb_printf(sb,
		  ",\"stats\":{\"tablePages\":%llu,\"bytes\":%llu,\"leaves\":%llu,\"snoopLeaves\":%llu,"
		  "\"leavesBySize\":{\"4096\":%llu,\"2097152\":%llu,\"1073741824\":%llu},\"tablePagesByLevel\":[",
		  (unsigned long long)st->table_pages, (unsigned long long)st->table_pages * 4096ull,
		  (unsigned long long)st->leaves, (unsigned long long)st->snoop_leaves,
		  (unsigned long long)st->leaves_by_size[0], (unsigned long long)st->leaves_by_size[1],
		  (unsigned long long)st->leaves_by_size[2]);
	for (uint32_t l = 0; l < h->pt.levels; l++)
		sb_printf(sb, "%s%llu", l ? "," : "", (unsigned long long)st->pages_by_level[l]);
	sb_puts(sb, "]}}");
}

void lab_write_state(struct ioasid_lab *lab, struct sbuf *sb)
{
	sb_printf(sb, "{\"policy\":\"%s\",\"kernel\":\"%s\",\"iommus\":[", policy_name(lab->policy),
		  lab->profile->name);
	for (size_t i = 0; i < lab->iommus.n; i++) {
		sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
		write_iommu(sb, lab->iommus.v[i]);
	}
	sb_puts(sb, "],\"devices\":[");
	for (size_t i = 0; i < lab->devices.n; i++) {
		sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
		write_device(sb, lab->devices.v[i]);
	}
	sb_puts(sb, "],\"vms\":[");
	for (size_t i = 0; i < lab->vms.n; i++) {
		sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
		write_vm(sb, lab->vms.v[i]);
	}
	sb_puts(sb, "],\"ioas\":[");
	for (size_t i = 0; i < lab->ioas.n; i++) {
		sb_puts(sb, i ? ",{\"id\":" : "{\"id\":");
		write_ioas(lab, sb, lab->ioas.v[i]);
	}
	sb_puts(sb, "],\"hwpts\":[");
	for (size_t i = 0; i < lab->hwpts.n; i++) {
		sb_puts(sb, i ? ",{\"id\":" : "{\"id\":");
		write_hwpt(sb, lab->hwpts.v[i]);
	}
	sb_puts(sb, "]}");
}

struct leaf_ctx {
	struct sbuf *sb;
	uint32_t count, limit;
	bool has_next;
	uint64_t next;
};

static int leaf_out(void *ctx, const struct pt_leaf *leaf)
{
	struct leaf_ctx *c = ctx;
	uint64_t e = leaf->pte;

	if (c->count == c->limit) {
		c->has_next = true;
		c->next = leaf->iova;
		return 1;
	}
	sb_puts(c->sb, c->count++ ? ",{" : "{");
	put_hex(c->sb, "iova", leaf->iova);
	sb_printf(c->sb, ",\"size\":%llu,\"level\":%u,\"read\":%s,\"write\":%s,\"snoop\":%s}",
		  4096ull << (9 * (leaf->level - 1)), leaf->level, (e & PTE_R) ? "true" : "false",
		  (e & PTE_W) ? "true" : "false", (e & PTE_SNP) ? "true" : "false");
	return 0;
}

int lab_write_leaves(struct ioasid_lab *lab, const struct ioasid_pagetable_query *q, struct sbuf *sb)
{
	struct hwpt *h = lab_find_hwpt(lab, q->hwpt);
	struct leaf_ctx c = { sb, 0, q->limit ? q->limit : 512, false, 0 };
	uint64_t last;

	if (!h)
		return lab_err(lab, ENOENT, "no hwpt %u", q->hwpt);
	if (c.limit > 4096)
		return lab_err(lab, EINVAL, "limit %u is above 4096", q->limit);
	if (!q->length || __builtin_add_overflow(q->iova, q->length - 1, &last))
		last = UINT64_MAX;
	sb_puts(sb, "{\"leaves\":[");
	pt_walk(&h->pt, q->iova, last, leaf_out, &c);
	sb_puts(sb, "],\"next\":");
	if (c.has_next) {
		sb_putn(sb, "\"", 1);
		sb_hex(sb, c.next);
		sb_puts(sb, "\"}");
	} else {
		sb_puts(sb, "null}");
	}
	return 0;
}
