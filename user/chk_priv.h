/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the checker files share: one struct per check, the per-type
 * operations, and the helpers of chk.c that every checker uses. Not for
 * use outside user/chk*.c.
 */
#ifndef LB_CHK_PRIV_H
#define LB_CHK_PRIV_H

#include <stdarg.h>
#include <sys/socket.h>

#include "chk.h"

#define CHK_NSEC_PER_USEC	1000ull
#define CHK_HTTP_MAX		(64 * 1024)	/* bound on a response */
#define CHK_RESULT_MAX		96

struct chk_check;
struct chk_script;

struct chk_ops {
	const char *name;		/* "TCP_CHECK" */
	/* Begin an attempt. Ends, now or later, with exactly one chk_done(). */
	void (*start)(struct chk_check *c);
	/* The check's timer expired during an attempt: end it, chk_done(). */
	void (*timeout)(struct chk_check *c);
	/* Release what an attempt holds (sockets, buffers, a script). Called
	 * by chk_done and on free; must be idempotent. */
	void (*reset)(struct chk_check *c);
};

struct chk_check {
	struct chk_target *t;
	const struct chk_ops *ops;
	struct cfg_check cfg;		/* deep copy, defaults filled in */
	struct ev_timer *timer;		/* next attempt, or the attempt's deadline */
	bool running;			/* an attempt is in flight */
	bool up;
	unsigned int retry_it;		/* failed attempts in the current run */
	int weight;			/* misc_dynamic's weight, -1 = none */

	/* TCP_CHECK and HTTP_GET */
	struct sockaddr_storage dst, src;
	socklen_t dst_len, src_len;	/* src_len 0 = no bindto */
	int fd;

	/* HTTP_GET: one connection per url, in turn */
	int url;
	bool sending;
	char *req;
	size_t req_len, req_off;
	uint8_t *buf;
	size_t buf_len, buf_cap;

	/* MISC_CHECK */
	struct chk_script *script;
};

extern const struct chk_ops chk_tcp_ops, chk_http_ops, chk_misc_ops;

struct evloop *chk_loop(const struct chk_check *c);
/* Attempt over: record the result, retry or reschedule, update the target
 * and tell the owner. Must be the caller's last use of c. */
void chk_done(struct chk_check *c, bool ok, int weight, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The attempt's deadline: timeout() is called after delay_ns. */
void chk_arm_deadline(struct chk_check *c, uint64_t delay_ns);

/* Event callbacks into a target are bracketed by these, so that the owner
 * can free the target from inside one: chk_target_free then only stops
 * the checks, and the memory goes at the outermost chk_leave. c must not
 * be used after chk_leave. chk_dead: freed, waiting for that. */
void chk_enter(struct chk_check *c);
void chk_leave(struct chk_check *c);
bool chk_dead(const struct chk_check *c);

/* Non-blocking TCP connect to c->dst (bound to c->src if set). Returns the
 * fd, or -errno with the failing step in *what ("socket", "bind", ...). */
int chk_connect(struct chk_check *c, const char **what);
/* SO_ERROR of a socket that became writable: 0 or -errno. */
int chk_sock_error(int fd);
void chk_close_fd(struct chk_check *c);

#endif
