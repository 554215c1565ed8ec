/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health checks of real servers, as keepalived's checkers do them:
 * TCP_CHECK (connect), HTTP_GET (status code, optional MD5 digest of the
 * body) and MISC_CHECK (a script's exit status). Everything runs in the
 * controller's event loop without blocking; only MISC_CHECK starts a
 * process.
 *
 * Semantics, per check of a target:
 * - one attempt every delay_loop (counted from the end of the previous
 *   attempt); the first attempt starts as soon as the loop runs;
 * - while the check is up, a failed attempt is retried up to `retry` times,
 *   delay_before_retry apart; when the last retry fails too, the check goes
 *   down (so retry 2 means down on the 3rd consecutive failure);
 * - a down check goes up again on its first successful attempt;
 * - a target is up when all of its checks are up (a target without checks
 *   is always up). It starts up, or down with start_up = false (keepalived's
 *   `alpha`), until each check has succeeded once.
 * Each change of (up, weight) calls the state callback exactly once and
 * logs one line through pr_info:
 *   backend 10.0.0.7:80: down (HTTP_GET /health: status 500, expected 200)
 *   backend 10.0.0.7:80: up
 * The callback is not called for the initial state.
 */
#ifndef LB_CHK_H
#define LB_CHK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"

struct evloop;
struct chk_target;		/* one real server with its checks */

/*
 * up: all checks pass. weight: the weight a MISC_CHECK with misc_dynamic
 * asked for (its exit status - 2), or -1 for "the configured weight".
 * The callback may call chk_target_free() on t.
 */
typedef void (*chk_state_cb)(struct chk_target *t, bool up, int weight, void *arg);

/*
 * Start checking the server at addr:port with checks[0..n_checks). Each
 * check connects to the server's own address (never a VIP) unless it has
 * connect_ip / connect_port. The checks are copied: the config may be
 * freed afterwards. Zero connect_timeout and delay_loop mean keepalived's
 * defaults (5 s, 60 s); zero misc_timeout means delay_loop.
 * Returns NULL with errno set (EINVAL for a check that cannot run, e.g. an
 * HTTP_GET without url or a MISC_CHECK without misc_path).
 */
struct chk_target *chk_target_new(struct evloop *loop, const struct cfg_addr *addr,
				  uint16_t port, const struct cfg_check *checks,
				  int n_checks, bool start_up, chk_state_cb cb, void *arg);
/* Cancels in-flight checks, closes their sockets, kills (SIGKILL to the
 * process group) and forgets running scripts. Safe from the callback. */
void chk_target_free(struct chk_target *t);
bool chk_target_up(const struct chk_target *t);
/* Check again now (each check not already in the middle of an attempt),
 * not at the next delay_loop: what failed may have been our own link. */
void chk_target_kick(struct chk_target *t);
/* The "ADDR:PORT" (or "[ADDR6]:PORT") naming the target in messages. */
const char *chk_target_name(const struct chk_target *t);

struct chk_status {
	bool up;
	int weight;			/* as passed to the callback */
	uint64_t last_check_ns;		/* CLOCK_MONOTONIC (ev_now_ns), 0 = never */
	int64_t last_check_realtime_s;	/* wall clock of the same moment */
	/* the latest result; while the target is down, that of the latest
	 * failure, so that it explains why ("TCP_CHECK: connect: ...") */
	char last_result[96];
	uint64_t transitions;		/* up<->down changes since creation */
	uint64_t checks_ok, checks_failed; /* attempts, retries included */
};
void chk_target_status(const struct chk_target *t, struct chk_status *out);

/* ---- scripts (MISC_CHECK here; VRRP notify and track scripts later) ---- */

struct chk_script_policy {
	uid_t uid;			/* run as; default: our own uid/gid */
	gid_t gid;
	bool enforce_security;		/* keepalived's enable_script_security */
};
/* Policy for MISC_CHECK scripts (copied). */
void chk_set_script_policy(const struct chk_script_policy *p);
const struct chk_script_policy *chk_get_script_policy(void);

/*
 * Start cmd->argv without a shell (argv[0] without '/' is looked up in
 * PATH) as p->uid/p->gid, in a new process group, with stdin, stdout and
 * stderr on /dev/null, no other fds, default signal handling. p NULL =
 * the policy set above. With enforce_security, refuses (-EPERM) a script
 * when it or any directory above it (as written and after resolving
 * symlinks) is writable by group or others, or is owned by anyone but
 * root or p->uid. Returns the pid (reap it with ev_child_add), or -errno,
 * including exec's errno when the exec itself fails.
 */
pid_t chk_spawn(const struct cfg_cmd *cmd, const struct chk_script_policy *p);
/* The -EPERM check of chk_spawn on its own: 0 or -errno; on -EPERM, why
 * (if not NULL) says which file and what is wrong with it. */
int chk_script_secure(const char *path, uid_t uid, char *why, size_t why_len);

/* ---- pure helpers, tested on bytes alone ---- */

/* MD5 (RFC 1321), for HTTP_GET's digest. */
struct chk_md5 {
	uint32_t h[4];
	uint64_t len;			/* bytes hashed so far */
	uint8_t block[64];
};
void chk_md5_init(struct chk_md5 *m);
void chk_md5_update(struct chk_md5 *m, const void *data, size_t len);
void chk_md5_final(struct chk_md5 *m, uint8_t out[16]);
/* out: 33 bytes, lowercase hex and a NUL */
void chk_md5_hex(const void *data, size_t len, char out[33]);

/*
 * HTTP/1.x response parser. Call it on the whole buffer received so far
 * (from the first byte); eof tells that the peer closed. Interim 1xx
 * responses are skipped. Bodies: Content-Length, chunked (decoded for the
 * digest, trailers skipped), or up to the close of the connection.
 * Returns 1 when the response is complete, 0 when more bytes are needed
 * (with eof set: the response was cut short), -EBADMSG when it is not
 * HTTP.
 */
struct chk_http_resp {
	int status;			/* status code, once the head is complete */
	size_t head_len;		/* bytes up to and including the blank line */
	int64_t content_length;		/* -1 = none */
	bool chunked;
	size_t end;			/* bytes of the response when complete */
	size_t body_len;		/* decoded body bytes when complete */
};
int chk_http_parse(const uint8_t *buf, size_t len, bool eof, struct chk_http_resp *r);
/* MD5 of the (decoded) body of a complete response, as lowercase hex. */
void chk_http_body_md5(const uint8_t *buf, const struct chk_http_resp *r, char out[33]);

#endif
