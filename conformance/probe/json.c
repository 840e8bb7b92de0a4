#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *p;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s at \"%.16s\"", what, r->p);
	return -1;
}

static void skip(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')
		r->p++;
}

static int value(struct reader *r, struct jv *out, int depth);

static int string(struct reader *r, char **out)
{
	const char *start = ++r->p;
	size_t cap = 16, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return fail(r, "out of memory");
	(void)start;
	for (;;) {
		char c = *r->p;

		if (c == '\0' || c == '\n') {
			free(buf);
			return fail(r, "unterminated string");
		}
		r->p++;
		if (c == '"')
			break;
		if (c == '\\') {
			char e = *r->p++;

			switch (e) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			default:
				free(buf);
				return fail(r, "unsupported escape");
			}
		}
		if (len + 2 > cap) {
			char *grown = realloc(buf, cap *= 2);

			if (!grown) {
				free(buf);
				return fail(r, "out of memory");
			}
			buf = grown;
		}
		buf[len++] = c;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int push(struct jv *out, char *key, struct jv *item)
{
	struct jv *items = realloc(out->items, sizeof(*items) * (out->n + 1));

	if (!items)
		return -1;
	out->items = items;
	if (out->type == J_OBJ) {
		char **keys = realloc(out->keys, sizeof(*keys) * (out->n + 1));

		if (!keys)
			return -1;
		out->keys = keys;
		keys[out->n] = key;
	}
	items[out->n++] = *item;
	return 0;
}

static int compound(struct reader *r, struct jv *out, int depth, char close)
{
	out->type = close == '}' ? J_OBJ : J_ARR;
	r->p++;
	skip(r);
	if (*r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct jv item = { 0 };

		skip(r);
		if (close == '}') {
			if (*r->p != '"')
				return fail(r, "expected a key");
			if (string(r, &key))
				return -1;
			skip(r);
			if (*r->p != ':') {
				free(key);
				return fail(r, "expected ':'");
			}
			r->p++;
		}
		if (value(r, &item, depth + 1) || push(out, key, &item)) {
			free(key);
			json_free(&item);
			return -1;
		}
		skip(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p == close) {
			r->p++;
			return 0;
		}
		return fail(r, "expected ',' or a closing bracket");
	}
}

static int value(struct reader *r, struct jv *out, int depth)
{
	memset(out, 0, sizeof(*out));
	if (depth > 8)
		return fail(r, "nested too deeply");
	skip(r);
	switch (*r->p) {
	case '{':
		return compound(r, out, depth, '}');
	case '[':
		return compound(r, out, depth, ']');
	case '"':
		out->type = J_STR;
		return string(r, &out->text);
	case 't':
		if (strncmp(r->p, "true", 4))
			return fail(r, "bad literal");
		r->p += 4;
		out->type = J_BOOL;
		out->boolean = 1;
		return 0;
	case 'f':
		if (strncmp(r->p, "false", 5))
			return fail(r, "bad literal");
		r->p += 5;
		out->type = J_BOOL;
		return 0;
	case 'n':
		if (strncmp(r->p, "null", 4))
			return fail(r, "bad literal");
		r->p += 4;
		return 0;
	default: {
		const char *start = r->p;

		if (*r->p == '-')
			r->p++;
		if (!isdigit((unsigned char)*r->p))
			return fail(r, "unexpected character");
		while (isdigit((unsigned char)*r->p) || *r->p == '.' || *r->p == 'e' || *r->p == 'E' ||
		       *r->p == '+' || *r->p == '-')
			r->p++;
		out->type = J_NUM;
		out->text = strndup(start, r->p - start);
		return out->text ? 0 : fail(r, "out of memory");
	}
	}
}

int json_parse(const char *text, struct jv *out, char *err, size_t errlen)
{
	struct reader r = { text, err, errlen };

	if (value(&r, out, 0)) {
		json_free(out);
		return -1;
	}
	skip(&r);
	if (*r.p) {
		json_free(out);
		return fail(&r, "trailing text");
	}
	return 0;
}

void json_free(struct jv *v)
{
	for (int i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

const struct jv *json_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (int i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

int json_u64(const struct jv *v, uint64_t *out)
{
	char *end;

	if (!v || (v->type != J_NUM && v->type != J_STR) || !v->text[0] || v->text[0] == '-')
		return -1;
	errno = 0;
	*out = strtoull(v->text, &end, 0);
	return errno || *end ? -1 : 0;
}
