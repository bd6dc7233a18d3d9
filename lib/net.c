/* net.c — every outbound call esc makes: HTTP(S) requests and SMTP mail,
 * through libcurl's easy interface, with timeouts, retries with
 * exponential backoff, and errors that name a URL by its scheme, host and
 * port alone. Verbose mode stays off: curl would print headers, and the
 * headers carry keys. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "net.h"
#include "store.h"

#define BODY_MAX (1024L * 1024)   /* a response body larger than this is refused */
#define BACKOFF_MAX 60000L        /* ms: no single wait between tries is longer */
#define LINE_MAX_8BIT 998         /* RFC 5322 2.1.1: longer lines need an encoding */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
global(struct esc_err *err)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		esc_err_set(err, "cannot start libcurl: %s", curl_easy_strerror(global_rc));
		err->code = ESC_EXIT_NET;
		return -1;
	}
	return 0;
}

/* ---- settings ---- */

/* A duration in milliseconds from the environment: "500ms", or anything
 * esc_duration_parse reads ("10s", "2m", "1m30s", "5"). */
static int
env_ms(const char *name, long def, long min, long *ms, struct esc_err *err)
{
	const char *s = getenv(name);

	*ms = def;
	if (!s || !*s)
		return 0;
	if (esc_duration_ms(s, ms) < 0) {
		esc_err_set(err, "%s: \"%.40s\" is not a duration (like 10s, 2m or 500ms)", name, s);
		err->code = ESC_EXIT_USAGE;
		return -1;
	}
	if (*ms < min) {
		esc_err_set(err, "%s: must be at least %ldms", name, min);
		err->code = ESC_EXIT_USAGE;
		return -1;
	}
	return 0;
}

int
esc_net_init(struct esc_net *n, struct esc_err *err)
{
	const char *s;
	char *end;
	long v;

	memset(n, 0, sizeof *n);
	if (env_ms("ESC_NET_TIMEOUT", 10000, 1, &n->timeout_ms, err) < 0 ||
	    env_ms("ESC_NET_CONNECT_TIMEOUT", 5000, 1, &n->connect_timeout_ms, err) < 0 ||
	    env_ms("ESC_NET_BACKOFF", 500, 0, &n->backoff_ms, err) < 0)
		return -1;
	n->retries = 3;
	if ((s = getenv("ESC_NET_RETRIES")) && *s) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || *end || end == s || v < 0 || v > 100) {
			esc_err_set(err, "ESC_NET_RETRIES: \"%.40s\" is not a number from 0 to 100", s);
			err->code = ESC_EXIT_USAGE;
			return -1;
		}
		n->retries = (int)v;
	}
	if ((s = getenv("ESC_NET_CAFILE")) && *s)
		n->cafile = s;
	return 0;
}

void
esc_url_redact(const char *url, char *buf, size_t n)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *p;
	CURLU *u;
	size_t o;

	if (!n)
		return;
	snprintf(buf, n, "(not a URL)");
	/* the parser curl will connect with: what it takes for the host is
	 * the host, and a URL it cannot read names nothing (a hand-made split
	 * at the first "/", "?" or "#" would show a password holding one) */
	if (!url || !(u = curl_url()))
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);   /* only one the URL gives */
		/* a host name, an address, [v6]; anything else is hidden */
		for (p = host; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == ':' ||
			    *p == '[' || *p == ']' || *p == '_'))
				*p = '?';
		o = (size_t)snprintf(buf, n, "%s://%s", scheme, host);
		if (port && o < n)
			snprintf(buf + o, n - o, ":%s", port);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* What went wrong with one try, and whether another might go better. */
