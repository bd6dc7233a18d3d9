/* html.c — esc-stats --html: one self-contained page (inline CSS, inline
 * SVG, a few lines of inline script; nothing fetched) with three charts —
 * conversion by offer with its 95% interval, the trend of escalations and
 * the paid escalation rate, the SLA state per severity — and every table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "stats.h"

#define W 720
#define H 320
#define ML 56     /* margins: room for the axes' labels */
#define MR 56
#define MT 20
#define MB 56

static void
html_str(struct esc_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': esc_buf_puts(b, "&amp;"); break;
		case '<': esc_buf_puts(b, "&lt;"); break;
		case '>': esc_buf_puts(b, "&gt;"); break;
		case '"': esc_buf_puts(b, "&quot;"); break;
		case '\'': esc_buf_puts(b, "&#39;"); break;
		default: esc_buf_putc(b, *s);
		}
	}
}

/* A round top for an axis: 1, 2 or 5 times a power of ten, at least v. */
static double
nice(double v)
{
	double p, f;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	f = v / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void
svg_open(struct esc_buf *b, const char *kind, const char *label)
{
	esc_buf_printf(b, "<svg class=\"chart\" id=\"chart-%s\" data-chart=\"%s\" "
		"xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", kind, kind, W, H, W, H);
	html_str(b, label);
	esc_buf_puts(b, "\">\n");
}

/* The left axis from 0 to top in n steps; pct writes percentages, else
 * the ticks are counts. */
static void
axis_left(struct esc_buf *b, double top, int n, int pct)
{
	int i;

	esc_buf_printf(b, "<path class=\"axis\" d=\"M%d %d V%d H%d\"/>\n", ML, MT, H - MB, W - MR);
	for (i = 0; i <= n; i++) {
		double v = top * i / n, y = H - MB - (H - MB - MT) * (double)i / n;

		esc_buf_printf(b, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			ML - 6, y + 4);
		if (pct)
			esc_buf_printf(b, "%g%%", round(v * 1000) / 10);
		else
			esc_buf_printf(b, "%.0f", v);
		esc_buf_puts(b, "</text>\n");
		if (i)
			esc_buf_printf(b, "<path class=\"grid\" d=\"M%d %.1f H%d\"/>\n", ML, y, W - MR);
	}
}

/* Add up a table's rows by the text of column key (they may be split by
 * bucket): for each distinct key, the sums of the int columns asked for. */
struct sum {
	const char *key;
	long long v[8];
};

static size_t
sum_by(const struct esc_table *t, const char *key, const char *const *cols, int ncols,
	struct sum **out)
{
	struct sum *s = NULL, *ns;
	size_t n = 0, i, j;
	int kc = esc_table_col(t, key), c, idx[8];

	*out = NULL;
	if (kc < 0 || ncols > 8)
		return 0;
	for (c = 0; c < ncols; c++)
		idx[c] = esc_table_col(t, cols[c]);
	for (i = 0; i < t->nrow; i++) {
		const char *k = esc_table_cell(t, i, kc)->s;

		for (j = 0; j < n; j++)
			if ((s[j].key && k) ? !strcmp(s[j].key, k) : s[j].key == k)
				break;
		if (j == n) {
			if (!(ns = realloc(s, (n + 1) * sizeof *s)))
				break;
			s = ns;
			memset(&s[n], 0, sizeof *s);
			s[n++].key = k;
		}
		for (c = 0; c < ncols; c++)
			if (idx[c] >= 0)
				s[j].v[c] += esc_table_cell(t, i, idx[c])->i;
	}
	*out = s;
	return n;
}

/* Conversion rate by offer, the Wilson interval as error bars. */
static void
chart_offer(struct esc_buf *b, const struct esc_table *t)
{
	static const char *const cols[] = { "escalations", "conversions" };
	struct sum *s;
	size_t n = sum_by(t, "offer", cols, 2, &s), i, m = 0;
	double top = 0.1, lo, hi, bw, x, y, yl, yh, plot = H - MB - MT;

	for (i = 0; i < n; i++) {
		if (!s[i].key)
			continue;       /* human escalations have no offer */
		esc_wilson(s[i].v[1], s[i].v[0], 1.96, &lo, &hi);
		if (hi > top)
			top = hi;
		m++;
	}
	top = nice(top);
	if (top > 1)
		top = 1;
	svg_open(b, "offer", "Conversion rate by offer, with 95% Wilson intervals");
	axis_left(b, top, 4, 1);
	bw = m ? (double)(W - ML - MR) / (double)m : 0;
	for (i = 0, m = 0; i < n; i++) {
		double rate;

		if (!s[i].key)
			continue;
		rate = s[i].v[0] ? (double)s[i].v[1] / (double)s[i].v[0] : 0;
		esc_wilson(s[i].v[1], s[i].v[0], 1.96, &lo, &hi);
		x = ML + bw * (double)m++;
		y = H - MB - plot * rate / top;
		yl = H - MB - plot * lo / top;
		yh = H - MB - plot * hi / top;
		esc_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"><title>", x + bw * 0.2, y, bw * 0.6, H - MB - y);
		html_str(b, s[i].key);
		esc_buf_printf(b, ": %lld of %lld, %.1f%% (95%% CI %.1f-%.1f%%)</title></rect>\n",
			s[i].v[1], s[i].v[0], rate * 100, lo * 100, hi * 100);
		esc_buf_printf(b, "<path class=\"err\" d=\"M%.1f %.1f V%.1f M%.1f %.1f H%.1f "
			"M%.1f %.1f H%.1f\"/>\n", x + bw / 2, yl, yh, x + bw * 0.4, yl, x + bw * 0.6,
			x + bw * 0.4, yh, x + bw * 0.6);
		esc_buf_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			x + bw / 2, H - MB + 18);
		html_str(b, s[i].key);
		esc_buf_printf(b, "</text>\n<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">n=%lld</text>\n", x + bw / 2, H - MB + 34, s[i].v[0]);
	}
	if (!m)
		esc_buf_printf(b, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			"no paid escalations</text>\n", W / 2, H / 2);
	esc_buf_puts(b, "</svg>\n");
	free(s);
}

