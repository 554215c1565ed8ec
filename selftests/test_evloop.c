// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: timer order and deadlines, cancel, re-arm, freeing from
 * inside callbacks, fd readiness (and stale events after a delete),
 * signals, child exit status and child timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "evloop.h"
#include "tap.h"

#define MS 1000000ull

/* Stop the loop after a while, whatever happens: a hung test fails. */
static void watchdog_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	bool *fired = arg;

	*fired = true;
	evloop_stop(loop);
}

static bool run_for(struct evloop *loop, uint64_t max_ns)
{
	bool fired = false;
	struct ev_timer *wd = ev_timer_new(watchdog_cb, &fired);

	ev_timer_arm(loop, wd, max_ns);
	evloop_run(loop);
	ev_timer_free(loop, wd);
	return !fired;
}

/* ---- timer order ---- */

#define N_ORDER 2000

struct order_rec {
	struct ev_timer *t;
	uint64_t deadline;
	uint64_t fired_at;
	int seq;
};

static struct order_rec order[N_ORDER];
static int order_fired[N_ORDER], n_order_fired;

static void order_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct order_rec *r = arg;

	r->fired_at = ev_now_ns();
	order_fired[n_order_fired++] = (int)(r - order);
	if (n_order_fired == N_ORDER)
		evloop_stop(loop);
}

static void test_timer_order(void)
{
	struct evloop *loop = evloop_new();
	uint64_t base = ev_now_ns(), late = 0;
	bool in_order = true, on_time = true;
	int i;

	srand(42);
	for (i = 0; i < N_ORDER; i++) {
		order[i].t = ev_timer_new(order_cb, &order[i]);
		order[i].deadline = base + (uint64_t)(rand() % 200) * MS;
		ev_timer_arm_at(loop, order[i].t, order[i].deadline);
	}
	/* re-arm a quarter of them, to stir the heap */
	for (i = 0; i < N_ORDER; i += 4) {
		order[i].deadline = base + (uint64_t)(rand() % 200) * MS;
		ev_timer_arm_at(loop, order[i].t, order[i].deadline);
	}
	ASSERT_TRUE(run_for(loop, 2000 * MS), "2000 timers all fire");
	ASSERT_EQ(n_order_fired, N_ORDER, "each timer fires once");
	for (i = 1; i < n_order_fired; i++)
		if (order[order_fired[i]].deadline < order[order_fired[i - 1]].deadline)
			in_order = false;
	for (i = 0; i < N_ORDER; i++) {
		if (order[i].fired_at < order[i].deadline)
			on_time = false;
		if (order[i].fired_at - order[i].deadline > late)
			late = order[i].fired_at - order[i].deadline;
		ev_timer_free(loop, order[i].t);
	}
	ASSERT_TRUE(in_order, "timers fire in deadline order");
	ASSERT_TRUE(on_time, "no timer fires before its deadline");
	tap_diag("  latest firing: %.3f ms after its deadline", late / 1e6);
	ASSERT_TRUE(late < 50 * MS, "no timer fires more than 50 ms late");
	evloop_free(loop);
}

/* ---- cancel, re-arm, free from a callback ---- */

struct count {
	int n;
	uint64_t at;
	struct ev_timer *other;		/* freed by the callback, if set */
	bool free_self;
};

static void count_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct count *c = arg;

	c->n++;
	c->at = ev_now_ns();
	if (c->other) {
		ev_timer_free(loop, c->other);
		c->other = NULL;
	}
	if (c->free_self)
		ev_timer_free(loop, t);
}

