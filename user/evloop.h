/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's single-threaded event loop: epoll over file descriptors,
 * one-shot timers on CLOCK_MONOTONIC (kept in a heap, armed through one
 * timerfd), signals through signalfd, and child processes (reaped on
 * SIGCHLD, their exit status handed to a callback). Every subsystem (VRRP,
 * health checks, netlink, stats) runs from here; nothing blocks.
 */
#ifndef LB_EVLOOP_H
#define LB_EVLOOP_H

#include <stdint.h>
#include <sys/types.h>

struct evloop;
struct ev_timer;

typedef void (*ev_fd_cb)(struct evloop *loop, int fd, uint32_t events, void *arg);
typedef void (*ev_timer_cb)(struct evloop *loop, struct ev_timer *t, void *arg);
typedef void (*ev_signal_cb)(struct evloop *loop, int signo, void *arg);
/* status as from waitpid(); timed_out != 0 when ev_child_add's timeout
 * fired and the child was killed with SIGKILL. */
typedef void (*ev_child_cb)(struct evloop *loop, pid_t pid, int status,
			    int timed_out, void *arg);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);
/* Runs until evloop_stop(); returns 0, or -errno on a fatal epoll error. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);
/* Monotonic time in nanoseconds (the loop's clock). */
uint64_t ev_now_ns(void);

/* events: EPOLLIN / EPOLLOUT / ...; mod changes the set. */
int ev_fd_add(struct evloop *loop, int fd, uint32_t events, ev_fd_cb cb, void *arg);
int ev_fd_mod(struct evloop *loop, int fd, uint32_t events);
void ev_fd_del(struct evloop *loop, int fd);

/* Timers are allocated with ev_timer_new and owned by the caller, who frees
 * them with ev_timer_free. Arming an armed timer re-arms it. */
struct ev_timer *ev_timer_new(ev_timer_cb cb, void *arg);
void ev_timer_free(struct evloop *loop, struct ev_timer *t);
void ev_timer_arm(struct evloop *loop, struct ev_timer *t, uint64_t delay_ns);
void ev_timer_arm_at(struct evloop *loop, struct ev_timer *t, uint64_t when_ns);
void ev_timer_cancel(struct evloop *loop, struct ev_timer *t);
int ev_timer_armed(const struct ev_timer *t);

/* Handled signals are blocked and delivered through a signalfd. */
int ev_signal_add(struct evloop *loop, int signo, ev_signal_cb cb, void *arg);

/* Watch a child started by the caller; kill it after timeout_ns (0 = never). */
int ev_child_add(struct evloop *loop, pid_t pid, uint64_t timeout_ns,
		 ev_child_cb cb, void *arg);

#endif
