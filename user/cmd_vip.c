// SPDX-License-Identifier: GPL-2.0
/* lbctl vip add|del|list: services, keyed by (VIP, port, protocol). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "cmd.h"
#include "json.h"
#include "maglev.h"

const char vip_usage[] =
	"Usage: lbctl vip add VIP PORT tcp|udp [IFACE] [sched mh|sh] [persistence SECS]\n"
	"                     [timeout SECS] [table-size PRIME]\n"
	"       lbctl vip del VIP PORT tcp|udp [IFACE]\n"
	"       lbctl vip list [-j] [IFACE | dev IFACE]\n"
	"sched sh and persistence hash on the client address only; persistence also\n"
	"keeps a client on its server for SECS after its last packet.\n";

struct vip_args {
	struct lb_svc_key key;
	struct lb_svc_opts opts;
	const char *ifname;
};

static int parse_vip_args(struct ctx *c, int argc, char **argv, struct vip_args *a,
			  bool with_opts)
{
	/* dev first: del takes only it, add all of them */
	enum { O_DEV, O_SCHED, O_PERSISTENCE, O_TIMEOUT, O_TABLE_SIZE, O_N };
	static const char *const opts[O_N] = { [O_DEV] = "dev", [O_SCHED] = "sched",
		[O_PERSISTENCE] = "persistence", [O_TIMEOUT] = "timeout",
		[O_TABLE_SIZE] = "table-size" };
	unsigned int seen = 0, o, n_opts = with_opts ? O_N : O_DEV + 1;
	uint32_t v;
	int i, err;

	memset(a, 0, sizeof(*a));
	if (argc < 3)
		return usage_err(c, "expected VIP PORT tcp|udp (try '%s vip help')", c->prog);
	err = parse_service(c, argv, &a->key);
	if (err)
		return err;
	for (i = 3; i < argc; i++) {
		const char *kw = argv[i], *val;

		for (o = 0; o < n_opts && !streq(opts[o], kw); o++)
			;
		if (o == n_opts) {
			if (i != 3 || kw[0] == '-' || !if_nametoindex(kw))
				return usage_err(c, "unexpected argument '%s' (try '%s vip help')", kw,
						 c->prog);
			a->ifname = kw;
			continue;
		}
		if (seen & 1u << o || (o == O_DEV && a->ifname))
			return usage_err(c, "%s given twice", o == O_DEV ? "interface" : kw);
		seen |= 1u << o;
		if (!(val = opt_value(c, argc, argv, &i)))
			return EXIT_USAGE;
		if (streq(kw, "dev")) {
			a->ifname = val;
		} else if (streq(kw, "sched")) {
			if (streq(val, "mh"))
				a->opts.flags &= ~LB_SVC_F_HASH_SRC;
			else if (streq(val, "sh"))
				a->opts.flags |= LB_SVC_F_HASH_SRC;
			else
				return usage_err(c, "sched '%s' is not mh or sh", val);
		} else if (streq(kw, "table-size")) {
			if (parse_u32(val, 3, LB_MAGLEV_SIZE_MAX, &v) || !maglev_is_prime(v))
				return usage_err(c, "table-size '%s' is not a prime in 3-%u", val,
						 LB_MAGLEV_SIZE_MAX);
			a->opts.table_size = v;
		} else {
			if (parse_u32(val, 1, 86400 * 365, &v))
				return usage_err(c, "%s '%s' is not a number of seconds in 1-31536000",
						 kw, val);
			a->opts.timeout_s = v;
			if (streq(kw, "persistence"))
				a->opts.flags |= LB_SVC_F_AFFINITY;
		}
	}
	/* one field holds both: the affinity's timeout is the flows' */
	if ((seen & 1u << O_PERSISTENCE) && (seen & 1u << O_TIMEOUT))
		return usage_err(c, "persistence SECS also sets the flows' idle timeout: give "
				 "persistence or timeout, not both");
	return 0;
}

static int vip_add(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], s[80];
	struct vip_args a;
	struct lb_maps m;
	bool active;
	int err, st;

	err = parse_vip_args(c, argc, argv, &a, true);
	err = err ?: pick_iface(c, a.ifname, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	/* Static mode: the VIP is the operator's and active at once; a VIP
	 * that VRRP owns follows this node's VRRP state. */
	st = managed_vip_state(c, ifname, a.key.family, (const uint8_t *)a.key.addr);
	active = st != 0;
	err = lb_svc_add(&m, &a.key, &a.opts, active, NULL);
	lb_maps_close(&m);
	svc_str(&a.key, s, sizeof(s));
	if (err == -EEXIST)
		return run_err(c, "service %s already exists on %s", s, ifname);
	if (err == -ENOSPC)
		return run_err(c, "service %s: no free service slot on %s (raise lbctl_max_services)",
			       s, ifname);
	if (err)
		return run_err(c, "service %s: %s", s, strerror(-err));
	return 0;
}

