/* ioasid_lab.h - the ABI of the IOASID core: one lab context, ioctl-shaped entry points.
 * Every entry point returns 0 or a negative errno; structs start with their size. */
#ifndef IOASID_LAB_H
#define IOASID_LAB_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define IOASID_API __attribute__((visibility("default")))
#else
#define IOASID_API
#endif

#define IOASID_ABI_VERSION 1

struct ioasid_lab;

IOASID_API uint32_t ioasid_abi_version(void);

/* Creates an empty lab under policy (see enum ioasid_policy); NULL on bad policy or no memory. */
IOASID_API struct ioasid_lab *ioasid_lab_create(uint32_t policy);
IOASID_API void ioasid_lab_destroy(struct ioasid_lab *lab);

#endif
