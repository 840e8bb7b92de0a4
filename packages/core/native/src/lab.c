/* lab.c - the lab context: owns every object of one simulated machine.
 * No globals, so many labs run side by side. */
#include <stdlib.h>
#include "ioasid_lab.h"

struct ioasid_lab {
	uint32_t policy;
};

uint32_t ioasid_abi_version(void)
{
	return IOASID_ABI_VERSION;
}

struct ioasid_lab *ioasid_lab_create(uint32_t policy)
{
	struct ioasid_lab *lab;

	if (policy > 3)
		return NULL;
	lab = calloc(1, sizeof(*lab));
	if (!lab)
		return NULL;
	lab->policy = policy;
	return lab;
}

void ioasid_lab_destroy(struct ioasid_lab *lab)
{
	free(lab);
}
