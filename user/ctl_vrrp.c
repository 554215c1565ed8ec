// SPDX-License-Identifier: GPL-2.0
/*
 * The VRRP speaker: the config's vrrp_instances on this interface, each a
 * pure state machine (vrrp_fsm.c) driven from the event loop, with the
 * wire format in vrrp_codec.c. This file does the I/O and the
 * consequences: raw sockets for adverts, VIPs through netlink, gratuitous
 * ARP and unsolicited NA, the active flags in the maps, attaching XDP,
 * tracking (interfaces, scripts, service quorum) and notify scripts.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "chk.h"
#include "ctl.h"
#include "evloop.h"
#include "stats_prom.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "vrrp_codec.h"
#include "vrrp_fsm.h"

#define NOTIFY_TIMEOUT_NS	(30ull * 1000000000ull)
#define IPTOS_VRRP		0xc0	/* network control, as keepalived sends */

/* Discards that happen before an instance is known, beyond the codec's. */
enum {
	DROP_UNKNOWN_VRID = VRRP_REASON_MAX,
	DROP_NOT_PEER,
	DROP_BAD_IP,
	DROP_COUNT,
};

static const char *drop_str(int r)
{
	switch (r) {
	case DROP_UNKNOWN_VRID: return "unknown_vrid";
	case DROP_NOT_PEER: return "not_peer";
	case DROP_BAD_IP: return "bad_ip_header";
	default: return vrrp_reason_str(r);
	}
}

struct vrrp_script_run {
	struct ctl *ctl;
	const struct cfg_vrrp_script *s;	/* into ctl->cfg */
	struct ev_timer *t;
	pid_t pid;
	unsigned int good, bad;			/* consecutive results */
	bool ok;
};

struct vrrp_io {
	int fd4, fd6, arp_fd, nd_fd;
	struct vrrp_script_run *scripts;
	int n_scripts;
	uint64_t drops[DROP_COUNT];		/* not attributable to an instance */
	uint64_t last_drop_log_ns;
};

struct vrrp_inst {
	struct ctl *ctl;
	const struct cfg_vrrp_instance *ci;	/* into ctl->cfg */
	struct vrrp_fsm fsm;
	struct ev_timer *t;			/* the FSM's next deadline */
	struct ev_timer *t_garp;		/* second burst, then refreshes */
	struct ev_timer *t_ready;		/* Backup: attach XDP ahead of a takeover */
	bool ready;				/* ... done: attached, VIPs inactive */
	union vrrp_ip primary;
	bool *track_up;				/* per track_interface */
	uint64_t adverts_tx, adverts_rx, became_master;
	uint64_t last_reclaim_ns;		/* last GARP burst answering a peer */
	uint64_t drops[DROP_COUNT];
	enum vrrp_state prev;
};

static uint64_t now_us(void)
{
	return ev_now_ns() / 1000;
}

static int af_of(const struct vrrp_inst *in)
{
	return in->ci->family == AF_INET6 ? AF_INET6 : AF_INET;
}

static bool addr_eq(int family, const void *a, const void *b)
{
	return !memcmp(a, b, family == AF_INET6 ? 16 : 4);
}

/* Discards are counted always but logged at most once a second: a flood
 * of forged adverts must not flood the log too. */
static void count_drop(struct vrrp_io *io, struct vrrp_inst *in, int reason,
		       int family, const void *src)
{
	uint64_t now = ev_now_ns();
	char a[64];

	if (in)
		in->drops[reason]++;
	else
		io->drops[reason]++;
	if (now - io->last_drop_log_ns < 1000000000ull)
		return;
	io->last_drop_log_ns = now;
	inet_ntop(family, src, a, sizeof(a));
	pr_warn("vrrp: discarded advert from %s%s%s: %s", a, in ? " for " : "",
		in ? in->ci->name : "", drop_str(reason));
}

/* ---- sending ---- */

static int fill_advert(const struct vrrp_inst *in, uint8_t prio, struct vrrp_advert *a)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	int i;

	memset(a, 0, sizeof(*a));
	a->version = ci->version;
	a->vrid = ci->vrid;
	a->priority = prio;
	a->family = af_of(in);
	a->adver_int_cs = ci->advert_int_us / 10000;
	if (ci->version == 2 && ci->auth_pass[0]) {
		a->auth_type = VRRP_AUTH_PASS;
		memcpy(a->auth_data, ci->auth_pass, strnlen(ci->auth_pass, sizeof(a->auth_data)));
	}
	for (i = 0; i < ci->n_vips && a->n_addrs < VRRP_MAX_ADDRS; i++) {
		if (ci->vips[i].addr.family != a->family)
			continue;
		if (a->family == AF_INET6)
			a->addrs.v6[a->n_addrs++] = ci->vips[i].addr.v6;
		else
			a->addrs.v4[a->n_addrs++] = ci->vips[i].addr.v4;
	}
	return 0;
}