/* Escalations per bucket as bars, the paid escalation rate as a line on
 * the right-hand axis, and its 10-15% target as a band. */
static void
chart_trend(struct esc_buf *b, const struct esc_table *t)
{
	int cb = esc_table_col(t, "bucket"), ce = esc_table_col(t, "escalations"),
		cr = esc_table_col(t, "paid_rate");
	double top = 1, step, rtop = 0.2, bw, x, y, plot = H - MB - MT;
	size_t i, every;
	char tb[32];
	int pen = 0, n;

	for (i = 0; i < t->nrow; i++) {
		if ((double)esc_table_cell(t, i, ce)->i > top)
			top = (double)esc_table_cell(t, i, ce)->i;
		if (esc_table_cell(t, i, cr)->type == ESC_V_PCT && esc_table_cell(t, i, cr)->r > rtop)
			rtop = esc_table_cell(t, i, cr)->r;
	}
	/* escalations are counted: whole ticks, a step of 1, 2, 5, 10, 20, ...
	 * and at most five of them up to the top */
	step = nice(top / 5);
	if (step < 1)
		step = 1;
	n = (int)ceil(top / step);
	top = n * step;
	/* the rate on the right, on the same grid lines: n round steps */
	rtop = n * nice(rtop / n);
	svg_open(b, "trend", "Escalations and the paid escalation rate over time");
	axis_left(b, top, n, 0);
	/* the right axis: the rate */
	esc_buf_printf(b, "<path class=\"axis\" d=\"M%d %d V%d\"/>\n", W - MR, MT, H - MB);
	for (i = 0; i <= (size_t)n; i++)
		esc_buf_printf(b, "<text class=\"tick\" x=\"%d\" y=\"%.1f\">%g%%</text>\n",
			W - MR + 6, H - MB - plot * (double)i / n + 4, round(rtop * i / n * 1000) / 10);
	esc_buf_printf(b, "<rect class=\"target\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\">"
		"<title>target: paid escalations, 10-15%% of questions</title></rect>\n", ML,
		H - MB - plot * (rtop < 0.15 ? rtop : 0.15) / rtop, W - ML - MR,
		plot * ((rtop < 0.15 ? rtop : 0.15) - (rtop < 0.10 ? rtop : 0.10)) / rtop);
	bw = t->nrow ? (double)(W - ML - MR) / (double)t->nrow : 0;
	every = t->nrow / 8 + 1;
	for (i = 0; i < t->nrow; i++) {
		long long e = esc_table_cell(t, i, ce)->i;

		x = ML + bw * (double)i;
		y = H - MB - plot * (double)e / top;
		esc_table_cell(t, i, cb);
		esc_cell_text(esc_table_cell(t, i, cb), tb, sizeof tb, 20);
		esc_buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"><title>%s: %lld escalations</title></rect>\n",
			x + bw * 0.1, y, bw * 0.8 > 0.5 ? bw * 0.8 : 0.5, H - MB - y, tb, e);
		if (i % every == 0)
			esc_buf_printf(b, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
				"text-anchor=\"middle\">%s</text>\n", x + bw / 2, H - MB + 16, tb);
	}
	esc_buf_puts(b, "<path class=\"line\" d=\"");
	for (i = 0; i < t->nrow; i++) {
		const struct esc_cell *r = esc_table_cell(t, i, cr);

		if (r->type != ESC_V_PCT) {
			pen = 0;
			continue;
		}
		esc_buf_printf(b, "%s%.1f %.1f ", pen ? "L" : "M", ML + bw * ((double)i + 0.5),
			H - MB - plot * r->r / rtop);
		pen = 1;
	}
	esc_buf_puts(b, "\"/>\n");
	esc_buf_printf(b, "<text class=\"label\" x=\"%d\" y=\"%d\">bars: escalations; line: "
		"paid escalation rate (right); band: its target</text>\n", ML, H - 12);
	esc_buf_puts(b, "</svg>\n");
}

