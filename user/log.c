// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "log.h"

int log_verbosity = LOG_LVL_INFO;
static FILE *log_file;
static int log_stamp;
static char first_err[240];

void log_first_error_reset(void)
{
	first_err[0] = 0;
}

const char *log_first_error(void)
{
	return first_err;
}

static void log_vmsg_prefix(enum log_level lvl, bool prefix, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "", "debug" };
	FILE *f = log_file ? log_file : stderr;
	size_t len = strlen(fmt);

	if (lvl == LOG_LVL_ERR && !first_err[0]) {
		va_list aq;

		va_copy(aq, ap);
		vsnprintf(first_err, sizeof(first_err), fmt, aq);
		va_end(aq);
		first_err[strcspn(first_err, "\n")] = 0;
	}
	if ((int)lvl > log_verbosity)
		return;
	if (log_stamp) {
		struct timespec ts;
		struct tm tm;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%F %T", &tm);
		fprintf(f, "%s.%03ld ", buf, ts.tv_nsec / 1000000);
	}
	if (prefix && *names[lvl])
		fprintf(f, "%s: ", names[lvl]);
	vfprintf(f, fmt, ap);
	if (len == 0 || fmt[len - 1] != '\n')
		fputc('\n', f);
	fflush(f);
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	log_vmsg_prefix(lvl, true, fmt, ap);
}

void log_located(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg_prefix(lvl, false, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

int log_open(const char *path)
{
	FILE *f;

	if (!path) {
		log_file = NULL;
		log_stamp = 0;
		return 0;
	}
	f = fopen(path, "ae");
	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	log_file = f;
	log_stamp = 1;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_LVL_WARN :
			     level == LIBBPF_INFO ? LOG_LVL_DEBUG : LOG_LVL_DEBUG + 1;

	log_vmsg(lvl, fmt, ap);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