static int send4(struct vrrp_inst *in, const struct vrrp_advert *a, struct in_addr dst)
{
	uint8_t pkt[sizeof(struct iphdr) + VRRP_MSG_MAX];
	struct iphdr *ip = (struct iphdr *)pkt;
	struct vrrp_ipinfo info = { .family = AF_INET, .ttl = VRRP_TTL };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = dst };
	int len;

	info.src = in->primary;
	info.dst.v4 = dst;
	len = vrrp_encode(a, &info, in->ci->cksum_form, pkt + sizeof(*ip), sizeof(pkt) - sizeof(*ip));
	if (len < 0)
		return len;
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = IPTOS_VRRP;
	ip->tot_len = htons(sizeof(*ip) + len);
	ip->ttl = VRRP_TTL;
	ip->protocol = VRRP_IPPROTO;
	ip->saddr = in->primary.v4.s_addr;
	ip->daddr = dst.s_addr;
	if (sendto(in->ctl->vrrp_io->fd4, pkt, sizeof(*ip) + len, 0,
		   (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}

static int send6(struct vrrp_inst *in, const struct vrrp_advert *a, const struct in6_addr *dst)
{
	uint8_t msg[VRRP_MSG_MAX], cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {};
	struct vrrp_ipinfo info = { .family = AF_INET6, .ttl = VRRP_TTL };
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6, .sin6_addr = *dst, .sin6_scope_id = in->ctl->ifindex,
	};
	struct iovec iov = { .iov_base = msg };
	struct msghdr mh = {
		.msg_name = &sin6, .msg_namelen = sizeof(sin6), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct in6_pktinfo pi = { .ipi6_addr = in->primary.v6, .ipi6_ifindex = in->ctl->ifindex };
	int len;

	info.src = in->primary;
	info.dst.v6 = *dst;
	len = vrrp_encode(a, &info, VRRP_CKSUM_PSEUDO, msg, sizeof(msg));
	if (len < 0)
		return len;
	/* The source the checksum was made with, whatever the kernel would
	 * pick (a VIP, once we hold one, or the link-local address for a
	 * unicast_src_ip / mcast_src_ip that says otherwise). */
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	iov.iov_len = len;
	if (sendmsg(in->ctl->vrrp_io->fd6, &mh, 0) < 0)
		return -errno;
	return 0;
}

static void send_advert(struct vrrp_inst *in, uint8_t prio)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	const struct cfg_global *g = &in->ctl->cfg->global;
	struct vrrp_advert a;
	int i, err = 0;

	fill_advert(in, prio, &a);
	if (ci->n_unicast_peers) {
		for (i = 0; i < ci->n_unicast_peers; i++)
			err = af_of(in) == AF_INET6 ? send6(in, &a, &ci->unicast_peers[i].v6) :
			      send4(in, &a, ci->unicast_peers[i].v4);
	} else {
		err = af_of(in) == AF_INET6 ? send6(in, &a, &g->mcast_group6) :
		      send4(in, &a, g->mcast_group4);
	}
	if (err)
		pr_warn("vrrp %s: cannot send advert: %s", ci->name, strerror(-err));
	else
		in->adverts_tx++;
}

/* Gratuitous ARP: a request for the VIP from the VIP, broadcast, so that
 * switches and neighbours learn the VIP's new home at once. */
static void send_garp(struct ctl *c, const struct in_addr *vip)
{
	struct { struct ether_header eth; struct ether_arp arp; } __attribute__((packed)) f;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_ifindex = c->ifindex, .sll_halen = ETH_ALEN,
		.sll_protocol = htons(ETH_P_ARP),
	};

	memset(&f, 0, sizeof(f));
	memset(f.eth.ether_dhost, 0xff, ETH_ALEN);
	memcpy(f.eth.ether_shost, c->mac, ETH_ALEN);
	f.eth.ether_type = htons(ETH_P_ARP);
	f.arp.arp_hrd = htons(ARPHRD_ETHER);
	f.arp.arp_pro = htons(ETH_P_IP);
	f.arp.arp_hln = ETH_ALEN;
	f.arp.arp_pln = 4;
	f.arp.arp_op = htons(ARPOP_REQUEST);
	memcpy(f.arp.arp_sha, c->mac, ETH_ALEN);
	memcpy(f.arp.arp_spa, vip, 4);
	memcpy(f.arp.arp_tpa, vip, 4);
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	if (sendto(c->vrrp_io->arp_fd, &f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		pr_debug("gratuitous ARP on %s: %s", c->ifname, strerror(errno));
}

/* Unsolicited neighbour advertisement (RFC 4861 7.2.6) to all nodes. */
static void send_una(struct ctl *c, const struct in6_addr *vip)
{
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		uint8_t mac[ETH_ALEN];
	} __attribute__((packed)) m;
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_scope_id = c->ifindex };

	memset(&m, 0, sizeof(m));
	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	m.na.nd_na_target = *vip;
	m.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	m.opt.nd_opt_len = 1;
	memcpy(m.mac, c->mac, ETH_ALEN);
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	if (sendto(c->vrrp_io->nd_fd, &m, sizeof(m), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		pr_debug("unsolicited NA on %s: %s", c->ifname, strerror(errno));
}

static void announce(struct vrrp_inst *in, unsigned int repeat)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	unsigned int r;
	int i;

	for (r = 0; r < repeat; r++)
		for (i = 0; i < cfg_inst_n_addrs(ci); i++) {
			const struct cfg_addr *a = &cfg_inst_addr(ci, i)->addr;

			if (a->family == AF_INET6)
				send_una(in->ctl, &a->v6);
			else
				send_garp(in->ctl, &a->v4);
		}
}

static void on_garp_timer(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct vrrp_inst *in = arg;
	const struct cfg_vrrp_instance *ci = in->ci;

	if (in->fsm.state != VRRP_MASTER)
		return;
	announce(in, ci->garp_master_refresh_us ? ci->garp_master_refresh_repeat ?: 1 :
		 ci->garp_master_repeat);
	if (ci->garp_master_refresh_us)
		ev_timer_arm(loop, t, ci->garp_master_refresh_us * 1000);
}

/* ---- state consequences ---- */

static int vip_ifindex(const struct ctl *c, const struct cfg_vip_addr *v)
{
	struct nl_link_info li;

	if (!v->dev[0] || !strcmp(v->dev, c->ifname))
		return c->ifindex;
	return nl_link_get(v->dev, &li) ? -1 : li.ifindex;
}

/* The order matters both ways: while the VIP is a local address but not
 * forwarded, the node's own kernel answers the VIP's clients with resets.
 * So a new master forwards first and takes the address after; a leaving
 * one gives the address up first and stops forwarding after. */
static void set_addr(struct vrrp_inst *in, const struct cfg_vip_addr *v, bool add)
{
	int family = v->addr.family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET;
	int idx = vip_ifindex(in->ctl, v), err;
	char a[64];

	if (idx < 0)
		return;
	err = add ? nl_addr_add(idx, family, v->addr.bytes, v->prefix, v->label) :
	      nl_addr_del(idx, family, v->addr.bytes, v->prefix);
	if (err)
		pr_warn("vrrp %s: VIP %s/%d: cannot %s: %s", in->ci->name,
			cfg_addr_str(&v->addr, a, sizeof(a)), v->prefix,
			add ? "add" : "delete", strerror(-err));
}

static void set_addrs(struct vrrp_inst *in, bool add)
{
	int i;

	for (i = 0; i < cfg_inst_n_addrs(in->ci); i++)
		set_addr(in, cfg_inst_addr(in->ci, i), add);
}

static void set_active(struct vrrp_inst *in, bool active)
{
	int i;

	for (i = 0; i < cfg_inst_n_addrs(in->ci); i++)
		ctl_vip_set_active(in->ctl, &cfg_inst_addr(in->ci, i)->addr, active);
}

/* Gratuitous ARPs / unsolicited NAs now and again garp_master_delay
 * later: a neighbour that updated its entry less than a second ago (Linux's
 * locktime) ignores the first burst, never the second. */
static void announce_bursts(struct vrrp_inst *in)
{
	const struct cfg_vrrp_instance *ci = in->ci;

	announce(in, ci->garp_master_repeat);
	if (ci->garp_master_delay_us)
		ev_timer_arm(in->ctl->loop, in->t_garp, ci->garp_master_delay_us * 1000);
	else if (ci->garp_master_refresh_us)
		ev_timer_arm(in->ctl->loop, in->t_garp, ci->garp_master_refresh_us * 1000);
}

static void become_master(struct vrrp_inst *in)
{
	in->became_master++;
	set_active(in, true);
	ctl_update_attach(in->ctl);
	set_addrs(in, true);
	ctl_write_state(in->ctl);	/* the guardian must know these VIPs now */
	announce_bursts(in);
}

static void leave_master(struct vrrp_inst *in)
{
	ev_timer_cancel(in->ctl->loop, in->t_garp);
	set_addrs(in, false);
	set_active(in, false);
	ctl_update_attach(in->ctl);
}

static void run_cmd(struct ctl *c, const struct cfg_cmd *cmd, const char *const *extra, int n_extra)
{
	struct cfg_cmd full = *cmd;
	char *argv[64];
	pid_t pid;
	int i, n = 0;

	if (!cmd->argv)
		return;
	for (i = 0; i < cmd->argc && n < 58; i++)
		argv[n++] = cmd->argv[i];
	for (i = 0; i < n_extra; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	full.argv = argv;
	full.argc = n;
	pid = chk_spawn(&full, NULL);
	if (pid < 0)
		pr_warn("notify %s: %s", cmd->argv[0], strerror(-pid));
	else
		ev_child_add(c->loop, pid, NOTIFY_TIMEOUT_NS, NULL, NULL);
}

/* Why the priority in effect is not the configured one, for the log. */
static const char *prio_note(const struct vrrp_inst *in, char *buf, size_t len)
{
	unsigned int have = in->fsm.priority, want = in->ci->priority;

	if (have == want)
		snprintf(buf, len, "%s", "");
	else if (have == 1)
		snprintf(buf, len, " (configured %u; 1 while a service on its VIPs has no "
			 "usable real server, e.g. before the first checks)", want);
	else
		snprintf(buf, len, " (configured %u, changed by track_script/track_interface)",
			 want);
	return buf;
}

static void state_changed(struct vrrp_inst *in)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	enum vrrp_state s = in->fsm.state;
	const char *name = vrrp_state_str(s);
	char prio[8];
	const char *args[4] = { "INSTANCE", ci->name, name, prio };
	char why[128];

	pr_info("vrrp %s (VRID %u): %s -> %s, priority %u%s", ci->name, ci->vrid,
		vrrp_state_str(in->prev), name, in->fsm.priority, prio_note(in, why, sizeof(why)));
	in->prev = s;
	snprintf(prio, sizeof(prio), "%u", in->fsm.priority);
	if (s == VRRP_MASTER)
		run_cmd(in->ctl, &ci->notify_master, NULL, 0);
	else if (s == VRRP_BACKUP)
		run_cmd(in->ctl, &ci->notify_backup, NULL, 0);
	else if (s == VRRP_FAULT)
		run_cmd(in->ctl, &ci->notify_fault, NULL, 0);
	else if (s == VRRP_INIT) {
		run_cmd(in->ctl, &ci->notify_stop, NULL, 0);
		args[2] = "STOP";
	}
	run_cmd(in->ctl, &ci->notify, args, 4);
	ctl_write_state(in->ctl);
}

/*
 * Attaching XDP can take longer than everything else a takeover does
 * (about 15 ms for native XDP on a veth here; some NIC drivers reset their
 * queues). So a Backup whose Master has been silent for all but the last
 * advert of Master_Down_Interval attaches the program ahead, its VIPs still
 * inactive (every packet passes untouched), and taking over is a flag flip.
 * When the Master is heard again it detaches.
 */
static void set_ready(struct vrrp_inst *in, bool ready)
{
	bool was = in->ready;

	in->ready = ready;
	if (ready && !was && in->ctl->have_services)
		pr_info("vrrp %s: takeover due within one advert interval unless a master "
			"speaks: attaching XDP ahead (VIPs not yet active)", in->ci->name);
	/* always: a reload may have dropped an instance that was ready */
	ctl_update_attach(in->ctl);
}

static void on_ready_timer(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct vrrp_inst *in = arg;

	if (in->fsm.state == VRRP_BACKUP)
		set_ready(in, true);
}

static void rearm(struct vrrp_inst *in)
{
	const struct vrrp_fsm *f = &in->fsm;
	uint64_t d = vrrp_fsm_next_deadline(f), ready_at = 0;

	if (d)
		ev_timer_arm_at(in->ctl->loop, in->t, d * 1000);
	else
		ev_timer_cancel(in->ctl->loop, in->t);
	if (f->state == VRRP_BACKUP && f->master_down_timer > f->master_adver_int_us)
		ready_at = f->master_down_timer - f->master_adver_int_us;
	if (!ready_at) {
		ev_timer_cancel(in->ctl->loop, in->t_ready);
		set_ready(in, false);
	} else if (ready_at > now_us()) {
		set_ready(in, false);	/* the Master was heard */
		ev_timer_arm_at(in->ctl->loop, in->t_ready, ready_at * 1000);
	} else {
		set_ready(in, true);
	}
}

static void act(struct vrrp_inst *in, unsigned int a)
{
	if (a & VRRP_ACT_SEND_PRIO0)
		send_advert(in, VRRP_PRIO_STOP);
	if (a & VRRP_ACT_LEAVE_MASTER)
		leave_master(in);
	if (a & VRRP_ACT_SEND_ADVERT)
		send_advert(in, vrrp_fsm_priority(&in->fsm));
	if (a & VRRP_ACT_BECOME_MASTER)
		become_master(in);
	if (a & VRRP_ACT_STATE_CHANGED)
		state_changed(in);
	rearm(in);
}

/*
 * A Backup's takeover says why: an operator seeing masters flap needs to
 * know how long the Master was silent against Master_Down_Interval (a
 * loaded or paused host, a lossy link) or that it resigned.
 */
static void log_takeover_cause(const struct vrrp_inst *in, uint64_t now)
{
	const struct vrrp_fsm *f = &in->fsm;
	unsigned long long mdi = (vrrp_fsm_master_down_interval(f) + 500) / 1000;
	unsigned long long quiet = (now - f->heard_at + 500) / 1000;
	char a[INET6_ADDRSTRLEN];

	if (!f->heard_at) {
		pr_info("vrrp %s: no master heard since startup: taking over", in->ci->name);
		return;
	}
	inet_ntop(af_of(in), &f->master_addr, a, sizeof(a));
	if (f->master_resigned)
		pr_info("vrrp %s: master %s resigned (priority 0 advert): taking over",
			in->ci->name, a);
	else if (f->preempting)
		pr_info("vrrp %s: master %s has priority %u, below our %u: preempting",
			in->ci->name, a, f->master_priority, f->priority);
	else
		pr_info("vrrp %s: master %s (priority %u) silent for %llu ms, "
			"Master_Down_Interval %llu ms: taking over", in->ci->name, a,
			f->master_priority, quiet, mdi);
}

static void on_fsm_timer(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct vrrp_inst *in = arg;
	const struct vrrp_fsm *f = &in->fsm;
	uint64_t now = now_us();

	if (f->state == VRRP_BACKUP && f->master_down_timer && now >= f->master_down_timer)
		log_takeover_cause(in, now);
	act(in, vrrp_fsm_timer(&in->fsm, now));
}

/* ---- tracking ---- */

static const struct vrrp_script_run *script_run(const struct ctl *c, int idx)
{
	return idx >= 0 && idx < c->vrrp_io->n_scripts ? &c->vrrp_io->scripts[idx] : NULL;
}

static bool carries_services(const struct ctl *c, const struct cfg_vrrp_instance *ci)
{
	int i;

	for (i = 0; c->cfg && i < c->cfg->n_vs; i++)
		if (cfg_inst_owns(ci, &c->cfg->vs[i].vip))
			return true;
	return false;
}

/* keepalived's arithmetic: a tracked object with weight 0 faults the
 * instance when it fails; a positive weight is added while it is up, a
 * negative one while it is down. */
static int effective_priority(const struct vrrp_inst *in, bool *fault)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	const struct ctl *c = in->ctl;
	int p = ci->priority, i, w;

	*fault = !c->link_up || (c->xdp_busy && carries_services(c, ci));
	for (i = 0; i < ci->n_track_if; i++) {
		w = ci->track_if[i].weight;
		if (!in->track_up[i] && w == 0)
			*fault = true;
		else if (in->track_up[i] ? w > 0 : w < 0)
			p += w;
	}
	for (i = 0; i < ci->n_track_scripts; i++) {
		const struct cfg_track_script *ts = &ci->track_scripts[i];
		const struct vrrp_script_run *r = script_run(c, ts->script);

		if (!r)
			continue;
		w = ts->weight_set ? ts->weight : r->s->weight;
		if (!r->ok && w == 0)
			*fault = true;
		else if (r->ok ? w > 0 : w < 0)
			p += w;
	}
	if (ci->priority == VRRP_PRIO_OWNER)
		return VRRP_PRIO_OWNER;
	/* A node whose real servers are all down (quorum lost) drops to the
	 * lowest priority, so that any peer whose servers are up wins, and
	 * the VIP still has a home (and its sorry server) when none does. */
	for (i = 0; c->cfg && i < c->cfg->n_vs; i++)
		if (cfg_inst_owns(ci, &c->cfg->vs[i].vip) &&
		    (!ctl_health_vip_ok(c, &c->cfg->vs[i].vip) ||
		     !ctl_vip_servable((struct ctl *)c, &c->cfg->vs[i].vip)))
			p = 1;
	for (i = 0; i < ci->n_track_vs; i++)
		if (!ctl_health_quorum_ok(c, ci->track_vs[i]))
			p = 1;
	return p < 1 ? 1 : p > 254 ? 254 : p;
}

