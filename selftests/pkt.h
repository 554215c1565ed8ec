/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet builder for the BPF_PROG_TEST_RUN tests: a declarative spec in,
 * an Ethernet frame out, built from the kernel's own header structs.
 *
 * Ethernet (+ one 802.1Q tag) + IPv4 (options, fragments) or IPv6
 * (extension headers, fragment header) + TCP, UDP, ICMP/ICMPv6 (an error
 * quotes an inner datagram built from its own spec) or any other protocol
 * as raw payload; ARP requests. Lengths and checksums are right unless the
 * spec asks for a lie: an IHL or version that does not match, a length
 * field off by len_delta, a frame cut at `truncate` bytes (with the length
 * fields left as sent, or rewritten to match the cut).
 */
#ifndef LB_TEST_PKT_H
#define LB_TEST_PKT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MAX		2048

/* Not in the UAPI headers (the kernel's is in include/linux/if_vlan.h). */
struct pkt_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* IPv6 fragment header (RFC 8200 4.5). */
struct pkt_frag6_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M */
	__be32 id;
};

struct pkt_spec {
	/* L2 */
	const uint8_t *dmac;	/* NULL: the balancer's own MAC */
	const uint8_t *smac;	/* NULL: pkt_client_mac */
	uint16_t vlan;		/* 802.1Q TCI (PCP, DEI, VID), 0 = untagged */
	uint16_t vlan_tpid;	/* tag protocol, 0 = ETH_P_8021Q */
	uint16_t ethertype;	/* 0: from af; ETH_P_ARP builds an ARP request */
	/* L3 */
	int af;			/* 4 or 6; 0 with ethertype = a bare L2 payload */
	const char *src, *dst;
	uint8_t proto;		/* IPPROTO_* of the L4 header */
	uint8_t ihl;		/* IPv4 IHL field if not 0 (a lie when it differs) */
	uint8_t opt_words;	/* IPv4 options, 4-byte words */
	uint8_t version;	/* version field if not 0 */
	uint8_t ext[8];		/* IPv6 extension headers in order */
	uint8_t n_ext;
	bool frag;		/* IPv4 fragment (IPv6: put IPPROTO_FRAGMENT in ext) */
	bool mf;		/* more fragments */
	uint16_t frag_off;	/* in 8-byte units */
	uint32_t frag_id;
	int len_delta;		/* added to tot_len / payload_len after the build */
	/* L4 */
	uint16_t sport, dport;
	uint8_t tcp_flags;	/* 0 = SYN */
	uint8_t tcp_doff;	/* TCP data offset field if not 0 (a lie unless 5) */
	int udp_len_delta;	/* added to the UDP length field */
	uint8_t icmp_type, icmp_code;
	const struct pkt_spec *inner;	/* datagram quoted by an ICMP error */
	uint16_t quote;		/* bytes of it quoted; 0 = IPv4: header + 8, IPv6: all */
	uint16_t payload;	/* bytes after the L4 header */
	/* the frame */
	uint16_t truncate;	/* cut the frame at this length, 0 = whole */
	bool fix_len;		/* after the cut, make tot_len / payload_len match it */
	uint16_t pad_to;	/* zero-pad the frame to this length (Ethernet minimum) */
};

static const uint8_t pkt_client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static inline void pkt_addr(int af, const char *s, void *out)
{
	if (inet_pton(af == 6 ? AF_INET6 : AF_INET, s, out) != 1) {
		fprintf(stderr, "pkt: bad address %s\n", s);
		abort();
	}
}

static inline uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Pseudo-header sum for TCP, UDP and ICMPv6. */
static inline uint32_t pkt_pseudo(int af, const void *src, const void *dst,
				  uint8_t proto, uint32_t len)
{
	uint32_t sum = 0;
	size_t alen = af == 6 ? 16 : 4;

	sum = pkt_csum_add(sum, src, alen);
	sum = pkt_csum_add(sum, dst, alen);
	sum += proto;
	sum += len >> 16;
	sum += len & 0xffff;
	return sum;
}

/* Recognisable payload bytes, so that a byte moved by the program shows. */
static inline void pkt_fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + 13);
}

static size_t pkt_build_l3(const struct pkt_spec *s, uint8_t *buf);

/* L4 header and payload at l4; returns its length. Checksums need the
 * addresses, so the caller fixes them up afterwards (pkt_l4_csum). */
