/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet parsing for the XDP program: Ethernet with at most one VLAN tag,
 * IPv4 with options, IPv6 with a bounded chain of extension headers, TCP,
 * UDP, and the ICMP/ICMPv6 errors whose quoted header names a flow.
 * Every read is bounds-checked against data_end before it happens.
 */
#ifndef LB_PARSE_H
#define LB_PARSE_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "lb_shared.h"

/* Not in the UAPI headers. */
struct lb_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

#define LB_IPV6_EXT_MAX	4	/* extension headers skipped before giving up */
#define LB_IP_MF	0x2000
#define LB_IP_OFFSET	0x1fff

enum parse_result {
	PARSE_OK,		/* flow filled in */
	PARSE_PASS,		/* not ours to judge: hand to the kernel */
	PARSE_MALFORMED,	/* addresses known, rest inconsistent */
};

enum pkt_kind {
	PKT_PLAIN,
	PKT_ICMP_ERR,		/* flow is the quoted packet's, reversed */
	PKT_FRAG_FIRST,		/* ports present, more fragments follow */
	PKT_FRAG_LATER,		/* no ports: look them up by datagram id */
};

struct pkt {
	struct lb_flow flow;
	__be32 frag_id;
	__u8 kind;
	__u8 syn;		/* TCP SYN without ACK: a handshake's first packet */
	__u8 rst;		/* TCP RST: the client ends the connection */
	__u8 fin;		/* TCP FIN: the client has no more to send */
};

/* TCP needs its whole header (data offset included), UDP its 8 bytes and
 * the length it claims, inside the IP packet (l3_end; the frame may carry
 * Ethernet padding beyond it): anything else for a VIP is malformed rather
 * than a packet to guess about. A first fragment's UDP length covers the
 * whole datagram; its TCP header must be whole (RFC 1858's tiny fragments). */
static __always_inline int parse_ports(void *l4, void *data_end, void *l3_end,
				       __u8 proto, struct pkt *p)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end || (void *)(th + 1) > l3_end ||
		    th->doff < 5 || l4 + th->doff * 4 > l3_end)
			return PARSE_MALFORMED;
		p->flow.sport = th->source;
		p->flow.dport = th->dest;
		p->syn = th->syn && !th->ack;
		p->rst = th->rst;
		p->fin = th->fin;
		return PARSE_OK;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > l3_end ||
		    bpf_ntohs(uh->len) < sizeof(*uh) ||
		    (p->kind != PKT_FRAG_FIRST && l4 + bpf_ntohs(uh->len) > l3_end))
			return PARSE_MALFORMED;
		p->flow.sport = uh->source;
		p->flow.dport = uh->dest;
		return PARSE_OK;
	}
	return PARSE_PASS;
}

/* The quoted datagram inside an ICMP error is one the real server sent
 * from the VIP to the client; reversed, it is the client's flow. An error
 * about a datagram from another source (the host's own traffic) is not
 * ours, even when it was sent to the VIP's address. */
static __always_inline int parse_icmp4_err(void *icmp, void *data_end, struct pkt *p)
{
	struct iphdr *in = icmp + sizeof(struct icmphdr);
	__u16 *ports;
	__u32 ihl;

	if ((void *)(in + 1) > data_end)
		return PARSE_MALFORMED;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return PARSE_PASS;
	ihl = in->ihl * 4;
	if (ihl < sizeof(*in))
		return PARSE_MALFORMED;
	ports = (void *)in + ihl;
	if ((void *)(ports + 2) > data_end)
		return PARSE_MALFORMED;
	if (in->saddr != p->flow.dst[0])
		return PARSE_PASS;
	p->flow.src[0] = in->daddr;
	p->flow.dst[0] = in->saddr;
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->flow.proto = in->protocol;
	p->kind = PKT_ICMP_ERR;
	return PARSE_OK;
}

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 off,
				      struct pkt *p)
{
	struct iphdr *ip = data + off;
	__u32 ihl, tot;
	__u16 frag;
	void *l4;

