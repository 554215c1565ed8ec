// SPDX-License-Identifier: GPL-2.0
/*
 * Health-check targets: scheduling of each check, retries, the up/down
 * state of a real server and its report to the owner. The checkers
 * themselves (chk_tcp.c, chk_http.c, chk_misc.c) only run one attempt and
 * end it with chk_done(); everything about "when next" and "what it means"
 * lives here, so all three behave alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "chk_priv.h"
#include "evloop.h"
#include "log.h"

#define DEFAULT_CONNECT_TIMEOUT_US	(5ull * 1000000)
#define DEFAULT_DELAY_LOOP_US		(60ull * 1000000)

struct chk_target {
	struct evloop *loop;
	char name[INET6_ADDRSTRLEN + 10];	/* "[addr]:port" */
	struct chk_check *checks;
	int n_checks;
	chk_state_cb cb;
	void *arg;

	bool up;			/* as last reported */
	int weight;

	uint64_t last_check_ns;
	int64_t last_check_realtime_s;
	char last_result[CHK_RESULT_MAX];
	uint64_t transitions, checks_ok, checks_failed;

	int busy;			/* event callbacks under way */
	bool dead;			/* freed while busy */
};

/* ---- config copy ---- */

static void cmd_free(struct cfg_cmd *cmd)
{
	int i;

	if (!cmd->argv)
		return;
	for (i = 0; cmd->argv[i]; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	cmd->argv = NULL;
}

static int cmd_copy(struct cfg_cmd *dst, const struct cfg_cmd *src)
{
	int i, n = 0;

	dst->argv = NULL;
	dst->argc = 0;
	if (!src->argv)
		return 0;
	while (src->argv[n])
		n++;
	dst->argv = calloc(n + 1, sizeof(char *));
	if (!dst->argv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		dst->argv[i] = strdup(src->argv[i]);
		if (!dst->argv[i]) {
			cmd_free(dst);
			return -ENOMEM;
		}
	}
	dst->argc = n;
	return 0;
}

static void check_cfg_free(struct cfg_check *k)
{
	int i;

	for (i = 0; i < k->n_urls; i++) {
		free(k->urls[i].path);
		free(k->urls[i].digest);
	}
	free(k->urls);
	free(k->virtualhost);
	cmd_free(&k->misc_path);
	memset(k, 0, sizeof(*k));
}

static char *strdup_opt(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

/* A deep copy, so the config can be freed or reloaded under running checks. */
static int check_cfg_copy(struct cfg_check *dst, const struct cfg_check *src)
{
	int i, err = 0;

	*dst = *src;
	dst->urls = NULL;
	dst->n_urls = 0;
	dst->virtualhost = NULL;
	dst->misc_path.argv = NULL;
	if (src->n_urls > 0) {
		dst->urls = calloc(src->n_urls, sizeof(*dst->urls));
		if (!dst->urls)
			return -ENOMEM;
		dst->n_urls = src->n_urls;
		for (i = 0; i < src->n_urls; i++) {
			dst->urls[i] = src->urls[i];
			dst->urls[i].path = strdup_opt(src->urls[i].path, &err);
			dst->urls[i].digest = strdup_opt(src->urls[i].digest, &err);
		}
	}
	dst->virtualhost = strdup_opt(src->virtualhost, &err);
	if (!err)
		err = cmd_copy(&dst->misc_path, &src->misc_path);
	if (!dst->connect_timeout_us)
		dst->connect_timeout_us = DEFAULT_CONNECT_TIMEOUT_US;
	if (!dst->delay_loop_us)
		dst->delay_loop_us = DEFAULT_DELAY_LOOP_US;
	if (!dst->misc_timeout_us)
		dst->misc_timeout_us = dst->delay_loop_us;
	return err;
}

/* What a check needs to be able to run at all. */
static int check_cfg_valid(const struct cfg_check *k)
{
	int i;

	switch (k->type) {
	case CHK_TCP:
		return 0;
	case CHK_HTTP:
		if (k->n_urls <= 0)
			return -EINVAL;
		for (i = 0; i < k->n_urls; i++) {
			const char *p = k->urls[i].path;

			/* it goes into the request line verbatim */
			if (!p || p[0] != '/' || strpbrk(p, " \t\r\n"))
				return -EINVAL;
		}
		if (k->virtualhost && strpbrk(k->virtualhost, " \t\r\n"))
			return -EINVAL;
		return 0;
	case CHK_MISC:
		if (!k->misc_path.argv || !k->misc_path.argv[0])
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- addresses ---- */

static int sockaddr_set(struct sockaddr_storage *ss, socklen_t *len,
			const struct cfg_addr *a, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void target_name(char *buf, size_t len, const struct cfg_addr *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family, a->bytes, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

/*
 * The check talks to the real server's own address, or to connect_ip: on
 * a DR balancer the VIP is local, so a check against it would test the
 * balancer, not the server.
 */
static int check_addrs(struct chk_check *c, const struct cfg_addr *addr, uint16_t port)
{
	const struct cfg_addr *dst = c->cfg.connect_ip.family ? &c->cfg.connect_ip : addr;
	uint16_t dport = c->cfg.connect_port ? c->cfg.connect_port : port;
	int err;

	if (c->cfg.type == CHK_MISC)
		return 0;
	if (!dport)
		return -EINVAL;
	err = sockaddr_set(&c->dst, &c->dst_len, dst, dport);
	if (err)
		return err;
	c->src_len = 0;
	if (!c->cfg.bindto.family)
		return 0;
	if (c->cfg.bindto.family != dst->family)
		return -EINVAL;
	return sockaddr_set(&c->src, &c->src_len, &c->cfg.bindto, 0);
}

/* ---- sockets, shared by TCP_CHECK and HTTP_GET ---- */

int chk_connect(struct chk_check *c, const char **what)
{
	int one = 1, fd, err;

	*what = "socket";
	fd = socket(c->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (c->src_len) {
		/* the port is picked at connect(), with the full 4-tuple known,
		 * so bindto does not eat one local port per check */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		*what = "bind";
		if (bind(fd, (struct sockaddr *)&c->src, c->src_len) < 0)
			goto fail;
	}
	*what = "connect";
	if (connect(fd, (struct sockaddr *)&c->dst, c->dst_len) < 0 && errno != EINPROGRESS)
		goto fail;
	/* connected or in progress: either way writability tells */
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int chk_sock_error(int fd)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

void chk_close_fd(struct chk_check *c)
{
	if (c->fd < 0)
		return;
	ev_fd_del(c->t->loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

/* ---- target lifetime ---- */

struct evloop *chk_loop(const struct chk_check *c)
{
	return c->t->loop;
}

static void target_destroy(struct chk_target *t)
{
	int i;

	for (i = 0; i < t->n_checks; i++) {
		struct chk_check *c = &t->checks[i];

		if (c->ops)
			c->ops->reset(c);
		ev_timer_free(t->loop, c->timer);
		check_cfg_free(&c->cfg);
	}
	free(t->checks);
	free(t);
}

void chk_enter(struct chk_check *c)
{
	c->t->busy++;
}

void chk_leave(struct chk_check *c)
{
	struct chk_target *t = c->t;

	if (--t->busy == 0 && t->dead)
		target_destroy(t);
}

bool chk_dead(const struct chk_check *c)
{
	return c->t->dead;
}

void chk_target_free(struct chk_target *t)
{
	int i;

	if (!t || t->dead)
		return;
	t->dead = true;
	/* stop everything now; the memory goes when no callback is under way */
	for (i = 0; i < t->n_checks; i++) {
		struct chk_check *c = &t->checks[i];

		c->ops->reset(c);
		ev_timer_cancel(t->loop, c->timer);
		c->running = false;
	}
	if (!t->busy)
		target_destroy(t);
}

/* ---- scheduling and state ---- */

static void check_timer_cb(struct evloop *loop, struct ev_timer *timer, void *arg)
{
	struct chk_check *c = arg;

	chk_enter(c);
	if (c->running) {
		c->ops->timeout(c);
	} else {
		c->running = true;
		c->ops->start(c);
	}
	chk_leave(c);
}

void chk_arm_deadline(struct chk_check *c, uint64_t delay_ns)
{
	if (!chk_dead(c))
		ev_timer_arm(c->t->loop, c->timer, delay_ns);
}

static void target_state(const struct chk_target *t, bool *up, int *weight)
{
	int i;

	*up = true;
	*weight = -1;
	for (i = 0; i < t->n_checks; i++) {
		const struct chk_check *c = &t->checks[i];

		if (!c->up)
			*up = false;
		if (c->cfg.misc_dynamic && c->weight >= 0)
			*weight = c->weight;
	}
}

/* Report a change of up, or of weight while up; once per change. */
static void target_update(struct chk_target *t, const char *msg)
{
	bool up;
	int weight;

	target_state(t, &up, &weight);
	if (up == t->up && (!up || weight == t->weight))
		return;
	if (up != t->up) {
		t->transitions++;
		if (!up)
			pr_info("backend %s: down (%s)", t->name, msg);
		else if (weight >= 0)
			pr_info("backend %s: up (weight %d)", t->name, weight);
		else
			pr_info("backend %s: up", t->name);
	} else {
		pr_info("backend %s: weight %d", t->name, weight);
	}
	t->up = up;
	t->weight = weight;
	if (t->cb)
		t->cb(t, up, weight, t->arg);
}

static void fmt_secs(char *buf, size_t len, uint64_t us)
{
	snprintf(buf, len, "%.1f s", us / 1e6);
}

void chk_done(struct chk_check *c, bool ok, int weight, const char *fmt, ...)
{
	struct chk_target *t = c->t;
	uint64_t delay_us = c->cfg.delay_loop_us;
	char msg[CHK_RESULT_MAX];
	va_list ap;
	bool up;
	int w;

	if (t->dead)
		return;
	c->ops->reset(c);
	c->running = false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	t->last_check_ns = ev_now_ns();
	t->last_check_realtime_s = time(NULL);
	if (ok) {
		t->checks_ok++;
		c->retry_it = 0;
		c->up = true;
		/* keepalived: exit 0 under misc_dynamic keeps the weight */
		if (weight >= 0)
			c->weight = weight;
	} else if (c->up && c->retry_it < c->cfg.retry) {
		char secs[32];

		t->checks_failed++;
		c->retry_it++;
		delay_us = c->cfg.delay_before_retry_us;
		fmt_secs(secs, sizeof(secs), delay_us);
		pr_debug("backend %s: %s; retry %u/%u in %s", t->name, msg,
			 c->retry_it, c->cfg.retry, secs);
	} else {
		t->checks_failed++;
		c->retry_it = 0;
		c->up = false;
	}
	target_state(t, &up, &w);
	/* while down, keep the failure that explains it */
	if (!ok || up)
		memcpy(t->last_result, msg, sizeof(msg));
	ev_timer_arm(t->loop, c->timer, delay_us * CHK_NSEC_PER_USEC);
	/* last: the owner's callback may free the target */
	target_update(t, msg);
}

static const struct chk_ops *check_ops(enum chk_type type)
{
	switch (type) {
	case CHK_TCP:
		return &chk_tcp_ops;
	case CHK_HTTP:
		return &chk_http_ops;
	case CHK_MISC:
		return &chk_misc_ops;
	default:
		return NULL;
	}
}

static int check_init(struct chk_target *t, struct chk_check *c, const struct cfg_check *k,
		      const struct cfg_addr *addr, uint16_t port, bool start_up)
{
	int err;

	c->t = t;
	c->fd = -1;
	c->weight = -1;
	c->up = start_up;
	c->ops = check_ops(k->type);
	err = check_cfg_valid(k);
	if (err)
		return err;
	err = check_cfg_copy(&c->cfg, k);
	if (err)
		return err;
	err = check_addrs(c, addr, port);
	if (err)
		return err;
	c->timer = ev_timer_new(check_timer_cb, c);
	if (!c->timer)
		return -ENOMEM;
	return 0;
}

struct chk_target *chk_target_new(struct evloop *loop, const struct cfg_addr *addr,
				  uint16_t port, const struct cfg_check *checks,
				  int n_checks, bool start_up, chk_state_cb cb, void *arg)
{
	struct chk_target *t;
	int i, err = -EINVAL;

	if (!loop || !addr || n_checks < 0 || (n_checks && !checks) ||
	    (addr->family != AF_INET && addr->family != AF_INET6)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->weight = -1;
	/* without checks there is nothing that could take it down */
	t->up = n_checks ? start_up : true;
	target_name(t->name, sizeof(t->name), addr, port);
	snprintf(t->last_result, sizeof(t->last_result), "not checked yet");
	if (n_checks) {
		t->checks = calloc(n_checks, sizeof(*t->checks));
		if (!t->checks)
			goto fail_nomem;
	}
	for (i = 0; i < n_checks; i++) {
		t->n_checks++;
		err = check_init(t, &t->checks[i], &checks[i], addr, port, start_up);
		if (err) {
			pr_warn("backend %s: check %d (line %d) cannot run: %s",
				t->name, i, checks[i].line, strerror(-err));
			goto fail;
		}
	}
	/* first attempts right away; later ones spread out by their durations */
	for (i = 0; i < n_checks; i++)
		ev_timer_arm(loop, t->checks[i].timer, 0);
	return t;

fail_nomem:
	err = -ENOMEM;
fail:
	target_destroy(t);
	errno = -err;
	return NULL;
}

bool chk_target_up(const struct chk_target *t)
{
	return t->up;
}

const char *chk_target_name(const struct chk_target *t)
{
	return t->name;
}

void chk_target_kick(struct chk_target *t)
{
	int i;

	for (i = 0; i < t->n_checks; i++)
		if (!t->checks[i].running)
			ev_timer_arm(t->loop, t->checks[i].timer, 0);
}

void chk_target_status(const struct chk_target *t, struct chk_status *out)
{
	memset(out, 0, sizeof(*out));
	out->up = t->up;
	out->weight = t->weight;
	out->last_check_ns = t->last_check_ns;
	out->last_check_realtime_s = t->last_check_realtime_s;
	memcpy(out->last_result, t->last_result, sizeof(out->last_result));
	out->transitions = t->transitions;
	out->checks_ok = t->checks_ok;
	out->checks_failed = t->checks_failed;
}
