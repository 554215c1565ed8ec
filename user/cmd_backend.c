// SPDX-License-Identifier: GPL-2.0
/* lbctl backend add|del|set|list: real servers of a service. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "cmd.h"
#include "json.h"
#include "nl.h"

#define MAC_WAIT_MS	1000	/* how long add waits for ARP/ND to answer */

const char backend_usage[] =
	"Usage: lbctl backend add VIP PORT tcp|udp ADDR [weight N] [sorry] [dev IFACE]\n"
	"       lbctl backend del VIP PORT tcp|udp ADDR [weight N] [dev IFACE]\n"
	"       lbctl backend set VIP PORT tcp|udp ADDR weight N [dev IFACE]\n"
	"       lbctl backend list [VIP PORT tcp|udp] [-j] [IFACE | dev IFACE]\n"
	"ADDR is the real server's address (ADDR:PORT is accepted if PORT is the\n"
	"service's: direct server return cannot change ports). Weight 0-65535,\n"
	"default 1; weight 0 drains: existing flows stay, new ones go elsewhere.\n"
	"sorry marks the server that takes traffic only when all others are down.\n"
	"del accepts weight N for symmetry with add and ignores it.\n";

struct be_args {
	struct lb_svc_key key;
	uint8_t addr[16];
	int family;
	uint32_t weight;
	bool has_weight, sorry;
	const char *ifname;
};

/* ADDR, ADDR:PORT or [ADDR6]:PORT; the port must be the service's. */
static int parse_backend_addr(struct ctx *c, const char *s, const struct lb_svc_key *k,
			      struct be_args *a)
{
	char buf[80], *host = buf, *port = NULL, *p;
	const char *why;
	uint32_t pv;

	/* the longest [IPv6]:PORT is 47 bytes: longer is no address, not a cut one */
	if (strlen(s) >= sizeof(buf))
		return usage_err(c, "backend '%.40s...' is too long for an address", s);
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == '[') {
		host = buf + 1;
		p = strchr(host, ']');
		if (!p)
			return usage_err(c, "backend '%s': missing ']'", s);
		*p = 0;
		if (p[1] == ':')
			port = p + 2;
		else if (p[1])
			return usage_err(c, "backend '%s' is not ADDR or [ADDR]:PORT", s);
	} else if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = 0;
		port = p + 1;
	}
	if (lb_addr_parse(host, &a->family, a->addr))
		return usage_err(c, "backend '%s' is not an IPv4 or IPv6 address", s);
	if (a->family != k->family)
		return usage_err(c, "backend %s and the service's VIP are of different families", host);
	if ((why = lb_addr_unusable(a->family, a->addr)))
		return usage_err(c, "backend %s %s", host, why);
	if (!memcmp(a->addr, k->addr, a->family == LB_AF_INET6 ? 16 : 4))
		return usage_err(c, "backend %s is the VIP itself: a real server holds the VIP "
				 "on its loopback but has its own address", host);
	if (port) {
		if (parse_u32(port, 1, 65535, &pv))
			return usage_err(c, "backend '%s': port '%s' is not in 1-65535", s, port);
		if (pv != ntohs(k->port))
			return usage_err(c, "backend %s port %u differs from the service's port %u "
					 "(direct server return cannot change ports)",
					 host, pv, ntohs(k->port));
	}
	return 0;
}

/* del takes weight too, as DESIGN's grammar has it (add|del ... [weight N]);
 * it is checked and has no effect. */
