// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's event loop (API and contract in evloop.h).
 *
 * - File descriptors live in a table indexed by fd. Each registration gets
 *   a generation number that travels in the epoll event, so an event that
 *   was already fetched for an fd which a callback then removed (or removed
 *   and re-added) in the same batch is recognised as stale and dropped.
 * - Timers sit in a binary min-heap ordered by (deadline, arm sequence);
 *   each timer knows its heap slot, so arm, re-arm and cancel are O(log n).
 *   One timerfd (CLOCK_MONOTONIC, absolute) is set to the earliest deadline,
 *   and only when that deadline changed since it was last set.
 * - Signals come through one signalfd. SIGCHLD is always blocked and
 *   handled here: children are reaped with waitpid(-1, WNOHANG) and handed
 *   to the callback registered with ev_child_add.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "evloop.h"
#include "log.h"

#define EV_MAX_EVENTS	64
#define EV_CHILD_HASH	256		/* buckets; chains stay short */

/* epoll tags of the loop's own fds; user fds carry a generation >= 1 */
#define EV_GEN_INTERNAL	0xffffffffu
#define EV_TAG_TIMER	(((uint64_t)EV_GEN_INTERNAL << 32) | 1)
#define EV_TAG_SIGNAL	(((uint64_t)EV_GEN_INTERNAL << 32) | 2)

struct ev_timer {
	uint64_t when;			/* absolute, ev_now_ns() clock */
	uint64_t seq;			/* arm order: FIFO among equal deadlines */
	long idx;			/* slot in the heap, -1 = not armed */
	ev_timer_cb cb;
	void *arg;
};

struct ev_fd {
	ev_fd_cb cb;
	void *arg;
	uint32_t gen;
};

struct ev_child {
	struct ev_child *next;
	struct evloop *loop;
	pid_t pid;
	int timed_out;
	struct ev_timer *timer;		/* NULL = no timeout */
	ev_child_cb cb;
	void *arg;
};

struct ev_sig {
	ev_signal_cb cb;
	void *arg;
};

struct evloop {
	int epfd, tfd, sfd;
	bool stop;

	struct ev_fd **fds;		/* indexed by fd */
	int n_fds;			/* size of fds[] */
	uint32_t gen;

	struct ev_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t seq;
	uint64_t tfd_when;		/* deadline the timerfd holds, 0 = none */

	sigset_t sigmask;		/* what the signalfd reads */
	sigset_t oldmask;		/* restored by evloop_free */
	bool mask_saved;
	struct ev_sig sig[_NSIG];

	struct ev_child *children[EV_CHILD_HASH];
};

uint64_t ev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- timer heap ---- */

static bool timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void heap_place(struct evloop *loop, struct ev_timer *t, size_t i)
{
	loop->heap[i] = t;
	t->idx = (long)i;
}

static void heap_up(struct evloop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_place(loop, loop->heap[parent], i);
		i = parent;
	}
	heap_place(loop, t, i);
}

static void heap_down(struct evloop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n && timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop->heap[child], t))
			break;
		heap_place(loop, loop->heap[child], i);
		i = child;
	}
	heap_place(loop, t, i);
}

static void heap_remove(struct evloop *loop, struct ev_timer *t)
{
	size_t i = (size_t)t->idx;
	struct ev_timer *last = loop->heap[--loop->heap_len];

	t->idx = -1;
	if (last == t)
		return;
	heap_place(loop, last, i);
	/* the moved element may belong above or below its new slot */
	if (i > 0 && timer_before(last, loop->heap[(i - 1) / 2]))
		heap_up(loop, i);
	else
		heap_down(loop, i);
}

static int heap_reserve(struct evloop *loop)
{
	struct ev_timer **h;
	size_t cap;

	if (loop->heap_len < loop->heap_cap)
		return 0;
	cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
	h = realloc(loop->heap, cap * sizeof(*h));
	if (!h)
		return -ENOMEM;
	loop->heap = h;
	loop->heap_cap = cap;
	return 0;
}

