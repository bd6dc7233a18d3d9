/* channel-send — drive lib/channels.c from the shell tests
 * (tests/0023-survey-channels.t):
 *
 *   channel-send call|sms|email TO [NAME]
 *   channel-send ready call|sms|email
 *   channel-send link
 *
 * The token is $CHANNEL_TOKEN, the Message-ID $CHANNEL_MSGID (optional),
 * the link's end the clock (ESC_NOW) plus the settings' token_ttl; the
 * settings and texts come from $ESC_SHARE/survey. A send prints
 * "channel=NAME id=ID", or "permanent=N" and the error as every tool
 * prints one, and exits with the error's code. ready prints "ready" or
 * why not (exit 1); link prints esc_survey_link's link. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "survey.h"

static void
usage(void)
{
	fputs("usage: channel-send call|sms|email TO [NAME] | ready STEP | link\n", stderr);
	exit(ESC_EXIT_USAGE);
}

static int
step_arg(const char *s)
{
	if (!strcmp(s, "call"))
		return ESC_STEP_CALL;
	if (!strcmp(s, "sms"))
		return ESC_STEP_SMS;
	if (!strcmp(s, "email"))
		return ESC_STEP_EMAIL;
	usage();
	return -1;
}

int
main(int argc, char **argv)
{
	struct esc_survey_cfg cfg;
	struct esc_err err = { 0 };
	struct esc_send m = { 0 };
	struct esc_net net;
	const char *token = getenv("CHANNEL_TOKEN");
	char id[256], why[128], link[2048];
	int perm = 0, rc;

	esc_prog = "channel-send";
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "ready")) {
		if (argc != 3)
			usage();
		if (!esc_channel_ready(step_arg(argv[2]), why, sizeof why)) {
			puts(why);
			return 1;
		}
		puts("ready");
		return 0;
	}
	if (!token || !*token) {
		esc_diag("error", NULL, 0, "CHANNEL_TOKEN is not set");
		return ESC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "link")) {
		if (esc_survey_link(token, link, sizeof link) < 0) {
			esc_diag("error", NULL, 0, "no link");
			return 1;
		}
		puts(link);
		return 0;
	}
	if (argc < 3 || argc > 4)
		usage();
	m.step = step_arg(argv[1]);
	m.to = argv[2];
	m.name = argc == 4 ? argv[3] : NULL;
	m.token = token;
	m.message_id = getenv("CHANNEL_MSGID");
	if (esc_net_init(&net, &err) < 0 || esc_survey_cfg_load(&cfg, NULL, &err) < 0) {
		esc_diag("error", NULL, 0, "%s", err.msg);
		return err.code;
	}
	m.expires = esc_time_now() + cfg.token_ttl;
	rc = esc_channel_send(&net, &cfg, &m, id, sizeof id, &perm, &err);
	esc_survey_cfg_free(&cfg);
	if (rc < 0) {
		printf("permanent=%d\n", perm);
		esc_diag("error", NULL, 0, "%s", err.msg);
		return err.code ? err.code : 1;
	}
	printf("channel=%s id=%s\n", esc_channel_name(m.step), id);
	return 0;
}
