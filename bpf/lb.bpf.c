// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's data plane: direct-server-return load balancing in XDP.
 *
 * A packet for an active VIP service leaves on the same interface with only
 * its Ethernet addresses rewritten (destination: the chosen real server,
 * source: this interface) and XDP_TX; the real server holds the VIP on its
 * loopback and answers the client itself. Everything else is XDP_PASS,
 * byte for byte.
 *
 * Established flows cost one hash lookup (conntrack) plus array lookups
 * reached by index from it: the backend, its service, the counters. Only a
 * conntrack miss looks the service up by (VIP, port, proto) and consults
 * its Maglev table.
 */
#include "lb_parse.h"
#include "lb_maps.h"
#include "lb_hash.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; read-only afterwards, so the verifier
 * folds them into constants. */
const volatile __u8 if_mac[ETH_ALEN];
/* New conntrack entries per CPU per second; 0 = no limit. */
const volatile __u32 conn_rate_max = LB_CONN_RATE;

#define NS_PER_SEC		1000000000ull

static __always_inline int verdict_pass(struct lb_global_stats *g, __u64 *reason)
{
	(*reason)++;
	g->verdict_pass++;
	return XDP_PASS;
}

static __always_inline int verdict_drop(struct lb_global_stats *g, __u64 *reason,
					__u32 svc_id)
{
	struct lb_counters *sc = bpf_map_lookup_elem(&service_stats, &svc_id);

	if (sc)
		sc->drops++;
	(*reason)++;
	g->verdict_drop++;
	return XDP_DROP;
}

static __always_inline bool vip_active(const struct lb_flow *f)
{
	struct lb_vip_key k = { .family = f->family };
	struct lb_vip *v;

	__builtin_memcpy(k.addr, f->dst, sizeof(k.addr));
	v = bpf_map_lookup_elem(&vips, &k);
	return v && (v->flags & LB_VIP_F_ACTIVE);
}

/* A remembered backend is still good for its flow: same slot occupant,
 * healthy, MAC known. Weight is not checked: a drained backend keeps the
 * flows it has. Whether its service is active here is the caller's call. */
static __always_inline struct lb_backend *conn_backend(const struct lb_conn *c,
						       struct lb_service **svcp,
						       __u32 *svc_id)
{
	__u32 bid = c->backend_id;
	struct lb_backend *be = bpf_map_lookup_elem(&backends, &bid);
	struct lb_service *svc;

	if (!be || be->gen != c->backend_gen ||
	    (be->flags & LB_BE_F_USABLE) != LB_BE_F_USABLE)
		return NULL;
	*svc_id = be->svc_id;
	svc = bpf_map_lookup_elem(&service_info, svc_id);
	if (!svc)
		return NULL;
	*svcp = svc;
	return be;
}

/* slack: how far last_seen may lag the flow's last packet (a granule for
 * flow entries, refreshed lazily; 0 for affinity ones, refreshed always),
 * so that nothing expires before timeout seconds of silence. A flow whose
 * client has sent FIN lives the service's fin_timeout_s (by default
 * LB_CONN_FIN_TIMEOUT_S) past its last packet, as IPVS's tcpfin: left for
 * the service's timeout (by default until evicted), it would catch the next
 * connection from the same client port on a node that does not see that
 * connection's SYN (a backup, until a failover), and send it to the server
 * the closed one had under the old server set. */
static __always_inline bool conn_expired(const struct lb_service *svc,
					 const struct lb_conn *c, __u64 now, __u64 slack)
{
	__u64 t = lb_conn_timeout_s(svc, c);

	return t && now - c->last_seen_ns > t * NS_PER_SEC + slack;
}

static __always_inline __u32 maglev_pick(const struct lb_service *svc, __u32 svc_id,
					 const struct lb_flow *f)
{
	__u32 hash, idx, *bid;
	void *table;

	if (!svc->table_size)
		return LB_BACKEND_NONE;
	table = bpf_map_lookup_elem(&maglev, &svc_id);
	if (!table)
		return LB_BACKEND_NONE;
	if (svc->flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY))
		hash = lb_hash_src(f->src);
	else
		hash = lb_hash_flow(f->src, f->dst, f->sport, f->dport, f->proto);
	idx = hash % svc->table_size;
	bid = bpf_map_lookup_elem(table, &idx);
	return bid ? *bid : LB_BACKEND_NONE;
}