struct ev_timer *ev_timer_new(ev_timer_cb cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->idx = -1;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void ev_timer_cancel(struct evloop *loop, struct ev_timer *t)
{
	if (t && t->idx >= 0)
		heap_remove(loop, t);
}

void ev_timer_free(struct evloop *loop, struct ev_timer *t)
{
	if (!t)
		return;
	ev_timer_cancel(loop, t);
	free(t);
}

int ev_timer_armed(const struct ev_timer *t)
{
	return t && t->idx >= 0;
}

void ev_timer_arm_at(struct evloop *loop, struct ev_timer *t, uint64_t when_ns)
{
	t->when = when_ns;
	t->seq = loop->seq++;
	if (t->idx >= 0) {
		/* re-arm in place: the timer moves up or down from its slot */
		heap_up(loop, (size_t)t->idx);
		heap_down(loop, (size_t)t->idx);
		return;
	}
	/*
	 * The API has no way to report failure here; growth is geometric, so
	 * this only fails when the process is out of memory altogether.
	 */
	if (heap_reserve(loop)) {
		pr_err("evloop: out of memory arming a timer");
		abort();
	}
	loop->heap[loop->heap_len] = t;
	t->idx = (long)loop->heap_len++;
	heap_up(loop, (size_t)t->idx);
}

void ev_timer_arm(struct evloop *loop, struct ev_timer *t, uint64_t delay_ns)
{
	ev_timer_arm_at(loop, t, ev_now_ns() + delay_ns);
}

/* Point the timerfd at the earliest deadline, if that changed. */
static int timerfd_sync(struct evloop *loop)
{
	struct itimerspec its = { 0 };
	uint64_t when = loop->heap_len ? loop->heap[0]->when : 0;

	/* 0 would disarm the timerfd; a deadline of 0 is long past anyway */
	if (loop->heap_len && when == 0)
		when = 1;
	if (when == loop->tfd_when)
		return 0;
	if (when) {
		its.it_value.tv_sec = when / 1000000000ull;
		its.it_value.tv_nsec = when % 1000000000ull;
	}
	/* an absolute time in the past expires at once, as wanted */
	if (timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	loop->tfd_when = when;
	return 0;
}

/*
 * Fire what is due. Only as many timers as were in the heap on entry run,
 * so a callback that keeps re-arming with a zero delay cannot starve the
 * file descriptors.
 */
static void timers_run(struct evloop *loop)
{
	uint64_t now = ev_now_ns();
	size_t budget = loop->heap_len;

	while (budget-- && loop->heap_len && !loop->stop) {
		struct ev_timer *t = loop->heap[0];

		if (t->when > now)
			break;
		heap_remove(loop, t);
		/* t may be freed or re-armed by its callback: not touched after */
		t->cb(loop, t, t->arg);
	}
}

static void timerfd_drain(struct evloop *loop)
{
	uint64_t ticks;

	if (read(loop->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		pr_warn("evloop: timerfd read: %s", strerror(errno));
	/* an expired absolute timerfd stays quiet until it is set again */
	loop->tfd_when = 0;
}

/* ---- file descriptors ---- */

static int fds_reserve(struct evloop *loop, int fd)
{
	struct ev_fd **fds;
	int n = loop->n_fds ? loop->n_fds : 64;

	if (fd < loop->n_fds)
		return 0;
	while (n <= fd)
		n *= 2;
	fds = realloc(loop->fds, n * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memset(fds + loop->n_fds, 0, (n - loop->n_fds) * sizeof(*fds));
	loop->fds = fds;
	loop->n_fds = n;
	return 0;
}

static struct ev_fd *fd_lookup(struct evloop *loop, int fd)
{
	if (fd < 0 || fd >= loop->n_fds)
		return NULL;
	return loop->fds[fd];
}

int ev_fd_add(struct evloop *loop, int fd, uint32_t events, ev_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct ev_fd *f;
	int err;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (fd_lookup(loop, fd))
		return -EEXIST;
	err = fds_reserve(loop, fd);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (++loop->gen == EV_GEN_INTERNAL || loop->gen == 0)
		loop->gen = 1;
	f->gen = loop->gen;
	f->cb = cb;
	f->arg = arg;
	ev.data.u64 = ((uint64_t)f->gen << 32) | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		free(f);
		return err;
	}
	loop->fds[fd] = f;
	return 0;
}

int ev_fd_mod(struct evloop *loop, int fd, uint32_t events)
{
	struct ev_fd *f = fd_lookup(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!f)
		return -ENOENT;
	ev.data.u64 = ((uint64_t)f->gen << 32) | (uint32_t)fd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void ev_fd_del(struct evloop *loop, int fd)
{
	struct ev_fd *f = fd_lookup(loop, fd);

	if (!f)
		return;
	/* fails harmlessly (EBADF) when the caller closed the fd first */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd] = NULL;
	free(f);
}

static void fd_dispatch(struct evloop *loop, uint64_t tag, uint32_t events)
{
	int fd = (int)(uint32_t)tag;
	uint32_t gen = tag >> 32;
	struct ev_fd *f = fd_lookup(loop, fd);

	/* removed, or removed and re-added, by an earlier callback */
	if (!f || f->gen != gen)
		return;
	f->cb(loop, fd, events, f->arg);
}

/* ---- children ---- */

static struct ev_child **child_slot(struct evloop *loop, pid_t pid)
{
	struct ev_child **pp = &loop->children[(unsigned int)pid % EV_CHILD_HASH];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

static void child_timeout(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct ev_child *c = arg;

	/* a process group leader (as chk_spawn makes) takes its group along */
	if (getpgid(c->pid) == c->pid)
		kill(-c->pid, SIGKILL);
	else
		kill(c->pid, SIGKILL);
	c->timed_out = 1;
	/* the callback runs once the kill is reaped */
}

/*
 * cb may be NULL: fire-and-forget (notify scripts) still gets its timeout
 * enforced and is reaped. Call this before control returns to the loop,
 * or a child that already exited is reaped as unwatched.
 */
int ev_child_add(struct evloop *loop, pid_t pid, uint64_t timeout_ns,
		 ev_child_cb cb, void *arg)
{
	struct ev_child **pp = child_slot(loop, pid);
	struct ev_child *c;

	if (pid <= 0)
		return -EINVAL;
	if (*pp)
		return -EEXIST;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	if (timeout_ns) {
		c->timer = ev_timer_new(child_timeout, c);
		if (!c->timer) {
			free(c);
			return -ENOMEM;
		}
		ev_timer_arm(loop, c->timer, timeout_ns);
	}
	*pp = c;
	return 0;
}

/*
 * One SIGCHLD may stand for several exits, so reap until nothing is left.
 * A child nobody registered is reaped too (there is no one to tell).
 */
static void children_reap(struct evloop *loop)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct ev_child **pp = child_slot(loop, pid);
		struct ev_child *c = *pp;

		if (!c) {
			pr_debug("evloop: reaped unwatched child %d", (int)pid);
			continue;
		}
		*pp = c->next;
		ev_timer_free(loop, c->timer);
		if (c->cb)
			c->cb(loop, pid, status, c->timed_out, c->arg);
		free(c);
	}
}

/* ---- signals ---- */

static int signalfd_update(struct evloop *loop)
{
	int fd = signalfd(loop->sfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	loop->sfd = fd;
	return 0;
}

int ev_signal_add(struct evloop *loop, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t one;

	/* SIGCHLD belongs to ev_child_add; KILL and STOP cannot be caught */
	if (signo <= 0 || signo >= _NSIG || signo == SIGCHLD ||
	    signo == SIGKILL || signo == SIGSTOP || !cb)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -errno;
	sigaddset(&loop->sigmask, signo);
	loop->sig[signo].cb = cb;
	loop->sig[signo].arg = arg;
	return signalfd_update(loop);
}

static void signals_read(struct evloop *loop)
{
	struct signalfd_siginfo si;
	bool reap = false;

	while (read(loop->sfd, &si, sizeof(si)) == sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo == SIGCHLD) {
			reap = true;
			continue;
		}
		if (signo > 0 && signo < _NSIG && loop->sig[signo].cb)
			loop->sig[signo].cb(loop, signo, loop->sig[signo].arg);
		if (loop->stop)
			break;
	}
	if (reap)
		children_reap(loop);
}

/* ---- the loop ---- */

static int epoll_add_tag(struct evloop *loop, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int err = -ENOMEM;

	if (!loop)
		goto fail;
	loop->epfd = loop->tfd = loop->sfd = -1;
	/*
	 * SIGCHLD is blocked from the start, not when the first child is
	 * added: a child that exits before that would otherwise be lost, since
	 * an unblocked SIGCHLD with the default action is discarded. It must
	 * not be ignored either, or the kernel reaps children by itself.
	 */
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&loop->sigmask);
	sigaddset(&loop->sigmask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, &loop->oldmask) < 0)
		goto fail_errno;
	loop->mask_saved = true;

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto fail_errno;
	loop->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->tfd < 0)
		goto fail_errno;
	err = signalfd_update(loop);
	if (err)
		goto fail;
	err = epoll_add_tag(loop, loop->tfd, EV_TAG_TIMER);
	if (!err)
		err = epoll_add_tag(loop, loop->sfd, EV_TAG_SIGNAL);
	if (err)
		goto fail;
	return loop;

fail_errno:
	err = -errno;
fail:
	evloop_free(loop);
	errno = -err;
	return NULL;
}

