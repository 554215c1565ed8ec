/* SPDX-License-Identifier: GPL-2.0 */
/* Loading the XDP program through its skeleton, pinning its maps, and
 * attaching it to an interface through a bpf_link owned by this process. */
#ifndef LB_LOADER_H
#define LB_LOADER_H

#include <stdint.h>

struct lb_bpf;

struct lb_limits {
	uint32_t max_services;	/* 0 = LB_MAX_SERVICES */
	uint32_t max_backends;	/* 0 = LB_MAX_BACKENDS */
	uint32_t conn_max;	/* 0 = LB_CONN_MAX */
	int64_t conn_rate;	/* new flows remembered per CPU per second;
				 * 0 = LB_CONN_RATE, -1 = no limit */
};

struct lb_prog {
	struct lb_bpf *skel;
	int link_fd;		/* XDP bpf_link, -1 when detached */
	int ifindex;
	const char *mode;	/* "native" or "generic" once attached */
};

/*
 * Open and load the program with the interface's MAC and the limits. When
 * pin_dir is set, maps already pinned there are reused if they fit (so a
 * controller restart keeps its flows and counters); pinned maps that do not
 * fit (other limits, older layout) are replaced, with a warning. New maps
 * are pinned there.
 */
int lb_prog_load(struct lb_prog *p, const uint8_t mac[6],
		 const struct lb_limits *lim, const char *pin_dir);
/* Native XDP if the driver has it, generic otherwise; p->mode says which. */
int lb_prog_attach(struct lb_prog *p, int ifindex);
void lb_prog_detach(struct lb_prog *p);
/* Is an XDP program (any, in any mode) attached to ifindex? */
bool lb_xdp_hook_taken(int ifindex);
void lb_prog_close(struct lb_prog *p);
int lb_prog_fd(const struct lb_prog *p);
/* Remove every pin under dir and the directory itself. */
int lb_unpin_all(const char *dir);

#endif
