// SPDX-License-Identifier: GPL-2.0
/* The textfile writer thread: see textfile.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stats_prom.h"
#include "textfile.h"

#define WRITER_STACK	(256 * 1024)	/* locked with the rest (mlockall) */

struct textfile {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char path[PATH_MAX];
	char *text;			/* pending, NULL = none */
	size_t len;
	bool stop, done;
};

static void *writer(void *arg)
{
	struct textfile *t = arg;
	char path[PATH_MAX];
	char *text;
	size_t len;
	int err;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->text && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->stop)
			break;
		text = t->text;
		len = t->len;
		t->text = NULL;
		snprintf(path, sizeof(path), "%s", t->path);
		pthread_mutex_unlock(&t->mu);
		err = prom_write_text(path, text, len);
		free(text);
		if (err)
			pr_warn("textfile %s: %s", path, strerror(-err));
		pthread_mutex_lock(&t->mu);
	}
	t->done = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct textfile *textfile_start(void)
{
	struct sched_param sp = { .sched_priority = 0 };
	struct textfile *t = calloc(1, sizeof(*t));
	pthread_attr_t a;
	int err;

	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, WRITER_STACK);
	/* the loop may run SCHED_RR; disk writes must not */
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_OTHER);
	pthread_attr_setschedparam(&a, &sp);
	err = pthread_create(&t->thread, &a, writer, t);
	pthread_attr_destroy(&a);
	if (err) {
		free(t);
		errno = err;
		return NULL;
	}
	return t;
}

void textfile_put(struct textfile *t, const char *path, char *text, size_t len)
{
	pthread_mutex_lock(&t->mu);
	free(t->text);
	t->text = text;
	t->len = len;
	snprintf(t->path, sizeof(t->path), "%s", path);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

void textfile_stop(struct textfile *t)
{
	struct timespec until;
	int err = 0;

	if (!t)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	free(t->text);
	t->text = NULL;
	pthread_cond_broadcast(&t->cv);
	while (!t->done && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&t->cv, &t->mu, &until);
	pthread_mutex_unlock(&t->mu);
	if (err == ETIMEDOUT) {
		/* stuck in the kernel on a dead disk: it goes with the process */
		pr_warn("textfile: the writer is stuck; leaving it");
		pthread_detach(t->thread);
		return;
	}
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