static int vip_del(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], s[80];
	struct vip_args a;
	struct lb_maps m;
	uint32_t id;
	int err;

	err = parse_vip_args(c, argc, argv, &a, false);
	err = err ?: pick_iface(c, a.ifname, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	svc_str(&a.key, s, sizeof(s));
	err = lb_svc_find(&m, &a.key, &id);
	if (err) {
		lb_maps_close(&m);
		return run_err(c, "service %s does not exist on %s", s, ifname);
	}
	err = lb_svc_del(&m, id);
	lb_maps_close(&m);
	if (err)
		return run_err(c, "service %s: %s", s, strerror(-err));
	return 0;
}

static const char *sched_str(uint32_t flags)
{
	return flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY) ? "sh" : "mh";
}

static int vip_list(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], a[64];
	const char *dev = NULL;
	struct lb_maps m;
	struct json j;
	uint32_t id, b, nbe;
	int i, err;

	for (i = 0; i < argc; i++) {
		if (streq(argv[i], "-j")) {
			c->json = true;
		} else if (streq(argv[i], "dev")) {
			if (!(dev = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!dev && argv[i][0] != '-') {
			dev = argv[i];	/* as list takes it */
		} else {
			return usage_err(c, "unexpected argument '%s' (try '%s vip help')",
					 argv[i], c->prog);
		}
	}
	err = pick_iface(c, dev, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	json_init(&j, stdout);
	if (c->json)
		json_arr_open(&j, NULL);
	else
		printf("%-40s %-5s %-7s %-5s %-8s %s\n", "VIP", "PORT", "PROTO", "SCHED",
		       "STATE", "BACKENDS");
	for (id = 0; id < m.max_services; id++) {
		const struct lb_service *s = &m.svc[id];

		if (!(s->flags & LB_SVC_F_USED))
			continue;
		for (b = 0, nbe = 0; b < m.max_backends; b++)
			nbe += (m.be[b].flags & LB_BE_F_USED) && m.be[b].svc_id == id &&
			       !(m.be[b].flags & LB_BE_F_SORRY);
		lb_addr_str(s->key.family, s->key.addr, a, sizeof(a));
		if (c->json) {
			json_obj_open(&j, NULL);
			json_str(&j, "vip", a);
			json_u64(&j, "port", ntohs(s->key.port));
			json_str(&j, "proto", proto_str(s->key.proto));
			json_str(&j, "interface", ifname);
			json_str(&j, "sched", sched_str(s->flags));
			json_bool(&j, "active", s->flags & LB_SVC_F_ACTIVE);
			json_u64(&j, "persistence_s", s->flags & LB_SVC_F_AFFINITY ? s->timeout_s : 0);
			json_u64(&j, "timeout_s", s->timeout_s);
			/* what applies: TCP flows only (an affinity entry is a client's) */
			json_u64(&j, "fin_timeout_s", s->key.proto != IPPROTO_TCP ||
				 s->flags & LB_SVC_F_AFFINITY ? 0 :
				 s->fin_timeout_s ?: LB_CONN_FIN_TIMEOUT_S);
			json_u64(&j, "table_size", s->table_size);
			json_u64(&j, "backends", nbe);
			json_u64(&j, "id", id);
			json_obj_close(&j);
		} else {
			printf("%-40s %-5u %-7s %-5s %-8s %u\n", a, ntohs(s->key.port),
			       proto_str(s->key.proto), sched_str(s->flags),
			       s->flags & LB_SVC_F_ACTIVE ? "active" : "standby", nbe);
		}
	}
	if (c->json) {
		json_arr_close(&j);
		json_end(&j);
	}
	lb_maps_close(&m);
	return 0;
}

int do_vip(struct ctx *c, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", vip_add },
		{ "del", vip_del },
		{ "list", vip_list },
		{ "show", vip_list },
		{ NULL, NULL },
	};

	return cmd_dispatch(c, "vip", cmds, argc, argv);
}
