// SPDX-License-Identifier: GPL-2.0
/*
 * Health checkers on loopback. The servers (a TCP listener and a small
 * HTTP server with one behaviour per path) run in this process, in the
 * same event loop as the checkers. The loop is polled until a condition
 * holds or a deadline passes; nothing sleeps a fixed time.
 * Also: MD5 against RFC 1321's vectors and the HTTP response parser on
 * split and malformed input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "chk.h"
#include "evloop.h"
#include "log.h"
#include "tap.h"

#define MS 1000000ull
#define US_MS 1000ull

static struct evloop *loop;
static struct cfg_addr lo;

/* ---- polling the loop ---- */

struct poll {
	bool (*done)(void *);
	void *arg;
	uint64_t deadline;
};

static void poll_cb(struct evloop *l, struct ev_timer *t, void *arg)
{
	struct poll *p = arg;

	if (p->done(p->arg) || ev_now_ns() >= p->deadline)
		evloop_stop(l);
	else
		ev_timer_arm(l, t, 2 * MS);
}

/* Run the loop until done(arg) or max_ns; returns done(arg). */
static bool run_until(bool (*done)(void *), void *arg, uint64_t max_ns)
{
	struct poll p = { done, arg, ev_now_ns() + max_ns };
	struct ev_timer *t = ev_timer_new(poll_cb, &p);

	ev_timer_arm(loop, t, 0);
	evloop_run(loop);
	ev_timer_free(loop, t);
	return done(arg);
}

static bool never(void *arg)
{
	return false;
}

static void run_for(uint64_t ns)
{
	run_until(never, NULL, ns);
}

/* ---- recording state changes ---- */

#define REC_MAX 8

struct rec {
	struct chk_target *t;
	int n, want;
	bool up[REC_MAX];
	int weight[REC_MAX];
	uint64_t at[REC_MAX], failed[REC_MAX], ok[REC_MAX];
	bool free_in_cb;
};

static void rec_cb(struct chk_target *t, bool up, int weight, void *arg)
{
	struct rec *r = arg;
	struct chk_status st;

	chk_target_status(t, &st);
	if (r->n < REC_MAX) {
		r->up[r->n] = up;
		r->weight[r->n] = weight;
		r->at[r->n] = ev_now_ns();
		r->failed[r->n] = st.checks_failed;
		r->ok[r->n] = st.checks_ok;
	}
	r->n++;
	if (r->free_in_cb) {
		chk_target_free(t);
		r->t = NULL;
	}
}

static bool rec_done(void *arg)
{
	struct rec *r = arg;

	return r->n >= r->want;
}

/* Start a target on 127.0.0.1:port and wait for `want` state changes. */
static uint64_t rec_start(struct rec *r, uint16_t port, struct cfg_check *k, int n,
			  bool start_up, int want, uint64_t max_ns)
{
	uint64_t start = ev_now_ns();

	memset(r, 0, sizeof(*r));
	r->want = want;
	r->t = chk_target_new(loop, &lo, port, k, n, start_up, rec_cb, r);
	if (!r->t)
		tap_diag("chk_target_new: %s", strerror(errno));
	else if (want)
		run_until(rec_done, r, max_ns);
	return start;
}

static void rec_stop(struct rec *r)
{
	chk_target_free(r->t);
	r->t = NULL;
}

static const char *last_result(struct rec *r)
{
	static struct chk_status st;

	chk_target_status(r->t, &st);
	return st.last_result;
}

/* ---- a TCP listener that accepts and closes ---- */

static int listen_on(uint16_t *port, int backlog)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port where nothing listens: bound, then released. */
static uint16_t closed_port(void)
{
	uint16_t port = 0;
	int fd = listen_on(&port, 1);

	close(fd);
	return port;
}

static void accept_close(struct evloop *l, int fd, uint32_t events, void *arg)
{
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(c);
}

/* ---- an HTTP server, one behaviour per path ---- */

struct conn {
	struct conn *next;
	struct srv *s;
	int fd;
	bool open;
	char req[2048];
	size_t req_len;
	const char *out;
	size_t out_len, out_off;
	char outbuf[256];
	bool huge, trickle;
	struct ev_timer *timer;
};

struct srv {
	int lfd;
	uint16_t port;
	int toggle_status;
	int n_req;
	size_t huge_sent;
	struct conn *conns;
};

