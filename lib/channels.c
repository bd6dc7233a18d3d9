/* channels.c — one survey message, one provider call: SMS and voice calls
 * through a Twilio-compatible REST API, email over SMTP or an HTTP mail
 * API. See survey.h ("channels") for the variables each one reads.
 *
 * What goes out carries secrets (the link's token, the account's token,
 * the mail key), so nothing here prints a URL but redacted, and the
 * buffers that held a credential are wiped before they are freed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "net.h"
#include "opps.h"
#include "survey.h"

#define TWILIO_DEFAULT "https://api.twilio.com/2010-04-01"
#define LINK_MAX 2048

static const char *
env(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? s : NULL;
}

static int
is_http(const char *url)
{
	return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

static int
is_smtp(const char *url)
{
	return !strncmp(url, "smtp://", 7) || !strncmp(url, "smtps://", 8);
}

/* The variable the mail server comes from, and its value (or NULL). */
static const char *
email_var(void)
{
	return env("ESC_EMAIL_URL") ? "ESC_EMAIL_URL" : "ESC_SMTP_URL";
}

static const char *
email_from(void)
{
	return env("ESC_EMAIL_FROM") ? env("ESC_EMAIL_FROM") : env("ESC_SMTP_FROM");
}

/* base with token in place of "{token}", or after it. 0, or -1 when it
 * does not fit. */
