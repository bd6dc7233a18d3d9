/* net-call — drive lib/net.c from the shell tests (tests/0011-net.t):
 *
 *   net-call http [-X METHOD] [-d BODY | -D FILE] [-T TYPE] [-b BEARER]
 *                 [-u USER:PASS] [-H "Name: value"]... [-o FILE] URL
 *   net-call smtp [-f FROM] [-t TO] [-s SUBJECT] [-d BODY | -D FILE] [-i MSGID]
 *   net-call redact URL
 *
 * The settings come from the environment (esc_net_init). http prints
 * "status=N attempts=N permanent=N bytes=N" and writes the body to -o;
 * smtp prints "permanent=N"; redact prints the redacted URL. An error is
 * printed as every tool prints one, and the exit status is its code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

static char *
slurp(const char *path)
{
	struct esc_buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		esc_diag("error", NULL, 0, "%s:", path);
		exit(ESC_EXIT_IO);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		esc_buf_put(&b, chunk, n);
	fclose(f);
	esc_buf_putc(&b, '\0');
	return b.p;
}

static void
usage(void)
{
	fputs("usage: net-call http|smtp|redact [options] [URL]\n", stderr);
	exit(ESC_EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	struct esc_err err = { 0 };
	struct esc_net net;
	const char *headers[17] = { 0 }, *out = NULL, *mode;
	struct esc_http_req rq = { 0 };
	struct esc_http_resp rs = { 0 };
	struct esc_mail m = { 0 };
	char *file = NULL, red[256];
	int c, nh = 0, perm = 0, rc = 0;
	FILE *f;

	esc_prog = "net-call";
	if (argc < 2)
		usage();
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "X:d:D:T:b:u:H:o:f:t:s:i:")) != -1) {
		switch (c) {
		case 'X': rq.method = optarg; break;
		case 'd': rq.body = m.body = optarg; break;
		case 'D': free(file); rq.body = m.body = file = slurp(optarg); break;
		case 'T': rq.content_type = optarg; break;
		case 'b': rq.bearer = optarg; break;
		case 'u': rq.userpwd = optarg; break;
		case 'H': if (nh < 16) headers[nh++] = optarg; break;
		case 'o': out = optarg; break;
		case 'f': m.from = optarg; break;
		case 't': m.to = optarg; break;
		case 's': m.subject = optarg; break;
		case 'i': m.message_id = optarg; break;
		default: usage();
		}
	}
	if (!strcmp(mode, "redact")) {
		if (optind != argc - 1)
			usage();
		esc_url_redact(argv[optind], red, sizeof red);
		puts(red);
		return 0;
	}
	if (esc_net_init(&net, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return err.code;
	}
	if (!strcmp(mode, "http")) {
		if (optind != argc - 1)
			usage();
		rq.url = argv[optind];
		rq.headers = nh ? headers : NULL;
		rc = esc_http(&net, &rq, &rs, &err);
		printf("status=%ld attempts=%d permanent=%d bytes=%zu\n", rs.status, rs.attempts,
			rs.permanent, rs.body.len);
		if (out && (f = fopen(out, "wb"))) {
			fwrite(rs.body.p, 1, rs.body.len, f);
			fclose(f);
		}
		esc_http_resp_free(&rs);
	} else if (!strcmp(mode, "smtp")) {
		if (optind != argc)
			usage();
		rc = esc_smtp_send(&net, &m, &perm, &err);
		printf("permanent=%d\n", perm);
	} else {
		usage();
	}
	free(file);
	if (rc < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return err.code ? err.code : 1;
	}
	return 0;
}