static bool group_fault(const struct ctl *c, const struct vrrp_inst *in, bool own)
{
	int i;
	bool f;

	if (own || in->ci->sync_group < 0)
		return own;
	/* vrrp_sync_group: a member's fault faults them all. */
	for (i = 0; i < c->n_vrrp; i++)
		if (c->vrrp[i] != in && c->vrrp[i]->ci->sync_group == in->ci->sync_group) {
			effective_priority(c->vrrp[i], &f);
			if (f)
				return true;
		}
	return false;
}

static void retrack(struct ctl *c)
{
	int i;

	for (i = 0; i < c->n_vrrp; i++) {
		struct vrrp_inst *in = c->vrrp[i];
		bool fault;
		int p = effective_priority(in, &fault);

		fault = group_fault(c, in, fault);
		if (p != in->fsm.priority)
			act(in, vrrp_fsm_set_priority(&in->fsm, now_us(), p));
		if (fault != in->fsm.faulted)
			act(in, vrrp_fsm_fault(&in->fsm, now_us(), fault));
	}
}

void ctl_vrrp_quorum_changed(struct ctl *c)
{
	retrack(c);
}

void ctl_vrrp_link_event(struct ctl *c, int ifindex, const char *name, bool up)
{
	int i, j;

	for (i = 0; name && i < c->n_vrrp; i++)
		for (j = 0; j < c->vrrp[i]->ci->n_track_if; j++)
			if (!strcmp(c->vrrp[i]->ci->track_if[j].name, name))
				c->vrrp[i]->track_up[j] = up;
	retrack(c);
}

