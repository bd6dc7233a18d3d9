/* fields.c — the record fields every tool reads the same way. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"

static const struct { const char *name; int len; } text_fields[] = {
	{ "text", 4 }, { "question", 8 }, { "message", 7 }, { "content", 7 }, { "body", 4 },
};
#define NTEXT (int)(sizeof text_fields / sizeof text_fields[0])

int
esc_text_field_rank(const char *only, const char *key, int len)
{
	int i;

	if (only)
		return esc_key_is(key, len, only) ? 0 : -1;
	if (len < 4 || len > 8)  /* the names are 4 to 8 bytes long */
		return -1;
	for (i = 0; i < NTEXT; i++)
		if (len == text_fields[i].len && memcmp(key, text_fields[i].name, (size_t)len) == 0)
			return i;
	return -1;
}

int
esc_plain_integer(char buf[ESC_INT_MAX], const char *s)
{
	char *end;
	long long i;
	unsigned long long u;

	if (strpbrk(s, ".eE"))
		return 0;
	errno = 0;
	i = strtoll(s, &end, 10);
	if (*s && !errno && !*end) {
		snprintf(buf, ESC_INT_MAX, "%lld", i);  /* "-0" too, as 0 */
		return 1;
	}
	errno = 0;
	u = strtoull(s, &end, 10);
	if (*s && !errno && !*end && *s != '-') {
		snprintf(buf, ESC_INT_MAX, "%llu", u);
		return 1;
	}
	return 0;
}

void
esc_number_id(struct esc_buf *out, const char *v, size_t n)
{
	char tmp[64], num[ESC_INT_MAX], *s = n < sizeof tmp ? tmp : malloc(n + 1);
	double d;

	if (!s) {
		esc_buf_oom = 1;
		return;
	}
	memcpy(s, v, n);
	s[n] = '\0';
	if (esc_plain_integer(num, s)) {
		esc_buf_puts(out, num);
	} else {
		d = strtod(s, NULL);
		if (d == 0)
			esc_buf_puts(out, "0");                 /* -0 too */
		else if (d == floor(d) && d >= -9223372036854775808.0 && d < 18446744073709551616.0)
			esc_buf_printf(out, "%.0f", d);         /* 1e17 as 100000000000000000 */
		else
			esc_buf_printf(out, "%.17g", d);
	}
	if (s != tmp)
		free(s);
}

void
esc_text_field_missing(const char *only, struct esc_err *err)
{
	if (only)
		esc_err_set(err, "field \"%s\" missing", only);
	else
		esc_err_set(err, "no text: none of the fields \"text\", \"question\", "
			"\"message\", \"content\", \"body\" is present");
}

int
esc_text_field_opt(const char *name, const char *own)
{
	if (!*name || strlen(name) >= ESC_JKEY_MAX) {
		esc_diag("error", NULL, 0, "--field: a name of 1 to %d bytes", ESC_JKEY_MAX - 1);
		return -1;
	}
	/* the member is replaced in the output: the question would be lost */
	if (strcmp(name, own) == 0) {
		esc_diag("error", NULL, 0, "--field: \"%s\" is the member %s writes", name, esc_prog);
		return -1;
	}
	return 0;
}

static const char *const sev_names[ESC_SEV_N] = { "low", "medium", "high", "critical" };

int
esc_severity_parse(const char *s, size_t n)
{
	int i;

	for (i = 0; i < ESC_SEV_N; i++)
		if (strlen(sev_names[i]) == n && memcmp(s, sev_names[i], n) == 0)
			return i;
	return -1;
}

const char *
esc_severity_name(int sev)
{
	return sev_names[sev < 0 ? 0 : sev >= ESC_SEV_N ? ESC_SEV_N - 1 : sev];
}
