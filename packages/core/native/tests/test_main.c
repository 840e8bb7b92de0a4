/* test_main.c - C unit tests of the core; prints "N passed, N failed". */
#include <stdio.h>
#include "check.h"
#include "ioasid_lab.h"

int checks_passed, checks_failed;

int main(void)
{
	struct ioasid_lab *lab;

	CHECK("abi version", ioasid_abi_version() == IOASID_ABI_VERSION);
	lab = ioasid_lab_create(0);
	CHECK("lab create", lab != NULL);
	ioasid_lab_destroy(lab);
	CHECK("bad policy refused", ioasid_lab_create(99) == NULL);
	pagetable_tests();
	object_tests();
	message_tests();
	kernel_tests();
	scale_tests();
	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed ? 1 : 0;
}