static const char *const responses[][2] = {
	{ "/ok", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello" },
	{ "/fail", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail" },
	{ "/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\nX-Trailer: 1\r\n\r\n" },
	{ "/eof", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello" },
	{ "/204", "HTTP/1.1 204 No Content\r\n\r\n" },
	{ "/trickle", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		      "0123456789012345678901234567890123456789012345678901234567890123456789"
		      "012345678901234567890123456789" },
	{ "/huge", "HTTP/1.1 200 OK\r\n\r\n" },
};

static void conn_close(struct evloop *l, struct conn *c)
{
	if (!c->open)
		return;
	ev_timer_cancel(l, c->timer);
	ev_fd_del(l, c->fd);
	close(c->fd);
	c->open = false;
}

/* 1 = all written, 0 = would block, -1 = gone */
static int conn_write(struct conn *c, size_t max)
{
	while (c->out_off < c->out_len) {
		size_t n = c->out_len - c->out_off;
		ssize_t w;

		if (n > max)
			n = max;
		w = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)w;
		if (max == 1)
			return c->out_off == c->out_len;
	}
	return 1;
}

static void conn_trickle(struct evloop *l, struct ev_timer *t, void *arg)
{
	struct conn *c = arg;
	int rc = conn_write(c, 1);

	if (rc)
		conn_close(l, c);
	else
		ev_timer_arm(l, t, 20 * MS);
}

static void conn_writable(struct evloop *l, struct conn *c)
{
	static char block[16384];

	if (!c->huge) {
		if (conn_write(c, SIZE_MAX))
			conn_close(l, c);
		return;
	}
	/* headers first, then 'x' for ever */
	if (c->out != block) {
		if (conn_write(c, SIZE_MAX) <= 0)
			return;
		memset(block, 'x', sizeof(block));
	}
	for (;;) {
		ssize_t w = send(c->fd, block, sizeof(block), MSG_NOSIGNAL);

		c->out = block;
		if (w < 0) {
			if (errno != EAGAIN)
				conn_close(l, c);
			return;
		}
		c->s->huge_sent += (size_t)w;
	}
}

static void conn_respond(struct evloop *l, struct conn *c)
{
	char path[256] = "";
	size_t i;

	sscanf(c->req, "GET %255s", path);
	c->s->n_req++;
	if (!strcmp(path, "/hang"))
		return;			/* read on; close when the client does */
	if (!strcmp(path, "/toggle")) {
		snprintf(c->outbuf, sizeof(c->outbuf),
			 "HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nok", c->s->toggle_status);
		c->out = c->outbuf;
	} else {
		c->out = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
		for (i = 0; i < sizeof(responses) / sizeof(responses[0]); i++)
			if (!strcmp(path, responses[i][0]))
				c->out = responses[i][1];
	}
	c->out_len = strlen(c->out);
	c->huge = !strcmp(path, "/huge");
	if (!strcmp(path, "/trickle")) {
		c->timer = ev_timer_new(conn_trickle, c);
		ev_timer_arm(l, c->timer, 0);
		return;
	}
	ev_fd_mod(l, c->fd, EPOLLOUT);
}

static void conn_ready(struct evloop *l, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	if (events & EPOLLOUT) {
		conn_writable(l, c);
		return;
	}
	n = read(fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(l, c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") && !c->out)
		conn_respond(l, c);
}

static void srv_accept(struct evloop *l, int fd, uint32_t events, void *arg)
{
	struct srv *s = arg;
	int cfd;

	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));

		c->s = s;
		c->fd = cfd;
		c->open = true;
		c->next = s->conns;
		s->conns = c;
		ev_fd_add(l, cfd, EPOLLIN, conn_ready, c);
	}
}

static void srv_start(struct srv *s)
{
	memset(s, 0, sizeof(*s));
	s->toggle_status = 200;
	s->lfd = listen_on(&s->port, 64);
	ev_fd_add(loop, s->lfd, EPOLLIN, srv_accept, s);
}

static void srv_stop(struct srv *s)
{
	while (s->conns) {
		struct conn *c = s->conns;

		s->conns = c->next;
		conn_close(loop, c);
		ev_timer_free(loop, c->timer);
		free(c);
	}
	ev_fd_del(loop, s->lfd);
	close(s->lfd);
}

/* ---- check configs ---- */

static struct cfg_check tcp_check(void)
{
	struct cfg_check k = {
		.type = CHK_TCP,
		.connect_timeout_us = 1000 * US_MS,
		.delay_loop_us = 50 * US_MS,
		.delay_before_retry_us = 20 * US_MS,
	};

	return k;
}

static struct cfg_url urls[4];

static struct cfg_check http_check(const char *path, int status, const char *digest)
{
	struct cfg_check k = tcp_check();

	k.type = CHK_HTTP;
	urls[0].path = (char *)path;
	urls[0].status[0] = (struct cfg_status){ status, status };
	urls[0].n_status = status ? 1 : 0;
	urls[0].digest = (char *)digest;
	k.urls = urls;
	k.n_urls = 1;
	return k;
}

static struct cfg_check misc_check(char **argv)
{
	struct cfg_check k = tcp_check();

	k.type = CHK_MISC;
	k.misc_path.argv = argv;
	while (argv[k.misc_path.argc])
		k.misc_path.argc++;
	k.misc_timeout_us = 2000 * US_MS;
	return k;
}

/* ---- TCP_CHECK ---- */

static void test_tcp_up(void)
{
	struct rec r;
	struct chk_status st;
	struct cfg_check k = tcp_check();
	uint16_t port;
	int lfd = listen_on(&port, 64);

	ev_fd_add(loop, lfd, EPOLLIN, accept_close, NULL);
	/* alpha: down until the first success */
	rec_start(&r, port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "TCP_CHECK alpha: listening port -> up");
	ASSERT_EQ(r.weight[0], -1, "TCP_CHECK: weight -1 without misc_dynamic");
	run_for(300 * MS);
	chk_target_status(r.t, &st);
	ASSERT_EQ(r.n, 1, "TCP_CHECK: no further callback while it stays up");
	ASSERT_TRUE(st.checks_ok >= 3, "TCP_CHECK: repeats every delay_loop");
	ASSERT_TRUE(st.up && st.transitions == 1 && st.checks_failed == 0,
		    "status: up, one transition, no failure");
	ASSERT_TRUE(!strcmp(st.last_result, "TCP_CHECK: connected"), "status: last result");
	ASSERT_TRUE(st.last_check_ns && st.last_check_realtime_s > 1600000000,
		    "status: last check times set");
	rec_stop(&r);

	/* without alpha it starts up: nothing to report */
	rec_start(&r, port, &k, 1, true, 0, 0);
	run_for(200 * MS);
	ASSERT_TRUE(r.n == 0 && chk_target_up(r.t), "TCP_CHECK non-alpha: up from the start, no callback");
	rec_stop(&r);

	/* a kick checks now, not at the next delay_loop (10 s here) */
	k.delay_loop_us = 10000 * US_MS;
	rec_start(&r, port, &k, 1, true, 0, 0);
	run_for(200 * MS);
	chk_target_status(r.t, &st);
	ASSERT_EQ(st.checks_ok, 1, "TCP_CHECK delay_loop 10 s: one check in 200 ms");
	chk_target_kick(r.t);
	run_for(200 * MS);
	chk_target_status(r.t, &st);
	ASSERT_EQ(st.checks_ok, 2, "TCP_CHECK kicked: checked again at once");
	rec_stop(&r);
	ev_fd_del(loop, lfd);
	close(lfd);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void test_tcp_down_retries(const char *logpath)
{
	struct rec r;
	struct cfg_check k = tcp_check();
	uint16_t port = closed_port();
	char line[128];
	uint64_t start;

	k.retry = 2;
	k.delay_before_retry_us = 50 * US_MS;
	k.delay_loop_us = 5000 * US_MS;
	start = rec_start(&r, port, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "TCP_CHECK closed port -> down");
	ASSERT_EQ(r.failed[0], 3, "retry 2: down on the 3rd failed attempt");
	ASSERT_TRUE(r.at[0] - start >= 100 * MS && r.at[0] - start < 1000 * MS,
		    "retry 2: two delay_before_retry (50 ms) before down");
	ASSERT_TRUE(strstr(last_result(&r), "TCP_CHECK: connect: Connection refused") != NULL,
		    "TCP_CHECK: result says connection refused");
	snprintf(line, sizeof(line),
		 "backend 127.0.0.1:%u: down (TCP_CHECK: connect: Connection refused)", port);
	ASSERT_TRUE(file_has(logpath, line), "one log line: backend ADDR:PORT: down (reason)");
	tap_diag("  %s", line);
	rec_stop(&r);
}

/* connect_ip / connect_port override the server's address */
static void test_tcp_connect_port(void)
{
	struct rec r;
	struct cfg_check k = tcp_check();
	uint16_t port;
	int lfd = listen_on(&port, 64);

	ev_fd_add(loop, lfd, EPOLLIN, accept_close, NULL);
	k.connect_port = port;
	k.connect_ip = lo;
	k.bindto = lo;
	rec_start(&r, closed_port(), &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "TCP_CHECK: connect_ip/connect_port/bindto are used");
	rec_stop(&r);
	ev_fd_del(loop, lfd);
	close(lfd);
}

/* ---- HTTP_GET ---- */

static void test_http(struct srv *s)
{
	struct rec r;
	struct cfg_check k;
	uint64_t start;
	int before;

	k = http_check("/ok", 200, NULL);
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET status 200 -> up");
	ASSERT_TRUE(!strcmp(last_result(&r), "HTTP_GET /ok: status 200"), "HTTP_GET: result text");
	rec_stop(&r);

	k = http_check("/fail", 200, NULL);
	rec_start(&r, s->port, &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "HTTP_GET status 500 -> down");
	ASSERT_TRUE(!strcmp(last_result(&r), "HTTP_GET /fail: status 500, expected 200"),
		    "HTTP_GET: down message names status and expectation");
	tap_diag("  %s", last_result(&r));
	rec_stop(&r);

	k = http_check("/204", 0, NULL);
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET without status_code accepts any 2xx (204)");
	rec_stop(&r);

	k = http_check("/fail", 0, NULL);
	rec_start(&r, s->port, &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] &&
		    !strcmp(last_result(&r), "HTTP_GET /fail: status 500, expected 2xx"),
		    "HTTP_GET without status_code: 500 -> down");
	rec_stop(&r);

	/* status_code 200 300-399 500-502: codes and ranges, as keepalived */
	k = http_check("/fail", 200, NULL);
	urls[0].status[1] = (struct cfg_status){ 300, 399 };
	urls[0].status[2] = (struct cfg_status){ 500, 502 };
	urls[0].n_status = 3;
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET status_code 200 300-399 500-502: 500 -> up");
	rec_stop(&r);
	urls[0].n_status = 2;
	rec_start(&r, s->port, &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] &&
		    !strcmp(last_result(&r), "HTTP_GET /fail: status 500, expected 200 300-399"),
		    "HTTP_GET status_code 200 300-399: 500 -> down, naming what passes");
	rec_stop(&r);

	/* md5("hello") */
	k = http_check("/ok", 200, "5d41402abc4b2a76b9719d911017c592");
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET digest match -> up");
	rec_stop(&r);

	k = http_check("/ok", 200, "00000000000000000000000000000000");
	rec_start(&r, s->port, &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "HTTP_GET digest mismatch -> down");
	ASSERT_TRUE(strstr(last_result(&r), "digest mismatch, got 5d41402abc4b2a76b9719d911017c592") != NULL,
		    "HTTP_GET: digest mismatch message");
	rec_stop(&r);

	k = http_check("/chunked", 200, "5d41402abc4b2a76b9719d911017c592");
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET chunked body, digest of decoded body -> up");
	rec_stop(&r);

	k = http_check("/eof", 200, "5d41402abc4b2a76b9719d911017c592");
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET body delimited by close, digest -> up");
	rec_stop(&r);

	/* several urls: all must pass */
	k = http_check("/ok", 200, NULL);
	urls[1] = (struct cfg_url){ .path = "/chunked", .status = { { 200, 200 } }, .n_status = 1 };
	k.n_urls = 2;
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "HTTP_GET two good urls -> up");
	rec_stop(&r);
	urls[1] = (struct cfg_url){ .path = "/fail", .status = { { 200, 200 } }, .n_status = 1 };
	before = s->n_req;
	rec_start(&r, s->port, &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] && strstr(last_result(&r), "/fail: status 500"),
		    "HTTP_GET good url + bad url -> down, naming the bad one");
	ASSERT_TRUE(s->n_req - before >= 2, "HTTP_GET: each url fetched");
	rec_stop(&r);

	/* never answers: down after connect_timeout */
	k = http_check("/hang", 200, NULL);
	k.connect_timeout_us = 300 * US_MS;
	start = rec_start(&r, s->port, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "HTTP_GET server that never answers -> down");
	ASSERT_TRUE(r.at[0] - start >= 300 * MS && r.at[0] - start < 1500 * MS,
		    "HTTP_GET: ... after connect_timeout (300 ms)");
	ASSERT_TRUE(!strcmp(last_result(&r), "HTTP_GET /hang: response: timed out after 0.3 s"),
		    "HTTP_GET: timeout message");
	rec_stop(&r);

	/* trickling: 1 byte every 20 ms, 140 bytes, longer than the timeout */
	k = http_check("/trickle", 200, NULL);
	k.connect_timeout_us = 300 * US_MS;
	start = rec_start(&r, s->port, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] && strstr(last_result(&r), "timed out"),
		    "HTTP_GET trickling response -> down at connect_timeout");
	ASSERT_TRUE(r.at[0] - start < 1500 * MS, "HTTP_GET: trickle does not extend the deadline");
	rec_stop(&r);

	/* endless body: stops at the bound, long before the timeout */
	k = http_check("/huge", 200, NULL);
	k.connect_timeout_us = 5000 * US_MS;
	s->huge_sent = 0;
	start = rec_start(&r, s->port, &k, 1, true, 1, 6000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] &&
		    !strcmp(last_result(&r), "HTTP_GET /huge: response exceeds 65536 bytes"),
		    "HTTP_GET endless response -> down: exceeds 64 KiB");
	ASSERT_TRUE(r.at[0] - start < 2000 * MS, "HTTP_GET: endless response fails at the bound, not the timeout");
	run_for(50 * MS);
	tap_diag("  server sent %zu bytes", s->huge_sent);
	ASSERT_TRUE(s->huge_sent > 65536, "HTTP_GET: server did send more than the bound");
	rec_stop(&r);

	k = http_check("/ok", 200, NULL);
	rec_start(&r, closed_port(), &k, 1, true, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0] &&
		    !strcmp(last_result(&r), "HTTP_GET /ok: connect: Connection refused"),
		    "HTTP_GET closed port -> down: connection refused");
	rec_stop(&r);
}