/* A flow the sorry server took while nothing else was usable goes back to
 * the real servers as soon as the table has one for it again (the table
 * holds the sorry server alone only while it is in charge). */
static __always_inline bool sorry_outlived(const struct lb_service *svc, __u32 svc_id,
					   const struct lb_backend *be, const struct lb_flow *f)
{
	struct lb_backend *nb;
	__u32 bid;

	if (!(be->flags & LB_BE_F_SORRY))
		return false;
	bid = maglev_pick(svc, svc_id, f);
	nb = bpf_map_lookup_elem(&backends, &bid);
	return nb && !(nb->flags & LB_BE_F_SORRY) &&
	       (nb->flags & LB_BE_F_USABLE) == LB_BE_F_USABLE;
}

static __always_inline int forward(struct xdp_md *ctx, struct lb_global_stats *g,
				   const struct lb_backend *be, __u32 bid,
				   __u32 svc_id, bool new_flow)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 bytes = data_end - data;
	struct lb_counters *c;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	eth->h_source[0] = if_mac[0];
	eth->h_source[1] = if_mac[1];
	eth->h_source[2] = if_mac[2];
	eth->h_source[3] = if_mac[3];
	eth->h_source[4] = if_mac[4];
	eth->h_source[5] = if_mac[5];

	c = bpf_map_lookup_elem(&backend_stats, &bid);
	if (c) {
		c->packets++;
		c->bytes += bytes;
		c->new_flows += new_flow;
	}
	c = bpf_map_lookup_elem(&service_stats, &svc_id);
	if (c) {
		c->packets++;
		c->bytes += bytes;
		c->new_flows += new_flow;
	}
	g->verdict_tx++;
	return XDP_TX;
}

/*
 * Whether to remember a new flow in conntrack. A TCP SYN is not: it is
 * held in the handshake table, and the flow enters conntrack at its first
 * non-SYN packet. So a SYN flood from spoofed sources, which never
 * completes a handshake, cannot evict established flows. Other new flows
 * spend a per-CPU budget.
 */
static __always_inline bool conn_admit(struct lb_global_stats *g, const struct pkt *p,
				       __u64 now)
{
	struct lb_conn_rate *r;
	__u32 zero = 0;

	if (p->syn) {
		g->conn_syn_untracked++;
		return false;
	}
	if (!conn_rate_max)
		return true;
	r = bpf_map_lookup_elem(&conn_rate, &zero);
	if (!r)
		return true;
	if (now - r->window_ns > NS_PER_SEC) {
		r->window_ns = now;
		r->inserts = 0;
	}
	if (r->inserts >= conn_rate_max) {
		g->conn_rate_limited++;
		return false;
	}
	r->inserts++;
	return true;
}

/* The backend a handshake in progress was given, if it can still serve
 * this service: its SYN retransmissions and its ACK follow the SYN even
 * when the Maglev table changed meanwhile. The hold ends at the ACK (the
 * flow is then in conntrack) or LB_HANDSHAKE_TIMEOUT_S after the SYN: an
 * entry left by a handshake that never completed must not place a later
 * connection from the same port, least of all on a node that sees only
 * its mid-stream packets after a failover (it would send them to a server
 * that never had the connection). */
static __always_inline __u32 handshake_backend(const struct pkt *p, __u32 svc_id, __u64 now)
{
	struct lb_service *osvc;
	struct lb_backend *be;
	struct lb_conn *h;
	__u32 owner;

	if (p->flow.proto != IPPROTO_TCP || p->kind == PKT_ICMP_ERR)
		return LB_BACKEND_NONE;
	h = bpf_map_lookup_elem(&handshakes, &p->flow);
	if (!h || now - h->last_seen_ns > LB_HANDSHAKE_TIMEOUT_S * NS_PER_SEC)
		return LB_BACKEND_NONE;
	be = conn_backend(h, &osvc, &owner);
	if (!be || owner != svc_id)
		return LB_BACKEND_NONE;
	return h->backend_id;
}

static __always_inline void frag_remember(const struct pkt *p)
{
	struct lb_frag_key k = {
		.id = p->frag_id,
		.proto = p->flow.proto,
		.family = p->flow.family,
	};
	struct lb_frag v = { .sport = p->flow.sport, .dport = p->flow.dport };

	__builtin_memcpy(k.src, p->flow.src, sizeof(k.src));
	__builtin_memcpy(k.dst, p->flow.dst, sizeof(k.dst));
	bpf_map_update_elem(&fragments, &k, &v, BPF_ANY);
}