struct outcome {
	char what[160];
	int retry;
	int coded;      /* what is an HTTP or SMTP status: "after N tries" */
	int permanent;  /* enum esc_net_fail */
	int unsure;     /* the request may have reached the server: it may have acted */
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
backoff(const struct esc_net *n, int attempt)
{
	long ms = n->backoff_ms;
	int i;

	for (i = 1; i < attempt && ms < BACKOFF_MAX; i++)
		ms *= 2;
	sleep_ms(ms < BACKOFF_MAX ? ms : BACKOFF_MAX);
}

long
esc_net_longest_ms(const struct esc_net *n)
{
	long ms = n->timeout_ms * (n->retries + 1L), wait = n->backoff_ms;
	int i;

	/* backoff() waits before retry i: the first wait doubled i - 1 times */
	for (i = 1; i <= n->retries; i++) {
		ms += wait < BACKOFF_MAX ? wait : BACKOFF_MAX;
		if (wait < BACKOFF_MAX)
			wait *= 2;
	}
	return ms;
}

static void
fmt_ms(long ms, char *buf, size_t n)
{
	if (ms % 1000)
		snprintf(buf, n, "%ldms", ms);
	else
		snprintf(buf, n, "%lds", ms / 1000);
}

/* A transport failure: curl's code, never curl's error buffer, which can
 * quote the URL. */
static void
transport(CURL *c, CURLcode rc, const struct esc_net *n, struct outcome *o)
{
	long oserr = 0;
	curl_off_t connected = 0, total = 0;
	char t[32];

	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
	o->retry = 1;
	/* once connected, the request may have gone out whole and the server
	 * acted on it, whatever came back or did not */
	o->unsure = connected > 0 && rc != CURLE_COULDNT_CONNECT &&
		rc != CURLE_COULDNT_RESOLVE_HOST && rc != CURLE_COULDNT_RESOLVE_PROXY &&
		rc != CURLE_SSL_CONNECT_ERROR &&
		rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CERTPROBLEM &&
		rc != CURLE_SSL_CACERT_BADFILE;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		/* before the connection was made and before the whole call's
		 * time was up: it was the connect timeout */
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total);
		if (connected || total / 1000 >= n->timeout_ms) {
			fmt_ms(n->timeout_ms, t, sizeof t);
			snprintf(o->what, sizeof o->what, "timed out after %s", t);
		} else {
			fmt_ms(n->connect_timeout_ms, t, sizeof t);
			snprintf(o->what, sizeof o->what, "could not connect within %s", t);
		}
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(o->what, sizeof o->what, "cannot connect: %s",
			oserr ? strerror((int)oserr) : "no route");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		/* a typo in the host name, or no name service: tried again in
		 * the call, then the settings' to fix, like a refused login,
		 * not a failure to count against the recipient */
		snprintf(o->what, sizeof o->what, "cannot resolve the %s name",
			rc == CURLE_COULDNT_RESOLVE_PROXY ? "proxy's" : "host");
		o->permanent = ESC_NET_SETUP;
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (oserr == ECONNRESET || oserr == EPIPE)
			snprintf(o->what, sizeof o->what, "connection reset");
		else
			snprintf(o->what, sizeof o->what, "%s", curl_easy_strerror(rc));
		break;
	case CURLE_GOT_NOTHING:
		snprintf(o->what, sizeof o->what, "connection closed without a reply");
		break;
	case CURLE_PARTIAL_FILE:
		snprintf(o->what, sizeof o->what, "connection closed in the middle of the reply");
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:   /* the scheme was checked: an unreadable status line */
		snprintf(o->what, sizeof o->what, "malformed response from the server");
		o->retry = 0;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		/* the server, or the CA file esc was given: not the request's doing */
		snprintf(o->what, sizeof o->what, "TLS: the server's certificate is not trusted");
		o->retry = 0;
		o->permanent = ESC_NET_SETUP;
		break;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(o->what, sizeof o->what, "TLS: %s", curl_easy_strerror(rc));
		o->retry = 0;
		o->permanent = ESC_NET_SETUP;
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(o->what, sizeof o->what, "TLS: %s", curl_easy_strerror(rc));
		o->retry = 0;
		break;
	default:
		snprintf(o->what, sizeof o->what, "%s", curl_easy_strerror(rc));
		o->retry = 0;
		break;
	}
}

static void
fail(struct esc_err *err, const char *url, const struct outcome *o, int attempts)
{
	char where[256];

	esc_url_redact(url, where, sizeof where);
	if (attempts < 2)
		esc_err_set(err, "%s: %s", where, o->what);
	else if (o->coded)
		esc_err_set(err, "%s: %s after %d tries", where, o->what, attempts);
	else
		esc_err_set(err, "%s: %s (%d tries)", where, o->what, attempts);
	err->code = ESC_EXIT_NET;
}