/* up -> down -> up: one callback per change, retry and recovery counts */
static void test_transitions(struct srv *s)
{
	struct rec r;
	struct cfg_check k = http_check("/toggle", 200, NULL);
	struct chk_status st;

	k.retry = 1;
	k.delay_loop_us = 30 * US_MS;
	k.delay_before_retry_us = 10 * US_MS;
	s->toggle_status = 200;
	rec_start(&r, s->port, &k, 1, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "toggle: up");
	run_for(150 * MS);
	ASSERT_EQ(r.n, 1, "toggle: one callback while up");

	s->toggle_status = 503;
	r.want = 2;
	run_until(rec_done, &r, 2000 * MS);
	ASSERT_TRUE(r.n == 2 && !r.up[1], "toggle: 503 -> down");
	ASSERT_EQ(r.failed[1] - r.failed[0], 2, "retry 1: down after 2 failed attempts");
	run_for(150 * MS);
	ASSERT_EQ(r.n, 2, "toggle: one callback while down");
	chk_target_status(r.t, &st);
	ASSERT_TRUE(strstr(st.last_result, "status 503"), "status while down keeps the failure");

	s->toggle_status = 200;
	r.want = 3;
	run_until(rec_done, &r, 2000 * MS);
	ASSERT_TRUE(r.n == 3 && r.up[2], "toggle: 200 again -> up");
	ASSERT_EQ(r.ok[2] - r.ok[1], 1, "up again after one successful attempt");
	chk_target_status(r.t, &st);
	ASSERT_EQ(st.transitions, 3, "status: three transitions");
	rec_stop(&r);
}

