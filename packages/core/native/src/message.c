/* message.c - the messages of refusals: lab_err() formats them into lab->msg itself, because glibc's
 * vsnprintf was a measurable part of a refused op (see msg_format). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lab_internal.h"

struct msg_out {
	char *p;
	size_t len, cap; /* cap counts the terminating NUL */
};

/* Appends n bytes, cut at the buffer's end: literal runs and numbers go in whole, not byte by byte. */
static void msg_put(struct msg_out *m, const char *s, size_t n)
{
	size_t room = m->cap - 1 - m->len;

	if (n > room)
		n = room;
	memcpy(m->p + m->len, s, n);
	m->len += n;
}

/* Digits are written backwards into a small buffer, then appended at once. Separate hex and decimal
 * loops: a constant divisor is a multiply and a shift, a variable one a 64-bit division per digit. */
static void msg_num(struct msg_out *m, unsigned long long v, bool hex)
{
	char digits[24];
	char *end = digits + sizeof(digits), *d = end;

	if (hex) {
		do {
			*--d = "0123456789abcdef"[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			*--d = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	}
	msg_put(m, d, (size_t)(end - d));
}

/*
 * vsnprintf for the conversions the core's messages use (%s %u %x %llu %llx %zu %%). glibc's vsnprintf took
 * longer than a refused op's own work; any other conversion (flags, widths, ...) falls back to it.
 */
static void msg_format(char *dst, size_t cap, const char *fmt, va_list ap)
{
	struct msg_out m = { dst, 0, cap };
	va_list copy;

	va_copy(copy, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			const char *run = f;

			while (f[1] && f[1] != '%')
				f++;
			msg_put(&m, run, (size_t)(f - run + 1));
			continue;
		}
		f++;
		if (*f == '%') {
			msg_put(&m, "%", 1);
		} else if (*f == 's') {
			const char *s = va_arg(ap, const char *);

			s = s ? s : "(null)";
			msg_put(&m, s, strlen(s));
		} else if (*f == 'u' || *f == 'x') {
			msg_num(&m, va_arg(ap, unsigned int), *f == 'x');
		} else if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'u' || f[2] == 'x')) {
			msg_num(&m, va_arg(ap, unsigned long long), f[2] == 'x');
			f += 2;
		} else if (f[0] == 'z' && f[1] == 'u') {
			msg_num(&m, va_arg(ap, size_t), false);
			f++;
		} else {
			vsnprintf(dst, cap, fmt, copy);
			va_end(copy);
			return;
		}
	}
	dst[m.len] = 0;
	va_end(copy);
}

int lab_err(struct ioasid_lab *lab, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_format(lab->msg, sizeof(lab->msg), fmt, ap);
	va_end(ap);
	return -err;
}
