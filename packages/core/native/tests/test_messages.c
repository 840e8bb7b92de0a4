/* test_messages.c - lab_err's own formatter gives what snprintf gives, truncation and fallback included. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "lab_internal.h"

#define SAME(label, ...)                                                   \
	do {                                                               \
		char want[sizeof(lab->msg)];                               \
		snprintf(want, sizeof(want), __VA_ARGS__);                 \
		CHECK(label " (rc)", lab_err(lab, EEXIST, __VA_ARGS__) == -EEXIST); \
		CHECK(label, strcmp(lab->msg, want) == 0);                 \
	} while (0)

void message_tests(void)
{
	struct ioasid_lab *lab = ioasid_lab_create(IOASID_POLICY_IOMMUFD);
	/* Longer than the message buffer; on the heap so the compiler does not warn about the truncation. */
	char *longname = malloc(400);

	memset(longname, 'n', 399);
	longname[399] = 0;
	SAME("plain", "no conversions at all");
	SAME("overlap", "ioas %u: iova 0x%llx+0x%llx overlaps area 0x%llx+0x%llx", 1u, 0ull, 0x1000ull, 0ull,
	     0xfee00000ull);
	SAME("extremes", "%u %x %llu %llx %zu", 0u, UINT_MAX, ULLONG_MAX, ULLONG_MAX, (size_t)SIZE_MAX);
	SAME("strings and percent", "device %s: %s at 100%%", "d0", "busy");
	SAME("truncated", "vm %s: %u", longname, 7u);
	SAME("fallback width", "%5u|%-4s|", 42u, "ab");
	SAME("fallback signed", "%d %s", -3, "x");
	free(longname);
	ioasid_lab_destroy(lab);
}