/* Met, at risk, breached and pending per severity, first response and
 * resolution, as stacked bars of the share of escalations. */
static void
chart_sla(struct esc_buf *b, const struct esc_table *t)
{
	static const char *const cols[] = {
		"escalations",
		"first_response_met", "first_response_at_risk", "first_response_breached",
		"first_response_pending",
		"resolution_met", "resolution_at_risk", "resolution_breached", "resolution_pending",
	};
	static const char *const cls[] = { "met", "risk", "breach", "pending" };
	static const char *const names[] = { "met", "at risk", "breached", "pending" };
	struct sum *s[2];
	size_t n[2], i;
	int k, j, row = 0;
	double plotw = W - 150 - 20, bh, y, x;

	/* sum_by takes at most 8 columns: first response and resolution apart */
	n[0] = sum_by(t, "severity", cols, 5, &s[0]);
	{
		const char *rc[5] = { cols[0], cols[5], cols[6], cols[7], cols[8] };

		n[1] = sum_by(t, "severity", rc, 5, &s[1]);
	}
	svg_open(b, "sla", "SLA state per severity: met, at risk, breached, pending");
	bh = n[0] ? (double)(H - MT - 50) / (double)(n[0] * 2) : 0;
	for (i = 0; i < n[0]; i++) {
		for (k = 0; k < 2; k++, row++) {
			struct sum *r = &s[k][i];
			long long total = r->v[0];

			y = MT + bh * row;
			esc_buf_printf(b, "<text class=\"label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
				140, y + bh * 0.65);
			html_str(b, r->key ? r->key : "?");
			esc_buf_printf(b, " %s</text>\n", k ? "resolution" : "1st response");
			for (j = 0, x = 150; j < 4 && total > 0; j++) {
				double w = plotw * (double)r->v[1 + j] / (double)total;

				if (r->v[1 + j] == 0)
					continue;
				esc_buf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
					"height=\"%.1f\"><title>", cls[j], x, y + bh * 0.15, w, bh * 0.7);
				html_str(b, r->key ? r->key : "?");
				esc_buf_printf(b, " %s %s: %lld of %lld</title></rect>\n",
					k ? "resolution" : "first response", names[j], r->v[1 + j], total);
				x += w;
			}
		}
	}
	for (j = 0; j < 4; j++) {
		esc_buf_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>"
			"<text class=\"label\" x=\"%d\" y=\"%d\">%s</text>\n", cls[j], 150 + j * 110,
			H - 30, 150 + j * 110 + 16, H - 20, names[j]);
	}
	esc_buf_printf(b, "<path class=\"axis\" d=\"M150 %d V%d\"/>\n", MT, H - 45);
	esc_buf_puts(b, "</svg>\n");
	free(s[0]);
	free(s[1]);
}

