/* loop.c — the record loop: every tool reads JSON lines through here.
 *
 * Lines may be of any length; each is handed to the tool once. A rejected
 * line is reported as "prog: error (at NAME:LINE): reason", copied verbatim
 * to --rejects, and the run goes on (or stops, with --strict). Output is
 * collected in a buffer and written in large blocks. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"

#define READ_CHUNK (256 * 1024)
#define FLUSH_AT (128 * 1024)
/* A tool with a sync commits its store at every flush, so its output
 * between writes is the size of its transactions: large, or each commit
 * rewrites the same index pages (crm-track over a journey made a commit
 * every 430 lines at 128 KiB). A pause in the input still flushes. */
#define SYNC_FLUSH_AT (4 * 1024 * 1024)

int
esc_loop_flush(struct esc_loop *lp, struct esc_buf *out)
{
	if (out->len && fwrite(out->p, 1, out->len, lp->out) != out->len)
		return -1;
	out->len = 0;
	return 0;
}

/* Let the tool make its work durable, then write. Returns 0, -1 on a
 * write error, or the sync's exit code (reported here). */
static int
sync_flush(struct esc_loop *lp, struct esc_buf *out, void *ctx)
{
	struct esc_err err;
	int rc;

	if (lp->sync) {
		err.msg[0] = '\0';
		err.code = 0;
		if ((rc = lp->sync(ctx, &err))) {
			/* the tool has taken back out what it could not keep;
			 * the rest goes out, and there is no second try */
			esc_diag("error", NULL, 0, "%s", err.msg);
			lp->stopped = 1;
			lp->sync = NULL;
			return esc_loop_flush(lp, out) < 0 ? -1 : rc;
		}
	}
	return esc_loop_flush(lp, out);
}

/* Is there input to read without waiting? */
static int
ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

/* Hand one line (raw: with its CR, if any) to the tool. Returns 0 to go
 * on, or an exit code to stop with. */
static int
one_line(struct esc_loop *lp, const char *name, const char *raw, size_t rawlen,
	esc_rec_fn fn, void *ctx, struct esc_buf *out)
{
	struct esc_rec rec;
	struct esc_err err;
	size_t mark = out->len;
	enum esc_rc rc;

	rec.line = raw;
	rec.len = rawlen;
	if (rec.len && rec.line[rec.len - 1] == '\r')
		rec.len--;
	/* a byte-order mark opening a file (Windows tools write one) is not
	 * part of the first record: passed over, as jq does and RFC 8259
	 * allows; anywhere else it is an error, as any stray character */
	if (lp->lines == 0 && rec.len >= 3 && !memcmp(rec.line, "\xef\xbb\xbf", 3)) {
		rec.line += 3;
		rec.len -= 3;
	}
	rec.name = name;
	rec.lineno = ++lp->lines;
	err.msg[0] = '\0';
	err.code = 0;
	if (blank(rec.line, rec.len)) {
		esc_err_set(&err, "empty line");
		rc = ESC_REC_REJECT;
	} else {
		rc = fn(ctx, &rec, out, &err);
	}
	if (esc_buf_oom) {
		esc_diag("error", name, rec.lineno, "out of memory");
		lp->stopped = 1;
		return ESC_EXIT_IO;
	}
	if (rc == ESC_REC_OK) {
		if (err.msg[0])
			esc_diag("warning", name, rec.lineno, "%s", err.msg);
		return 0;
	}
	if (out->len > mark)      /* a rejected line leaves nothing half-written */
		out->len = mark;
	esc_diag("error", name, rec.lineno, "%s", err.msg[0] ? err.msg : "rejected");
	if (rc == ESC_REC_FATAL) {
		lp->stopped = 1;
		return err.code ? err.code : ESC_EXIT_DATA;
	}
	lp->rejected++;
	if (lp->rejects && (fwrite(raw, 1, rawlen, lp->rejects) != rawlen ||
	    fputc('\n', lp->rejects) == EOF)) {
		esc_diag("error", NULL, 0, "cannot write rejected lines:");
		lp->stopped = 1;
		return ESC_EXIT_IO;
	}
	if (lp->strict) {
		lp->stopped = 1;
		return ESC_EXIT_INPUT;
	}
	return 0;
}

int
esc_loop_file(struct esc_loop *lp, const char *path, esc_rec_fn fn, void *ctx)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	struct esc_buf in = { 0 }, out = { 0 };
	unsigned long rejected0 = lp->rejected;
	size_t start = 0, scan = 0, flush_at = lp->sync ? SYNC_FLUSH_AT : FLUSH_AT;
	int fd, rc = 0, eof = 0;
	ssize_t n;
	char *nl;

	if (strcmp(path, "-") == 0) {
		fd = 0;
	} else if ((fd = open(path, O_RDONLY)) < 0) {
		esc_diag("error", NULL, 0, "cannot open %s:", path);
		return ESC_EXIT_IO;
	}
	lp->lines = 0;
	while (!rc) {
		/* hand over every complete line in the buffer */
		while (!rc && in.len > scan && (nl = memchr(in.p + scan, '\n', in.len - scan))) {
			rc = one_line(lp, name, in.p + start, (size_t)(nl - (in.p + start)),
				fn, ctx, &out);
			start = scan = (size_t)(nl - in.p) + 1;
			if (!rc && out.len >= flush_at)
				rc = sync_flush(lp, &out, ctx);
		}
		if (rc || eof)
			break;
		scan = in.len;
		/* keep the partial line, read more after it */
		if (start > 0) {
			memmove(in.p, in.p + start, in.len - start);
			in.len -= start;
			scan -= start;
			start = 0;
		}
		if (esc_buf_reserve(&in, READ_CHUNK) < 0) {
			esc_diag("error", name, lp->lines + 1, "out of memory");
			rc = ESC_EXIT_IO;
			break;
		}
		/* the input pauses: what was done so far reaches the reader now */
		if (lp->sync && !ready(fd) && (rc = sync_flush(lp, &out, ctx)))
			break;
		n = read(fd, in.p + in.len, in.cap - in.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			esc_diag("error", NULL, 0, "cannot read %s:", name);
			rc = ESC_EXIT_IO;
			break;
		}
		if (n == 0) {
			eof = 1;
			if (in.len > start)     /* a last line without a newline */
				rc = one_line(lp, name, in.p + start, in.len - start, fn, ctx, &out);
			break;
		}
		in.len += (size_t)n;
	}
	/* the lines handled before a stop are good: they go out too */
	if (rc != -1 && rc != ESC_EXIT_IO) {
		int r = sync_flush(lp, &out, ctx);

		if (r)
			rc = r;
	}
	if (rc == -1) {
		esc_diag("error", NULL, 0, "cannot write standard output:");
		rc = ESC_EXIT_IO;
		lp->stopped = 1;
	}
	if (fd > 0)
		close(fd);
	esc_buf_free(&in);
	esc_buf_free(&out);
	if (rc)
		return rc;
	return lp->rejected > rejected0 ? ESC_EXIT_INPUT : ESC_EXIT_OK;
}