static int
with_token(const char *base, const char *token, char *buf, size_t n)
{
	const char *at = strstr(base, "{token}");
	int len;

	if (at)
		len = snprintf(buf, n, "%.*s%s%s", (int)(at - base), base, token, at + 7);
	else
		len = snprintf(buf, n, "%s%s", base, token);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

int
esc_survey_link(const char *token, char *buf, size_t n)
{
	const char *base = env("ESC_SURVEY_URL");

	if (n)
		buf[0] = '\0';
	return base ? with_token(base, token, buf, n) : -1;
}

const char *
esc_channel_name(int step)
{
	const char *url;

	switch (step) {
	case ESC_STEP_CALL:
	case ESC_STEP_SMS:
		return "twilio";
	case ESC_STEP_EMAIL:
		url = env(email_var());
		return url && is_http(url) ? "http" : "smtp";
	}
	return "widget";
}

const char *
esc_channel_settings(int step)
{
	const char *url;

	switch (step) {
	case ESC_STEP_CALL:
	case ESC_STEP_SMS:
		return "ESC_TWILIO_URL, ESC_TWILIO_SID and ESC_TWILIO_TOKEN";
	case ESC_STEP_EMAIL:
		url = env(email_var());
		if (url && is_http(url))
			return "ESC_EMAIL_URL and ESC_EMAIL_KEY";
		return env("ESC_EMAIL_URL") ? "ESC_EMAIL_URL, ESC_SMTP_USER, ESC_SMTP_PASSWORD and "
			"ESC_SMTP_TLS" : "ESC_SMTP_URL, ESC_SMTP_USER, ESC_SMTP_PASSWORD and ESC_SMTP_TLS";
	}
	return "";
}

/* Is every variable in names (NULL-terminated) set? 1, or 0 with why. */
static int
need(const char *const *names, char *why, size_t n)
{
	for (; *names; names++)
		if (!env(*names)) {
			snprintf(why, n, "%s is not set", *names);
			return 0;
		}
	return 1;
}

int
esc_channel_ready(int step, char *why, size_t n)
{
	static const char *const call[] = { "ESC_TWILIO_SID", "ESC_TWILIO_TOKEN",
		"ESC_TWILIO_FROM", "ESC_SURVEY_CALL_URL", NULL };
	static const char *const sms[] = { "ESC_TWILIO_SID", "ESC_TWILIO_TOKEN",
		"ESC_TWILIO_FROM", "ESC_SURVEY_URL", NULL };
	static const char *const link[] = { "ESC_SURVEY_URL", NULL };
	static const char *const key[] = { "ESC_EMAIL_KEY", NULL };
	const char *url, *tw;

	if (n)
		why[0] = '\0';
	switch (step) {
	case ESC_STEP_CALL:
	case ESC_STEP_SMS:
		if ((tw = env("ESC_TWILIO_URL")) && !is_http(tw)) {
			snprintf(why, n, "ESC_TWILIO_URL is not an http(s):// URL");
			return 0;
		}
		return need(step == ESC_STEP_CALL ? call : sms, why, n);
	case ESC_STEP_EMAIL:
		if (!(url = env(email_var()))) {
			snprintf(why, n, "neither ESC_EMAIL_URL nor ESC_SMTP_URL is set");
			return 0;
		}
		if (!is_http(url) && !is_smtp(url)) {
			snprintf(why, n, "%s is neither an smtp(s):// nor an http(s):// URL",
				email_var());
			return 0;
		}
		if (!email_from()) {
			snprintf(why, n, "neither ESC_EMAIL_FROM nor ESC_SMTP_FROM is set");
			return 0;
		}
		if (is_http(url) && !need(key, why, n))
			return 0;
		return need(link, why, n);
	case ESC_STEP_WIDGET:
		return 1;
	}
	snprintf(why, n, "no such step");
	return 0;
}

/* ---- the message ---- */

/* tmpl filled with {name}, {link} and {expires}, NUL-terminated into b. */
static int
fill(const char *tmpl, const struct esc_send *m, const char *link, struct esc_buf *b,
	struct esc_err *err)
{
	char day[16];
	struct tm tm;
	json_t *vars;
	int rc;

	gmtime_r(&m->expires, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	vars = json_pack("{s:s,s:s,s:s}", "name", m->name && *m->name ? m->name : "there",
		"link", link, "expires", day);
	if (!vars) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	rc = esc_fill(tmpl, vars, b, err);
	json_decref(vars);
	esc_buf_putc(b, '\0');
	if (rc == 0 && esc_buf_oom) {
		esc_err_set(err, "out of memory");
		err->code = ESC_EXIT_IO;
		return -1;
	}
	return rc;
}

/* Append "&name=value" (no "&" first), value percent-encoded. */
static int
form_add(struct esc_buf *b, const char *name, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	if (!v)
		return -1;
	esc_buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, v);
	curl_free(v);
	return 0;
}

/* The provider's id for what it accepted: the first string member of
 * keys in the response's JSON object, or "". */
static void
resp_id(const struct esc_http_resp *rs, const char *const *keys, char *id, size_t n)
{
	json_t *doc = json_loadb(rs->body.p, rs->body.len, 0, NULL), *v;

	if (n)
		id[0] = '\0';
	for (; doc && *keys; keys++)
		if (json_is_string(v = json_object_get(doc, *keys))) {
			snprintf(id, n, "%s", json_string_value(v));
			break;
		}
	json_decref(doc);
}

/* A Twilio error answer carries a numeric code worth naming (it says
 * which number or setting was refused; never a secret). The codes of the
 * account itself refuse the operator's settings whatever the HTTP status
 * says: 20003 (authenticate), 20005 (account not active), 20403
 * (forbidden), 20404 (no such resource: the URL or the SID). Codes about
 * numbers are left to the status: Twilio gives some of them (21211, an
 * invalid To) for the recipient and some for the sender alike. */
static void
twilio_code(const struct esc_http_resp *rs, int *permanent, struct esc_err *err)
{
	json_t *doc = json_loadb(rs->body.p, rs->body.len, 0, NULL);
	json_t *code = json_object_get(doc, "code");
	size_t len = strlen(err->msg);
	long long c;

	if (json_is_integer(code)) {
		c = json_integer_value(code);
		if (len < sizeof err->msg)
			snprintf(err->msg + len, sizeof err->msg - len, " (provider error %lld)", c);
		if (rs->status >= 400 && rs->status < 500 &&
		    (c == 20003 || c == 20005 || c == 20403 || c == 20404))
			*permanent = ESC_NET_SETUP;
	}
	json_decref(doc);
}

/* POST form to the account's resource (Messages.json, Calls.json). */
static int
twilio_post(const struct esc_net *net, const char *resource, const struct esc_buf *form,
	char *id, size_t n, int *permanent, struct esc_err *err)
{
	static const char *const keys[] = { "sid", NULL };
	const char *base = env("ESC_TWILIO_URL") ? env("ESC_TWILIO_URL") : TWILIO_DEFAULT;
	const char *sid = env("ESC_TWILIO_SID"), *tok = env("ESC_TWILIO_TOKEN");
	struct esc_http_req rq = { 0 };
	struct esc_http_resp rs = { 0 };
	struct esc_buf url = { 0 }, auth = { 0 };
	size_t blen = strlen(base);
	char *esid = curl_easy_escape(NULL, sid, 0);
	int rc = -1;

	if (!esid) {
		esc_err_set(err, "out of memory");
		return -1;
	}
	while (blen && base[blen - 1] == '/')
		blen--;
	esc_buf_put(&url, base, blen);
	esc_buf_printf(&url, "/Accounts/%s/%s", esid, resource);
	esc_buf_putc(&url, '\0');
	esc_buf_printf(&auth, "%s:%s", sid, tok);
	esc_buf_putc(&auth, '\0');
	curl_free(esid);
	if (esc_buf_oom) {
		esc_err_set(err, "out of memory");
		goto out;
	}
	rq.url = url.p;
	rq.content_type = "application/x-www-form-urlencoded";
	rq.body = form->p;
	rq.len = form->len;
	rq.userpwd = auth.p;
	if ((rc = esc_http(net, &rq, &rs, err)) == 0)
		resp_id(&rs, keys, id, n);
	else {
		*permanent = err->code == ESC_EXIT_INPUT ? ESC_NET_REFUSED : rs.permanent;
		twilio_code(&rs, permanent, err);
	}
out:
	if (auth.p)
		explicit_bzero(auth.p, auth.cap);
	esc_buf_free(&auth);
	esc_buf_free(&url);
	esc_http_resp_free(&rs);
	return rc;
}

static int
send_sms(const struct esc_net *net, const struct esc_survey_cfg *c, const struct esc_send *m,
	char *id, size_t n, int *permanent, struct esc_err *err)
{
	struct esc_buf text = { 0 }, form = { 0 };
	char link[LINK_MAX];
	int rc = -1;

	if (esc_survey_link(m->token, link, sizeof link) < 0) {
		esc_err_set(err, "ESC_SURVEY_URL is not set or too long");
		return -1;
	}
	if (fill(c->sms_text, m, link, &text, err) < 0)
		goto out;
	/* the file's last line break is no part of the message (it costs a
	 * character of a 160-character segment) */
	while (text.len > 1 && strchr(" \t\r\n", text.p[text.len - 2]))
		text.p[--text.len - 1] = '\0';
	if (form_add(&form, "To", m->to) < 0 || form_add(&form, "From", env("ESC_TWILIO_FROM")) < 0 ||
	    form_add(&form, "Body", text.p) < 0 || esc_buf_oom) {
		esc_err_set(err, "out of memory");
		goto out;
	}
	rc = twilio_post(net, "Messages.json", &form, id, n, permanent, err);
out:
	explicit_bzero(link, sizeof link);
	if (text.p)
		explicit_bzero(text.p, text.cap);
	if (form.p)
		explicit_bzero(form.p, form.cap);
	esc_buf_free(&text);
	esc_buf_free(&form);
	return rc;
}

/* The call's words (call.txt) belong to the voice service at Url, which
 * is told the token; the provider gets only where to fetch them. */
static int
send_call(const struct esc_net *net, const struct esc_send *m, char *id, size_t n,
	int *permanent, struct esc_err *err)
{
	struct esc_buf form = { 0 };
	const char *status = env("ESC_SURVEY_STATUS_URL");
	char url[LINK_MAX];
	int rc = -1;

	if (!env("ESC_SURVEY_CALL_URL") ||
	    with_token(env("ESC_SURVEY_CALL_URL"), m->token, url, sizeof url) < 0) {
		esc_err_set(err, "ESC_SURVEY_CALL_URL is not set or too long");
		return -1;
	}
	if (form_add(&form, "To", m->to) < 0 || form_add(&form, "From", env("ESC_TWILIO_FROM")) < 0 ||
	    form_add(&form, "Url", url) < 0 ||
	    (status && form_add(&form, "StatusCallback", status) < 0) || esc_buf_oom)
		esc_err_set(err, "out of memory");
	else
		rc = twilio_post(net, "Calls.json", &form, id, n, permanent, err);
	explicit_bzero(url, sizeof url);
	if (form.p)
		explicit_bzero(form.p, form.cap);
	esc_buf_free(&form);
	return rc;
}

/* The JSON mail API: {"from","to","subject","text"}, the key as a bearer. */
static int
email_http(const struct esc_net *net, const char *url, const char *subject, const char *body,
	const struct esc_send *m, char *id, size_t n, int *permanent, struct esc_err *err)
{
	static const char *const keys[] = { "id", "message_id", NULL };
	struct esc_http_req rq = { 0 };
	struct esc_http_resp rs = { 0 };
	json_t *doc;
	char *js;
	int rc = -1;

	doc = json_pack("{s:s,s:s,s:s,s:s}", "from", email_from(), "to", m->to,
		"subject", subject, "text", body);
	js = doc ? esc_json_text(doc) : NULL;
	json_decref(doc);
	if (!js) {
		esc_err_set(err, "mail: the message is not valid UTF-8, or out of memory");
		*permanent = ESC_NET_REFUSED;
		return -1;
	}
	rq.url = url;
	rq.body = js;
	rq.bearer = env("ESC_EMAIL_KEY");
	if ((rc = esc_http(net, &rq, &rs, err)) == 0)
		resp_id(&rs, keys, id, n);
	else
		*permanent = err->code == ESC_EXIT_INPUT ? ESC_NET_REFUSED : rs.permanent;
	explicit_bzero(js, strlen(js));
	free(js);
	esc_http_resp_free(&rs);
	return rc;
}

/* A Message-ID for mail the caller gave none: a token at the sender's
 * domain, so the provider id is known before the server sees it. */
static int
make_msgid(char *buf, size_t n, struct esc_err *err)
{
	char tok[ESC_TOKEN_LEN + 1];
	const char *from = email_from(), *at = strrchr(from, '@');
	size_t dl;

	if (esc_token_new(tok, err) < 0)
		return -1;
	if (!at)
		at = "@localhost";
	dl = strcspn(at + 1, ">");
	snprintf(buf, n, "<%s@%.*s>", tok, (int)dl, at + 1);
	return 0;
}

static int
send_email(const struct esc_net *net, const struct esc_survey_cfg *c, const struct esc_send *m,
	char *id, size_t n, int *permanent, struct esc_err *err)
{
	const char *url = env(email_var()), *t = c->email_text, *nl, *rest;
	struct esc_buf subj = { 0 }, body = { 0 };
	struct esc_mail mail = { 0 };
	char link[LINK_MAX], *tmpl = NULL, msgid[300];
	size_t sl;
	int rc = -1;

	if (esc_survey_link(m->token, link, sizeof link) < 0) {
		esc_err_set(err, "ESC_SURVEY_URL is not set or too long");
		return -1;
	}
	/* "Subject: ..." line, a blank line, the body */
	nl = strchr(t, '\n');
	sl = nl ? (size_t)(nl - t) : strlen(t);
	rest = nl ? nl + 1 : "";
	if (*rest == '\n')
		rest++;
	else if (rest[0] == '\r' && rest[1] == '\n')
		rest += 2;
	if (!(tmpl = strndup(t + 9, sl > 9 ? sl - 9 : 0))) {
		esc_err_set(err, "out of memory");
		goto out;
	}
	tmpl[strcspn(tmpl, "\r")] = '\0';
	if (fill(tmpl, m, link, &subj, err) < 0 || fill(rest, m, link, &body, err) < 0)
		goto out;
	if (is_http(url)) {
		rc = email_http(net, url, subj.p, body.p, m, id, n, permanent, err);
		goto out;
	}
	if (m->message_id)
		snprintf(msgid, sizeof msgid, m->message_id[0] == '<' ? "%s" : "<%s>",
			m->message_id);
	else if (make_msgid(msgid, sizeof msgid, err) < 0)
		goto out;
	mail.from = email_from();
	mail.to = m->to;
	mail.subject = subj.p;
	mail.body = body.p;
	mail.message_id = msgid;
	mail.url = url;
	if ((rc = esc_smtp_send(net, &mail, permanent, err)) == 0)
		snprintf(id, n, "%s", msgid);
	else if (err->code == ESC_EXIT_INPUT)
		*permanent = ESC_NET_REFUSED;   /* a refused address or header stays refused */
out:
	explicit_bzero(link, sizeof link);
	if (body.p)
		explicit_bzero(body.p, body.cap);
	free(tmpl);
	esc_buf_free(&subj);
	esc_buf_free(&body);
	return rc;
}

int
esc_channel_send(const struct esc_net *net, const struct esc_survey_cfg *c,
	const struct esc_send *m, char *id, size_t n, int *permanent, struct esc_err *err)
{
	/* a survey must not reach a person twice: once the request may have
	 * reached the provider, it is not tried again (net.h, once) */
	struct esc_net once = *net;
	char why[128];
	int rc;

	once.once = 1;
	net = &once;
	*permanent = 0;
	if (n)
		id[0] = '\0';
	if (!esc_channel_ready(m->step, why, sizeof why) || m->step == ESC_STEP_WIDGET) {
		esc_err_set(err, "%s: %s", esc_step_name(m->step),
			m->step == ESC_STEP_WIDGET ? "the widget is not sent through a channel" : why);
		err->code = ESC_EXIT_NET;
		return -1;
	}
	err->code = 0;
	switch (m->step) {
	case ESC_STEP_CALL:
		rc = send_call(net, m, id, n, permanent, err);
		break;
	case ESC_STEP_SMS:
		rc = send_sms(net, c, m, id, n, permanent, err);
		break;
	default:
		rc = send_email(net, c, m, id, n, permanent, err);
		break;
	}
	/* what the provider refused is the network's failure to the caller;
	 * a template naming an unknown placeholder stays a data error */
	if (rc < 0 && err->code != ESC_EXIT_DATA)
		err->code = ESC_EXIT_NET;
	return rc;
}