/* two checks on one server: up only when both are */
static void test_two_checks(struct srv *s)
{
	struct rec r;
	struct cfg_check k[2];

	k[0] = tcp_check();
	k[1] = http_check("/toggle", 200, NULL);
	k[1].delay_loop_us = 30 * US_MS;
	s->toggle_status = 500;
	rec_start(&r, s->port, k, 2, false, 1, 300 * MS);
	ASSERT_EQ(r.n, 0, "two checks, one failing: stays down (alpha)");
	rec_stop(&r);

	s->toggle_status = 200;
	rec_start(&r, s->port, k, 2, false, 1, 2000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "two checks, both passing: up");
	s->toggle_status = 500;
	r.want = 2;
	run_until(rec_done, &r, 2000 * MS);
	ASSERT_TRUE(r.n == 2 && !r.up[1], "two checks: one failing takes it down");
	rec_stop(&r);
	s->toggle_status = 200;
}

/* ---- MISC_CHECK ---- */

static char *sh_exit0[] = { "/bin/sh", "-c", "exit 0", NULL };
static char *sh_exit1[] = { "/bin/sh", "-c", "exit 1", NULL };
static char *sh_exit7[] = { "/bin/sh", "-c", "exit 7", NULL };
static char *sh_sleep[] = { "/bin/sh", "-c", "sleep 5; exit 0", NULL };
static char *true_path[] = { "true", NULL };