static inline size_t pkt_build_l4(const struct pkt_spec *s, uint8_t *l4, bool later_frag)
{
	uint8_t inner[PKT_MAX];
	size_t len = 0, ilen, q;

	if (later_frag) {
		pkt_fill(l4, s->payload, 0x40);
		return s->payload;
	}
	switch (s->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = (void *)l4;

		memset(th, 0, sizeof(*th));
		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->seq = htonl(0x10000000u + s->sport);
		th->doff = s->tcp_doff ? s->tcp_doff : 5;
		if (s->tcp_flags)
			((uint8_t *)th)[13] = s->tcp_flags;
		else
			th->syn = 1;
		if (s->tcp_flags & 0x10)	/* ACK */
			th->ack_seq = htonl(0x20000000u);
		th->window = htons(64240);
		len = sizeof(*th);
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons((uint16_t)((int)sizeof(*uh) + s->payload + s->udp_len_delta));
		uh->check = 0;
		len = sizeof(*uh);
		break;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ic = (void *)l4;

		memset(ic, 0, sizeof(*ic));
		ic->type = s->icmp_type;
		ic->code = s->icmp_code;
		if (s->inner) {
			if (s->icmp_type == ICMP_DEST_UNREACH && s->icmp_code == ICMP_FRAG_NEEDED)
				ic->un.frag.mtu = htons(1400);
		} else {
			ic->un.echo.id = htons(0x4c42);
			ic->un.echo.sequence = htons(1);
		}
		len = sizeof(*ic);
		break;
	}
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *ic = (void *)l4;

		memset(ic, 0, sizeof(*ic));
		ic->icmp6_type = s->icmp_type;
		ic->icmp6_code = s->icmp_code;
		if (s->icmp_type == ICMPV6_PKT_TOOBIG)
			ic->icmp6_mtu = htonl(1280);
		len = sizeof(*ic);
		break;
	}
	default:
		break;		/* VRRP and the rest: payload only */
	}
	if (s->inner) {
		ilen = pkt_build_l3(s->inner, inner);
		q = s->quote ? s->quote :
		    s->inner->af == 6 ? ilen : (size_t)(inner[0] & 0xf) * 4 + 8;
		if (q > ilen)
			q = ilen;
		memcpy(l4 + len, inner, q);
		len += q;
	}
	pkt_fill(l4 + len, s->payload, (uint8_t)s->sport);
	return len + s->payload;
}

static inline void pkt_l4_csum(const struct pkt_spec *s, int af, const void *src,
			       const void *dst, uint8_t *l4, size_t len)
{
	uint32_t sum;
	uint16_t *check;

	switch (s->proto) {
	case IPPROTO_TCP:
		check = &((struct tcphdr *)l4)->check;
		break;
	case IPPROTO_UDP:
		check = &((struct udphdr *)l4)->check;
		break;
	case IPPROTO_ICMP:
		check = &((struct icmphdr *)l4)->checksum;
		*check = 0;
		*check = pkt_csum_fold(pkt_csum_add(0, l4, len));
		return;
	case IPPROTO_ICMPV6:
		check = &((struct icmp6hdr *)l4)->icmp6_cksum;
		break;
	default:
		return;
	}
	*check = 0;
	sum = pkt_pseudo(af, src, dst, s->proto, len);
	*check = pkt_csum_fold(pkt_csum_add(sum, l4, len));
	if (s->proto == IPPROTO_UDP && !*check)
		*check = 0xffff;
}

static inline size_t pkt_build_ipv4(const struct pkt_spec *s, uint8_t *buf)
{
	struct iphdr *ip = (void *)buf;
	size_t hl = 20 + 4 * (size_t)s->opt_words, l4len;
	bool later = s->frag && s->frag_off;
	uint16_t fo;

	memset(buf, 0, hl);
	ip->version = s->version ? s->version : 4;
	ip->ihl = s->ihl ? s->ihl : 5 + s->opt_words;
	ip->ttl = 64;
	ip->protocol = s->proto;
	ip->id = htons(s->frag ? (uint16_t)s->frag_id : 0x1234);
	fo = s->frag ? (s->mf ? 0x2000 : 0) | s->frag_off : 0x4000 /* DF */;
	ip->frag_off = htons(fo);
	pkt_addr(4, s->src, &ip->saddr);
	pkt_addr(4, s->dst, &ip->daddr);
	if (s->opt_words) {
		uint8_t *o = buf + 20;

		/* Router Alert, then NOPs, then End of Options: any port read at
		 * a fixed offset 20 would see 0x9404 or 0x0101. */
		memset(o, 1, 4 * (size_t)s->opt_words);
		o[0] = 0x94;
		o[1] = 4;
		o[2] = 0;
		o[3] = 0;
		if (s->opt_words > 1)
			o[4 * s->opt_words - 1] = 0;
	}
	l4len = pkt_build_l4(s, buf + hl, later);
	ip->tot_len = htons((uint16_t)(hl + l4len));
	if (!s->frag)
		pkt_l4_csum(s, 4, &ip->saddr, &ip->daddr, buf + hl, l4len);
	ip->check = 0;
	ip->check = pkt_csum_fold(pkt_csum_add(0, buf, hl));
	return hl + l4len;
}