static void script_start(struct vrrp_script_run *r);

static void script_done(struct evloop *loop, pid_t pid, int status, int timed_out, void *arg)
{
	struct vrrp_script_run *r = arg;
	bool good = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool was = r->ok;

	r->pid = 0;
	if (good) {
		r->bad = 0;
		if (++r->good >= (r->s->rise ?: 1))
			r->ok = true;
	} else {
		r->good = 0;
		if (++r->bad >= (r->s->fall ?: 1))
			r->ok = false;
	}
	if (r->ok != was) {
		pr_info("vrrp_script %s: %s%s", r->s->name, r->ok ? "succeeded" : "failed",
			timed_out ? " (timed out)" : "");
		retrack(r->ctl);
	}
	ev_timer_arm(loop, r->t, r->s->interval_us * 1000);
}

static void on_script_timer(struct evloop *loop, struct ev_timer *t, void *arg)
{
	script_start(arg);
}

static void script_start(struct vrrp_script_run *r)
{
	struct ctl *c = r->ctl;
	pid_t pid;

	if (r->pid)
		return;
	pid = chk_spawn(&r->s->cmd, NULL);
	if (pid < 0) {
		script_done(c->loop, 0, 1 << 8, 0, r);
		pr_warn("vrrp_script %s: cannot run: %s", r->s->name, strerror(-pid));
		return;
	}
	r->pid = pid;
	ev_child_add(c->loop, pid, (r->s->timeout_us ?: r->s->interval_us) * 1000, script_done, r);
}

/* ---- receiving ---- */

static struct vrrp_inst *find_inst(struct ctl *c, int family, uint8_t vrid)
{
	int i;

	for (i = 0; i < c->n_vrrp; i++)
		if (c->vrrp[i]->ci->vrid == vrid && af_of(c->vrrp[i]) == family)
			return c->vrrp[i];
	return NULL;
}

static bool peer_ok(const struct vrrp_inst *in, int family, const void *src)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	int i;

	if (!ci->n_unicast_peers)
		return true;
	for (i = 0; i < ci->n_unicast_peers; i++)
		if (addr_eq(family, ci->unicast_peers[i].bytes, src))
			return true;
	return false;
}

