/* report.c — esc-stats's plain writers: JSON lines (one object per row,
 * with its "section"), aligned tables for a terminal (-t), and CSV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "stats.h"

void
esc_format_duration(double secs, char *buf, size_t n)
{
	long long s = llround(secs), a = s < 0 ? -s : s;
	const char *sign = s < 0 ? "-" : "";

	if (a < 60)
		snprintf(buf, n, "%s%llds", sign, a);
	else if (a < 3600)
		snprintf(buf, n, "%s%lldm%02llds", sign, a / 60, a % 60);
	else if (a < 86400)
		snprintf(buf, n, "%s%lldh%02lldm", sign, a / 3600, a % 3600 / 60);
	else
		snprintf(buf, n, "%s%lldd%02lldh", sign, a / 86400, a % 86400 / 3600);
}

static void
format_date(long long t, char *buf, size_t n)
{
	char tb[64];

	esc_time_format((time_t)t, tb, sizeof tb);
	snprintf(buf, n, "%.10s", tb);
}

/* ---- JSON lines ---- */

static void
json_value(struct esc_buf *b, const struct esc_cell *c)
{
	char tb[64];

	switch (c->type) {
	case ESC_V_NULL: esc_buf_puts(b, "null"); break;
	case ESC_V_INT: esc_buf_printf(b, "%lld", c->i); break;
	case ESC_V_TEXT: esc_buf_json_str(b, c->s, strlen(c->s)); break;
	case ESC_V_TIME:
		esc_buf_printf(b, "\"%s\"", esc_time_format((time_t)c->i, tb, sizeof tb));
		break;
	case ESC_V_DATE:
		format_date(c->i, tb, sizeof tb);
		esc_buf_printf(b, "\"%s\"", tb);
		break;
	default: esc_buf_json_num(b, c->r); break;
	}
}

void
esc_report_json(const struct esc_report *r, struct esc_buf *out)
{
	const struct esc_table *t;
	const struct esc_cell *c;
	size_t i;
	int s, k;

	for (s = 0; s < ESC_SEC_N; s++) {
		if (!(t = r->t[s]))
			continue;
		for (i = 0; i < t->nrow; i++) {
			esc_buf_printf(out, "{\"section\":\"%s\"", t->name);
			for (k = 0; k < t->ncol; k++) {
				c = esc_table_cell(t, i, k);
				esc_buf_printf(out, ",\"%s\":", t->cols[k].name);
				json_value(out, c);
				if (t->cols[k].type != ESC_V_RATE)
					continue;
				/* the interval beside the rate: NAME_lo, NAME_hi */
				esc_buf_printf(out, ",\"%s_lo\":", t->cols[k].name);
				if (c->type == ESC_V_RATE)
					esc_buf_json_num(out, c->lo);
				else
					esc_buf_puts(out, "null");
				esc_buf_printf(out, ",\"%s_hi\":", t->cols[k].name);
				if (c->type == ESC_V_RATE)
					esc_buf_json_num(out, c->hi);
				else
					esc_buf_puts(out, "null");
			}
			esc_buf_puts(out, "}\n");
		}
	}
}

/* ---- tables for people ---- */