/* A header value may not end the line early: that would add headers of
 * the caller's input's choosing. */
static int
one_line(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

static void
slist_free(struct curl_slist *l)
{
	struct curl_slist *p;

	/* the list holds the Authorization header: wipe it, not just free it */
	for (p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static int
slist_add(struct curl_slist **l, const char *s)
{
	struct curl_slist *t = curl_slist_append(*l, s);

	if (!t)
		return -1;
	*l = t;
	return 0;
}

/* ---- HTTP ---- */

/* A 4xx that refuses the caller rather than the request: the credentials
 * (401, 403, and a proxy's 407), or the address, which is not the
 * endpoint (404, 405, 410). esc only calls addresses from its settings,
 * so the operator alone can mend these, and every call fails alike till
 * then. */
static int
refuses_caller(long status)
{
	return status == 401 || status == 403 || status == 404 || status == 405 ||
		status == 407 || status == 410;
}

struct sink {
	struct esc_buf *b;
	int over, oom;
};

static size_t
sink_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (s->b->len + n > (size_t)BODY_MAX) {
		s->over = 1;
		return 0;
	}
	if (esc_buf_reserve(s->b, n + 1) < 0) {
		s->oom = 1;
		return 0;
	}
	memcpy(s->b->p + s->b->len, p, n);
	s->b->len += n;
	s->b->p[s->b->len] = '\0';
	return n;
}

static int
http_setup(CURL *c, const struct esc_net *n, const struct esc_http_req *rq,
	struct curl_slist **hdrs, struct sink *sink, struct esc_err *err)
{
	const char *ct = rq->content_type ? rq->content_type : "application/json";
	const char *const *h;
	struct esc_buf auth = { 0 };
	size_t i;
	int rc = 0;

	err->code = ESC_EXIT_INPUT;
	if (strncasecmp(rq->url, "http://", 7) && strncasecmp(rq->url, "https://", 8)) {
		esc_err_set(err, "not an http:// or https:// URL");
		return -1;
	}
	if (rq->method) {
		for (i = 0; rq->method[i]; i++)
			if (rq->method[i] < 'A' || rq->method[i] > 'Z')
				break;
		if (!i || rq->method[i]) {
			esc_err_set(err, "not an HTTP method: \"%.20s\"", rq->method);
			return -1;
		}
	}
	if ((rq->content_type && !one_line(rq->content_type)) ||
	    (rq->bearer && !one_line(rq->bearer))) {
		esc_err_set(err, "a header value holds a line break: refused");
		return -1;
	}
	for (h = rq->headers; h && *h; h++)
		if (!one_line(*h) || !strchr(*h, ':')) {
			esc_err_set(err, "a header is not one \"Name: value\" line: refused");
			return -1;
		}

	/* keep Expect: 100-continue out: it waits a second for servers that ignore it */
	if (slist_add(hdrs, "Expect:") < 0)
		goto oom;
	if (rq->body) {
		esc_buf_printf(&auth, "Content-Type: %s", ct);
		if (esc_buf_oom || slist_add(hdrs, auth.p) < 0)
			goto oom;
		auth.len = 0;
	}
	if (rq->bearer) {
		esc_buf_printf(&auth, "Authorization: Bearer %s", rq->bearer);
		if (esc_buf_oom || slist_add(hdrs, auth.p) < 0)
			goto oom;
	}
	for (h = rq->headers; h && *h; h++)
		if (slist_add(hdrs, *h) < 0)
			goto oom;

	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	if (rq->userpwd)
		curl_easy_setopt(c, CURLOPT_USERPWD, rq->userpwd);
	if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)(rq->len ? rq->len : strlen(rq->body)));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		if (rq->method && strcmp(rq->method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (rq->method && !strcmp(rq->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (rq->method && strcmp(rq->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	/* a declared length over the cap fails before a byte is read */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	goto out;
oom:
	esc_err_set(err, "out of memory");
	err->code = ESC_EXIT_IO;
	rc = -1;
out:
	if (auth.p)
		explicit_bzero(auth.p, auth.cap);
	esc_buf_free(&auth);
	return rc;
}

static void
common_setup(CURL *c, const struct esc_net *n)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, n->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, n->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "esc/" ESC_VERSION);
	if (n->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, n->cafile);
}

int
esc_http(const struct esc_net *n, const struct esc_http_req *rq,
	struct esc_http_resp *rs, struct esc_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct sink sink = { &rs->body, 0, 0 };
	struct outcome o;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	rs->status = 0;
	rs->attempts = 0;
	rs->permanent = 0;
	rs->body.len = 0;
	err->code = ESC_EXIT_NET;
	if (!rq->url) {
		esc_err_set(err, "no URL to call");
		return -1;
	}
	if (global(err) < 0)
		return -1;
	if (!(c = curl_easy_init())) {
		esc_err_set(err, "cannot start libcurl");
		return -1;
	}
	common_setup(c, n);
	if (http_setup(c, n, rq, &hdrs, &sink, err) < 0)
		goto out;
	err->code = ESC_EXIT_NET;
	for (;;) {
		memset(&o, 0, sizeof o);
		rs->attempts++;
		rs->body.len = 0;
		sink.over = sink.oom = 0;
		rc = curl_easy_perform(c);
		rs->status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
		if (rc == CURLE_OK && rs->status >= 200 && rs->status < 300) {
			ret = 0;
			break;
		}
		if (rc == CURLE_OK) {
			o.coded = 1;
			if (rs->status >= 500) {
				snprintf(o.what, sizeof o.what, "HTTP %ld", rs->status);
				o.retry = 1;
			} else if (rs->status >= 300 && rs->status < 400) {
				snprintf(o.what, sizeof o.what, "HTTP %ld (a redirect, not followed)",
					rs->status);
				o.permanent = ESC_NET_SETUP;
			} else {
				snprintf(o.what, sizeof o.what, "HTTP %ld", rs->status);
				/* a timeout or a rate limit may pass (408, 429): the
				 * caller may try later */
				if (refuses_caller(rs->status))
					o.permanent = ESC_NET_SETUP;
				else if (rs->status != 408 && rs->status != 429)
					o.permanent = ESC_NET_REFUSED;
			}
		} else if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(o.what, sizeof o.what, "response body larger than %ld KiB",
				BODY_MAX / 1024);
			o.permanent = ESC_NET_REFUSED;
			rs->body.len = 0;   /* half a body is no body */
		} else if (sink.oom) {
			snprintf(o.what, sizeof o.what, "out of memory");
		} else {
			transport(c, rc, n, &o);
		}
		if (!o.retry || rs->attempts > n->retries || (o.unsure && n->once)) {
			rs->permanent = o.unsure && n->once ? ESC_NET_UNSURE : o.permanent;
			fail(err, rq->url, &o, rs->attempts);
			break;
		}
		backoff(n, rs->attempts);
	}
	/* the body is always a string, empty when nothing came */
	if (esc_buf_reserve(&rs->body, 1) == 0)
		rs->body.p[rs->body.len] = '\0';
out:
	slist_free(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

void
esc_http_resp_free(struct esc_http_resp *rs)
{
	esc_buf_free(&rs->body);
}

/* ---- SMTP ---- */

static const char b64std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64(struct esc_buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 | s[i + 2];

		esc_buf_putc(b, b64std[v >> 18 & 63]);
		esc_buf_putc(b, b64std[v >> 12 & 63]);
		esc_buf_putc(b, b64std[v >> 6 & 63]);
		esc_buf_putc(b, b64std[v & 63]);
	}
	if (i < n) {
		unsigned long v = (unsigned long)s[i] << 16 | (i + 1 < n ? (unsigned long)s[i + 1] << 8 : 0);

		esc_buf_putc(b, b64std[v >> 18 & 63]);
		esc_buf_putc(b, b64std[v >> 12 & 63]);
		esc_buf_putc(b, i + 1 < n ? b64std[v >> 6 & 63] : '=');
		esc_buf_putc(b, '=');
	}
}

static int
ascii_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Any C0 control or DEL: in a header it is a way to start another header. */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* RFC 2047 encoded-words ("=?UTF-8?B?...?="), each at most 75 characters
 * and cut between characters, folded onto continuation lines. */
static void
encoded_words(struct esc_buf *b, const char *s, size_t n)
{
	size_t i = 0, take;

	while (i < n) {
		take = n - i < 45 ? n - i : 45;   /* 45 bytes: 60 base64 chars + 12 = 72 */
		while (i + take < n && take && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (i)
			esc_buf_puts(b, "\r\n ");
		esc_buf_puts(b, "=?UTF-8?B?");
		base64(b, (const unsigned char *)s + i, take);
		esc_buf_puts(b, "?=");
		i += take;
	}
}

/* "addr@example.com" or "Display Name <addr@example.com>": the bare
 * address into spec (for the envelope), the header form into hdr. */
static int
address(const char *s, const char *what, char *spec, size_t specn, struct esc_buf *hdr,
	struct esc_err *err)
{
	const char *lt, *a, *e, *d = NULL, *de = NULL, *p;
	size_t n;

	if (!s || !*s) {
		esc_err_set(err, "mail: no %s address", what);
		return -1;
	}
	if (has_control(s)) {
		esc_err_set(err, "mail: the %s address holds a line break or control character: refused",
			what);
		return -1;
	}
	if (!esc_utf8_valid(s, strlen(s))) {
		esc_err_set(err, "mail: the %s address is not valid UTF-8", what);
		return -1;
	}
	if ((lt = strrchr(s, '<'))) {
		d = s;
		de = lt;
		while (d < de && *d == ' ')
			d++;
		while (de > d && de[-1] == ' ')
			de--;
		if (de - d >= 2 && *d == '"' && de[-1] == '"') {   /* quoted already */
			d++;
			de--;
		}
		a = lt + 1;
		if (!(e = strchr(a, '>')) || e[1 + strspn(e + 1, " ")]) {
			esc_err_set(err, "mail: the %s address has an unclosed '<'", what);
			return -1;
		}
	} else {
		a = s + strspn(s, " ");
		e = a + strcspn(a, " ");
		if (e[strspn(e, " ")]) {
			esc_err_set(err, "mail: the %s address is not one address", what);
			return -1;
		}
	}
	n = (size_t)(e - a);
	for (p = a; p < e; p++)
		if ((unsigned char)*p >= 0x80 || strchr(" <>()[],;:\\\"", *p))
			break;
	if (!n || n >= specn || n > 254 || p < e || !memchr(a, '@', n) || *a == '@' ||
	    e[-1] == '@') {
		esc_err_set(err, "mail: the %s address is not an email address", what);
		return -1;
	}
	memcpy(spec, a, n);
	spec[n] = '\0';
	if (d && de > d) {
		if (!ascii_only(d, (size_t)(de - d))) {
			encoded_words(hdr, d, (size_t)(de - d));
		} else {
			esc_buf_putc(hdr, '"');
			for (p = d; p < de; p++) {
				if (*p == '"' || *p == '\\')
					esc_buf_putc(hdr, '\\');
				esc_buf_putc(hdr, *p);
			}
			esc_buf_putc(hdr, '"');
		}
		esc_buf_printf(hdr, " <%s>", spec);
	} else {
		esc_buf_puts(hdr, spec);
	}
	return 0;
}

static void
date_header(struct esc_buf *b, time_t t)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	esc_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", day[tm.tm_wday],
		tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body with CRLF line ends; 8bit unless a line is too long for it,
 * then base64. */
static void
mail_body(struct esc_buf *msg, const char *body)
{
	struct esc_buf crlf = { 0 };
	const char *p;
	size_t line = 0, longest = 0, i;

	for (p = body; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] == '\n')
				p++;
			esc_buf_puts(&crlf, "\r\n");
			line = 0;
			continue;
		}
		esc_buf_putc(&crlf, *p);
		if (++line > longest)
			longest = line;
	}
	if (crlf.len < 2 || memcmp(crlf.p + crlf.len - 2, "\r\n", 2))
		esc_buf_puts(&crlf, "\r\n");
	if (longest <= LINE_MAX_8BIT) {
		esc_buf_puts(msg, "Content-Transfer-Encoding: 8bit\r\n\r\n");
		esc_buf_put(msg, crlf.p, crlf.len);
	} else {
		esc_buf_puts(msg, "Content-Transfer-Encoding: base64\r\n\r\n");
		for (i = 0; i < crlf.len; i += 57) {
			base64(msg, (const unsigned char *)crlf.p + i,
				crlf.len - i < 57 ? crlf.len - i : 57);
			esc_buf_puts(msg, "\r\n");
		}
	}
	esc_buf_free(&crlf);
}

/* Build the RFC 5322 message. Returns 0, or -1 with err. */
static int
mail_message(const struct esc_mail *m, const char *from, char *from_spec, char *to_spec,
	size_t specn, struct esc_buf *msg, struct esc_err *err)
{
	char tok[ESC_TOKEN_LEN + 1];
	const char *body = m->body ? m->body : "", *subj = m->subject ? m->subject : "";
	const char *dom, *id = m->message_id;
	size_t sn = strlen(subj);

	date_header(msg, esc_time_now());
	esc_buf_puts(msg, "From: ");
	if (address(from, "sender", from_spec, specn, msg, err) < 0)
		return -1;
	esc_buf_puts(msg, "\r\nTo: ");
	if (address(m->to, "recipient", to_spec, specn, msg, err) < 0)
		return -1;
	if (has_control(subj)) {
		esc_err_set(err, "mail: the subject holds a line break or control character: refused");
		return -1;
	}
	if (!esc_utf8_valid(subj, sn) || !esc_utf8_valid(body, strlen(body))) {
		esc_err_set(err, "mail: the %s is not valid UTF-8", esc_utf8_valid(subj, sn) ?
			"body" : "subject");
		return -1;
	}
	esc_buf_puts(msg, "\r\nSubject: ");
	if (ascii_only(subj, sn) && sn <= 900)
		esc_buf_put(msg, subj, sn);
	else
		encoded_words(msg, subj, sn);
	esc_buf_puts(msg, "\r\n");
	if (id) {
		if (!*id || has_control(id) || strpbrk(id, " \t") || !ascii_only(id, strlen(id)) ||
		    strlen(id) > 250) {
			esc_err_set(err, "mail: the message id is not one printable word");
			return -1;
		}
		esc_buf_printf(msg, id[0] == '<' ? "Message-ID: %s\r\n" : "Message-ID: <%s>\r\n", id);
	} else {
		if (esc_token_new(tok, err) < 0)
			return -1;
		dom = strrchr(from_spec, '@') + 1;
		esc_buf_printf(msg, "Message-ID: <%s@%s>\r\n", tok, dom);
	}
	esc_buf_puts(msg, "MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n");
	mail_body(msg, body);
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		return -1;
	}
	return 0;
}

struct source {
	const char *p;
	size_t len, off;
};

static size_t
source_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct source *s = ctx;
	size_t n = size * nitems;

	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return n;
}

