/* util.c - growable buffers, ordered pointer lists, JSON string output.
 * Small and boring on purpose: every other file builds on these. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab_internal.h"

void sb_reserve(struct sbuf *sb, size_t more)
{
	size_t cap;
	char *p;

	if (sb->oom || sb->len + more <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + more)
		cap *= 2;
	p = realloc(sb->p, cap);
	if (!p) {
		sb->oom = true;
		return;
	}
	sb->p = p;
	sb->cap = cap;
}

void sb_putn_slow(struct sbuf *sb, const void *data, size_t n)
{
	sb_reserve(sb, n);
	if (sb->oom || !n)
		return;
	memcpy(sb->p + sb->len, data, n);
	sb->len += n;
}

void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	sb_reserve(sb, 64);
	if (sb->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sb->cap - sb->len) {
		sb_reserve(sb, (size_t)n + 1);
		if (sb->oom)
			return;
		va_start(ap, fmt);
		vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

void sb_hex(struct sbuf *sb, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[20];
	int i = 20;

	do {
		buf[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	sb_putn(sb, buf + i, (size_t)(20 - i));
}

void sb_jstr(struct sbuf *sb, const char *s)
{
	size_t plain = 0;

	/* Names are plain ASCII: copy them in one go. */
	while (s[plain] && s[plain] != '"' && s[plain] != '\\' && (unsigned char)s[plain] >= 0x20)
		plain++;
	sb_putn(sb, "\"", 1);
	sb_putn(sb, s, plain);
	s += plain;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			sb_putn(sb, esc, 2);
		} else if (c < 0x20) {
			sb_printf(sb, "\\u%04x", c);
		} else {
			sb_putn(sb, s, 1);
		}
	}
	sb_putn(sb, "\"", 1);
}

void sb_free(struct sbuf *sb)
{
	free(sb->p);
	memset(sb, 0, sizeof(*sb));
}

static int pvec_grow(struct pvec *pv)
{
	size_t cap;
	void **v;

	if (pv->n < pv->cap)
		return 0;
	cap = pv->cap ? pv->cap * 2 : 4;
	v = realloc(pv->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	pv->v = v;
	pv->cap = cap;
	return 0;
}

int pvec_push(struct pvec *pv, void *p)
{
	return pvec_insert(pv, pv->n, p);
}

int pvec_insert(struct pvec *pv, size_t at, void *p)
{
	if (pvec_grow(pv))
		return -ENOMEM;
	memmove(pv->v + at + 1, pv->v + at, (pv->n - at) * sizeof(*pv->v));
	pv->v[at] = p;
	pv->n++;
	return 0;
}

long pvec_find(const struct pvec *pv, const void *p)
{
	for (size_t i = 0; i < pv->n; i++)
		if (pv->v[i] == p)
			return (long)i;
	return -1;
}

void pvec_remove(struct pvec *pv, const void *p)
{
	long i = pvec_find(pv, p);

	if (i < 0)
		return;
	memmove(pv->v + i, pv->v + i + 1, (pv->n - (size_t)i - 1) * sizeof(*pv->v));
	pv->n--;
}

void pvec_free(struct pvec *pv)
{
	free(pv->v);
	memset(pv, 0, sizeof(*pv));
}