static int parse_be_args(struct ctx *c, int argc, char **argv, struct be_args *a,
			 bool allow_sorry)
{
	int i, err;

	memset(a, 0, sizeof(*a));
	a->weight = 1;
	if (argc < 4)
		return usage_err(c, "expected VIP PORT tcp|udp ADDR (try '%s backend help')", c->prog);
	err = parse_service(c, argv, &a->key);
	err = err ?: parse_backend_addr(c, argv[3], &a->key, a);
	if (err)
		return err;
	for (i = 4; i < argc; i++) {
		const char *val;

		if ((streq(argv[i], "weight") && a->has_weight) ||
		    (streq(argv[i], "dev") && a->ifname))
			return usage_err(c, "%s given twice", argv[i]);
		if (streq(argv[i], "weight")) {
			if (!(val = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
			if (parse_u32(val, 0, 65535, &a->weight))
				return usage_err(c, "weight '%s' is not a number in 0-65535", val);
			a->has_weight = true;
		} else if (streq(argv[i], "sorry") && allow_sorry) {
			a->sorry = true;
		} else if (streq(argv[i], "dev")) {
			if (!(a->ifname = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else {
			return usage_err(c, "unexpected argument '%s' (try '%s backend help')",
					 argv[i], c->prog);
		}
	}
	return 0;
}

/* Ask the neighbour table; if it has nothing, have the kernel resolve and
 * wait a moment. The controller keeps watching after we return. */
static bool resolve_mac(const char *ifname, int family, const uint8_t *addr, uint8_t mac[6])
{
	struct nl_link_info li;
	struct timespec ts = { 0, 50 * 1000000 };
	int waited;

	if (nl_link_get(ifname, &li))
		return false;
	if (!nl_neigh_get(li.ifindex, family, addr, mac))
		return true;
	nl_neigh_resolve(li.ifindex, family, addr);
	for (waited = 0; waited < MAC_WAIT_MS; waited += 50) {
		nanosleep(&ts, NULL);
		if (!nl_neigh_get(li.ifindex, family, addr, mac))
			return true;
	}
	return false;
}

/* Direct server return changes only the destination MAC: the server must
 * be a neighbour on IFACE, not behind a router or on another interface. */
static int check_on_link(struct ctx *c, const char *ifname, const struct be_args *a,
			 const char *b)
{
	struct nl_link_info li;
	char why[64];
	int on;

	if (nl_link_get(ifname, &li))
		return run_err(c, "%s: no such interface", ifname);
	on = nl_on_link(li.ifindex, a->family, a->addr, why, sizeof(why));
	if (on < 0)
		return run_err(c, "backend %s: %s", b, strerror(-on));
	if (!on)
		return run_err(c, "backend %s is not on %s's link (%s): direct server return "
			       "needs the real servers on the balancer's L2 segment",
			       b, ifname, why);
	return 0;
}

static int lookup(struct ctx *c, struct lb_maps *m, const struct be_args *a, const char *ifname,
		  uint32_t *svc_id, uint32_t *be_id)
{
	char s[80], b[64];

	svc_str(&a->key, s, sizeof(s));
	if (lb_svc_find(m, &a->key, svc_id))
		return run_err(c, "service %s does not exist on %s (add it with '%s vip add')",
			       s, ifname, c->prog);
	if (be_id && lb_be_find(m, *svc_id, a->family, a->addr, be_id))
		return run_err(c, "backend %s is not in service %s",
			       lb_addr_str(a->family, a->addr, b, sizeof(b)), s);
	return 0;
}

static int backend_add(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], s[80], b[64];
	uint8_t mac[6];
	struct be_args a;
	struct lb_maps m;
	uint32_t svc_id, id;
	bool have_mac;
	int err;

	err = parse_be_args(c, argc, argv, &a, true);
	if (err)
		return err;
	lb_addr_str(a.family, a.addr, b, sizeof(b));
	/* XDP_TX sends the frame back out of the interface: never to this node */
	if (nl_addr_present(0, a.family, a.addr))
		return usage_err(c, "backend %s is an address of this node; a real server "
				 "must be another host on the link", b);
	err = pick_iface(c, a.ifname, ifname);
	err = err ?: check_on_link(c, ifname, &a, b);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	svc_str(&a.key, s, sizeof(s));
	err = lookup(c, &m, &a, ifname, &svc_id, NULL);
	if (!err && !lb_be_find(&m, svc_id, a.family, a.addr, &id))
		err = run_err(c, "backend %s is already in service %s", b, s);
	/* ARP may take a while: not while holding everyone else's lock. */
	lb_maps_unlock(&m);
	if (err)
		goto out;
	have_mac = resolve_mac(ifname, a.family, a.addr, mac);
	if (have_mac && (mac[0] & 1)) {
		err = usage_err(c, "backend %s is a broadcast or multicast address on %s "
				"(its neighbour entry is %02x:%02x:%02x:%02x:%02x:%02x)", b, ifname,
				mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		goto out;
	}
	err = lb_maps_lock(&m);
	if (!err)
		err = lb_be_add(&m, svc_id, a.family, a.addr, a.weight,
				LB_BE_F_UP | (a.sorry ? LB_BE_F_SORRY : 0), &id);
	if (!err && have_mac)
		err = lb_be_set_mac(&m, a.family, a.addr, mac) < 0 ? -EIO : 0;
	if (err == -ENOENT)
		err = run_err(c, "service %s was deleted meanwhile", s);
	else if (err == -EEXIST)
		err = run_err(c, "backend %s is already in service %s", b, s);
	else if (err == -ENOSPC)
		err = run_err(c, "backend %s: no free backend slot on %s (raise lbctl_max_backends)",
			      b, ifname);
	else if (err)
		err = run_err(c, "backend %s: %s", b, strerror(-err));
	else if (!have_mac)
		fprintf(stderr, "%s: backend %s: no ARP/ND entry on %s yet; it gets no traffic "
			"until it answers (the controller picks the answer up)\n", c->prog, b, ifname);
out:
	lb_maps_close(&m);
	return err;
}

static int backend_del(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], b[64];
	uint32_t svc_id, id;
	struct be_args a;
	struct lb_maps m;
	int err;

	err = parse_be_args(c, argc, argv, &a, false);
	err = err ?: pick_iface(c, a.ifname, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	err = lookup(c, &m, &a, ifname, &svc_id, &id);
	if (!err && (err = lb_be_del(&m, id)))
		err = run_err(c, "backend %s: %s",
			      lb_addr_str(a.family, a.addr, b, sizeof(b)), strerror(-err));
	lb_maps_close(&m);
	return err;
}

static int backend_set(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], b[64];
	uint32_t svc_id, id;
	struct be_args a;
	struct lb_maps m;
	int err;

	err = parse_be_args(c, argc, argv, &a, true);
	if (!err && !a.has_weight)
		err = usage_err(c, "backend set needs 'weight N'");
	if (!err && a.sorry)
		err = usage_err(c, "sorry can only be given to backend add");
	err = err ?: pick_iface(c, a.ifname, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	err = lookup(c, &m, &a, ifname, &svc_id, &id);
	if (!err && (err = lb_be_set_weight(&m, id, a.weight)))
		err = run_err(c, "backend %s: %s",
			      lb_addr_str(a.family, a.addr, b, sizeof(b)), strerror(-err));
	lb_maps_close(&m);
	return err;
}

const char *be_state_str(const struct lb_backend *b, int ifindex)
{
	char why[64];

	/* A config may name a server no route puts on the link (or a route
	 * change took it off): first, as no health or ARP can make up for it. */
	if (!(b->flags & LB_BE_F_MAC) && ifindex &&
	    !nl_on_link(ifindex, b->family, b->addr, why, sizeof(why)))
		return "off-link";
	if (!(b->flags & LB_BE_F_UP))
		return "down";
	if (!(b->flags & LB_BE_F_MAC))
		return "unresolved";
	if (b->flags & LB_BE_F_SORRY)
		return "sorry";
	if (!b->weight)
		return "drain";
	return "up";
}

const char *mac_str(const struct lb_backend *b, char *buf, size_t len)
{
	if (!(b->flags & LB_BE_F_MAC))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b->mac[0], b->mac[1],
			 b->mac[2], b->mac[3], b->mac[4], b->mac[5]);
	return buf;
}

static int backend_list(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], s[80], b[64], mac[20];
	struct lb_svc_key key;
	struct lb_counters ctr;
	const char *dev = NULL;
	bool filter = false;
	uint32_t svc_id = 0, id;
	struct lb_maps m;
	struct json j;
	uint8_t addr[16];
	int i, err, fam, ifindex;

	for (i = 0; i < argc; i++) {
		if (streq(argv[i], "-j")) {
			c->json = true;
		} else if (streq(argv[i], "dev")) {
			if (!(dev = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!filter && i + 2 < argc) {
			err = parse_service(c, argv + i, &key);
			if (err)
				return err;
			filter = true;
			i += 2;
		} else if (!filter && !lb_addr_parse(argv[i], &fam, addr)) {
			return usage_err(c, "backend list %s: expected VIP PORT tcp|udp", argv[i]);
		} else if (!dev && argv[i][0] != '-') {
			dev = argv[i];	/* as list takes it */
		} else {
			return usage_err(c, "unexpected argument '%s' (try '%s backend help')",
					 argv[i], c->prog);
		}
	}
	err = pick_iface(c, dev, ifname);
	err = err ?: open_maps(c, ifname, &m);
	if (err)
		return err;
	if (filter && lb_svc_find(&m, &key, &svc_id)) {
		lb_maps_close(&m);
		return run_err(c, "service %s does not exist on %s", svc_str(&key, s, sizeof(s)),
			       ifname);
	}
	ifindex = if_nametoindex(ifname);
	json_init(&j, stdout);
	if (c->json)
		json_arr_open(&j, NULL);
	else
		printf("%-28s %-40s %-6s %-10s %-17s %s\n", "SERVICE", "BACKEND", "WEIGHT",
		       "STATE", "MAC", "PACKETS");
	for (id = 0; id < m.max_backends; id++) {
		const struct lb_backend *be = &m.be[id];

		if (!(be->flags & LB_BE_F_USED) || (filter && be->svc_id != svc_id))
			continue;
		svc_str(&m.svc[be->svc_id].key, s, sizeof(s));
		lb_addr_str(be->family, be->addr, b, sizeof(b));
		mac_str(be, mac, sizeof(mac));
		lb_read_counters(&m, LB_M_BACKEND_STATS, id, &ctr);
		if (c->json) {
			const struct lb_svc_key *k = &m.svc[be->svc_id].key;
			char v[64];

			json_obj_open(&j, NULL);
			json_str(&j, "vip", lb_addr_str(k->family, k->addr, v, sizeof(v)));
			json_u64(&j, "port", ntohs(k->port));
			json_str(&j, "proto", proto_str(k->proto));
			json_str(&j, "backend", b);
			json_u64(&j, "weight", be->weight);
			json_str(&j, "state", be_state_str(be, ifindex));
			json_bool(&j, "healthy", be->flags & LB_BE_F_UP);
			json_bool(&j, "sorry", be->flags & LB_BE_F_SORRY);
			if (be->flags & LB_BE_F_MAC)
				json_str(&j, "mac", mac);
			else
				json_null(&j, "mac");
			json_u64(&j, "packets", ctr.packets);
			json_u64(&j, "bytes", ctr.bytes);
			json_u64(&j, "new_flows", ctr.new_flows);
			json_u64(&j, "id", id);
			json_obj_close(&j);
		} else {
			printf("%-28s %-40s %-6u %-10s %-17s %llu\n", s, b, be->weight,
			       be_state_str(be, ifindex), mac, (unsigned long long)ctr.packets);
		}
	}
	if (c->json) {
		json_arr_close(&j);
		json_end(&j);
	}
	lb_maps_close(&m);
	return 0;
}

int do_backend(struct ctx *c, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", backend_add },
		{ "del", backend_del },
		{ "set", backend_set },
		{ "list", backend_list },
		{ "show", backend_list },
		{ NULL, NULL },
	};

	return cmd_dispatch(c, "backend", cmds, argc, argv);
}