/* The meaning of an SMTP reply code (RFC 5321 4.2.3); the server's own
 * words are not at hand without curl's verbose mode. */
static const char *
smtp_phrase(long code)
{
	switch (code) {
	case 421: return "service not available";
	case 450: return "mailbox unavailable";
	case 451: return "local error in processing";
	case 452: return "insufficient system storage";
	case 454: return "TLS not available";
	case 500: return "syntax error";
	case 501: return "syntax error in parameters";
	case 502: return "command not implemented";
	case 503: return "bad sequence of commands";
	case 504: return "parameter not implemented";
	case 530: return "authentication required";
	case 534: return "authentication mechanism too weak";
	case 535: return "authentication failed";
	case 538: return "encryption required for the authentication mechanism";
	case 550: return "mailbox unavailable";
	case 551: return "user not local";
	case 552: return "exceeded storage allocation";
	case 553: return "mailbox name not allowed";
	case 554: return "transaction failed";
	case 555: return "parameters not recognized";
	}
	return code < 500 ? "temporary failure" : "permanent failure";
}

/* esc_smtp_send; n NULL: esc_smtp_check, everything short of connecting */
static int
smtp(const struct esc_net *n, const struct esc_mail *m, int *permanent, struct esc_err *err)
{
	const char *url = m->url ? m->url : getenv("ESC_SMTP_URL"), *tls = getenv("ESC_SMTP_TLS");
	const char *from = m->from ? m->from : getenv("ESC_SMTP_FROM");
	const char *user = getenv("ESC_SMTP_USER"), *pass = getenv("ESC_SMTP_PASSWORD");
	char from_spec[300], to_spec[300], env_from[310], env_to[310];
	struct esc_buf msg = { 0 };
	struct curl_slist *rcpt = NULL;
	struct source src;
	struct outcome o;
	long usessl = CURLUSESSL_TRY, code;
	int attempts = 0, ret = -1;
	CURLcode rc;
	CURL *c = NULL;

	if (permanent)
		*permanent = 0;
	err->code = ESC_EXIT_NET;
	if (!url || !*url) {
		esc_err_set(err, "ESC_SMTP_URL is not set: no mail server to send to");
		return -1;
	}
	if (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8)) {
		esc_err_set(err, "ESC_SMTP_URL: not an smtp:// or smtps:// URL");
		return -1;
	}
	if (tls && *tls && !strcmp(tls, "require"))
		usessl = CURLUSESSL_ALL;
	else if (tls && *tls && strcmp(tls, "try")) {
		esc_err_set(err, "ESC_SMTP_TLS: \"%.20s\" is neither try nor require", tls);
		return -1;
	}
	if (!from || !*from) {
		esc_err_set(err, "mail: no sender (set ESC_SMTP_FROM)");
		return -1;
	}
	/* what the message is made of is input: a bad address or a line break
	 * in a header rejects it, and nothing is sent */
	err->code = ESC_EXIT_INPUT;
	if (mail_message(m, from, from_spec, to_spec, sizeof from_spec, &msg, err) < 0)
		goto out;
	err->code = ESC_EXIT_NET;
	if (!n) {
		ret = 0;
		goto out;
	}
	snprintf(env_from, sizeof env_from, "<%s>", from_spec);
	snprintf(env_to, sizeof env_to, "<%s>", to_spec);
	if (global(err) < 0)
		goto out;
	if (!(c = curl_easy_init()) || slist_add(&rcpt, env_to) < 0) {
		esc_err_set(err, "cannot start libcurl");
		goto out;
	}
	common_setup(c, n);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, usessl);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	if (user && *user)
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
	if (pass && *pass)
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, source_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	for (;;) {
		memset(&o, 0, sizeof o);
		src.p = msg.p;
		src.len = msg.len;
		src.off = 0;
		attempts++;
		rc = curl_easy_perform(c);
		if (rc == CURLE_OK) {
			ret = 0;
			break;
		}
		code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_USE_SSL_FAILED) {
			snprintf(o.what, sizeof o.what,
				"the server offers no STARTTLS (ESC_SMTP_TLS=require)");
			o.permanent = ESC_NET_SETUP;
		} else if (code >= 400 && code < 600) {
			/* SMTP's own rule: 4xx is temporary, 5xx is permanent; a
			 * 5xx about the login (RFC 4954: 530, 534, 535, 538) is the
			 * server refusing esc, whoever the mail was for */
			snprintf(o.what, sizeof o.what, "%ld %s", code, smtp_phrase(code));
			o.coded = 1;
			o.retry = code < 500;
			if (code == 530 || code == 534 || code == 535 || code == 538)
				o.permanent = ESC_NET_SETUP;
			else if (code >= 500)
				o.permanent = ESC_NET_REFUSED;
		} else if (rc == CURLE_LOGIN_DENIED) {
			snprintf(o.what, sizeof o.what, "login refused");
			o.permanent = ESC_NET_SETUP;
		} else {
			transport(c, rc, n, &o);
			if (rc == CURLE_WEIRD_SERVER_REPLY)
				snprintf(o.what, sizeof o.what, "unexpected reply from the server");
		}
		if (!o.retry || attempts > n->retries || (o.unsure && n->once)) {
			if (permanent)
				*permanent = o.unsure && n->once ? ESC_NET_UNSURE : o.permanent;
			fail(err, url, &o, attempts);
			break;
		}
		backoff(n, attempts);
	}
out:
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	esc_buf_free(&msg);
	return ret;
}

int
esc_smtp_send(const struct esc_net *n, const struct esc_mail *m, int *permanent,
	struct esc_err *err)
{
	return smtp(n, m, permanent, err);
}

int
esc_smtp_check(const struct esc_mail *m, struct esc_err *err)
{
	return smtp(NULL, m, NULL, err);
}
