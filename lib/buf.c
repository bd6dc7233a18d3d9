/* buf.c — a growable byte buffer and the JSON text helpers built on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"

int esc_buf_oom;

int
esc_buf_reserve(struct esc_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len > n)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= n)
		cap *= 2;
	if (!(p = realloc(b->p, cap))) {
		esc_buf_oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
esc_buf_put(struct esc_buf *b, const void *s, size_t n)
{
	if (esc_buf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
esc_buf_puts(struct esc_buf *b, const char *s)
{
	esc_buf_put(b, s, strlen(s));
}

void
esc_buf_putc(struct esc_buf *b, char c)
{
	if (esc_buf_reserve(b, 1) < 0)
		return;
	b->p[b->len++] = c;
}

void
esc_buf_printf(struct esc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || esc_buf_reserve(b, (size_t)n + 1) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
esc_buf_json_str(struct esc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	if (esc_buf_reserve(b, n + 2) < 0)
		return;
	b->p[b->len++] = '"';
	for (i = 0; i < n; i += run) {
		unsigned char c = (unsigned char)s[i];

		/* copy the longest stretch that needs no escape in one go */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run) {
			esc_buf_put(b, s + i, run);
			continue;
		}
		run = 1;
		switch (c) {
		case '"': esc_buf_put(b, "\\\"", 2); break;
		case '\\': esc_buf_put(b, "\\\\", 2); break;
		case '\n': esc_buf_put(b, "\\n", 2); break;
		case '\r': esc_buf_put(b, "\\r", 2); break;
		case '\t': esc_buf_put(b, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			esc_buf_put(b, u, 6);
		}
		}
	}
	esc_buf_putc(b, '"');
}

/* Digits of an integer, without printf: the scorer writes several per line. */
static int
fmt_int(char *tmp, long long x)
{
	char rev[24];
	int n = 0, i = 0;
	unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;

	do
		rev[n++] = (char)('0' + u % 10);
	while ((u /= 10));
	if (x < 0)
		tmp[i++] = '-';
	while (n)
		tmp[i++] = rev[--n];
	return i;
}

void
esc_buf_int(struct esc_buf *b, long long x)
{
	char tmp[24];

	esc_buf_put(b, tmp, (size_t)fmt_int(tmp, x));
}

void
esc_buf_json_num(struct esc_buf *b, double v)
{
	char tmp[ESC_NUM_MAX];

	esc_buf_put(b, tmp, (size_t)esc_num_fmt(tmp, v));
}

int
esc_num_fmt(char *tmp, double v)
{
	int n;

	if (v != v || v > 1e300 || v < -1e300) {  /* JSON has no NaN or Inf */
		memcpy(tmp, "null", 4);
		return 4;
	}
	if (v < 1e15 && v > -1e15 && v == (double)(long long)v) {   /* in range: then cast */
		n = fmt_int(tmp, (long long)v);
	} else if (v < 1e9 && v > -1e9) {
		/* four decimals, rounded half away from zero, zeros trimmed */
		long long q = (long long)(v * 10000 + (v < 0 ? -0.5 : 0.5));
		long long ip = q / 10000, fp = q % 10000;
		int k;

		if (fp < 0)
			fp = -fp;
		n = 0;
		if (q < 0 && ip == 0)
			tmp[n++] = '-';
		n += fmt_int(tmp + n, ip);
		if (fp) {
			tmp[n++] = '.';
			for (k = 1000; k && fp; k /= 10) {
				tmp[n++] = (char)('0' + fp / k);
				fp %= k;
			}
		}
	} else {
		n = snprintf(tmp, ESC_NUM_MAX, "%.4f", v);
		while (n > 0 && tmp[n - 1] == '0')
			n--;
		if (n > 0 && tmp[n - 1] == '.')
			n--;
		if (n == 2 && tmp[0] == '-' && tmp[1] == '0') /* "-0.00001" */
			tmp[0] = '0', n = 1;
	}
	return n;
}

void
esc_buf_free(struct esc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
esc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, len;
	unsigned cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		else if ((s[i] & 0xf8) == 0xf0)
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}