/* Later fragments carry no ports: borrow them from the first fragment, so
 * the whole datagram follows the flow's backend. A later fragment that
 * arrives before its first cannot be placed and is dropped (counted). */
static __always_inline bool frag_recall(struct pkt *p)
{
	struct lb_frag_key k = {
		.id = p->frag_id,
		.proto = p->flow.proto,
		.family = p->flow.family,
	};
	struct lb_frag *v;

	__builtin_memcpy(k.src, p->flow.src, sizeof(k.src));
	__builtin_memcpy(k.dst, p->flow.dst, sizeof(k.dst));
	v = bpf_map_lookup_elem(&fragments, &k);
	if (!v)
		return false;
	p->flow.sport = v->sport;
	p->flow.dport = v->dport;
	return true;
}

static __always_inline int parse(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct lb_vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > data_end)
			return PARSE_PASS;
		proto = vh->proto;
		off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, data_end, off, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(data, data_end, off, p);
	return PARSE_PASS;
}

static __always_inline bool mac_is_ours(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *d = data;

	if ((void *)(d + ETH_ALEN) > data_end)
		return false;
	return d[0] == if_mac[0] && d[1] == if_mac[1] && d[2] == if_mac[2] &&
	       d[3] == if_mac[3] && d[4] == if_mac[4] && d[5] == if_mac[5];
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	struct lb_service *svc;
	struct lb_backend *be;
	struct lb_svc_key sk;
	struct lb_svc_ref *ref;
	struct lb_global_stats *g;
	struct lb_conn *c, *reused, nc;
	struct pkt p = {};
	__u32 zero = 0, svc_id, bid, held;
	bool affinity, new_flow = false, closed = false;
	__u64 now;
	int ret;

	g = bpf_map_lookup_elem(&stats, &zero);
	if (!g)
		return XDP_PASS;
	g->packets++;

	/* A bridge floods unknown unicast to every port: forwarding a copy not
	 * addressed to us would duplicate the flow on a second server. */
	if (!mac_is_ours(ctx))
		return verdict_pass(g, &g->pass_not_local);

	ret = parse(ctx, &p);
	if (ret == PARSE_PASS)
		return verdict_pass(g, &g->pass_not_vip);
	if (ret == PARSE_MALFORMED) {
		if (vip_active(&p.flow))
			return verdict_drop(g, &g->drop_malformed, LB_BACKEND_NONE);
		return verdict_pass(g, &g->pass_not_vip);
	}
	if (p.kind == PKT_FRAG_LATER && !frag_recall(&p)) {
		if (vip_active(&p.flow))
			return verdict_drop(g, &g->drop_frag_unknown, LB_BACKEND_NONE);
		return verdict_pass(g, &g->pass_not_vip);
	}

	/* Established flow: everything else is reached from the entry. A SYN
	 * starts a new connection even when its 5-tuple is remembered (a
	 * reused client port): it is placed afresh, and the entry follows. */
	c = bpf_map_lookup_elem(&conntrack, &p.flow);
	reused = p.syn ? c : NULL;
	if (c && !p.syn) {
		be = conn_backend(c, &svc, &svc_id);
		if (be && !(svc->flags & LB_SVC_F_ACTIVE))
			return verdict_pass(g, &g->pass_inactive);
		if (be) {
			now = bpf_ktime_get_coarse_ns();
			/* A reset ends the connection: it goes where the
			 * connection was, and the entry is forgotten, so that it
			 * cannot outlive it and later catch a new connection
			 * from the same port (on a backup, one made under
			 * another server set). An expired entry is no
			 * connection's: its reset is placed like any other. */
			closed = p.rst && p.kind == PKT_PLAIN;
			if (conn_expired(svc, c, now, LB_LAST_SEEN_GRANULE_NS)) {
				closed = false;
				g->conn_expired++;
			} else if (closed) {
				goto established;
			} else if (sorry_outlived(svc, svc_id, be, &p.flow)) {
				g->conn_resteer++;
			} else {
				if (p.fin && !(c->flags & LB_CONN_F_FIN)) {
					c->flags |= LB_CONN_F_FIN;
					c->last_seen_ns = now;
				} else if (now - c->last_seen_ns > LB_LAST_SEEN_GRANULE_NS) {
					c->last_seen_ns = now;
				}
				goto established;
			}
		} else {
			g->conn_resteer++;
		}
	}

	__builtin_memcpy(sk.addr, p.flow.dst, sizeof(sk.addr));
	sk.port = p.flow.dport;
	sk.proto = p.flow.proto;
	sk.family = p.flow.family;
	ref = bpf_map_lookup_elem(&services, &sk);
	if (!ref)
		return verdict_pass(g, &g->pass_not_vip);
	svc_id = ref->svc_id;
	svc = bpf_map_lookup_elem(&service_info, &svc_id);
	if (!svc || !(svc->flags & LB_SVC_F_ACTIVE))
		return verdict_pass(g, &g->pass_inactive);

	/* Client affinity: one entry per (client, service), not per flow. */
	affinity = svc->flags & LB_SVC_F_AFFINITY;
	now = bpf_ktime_get_coarse_ns();
	if (affinity) {
		p.flow.sport = 0;
		c = bpf_map_lookup_elem(&conntrack, &p.flow);
		if (c) {
			__u32 owner;
			struct lb_service *osvc;

			be = conn_backend(c, &osvc, &owner);
			if (be && owner == svc_id && !conn_expired(svc, c, now, 0) &&
			    !sorry_outlived(svc, svc_id, be, &p.flow)) {
				c->last_seen_ns = now;
				goto established;
			}
		}
	}

	held = !affinity && !reused ? handshake_backend(&p, svc_id, now) : LB_BACKEND_NONE;
	bid = held != LB_BACKEND_NONE ? held : maglev_pick(svc, svc_id, &p.flow);
	be = bpf_map_lookup_elem(&backends, &bid);
	/* The table may name a backend that went away a moment ago, before
	 * the new table was published: better a drop than a wrong server. */
	if (!be || (be->flags & LB_BE_F_USABLE) != LB_BE_F_USABLE || be->svc_id != svc_id)
		return verdict_drop(g, &g->drop_no_backend, svc_id);

	g->conn_miss++;
	/* ICMP errors follow a flow; they do not start one. A flow counts as
	 * new once, when it is remembered (a TCP connection at its ACK). */
	if (p.kind == PKT_ICMP_ERR) {
		g->icmp_steered++;
	} else if (p.rst && p.kind == PKT_PLAIN) {
		/* A reset of a flow not remembered (or remembered on a
		 * server that is gone) ends it here: passed on, nothing
		 * remembered, an aborted handshake forgotten. */
		if (held != LB_BACKEND_NONE)
			bpf_map_delete_elem(&handshakes, &p.flow);
		if (c && !affinity)
			bpf_map_delete_elem(&conntrack, &p.flow);
	} else if (reused) {
		/* Overwriting costs no table space, so floods gain nothing. */
		reused->backend_id = bid;
		reused->backend_gen = be->gen;
		reused->last_seen_ns = now;
		reused->flags = 0;
	} else {
		nc.backend_id = bid;
		nc.backend_gen = be->gen;
		nc.last_seen_ns = now;
		nc.flags = p.fin && !affinity ? LB_CONN_F_FIN : 0;
		nc.pad = 0;
		if (conn_admit(g, &p, now)) {
			new_flow = !bpf_map_update_elem(&conntrack, &p.flow, &nc, BPF_ANY);
			if (new_flow && held != LB_BACKEND_NONE)
				bpf_map_delete_elem(&handshakes, &p.flow);
		} else if (p.syn && !affinity && held == LB_BACKEND_NONE) {
			bpf_map_update_elem(&handshakes, &p.flow, &nc, BPF_ANY);
		}
	}
	if (p.kind == PKT_FRAG_FIRST) {
		g->fragments++;
		frag_remember(&p);
	} else if (p.kind == PKT_FRAG_LATER) {
		g->fragments++;
	}
	return forward(ctx, g, be, bid, svc_id, new_flow);

established:
	g->conn_hit++;
	bid = c->backend_id;
	if (closed) {
		/* the handshake's entry too, or it would hold a new SYN */
		bpf_map_delete_elem(&handshakes, &p.flow);
		if (!bpf_map_delete_elem(&conntrack, &p.flow))
			g->conn_closed++;
	}
	if (p.kind == PKT_ICMP_ERR)
		g->icmp_steered++;
	else if (p.kind == PKT_FRAG_FIRST) {
		g->fragments++;
		frag_remember(&p);
	} else if (p.kind == PKT_FRAG_LATER)
		g->fragments++;
	return forward(ctx, g, be, bid, svc_id, false);
}
