// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_shared.h"
#include "lb_loader.h"
#include "lb.skel.h"
#include "log.h"

static int set_pins(struct lb_bpf *skel, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, skel->obj) {
		/* .rodata and friends belong to this program instance only. */
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int open_skel(struct lb_bpf **out, const uint8_t mac[6],
		     const struct lb_limits *lim, const char *pin_dir)
{
	uint32_t nsvc = lim && lim->max_services ? lim->max_services : LB_MAX_SERVICES;
	uint32_t nbe = lim && lim->max_backends ? lim->max_backends : LB_MAX_BACKENDS;
	uint32_t nconn = lim && lim->conn_max ? lim->conn_max : LB_CONN_MAX;
	struct lb_bpf *skel;
	int err;

	skel = lb_bpf__open();
	if (!skel)
		return -errno;
	memcpy((void *)skel->rodata->if_mac, mac, 6);
	if (lim && lim->conn_rate)
		skel->rodata->conn_rate_max = lim->conn_rate < 0 ? 0 : lim->conn_rate;
	err = bpf_map__set_max_entries(skel->maps.services, nsvc);
	err = err ?: bpf_map__set_max_entries(skel->maps.service_info, nsvc);
	err = err ?: bpf_map__set_max_entries(skel->maps.vips, nsvc);
	err = err ?: bpf_map__set_max_entries(skel->maps.maglev, nsvc);
	err = err ?: bpf_map__set_max_entries(skel->maps.service_stats, nsvc);
	err = err ?: bpf_map__set_max_entries(skel->maps.backends, nbe);
	err = err ?: bpf_map__set_max_entries(skel->maps.backend_stats, nbe);
	err = err ?: bpf_map__set_max_entries(skel->maps.conntrack, nconn);
	if (!err && pin_dir)
		err = set_pins(skel, pin_dir);
	if (err) {
		lb_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int lb_prog_load(struct lb_prog *p, const uint8_t mac[6],
		 const struct lb_limits *lim, const char *pin_dir)
{
	struct lb_bpf *skel;
	int err;

	memset(p, 0, sizeof(*p));
	err = open_skel(&skel, mac, lim, pin_dir);
	if (err)
		return err;
	err = lb_bpf__load(skel);
	if (err && pin_dir) {
		/* Most likely pinned maps from another version or other limits. */
		pr_warn("%s: pinned maps do not fit this program (%s); replacing them",
			pin_dir, strerror(-err));
		lb_bpf__destroy(skel);
		lb_unpin_all(pin_dir);
		err = open_skel(&skel, mac, lim, pin_dir);
		if (err)
			return err;
		err = lb_bpf__load(skel);
	}
	if (err) {
		lb_bpf__destroy(skel);
		return err;
	}
	p->skel = skel;
	p->link_fd = -1;
	return 0;
}

int lb_prog_fd(const struct lb_prog *p)
{
	return bpf_program__fd(p->skel->progs.xdp_lb);
}

int lb_prog_attach(struct lb_prog *p, int ifindex)
{
	static const struct { __u32 flags; const char *name; } modes[] = {
		{ XDP_FLAGS_DRV_MODE, "native" },
		{ XDP_FLAGS_SKB_MODE, "generic" },
	};
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd = -1, err = 0;
	size_t i;

	if (p->link_fd >= 0)
		return 0;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		opts.flags = modes[i].flags;
		fd = bpf_link_create(lb_prog_fd(p), ifindex, BPF_XDP, &opts);
		if (fd >= 0) {
			p->mode = modes[i].name;
			break;
		}
		err = -errno;
		/* Busy means another program holds the interface: no fallback. */
		if (err == -EBUSY || err == -EEXIST)
			break;
	}
	if (fd < 0)
		return err;
	/* The link is this process's (and the guardian's, which detaches it
	 * once a dead controller's VIPs are gone): a dead node stops
	 * forwarding. */
	p->link_fd = fd;
	p->ifindex = ifindex;
	return 0;
}

bool lb_xdp_hook_taken(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	return !bpf_xdp_query(ifindex, 0, &q) && q.attach_mode != XDP_ATTACHED_NONE;
}

void lb_prog_detach(struct lb_prog *p)
{
	/* Explicitly: another process may hold the link too. */
	if (p->link_fd >= 0) {
		bpf_link_detach(p->link_fd);
		close(p->link_fd);
	}
	p->link_fd = -1;
	p->mode = NULL;
}

void lb_prog_close(struct lb_prog *p)
{
	lb_prog_detach(p);
	lb_bpf__destroy(p->skel);
	p->skel = NULL;
}

int lb_unpin_all(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}
