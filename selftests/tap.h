/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the C unit tests. Each check is one TAP line;
 * the ASSERT_* forms return bool so a test reads as a list of facts and can
 * stop at the first false one. Finish with tap_done(), which prints the
 * plan and returns the exit status prove expects.
 */
#ifndef LB_TAP_H
#define LB_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* A diagnostic line, shown by prove -v and on failure. */
#define tap_diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

#define ASSERT_TRUE(c, name) tap_ok(!!(c), "%s", name)
#define ASSERT_EQ(a, b, name) ({					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	bool _r = tap_ok(_a == _b, "%s", name);				\
	if (!_r) tap_diag("  got %lld, expected %lld", _a, _b);		\
	_r; })
#define ASSERT_OK(err, name) ({						\
	long long _e = (long long)(err);				\
	bool _r = tap_ok(_e == 0, "%s", name);				\
	if (!_r) tap_diag("  error %lld (%s)", _e, strerror((int)-_e));	\
	_r; })
#define ASSERT_MEMEQ(a, b, len, name) tap_ok(memcmp((a), (b), (len)) == 0, "%s", name)

/* Prints the plan at the end (allowed by TAP) and gives the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* LB_TAP_H */