static void test_timer_cancel_rearm(void)
{
	struct evloop *loop = evloop_new();
	struct count cancelled = { 0 }, rearmed = { 0 }, freer = { 0 }, victim = { 0 };
	struct count self = { .free_self = true };
	struct ev_timer *tc = ev_timer_new(count_cb, &cancelled);
	struct ev_timer *tr = ev_timer_new(count_cb, &rearmed);
	struct ev_timer *tf = ev_timer_new(count_cb, &freer);
	struct ev_timer *tv = ev_timer_new(count_cb, &victim);
	struct ev_timer *ts = ev_timer_new(count_cb, &self);
	uint64_t start = ev_now_ns();

	ev_timer_arm(loop, tc, 10 * MS);
	ASSERT_TRUE(ev_timer_armed(tc), "armed timer reports armed");
	ev_timer_cancel(loop, tc);
	ASSERT_TRUE(!ev_timer_armed(tc), "cancelled timer reports disarmed");

	ev_timer_arm(loop, tr, 10 * MS);
	ev_timer_arm(loop, tr, 60 * MS);

	/* tf fires first and frees tv, which was due later in the same run */
	freer.other = tv;
	ev_timer_arm_at(loop, tf, start + 20 * MS);
	ev_timer_arm_at(loop, tv, start + 20 * MS);
	ev_timer_arm(loop, ts, 5 * MS);

	run_for(loop, 150 * MS);
	ASSERT_EQ(cancelled.n, 0, "cancelled timer does not fire");
	ASSERT_EQ(rearmed.n, 1, "re-armed timer fires once");
	ASSERT_TRUE(rearmed.at >= start + 60 * MS, "re-armed timer fires at its new deadline");
	ASSERT_EQ(freer.n, 1, "timer that frees another fires");
	ASSERT_EQ(victim.n, 0, "timer freed by another's callback does not fire");
	ASSERT_EQ(self.n, 1, "timer that frees itself fires once");
	ev_timer_free(loop, tc);
	ev_timer_free(loop, tr);
	ev_timer_free(loop, tf);
	evloop_free(loop);
}

/* a timer re-armed from its own callback: a periodic tick */
static void tick_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	int *n = arg;

	if (++*n < 10)
		ev_timer_arm(loop, t, 2 * MS);
	else
		evloop_stop(loop);
}

static void test_timer_periodic(void)
{
	struct evloop *loop = evloop_new();
	int n = 0;
	struct ev_timer *t = ev_timer_new(tick_cb, &n);

	ev_timer_arm(loop, t, 0);
	run_for(loop, 1000 * MS);
	ASSERT_EQ(n, 10, "timer re-armed from its callback fires ten times");
	ev_timer_free(loop, t);
	evloop_free(loop);
}

/* ---- file descriptors ---- */

struct fdrec {
	int pipe[2];
	int n;
	uint32_t events;
	struct fdrec *kill;		/* delete and close this one's read end */
};

static void fd_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct fdrec *r = arg;
	char buf[16];

	r->n++;
	r->events = events;
	if (read(fd, buf, sizeof(buf)) < 0)
		return;
	if (r->kill) {
		ev_fd_del(loop, r->kill->pipe[0]);
		close(r->kill->pipe[0]);
		r->kill->pipe[0] = -1;
	}
	/* the fd being dispatched goes too */
	ev_fd_del(loop, fd);
	evloop_stop(loop);
}

static void test_fd(void)
{
	struct evloop *loop = evloop_new();
	struct fdrec a = { 0 }, b = { 0 };

	if (pipe(a.pipe) || pipe(b.pipe)) {
		tap_ok(false, "pipe");
		return;
	}
	ASSERT_OK(ev_fd_add(loop, a.pipe[0], EPOLLIN, fd_cb, &a), "ev_fd_add");
	ASSERT_EQ(ev_fd_add(loop, a.pipe[0], EPOLLIN, fd_cb, &a), -EEXIST,
		  "adding an fd twice is -EEXIST");
	ASSERT_OK(ev_fd_add(loop, b.pipe[0], EPOLLIN, fd_cb, &b), "second ev_fd_add");
	ASSERT_TRUE(run_for(loop, 30 * MS) == false && a.n == 0 && b.n == 0,
		    "no callback while nothing is readable");

	/* both readable in one batch; whichever runs first removes the other */
	a.kill = &b;
	b.kill = &a;
	if (write(a.pipe[1], "x", 1) != 1 || write(b.pipe[1], "y", 1) != 1)
		tap_ok(false, "write");
	run_for(loop, 1000 * MS);
	ASSERT_EQ(a.n + b.n, 1, "an fd deleted by an earlier callback in the batch is not dispatched");
	ASSERT_TRUE((a.events | b.events) & EPOLLIN, "readiness reports EPOLLIN");
	ASSERT_EQ(ev_fd_mod(loop, a.n ? a.pipe[0] : b.pipe[0], EPOLLIN), -ENOENT,
		  "a deleted fd is gone");
	close(a.pipe[1]);
	close(b.pipe[1]);
	if (a.pipe[0] >= 0)
		close(a.pipe[0]);
	if (b.pipe[0] >= 0)
		close(b.pipe[0]);
	evloop_free(loop);
}