void evloop_free(struct evloop *loop)
{
	int i;

	if (!loop)
		return;
	for (i = 0; i < loop->n_fds; i++)
		free(loop->fds[i]);
	free(loop->fds);
	/* timers belong to their owners; leave them consistently disarmed */
	while (loop->heap_len)
		loop->heap[--loop->heap_len]->idx = -1;
	free(loop->heap);
	for (i = 0; i < EV_CHILD_HASH; i++) {
		while (loop->children[i]) {
			struct ev_child *c = loop->children[i];

			loop->children[i] = c->next;
			free(c->timer);
			free(c);
		}
	}
	if (loop->sfd >= 0)
		close(loop->sfd);
	if (loop->tfd >= 0)
		close(loop->tfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->mask_saved)
		sigprocmask(SIG_SETMASK, &loop->oldmask, NULL);
	free(loop);
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[EV_MAX_EVENTS];
	int err = 0;

	loop->stop = false;
	while (!loop->stop) {
		bool tick = false;
		int i, n;

		err = timerfd_sync(loop);
		if (err) {
			pr_err("evloop: timerfd_settime: %s", strerror(-err));
			break;
		}
		n = epoll_wait(loop->epfd, evs, EV_MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			pr_err("evloop: epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n && !loop->stop; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == EV_TAG_TIMER)
				tick = true;
			else if (tag == EV_TAG_SIGNAL)
				signals_read(loop);
			else
				fd_dispatch(loop, tag, evs[i].events);
		}
		if (tick)
			timerfd_drain(loop);
		/* due timers run even without a tick: one may be due already */
		timers_run(loop);
	}
	return err;
}
