/* effects.c - the effect writer: each op appends its effects to lab->out as binary records (the layout is
 * in the comment over enum ioasid_effect in the ABI header), so one FFI call returns an op's whole result. */
#include <string.h>
#include "lab_internal.h"

static inline void out8(struct ioasid_lab *lab, uint8_t v)
{
	sb_putn(&lab->out, &v, 1);
}

void ef_begin(struct ioasid_lab *lab, enum ioasid_effect type)
{
	lab->nr_effects++;
	out8(lab, (uint8_t)type);
	lab->ef_fields_at = lab->out.len;
	out8(lab, 0);
}

static void ef_key(struct ioasid_lab *lab, enum ioasid_effect_key key)
{
	if (!lab->out.oom)
		lab->out.p[lab->ef_fields_at]++;
	out8(lab, (uint8_t)key);
}

void ef_str(struct ioasid_lab *lab, enum ioasid_effect_key key, const char *value)
{
	size_t n = strnlen(value, 255);

	ef_key(lab, key);
	out8(lab, (uint8_t)n);
	sb_putn(&lab->out, value, n);
}

void ef_u32(struct ioasid_lab *lab, enum ioasid_effect_key key, uint32_t value)
{
	ef_key(lab, key);
	sb_putn(&lab->out, &value, 4);
}

void ef_hex(struct ioasid_lab *lab, enum ioasid_effect_key key, uint64_t value)
{
	ef_key(lab, key);
	sb_putn(&lab->out, &value, 8);
}

void ef_bool(struct ioasid_lab *lab, enum ioasid_effect_key key, bool value)
{
	ef_key(lab, key);
	out8(lab, value);
}

void ef_end(struct ioasid_lab *lab)
{
	(void)lab;
}
