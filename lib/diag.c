/* diag.c — one way to say what went wrong: "prog: level (at NAME:LINE): msg". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "esc.h"

const char *esc_prog = "esc";

void
esc_err_set(struct esc_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

void
esc_err_unstored(struct esc_err *e, const char *name, unsigned long line)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof e->msg - n, "; nothing from %s:%lu on was stored", name,
		line);
}

void
esc_vdiag(const char *level, const char *name, unsigned long line,
	const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	if (name && line)
		fprintf(stderr, "%s: %s (at %s:%lu): ", esc_prog, level, name, line);
	else if (name)
		fprintf(stderr, "%s: %s (at %s): ", esc_prog, level, name);
	else
		fprintf(stderr, "%s: %s: ", esc_prog, level);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void
esc_diag(const char *level, const char *name, unsigned long line,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	esc_vdiag(level, name, line, fmt, ap);
	va_end(ap);
}

int
esc_fshut(FILE *f, const char *name)
{
	int bad = 0;

	if (fflush(f) == EOF || ferror(f))
		bad = 1;
	/* keep errno from the failing call for the message */
	if (bad) {
		esc_diag("error", NULL, 0, "cannot write %s:", name);
		fclose(f);
		return -1;
	}
	if (fclose(f) == EOF) {
		esc_diag("error", NULL, 0, "cannot write %s:", name);
		return -1;
	}
	return 0;
}
