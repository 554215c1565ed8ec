// SPDX-License-Identifier: GPL-2.0
/*
 * The config's virtual_server blocks as services and backends in the maps.
 * Applied as a difference against the previous config, so a reload leaves
 * unchanged services and backends (their flows, counters and health)
 * alone. Services added with `lbctl vip add` are never touched.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "ctl.h"
#include "log.h"
#include "nl.h"

static int lb_family(const struct cfg_addr *a)
{
	return a->family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET;
}

void ctl_vs_key(const struct cfg_virtual_server *vs, struct lb_svc_key *k)
{
	lb_svc_key_make(k, lb_family(&vs->vip), vs->vip.bytes, vs->port, vs->proto);
}

/* global_defs' lvs_timeouts are IPVS's idle timeouts of connections: here
 * those of flows (persistence_timeout, when set, is that of clients). */
static void vs_opts(const struct cfg_global *g, const struct cfg_virtual_server *vs,
		    struct lb_svc_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (vs->sched == SCHED_SH)
		o->flags |= LB_SVC_F_HASH_SRC;
	if (vs->persistence_timeout_s) {
		o->flags |= LB_SVC_F_AFFINITY;
		o->timeout_s = vs->persistence_timeout_s;
	} else {
		o->timeout_s = vs->proto == IPPROTO_UDP ? g->lvs_udp_s : g->lvs_tcp_s;
	}
	o->fin_timeout_s = g->lvs_tcpfin_s;
	o->table_size = vs->table_size;
}

static const struct cfg_virtual_server *find_vs(const struct cfg *c,
						const struct cfg_virtual_server *want)
{
	int i;

	for (i = 0; c && i < c->n_vs; i++) {
		const struct cfg_virtual_server *vs = &c->vs[i];

		if (vs->port == want->port && vs->proto == want->proto &&
		    vs->vip.family == want->vip.family &&
		    !memcmp(vs->vip.bytes, want->vip.bytes, 16))
			return vs;
	}
	return NULL;
}

static const struct cfg_real_server *find_rs(const struct cfg_virtual_server *vs,
					     const struct cfg_addr *a)
{
	int i;

	for (i = 0; vs && i < vs->n_rs; i++)
		if (vs->rs[i].addr.family == a->family && !memcmp(vs->rs[i].addr.bytes, a->bytes, 16))
			return &vs->rs[i];
	return NULL;
}

static bool sorry_same(const struct cfg_virtual_server *a, const struct cfg_virtual_server *b)
{
	return a && b && a->sorry_addr.family == b->sorry_addr.family &&
	       !memcmp(a->sorry_addr.bytes, b->sorry_addr.bytes, 16);
}

/* The MAC if the kernel already knows it; else a resolution is started
 * and the neighbour event fills it in. */
static void kick_mac(struct ctl *c, const struct cfg_addr *a)
{
	uint8_t mac[6];

	if (!nl_neigh_get(c->ifindex, lb_family(a), a->bytes, mac))
		lb_be_set_mac(&c->maps, lb_family(a), a->bytes, mac);
	else
		nl_neigh_resolve(c->ifindex, lb_family(a), a->bytes);
}

/* lbctl backend add refuses such a server; from a config it is kept (the
 * route may come later) but can get no traffic until it is on the link. */
static void warn_off_link(struct ctl *c, const struct cfg_addr *a)
{
	char s[64], why[64];

	if (!nl_on_link(c->ifindex, lb_family(a), a->bytes, why, sizeof(why)))
		pr_warn("backend %s is not on %s's link (%s): direct server return cannot "
			"reach it", cfg_addr_str(a, s, sizeof(s)), c->ifname, why);
}

static int add_backend(struct ctl *c, uint32_t svc_id, const struct cfg_addr *a,
		       uint32_t weight, uint16_t flags)
{
	char s[64];
	int err;

	err = lb_be_add(&c->maps, svc_id, lb_family(a), a->bytes, weight, flags, NULL);
	if (err == -EEXIST)
		return 0;
	if (err) {
		pr_err("backend %s: cannot add: %s", cfg_addr_str(a, s, sizeof(s)), strerror(-err));
		return err;
	}
	warn_off_link(c, a);
	kick_mac(c, a);
	return 0;
}

