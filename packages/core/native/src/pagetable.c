/* pagetable.c - radix I/O page tables walked once per range, with stats kept as the walk goes.
 * Leaves are canonical (largest aligned size the table supports), so the tree is a function of the areas. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ioasid_lab.h"
#include "pagetable.h"

#define PT_PAGE 4096u
#define POOL_FIRST_CHUNK (64u << 10)
#define POOL_MAX_CHUNK (2u << 20)

struct pt_pool *pt_pool_new(uint64_t max_bytes)
{
	struct pt_pool *pool = calloc(1, sizeof(*pool));

	if (pool)
		pool->max_bytes = max_bytes;
	return pool;
}

static size_t chunk_size(size_t index)
{
	size_t size = POOL_FIRST_CHUNK;

	while (index-- && size < POOL_MAX_CHUNK)
		size <<= 1;
	return size;
}

void pt_pool_free(struct pt_pool *pool)
{
	if (!pool)
		return;
	for (size_t i = 0; i < pool->nr_chunks; i++)
		munmap(pool->chunks[i], chunk_size(i));
	free(pool->chunks);
	free(pool);
}

/* Small labs stay small: chunks grow from 64 KiB to 2 MiB; 2 MiB chunks are aligned for THP. */
static int pool_grow(struct pt_pool *pool)
{
	size_t size = chunk_size(pool->nr_chunks);
	char *p;

	if (pool->nr_chunks == pool->cap_chunks) {
		size_t cap = pool->cap_chunks ? pool->cap_chunks * 2 : 8;
		void **chunks = realloc(pool->chunks, cap * sizeof(*chunks));

		if (!chunks)
			return -ENOMEM;
		pool->chunks = chunks;
		pool->cap_chunks = cap;
	}
	if (size == POOL_MAX_CHUNK) {
		char *raw = mmap(NULL, size * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t start;

		if (raw == MAP_FAILED)
			return -ENOMEM;
		start = ((uintptr_t)raw + size - 1) & ~(uintptr_t)(size - 1);
		if (start > (uintptr_t)raw)
			munmap(raw, start - (uintptr_t)raw);
		if ((uintptr_t)raw + size * 2 > start + size)
			munmap((char *)(start + size), (uintptr_t)raw + size * 2 - (start + size));
		p = (char *)start;
#ifdef MADV_HUGEPAGE
		madvise(p, size, MADV_HUGEPAGE);
#endif
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
	}
	pool->chunks[pool->nr_chunks++] = p;
	pool->cursor = p;
	pool->chunk_end = p + size;
	return 0;
}

/* zero: false when the caller overwrites all 512 entries anyway (a leaf table filled by one map). */
static uint64_t *pool_alloc(struct pt_pool *pool, bool zero)
{
	void *p;

	if (pool->bytes + PT_PAGE > pool->max_bytes)
		return NULL;
	if (zero && pool->free_clean) {
		p = pool->free_clean;
		pool->free_clean = *(void **)p;
		*(void **)p = NULL;
	} else if (pool->free_dirty) {
		p = pool->free_dirty;
		pool->free_dirty = *(void **)p;
		if (zero)
			memset(p, 0, PT_PAGE);
	} else if (pool->free_clean) {
		p = pool->free_clean;
		pool->free_clean = *(void **)p;
		*(void **)p = NULL;
	} else {
		if (pool->cursor == pool->chunk_end && pool_grow(pool))
			return NULL;
		p = pool->cursor; /* fresh mmap memory is already zero */
		pool->cursor += PT_PAGE;
	}
	pool->bytes += PT_PAGE;
	return p;
}

static void pool_release(struct pt_pool *pool, void *p, bool clean)
{
	void **list = clean ? &pool->free_clean : &pool->free_dirty;

	*(void **)p = *list;
	*list = p;
	pool->bytes -= PT_PAGE;
}

static inline unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static inline bool pte_present(uint64_t e)
{
	return (e & (PTE_R | PTE_W)) != 0;
}

static inline bool pte_leaf(uint64_t e, unsigned level)
{
	return level == 1 || (e & PTE_PS);
}

static inline uint64_t *pte_table(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
}

static uint64_t *table_alloc(struct pagetable *pt, unsigned level, bool zero)
{
	uint64_t *t = pool_alloc(pt->pool, zero);

	if (t) {
		pt->st.table_pages++;
		pt->st.pages_by_level[level - 1]++;
	}
	return t;
}

static void table_free(struct pagetable *pt, uint64_t *t, unsigned level, bool clean)
{
	pt->st.table_pages--;
	pt->st.pages_by_level[level - 1]--;
	pool_release(pt->pool, t, clean);
}

static inline void leaf_added(struct pagetable *pt, unsigned level, uint64_t n, bool snoop)
{
	pt->st.leaves += n;
	pt->st.leaves_by_size[level - 1] += n;
	if (snoop)
		pt->st.snoop_leaves += n;
}

static inline void leaf_removed(struct pagetable *pt, unsigned level, uint64_t e)
{
	pt->st.leaves--;
	pt->st.leaves_by_size[level - 1]--;
	if (e & PTE_SNP)
		pt->st.snoop_leaves--;
}

int pt_init(struct pagetable *pt, struct pt_pool *pool, uint32_t levels, uint32_t page_sizes)
{
	memset(pt, 0, sizeof(*pt));
	pt->pool = pool;
	pt->levels = levels;
	pt->page_sizes = page_sizes;
	pt->root = table_alloc(pt, levels, true);
	return pt->root ? 0 : -ENOMEM;
}

static void free_subtree(struct pagetable *pt, uint64_t *table, unsigned level)
{
	if (level == 1) {
		uint64_t n = 0, snp = 0;

		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			n += pte_present(table[i]);
			snp += (table[i] & PTE_SNP) != 0;
		}
		pt->st.leaves -= n;
		pt->st.leaves_by_size[0] -= n;
		pt->st.snoop_leaves -= snp;
	} else {
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			uint64_t e = table[i];

			if (!pte_present(e))
				continue;
			if (e & PTE_PS)
				leaf_removed(pt, level, e);
			else
				free_subtree(pt, pte_table(e), level - 1);
		}
	}
	table_free(pt, table, level, false);
}

