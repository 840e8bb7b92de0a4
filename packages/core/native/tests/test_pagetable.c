/* test_pagetable.c - the radix tables alone: leaf sizes, stats, unmap freeing, snoop rewrite, walks, limits. */
#include <errno.h>
#include <string.h>
#include "check.h"
#include "ioasid_lab.h"
#include "pagetable.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define ALL_SIZES (IOASID_PGSIZE_4K | IOASID_PGSIZE_2M | IOASID_PGSIZE_1G)

struct count_ctx {
	uint64_t leaves, bytes, snoop, writable, first, last_end;
	int ordered;
};

static int count_leaf(void *p, const struct pt_leaf *leaf)
{
	struct count_ctx *c = p;
	uint64_t size = 4096ull << (9 * (leaf->level - 1));

	if (!c->leaves)
		c->first = leaf->iova;
	else if (leaf->iova < c->last_end)
		c->ordered = 0;
	c->leaves++;
	c->bytes += size;
	c->snoop += (leaf->pte & PTE_SNP) != 0;
	c->writable += (leaf->pte & PTE_W) != 0;
	c->last_end = leaf->iova + size;
	return 0;
}

static struct count_ctx walk_all(struct pagetable *pt)
{
	struct count_ctx c = { .ordered = 1 };

	pt_walk(pt, 0, UINT64_MAX, count_leaf, &c);
	return c;
}

static int stop_after_two(void *p, const struct pt_leaf *leaf)
{
	int *n = p;

	(void)leaf;
	return ++*n == 2;
}

