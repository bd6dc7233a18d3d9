/* share.c — where the data files live, and reading them. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "esc.h"

static const char *share_opt;
static char share_found[PATH_MAX];

void
esc_share_set(const char *dir)
{
	share_opt = dir;
}

/* --share, then $ESC_SHARE, then ../share/esc beside the executable (a
 * build tree, or any prefix), then the compiled-in install directory. */
const char *
esc_share_dir(void)
{
	const char *e;
	char exe[PATH_MAX - 32];
	struct stat st;
	ssize_t n;
	char *slash;

	if (share_opt)
		return share_opt;
	if ((e = getenv("ESC_SHARE")) && *e)
		return e;
	if (share_found[0])
		return share_found;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/'))) {
			*slash = '\0';
			snprintf(share_found, sizeof share_found, "%s/../share/esc", exe);
			if (stat(share_found, &st) == 0 && S_ISDIR(st.st_mode))
				return share_found;
		}
	}
	snprintf(share_found, sizeof share_found, "%s", ESC_SHAREDIR);
	return share_found;
}

int
esc_share_read(const char *rel, char **data, size_t *len, struct esc_err *err)
{
	char path[PATH_MAX];
	struct esc_buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", esc_share_dir(), rel);
	if (!(f = fopen(path, "r"))) {
		esc_err_set(err, "cannot open data file %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		esc_buf_put(&b, chunk, n);
	if (ferror(f) || esc_buf_oom) {
		esc_err_set(err, "cannot read data file %s: %s", path, strerror(errno));
		fclose(f);
		esc_buf_free(&b);
		return -1;
	}
	fclose(f);
	esc_buf_putc(&b, '\0');
	*data = b.p;
	*len = b.len - 1;
	return 0;
}

json_t *
esc_share_json(const char *rel, struct esc_err *err)
{
	char path[PATH_MAX], *data;
	json_error_t je;
	size_t len;
	json_t *j;

	if (esc_share_read(rel, &data, &len, err) < 0)
		return NULL;
	snprintf(path, sizeof path, "%s/%s", esc_share_dir(), rel);
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (!j) {
		esc_err_set(err, "data file %s:%d: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		esc_err_set(err, "data file %s: not a JSON object", path);
		json_decref(j);
		return NULL;
	}
	return j;
}
