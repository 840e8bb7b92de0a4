/* pagetable.h - real radix I/O page tables: 512 entries a 4 KiB table page, 3/4/5 levels,
 * leaves at 4K/2M/1G, R/W/SNP bits per PTE (VT-d second-level layout). */
#ifndef PAGETABLE_H
#define PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PT_ENTRIES 512
#define PT_MAX_LEVELS 5

#define PTE_R (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PS (1ull << 7)   /* a leaf above level 1 (superpage) */
#define PTE_SNP (1ull << 11) /* DMA_PTE_SNP: this translation snoops */
#define PTE_ADDR_MASK 0x000ffffffffff000ull
/* In an entry that points to a table: how many entries of that table are present (0..512), in bits 52-61,
 * which VT-d ignores in non-leaf second-level entries. Emptiness and whole-table frees read it instead of
 * scanning 512 entries. */
#define PTE_COUNT_SHIFT 52
#define PTE_COUNT_MASK (0x3ffull << PTE_COUNT_SHIFT)

/* Table pages come from a per-lab pool: 2 MiB chunks carved into pages, a free list, byte accounting. */
struct pt_pool {
	void **chunks;
	size_t nr_chunks, cap_chunks;
	char *cursor; /* next unused page of the newest chunk */
	char *chunk_end;
	/* Freed pages as stacks of pointers, so freeing and reusing a page never touches its memory (a
	 * linked list through the pages cost a cache miss per page both ways). Each stack has room for every
	 * page ever carved, so a free never allocates. */
	void **clean; /* all-zero pages */
	void **dirty; /* pages with stale entries */
	size_t nr_clean, nr_dirty, cap_pages;
	uint64_t bytes;     /* table bytes in use by every table of the lab */
	uint64_t max_bytes; /* ENOMEM beyond */
};

struct pt_stats {
	uint64_t table_pages;
	uint64_t leaves;
	uint64_t snoop_leaves;
	uint64_t leaves_by_size[3];             /* 4K, 2M, 1G */
	uint64_t pages_by_level[PT_MAX_LEVELS]; /* [0] = level 1 (leaf tables) */
};

struct pagetable {
	uint64_t *root;
	uint64_t root_entry; /* holds the root table's present count, like any parent entry */
	bool snoop;          /* every leaf carries SNP (all leaves of a table agree: they mirror one HWPT) */
	uint32_t levels;
	uint32_t page_sizes; /* IOASID_PGSIZE_* */
	struct pt_pool *pool;
	struct pt_stats st;
};

struct pt_leaf {
	uint64_t iova;
	uint32_t level; /* 1 = 4K, 2 = 2M, 3 = 1G */
	uint64_t pte;
};

struct pt_pool *pt_pool_new(uint64_t max_bytes);
void pt_pool_free(struct pt_pool *pool);

int pt_init(struct pagetable *pt, struct pt_pool *pool, uint32_t levels, uint32_t page_sizes);
void pt_fini(struct pagetable *pt);
/* Maps [iova, last] (4 KiB aligned, not mapped) with the largest leaves that fit; one walk per range.
 * snoop must be the table's current setting (pt_set_snoop changes it for every leaf).
 * On -ENOMEM the part already mapped stays: the caller unmaps the same range. */
int pt_map(struct pagetable *pt, uint64_t iova, uint64_t last, bool read, bool write, bool snoop);
/* Clears every leaf inside [iova, last] and frees table pages that become empty. */
void pt_unmap(struct pagetable *pt, uint64_t iova, uint64_t last);
/* Sets or clears SNP on every leaf. */
void pt_set_snoop(struct pagetable *pt, bool snoop);
/* Calls fn for each leaf overlapping [iova, last] in IOVA order until fn returns nonzero. */
int pt_walk(const struct pagetable *pt, uint64_t iova, uint64_t last, int (*fn)(void *ctx, const struct pt_leaf *leaf),
	    void *ctx);
/* The top of the address space the table translates. */
uint64_t pt_last_iova(const struct pagetable *pt);
/*
 * Table bytes that mapping [iova, last], none of it mapped yet, must at least allocate: a lower bound from
 * the range alone, so a map that cannot fit the pool is refused before any table is built.
 */
uint64_t pt_map_min_bytes(const struct pagetable *pt, uint64_t iova, uint64_t last);

#endif