/* Characters, not bytes: a UTF-8 continuation byte adds no width. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void
esc_cell_text(const struct esc_cell *c, char *buf, size_t n, size_t max)
{
	char a[32], b[32];
	size_t i, w;

	switch (c->type) {
	case ESC_V_NULL: snprintf(buf, n, "-"); break;
	case ESC_V_INT: snprintf(buf, n, "%lld", c->i); break;
	case ESC_V_REAL:
		if (c->r == floor(c->r) && fabs(c->r) < 1e15)
			snprintf(buf, n, "%.0f", c->r);
		else
			snprintf(buf, n, "%.2f", c->r);
		break;
	case ESC_V_TEXT: {
		/* keep max characters; a longer text keeps max - 3 and "..." */
		size_t keep = width(c->s) > max ? max - 3 : max;

		for (i = w = 0; c->s[i] && i + 4 < n; i++) {
			if (((unsigned char)c->s[i] & 0xc0) != 0x80 && w++ == keep)
				break;
			buf[i] = c->s[i] == '\n' || c->s[i] == '\t' || c->s[i] == '\r' ? ' ' : c->s[i];
		}
		/* never end inside a character */
		while (i > 0 && c->s[i] && ((unsigned char)c->s[i] & 0xc0) == 0x80)
			i--;
		buf[i] = '\0';
		if (c->s[i])
			snprintf(buf + i, n - i, "...");
		break;
	}
	case ESC_V_TIME: {
		char tb[64];

		esc_time_format((time_t)c->i, tb, sizeof tb);
		snprintf(buf, n, "%.10s %.5s", tb, tb + 11);
		break;
	}
	case ESC_V_DATE: format_date(c->i, buf, n); break;
	case ESC_V_DUR: esc_format_duration(c->r, buf, n); break;
	case ESC_V_PCT: snprintf(buf, n, "%.1f%%", c->r * 100); break;
	case ESC_V_SCORE:       /* what rounds to 0 has no sign: not -0.0 */
		snprintf(buf, n, fabs(c->r) < 0.05 ? "0.0" : "%+.1f", c->r);
		break;
	case ESC_V_RATE:
		snprintf(a, sizeof a, "%.1f", c->lo * 100);
		snprintf(b, sizeof b, "%.1f", c->hi * 100);
		snprintf(buf, n, "%.1f%% (%s-%s)", c->r * 100, a, b);
		break;
	}
}

void
esc_table_text(const struct esc_table *t, size_t i, int c, char *buf, size_t n, size_t max)
{
	const struct esc_cell *e = esc_table_cell(t, i, c);

	if (e->type == ESC_V_NULL && t->cols[c].type == ESC_V_TEXT && t->text_none)
		snprintf(buf, n, "%s", t->text_none);
	else
		esc_cell_text(e, buf, n, max);
}

static int
right_aligned(enum esc_vt t)
{
	return t != ESC_V_TEXT && t != ESC_V_TIME && t != ESC_V_DATE;
}

/* Column c of t in the -t table? */
static int
shown(const struct esc_table *t, int c)
{
	return c < 64 && !(c < (int)(8 * sizeof t->text_hide) && (t->text_hide >> c & 1));
}

void
esc_report_text(const struct esc_report *r, struct esc_buf *out)
{
	const struct esc_table *t;
	size_t i, w[64], cw, k, max;
	char v[256];
	int s, c, last, first = 1;

	for (s = 0; s < ESC_SEC_N; s++) {
		if (!(t = r->t[s]))
			continue;
		if (!first)
			esc_buf_putc(out, '\n');
		first = 0;
		esc_buf_printf(out, "%s\n", t->title);
		max = t->text_max ? (size_t)t->text_max : 48;
		if (!t->nrow) {
			esc_buf_puts(out, "  (nothing)\n");
			continue;
		}
		for (last = -1, c = 0; c < t->ncol && c < 64; c++) {
			if (!shown(t, c))
				continue;
			last = c;
			w[c] = width(t->cols[c].head);
			for (i = 0; i < t->nrow; i++) {
				esc_table_text(t, i, c, v, sizeof v, max);
				if ((cw = width(v)) > w[c])
					w[c] = cw;
			}
		}
		for (c = 0; c < t->ncol && c < 64; c++) {
			const char *h = t->cols[c].head;
			size_t pad;

			if (!shown(t, c))
				continue;
			pad = w[c] - width(h);
			esc_buf_puts(out, "  ");
			if (right_aligned(t->cols[c].type))
				esc_buf_printf(out, "%*s%s", (int)pad, "", h);
			else if (c == last)
				esc_buf_puts(out, h);
			else
				esc_buf_printf(out, "%s%*s", h, (int)pad, "");
		}
		esc_buf_putc(out, '\n');
		for (c = 0; c < t->ncol && c < 64; c++) {
			if (!shown(t, c))
				continue;
			esc_buf_puts(out, "  ");
			for (k = 0; k < w[c]; k++)
				esc_buf_putc(out, '-');
		}
		esc_buf_putc(out, '\n');
		for (i = 0; i < t->nrow; i++) {
			for (c = 0; c < t->ncol && c < 64; c++) {
				size_t pad;

				if (!shown(t, c))
					continue;
				esc_table_text(t, i, c, v, sizeof v, max);
				pad = w[c] - width(v);
				esc_buf_puts(out, "  ");
				if (right_aligned(t->cols[c].type))
					esc_buf_printf(out, "%*s%s", (int)pad, "", v);
				else if (c == last)
					esc_buf_puts(out, v);
				else
					esc_buf_printf(out, "%s%*s", v, (int)pad, "");
			}
			esc_buf_putc(out, '\n');
		}
		if (t->text_note)
			esc_buf_printf(out, "  (%s)\n", t->text_note);
	}
}

