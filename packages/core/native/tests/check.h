/* check.h - the tiny harness of the C unit tests: CHECK counts, main prints "N passed, N failed". */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

extern int checks_passed, checks_failed;

#define CHECK(name, cond)                                                              \
	do {                                                                           \
		if (cond) {                                                            \
			checks_passed++;                                               \
		} else {                                                               \
			checks_failed++;                                               \
			fprintf(stderr, "FAIL %s (%s:%d)\n", name, __FILE__, __LINE__); \
		}                                                                      \
	} while (0)

void pagetable_tests(void);
void object_tests(void);
void message_tests(void);
void kernel_tests(void);
void scale_tests(void);

#endif
