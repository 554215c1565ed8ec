// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the HTTP_GET checker's response reader,
 * chk_http_parse() and chk_http_body_md5(), on whatever a real server (or
 * something pretending to be one) sends. The checker calls the parser on
 * the whole buffer after every read, so the harness does too: on every
 * prefix of the input with eof false (the peer may still send), then on
 * the whole input with eof true (the peer closed).
 *
 * Properties, beyond "no crash, no sanitizer report":
 *  - the result is 1, 0 or -EBADMSG;
 *  - a complete response lies inside the buffer: head_len <= end <= len,
 *    a status of 100-999, a body no longer than what follows the head
 *    (the decoded chunked body is shorter than its encoding);
 *  - the verdict does not depend on how TCP cut the stream: once a prefix
 *    is complete, every longer one is complete with the same status,
 *    head, end and body (and the same MD5); once a prefix is -EBADMSG,
 *    every longer one is too;
 *  - closing the connection only completes or cuts short: what was
 *    complete before eof stays complete and unchanged after it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chk.h"
#include "fuzz_common.h"

FZ_REPORT_DEFINE;

/* Every prefix of short inputs; of longer ones, a stride plus the tail
 * (the parser is linear, so all prefixes of a long input are quadratic). */
#define ALL_PREFIXES	1024

static void check_complete(const uint8_t *buf, size_t len, const struct chk_http_resp *r)
{
	FZ_ASSERT(r->status >= 100 && r->status <= 999, "status %d", r->status);
	FZ_ASSERT(r->head_len > 0 && r->head_len <= r->end && r->end <= len,
		  "head %zu end %zu len %zu", r->head_len, r->end, len);
	FZ_ASSERT(r->body_len <= r->end - r->head_len, "body %zu in %zu bytes", r->body_len,
		  r->end - r->head_len);
	FZ_ASSERT(r->content_length >= -1, "content_length %lld",
		  (long long)r->content_length);
	if (!r->chunked && r->status >= 200 && r->status != 204 && r->status != 304 &&
	    r->content_length >= 0)
		FZ_ASSERT((int64_t)r->body_len == r->content_length,
			  "body %zu, Content-Length %lld", r->body_len,
			  (long long)r->content_length);
	(void)buf;
}

static bool same_resp(const struct chk_http_resp *a, const struct chk_http_resp *b)
{
	return a->status == b->status && a->head_len == b->head_len && a->end == b->end &&
	       a->body_len == b->body_len && a->chunked == b->chunked &&
	       a->content_length == b->content_length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chk_http_resp r, first = { 0 };
	char md5[33], first_md5[33] = "";
	size_t i, step = size <= ALL_PREFIXES ? 1 : size / 256 + 1;
	bool complete = false, bad = false;
	int rc;

	fz_init();
	for (i = 0; i <= size; i += (i + 64 >= size ? 1 : step)) {
		/* an exact-size copy, so that ASan sees a read past the prefix */
		uint8_t *buf = malloc(i ? i : 1);

		FZ_ASSERT(buf, "out of memory");
		memcpy(buf, data, i);
		rc = chk_http_parse(buf, i, false, &r);
		FZ_ASSERT(rc == 1 || rc == 0 || rc == -EBADMSG, "rc %d at %zu", rc, i);
		if (bad)
			FZ_ASSERT(rc == -EBADMSG, "-EBADMSG at a shorter prefix, %d at %zu", rc, i);
		if (complete) {
			FZ_ASSERT(rc == 1, "complete at a shorter prefix, %d at %zu", rc, i);
			FZ_ASSERT(same_resp(&first, &r), "response changed at %zu: end %zu->%zu",
				  i, first.end, r.end);
		}
		if (rc == 1) {
			check_complete(buf, i, &r);
			chk_http_body_md5(buf, &r, md5);
			FZ_ASSERT(strlen(md5) == 32, "md5 '%s'", md5);
			if (complete)
				FZ_ASSERT(!strcmp(md5, first_md5), "body MD5 changed at %zu", i);
			else
				memcpy(first_md5, md5, sizeof(md5));
			if (!complete)
				first = r;
			complete = true;
		}
		bad = rc < 0;
		free(buf);
	}

	/* the peer closes */
	{
		uint8_t *buf = malloc(size ? size : 1);

		FZ_ASSERT(buf, "out of memory");
		memcpy(buf, data, size);
		rc = chk_http_parse(buf, size, true, &r);
		FZ_ASSERT(rc == 1 || rc == 0 || rc == -EBADMSG, "rc %d at eof", rc);
		if (complete) {
			FZ_ASSERT(rc == 1 && same_resp(&first, &r), "eof changed a complete response");
		}
		if (bad)
			FZ_ASSERT(rc == -EBADMSG, "eof made a bad response good");
		if (rc == 1) {
			check_complete(buf, size, &r);
			chk_http_body_md5(buf, &r, md5);
			FZ_ASSERT(strlen(md5) == 32, "md5 '%s'", md5);
		}
		free(buf);
	}
	return 0;
}