void pagetable_tests(void)
{
	struct pt_pool *pool = pt_pool_new(1ull << 30);
	struct pagetable pt;
	struct count_ctx c;
	int n = 0;

	CHECK("pt init", pool && pt_init(&pt, pool, 4, ALL_SIZES) == 0);
	CHECK("empty table is one page", pt.st.table_pages == 1 && pt.st.pages_by_level[3] == 1);
	CHECK("48-bit top", pt_last_iova(&pt) == (1ull << 48) - 1);

	/* One 4K page. */
	CHECK("map 4k", pt_map(&pt, 0x1000, 0x1fff, true, true, true) == 0);
	CHECK("4k leaf", pt.st.leaves == 1 && pt.st.leaves_by_size[0] == 1 && pt.st.snoop_leaves == 1);
	CHECK("4k walk levels", pt.st.table_pages == 4 && pt.st.pages_by_level[0] == 1 &&
					pt.st.pages_by_level[1] == 1 && pt.st.pages_by_level[2] == 1);
	pt_unmap(&pt, 0x1000, 0x1fff);
	CHECK("unmap frees the tables it emptied", pt.st.table_pages == 1 && pt.st.leaves == 0 && pool->bytes == 4096);

	/* 1 GiB - 4K .. 2 GiB + 2M + 4K: 4K, 1G, 2M, 4K leaves. */
	CHECK("map mixed", pt_map(&pt, GB - 4096, 2 * GB + 2 * MB + 4096 - 1, true, false, true) == 0);
	CHECK("mixed sizes",
	      pt.st.leaves_by_size[0] == 2 && pt.st.leaves_by_size[1] == 1 && pt.st.leaves_by_size[2] == 1);
	c = walk_all(&pt);
	CHECK("walk covers the range", c.leaves == 4 && c.first == GB - 4096 && c.bytes == GB + 2 * MB + 2 * 4096 &&
					       c.ordered && c.writable == 0 && c.snoop == 4);
	pt_set_snoop(&pt, false);
	c = walk_all(&pt);
	CHECK("snoop cleared in every leaf", c.snoop == 0 && pt.st.snoop_leaves == 0);
	CHECK("walk stops when told", pt_walk(&pt, 0, UINT64_MAX, stop_after_two, &n) == 1 && n == 2);
	pt_unmap(&pt, 0, UINT64_MAX);
	CHECK("unmap everything", pt.st.leaves == 0 && pt.st.table_pages == 1);

	/* 16 MiB at 4K only: 4096 leaves in 8 leaf tables. */
	pt_fini(&pt);
	CHECK("4k-only init", pt_init(&pt, pool, 4, IOASID_PGSIZE_4K) == 0);
	CHECK("map 16M", pt_map(&pt, 0, 16 * MB - 1, true, true, false) == 0);
	CHECK("16M in 4K leaves", pt.st.leaves == 4096 && pt.st.pages_by_level[0] == 8 && pt.st.snoop_leaves == 0);
	pt_unmap(&pt, 4 * MB, 8 * MB - 1);
	CHECK("partial unmap", pt.st.leaves == 3072 && pt.st.pages_by_level[0] == 6);
	CHECK("remap the hole", pt_map(&pt, 4 * MB, 8 * MB - 1, true, true, false) == 0 && pt.st.leaves == 4096);
	CHECK("misaligned is refused", pt_map(&pt, 0x800, 0x17ff, true, true, false) == -EINVAL);
	CHECK("past the top is refused", pt_map(&pt, 1ull << 48, (1ull << 48) + 4095, true, true, false) == -EINVAL);
	/* The lower bound of a map's tables: 4K-only tables only, whole blocks only, never above the real need. */
	CHECK("bound of a 4K page is 0", pt_map_min_bytes(&pt, 32 * MB, 32 * MB + 4095) == 0);
	CHECK("bound of 16M is its 8 leaf tables", pt_map_min_bytes(&pt, 32 * MB, 48 * MB - 1) == 8 * 4096);
	CHECK("bound skips partial blocks", pt_map_min_bytes(&pt, 32 * MB + 4096, 48 * MB - 1) == 7 * 4096);
	CHECK("bound of 2G counts leaf tables and 1G tables",
	      pt_map_min_bytes(&pt, 2 * GB, 4 * GB - 1) == (1024 + 2) * 4096);
	CHECK("bound at the top of the space", pt_map_min_bytes(&pt, (1ull << 48) - 2 * MB, (1ull << 48) - 1) == 4096);
	{
		uint64_t before = pool->bytes, least = pt_map_min_bytes(&pt, 2 * GB + 4096, 3 * GB + 8191);

		CHECK("map after the bound", pt_map(&pt, 2 * GB + 4096, 3 * GB + 8191, true, true, false) == 0);
		CHECK("bound is at most what the map built", least > 0 && least <= pool->bytes - before);
	}
	pt_fini(&pt);
	CHECK("fini returns every page", pool->bytes == 0);
	CHECK("large leaves are not bounded",
	      pt_init(&pt, pool, 4, ALL_SIZES) == 0 && pt_map_min_bytes(&pt, 0, 4 * GB - 1) == 0);
	pt_fini(&pt);

	/* 39 and 57 bits. */
	CHECK("3 levels", pt_init(&pt, pool, 3, ALL_SIZES) == 0 && pt_last_iova(&pt) == (1ull << 39) - 1);
	CHECK("1G at the top of 39 bits", pt_map(&pt, (1ull << 39) - GB, (1ull << 39) - 1, true, true, true) == 0 &&
						  pt.st.leaves_by_size[2] == 1 && pt.st.table_pages == 1);
	pt_fini(&pt);
	CHECK("5 levels", pt_init(&pt, pool, 5, ALL_SIZES) == 0 && pt_last_iova(&pt) == (1ull << 57) - 1);
	CHECK("map high", pt_map(&pt, (1ull << 56), (1ull << 56) + 2 * MB - 1, true, true, true) == 0 &&
				  pt.st.table_pages == 4 && pt.st.leaves_by_size[1] == 1);
	pt_fini(&pt);
	pt_pool_free(pool);

	/* The byte limit: 3 pages allowed, a 4K map needs 4. */
	pool = pt_pool_new(3 * 4096);
	CHECK("small pool init", pt_init(&pt, pool, 4, ALL_SIZES) == 0);
	CHECK("limit gives ENOMEM", pt_map(&pt, 0, 4095, true, true, true) == -ENOMEM);
	pt_unmap(&pt, 0, 4095);
	CHECK("cleanup after ENOMEM", pt.st.table_pages == 1 && pool->bytes == 4096);
	pt_fini(&pt);
	pt_pool_free(pool);
}