static void test_misc(void)
{
	struct rec r;
	struct cfg_check k;
	uint64_t start;

	k = misc_check(sh_exit0);
	rec_start(&r, 80, &k, 1, false, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0] && r.weight[0] == -1, "MISC_CHECK exit 0 -> up");
	ASSERT_TRUE(!strcmp(last_result(&r), "MISC_CHECK /bin/sh: exit status 0"), "MISC_CHECK: result text");
	rec_stop(&r);

	k = misc_check(true_path);
	rec_start(&r, 80, &k, 1, false, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0], "MISC_CHECK: argv[0] without '/' is found in PATH");
	rec_stop(&r);

	k = misc_check(sh_exit1);
	rec_start(&r, 80, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "MISC_CHECK exit 1 -> down");
	ASSERT_TRUE(!strcmp(last_result(&r), "MISC_CHECK /bin/sh: exit status 1"), "MISC_CHECK: exit status in result");
	rec_stop(&r);

	k = misc_check(sh_exit7);
	rec_start(&r, 80, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "MISC_CHECK exit 7 without misc_dynamic -> down");
	rec_stop(&r);

	k.misc_dynamic = true;
	rec_start(&r, 80, &k, 1, false, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0] && r.weight[0] == 5, "MISC_CHECK misc_dynamic exit 7 -> up, weight 5");
	rec_stop(&r);

	k = misc_check(sh_exit1);
	k.misc_dynamic = true;
	rec_start(&r, 80, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "MISC_CHECK misc_dynamic exit 1 -> down");
	rec_stop(&r);

	/* a weight change while up is reported once */
	k = misc_check(sh_exit7);
	k.misc_dynamic = true;
	rec_start(&r, 80, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && r.up[0] && r.weight[0] == 5, "MISC_CHECK misc_dynamic: weight change while up reported");
	run_for(200 * MS);
	ASSERT_EQ(r.n, 1, "MISC_CHECK misc_dynamic: same weight again is not reported");
	rec_stop(&r);

	k = misc_check(sh_sleep);
	k.misc_timeout_us = 200 * US_MS;
	start = rec_start(&r, 80, &k, 1, true, 1, 3000 * MS);
	ASSERT_TRUE(r.n == 1 && !r.up[0], "MISC_CHECK past misc_timeout -> down");
	ASSERT_TRUE(r.at[0] - start >= 200 * MS && r.at[0] - start < 1500 * MS,
		    "MISC_CHECK: killed at misc_timeout (200 ms)");
	ASSERT_TRUE(!strcmp(last_result(&r), "MISC_CHECK /bin/sh: timed out after 0.2 s"),
		    "MISC_CHECK: timeout message");
	rec_stop(&r);

	/* freeing a target whose script runs kills it; the loop goes on */
	k = misc_check(sh_sleep);
	rec_start(&r, 80, &k, 1, true, 0, 0);
	run_for(50 * MS);
	rec_stop(&r);
	run_for(100 * MS);
	ASSERT_EQ(r.n, 0, "MISC_CHECK: freed target with a running script: no callback");
	ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) <= 0, "MISC_CHECK: the killed script was reaped");

	/* the owner may free the target from its callback */
	k = misc_check(sh_exit1);
	memset(&r, 0, sizeof(r));
	r.want = 1;
	r.free_in_cb = true;
	r.t = chk_target_new(loop, &lo, 80, &k, 1, true, rec_cb, &r);
	run_until(rec_done, &r, 3000 * MS);
	run_for(100 * MS);
	ASSERT_TRUE(r.n == 1 && !r.t, "target freed from its own state callback");
}

