// SPDX-License-Identifier: GPL-2.0
/*
 * The guardian: a small child that outlives a controller killed without
 * warning (SIGKILL, a crash) just long enough to take its place down in
 * order: first the VIPs it had added, then the XDP program.
 *
 * The order is the point. A VIP left on the interface without the program
 * makes this node's own kernel answer the VIP's clients with resets until
 * the peer's gratuitous ARPs arrive, breaking connections the new master
 * would otherwise carry on (same Maglev choice). So the guardian holds a
 * reference to each XDP link the controller attaches (passed over a
 * socket): when the controller dies the program keeps forwarding until the
 * addresses are gone, and only then is detached. Without the address the
 * node drops what still reaches it, silently, and TCP's retransmissions
 * find the new master.
 *
 * The controller detaches a link with BPF_LINK_DETACH, which works whoever
 * else holds it; the guardian's reference never keeps a program attached
 * that the controller took off.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "guardian.h"
#include "log.h"

/* The link fd a message carries, or -1. */
static int recv_link(int sock, bool *eof)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		*eof = n == 0 || errno != EINTR;
		return -1;
	}
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* Until the controller is gone: its death closes the socket, and
 * PR_SET_PDEATHSIG says so too. A SIGTERM meant for both of us (a service
 * manager stopping the group) waits for it: the controller takes itself
 * down in its own order. Returns the last link it sent, or -1. */
static int watch(int sock, int sigfd, pid_t parent)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
	};
	bool eof = false;
	int held = -1, fd;

	while (!eof) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			if (read(sigfd, &si, sizeof(si)) < 0 || getppid() != parent)
				break;
			continue;
		}
		fd = recv_link(sock, &eof);
		if (fd >= 0) {
			if (held >= 0)
				close(held);
			held = fd;
		}
	}
	return held;
}

static bool link_attached(int fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.xdp.ifindex;
}

int guardian_start(const struct ctl_opts *o)
{
	pid_t parent = getpid(), pid;
	int sv[2], sigfd, link;
	char logpath[300];
	sigset_t set;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		pr_warn("%s: no guardian process: %s", o->ifname, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid != 0) {
		close(sv[1]);
		if (pid > 0)
			return sv[0];
		pr_warn("%s: no guardian process: %s", o->ifname, strerror(errno));
		close(sv[0]);
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Not ours to act on: the controller handles these. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Nothing of the controller's (its lock above all) may outlive it. */
	if (dup2(sv[1], 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	snprintf(logpath, sizeof(logpath), "%s/log", o->state_dir);
	if (!o->foreground)
		log_open(logpath);
	link = getppid() == parent && sigfd >= 0 ? watch(3, sigfd, parent) : -1;
	ctl_remove_stale_vips(o->ifname, o->state_dir);
	/* A link the controller detached itself (a clean stop) has no device
	 * left; detaching it again succeeds silently, so ask first. */
	if (link >= 0 && link_attached(link) && !bpf_link_detach(link))
		pr_info("%s: XDP program detached after the controller died", o->ifname);
	_exit(0);
}

int guardian_hold(int sock, int link_fd)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	if (sock < 0)
		return 0;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &link_fd, sizeof(link_fd));
	return sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}