static void
html_table(struct esc_buf *b, const struct esc_table *t)
{
	char v[512];
	size_t i;
	int c;

	if (!t->nrow) {
		esc_buf_puts(b, "<p class=\"none\">nothing in this window</p>\n");
		return;
	}
	esc_buf_puts(b, "<table>\n<thead><tr>");
	for (c = 0; c < t->ncol; c++) {
		esc_buf_puts(b, "<th>");
		html_str(b, t->cols[c].head);
		esc_buf_puts(b, "</th>");
	}
	esc_buf_puts(b, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < t->nrow; i++) {
		esc_buf_puts(b, "<tr>");
		for (c = 0; c < t->ncol; c++) {
			enum esc_vt ty = t->cols[c].type;

			esc_table_text(t, i, c, v, sizeof v, 120);
			esc_buf_puts(b, ty == ESC_V_TEXT || ty == ESC_V_TIME || ty == ESC_V_DATE ?
				"<td>" : "<td class=\"n\">");
			html_str(b, v);
			esc_buf_puts(b, "</td>");
		}
		esc_buf_puts(b, "</tr>\n");
	}
	esc_buf_puts(b, "</tbody>\n</table>\n");
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}\n"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}\n"
	".meta{color:#666}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"th,td{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}\n"
	"th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"svg.chart{display:block;margin:.5em 0;font-size:11px}\n"
	".axis{stroke:#444;fill:none}.grid{stroke:#eee;fill:none}\n"
	".bar{fill:#1565c0}.err{stroke:#000;stroke-width:1.5;fill:none}\n"
	".line{stroke:#e65100;stroke-width:2;fill:none}.target{fill:#2e7d32;opacity:.12}\n"
	".met{fill:#2e7d32}.risk{fill:#f9a825}.breach{fill:#c62828}.pending{fill:#9e9e9e}\n"
	".tick{fill:#555}.label{fill:#222}.none{color:#888}\n";

/* On load, each chart says it rendered and how big: data-rendered="W×H". */
static const char script[] =
	"window.addEventListener('load', function () {\n"
	"  document.querySelectorAll('svg.chart').forEach(function (s) {\n"
	"    var b = s.getBBox();\n"
	"    s.setAttribute('data-rendered', Math.round(b.width) + '\\u00d7' + Math.round(b.height));\n"
	"  });\n"
	"});\n";

void
esc_report_html(const struct esc_report *r, const char *const *paths, int n,
	struct esc_buf *out)
{
	static const char *const bys[] = { "", "day", "week", "month" };
	char tb[64];
	int s, i;

	esc_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>esc-stats report</title>\n<style>\n");
	esc_buf_puts(out, style);
	esc_buf_puts(out, "</style>\n</head>\n<body>\n<h1>Escalations report</h1>\n<p class=\"meta\">");
	esc_buf_puts(out, n > 1 ? "Stores: " : "Store: ");
	for (i = 0; i < n; i++) {
		if (i)
			esc_buf_puts(out, ", ");
		html_str(out, paths[i]);
	}
	esc_buf_puts(out, ". Escalations created ");
	if (r->o.has_since)
		esc_buf_printf(out, "from %s ", esc_time_format(r->o.since, tb, sizeof tb));
	if (r->o.has_until)
		esc_buf_printf(out, "before %s ", esc_time_format(r->o.until, tb, sizeof tb));
	if (!r->o.has_since && !r->o.has_until)
		esc_buf_puts(out, "at any time ");
	if (r->o.by)
		esc_buf_printf(out, "by %s ", bys[r->o.by]);
	esc_buf_printf(out, "(UTC). Made %s.</p>\n", esc_time_format(r->now, tb, sizeof tb));
	for (i = 0; i < ESC_SEC_N; i++) {
		/* the trend right after the totals it plots */
		const struct esc_table *t;

		s = i == 0 ? ESC_SEC_TOTALS : i == 1 ? ESC_SEC_TREND : i - 1;
		if (!(t = r->t[s]))
			continue;

		esc_buf_printf(out, "<section id=\"%s\">\n<h2>", t->name);
		html_str(out, t->title);
		esc_buf_puts(out, "</h2>\n");
		if (s == ESC_SEC_OFFER)
			chart_offer(out, t);
		else if (s == ESC_SEC_TREND)
			chart_trend(out, t);
		else if (s == ESC_SEC_SLA)
			chart_sla(out, t);
		html_table(out, t);
		esc_buf_puts(out, "</section>\n");
	}
	esc_buf_puts(out, "<script>\n");
	esc_buf_puts(out, script);
	esc_buf_puts(out, "</script>\n</body>\n</html>\n");
}