static void test_spawn(void)
{
	struct chk_script_policy p = { .uid = getuid(), .gid = getgid(), .enforce_security = true };
	struct cfg_cmd cmd = { .argv = sh_exit0, .argc = 3 };
	char dir[] = "/tmp/chk_test.XXXXXX", script[64], why[256] = "";
	char *argv[] = { script, NULL };
	struct cfg_cmd bad = { .argv = argv, .argc = 1 };
	char *nonexist[] = { "/nonexistent/script", NULL };
	struct cfg_cmd missing = { .argv = nonexist, .argc = 1 };
	int status = -1;
	pid_t pid;
	FILE *f;

	pid = chk_spawn(&cmd, &p);
	ASSERT_TRUE(pid > 0, "chk_spawn /bin/sh under enable_script_security");
	if (pid > 0) {
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "chk_spawn: script ran");
	}
	ASSERT_EQ(chk_spawn(&missing, NULL), -ENOENT, "chk_spawn: missing script is -ENOENT");

	if (!mkdtemp(dir)) {
		tap_ok(false, "mkdtemp");
		return;
	}
	snprintf(script, sizeof(script), "%s/check.sh", dir);
	f = fopen(script, "w");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(script, 0755);
	ASSERT_EQ(chk_spawn(&bad, &p), -EPERM, "chk_spawn: script under world-writable /tmp refused");
	ASSERT_EQ(chk_script_secure(script, p.uid, why, sizeof(why)), -EPERM, "chk_script_secure: -EPERM");
	tap_diag("  refused: %s", why);
	ASSERT_TRUE(strstr(why, "writable by others") != NULL, "chk_script_secure says why");
	p.enforce_security = false;
	pid = chk_spawn(&bad, &p);
	ASSERT_TRUE(pid > 0, "chk_spawn: the same script runs without script security");
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unlink(script);
	rmdir(dir);

	if (geteuid() == 0) {
		char *id_is_nobody[] = { "/bin/sh", "-c", "test \"$(id -u):$(id -g)\" = 65534:65534", NULL };
		struct cfg_cmd nobody = { .argv = id_is_nobody, .argc = 3 };
		struct chk_script_policy pn = { .uid = 65534, .gid = 65534 };

		pid = chk_spawn(&nobody, &pn);
		status = -1;
		if (pid > 0)
			waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "chk_spawn runs the script as the policy's uid/gid");
	} else {
		tap_ok(true, "chk_spawn runs the script as the policy's uid/gid # SKIP not root");
	}
}

