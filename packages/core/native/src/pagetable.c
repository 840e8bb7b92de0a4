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
	free(pool->clean);
	free(pool->dirty);
	free(pool);
}

/* Small labs stay small: chunks grow from 64 KiB to 2 MiB; 2 MiB chunks are aligned for THP. */
static int pool_grow(struct pt_pool *pool)
{
	size_t size = chunk_size(pool->nr_chunks);
	char *p;

	/* Room in both free stacks for every page, this chunk's included, before the chunk exists. */
	{
		size_t pages = pool->cap_pages + size / PT_PAGE;
		void **clean = realloc(pool->clean, pages * sizeof(*clean));

		if (!clean)
			return -ENOMEM;
		pool->clean = clean;
		void **dirty = realloc(pool->dirty, pages * sizeof(*dirty));

		if (!dirty)
			return -ENOMEM;
		pool->dirty = dirty;
		pool->cap_pages = pages;
	}
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
	if (zero && pool->nr_clean) {
		p = pool->clean[--pool->nr_clean];
	} else if (pool->nr_dirty) {
		p = pool->dirty[--pool->nr_dirty];
		if (zero)
			memset(p, 0, PT_PAGE);
	} else if (pool->nr_clean) {
		p = pool->clean[--pool->nr_clean];
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
	if (clean)
		pool->clean[pool->nr_clean++] = p;
	else
		pool->dirty[pool->nr_dirty++] = p;
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

static inline unsigned pte_count(uint64_t e)
{
	return (unsigned)((e & PTE_COUNT_MASK) >> PTE_COUNT_SHIFT);
}

/* Adds n (possibly negative) to the present count a parent entry keeps for its table. */
static inline void count_add(uint64_t *parent, int n)
{
	*parent += (uint64_t)(int64_t)n << PTE_COUNT_SHIFT;
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
	pt->root_entry = PTE_R | PTE_W;
	pt->pool = pool;
	pt->levels = levels;
	pt->page_sizes = page_sizes;
	pt->root = table_alloc(pt, levels, true);
	return pt->root ? 0 : -ENOMEM;
}

/* Frees a whole table and everything under it; `count` is its present entries, from its parent entry. */
static void free_subtree(struct pagetable *pt, uint64_t *table, unsigned level, unsigned count)
{
	if (level == 1) {
		pt->st.leaves -= count;
		pt->st.leaves_by_size[0] -= count;
		if (pt->snoop)
			pt->st.snoop_leaves -= count;
	} else {
		/* From the last entry down: the pool hands pages out last-freed first, so the next map gets a
		 * freed range's table pages in ascending address order, as the range's IOVAs ascend. Freed
		 * from the first entry up, every other map wrote its leaves into pages in descending order,
		 * at about twice the time (the hardware prefetchers follow ascending streams). */
		for (unsigned i = PT_ENTRIES; i-- > 0 && count;) {
			uint64_t e = table[i];

			if (!pte_present(e))
				continue;
			count--;
			if (e & PTE_PS)
				leaf_removed(pt, level, e);
			else
				free_subtree(pt, pte_table(e), level - 1, pte_count(e));
		}
	}
	table_free(pt, table, level, false);
}

void pt_fini(struct pagetable *pt)
{
	if (pt->root)
		free_subtree(pt, pt->root, pt->levels, pte_count(pt->root_entry));
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

/* self: the parent entry that keeps this table's present count. */
static int map_level(const struct map_args *m, uint64_t *table, uint64_t *self, unsigned level, uint64_t iova,
		     uint64_t last)
{
	bool leaf_ok = (level == 2 && (m->pt->page_sizes & IOASID_PGSIZE_2M)) ||
		       (level == 3 && (m->pt->page_sizes & IOASID_PGSIZE_1G));

	if (level == 1) {
		/* The hot loop: one store per 4 KiB page (the range is not mapped, so every entry is new). */
		unsigned i = (iova >> 12) & 511, end = (last >> 12) & 511;
		uint64_t v = (iova & PTE_ADDR_MASK) | m->prot;

		for (unsigned k = i; k <= end; k++, v += PT_PAGE)
			table[k] = v;
		count_add(self, (int)(end - i + 1));
		leaf_added(m->pt, 1, end - i + 1, m->snoop);
		return 0;
	}
	pt_for_each_entry(s, level, iova, last)
	{
		uint64_t *e = &table[s.index], *child;
		int rc;

		if (leaf_ok && s.whole) {
			if (pte_present(*e))
				return -EEXIST;
			*e = (s.cur & PTE_ADDR_MASK) | m->prot | PTE_PS;
			count_add(self, 1);
			leaf_added(m->pt, level, 1, m->snoop);
			continue;
		}
		if (!pte_present(*e)) {
			/* A leaf table this range fills entirely needs no zeroing first. */
			child = table_alloc(m->pt, level - 1, !(level == 2 && s.whole));
			if (!child)
				return -ENOMEM;
			*e = (uint64_t)(uintptr_t)child | PTE_R | PTE_W;
			count_add(self, 1);
		} else if (*e & PTE_PS) {
			return -EEXIST;
		} else {
			child = pte_table(*e);
		}
		rc = map_level(m, child, e, level - 1, s.cur, s.seg_last);
		if (rc)
			return rc;
	}
	return 0;
}

/* Blocks of 2^shift bytes, aligned, that lie wholly inside [iova, last]. */
static uint64_t whole_blocks(uint64_t iova, uint64_t last, unsigned shift)
{
	uint64_t mask = (1ull << shift) - 1;
	uint64_t first = (iova >> shift) + ((iova & mask) != 0);
	uint64_t end = last >> shift; /* the block holding last, whole only if it ends at last */

	if ((last & mask) != mask) {
		if (end == 0)
			return 0;
		end--;
	}
	return end >= first ? end - first + 1 : 0;
}

uint64_t pt_map_min_bytes(const struct pagetable *pt, uint64_t iova, uint64_t last)
{
	uint64_t pages = 0;

	/* With larger leaves a whole block may need no table at all: only 4K-only tables are bounded. */
	if (pt->page_sizes & (IOASID_PGSIZE_2M | IOASID_PGSIZE_1G))
		return 0;
	/* Every whole 2M, 1G, 512G block of an unmapped range needs its own new table below it. */
	for (unsigned level = 1; level < pt->levels; level++)
		pages += whole_blocks(iova, last, level_shift(level + 1));
	return pages > UINT64_MAX / PT_PAGE ? UINT64_MAX : pages * PT_PAGE;
}

int pt_map(struct pagetable *pt, uint64_t iova, uint64_t last, bool read, bool write, bool snoop)
{
	struct map_args m = { pt, (read ? PTE_R : 0) | (write ? PTE_W : 0) | (snoop ? PTE_SNP : 0), snoop };

	if ((iova & (PT_PAGE - 1)) || ((last + 1) & (PT_PAGE - 1)) || last < iova || last > pt_last_iova(pt))
		return -EINVAL;
	pt->snoop = snoop;
	return map_level(&m, pt->root, &pt->root_entry, pt->levels, iova, last);
}

/* Removes a run of 4 KiB leaves [i, end] of one leaf table in one pass. */
static void unmap_leaves(struct pagetable *pt, uint64_t *table, uint64_t *self, unsigned i, unsigned end)
{
	unsigned n = 0;

	for (unsigned k = i; k <= end; k++) {
		n += pte_present(table[k]);
		table[k] = 0;
	}
	count_add(self, -(int)n);
	pt->st.leaves -= n;
	pt->st.leaves_by_size[0] -= n;
	if (pt->snoop)
		pt->st.snoop_leaves -= n;
}

/* self: the parent entry that keeps this table's present count. */
static void unmap_level(struct pagetable *pt, uint64_t *table, uint64_t *self, unsigned level, uint64_t iova,
			uint64_t last)
{
	if (level == 1) {
		unmap_leaves(pt, table, self, (iova >> 12) & 511, (last >> 12) & 511);
		return;
	}
	pt_for_each_entry(s, level, iova, last)
	{
		uint64_t *e = &table[s.index], *child;

		if (!pte_present(*e))
			continue;
		if (pte_leaf(*e, level)) {
			leaf_removed(pt, level, *e);
			*e = 0;
			count_add(self, -1);
			continue;
		}
		child = pte_table(*e);
		if (s.whole) {
			free_subtree(pt, child, level - 1, pte_count(*e));
		} else {
			unmap_level(pt, child, e, level - 1, s.cur, s.seg_last);
			if (pte_count(*e))
				continue;
			table_free(pt, child, level - 1, true);
		}
		*e = 0;
		count_add(self, -1);
	}
}

void pt_unmap(struct pagetable *pt, uint64_t iova, uint64_t last)
{
	uint64_t top = pt_last_iova(pt);

	if (iova > top)
		return;
	unmap_level(pt, pt->root, &pt->root_entry, pt->levels, iova, last > top ? top : last);
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
	pt->snoop = snoop;
	snoop_level(pt->root, pt->levels, snoop);
	pt->st.snoop_leaves = snoop ? pt->st.leaves : 0;
}

/* Reads a range for the inspector, stats and checks: most entries of a sparse table are empty, so the
 * loop runs over the raw entries, works out an entry's span only for the present ones, and stops once it
 * has seen all `present` entries of the table (its parent entry's count; the root has no parent). */
static int walk_level(const uint64_t *table, unsigned level, unsigned present, uint64_t iova, uint64_t last,
		      int (*fn)(void *ctx, const struct pt_leaf *leaf), void *ctx)
{
	unsigned shift = level_shift(level);
	uint64_t entry_mask = (1ull << shift) - 1;
	/* The table's own span starts at iova with the index bits of this level and below cleared. */
	uint64_t table_base = shift + 9 >= 64 ? 0 : iova & ~((1ull << (shift + 9)) - 1);
	unsigned first = (unsigned)(iova >> shift) & (PT_ENTRIES - 1);
	unsigned final = (unsigned)(last >> shift) & (PT_ENTRIES - 1);

	for (unsigned k = first; k <= final && present > 0; k++) {
		uint64_t e = table[k];
		int rc;

		if (!pte_present(e))
			continue;
		present--;
		uint64_t ebase = table_base + ((uint64_t)k << shift);
		if (pte_leaf(e, level)) {
			struct pt_leaf leaf = { ebase, level, e };

			rc = fn(ctx, &leaf);
		} else {
			uint64_t cur = k == first ? iova : ebase;
			uint64_t seg_last = k == final ? last : ebase + entry_mask;

			rc = walk_level(pte_table(e), level - 1, pte_count(e), cur, seg_last, fn, ctx);
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
	return walk_level(pt->root, pt->levels, PT_ENTRIES, iova, last > top ? top : last, fn, ctx);
}
