// SPDX-License-Identifier: GPL-2.0
/*
 * TCP_CHECK: the server is up when a TCP connection to it completes
 * within connect_timeout. Nothing is sent; the socket is closed at once.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "chk_priv.h"
#include "evloop.h"

static void tcp_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct chk_check *c = arg;
	int err = chk_sock_error(fd);

	chk_enter(c);
	if (err)
		chk_done(c, false, -1, "TCP_CHECK: connect: %s", strerror(-err));
	else
		chk_done(c, true, -1, "TCP_CHECK: connected");
	chk_leave(c);
}

static void tcp_start(struct chk_check *c)
{
	const char *what;
	int fd, err;

	fd = chk_connect(c, &what);
	if (fd < 0) {
		chk_done(c, false, -1, "TCP_CHECK: %s: %s", what, strerror(-fd));
		return;
	}
	c->fd = fd;
	err = ev_fd_add(chk_loop(c), fd, EPOLLOUT, tcp_ready, c);
	if (err) {
		chk_done(c, false, -1, "TCP_CHECK: %s", strerror(-err));
		return;
	}
	chk_arm_deadline(c, c->cfg.connect_timeout_us * CHK_NSEC_PER_USEC);
}

static void tcp_timeout(struct chk_check *c)
{
	chk_done(c, false, -1, "TCP_CHECK: connect: timed out after %.1f s",
		 c->cfg.connect_timeout_us / 1e6);
}

static void tcp_reset(struct chk_check *c)
{
	chk_close_fd(c);
}

const struct chk_ops chk_tcp_ops = {
	.name = "TCP_CHECK",
	.start = tcp_start,
	.timeout = tcp_timeout,
	.reset = tcp_reset,
};
