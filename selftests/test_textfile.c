// SPDX-License-Identifier: GPL-2.0
/*
 * The textfile writer thread: a text handed over lands at its path (mode
 * 0644, no temporary file left), the newest of several wins, a directory
 * it cannot write to is a warning and not a crash, and stop returns.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tap.h"
#include "textfile.h"

static char dir[] = "/tmp/lbctl-textfile-XXXXXX";

/* Waits up to 2 s for path to hold exactly want. */
static bool holds(const char *path, const char *want)
{
	char buf[256];
	int i;

	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = 0;
		if (f && !strcmp(buf, want))
			return true;
		usleep(10000);
	}
	return false;
}

int main(void)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], bad[PATH_MAX];
	struct timespec t0, t1;
	struct textfile *t;
	struct stat st;
	int i;

	if (!mkdtemp(dir))
		return tap_ok(false, "mkdtemp"), tap_done();
	snprintf(path, sizeof(path), "%s/lbctl.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	t = textfile_start();
	if (!ASSERT_TRUE(t, "the writer starts"))
		return tap_done();

	textfile_put(t, path, strdup("a 1\n"), 4);
	ASSERT_TRUE(holds(path, "a 1\n"), "a text handed over lands at its path");
	ASSERT_TRUE(!stat(path, &st) && (st.st_mode & 0777) == 0644,
		    "mode 0644 (node_exporter reads it as another user)");
	ASSERT_TRUE(access(tmp, F_OK), "no temporary file left behind");

	for (i = 0; i < 50; i++) {
		char *s = malloc(16);

		snprintf(s, 16, "n %d\n", i);
		textfile_put(t, path, s, strlen(s));
	}
	ASSERT_TRUE(holds(path, "n 49\n"), "of 50 texts in a row, the last one is what stays");

	snprintf(bad, sizeof(bad), "%s/no/such/dir/lbctl.prom", dir);
	textfile_put(t, bad, strdup("x\n"), 2);
	textfile_put(t, path, strdup("b 2\n"), 4);
	ASSERT_TRUE(holds(path, "b 2\n"), "a path it cannot write is skipped (a warning), "
		    "the next text is written");

	textfile_put(t, path, strdup("c 3\n"), 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	textfile_stop(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_TRUE(t1.tv_sec - t0.tv_sec < 2, "stop with a text pending returns at once");
	textfile_stop(NULL);
	unlink(path);
	unlink(tmp);
	rmdir(dir);
	return tap_done();
}
