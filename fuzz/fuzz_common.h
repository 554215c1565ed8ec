/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer harnesses share: a reader that takes typed values off
 * the front of the input (zeros once it runs dry, so every input is
 * valid), a way to silence the code under test, and an assertion that
 * aborts with a message, which libFuzzer reports as a crash and saves the
 * input for.
 */
#ifndef LB_FUZZ_COMMON_H
#define LB_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	if (!f->n)
		return 0;
	v = *f->p++;
	f->n--;
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t hi = fz_u16(f);

	return hi << 16 | fz_u16(f);
}

static inline void fz_bytes(struct fz *f, void *out, size_t n)
{
	size_t k = n < f->n ? n : f->n;

	memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	f->p += k;
	f->n -= k;
}

/*
 * The code under test prints diagnostics through stdio's stderr (lbctl's
 * log_msg and usage_err) and stdout (JSON error documents): point both
 * streams at /dev/null. File descriptor
 * 2 itself stays open, because libFuzzer's progress lines and the
 * sanitizers' reports go there. FUZZ_VERBOSE=1 keeps the messages, for
 * looking at a reproducer.
 */
static inline void fz_quiet(void)
{
	FILE *null;

	if (getenv("FUZZ_VERBOSE"))
		return;
	null = fopen("/dev/null", "w");
	if (null)
		stderr = stdout = null;
}

/* A broken property: say which, on the real stderr, and crash. */
extern FILE *fz_report;
#define FZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(fz_report ? fz_report : stderr,			\
			"%s:%d: property violated: %s: ",		\
			__FILE__, __LINE__, #cond);			\
		fprintf(fz_report ? fz_report : stderr, __VA_ARGS__);	\
		fputc('\n', fz_report ? fz_report : stderr);		\
		fflush(fz_report ? fz_report : stderr);			\
		abort();						\
	}								\
} while (0)

/*
 * A property broken by a bug that is known and reported, not yet fixed:
 * FZ_ASSERT_KNOWN(ID, ...) is FZ_ASSERT unless ID is listed (comma
 * separated) in FUZZ_KNOWN, which `run.sh long` sets from fuzz/known-bugs
 * so that a long run looks for new bugs instead of finding the old one
 * again. The quick run does not set it: known bugs fail it until fixed.
 */
static inline bool fz_known(const char *id)
{
	const char *k = getenv("FUZZ_KNOWN"), *p;
	size_t n = strlen(id);

	for (p = k; p && (p = strstr(p, id)); p += n)
		if ((p == k || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

#define FZ_ASSERT_KNOWN(id, cond, ...) FZ_ASSERT((cond) || fz_known(id), __VA_ARGS__)

#define FZ_REPORT_DEFINE FILE *fz_report

/* Keep the real stderr for FZ_ASSERT, then silence the code under test. */
static inline void fz_init(void)
{
	if (fz_report)
		return;
	fz_report = stderr;
	fz_quiet();
}

#endif /* LB_FUZZ_COMMON_H */