void pt_fini(struct pagetable *pt)
{
	if (pt->root)
		free_subtree(pt, pt->root, pt->levels);
	pt->root = NULL;
}

uint64_t pt_last_iova(const struct pagetable *pt)
{
	return (1ull << level_shift(pt->levels + 1)) - 1;
}

/*
 * One entry's share of a range at one level, the only place that computes it: map, unmap and walk iterate
 * with pt_for_each_entry(). [cur, seg_last] is the part of the range inside entry `index`, whose own span
 * is [ebase, elast]; `whole` says the range covers the entry entirely.
 */
struct pt_span {
	uint64_t cur, last, ebase, elast, seg_last;
	unsigned shift, index;
	bool whole, more;
};

static inline void span_at(struct pt_span *s, uint64_t cur)
{
	s->cur = cur;
	s->ebase = cur & ~((1ull << s->shift) - 1);
	s->elast = s->ebase + ((1ull << s->shift) - 1);
	s->seg_last = s->last < s->elast ? s->last : s->elast;
	s->index = (cur >> s->shift) & (PT_ENTRIES - 1);
	s->whole = cur == s->ebase && s->seg_last == s->elast;
}

static inline struct pt_span span_start(unsigned level, uint64_t iova, uint64_t last)
{
	struct pt_span s = { .last = last, .shift = level_shift(level), .more = true };

	span_at(&s, iova);
	return s;
}

static inline void span_advance(struct pt_span *s)
{
	if (s->seg_last == s->last)
		s->more = false;
	else
		span_at(s, s->seg_last + 1);
}

/* Visits, in IOVA order, every entry of a level-`level` table that [iova, last] touches. */
#define pt_for_each_entry(s, level, iova, last) \
	for (struct pt_span s = span_start(level, iova, last); s.more; span_advance(&s))

struct map_args {
	struct pagetable *pt;
	uint64_t prot;
	bool snoop;
};