/* ---- signals ---- */

static void sig_cb(struct evloop *loop, int signo, void *arg)
{
	int *got = arg;

	*got = signo;
	evloop_stop(loop);
}

static void test_signal(void)
{
	struct evloop *loop = evloop_new();
	int got = 0;

	ASSERT_OK(ev_signal_add(loop, SIGUSR1, sig_cb, &got), "ev_signal_add SIGUSR1");
	ASSERT_EQ(ev_signal_add(loop, SIGCHLD, sig_cb, &got), -EINVAL,
		  "SIGCHLD is reserved for ev_child_add");
	kill(getpid(), SIGUSR1);
	run_for(loop, 1000 * MS);
	ASSERT_EQ(got, SIGUSR1, "signal callback gets SIGUSR1");
	evloop_free(loop);
}

/* ---- children ---- */

struct childrec {
	int n;
	pid_t pid;
	int status;
	int timed_out;
	uint64_t at;
};

static void child_cb(struct evloop *loop, pid_t pid, int status, int timed_out, void *arg)
{
	struct childrec *r = arg;

	r->n++;
	r->pid = pid;
	r->status = status;
	r->timed_out = timed_out;
	r->at = ev_now_ns();
	evloop_stop(loop);
}

static pid_t fork_child(int exit_code, unsigned int sleep_s)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (sleep_s)
			sleep(sleep_s);
		_exit(exit_code);
	}
	return pid;
}

static void test_child(void)
{
	struct evloop *loop = evloop_new();
	struct childrec exited = { 0 }, killed = { 0 };
	uint64_t start;
	pid_t pid;

	pid = fork_child(7, 0);
	ASSERT_OK(ev_child_add(loop, pid, 5000 * MS, child_cb, &exited), "ev_child_add");
	run_for(loop, 5000 * MS);
	ASSERT_TRUE(exited.n == 1 && exited.pid == pid, "child exit reaches its callback");
	ASSERT_TRUE(WIFEXITED(exited.status) && WEXITSTATUS(exited.status) == 7,
		    "child exit status 7");
	ASSERT_EQ(exited.timed_out, 0, "an exited child did not time out");

	start = ev_now_ns();
	pid = fork_child(0, 30);
	ASSERT_OK(ev_child_add(loop, pid, 100 * MS, child_cb, &killed), "ev_child_add with timeout");
	run_for(loop, 5000 * MS);
	ASSERT_TRUE(killed.n == 1 && killed.timed_out == 1, "child past its timeout: timed_out = 1");
	ASSERT_TRUE(WIFSIGNALED(killed.status) && WTERMSIG(killed.status) == SIGKILL,
		    "child past its timeout is killed with SIGKILL");
	ASSERT_TRUE(killed.at - start >= 100 * MS && killed.at - start < 2000 * MS,
		    "child killed after 100 ms, promptly");

	/* no callback: still killed at its timeout and reaped */
	pid = fork_child(0, 30);
	ASSERT_OK(ev_child_add(loop, pid, 50 * MS, NULL, NULL), "ev_child_add without callback");
	run_for(loop, 300 * MS);
	ASSERT_TRUE(kill(pid, 0) < 0 && errno == ESRCH, "child without callback: killed and reaped");
	evloop_free(loop);
}

int main(void)
{
	test_timer_order();
	test_timer_cancel_rearm();
	test_timer_periodic();
	test_fd();
	test_signal();
	test_child();
	return tap_done();
}
