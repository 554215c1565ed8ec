// SPDX-License-Identifier: GPL-2.0
/*
 * What the controller tells the rest of the world through RUNDIR/IFACE:
 *   vips         the VIPs VRRP owns here and their state, one per line, so
 *                `lbctl vip add` on such a VIP follows VRRP;
 *   status.json  controller, attachment, VRRP and health state, which
 *   status.txt   `lbctl status` shows (JSON and text).
 * Each file is written whole to a temporary name and renamed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"
#include "lb_maps.h"
#include "log.h"
#include "nl.h"

static FILE *open_tmp(const struct ctl *c, const char *name, char *tmp, size_t len)
{
	snprintf(tmp, len, "%s/%s.tmp", c->opts.state_dir, name);
	return fopen(tmp, "we");
}

static void commit(const struct ctl *c, FILE *f, const char *name, const char *tmp)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", c->opts.state_dir, name);
	if (fclose(f) || rename(tmp, path)) {
		pr_warn("%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
	}
}

static void write_vips(const struct ctl *c)
{
	char tmp[300], a[64];
	int i, j;
	FILE *f = open_tmp(c, "vips", tmp, sizeof(tmp));

	if (!f)
		return;
	for (i = 0; c->cfg && i < c->cfg->n_instances; i++) {
		const struct cfg_vrrp_instance *in = &c->cfg->instances[i];

		if (strcmp(in->ifname, c->ifname))
			continue;
		for (j = 0; j < cfg_inst_n_addrs(in); j++)
			fprintf(f, "%s %s %d\n",
				cfg_addr_str(&cfg_inst_addr(in, j)->addr, a, sizeof(a)),
				ctl_vrrp_vip_state(c, &cfg_inst_addr(in, j)->addr) > 0 ?
				"active" : "inactive", cfg_inst_addr(in, j)->prefix);
	}
	commit(c, f, "vips", tmp);
}

static void write_status(const struct ctl *c)
{
	char tjson[300], ttxt[300];
	struct ctl_status_out o;
	struct json j;
	FILE *fj = open_tmp(c, "status.json", tjson, sizeof(tjson));
	FILE *ft = open_tmp(c, "status.txt", ttxt, sizeof(ttxt));

	if (!fj || !ft) {
		if (fj)
			fclose(fj);
		if (ft)
			fclose(ft);
		return;
	}
	json_init(&j, fj);
	json_obj_open(&j, NULL);
	json_u64(&j, "pid", getpid());
	if (c->opts.config)
		json_str(&j, "config", c->opts.config);
	else
		json_null(&j, "config");
	json_bool(&j, "link_up", c->link_up);
	json_str(&j, "mode", c->n_vrrp ? "vrrp" : "static");
	fprintf(ft, "controller: pid %d, %s mode, config %s, link %s\n", getpid(),
		c->n_vrrp ? "vrrp" : "static", c->opts.config ?: "(none)",
		c->link_up ? "up" : "down");
	o.j = &j;
	o.txt = ft;
	ctl_vrrp_status(c, &o);
	ctl_health_status(c, &o);
	json_obj_close(&j);
	json_end(&j);
	commit(c, fj, "status.json", tjson);
	commit(c, ft, "status.txt", ttxt);
}

void ctl_write_state(struct ctl *c)
{
	write_vips(c);
	write_status(c);
}

/*
 * VIPs a dead controller left on the interface would keep attracting
 * traffic that nothing forwards; the `vips` file names them. Removes them
 * (REMOVE), or lists them space-separated in LIST; returns how many.
 */
static int stale_vips(const char *ifname, const char *sdir, bool remove, char *list, size_t len)
{
	char path[300], line[160], addr[64], state[16];
	struct nl_link_info li;
	uint8_t a[16];
	int family, prefix, n = 0;
	size_t off = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/vips", sdir);
	f = fopen(path, "re");
	if (!f || nl_link_get(ifname, &li)) {
		if (f)
			fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %15s %d", addr, state, &prefix) != 3 ||
		    lb_addr_parse(addr, &family, a) || !nl_addr_present(li.ifindex, family, a))
			continue;
		n++;
		if (remove) {
			nl_addr_del(li.ifindex, family, a, prefix);
			pr_info("%s: removed VIP %s left by a controller that died", ifname, addr);
		} else if (off < len) {
			off += snprintf(list + off, len - off, "%s%s", off ? " " : "", addr);
		}
	}
	fclose(f);
	if (remove)
		unlink(path);
	return n;
}

void ctl_remove_stale_vips(const char *ifname, const char *sdir)
{
	stale_vips(ifname, sdir, true, NULL, 0);
}

int ctl_list_stale_vips(const char *ifname, const char *sdir, char *list, size_t len)
{
	if (len)
		list[0] = 0;
	return stale_vips(ifname, sdir, false, list, len);
}