/* configs that cannot run are refused up front; names for messages */
static void test_new(void)
{
	struct cfg_addr v6 = { .family = AF_INET6 };
	struct cfg_check k = http_check("/ok", 200, NULL);
	struct chk_target *t;
	char *no_argv[] = { NULL };

	k.n_urls = 0;
	errno = 0;
	ASSERT_TRUE(!chk_target_new(loop, &lo, 80, &k, 1, true, NULL, NULL) && errno == EINVAL,
		    "HTTP_GET without url: EINVAL");
	k = http_check("/a b", 200, NULL);
	ASSERT_TRUE(!chk_target_new(loop, &lo, 80, &k, 1, true, NULL, NULL) && errno == EINVAL,
		    "HTTP_GET path with a space: EINVAL");
	k = misc_check(no_argv);
	ASSERT_TRUE(!chk_target_new(loop, &lo, 80, &k, 1, true, NULL, NULL) && errno == EINVAL,
		    "MISC_CHECK without misc_path: EINVAL");
	k = tcp_check();
	ASSERT_TRUE(!chk_target_new(loop, &lo, 0, &k, 1, true, NULL, NULL) && errno == EINVAL,
		    "TCP_CHECK without any port: EINVAL");

	/* created and freed before the loop runs: nothing is sent */
	inet_pton(AF_INET6, "fd00::7", &v6.v6);
	t = chk_target_new(loop, &v6, 443, &k, 1, true, NULL, NULL);
	ASSERT_TRUE(t && !strcmp(chk_target_name(t), "[fd00::7]:443"), "IPv6 target named [ADDR]:PORT");
	chk_target_free(t);
	t = chk_target_new(loop, &lo, 80, NULL, 0, false, NULL, NULL);
	ASSERT_TRUE(t && chk_target_up(t), "a target without checks is up, even with alpha");
	chk_target_free(t);
}

/* ---- scale: 1,000 targets at a 1 s delay_loop ---- */

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void test_scale(void)
{
	enum { N = 1000 };
	static struct chk_target *t[N];
	struct cfg_check k = tcp_check();
	struct rlimit rl;
	uint64_t ok = 0, wall;
	bool all_up = true;
	double cpu;
	uint16_t port;
	int i, n = N, lfd;

	/* each check holds a socket, and so does the server's side */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * N + 100)
		n = (int)(rl.rlim_cur - 100) / 2;
	lfd = listen_on(&port, 4096);
	ev_fd_add(loop, lfd, EPOLLIN, accept_close, NULL);
	k.delay_loop_us = 1000 * US_MS;
	k.retry = 1;
	wall = ev_now_ns();
	cpu = cpu_s();
	for (i = 0; i < n; i++)
		t[i] = chk_target_new(loop, &lo, port, &k, 1, true, NULL, NULL);
	run_for(2500 * MS);
	cpu = cpu_s() - cpu;
	wall = ev_now_ns() - wall;
	for (i = 0; i < n; i++) {
		struct chk_status st;

		chk_target_status(t[i], &st);
		ok += st.checks_ok;
		all_up &= st.up;
		chk_target_free(t[i]);
	}
	tap_diag("  %d targets, %llu checks in %.2f s: %.1f%% of a core (client and server side)",
		 n, (unsigned long long)ok, wall / 1e9, 100 * cpu / (wall / 1e9));
	ASSERT_TRUE(all_up && ok >= 2ull * n, "1,000 TCP targets at 1 s all checked and up");
	ASSERT_TRUE(cpu < 0.25 * (wall / 1e9), "1,000 targets at 1 s cost under a quarter of a core");
	ev_fd_del(loop, lfd);
	close(lfd);
}

/* ---- MD5 ---- */

static void test_md5(void)
{
	static const char *const vec[][2] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	uint8_t data[300], d1[16], d2[16];
	bool split_ok = true;
	char hex[33];
	size_t i, cut;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		chk_md5_hex(vec[i][0], strlen(vec[i][0]), hex);
		tap_ok(!strcmp(hex, vec[i][1]), "MD5 RFC 1321 vector \"%.20s%s\"", vec[i][0],
		       strlen(vec[i][0]) > 20 ? "..." : "");
	}
	/* fed in two pieces at every cut: crosses every block boundary case */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (cut = 0; cut <= sizeof(data); cut++) {
		struct chk_md5 a, b;

		chk_md5_init(&a);
		chk_md5_update(&a, data, sizeof(data));
		chk_md5_final(&a, d1);
		chk_md5_init(&b);
		chk_md5_update(&b, data, cut);
		chk_md5_update(&b, data + cut, sizeof(data) - cut);
		chk_md5_final(&b, d2);
		if (memcmp(d1, d2, 16))
			split_ok = false;
	}
	ASSERT_TRUE(split_ok, "MD5 incremental updates equal one-shot at every split");
}

/* ---- HTTP parser ---- */

