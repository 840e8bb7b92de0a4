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

static void msg_putc(struct msg_out *m, char c)
{
	if (m->len + 1 < m->cap)
		m->p[m->len++] = c;
}

/* Separate hex and decimal loops: a constant divisor is a multiply and a shift, a variable one a 64-bit
 * division per digit. */
static void msg_num(struct msg_out *m, unsigned long long v, bool hex)
{
	char digits[24];
	int n = 0;

	if (hex) {
		do {
			digits[n++] = "0123456789abcdef"[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			digits[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	}
	while (n)
		msg_putc(m, digits[--n]);
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
			msg_putc(&m, *f);
			continue;
		}
		f++;
		if (*f == '%') {
			msg_putc(&m, '%');
		} else if (*f == 's') {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				msg_putc(&m, *s);
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