static int map_level(const struct map_args *m, uint64_t *table, unsigned level, uint64_t iova, uint64_t last)
{
	bool leaf_ok = (level == 2 && (m->pt->page_sizes & IOASID_PGSIZE_2M)) ||
		       (level == 3 && (m->pt->page_sizes & IOASID_PGSIZE_1G));

	if (level == 1) {
		/* The hot loop: one store per 4 KiB page. */
		unsigned i = (iova >> 12) & 511, end = (last >> 12) & 511;
		uint64_t v = (iova & PTE_ADDR_MASK) | m->prot;

		for (unsigned k = i; k <= end; k++, v += PT_PAGE)
			table[k] = v;
		leaf_added(m->pt, 1, end - i + 1, m->snoop);
		return 0;
	}
	pt_for_each_entry(s, level, iova, last) {
		uint64_t *e = &table[s.index], *child;
		int rc;

		if (leaf_ok && s.whole) {
			if (pte_present(*e))
				return -EEXIST;
			*e = (s.cur & PTE_ADDR_MASK) | m->prot | PTE_PS;
			leaf_added(m->pt, level, 1, m->snoop);
			continue;
		}
		if (!pte_present(*e)) {
			/* A leaf table this range fills entirely needs no zeroing first. */
			child = table_alloc(m->pt, level - 1, !(level == 2 && s.whole));
			if (!child)
				return -ENOMEM;
			*e = (uint64_t)(uintptr_t)child | PTE_R | PTE_W;
		} else if (*e & PTE_PS) {
			return -EEXIST;
		} else {
			child = pte_table(*e);
		}
		rc = map_level(m, child, level - 1, s.cur, s.seg_last);
		if (rc)
			return rc;
	}
	return 0;
}

int pt_map(struct pagetable *pt, uint64_t iova, uint64_t last, bool read, bool write, bool snoop)
{
	struct map_args m = { pt, (read ? PTE_R : 0) | (write ? PTE_W : 0) | (snoop ? PTE_SNP : 0), snoop };

	if ((iova & (PT_PAGE - 1)) || ((last + 1) & (PT_PAGE - 1)) || last < iova || last > pt_last_iova(pt))
		return -EINVAL;
	return map_level(&m, pt->root, pt->levels, iova, last);
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

static void unmap_level(struct pagetable *pt, uint64_t *table, unsigned level, uint64_t iova, uint64_t last)
{
	pt_for_each_entry(s, level, iova, last) {
		uint64_t *e = &table[s.index], *child;

		if (!pte_present(*e))
			continue;
		if (pte_leaf(*e, level)) {
			leaf_removed(pt, level, *e);
			*e = 0;
			continue;
		}
		child = pte_table(*e);
		if (s.whole) {
			free_subtree(pt, child, level - 1);
			*e = 0;
			continue;
		}
		unmap_level(pt, child, level - 1, s.cur, s.seg_last);
		if (table_empty(child)) {
			table_free(pt, child, level - 1, true);
			*e = 0;
		}
	}
}

void pt_unmap(struct pagetable *pt, uint64_t iova, uint64_t last)
{
	uint64_t top = pt_last_iova(pt);

	if (iova > top)
		return;
	unmap_level(pt, pt->root, pt->levels, iova, last > top ? top : last);
}

static void snoop_level(uint64_t *table, unsigned level, bool snoop)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t e = table[i];

		if (!pte_present(e))
			continue;
		if (pte_leaf(e, level))
			table[i] = snoop ? (e | PTE_SNP) : (e & ~PTE_SNP);
		else
			snoop_level(pte_table(e), level - 1, snoop);
	}
}

void pt_set_snoop(struct pagetable *pt, bool snoop)
{
	snoop_level(pt->root, pt->levels, snoop);
	pt->st.snoop_leaves = snoop ? pt->st.leaves : 0;
}

static int walk_level(const uint64_t *table, unsigned level, uint64_t iova, uint64_t last,
		      int (*fn)(void *ctx, const struct pt_leaf *leaf), void *ctx)
{
	pt_for_each_entry(s, level, iova, last) {
		uint64_t e = table[s.index];
		int rc;

		if (!pte_present(e))
			continue;
		if (pte_leaf(e, level)) {
			struct pt_leaf leaf = { s.ebase, level, e };

			rc = fn(ctx, &leaf);
		} else {
			rc = walk_level(pte_table(e), level - 1, s.cur, s.seg_last, fn, ctx);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pt_walk(const struct pagetable *pt, uint64_t iova, uint64_t last, int (*fn)(void *ctx, const struct pt_leaf *leaf),
	    void *ctx)
{
	uint64_t top = pt_last_iova(pt);

	if (iova > top || last < iova)
		return 0;
	return walk_level(pt->root, pt->levels, iova, last > top ? top : last, fn, ctx);
}
