/* A small JSON reader for the probe: one scenario op per line, a flat object whose values are
 * strings, numbers, booleans, null, arrays and objects. Numbers are kept as text so 64-bit IOVAs
 * never pass through a double. */
#ifndef CONFORMANCE_JSON_H
#define CONFORMANCE_JSON_H

#include <stddef.h>
#include <stdint.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	int boolean;
	char *text;        /* J_NUM and J_STR */
	int n;             /* J_ARR and J_OBJ */
	char **keys;       /* J_OBJ */
	struct jv *items;  /* J_ARR and J_OBJ */
};

/* Parses text into *out; returns 0, or -1 with a message in err. */
int json_parse(const char *text, struct jv *out, char *err, size_t errlen);
void json_free(struct jv *v);
const struct jv *json_get(const struct jv *obj, const char *key);
/* A u64 from a number or a decimal/0x-hex string; returns 0 or -1 if absent or not a u64. */
int json_u64(const struct jv *v, uint64_t *out);

#endif
