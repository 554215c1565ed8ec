/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that crosses the BPF/userspace boundary: map keys and values,
 * flags, limits and counter layouts. Both bpf/ and user/ include this file
 * and nothing else defines these structs. Fixed-width types, explicit
 * padding, network order marked; every size is asserted so that a change
 * on one side cannot silently disagree with the other.
 */
#ifndef LB_SHARED_H
#define LB_SHARED_H

#include <linux/types.h>

/* Defaults for the limits that can be changed when the program is loaded. */
#define LB_MAX_SERVICES		512
#define LB_MAX_BACKENDS		8192
#define LB_CONN_MAX		1000000
#define LB_FRAG_MAX		8192
#define LB_HANDSHAKE_MAX	65536	/* TCP handshakes between SYN and ACK */
#define LB_CONN_RATE		250000	/* new conntrack entries per CPU per second */
#define LB_CONN_FIN_TIMEOUT_S	10	/* idle life of a flow after the client's FIN,
					 * unless the service says (lvs_timeouts tcpfin) */
#define LB_HANDSHAKE_TIMEOUT_S	10	/* a SYN's hold on its server, at most */
#define LB_MAGLEV_SIZE		65537	/* prime; settable per service */
#define LB_MAGLEV_SIZE_MAX	1000003	/* largest accepted table size */

#define LB_BACKEND_NONE		0xffffffffu	/* empty Maglev slot */

/* Bits of lb_service.flags */
#define LB_SVC_F_USED		(1u << 0)	/* slot holds a service */
#define LB_SVC_F_ACTIVE		(1u << 1)	/* this node forwards for the VIP */
#define LB_SVC_F_HASH_SRC	(1u << 2)	/* Maglev on source address (sh) */
#define LB_SVC_F_AFFINITY	(1u << 3)	/* one conn entry per client (persistence) */
#define LB_SVC_F_SORRY_ONLY	(1u << 4)	/* quorum lost: new flows to the sorry server */

/* Bits of lb_backend.flags */
#define LB_BE_F_USED		(1u << 0)	/* slot holds a backend */
#define LB_BE_F_UP		(1u << 1)	/* health check passes (or none) */
#define LB_BE_F_MAC		(1u << 2)	/* MAC resolved */
#define LB_BE_F_SORRY		(1u << 3)	/* sorry server: only when all else is down */
#define LB_BE_F_USABLE		(LB_BE_F_USED | LB_BE_F_UP | LB_BE_F_MAC)

/* Bits of lb_vip.flags */
#define LB_VIP_F_ACTIVE		(1u << 0)

/* Address families as stored in keys (AF_INET/AF_INET6 values). */
#define LB_AF_INET		2
#define LB_AF_INET6		10

/* services: (VIP, port, protocol) -> slot in service_info. */
struct lb_svc_key {
	__be32 addr[4];		/* IPv4 in addr[0], rest zero */
	__be16 port;
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;		/* LB_AF_INET / LB_AF_INET6 */
};

struct lb_svc_ref {
	__u32 svc_id;
};

/* service_info: array indexed by svc_id. */
struct lb_service {
	__u32 flags;		/* LB_SVC_F_* */
	__u32 table_size;	/* entries in this service's Maglev table */
	__u32 timeout_s;	/* idle timeout of its flows, 0 = until evicted */
	__u32 fin_timeout_s;	/* ... after the client's FIN, 0 = LB_CONN_FIN_TIMEOUT_S */
	__u32 gen;		/* bumped each time the slot is reused */
	struct lb_svc_key key;	/* copy of the key, for listings */
};

/* backends: array indexed by backend id. */
struct lb_backend {
	__u8 mac[6];		/* destination MAC, valid with LB_BE_F_MAC */
	__u16 flags;		/* LB_BE_F_* */
	__u32 gen;		/* bumped each time the slot is reused */
	__u32 svc_id;		/* owning service */
	__u32 weight;		/* 0 = drain: keeps flows, takes no new ones */
	__be32 addr[4];
	__u8 family;
	__u8 pad[3];
};

/* vips: VIP address -> active flag. Lets the program tell a malformed
 * packet for a VIP (drop, count) from one that is not its business (pass). */
struct lb_vip_key {
	__be32 addr[4];
	__u8 family;
	__u8 pad[3];
};

struct lb_vip {
	__u32 flags;		/* LB_VIP_F_* */
	__u32 services;		/* number of services on this VIP */
};

