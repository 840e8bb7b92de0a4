/* test_main.c - C unit tests of the core; prints "N passed, N failed". */
#include <stdio.h>
#include "ioasid_lab.h"

static int passed, failed;

#define CHECK(name, cond)                                                     \
	do {                                                                  \
		if (cond) {                                                   \
			passed++;                                             \
		} else {                                              \
			failed++;                                             \
			fprintf(stderr, "FAIL %s (%s:%d)\n", name, __FILE__, __LINE__); \
		}                                                             \
	} while (0)

int main(void)
{
	struct ioasid_lab *lab;

	CHECK("abi version", ioasid_abi_version() == IOASID_ABI_VERSION);
	lab = ioasid_lab_create(0);
	CHECK("lab create", lab != NULL);
	ioasid_lab_destroy(lab);
	CHECK("bad policy refused", ioasid_lab_create(99) == NULL);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