	if ((void *)(ip + 1) > data_end)
		return PARSE_PASS;	/* no destination to judge by */
	p->flow.family = LB_AF_INET;
	p->flow.src[0] = ip->saddr;
	p->flow.dst[0] = ip->daddr;
	p->flow.proto = ip->protocol;

	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl ||
	    (void *)ip + tot > data_end)
		return PARSE_MALFORMED;

	frag = bpf_ntohs(ip->frag_off);
	if (frag & (LB_IP_MF | LB_IP_OFFSET))
		p->frag_id = ip->id;
	if (frag & LB_IP_OFFSET) {
		p->kind = PKT_FRAG_LATER;
		return ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP ?
		       PARSE_OK : PARSE_PASS;
	}
	if (frag & LB_IP_MF)
		p->kind = PKT_FRAG_FIRST;

	l4 = (void *)ip + ihl;
	if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr *ic = l4;

		if ((void *)(ic + 1) > data_end)
			return PARSE_PASS;
		if (ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED)
			return PARSE_PASS;	/* echo and the rest: the kernel's */
		if (p->kind != PKT_PLAIN)
			return PARSE_PASS;
		return parse_icmp4_err(l4, data_end, p);
	}
	return parse_ports(l4, data_end, (void *)ip + tot, ip->protocol, p);
}

static __always_inline int parse_icmp6_err(void *icmp, void *data_end, struct pkt *p)
{
	struct ipv6hdr *in = icmp + sizeof(struct icmp6hdr);
	__u16 *ports = (void *)(in + 1);

	if ((void *)(ports + 2) > data_end)
		return PARSE_MALFORMED;
	if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP)
		return PARSE_PASS;
	if (in->saddr.in6_u.u6_addr32[0] != p->flow.dst[0] ||
	    in->saddr.in6_u.u6_addr32[1] != p->flow.dst[1] ||
	    in->saddr.in6_u.u6_addr32[2] != p->flow.dst[2] ||
	    in->saddr.in6_u.u6_addr32[3] != p->flow.dst[3])
		return PARSE_PASS;
	__builtin_memcpy(p->flow.src, &in->daddr, 16);
	__builtin_memcpy(p->flow.dst, &in->saddr, 16);
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->flow.proto = in->nexthdr;
	p->kind = PKT_ICMP_ERR;
	return PARSE_OK;
}

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 off,
				      struct pkt *p)
{
	struct ipv6hdr *ip6 = data + off;
	void *h, *l3_end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_PASS;
	p->flow.family = LB_AF_INET6;
	__builtin_memcpy(p->flow.src, &ip6->saddr, 16);
	__builtin_memcpy(p->flow.dst, &ip6->daddr, 16);
	l3_end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 || l3_end > data_end)
		return PARSE_MALFORMED;

	nexthdr = ip6->nexthdr;
	h = ip6 + 1;
#pragma unroll
	for (i = 0; i < LB_IPV6_EXT_MAX; i++) {
		if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
		    nexthdr == IPPROTO_DSTOPTS) {
			__u8 *e = h;

			if ((void *)(e + 2) > data_end)
				return PARSE_MALFORMED;
			nexthdr = e[0];
			h += (e[1] + 1) * 8;
		} else if (nexthdr == IPPROTO_FRAGMENT) {
			struct frag_hdr6 {
				__u8 nexthdr, reserved;
				__be16 frag_off;
				__be32 id;
			} *fh = h;
			__u16 fo;

			if ((void *)(fh + 1) > data_end)
				return PARSE_MALFORMED;
			nexthdr = fh->nexthdr;
			fo = bpf_ntohs(fh->frag_off);
			p->frag_id = fh->id;
			if (fo & 0xfff8) {
				p->flow.proto = nexthdr;
				p->kind = PKT_FRAG_LATER;
				return nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_UDP ?
				       PARSE_OK : PARSE_PASS;
			}
			if (fo & 1)
				p->kind = PKT_FRAG_FIRST;
			h = fh + 1;
		} else {
			break;
		}
	}
	p->flow.proto = nexthdr;
	if (nexthdr == IPPROTO_ICMPV6) {
		struct icmp6hdr *ic = h;

		if ((void *)(ic + 1) > data_end)
			return PARSE_PASS;
		/* Neighbour discovery, echo and the rest stay the kernel's. */
		if (ic->icmp6_type != ICMPV6_DEST_UNREACH &&
		    ic->icmp6_type != ICMPV6_PKT_TOOBIG &&
		    ic->icmp6_type != ICMPV6_TIME_EXCEED)
			return PARSE_PASS;
		if (p->kind != PKT_PLAIN)
			return PARSE_PASS;
		return parse_icmp6_err(h, data_end, p);
	}
	if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	    nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT)
		return PARSE_MALFORMED;	/* chain longer than we walk */
	return parse_ports(h, data_end, l3_end, nexthdr, p);
}

#endif