static int parse(const char *s, size_t len, bool eof, struct chk_http_resp *r)
{
	return chk_http_parse((const uint8_t *)s, len, eof, r);
}

/* every proper prefix needs more; the whole thing is complete */
static bool prefixes_incomplete(const char *s, size_t full)
{
	struct chk_http_resp r;
	size_t i;

	for (i = 0; i < full; i++)
		if (parse(s, i, false, &r) != 0)
			return false;
	return true;
}

static void test_parser(void)
{
	static const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhelloEXTRA";
	static const char ch[] = "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n"
				 "5;ext\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n";
	static const char lf[] = "HTTP/1.0 200 OK\nContent-Length: 2\n\nhi";
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
				   "Content-Length: 0\r\n\r\n";
	static const char eofb[] = "HTTP/1.1 200 OK\r\n\r\nuntil close";
	static const char nm[] = "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n";
	static const char *const bad[] = {
		"garbage\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhelo\r\n",
		"SSH-2.0-OpenSSH",
	};
	size_t cl_full = strlen(cl) - 5, ch_full = strlen(ch);
	struct chk_http_resp r;
	char md5[33], want[33];
	bool all_bad = true;
	size_t i;

	ASSERT_TRUE(prefixes_incomplete(cl, cl_full), "parser: every prefix of a Content-Length response needs more");
	ASSERT_EQ(parse(cl, cl_full, false, &r), 1, "parser: Content-Length response complete");
	ASSERT_TRUE(r.status == 200 && r.body_len == 5 && r.end == cl_full && r.content_length == 5,
		    "parser: status, body length, end");
	ASSERT_EQ(parse(cl, strlen(cl), false, &r), 1, "parser: bytes after the body are ignored");
	ASSERT_EQ(r.end, cl_full, "parser: end stops at Content-Length");
	ASSERT_EQ(parse(cl, cl_full - 2, true, &r), 0, "parser: cut short at eof needs more (truncated)");

	ASSERT_TRUE(prefixes_incomplete(ch, ch_full), "parser: every prefix of a chunked response needs more");
	ASSERT_EQ(parse(ch, ch_full, false, &r), 1, "parser: chunked response complete");
	ASSERT_TRUE(r.chunked && r.body_len == 11 && r.end == ch_full, "parser: chunked body decoded length");
	chk_http_body_md5((const uint8_t *)ch, &r, md5);
	chk_md5_hex("hello world", 11, want);
	ASSERT_TRUE(!strcmp(md5, want), "parser: digest over the decoded chunked body");

	ASSERT_EQ(parse(lf, strlen(lf), false, &r), 1, "parser: bare LF line endings");
	ASSERT_TRUE(r.body_len == 2, "parser: LF response body");
	ASSERT_EQ(parse(cont, strlen(cont), false, &r), 1, "parser: 100 Continue then the response");
	ASSERT_EQ(r.status, 201, "parser: interim response skipped");
	ASSERT_EQ(parse(eofb, strlen(eofb), false, &r), 0, "parser: close-delimited body needs eof");
	ASSERT_EQ(parse(eofb, strlen(eofb), true, &r), 1, "parser: close-delimited body complete at eof");
	ASSERT_EQ(r.body_len, strlen("until close"), "parser: close-delimited body length");
	ASSERT_EQ(parse(nm, strlen(nm), false, &r), 1,
		  "parser: 304 has no body whatever Content-Length says");
	ASSERT_EQ(parse("", 0, true, &r), 0, "parser: nothing at all needs more");
	ASSERT_EQ(parse("HTT", 3, false, &r), 0, "parser: a prefix of HTTP/ needs more");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], strlen(bad[i]), true, &r);

		if (rc != -EBADMSG) {
			tap_diag("  not rejected: %s (rc %d)", bad[i], rc);
			all_bad = false;
		}
	}
	ASSERT_TRUE(all_bad, "parser: malformed responses are -EBADMSG");
}

int main(void)
{
	char logpath[] = "/tmp/test_chk_log.XXXXXX";
	int logfd = mkstemp(logpath);
	struct srv s;

	signal(SIGPIPE, SIG_IGN);
	lo.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &lo.v4);

	test_md5();
	test_parser();

	loop = evloop_new();
	if (!loop) {
		tap_ok(false, "evloop_new");
		return tap_done();
	}
	/* state changes are logged; keep them for one assertion */
	if (logfd >= 0)
		close(logfd);
	log_open(logpath);
	srv_start(&s);
	test_new();
	test_tcp_up();
	test_tcp_down_retries(logpath);
	test_tcp_connect_port();
	test_http(&s);
	test_transitions(&s);
	test_two_checks(&s);
	test_misc();
	test_spawn();
	test_scale();
	srv_stop(&s);
	evloop_free(loop);
	log_open(NULL);
	unlink(logpath);
	return tap_done();
}
