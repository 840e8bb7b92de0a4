/* bench.c - what the benchmarks measure against in the same run: a call that does nothing, a plain loop
 * writing PTEs, and the monotonic clock, so C work is timed without FFI noise. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lab_internal.h"

int32_t ioasid_nop(struct ioasid_lab *lab, uint32_t cmd, const void *arg, uint32_t arg_len, void *out,
		   uint32_t out_cap)
{
	(void)lab;
	(void)cmd;
	(void)arg;
	(void)arg_len;
	(void)out;
	(void)out_cap;
	return 0;
}

uint64_t ioasid_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ioasid_bench_baseline(uint64_t entries, uint32_t cold)
{
	uint64_t *mem = malloc(entries * sizeof(*mem));
	uint64_t t0, t1;

	if (!mem)
		return 0;
	if (cold != 1)
		memset(mem, 0xff, entries * sizeof(*mem));
	if (cold == 2) {
		/* Larger than any last-level cache here: what was touched above is back in memory. */
		size_t evict_bytes = 64u << 20;
		unsigned char *evict = malloc(evict_bytes);

		if (evict) {
			memset(evict, 1, evict_bytes);
			__asm__ volatile("" : : "r"(evict) : "memory");
			free(evict);
		}
	}
	t0 = ioasid_now_ns();
	for (uint64_t i = 0; i < entries; i++)
		mem[i] = (i << 12) | PTE_R | PTE_W | PTE_SNP;
	__asm__ volatile("" : : "r"(mem) : "memory");
	t1 = ioasid_now_ns();
	free(mem);
	return t1 - t0;
}
