/* net.h — every outbound call esc makes, through one libcurl layer
 * (net.c): HTTP(S) requests to webhooks and provider APIs, and mail over
 * SMTP; and the unguessable tokens of links sent to people (token.c).
 *
 * Timeouts on every call; retries with exponential backoff on a 5xx, a
 * timeout or a failed connection, none on a 4xx. Secrets (keys, passwords,
 * webhook URLs, which are secrets themselves) never reach an error message:
 * a URL is named by its scheme, host and port only. */
#ifndef ESC_NET_H
#define ESC_NET_H

#include <stddef.h>

#include "esc.h"

/* How calls are made. esc_net_init fills it from the environment:
 * ESC_NET_TIMEOUT (whole call, default 10s), ESC_NET_CONNECT_TIMEOUT
 * (default 5s), ESC_NET_RETRIES (retries after the first try, default 3),
 * ESC_NET_BACKOFF (the first wait, doubled each retry, default 500ms);
 * each a duration as esc_duration_parse reads it, or milliseconds with
 * "ms". Returns 0, or -1 with err naming the bad variable.
 * ESC_NET_CAFILE names a file of CA certificates to trust instead of the
 * system's, for HTTPS and SMTP alike. No single wait exceeds 60s. */
struct esc_net {
	long timeout_ms;
	long connect_timeout_ms;
	int retries;
	long backoff_ms;
	const char *cafile;          /* borrows (the environment); NULL: the system's */
	int once;                    /* a message that must not arrive twice: never retry
	                              * once the request may have reached the server */
};
int esc_net_init(struct esc_net *n, struct esc_err *err);
/* The longest one call can take: every try timing out, and the waits
 * between them. */
long esc_net_longest_ms(const struct esc_net *n);

/* How a call failed, as far as the caller must act on it: esc_http_resp's
 * permanent, and esc_smtp_send's *permanent. */
enum esc_net_fail {
	ESC_NET_AGAIN = 0,       /* a later try may go through (a 5xx, 408, 429, SMTP 4xx,
	                          * no connection) */
	ESC_NET_REFUSED = 1,     /* this request is refused for good (a 4xx, SMTP 5xx): the
	                          * same request will be refused again */
	ESC_NET_UNSURE = 2,      /* (with once) the server may have acted on it: never send
	                          * it again */
	ESC_NET_SETUP = 3,       /* the server refused the caller, not the request: its
	                          * credentials (HTTP 401, 403, 407; SMTP 530, 534, 535,
	                          * 538, a login refused), its address (a redirect, HTTP
	                          * 404, 405, 410, a host name that does not resolve,
	                          * after the call's tries), its TLS settings (STARTTLS required
	                          * and not offered, a certificate not trusted, a CA file
	                          * that cannot be read). Every call to that server fails
	                          * the same way until the operator fixes the settings;
	                          * it says nothing about the request or its recipient */
};

struct esc_http_req {
	const char *method;          /* NULL: POST when there is a body, else GET */
	const char *url;
	const char *content_type;    /* NULL: application/json */
	const char *body;            /* borrows; NULL: none */
	size_t len;                  /* 0: strlen(body) */
	const char *bearer;          /* "Authorization: Bearer ..." (a secret), or NULL */
	const char *userpwd;         /* basic auth "user:password" (a secret), or NULL */
	const char *const *headers;  /* more "Name: value" lines, NULL-terminated, or NULL */
};
struct esc_http_resp {
	long status;                 /* the last HTTP status; 0 when none came */
	int attempts;                /* tries made */
	int permanent;               /* enum esc_net_fail: ESC_NET_REFUSED on a 4xx,
	                              * ESC_NET_SETUP on one that refuses the caller,
	                              * ESC_NET_UNSURE (with once) */
	struct esc_buf body;         /* the last response body; caller frees */
};
/* rs must be zeroed, or hold an earlier response whose body buffer is
 * reused. The body is NUL-terminated (empty when none came) and at most
 * 1 MiB: a larger one fails the call. Redirects are not followed (a 3xx
 * fails, ESC_NET_SETUP: the address configured is not the endpoint). 408
 * and 429 are not retried within the call either, but leave permanent
 * ESC_NET_AGAIN: a later run may get through. A malformed
 * response fails at once. The error never quotes the response body. */
/* Make the request. Returns 0 on a 2xx. Otherwise -1 with err (err->code
 * ESC_EXIT_NET) saying what failed and how often it was tried:
 * "https://hooks.example.com: HTTP 503 after 4 tries". A header value with
 * a line break, or a method that is not a word, is refused before
 * connecting (err->code ESC_EXIT_INPUT). */
int esc_http(const struct esc_net *n, const struct esc_http_req *rq,
	struct esc_http_resp *rs, struct esc_err *err);
void esc_http_resp_free(struct esc_http_resp *rs);

/* Mail over SMTP. The server is $ESC_SMTP_URL (smtp://host:port, or
 * smtps://); STARTTLS is used when the server offers it
 * (ESC_SMTP_TLS=require insists on it); $ESC_SMTP_USER and
 * $ESC_SMTP_PASSWORD log in when set. */
struct esc_mail {
	const char *from;            /* NULL: $ESC_SMTP_FROM */
	const char *to;
	const char *subject;
	const char *body;            /* plain text, UTF-8 */
	const char *message_id;      /* NULL: one is made up */
	const char *url;             /* the server; NULL: $ESC_SMTP_URL */
};
/* Returns 0 when the server accepted the message; -1 with err (code
 * ESC_EXIT_NET) otherwise. Retries as esc_http does: a 4xx reply is
 * temporary in SMTP and retried, a 5xx is permanent and is not. *permanent
 * (if not NULL, enum esc_net_fail) says which: ESC_NET_SETUP for a login
 * or TLS setting the server refused; with n->once ESC_NET_UNSURE when the
 * connection was lost after the message may have been sent: do not send
 * it again.
 * The message: Date (esc_time_now), From, To (a bare address or
 * "Name <address>"), Subject (RFC 2047 when not ASCII), Message-ID,
 * MIME-Version, text/plain; charset=UTF-8, 8bit (base64 when a line is
 * longer than 998 bytes), CRLF line ends. A control character (CR, LF...)
 * in from, to, subject or message_id, text that is not UTF-8, or an
 * address that is not one, is refused before connecting: -1 with err->code
 * ESC_EXIT_INPUT. The error names the server by scheme, host and port. */
int esc_smtp_send(const struct esc_net *n, const struct esc_mail *m, int *permanent,
	struct esc_err *err);
/* What esc_smtp_send checks before it connects (the settings, the
 * message), for a dry run: 0, or -1 with err as esc_smtp_send's. */
int esc_smtp_check(const struct esc_mail *m, struct esc_err *err);

/* scheme://host[:port] of url into buf, and nothing else of it. */
void esc_url_redact(const char *url, char *buf, size_t n);

/* ---- tokens (token.c) ---- */
#define ESC_TOKEN_LEN 43             /* 32 random bytes, base64url, no padding */
#define ESC_HASH_LEN 64              /* SHA-256, lowercase hex */
/* A new token from the kernel's random source (getrandom) into
 * buf[ESC_TOKEN_LEN + 1]. Returns 0, or -1 with err. */
int esc_token_new(char *buf, struct esc_err *err);
/* SHA-256 of s[0..n-1] as hex into hex[ESC_HASH_LEN + 1]: what the store
 * keeps of a token. */
void esc_token_hash(const char *s, size_t n, char *hex);
/* Compare two hashes in time that does not depend on where they differ. */
int esc_token_equal(const char *a, const char *b);

#endif