static void handle_advert(struct ctl *c, const struct vrrp_ipinfo *ip, const uint8_t *msg,
			  size_t len)
{
	struct vrrp_io *io = c->vrrp_io;
	struct vrrp_rx_info rx = { .ip = *ip };
	struct vrrp_advert a;
	struct vrrp_inst *in;
	bool was_master;
	int err;

	if (len < 2) {
		count_drop(io, NULL, VRRP_ERR_TOO_SHORT, ip->family, &ip->src);
		return;
	}
	in = find_inst(c, ip->family, msg[1]);
	if (!in) {
		count_drop(io, NULL, DROP_UNKNOWN_VRID, ip->family, &ip->src);
		return;
	}
	if (addr_eq(ip->family, &ip->src, &in->primary))
		return;		/* our own, looped back */
	/* With peers listed, nobody else speaks for this VRID, whatever
	 * the transport: forged adverts from the segment are ignored. */
	if (!peer_ok(in, ip->family, &ip->src)) {
		count_drop(io, in, DROP_NOT_PEER, ip->family, &ip->src);
		return;
	}
	rx.version = in->ci->version;
	rx.v2_adver_int_cs = in->ci->version == 2 ? in->ci->advert_int_us / 10000 : 0;
	rx.auth_pass = in->ci->auth_pass;
	err = vrrp_decode(msg, len, &rx, &a);
	if (err) {
		count_drop(io, in, -err, ip->family, &ip->src);
		return;
	}
	in->adverts_rx++;
	was_master = in->fsm.state == VRRP_MASTER;
	act(in, vrrp_fsm_rx(&in->fsm, now_us(), &a, &ip->src));
	/* A peer that believed itself master may have announced the VIP:
	 * take the neighbours back (keepalived's vrrp_garp_lower_prio_repeat),
	 * at most once a second. */
	if (was_master && in->fsm.state == VRRP_MASTER && a.priority &&
	    ev_now_ns() - in->last_reclaim_ns > 1000000000ull) {
		in->last_reclaim_ns = ev_now_ns();
		announce_bursts(in);
	}
	/* The other way round: we were master too (a partition healing) and
	 * may have announced the VIP last. One advert at our own priority
	 * makes the winner take the neighbours back as above; without it, a
	 * winner that never heard us would leave clients sending to us. */
	if (was_master && in->fsm.state == VRRP_BACKUP) {
		char s[INET6_ADDRSTRLEN];

		pr_info("vrrp %s: master %s has priority %u, above our %u (or equal, from a "
			"higher address): stepping down", in->ci->name,
			inet_ntop(ip->family, &ip->src, s, sizeof(s)) ?: "?", a.priority,
			vrrp_fsm_priority(&in->fsm));
		send_advert(in, vrrp_fsm_priority(&in->fsm));
	}
}

static void on_rx4(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	uint8_t buf[sizeof(struct iphdr) + 60 + VRRP_MSG_MAX + 64];
	struct ctl *c = arg;
	struct vrrp_ipinfo ip = { .family = AF_INET };
	const struct iphdr *h = (const struct iphdr *)buf;
	ssize_t n;
	size_t ihl, tot;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		ihl = h->ihl * 4;
		tot = ntohs(h->tot_len);
		if ((size_t)n < sizeof(*h) || ihl < sizeof(*h) || tot > (size_t)n || tot < ihl) {
			count_drop(c->vrrp_io, NULL, DROP_BAD_IP, AF_INET,
				   (size_t)n >= sizeof(*h) ? &h->saddr : (void *)buf);
			continue;
		}
		ip.src.v4.s_addr = h->saddr;
		ip.dst.v4.s_addr = h->daddr;
		ip.ttl = h->ttl;
		handle_advert(c, &ip, buf + ihl, tot - ihl);
	}
}

static void on_rx6(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	uint8_t buf[VRRP_MSG_MAX + 64], cbuf[256];
	struct ctl *c = arg;
	struct sockaddr_in6 from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct vrrp_ipinfo ip = { .family = AF_INET6 };
	struct cmsghdr *cm;
	ssize_t n;

	while ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) > 0) {
		ip.ttl = 0;
		ip.src.v6 = from.sin6_addr;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != IPPROTO_IPV6)
				continue;
			if (cm->cmsg_type == IPV6_HOPLIMIT)
				ip.ttl = *(int *)CMSG_DATA(cm);
			else if (cm->cmsg_type == IPV6_PKTINFO)
				ip.dst.v6 = ((struct in6_pktinfo *)CMSG_DATA(cm))->ipi6_addr;
		}
		handle_advert(c, &ip, buf, n);
		mh.msg_namelen = sizeof(from);
		mh.msg_controllen = sizeof(cbuf);
	}
}

/* ---- sockets ---- */

static int open4(struct ctl *c, bool need_group)
{
	int fd, one = 1;
	struct ip_mreqn mr = { .imr_ifindex = c->ifindex };

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	if (fd < 0)
		return -errno;
	mr.imr_multiaddr = c->cfg->global.mcast_group4;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, strlen(c->ifname)) ||
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) ||
	    (need_group && setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))) {
		int err = -errno;

		close(fd);
		return err;
	}
	one = 0;
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	return fd;
}

static int open6(struct ctl *c, bool need_group)
{
	int fd, one = 1, hops = VRRP_TTL, off = 0;
	struct ipv6_mreq mr = { .ipv6mr_interface = c->ifindex };

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
	if (fd < 0)
		return -errno;
	mr.ipv6mr_multiaddr = c->cfg->global.mcast_group6;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, strlen(c->ifname)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &c->ifindex, sizeof(c->ifindex)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) ||
	    (need_group && setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int open_nd(struct ctl *c)
{
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6), hops = 255;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, strlen(c->ifname));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &c->ifindex, sizeof(c->ifindex));
	return fd;
}

/* The address adverts come from: configured, else the interface's
 * primary (never a VIP), IPv6 its link-local (RFC 5798 5.1.2.1). */