static inline size_t pkt_build_ipv6(const struct pkt_spec *s, uint8_t *buf)
{
	struct ipv6hdr *ip6 = (void *)buf;
	uint8_t *h = buf + sizeof(*ip6), *nh = &ip6->nexthdr;
	bool later = false, fragmented = false;
	size_t l4len;
	int i;

	memset(ip6, 0, sizeof(*ip6));
	ip6->version = s->version ? s->version : 6;
	ip6->hop_limit = 64;
	pkt_addr(6, s->src, &ip6->saddr);
	pkt_addr(6, s->dst, &ip6->daddr);
	for (i = 0; i < s->n_ext; i++) {
		*nh = s->ext[i];
		switch (s->ext[i]) {
		case IPPROTO_FRAGMENT: {
			struct pkt_frag6_hdr *fh = (void *)h;

			memset(fh, 0, sizeof(*fh));
			fh->frag_off = htons((uint16_t)(s->frag_off << 3 | (s->mf ? 1 : 0)));
			fh->id = htonl(s->frag_id);
			later = s->frag_off != 0;
			fragmented = true;
			nh = &fh->nexthdr;
			h += sizeof(*fh);
			break;
		}
		case IPPROTO_ROUTING:
			/* Type 2 (Mobile IPv6): one address, 24 bytes. */
			memset(h, 0, 24);
			h[1] = 2;
			h[2] = 2;
			h[3] = 1;
			pkt_addr(6, s->dst, h + 8);
			nh = h;
			h += 24;
			break;
		default:
			/* Hop-by-hop / destination options: PadN to 8 bytes. */
			memset(h, 0, 8);
			h[2] = 1;
			h[3] = 4;
			nh = h;
			h += 8;
			break;
		}
	}
	*nh = s->proto;
	l4len = pkt_build_l4(s, h, later);
	if (!fragmented)
		pkt_l4_csum(s, 6, &ip6->saddr, &ip6->daddr, h, l4len);
	ip6->payload_len = htons((uint16_t)(h + l4len - buf - sizeof(*ip6)));
	return (size_t)(h - buf) + l4len;
}

static size_t pkt_build_l3(const struct pkt_spec *s, uint8_t *buf)
{
	return s->af == 6 ? pkt_build_ipv6(s, buf) : pkt_build_ipv4(s, buf);
}

static inline void pkt_set_l3_len(const struct pkt_spec *s, uint8_t *l3, long len)
{
	if (s->af == 6)
		((struct ipv6hdr *)l3)->payload_len = htons((uint16_t)(len - sizeof(struct ipv6hdr)));
	else
		((struct iphdr *)l3)->tot_len = htons((uint16_t)len);
}

static inline long pkt_get_l3_len(const struct pkt_spec *s, const uint8_t *l3)
{
	if (s->af == 6)
		return ntohs(((const struct ipv6hdr *)l3)->payload_len) + sizeof(struct ipv6hdr);
	return ntohs(((const struct iphdr *)l3)->tot_len);
}

/* The whole frame into buf (PKT_MAX bytes); returns its length. */
static inline size_t pkt_build(const struct pkt_spec *s, const uint8_t ifmac[6], uint8_t *buf)
{
	struct ethhdr *eth = (void *)buf;
	uint16_t et = s->ethertype ? s->ethertype : s->af == 6 ? ETH_P_IPV6 : ETH_P_IP;
	size_t off = sizeof(*eth), len;
	uint8_t *l3;

	memset(buf, 0, PKT_MAX);
	memcpy(eth->h_dest, s->dmac ? s->dmac : ifmac, ETH_ALEN);
	memcpy(eth->h_source, s->smac ? s->smac : pkt_client_mac, ETH_ALEN);
	if (s->vlan) {
		struct pkt_vlan_hdr *vh = (void *)(buf + off);

		eth->h_proto = htons(s->vlan_tpid ? s->vlan_tpid : ETH_P_8021Q);
		vh->tci = htons(s->vlan);
		vh->proto = htons(et);
		off += sizeof(*vh);
	} else {
		eth->h_proto = htons(et);
	}
	l3 = buf + off;
	if (et == ETH_P_ARP) {
		/* Request: who has dst? tell src. */
		static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		memcpy(l3, hdr, 8);
		memcpy(l3 + 8, s->smac ? s->smac : pkt_client_mac, 6);
		pkt_addr(4, s->src, l3 + 14);
		pkt_addr(4, s->dst, l3 + 24);
		len = off + 28;
	} else if (s->af) {
		len = off + pkt_build_l3(s, l3);
		if (s->len_delta)
			pkt_set_l3_len(s, l3, pkt_get_l3_len(s, l3) + s->len_delta);
	} else {
		pkt_fill(l3, s->payload, 0x77);
		len = off + s->payload;
	}
	if (s->truncate && s->truncate < len) {
		len = s->truncate;
		if (s->fix_len && s->af)
			pkt_set_l3_len(s, l3, (long)(len - off));
	}
	if (s->pad_to > len) {
		memset(buf + len, 0, s->pad_to - len);
		len = s->pad_to;
	}
	return len;
}

#endif /* LB_TEST_PKT_H */