/* conntrack: 5-tuple (or client, VIP, port for affinity) -> backend. */
struct lb_flow {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;		/* 0 in affinity entries */
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

#define LB_CONN_F_FIN		(1u << 0)	/* the client has sent FIN */

struct lb_conn {
	__u32 backend_id;
	__u32 backend_gen;	/* must match lb_backend.gen or the entry is stale */
	__u64 last_seen_ns;	/* bpf_ktime_get_coarse_ns(), refreshed at most once a
				 * LB_LAST_SEEN_GRANULE_NS in flow entries */
	__u32 flags;		/* LB_CONN_F_* */
	__u32 pad;
};

/* A flow entry's last_seen is refreshed at most this often: writing a
 * shared cache line on every packet would cost more than the lookup. */
#define LB_LAST_SEEN_GRANULE_NS	(1ull << 30)

/* The idle timeout that applies to a remembered flow, in seconds (0: none):
 * after the client's FIN the service's FIN timeout, as IPVS's tcpfin. The
 * data plane expires by it; listings count by it. */
static inline __u32 lb_conn_timeout_s(const struct lb_service *svc, const struct lb_conn *c)
{
	if (c->flags & LB_CONN_F_FIN)
		return svc->fin_timeout_s ?: LB_CONN_FIN_TIMEOUT_S;
	return svc->timeout_s;
}

/* fragments: first fragment's ports by datagram id, so that the rest of
 * the datagram follows it (as Cilium does). */
struct lb_frag_key {
	__be32 src[4];
	__be32 dst[4];
	__be32 id;		/* IPv4 id in the low 16 bits, or IPv6 id */
	__u8 proto;
	__u8 family;
	__u16 pad;
};

struct lb_frag {
	__be16 sport;
	__be16 dport;
	__u32 pad;
};

/* stats: per-CPU, one entry; every verdict and drop reason is a field. */
struct lb_global_stats {
	__u64 packets;
	__u64 verdict_pass;
	__u64 verdict_tx;
	__u64 verdict_drop;
	__u64 pass_not_local;	/* destination MAC is not ours */
	__u64 pass_not_vip;	/* no service for it */
	__u64 pass_inactive;	/* VIP held by another node */
	__u64 drop_malformed;	/* truncated or inconsistent, for a VIP */
	__u64 drop_no_backend;	/* no usable backend and no sorry server */
	__u64 drop_frag_unknown; /* non-first fragment before its first */
	__u64 conn_hit;
	__u64 conn_miss;
	__u64 conn_resteer;	/* remembered backend unusable: chosen anew */
	__u64 conn_expired;	/* idle longer than the service timeout */
	__u64 icmp_steered;	/* ICMP error sent to its flow's backend */
	__u64 fragments;	/* IP fragments for a service */
	__u64 conn_syn_untracked; /* SYN held in the handshake table, not conntrack */
	__u64 conn_rate_limited; /* new flow forwarded but not remembered */
	__u64 conn_closed;	/* entry removed at the client's TCP reset */
};

/* conn_rate: per-CPU insertion budget of the connection table. */
struct lb_conn_rate {
	__u64 window_ns;	/* start of the current one-second window */
	__u64 inserts;		/* entries inserted in it */
};

/* service_stats and backend_stats: per-CPU arrays indexed by id. */
struct lb_counters {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops;
};

_Static_assert(sizeof(struct lb_svc_key) == 20, "lb_svc_key");
_Static_assert(sizeof(struct lb_svc_ref) == 4, "lb_svc_ref");
_Static_assert(sizeof(struct lb_service) == 40, "lb_service");
_Static_assert(sizeof(struct lb_backend) == 40, "lb_backend");
_Static_assert(sizeof(struct lb_vip_key) == 20, "lb_vip_key");
_Static_assert(sizeof(struct lb_vip) == 8, "lb_vip");
_Static_assert(sizeof(struct lb_flow) == 40, "lb_flow");
_Static_assert(sizeof(struct lb_conn) == 24, "lb_conn");
_Static_assert(sizeof(struct lb_frag_key) == 40, "lb_frag_key");
_Static_assert(sizeof(struct lb_frag) == 8, "lb_frag");
_Static_assert(sizeof(struct lb_global_stats) == 19 * 8, "lb_global_stats");
_Static_assert(sizeof(struct lb_conn_rate) == 16, "lb_conn_rate");
_Static_assert(sizeof(struct lb_counters) == 32, "lb_counters");

#endif /* LB_SHARED_H */
