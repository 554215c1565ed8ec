// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "caps.h"
#include "log.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * What the running controller still does, and why it needs each:
 *   CAP_BPF        create the inner Maglev maps when a service changes
 *   CAP_NET_ADMIN  attach/detach XDP, add/remove VIPs, neighbour requests
 *   CAP_NET_RAW    reopen the VRRP, ARP and ND sockets on reload
 *   CAP_SETUID/GID run scripts as script_user
 *   CAP_KILL       kill a script that runs as another user at its timeout
 */
static const int keep[] = {
	CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SETUID, CAP_SETGID, CAP_KILL,
};

static int capget_v3(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static bool has(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool caps_can_run_controller(void)
{
	struct __user_cap_data_struct d[2] = {};

	if (capget_v3(d))
		return geteuid() == 0;
	return has(d, CAP_NET_ADMIN) && (has(d, CAP_BPF) || has(d, CAP_SYS_ADMIN));
}

int caps_drop(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {}, want[2] = {};
	int cap, last, err;
	size_t i;

	err = capget_v3(d);
	if (err)
		return err;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		cap = keep[i];
		if (d[cap / 32].permitted & (1u << (cap % 32))) {
			want[cap / 32].permitted |= 1u << (cap % 32);
			want[cap / 32].effective |= 1u << (cap % 32);
		}
	}
	/* The bounding set too, so that nothing exec'd (scripts) can regain
	 * what was dropped. Kernels may know more capabilities than we do. */
	last = prctl(PR_CAPBSET_READ, CAP_LAST_CAP + 8) >= 0 ? CAP_LAST_CAP + 8 : CAP_LAST_CAP;
	for (cap = 0; cap <= last; cap++) {
		bool kept = false;

		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			kept |= keep[i] == cap;
		if (!kept && prctl(PR_CAPBSET_READ, cap) == 1 && prctl(PR_CAPBSET_DROP, cap))
			return -errno;
	}
	if (syscall(SYS_capset, &h, want))
		return -errno;
	pr_debug("capabilities dropped to CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW, "
		 "CAP_SETUID, CAP_SETGID, CAP_KILL");
	return 0;
}