static int pick_primary(struct vrrp_inst *in)
{
	const struct cfg_vrrp_instance *ci = in->ci;
	uint8_t addrs[16][16];
	int i, j, n, family = af_of(in);
	bool is_vip;

	memset(&in->primary, 0, sizeof(in->primary));
	if (ci->unicast_src_ip.family == family) {
		memcpy(in->primary.bytes, ci->unicast_src_ip.bytes, 16);
		return 0;
	}
	if (ci->mcast_src_ip.family == family) {
		memcpy(in->primary.bytes, ci->mcast_src_ip.bytes, 16);
		return 0;
	}
	n = nl_addr_list(in->ctl->ifindex, family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET,
			 family == AF_INET6, addrs, 16);
	for (i = 0; i < n; i++) {
		for (j = 0, is_vip = false; j < cfg_inst_n_addrs(ci); j++)
			is_vip |= addr_eq(family, cfg_inst_addr(ci, j)->addr.bytes, addrs[i]);
		if (!is_vip) {
			memcpy(in->primary.bytes, addrs[i], 16);
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* ---- instances ---- */

static void inst_free(struct ctl *c, struct vrrp_inst *in)
{
	if (!in)
		return;
	ev_timer_free(c->loop, in->t);
	ev_timer_free(c->loop, in->t_garp);
	ev_timer_free(c->loop, in->t_ready);
	free(in->track_up);
	free(in);
}

static struct vrrp_inst *inst_new(struct ctl *c, const struct cfg_vrrp_instance *ci)
{
	struct vrrp_inst *in = calloc(1, sizeof(*in));
	struct vrrp_fsm_config fc;
	struct nl_link_info li;
	char a[64];
	int i, err;

	if (!in)
		return NULL;
	in->ctl = c;
	in->ci = ci;
	in->t = ev_timer_new(on_fsm_timer, in);
	in->t_garp = ev_timer_new(on_garp_timer, in);
	in->t_ready = ev_timer_new(on_ready_timer, in);
	in->track_up = calloc(ci->n_track_if + 1, sizeof(bool));
	if (!in->t || !in->t_garp || !in->t_ready || !in->track_up)
		goto err;
	for (i = 0; i < ci->n_track_if; i++)
		in->track_up[i] = !nl_link_get(ci->track_if[i].name, &li) && li.up;
	err = pick_primary(in);
	if (err) {
		pr_err("vrrp %s: %s has no %s address to send adverts from", ci->name,
		       c->ifname, af_of(in) == AF_INET6 ? "link-local IPv6" : "IPv4");
		goto err;
	}
	vrrp_fsm_config_from(&fc, ci, &in->primary);
	err = vrrp_fsm_init(&in->fsm, &fc);
	if (err) {
		pr_err("vrrp %s: invalid settings", ci->name);
		goto err;
	}
	inet_ntop(af_of(in), &in->primary, a, sizeof(a));
	pr_info("vrrp %s: VRID %u, VRRPv%d, priority %u, advert every %llu ms, from %s%s",
		ci->name, ci->vrid, ci->version, ci->priority,
		(unsigned long long)ci->advert_int_us / 1000, a,
		ci->n_unicast_peers ? " (unicast)" : "");
	return in;
err:
	inst_free(c, in);
	return NULL;
}

static void inst_start(struct vrrp_inst *in)
{
	bool fault;
	int p = effective_priority(in, &fault);
	int i;

	in->prev = VRRP_INIT;
	if (p != in->fsm.priority)
		vrrp_fsm_set_priority(&in->fsm, now_us(), p);
	if (fault)
		vrrp_fsm_fault(&in->fsm, now_us(), true);
	act(in, vrrp_fsm_start(&in->fsm, now_us()));
	/* A VIP that was static (or left over) becomes VRRP's from now on. */
	if (in->fsm.state != VRRP_MASTER)
		for (i = 0; i < cfg_inst_n_addrs(in->ci); i++)
			ctl_vip_set_active(in->ctl, &cfg_inst_addr(in->ci, i)->addr, false);
}

static int scripts_start(struct ctl *c, const struct cfg *cfg)
{
	struct vrrp_io *io = c->vrrp_io;
	int i;

	io->scripts = calloc(cfg->n_scripts + 1, sizeof(*io->scripts));
	if (!io->scripts)
		return -ENOMEM;
	io->n_scripts = cfg->n_scripts;
	for (i = 0; i < cfg->n_scripts; i++) {
		struct vrrp_script_run *r = &io->scripts[i];

		r->ctl = c;
		r->s = &cfg->scripts[i];
		r->ok = true;	/* keepalived: good until it fails (no init_fail) */
		r->t = ev_timer_new(on_script_timer, r);
		if (!r->t)
			return -ENOMEM;
		ev_timer_arm(c->loop, r->t, 0);
	}
	return 0;
}

static void scripts_stop(struct ctl *c)
{
	struct vrrp_io *io = c->vrrp_io;
	int i;

	for (i = 0; io && i < io->n_scripts; i++) {
		if (io->scripts[i].pid)
			kill(io->scripts[i].pid, SIGKILL);
		ev_timer_free(c->loop, io->scripts[i].t);
	}
	if (io) {
		free(io->scripts);
		io->scripts = NULL;
		io->n_scripts = 0;
	}
}

static bool on_this_if(const struct ctl *c, const struct cfg_vrrp_instance *ci)
{
	return !strcmp(ci->ifname, c->ifname);
}

static int io_open(struct ctl *c)
{
	struct vrrp_io *io = calloc(1, sizeof(*io));
	bool v4 = false, v6 = false, mc4 = false, mc6 = false, arp = false, nd = false;
	int i, k, err = 0;

	if (!io)
		return -ENOMEM;
	io->fd4 = io->fd6 = io->arp_fd = io->nd_fd = -1;
	c->vrrp_io = io;
	for (i = 0; i < c->cfg->n_instances; i++) {
		const struct cfg_vrrp_instance *ci = &c->cfg->instances[i];

		if (!on_this_if(c, ci))
			continue;
		if (ci->family == AF_INET6) {
			v6 = true;
			mc6 |= !ci->n_unicast_peers;
		} else {
			v4 = true;
			mc4 |= !ci->n_unicast_peers;
		}
		/* announcements go by the address's family, not the
		 * instance's: virtual_ipaddress_excluded may mix them */
		for (k = 0; k < cfg_inst_n_addrs(ci); k++) {
			nd |= cfg_inst_addr(ci, k)->addr.family == AF_INET6;
			arp |= cfg_inst_addr(ci, k)->addr.family == AF_INET;
		}
	}
	if (v4) {
		io->fd4 = open4(c, mc4);
		err = io->fd4 < 0 ? io->fd4 : ev_fd_add(c->loop, io->fd4, EPOLLIN, on_rx4, c);
	}
	if (!err && v6) {
		io->fd6 = open6(c, mc6);
		err = io->fd6 < 0 ? io->fd6 : ev_fd_add(c->loop, io->fd6, EPOLLIN, on_rx6, c);
	}
	if (!err && arp) {
		io->arp_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
		err = io->arp_fd < 0 ? -errno : 0;
	}
	if (!err && nd) {
		io->nd_fd = open_nd(c);
		err = io->nd_fd < 0 ? io->nd_fd : 0;
	}
	if (err)
		pr_err("vrrp: cannot open sockets on %s: %s", c->ifname, strerror(-err));
	return err;
}

static void io_close(struct ctl *c)
{
	struct vrrp_io *io = c->vrrp_io;

	if (!io)
		return;
	if (io->fd4 >= 0) {
		ev_fd_del(c->loop, io->fd4);
		close(io->fd4);
	}
	if (io->fd6 >= 0) {
		ev_fd_del(c->loop, io->fd6);
		close(io->fd6);
	}
	if (io->arp_fd >= 0)
		close(io->arp_fd);
	if (io->nd_fd >= 0)
		close(io->nd_fd);
	free(io);
	c->vrrp_io = NULL;
}

int ctl_vrrp_start(struct ctl *c)
{
	int i, err;

	if (!c->cfg)
		return 0;
	for (i = 0; i < c->cfg->n_instances; i++)
		c->n_vrrp += on_this_if(c, &c->cfg->instances[i]);
	if (!c->n_vrrp) {
		/* Likely a config written for another node's interface names. */
		if (c->cfg->n_instances)
			pr_warn("no vrrp_instance is on %s (vrrp_instance %s is on %s): static mode, "
				"every VIP active", c->ifname, c->cfg->instances[0].name,
				c->cfg->instances[0].ifname);
		return 0;
	}
	err = io_open(c);
	err = err ?: scripts_start(c, c->cfg);
	if (err)
		return err;
	c->vrrp = calloc(c->n_vrrp + 1, sizeof(*c->vrrp));
	if (!c->vrrp)
		return -ENOMEM;
	c->n_vrrp = 0;
	for (i = 0; i < c->cfg->n_instances; i++) {
		const struct cfg_vrrp_instance *ci = &c->cfg->instances[i];

		if (!on_this_if(c, ci))
			continue;
		c->vrrp[c->n_vrrp] = inst_new(c, ci);
		if (!c->vrrp[c->n_vrrp])
			return -EINVAL;
		c->n_vrrp++;
	}
	for (i = 0; i < c->n_vrrp; i++)
		inst_start(c->vrrp[i]);
	return 0;
}

void ctl_vrrp_stop(struct ctl *c)
{
	int i;

	for (i = 0; i < c->n_vrrp; i++)
		act(c->vrrp[i], vrrp_fsm_stop(&c->vrrp[i]->fsm, now_us()));
	for (i = 0; i < c->n_vrrp; i++)
		inst_free(c, c->vrrp[i]);
	free(c->vrrp);
	c->vrrp = NULL;
	c->n_vrrp = 0;
	scripts_stop(c);
	io_close(c);
}

static bool same_instance(const struct cfg_vrrp_instance *a, const struct cfg_vrrp_instance *b)
{
	return !strcmp(a->name, b->name) && a->vrid == b->vrid && a->family == b->family &&
	       a->version == b->version && a->advert_int_us == b->advert_int_us &&
	       a->n_unicast_peers == b->n_unicast_peers &&
	       !memcmp(&a->unicast_src_ip, &b->unicast_src_ip, sizeof(a->unicast_src_ip)) &&
	       !memcmp(&a->mcast_src_ip, &b->mcast_src_ip, sizeof(a->mcast_src_ip));
}

static bool has_vip(const struct cfg_vrrp_instance *ci, const struct cfg_vip_addr *v)
{
	int i;

	for (i = 0; i < cfg_inst_n_addrs(ci); i++) {
		const struct cfg_vip_addr *o = cfg_inst_addr(ci, i);

		if (cfg_addr_eq(&o->addr, &v->addr) && o->prefix == v->prefix &&
		    !strcmp(o->dev, v->dev))
			return true;
	}
	return false;
}

/* A kept instance takes its new config; a Master gives up the VIPs that
 * went and takes the new ones at once (in the same order as a takeover
 * and a step-down: forward first, address after; address first, forward
 * last). */
static void retarget(struct vrrp_inst *in, const struct cfg_vrrp_instance *ci)
{
	const struct cfg_vrrp_instance *old = in->ci;
	bool master = in->fsm.state == VRRP_MASTER, added = false;
	int i;

	for (i = 0; master && i < cfg_inst_n_addrs(old); i++)
		if (!has_vip(ci, cfg_inst_addr(old, i))) {
			set_addr(in, cfg_inst_addr(old, i), false);
			ctl_vip_set_active(in->ctl, &cfg_inst_addr(old, i)->addr, false);
		}
	in->ci = ci;
	for (i = 0; master && i < cfg_inst_n_addrs(ci); i++)
		if (!has_vip(old, cfg_inst_addr(ci, i))) {
			ctl_vip_set_active(in->ctl, &cfg_inst_addr(ci, i)->addr, true);
			set_addr(in, cfg_inst_addr(ci, i), true);
			added = true;
		}
	if (added)
		announce(in, ci->garp_master_repeat);
	if (master)
		ctl_write_state(in->ctl);
}

/*
 * Called with c->cfg already the new config (the old one still valid).
 * An instance that is the same in the new config (name, VRID, version,
 * interval, addressing) keeps running: a Master stays Master with no gap
 * in its adverts. Changed instances restart; removed ones stop.
 */
int ctl_vrrp_reload(struct ctl *c, const struct cfg *new)
{
	const struct cfg_vrrp_instance **cis;
	struct vrrp_inst **next, *in;
	bool *fresh;
	int i, j, k, n = 0, m = 0, err = 0;

	next = calloc(new->n_instances + 1, sizeof(*next));
	cis = calloc(new->n_instances + 1, sizeof(*cis));
	fresh = calloc(new->n_instances + 1, sizeof(*fresh));
	if (!next || !cis || !fresh) {
		err = -ENOMEM;
		goto out;
	}
	/* What the new file keeps, in its order (NULL: an instance to make). */
	for (i = 0; i < new->n_instances; i++) {
		if (!on_this_if(c, &new->instances[i]))
			continue;
		cis[n] = &new->instances[i];
		for (j = 0; j < c->n_vrrp && !next[n]; j++)
			if (same_instance(c->vrrp[j]->ci, cis[n]))
				next[n] = c->vrrp[j];
		n++;
	}
	/*
	 * What it does not keep stops now (priority 0 if Master, VIPs go),
	 * one at a time with c->vrrp whole at every step: the state file
	 * written on each change lists every instance in it.
	 */
	for (j = 0; j < c->n_vrrp;) {
		in = c->vrrp[j];
		for (k = 0; k < n && next[k] != in; k++)
			;
		if (k < n) {
			j++;
			continue;
		}
		act(in, vrrp_fsm_stop(&in->fsm, now_us()));
		memmove(c->vrrp + j, c->vrrp + j + 1, (c->n_vrrp - j - 1) * sizeof(*c->vrrp));
		c->n_vrrp--;
		inst_free(c, in);
	}
	scripts_stop(c);
	io_close(c);
	err = io_open(c);
	err = err ?: scripts_start(c, new);
	/* New instances are made before they join c->vrrp (one that cannot
	 * be made is left out); m <= k, so next[] is compacted in place. */
	for (k = 0; k < n; k++) {
		in = next[k];
		if (!in && (err || !(in = inst_new(c, cis[k])))) {
			err = err ?: -EINVAL;
			continue;
		}
		fresh[m] = !next[k];
		cis[m] = cis[k];
		next[m++] = in;
	}
	free(c->vrrp);
	c->vrrp = next;
	c->n_vrrp = m;
	next = NULL;
	for (k = 0; k < m; k++) {
		in = c->vrrp[k];
		if (fresh[k]) {
			inst_start(in);
		} else {
			retarget(in, cis[k]);
			act(in, vrrp_fsm_set_priority(&in->fsm, now_us(), cis[k]->priority));
		}
	}
	if (!err)
		retrack(c);
out:
	free(next);
	free(cis);
	free(fresh);
	return err;
}

int ctl_vrrp_reopen(struct ctl *c)
{
	int i, err;

	if (!c->n_vrrp)
		return 0;
	scripts_stop(c);
	io_close(c);
	err = io_open(c);
	err = err ?: scripts_start(c, c->cfg);
	for (i = 0; !err && i < c->n_vrrp; i++)
		err = pick_primary(c->vrrp[i]);
	return err;
}

bool ctl_vrrp_wants_xdp(const struct ctl *c)
{
	int i;

	for (i = 0; i < c->n_vrrp; i++)
		if (c->vrrp[i]->fsm.state == VRRP_MASTER || c->vrrp[i]->ready)
			return true;
	return false;
}

int ctl_vrrp_vip_state(const struct ctl *c, const struct cfg_addr *vip)
{
	int i, state = -1;

	for (i = 0; c->cfg && i < c->cfg->n_instances; i++)
		if (on_this_if(c, &c->cfg->instances[i]) &&
		    cfg_inst_owns(&c->cfg->instances[i], vip))
			state = 0;
	for (i = 0; i < c->n_vrrp; i++)
		if (cfg_inst_owns(c->vrrp[i]->ci, vip) &&
		    c->vrrp[i]->fsm.state == VRRP_MASTER)
			return 1;
	return state;
}

void ctl_vrrp_status(const struct ctl *c, struct ctl_status_out *o)
{
	char a[64], p[64];
	int i, r;

	json_arr_open(o->j, "vrrp");
	for (i = 0; i < c->n_vrrp; i++) {
		const struct vrrp_inst *in = c->vrrp[i];
		const struct vrrp_fsm *f = &in->fsm;
		bool is_master = f->state == VRRP_MASTER;

		if (is_master)
			inet_ntop(af_of(in), &in->primary, a, sizeof(a));
		else if (f->master_priority)
			inet_ntop(af_of(in), &f->master_addr, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "-");
		json_obj_open(o->j, NULL);
		json_str(o->j, "instance", in->ci->name);
		json_u64(o->j, "vrid", in->ci->vrid);
		json_u64(o->j, "version", in->ci->version);
		json_str(o->j, "state", vrrp_state_str(f->state));
		json_u64(o->j, "priority", in->ci->priority);
		json_u64(o->j, "effective_priority", f->priority);
		json_str(o->j, "master", a);
		json_u64(o->j, "advert_int_ms", in->ci->advert_int_us / 1000);
		json_u64(o->j, "adverts_sent", in->adverts_tx);
		json_u64(o->j, "adverts_received", in->adverts_rx);
		json_u64(o->j, "became_master", in->became_master);
		json_arr_open(o->j, "unicast_peers");	/* empty: multicast */
		for (r = 0; r < in->ci->n_unicast_peers; r++)
			json_str(o->j, NULL, cfg_addr_str(&in->ci->unicast_peers[r], p, sizeof(p)));
		json_arr_close(o->j);
		json_obj_open(o->j, "discarded");
		for (r = 1; r < DROP_COUNT; r++)
			json_u64(o->j, drop_str(r), in->drops[r]);
		json_obj_close(o->j);
		json_obj_close(o->j);
		fprintf(o->txt, "vrrp %s: VRID %u %s, priority %u (effective %u), master %s, "
			"advert %llu ms %s, sent %llu, received %llu\n", in->ci->name,
			in->ci->vrid, vrrp_state_str(f->state), in->ci->priority, f->priority, a,
			(unsigned long long)in->ci->advert_int_us / 1000,
			in->ci->n_unicast_peers ? "unicast" : "multicast",
			(unsigned long long)in->adverts_tx, (unsigned long long)in->adverts_rx);
	}
	json_arr_close(o->j);
}

/* interface="...",instance="..." of instance I, escaped. */
static const char *inst_labels(const struct ctl *c, int i, char *buf, size_t len)
{
	char ifn[3 * IFNAMSIZ], name[3 * CFG_NAME_MAX];

	snprintf(buf, len, "interface=\"%s\",instance=\"%s\"",
		 prom_escape(c->ifname, ifn, sizeof(ifn)),
		 prom_escape(c->vrrp[i]->ci->name, name, sizeof(name)));
	return buf;
}

void ctl_vrrp_metrics(const struct ctl *c, FILE *f)
{
	char l[3 * IFNAMSIZ + 3 * CFG_NAME_MAX + 32];
	int i, r;

	if (!c->n_vrrp)
		return;
	prom_family(f, "lbctl_vrrp_master", "gauge",
		    "1 while this node is MASTER of the instance.");
	for (i = 0; i < c->n_vrrp; i++)
		fprintf(f, "lbctl_vrrp_master{%s,vrid=\"%u\"} %d\n",
			inst_labels(c, i, l, sizeof(l)), c->vrrp[i]->ci->vrid,
			c->vrrp[i]->fsm.state == VRRP_MASTER);
	prom_family(f, "lbctl_vrrp_adverts_discarded_total", "counter",
		    "Adverts discarded, by reason.");
	for (i = 0; i < c->n_vrrp; i++)
		for (r = 1; r < DROP_COUNT; r++)
			fprintf(f, "lbctl_vrrp_adverts_discarded_total{%s,reason=\"%s\"} %llu\n",
				inst_labels(c, i, l, sizeof(l)), drop_str(r),
				(unsigned long long)c->vrrp[i]->drops[r]);
	prom_family(f, "lbctl_vrrp_became_master_total", "counter", "Transitions to MASTER.");
	for (i = 0; i < c->n_vrrp; i++)
		fprintf(f, "lbctl_vrrp_became_master_total{%s} %llu\n",
			inst_labels(c, i, l, sizeof(l)),
			(unsigned long long)c->vrrp[i]->became_master);
}