/* ---- CSV (RFC 4180 quoting) ---- */

/* A text a spreadsheet would take for a formula (=, +, -, @, a tab or a
 * carriage return first) gets a ' before it, and is quoted: questions,
 * agents and problems are people's words, and the CSV is for spreadsheets.
 * Numbers are never texts here, so -1 stays a number. */
static void
csv_field(struct esc_buf *b, const char *s)
{
	const char *p;
	int formula = *s && strchr("=+-@\t\r", *s);

	if (!formula && !strpbrk(s, ",\"\r\n")) {
		esc_buf_puts(b, s);
		return;
	}
	esc_buf_putc(b, '"');
	if (formula)
		esc_buf_putc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '"')
			esc_buf_putc(b, '"');
		esc_buf_putc(b, *p);
	}
	esc_buf_putc(b, '"');
}

static void
csv_num(struct esc_buf *b, double v)
{
	esc_buf_json_num(b, v);
}

void
esc_report_csv(const struct esc_report *r, struct esc_buf *out)
{
	const struct esc_table *t;
	const struct esc_cell *e;
	char tb[64];
	size_t i;
	int s, c, first = 1;

	for (s = 0; s < ESC_SEC_N; s++) {
		if (!(t = r->t[s]))
			continue;
		if (!first)
			esc_buf_putc(out, '\n');
		first = 0;
		esc_buf_puts(out, "section");
		for (c = 0; c < t->ncol; c++) {
			esc_buf_printf(out, ",%s", t->cols[c].name);
			if (t->cols[c].type == ESC_V_RATE)
				esc_buf_printf(out, ",%s_lo,%s_hi", t->cols[c].name, t->cols[c].name);
		}
		esc_buf_putc(out, '\n');
		for (i = 0; i < t->nrow; i++) {
			esc_buf_puts(out, t->name);
			for (c = 0; c < t->ncol; c++) {
				e = esc_table_cell(t, i, c);
				esc_buf_putc(out, ',');
				switch (e->type) {
				case ESC_V_NULL:
					if (t->cols[c].type == ESC_V_RATE)
						esc_buf_puts(out, ",,");
					break;
				case ESC_V_INT: esc_buf_printf(out, "%lld", e->i); break;
				case ESC_V_TEXT: csv_field(out, e->s); break;
				case ESC_V_TIME:
					esc_buf_puts(out, esc_time_format((time_t)e->i, tb, sizeof tb));
					break;
				case ESC_V_DATE:
					format_date(e->i, tb, sizeof tb);
					esc_buf_puts(out, tb);
					break;
				case ESC_V_RATE:
					csv_num(out, e->r);
					esc_buf_putc(out, ',');
					csv_num(out, e->lo);
					esc_buf_putc(out, ',');
					csv_num(out, e->hi);
					break;
				default: csv_num(out, e->r); break;
				}
			}
			esc_buf_putc(out, '\n');
		}
	}
}