static int apply_vs(struct ctl *c, const struct cfg_global *g,
		    const struct cfg_virtual_server *old, const struct cfg_virtual_server *vs)
{
	struct lb_svc_key k;
	struct lb_svc_opts o;
	uint32_t id, bid;
	char s[64];
	int i, err, state;

	ctl_vs_key(vs, &k);
	vs_opts(g, vs, &o);
	if (lb_svc_find(&c->maps, &k, &id)) {
		state = ctl_vrrp_vip_state(c, &vs->vip);
		err = lb_svc_add(&c->maps, &k, &o, state != 0, &id);
		if (err) {
			pr_err("virtual_server %s %u: cannot add: %s",
			       cfg_addr_str(&vs->vip, s, sizeof(s)), vs->port, strerror(-err));
			return err;
		}
	} else {
		err = lb_svc_set_opts(&c->maps, id, &o);
		if (err)
			return err;
	}
	for (i = 0; i < vs->n_rs; i++) {
		const struct cfg_real_server *rs = &vs->rs[i];
		const struct cfg_real_server *prev = find_rs(old, &rs->addr);

		if (!lb_be_find(&c->maps, id, lb_family(&rs->addr), rs->addr.bytes, &bid)) {
			/* Health owns the weight once running; only a changed
			 * config weight overrides it. */
			if (!prev || prev->weight != rs->weight)
				lb_be_set_weight(&c->maps, bid, rs->weight);
			continue;
		}
		/* alpha: down until the first check passes. */
		err = add_backend(c, id, &rs->addr, rs->weight,
				  vs->alpha && rs->n_checks ? 0 : LB_BE_F_UP);
		if (err)
			return err;
	}
	/* Real servers the old config had and this one lacks. */
	for (i = 0; old && i < old->n_rs; i++)
		if (!find_rs(vs, &old->rs[i].addr) &&
		    !lb_be_find(&c->maps, id, lb_family(&old->rs[i].addr), old->rs[i].addr.bytes, &bid))
			lb_be_del(&c->maps, bid);
	if (old && old->sorry_addr.family && !sorry_same(old, vs) &&
	    !lb_be_find(&c->maps, id, lb_family(&old->sorry_addr), old->sorry_addr.bytes, &bid))
		lb_be_del(&c->maps, bid);
	if (vs->sorry_addr.family)
		return add_backend(c, id, &vs->sorry_addr, 1, LB_BE_F_UP | LB_BE_F_SORRY);
	return 0;
}

/* Maps kept from an earlier run may hold services this file does not have
 * (a file edited meanwhile, or `lbctl vip add`): kept, as keepalived keeps
 * IPVS services it did not make, but said. */
static void note_foreign_services(struct ctl *c, const struct cfg *cfg)
{
	struct lb_svc_key k;
	char s[80];
	uint32_t id;
	int i;
	bool known;

	for (id = 0; id < c->maps.max_services; id++) {
		if (!(c->maps.svc[id].flags & LB_SVC_F_USED))
			continue;
		for (i = 0, known = false; cfg && i < cfg->n_vs && !known; i++) {
			ctl_vs_key(&cfg->vs[i], &k);
			known = !memcmp(&k, &c->maps.svc[id].key, sizeof(k));
		}
		if (!known)
			pr_warn("service %s is in the maps but not in %s (an earlier run's, or "
				"added with lbctl vip add): kept; 'lbctl vip del' removes it",
				svc_str(&c->maps.svc[id].key, s, sizeof(s)),
				c->opts.config ? c->opts.config : "the config");
	}
}

int ctl_apply_services(struct ctl *c, const struct cfg *old, const struct cfg *new)
{
	struct lb_svc_key k;
	uint32_t id;
	int i, err;

	err = lb_maps_lock(&c->maps);
	if (err)
		return err;
	if (!old && new)
		note_foreign_services(c, new);
	for (i = 0; old && i < old->n_vs; i++) {
		if (find_vs(new, &old->vs[i]))
			continue;
		ctl_vs_key(&old->vs[i], &k);
		if (!lb_svc_find(&c->maps, &k, &id))
			lb_svc_del(&c->maps, id);
	}
	for (i = 0; new && i < new->n_vs && !err; i++)
		err = apply_vs(c, &new->global, find_vs(old, &new->vs[i]), &new->vs[i]);
	/* Maps reused from a previous run may say active where VRRP now
	 * says otherwise: VRRP's word is the current one. */
	for (i = 0; new && i < new->n_vs && !err; i++) {
		const struct cfg_addr *vip = &new->vs[i].vip;

		lb_vip_set_active(&c->maps, lb_family(vip), vip->bytes,
				  ctl_vrrp_vip_state(c, vip) != 0);
	}
	lb_maps_unlock(&c->maps);
	ctl_maps_changed(c);
	return err;
}

/* Can this node forward for the VIP: does every service on it that has
 * real servers have one that is healthy with its MAC known? After a link
 * flap the neighbour table is empty; a node that took the VIP back before
 * resolving its servers would drop what its peer was serving fine. */
bool ctl_vip_servable(struct ctl *c, const struct cfg_addr *vip)
{
	int family = lb_family(vip);
	bool ok = true;
	uint32_t s, b;

	if (lb_maps_lock(&c->maps))
		return true;
	for (s = 0; s < c->maps.max_services && ok; s++) {
		const struct lb_service *sv = &c->maps.svc[s];
		unsigned int real = 0, usable = 0;

		if (!(sv->flags & LB_SVC_F_USED) || sv->key.family != family ||
		    memcmp(sv->key.addr, vip->bytes, family == LB_AF_INET6 ? 16 : 4))
			continue;
		for (b = 0; b < c->maps.max_backends; b++) {
			const struct lb_backend *be = &c->maps.be[b];

			if (!(be->flags & LB_BE_F_USED) || be->svc_id != s)
				continue;
			real++;
			usable += (be->flags & LB_BE_F_USABLE) == LB_BE_F_USABLE;
		}
		ok = !real || usable;
	}
	lb_maps_unlock(&c->maps);
	return ok;
}
