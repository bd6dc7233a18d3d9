/* fastjson.h — the fast path of the line scanner: simdjson validates a
 * whole line and lists the top-level members of its object. C interface
 * to one C++ file (fastjson.cc); scan.c calls it, and crm.c reads the
 * list scan.c keeps for it (esc_scan's tree). */
#ifndef ESC_FASTJSON_H
#define ESC_FASTJSON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lines longer than this take the streaming path: the fast parser's
 * buffers grow to the longest line it has seen, and stay. */
#define ESC_FAST_MAX (64 * 1024)

enum esc_fast_type {
	ESC_FAST_NULL, ESC_FAST_FALSE, ESC_FAST_TRUE, ESC_FAST_INT, ESC_FAST_UINT,
	ESC_FAST_DOUBLE, ESC_FAST_STRING, ESC_FAST_OBJECT, ESC_FAST_ARRAY,
};
struct esc_fast_member {
	int depth;              /* 1: a member of the top object; deeper ones
	                           with esc_fast_object's maxdepth over 1 */
	const char *key;        /* decoded, borrowed until the next parse; NULL
	                           for an array element; NUL-terminated, as s */
	size_t klen;
	enum esc_fast_type t;
	const char *s;          /* ESC_FAST_STRING: decoded bytes, borrowed;
	                           s[n] is a NUL (simdjson ends each string
	                           with one), so a string with no NUL inside
	                           is a C string */
	size_t n;
	long long i;            /* ESC_FAST_INT */
	unsigned long long u;   /* ESC_FAST_UINT */
	double d;               /* ESC_FAST_DOUBLE */
};
struct esc_fast;
struct esc_fast *esc_fast_new(void);
void esc_fast_free(struct esc_fast *f);
/* Parse line (len <= ESC_FAST_MAX) as one JSON value. 1: it is valid and
 * an object, its members are in *m (*count of them, in order): with
 * maxdepth 1 those of the top object; with more, every value down to
 * maxdepth levels, each container before what it holds (the order a
 * streaming parser meets them in). 0: not accepted here (invalid, not an
 * object, or too long; the streaming scanner decides and says why); -1:
 * no memory. What the two parsers might judge differently the caller
 * keeps from here (scan.c). */
int esc_fast_object(struct esc_fast *f, const char *line, size_t len, int maxdepth,
	const struct esc_fast_member **m, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
