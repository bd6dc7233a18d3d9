/* esc.h — the foundation every esc tool stands on: buffers, diagnostics,
 * exit codes, time, data files, the record loop and the JSON line scanner.
 *
 * Ownership notes follow jansson's words: "borrows" (the callee keeps no
 * reference), "steals" (the callee frees it), "caller frees".
 * The library never exits; only functions named esc_diag* print. */
#ifndef ESC_H
#define ESC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* One exit-code table for every tool (each man page repeats it). */
enum esc_exit {
	ESC_EXIT_OK = 0,      /* success */
	ESC_EXIT_NONE = 1,    /* ran fine, found nothing (where a tool documents it) */
	ESC_EXIT_USAGE = 2,   /* bad options or arguments */
	ESC_EXIT_INPUT = 3,   /* one or more input lines rejected */
	ESC_EXIT_DATA = 4,    /* a data file in share/ is missing or invalid */
	ESC_EXIT_IO = 5,      /* cannot read input or write output */
	ESC_EXIT_STORE = 6,   /* the SQLite store failed */
	ESC_EXIT_NET = 7,     /* a network channel failed */
};

/* An error message filled in by the library, printed by the program. */
struct esc_err {
	char msg[512];
	int code;           /* for a fatal record error: the exit code (0: ESC_EXIT_DATA) */
	/* where the error is, for a file a library function reads itself (not
	 * through the record loop): the tool says "(at NAME:LINE)"; NULL and 0
	 * when the error is in no file's line. esc_err_set leaves them be. */
	const char *name;
	unsigned long line;
};
void esc_err_set(struct esc_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add to e's message what a store failure undid: "; nothing from NAME:LINE
 * on was stored", the words every tool that writes the store uses. */
void esc_err_unstored(struct esc_err *e, const char *name, unsigned long line);

/* ---- growable byte buffer (buf.c) ---- */
struct esc_buf {
	char *p;
	size_t len, cap;
};
/* Ensure room for n more bytes; returns 0, or -1 on allocation failure. */
int esc_buf_reserve(struct esc_buf *b, size_t n);
void esc_buf_put(struct esc_buf *b, const void *s, size_t n);
void esc_buf_puts(struct esc_buf *b, const char *s);
void esc_buf_putc(struct esc_buf *b, char c);
void esc_buf_printf(struct esc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included (s must be UTF-8). */
void esc_buf_json_str(struct esc_buf *b, const char *s, size_t n);
/* Append x's digits, as "%lld" writes them, without printf's cost. */
void esc_buf_int(struct esc_buf *b, long long x);
/* Append a number the way JSON wants it: up to 4 decimals, no trailing zeros. */
void esc_buf_json_num(struct esc_buf *b, double v);
/* The same into tmp (ESC_NUM_MAX bytes, not terminated): its length. */
#define ESC_NUM_MAX 320     /* "%.4f" of 1e300 is 306 bytes */
int esc_num_fmt(char *tmp, double v);
void esc_buf_free(struct esc_buf *b);
/* Is s valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF)? */
int esc_utf8_valid(const char *s, size_t n);
/* Allocation failure inside esc_buf_* is fatal: it sets this flag, keeps the
 * buffer valid, and the record loop turns it into an error. */
extern int esc_buf_oom;

/* ---- diagnostics (diag.c) ---- */
/* The program's name, set once by main(); every message starts with it. */
extern const char *esc_prog;
/* "prog: error (at NAME:LINE): message" — name NULL leaves the location out.
 * A trailing ':' in fmt appends strerror(errno), as sbase's eprintf does. */
void esc_diag(const char *level, const char *name, unsigned long line,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void esc_vdiag(const char *level, const char *name, unsigned long line,
	const char *fmt, va_list ap);
/* Flush and close stdout; a closed pipe or full disk becomes an error. */
int esc_fshut(FILE *f, const char *name);

/* ---- time (timefmt.c): RFC 3339 in and out, UTC unless the input says otherwise ---- */
/* Parse "2026-03-01T10:15:00Z", "...+01:00", "...T10:15:00.250Z" or a date
 * "2026-03-01" (midnight UTC). Returns 0 and sets *t, or -1. */
int esc_time_parse(const char *s, size_t n, time_t *t);
/* Format as "2026-03-01T10:15:00Z" into buf (at least 21 bytes). */
char *esc_time_format(time_t t, char *buf, size_t n);
/* Days since 1970-01-01 of a proleptic Gregorian date (no TZ involved). */
long long esc_days_from_civil(int y, int m, int d);
/* The clock: the --now value if set, else $ESC_NOW, else time(). */
int esc_time_set_now(const char *s);
time_t esc_time_now(void);

/* ---- data files (share.c) ---- */
/* The data directory: --share DIR, else $ESC_SHARE, else ../share/esc
 * beside the executable, else the installed one. */
void esc_share_set(const char *dir);
const char *esc_share_dir(void);
/* Read share/<rel> whole. Caller frees *data. Returns 0 or -1 with err. */
int esc_share_read(const char *rel, char **data, size_t *len, struct esc_err *err);
/* Load share/<rel> as a JSON document. Caller frees (json_decref). */
struct json_t *esc_share_json(const char *rel, struct esc_err *err);
/* j as compact JSON text, malloc'd (NULL when out of memory), every real
 * in the shortest form that reads back the same (jtext.c): what json_dumps
 * gives, less its "%.17g" noise (8.15, not 8.1500000000000004). */
char *esc_json_text(const struct json_t *j);
/* Why jansson refused a line (je from json_loadb), into err in the house
 * words: "invalid JSON at byte N: ..." for what is not JSON, and for
 * valid JSON it cannot hold, what is wrong: a number too large for the
 * tool (an integer past 64 bits, a real past a double), a \u0000 in a
 * string. */
struct json_error_t;
void esc_json_load_err(struct esc_err *err, const struct json_error_t *je);

/* ---- the record loop (loop.c) ---- */
/* One input line, without its line terminator (a trailing CR is dropped too). */
struct esc_rec {
	const char *line;   /* borrows: valid until the callback returns */
	size_t len;
	const char *name;   /* input name: a path, or "<stdin>" */
	unsigned long lineno;
};
enum esc_rc { ESC_REC_OK = 0, ESC_REC_REJECT = 1, ESC_REC_FATAL = 2 };
/* A tool's per-line work: append its output line(s) to out and return OK
 * (a message left in err is printed as a warning), or fill err and return
 * REJECT (the line is reported and kept in --rejects) or FATAL (the run
 * stops). */
typedef enum esc_rc (*esc_rec_fn)(void *ctx, const struct esc_rec *rec,
	struct esc_buf *out, struct esc_err *err);

/* Called before output reaches the reader: at every flush, when the input
 * pauses (no data ready), and at the end of each input. A tool that writes
 * elsewhere (esc-log's store) commits here, so what it prints is already
 * kept. Returns 0, or an exit code with err set after taking out of the
 * output buffer (it may keep a pointer to it) what it could not keep; the
 * rest is written, the run stops. A record callback may shorten the
 * buffer in the same way. */
typedef int (*esc_sync_fn)(void *ctx, struct esc_err *err);

struct esc_loop {
	int strict;          /* stop at the first rejected line */
	FILE *rejects;       /* borrows: rejected lines verbatim, or NULL */
	FILE *out;           /* borrows: usually stdout */
	esc_sync_fn sync;    /* or NULL; output is written every 128 KiB, or
	                        every 4 MiB with a sync (loop.c) */
	unsigned long lines, rejected;
	int stopped;         /* set when --strict or a fatal error ended the run */
};
/* Run fn over every line of path ("-" is stdin). Returns ESC_EXIT_OK,
 * ESC_EXIT_INPUT if any line was rejected, or another code on failure
 * (already reported). Whitespace-only lines are rejected, never dropped. */
int esc_loop_file(struct esc_loop *lp, const char *path, esc_rec_fn fn, void *ctx);
/* Write out's bytes to lp->out and empty it; -1 on a write error. */
int esc_loop_flush(struct esc_loop *lp, struct esc_buf *out);

/* ---- the JSON line scanner (scan.c): one yajl pass validates the line
 * and reports the values a tool asks about ---- */
enum esc_jtype {
	ESC_J_NULL, ESC_J_FALSE, ESC_J_TRUE, ESC_J_NUMBER, ESC_J_STRING,
	ESC_J_OBJECT, ESC_J_ARRAY,
};
#define ESC_JPATH_MAX 4
#define ESC_JKEY_MAX 256
/* Where a value sits: keys from the top object down; an array element has
 * len -1, a key too long to keep has len -2 (it matches no name). */
struct esc_jpath {
	int depth;
	struct { int len; char key[ESC_JKEY_MAX]; } k[ESC_JPATH_MAX];
};
/* Called for every value up to ESC_JPATH_MAX deep, containers at their
 * start. v/n: the decoded string, or the number's text; NULL otherwise.
 * v is borrowed. Return 0 to go on, non-zero to reject the line (the
 * callback fills the err given to esc_scan_line). */
typedef int (*esc_scan_fn)(void *ctx, const struct esc_jpath *p,
	enum esc_jtype t, const char *v, size_t n, struct esc_err *err);

struct esc_fast_member;
struct esc_scan {
	void *h;              /* yajl handle, kept across lines */
	esc_scan_fn fn;
	void *ctx;
	struct esc_err *err;
	const char *own;      /* the tool's own top-level key, e.g. "detect" */
	size_t ownlen;
	const char *also;     /* NULL, or one more key of the tool's own: dropped
	                         from the line like own, for the tool to put after
	                         own's value in esc_splice's obj (set after init) */
	char *ownkey;         /* ,"own": ready to copy */
	size_t ownkeylen;
	int depth;
	struct esc_jpath path;
	/* filled in by esc_scan_line for esc_splice: */
	size_t close;         /* offset of the top object's closing brace */
	size_t prev_end;      /* end of the last top-level member seen */
#define ESC_OWN_MAX 8
	size_t own_start[ESC_OWN_MAX], own_end[ESC_OWN_MAX];
	int own_lead[ESC_OWN_MAX]; /* no other member before it */
	int own_count, members; /* members: top-level keys other than own */
	int in_own;
	int done;             /* the top object has closed */
	size_t len;           /* of the line being scanned */
	/* Set by a tool whose callback only reads top-level members: lines are
	 * then checked by simdjson first (fastjson.h), and fn sees depth 1
	 * only. A number's text is then the value printed back, which reads
	 * as the same number: an integer's digits; a double as esc writes
	 * numbers ("-0.1432") when that reads back the same, else "%.17g".
	 * deep: the same for a tool that reads deeper values too; fn then
	 * sees what the streaming path shows it, numbers printed back. */
	int top_only, deep;
	/* tree: set by a tool that reads the line's values itself, with no
	 * fn (crm-track). The fast path then lists every value of the line,
	 * at any depth, in vals (nvals of them, in fastjson.h's order and
	 * form; borrowed until the next line). has_vals is 0 when the line
	 * took the streaming path: the tool then reads it another way. */
	int tree, has_vals;
	const struct esc_fast_member *vals;
	size_t nvals;
	struct esc_fast *fast;
#define ESC_SCAN_NUM 32
	char num[ESC_SCAN_NUM];
};
/* Returns 0, or -1 when out of memory. */
int esc_scan_init(struct esc_scan *s, const char *own_key);
void esc_scan_free(struct esc_scan *s);
/* Validate line as one JSON object and report values to fn. Returns 0, or
 * -1 with err set ("invalid JSON at byte 12: ...", "not a JSON object", or
 * the callback's reason). */
int esc_scan_line(struct esc_scan *s, const char *line, size_t len,
	esc_scan_fn fn, void *ctx, struct esc_err *err);
/* Does path p, at its full depth, name the keys given (NULL-terminated;
 * "[]" matches an array element)? */
int esc_jpath_is(const struct esc_jpath *p, const char *k0, ...);

/* The message text of a plain record: the field named by --field, or the
 * first of "text", "question", "message", "content", "body". Returns the
 * rank of key among them (0 is first), or -1 when key is none of them. */
int esc_text_field_rank(const char *only, const char *key, int len);
/* Check a --field NAME for a tool that writes the member own: 0, or -1
 * after saying what is wrong with it. */
int esc_text_field_opt(const char *name, const char *own);
/* Say which text field was missing. */
void esc_text_field_missing(const char *only, struct esc_err *err);
/* A number used as a record's id, by its value and not its spelling
 * (1.50 and 1.5 are one id; 12 stays 12), appended to out: what both
 * line scanners agree on, as the fast one prints numbers back. */
void esc_number_id(struct esc_buf *out, const char *v, size_t n);
/* The number text s, when it is a whole number written plainly ("42",
 * not 42.0 or 4.2e1) that fits 64 bits, printed back into buf as an id
 * ("-0" as "0"): 1, or 0. */
#define ESC_INT_MAX 24
int esc_plain_integer(char buf[ESC_INT_MAX], const char *s);
/* key (len bytes, not terminated) equals name. Inline, and with a literal
 * name the length is a constant: it runs for every member of every line. */
static inline int
esc_key_is(const char *key, int len, const char *name)
{
	size_t n = __builtin_strlen(name);

	return (size_t)len == n && __builtin_memcmp(key, name, n) == 0;
}

/* Severities, lowest first, as esc-detect writes them and the store keeps them. */
enum esc_severity { ESC_SEV_LOW, ESC_SEV_MEDIUM, ESC_SEV_HIGH, ESC_SEV_CRITICAL, ESC_SEV_N };
/* "low".."critical" (n bytes) to its number, or -1. */
int esc_severity_parse(const char *s, size_t n);
/* The name of a severity; out-of-range values are clamped. */
const char *esc_severity_name(int sev);

/* Append the scanned line to out with the tool's own members (if any) taken
 * out and "own":obj added last, then a newline. obj is JSON text. Every
 * other byte of the line is copied as it is. */
void esc_splice(struct esc_buf *out, const struct esc_scan *s, const char *line,
	const char *obj, size_t objlen);

/* ---- options every tool shares (opts.c) ---- */
struct esc_common {
	int strict;
	const char *rejects;  /* path or NULL */
	const char *share;
	const char *now;
	esc_sync_fn sync;     /* passed to the loop (see struct esc_loop) */
	int store;            /* the tool opens a store: ESC_BUSY_TIMEOUT is checked */
};
/* getopt_long codes for the shared long options */
enum {
	ESC_OPT_STRICT = 0x100, ESC_OPT_REJECTS, ESC_OPT_SHARE, ESC_OPT_NOW,
	ESC_OPT_TOOL = 0x200, /* first free code for a tool's own long options */
};
#define ESC_COMMON_LONGOPTS \
	{ "help", no_argument, 0, 'h' }, \
	{ "version", no_argument, 0, 'V' }, \
	{ "strict", no_argument, 0, ESC_OPT_STRICT }, \
	{ "rejects", required_argument, 0, ESC_OPT_REJECTS }, \
	{ "share", required_argument, 0, ESC_OPT_SHARE }, \
	{ "now", required_argument, 0, ESC_OPT_NOW }
#define ESC_COMMON_USAGE \
	"  --strict          stop at the first bad line\n" \
	"  --rejects FILE    keep rejected lines, verbatim, in FILE\n" \
	"  --share DIR       read data files from DIR (default $ESC_SHARE, else the\n" \
	"                    share/esc beside the tool's bin/, else " ESC_SHAREDIR ")\n" \
	"  --now TIME        the current time, RFC 3339 (default $ESC_NOW or the clock)\n" \
	"  -h, --help        show this help\n" \
	"  -V, --version     show the version\n"
/* Handle a shared option; returns 1 if c was one, 0 if not, -1 on a bad value. */
int esc_common_opt(struct esc_common *c, int opt, const char *arg);
/* Apply --share and --now (or $ESC_NOW); call before loading data files.
 * Returns 0 or an exit code (the problem is reported). */
int esc_common_apply(struct esc_common *c);
/* Parse an option's time (RFC 3339 or a date) into *t; -1 after saying
 * what is wrong with it, naming the option. */
int esc_time_opt(const char *name, const char *arg, time_t *t);
/* Open --rejects, run fn over the named inputs (none: stdin), then shut
 * stdout and the rejects file. Returns the tool's exit code. */
int esc_run(struct esc_common *c, int argc, char **argv, esc_rec_fn fn, void *ctx);

#endif
