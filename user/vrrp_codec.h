/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VRRP advertisement encode and decode: RFC 3768 (VRRPv2, IPv4) and
 * RFC 5798 / RFC 9568 (VRRPv3, IPv4 and IPv6). Pure functions over the
 * VRRP message, the bytes after the IP header; no I/O, no allocation, so
 * it can be tested on bytes alone. The IP header itself is the caller's
 * (raw socket with IP_HDRINCL, or the kernel's); what the checks need from
 * it (addresses, TTL) comes in a struct vrrp_ipinfo.
 */
#ifndef LB_VRRP_CODEC_H
#define LB_VRRP_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <netinet/in.h>

#include "cfg.h"		/* enum vrrp_cksum_form */

#define VRRP_IPPROTO		112	/* IANA protocol number, RFC 5798 5.1.1.4 */
#define VRRP_TTL		255	/* RFC 5798 5.1.1.3: sent with and checked for 255 */
#define VRRP_TYPE_ADVERT	1	/* the only type, RFC 5798 5.2.2 */
#define VRRP_HDR_LEN		8
#define VRRP_V2_AUTH_LEN	8	/* RFC 3768 5.3.10: always present in v2 */
#define VRRP_MAX_ADDRS		255	/* the count field is one byte */
#define VRRP_V3_MAX_INT_CS	4095	/* 12 bits of centiseconds, RFC 5798 5.2.7 */
#define VRRP_V2_MAX_INT_S	255	/* one byte of seconds, RFC 3768 5.3.7 */
#define VRRP_PRIO_STOP		0	/* RFC 5798 5.2.4: Master is leaving */
#define VRRP_PRIO_OWNER		255	/* RFC 5798 5.2.4: owns the addresses */

/* The largest message: VRRPv3 over IPv6 with 255 addresses. */
#define VRRP_MSG_MAX		(VRRP_HDR_LEN + VRRP_MAX_ADDRS * 16)

/* RFC 3768 5.3.6. Type 2 (IP AH) is an IP header, not VRRP's to parse. */
enum vrrp_auth_type {
	VRRP_AUTH_NONE = 0,
	VRRP_AUTH_PASS = 1,	/* keepalived "auth_type PASS": 8 bytes of text */
	VRRP_AUTH_AH = 2,
};

/*
 * The fixed part of the message as it is on the wire (RFC 3768 5.1,
 * RFC 5798 5.1). There is no system header for it.
 */
struct vrrp_hdr {
	uint8_t vers_type;		/* version << 4 | type */
	uint8_t vrid;
	uint8_t priority;
	uint8_t naddr;			/* Count IPvX Addr */
	union {
		struct {
			uint8_t auth_type;
			uint8_t adver_int;	/* seconds */
		} v2;
		__be16 v3_max_adver_int;	/* 4 bits reserved, 12 bits
						 * of centiseconds */
	};
	__be16 checksum;
} __attribute__((packed));

_Static_assert(sizeof(struct vrrp_hdr) == VRRP_HDR_LEN, "vrrp_hdr is 8 bytes");

/* An IPv4 or IPv6 address in network order; which one is said elsewhere. */
union vrrp_ip {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t bytes[16];
};

/* The IP-level facts of a packet: what the checks and the checksum need. */
struct vrrp_ipinfo {
	int family;			/* AF_INET or AF_INET6 */
	union vrrp_ip src;		/* IP source (the sender's primary address) */
	union vrrp_ip dst;		/* IP destination (group or unicast peer) */
	uint8_t ttl;			/* IPv4 TTL / IPv6 Hop Limit */
};

/*
 * What vrrp_decode() checks a received packet against: the IP facts plus
 * the receiving instance's settings that RFC 3768 7.1 / RFC 5798 7.1 make
 * part of the validity checks.
 */
struct vrrp_rx_info {
	struct vrrp_ipinfo ip;
	int version;			/* 2 or 3 = the instance's; 0 = either */
	/*
	 * VRRPv2 only: the configured interval in centiseconds. RFC 3768 7.1
	 * (and keepalived) discard a v2 advert whose interval differs. 0 = no
	 * check. VRRPv3 has no such check: Backups learn the Master's.
	 */
	uint16_t v2_adver_int_cs;
	/*
	 * VRRPv2 only: the configured auth_pass (at most 8 bytes, keepalived's
	 * auth_type PASS). NULL or "" = the instance uses no authentication
	 * and expects auth type 0.
	 */
	const char *auth_pass;
};

/* One advertisement, decoded or to encode. */
struct vrrp_advert {
	uint8_t version;		/* 2 or 3 */
	uint8_t vrid;			/* 1..255 */
	uint8_t priority;		/* 0 = stop, 255 = owner */
	uint8_t n_addrs;
	/* VRRPv3's 12-bit field; VRRPv2's seconds are multiplied by 100 */
	uint16_t adver_int_cs;
	uint8_t auth_type;		/* VRRPv2: enum vrrp_auth_type */
	uint8_t auth_data[VRRP_V2_AUTH_LEN]; /* VRRPv2 PASS: text, NUL padded */
	int family;			/* AF_INET or AF_INET6 */
	/*
	 * VRRPv3 over IPv4: the checksum form that matched on decode; not used
	 * by encode (it takes the form as an argument). VRRPv2 is always
	 * NO_PSEUDO and IPv6 always PSEUDO, and decode reports them so.
	 */
	enum vrrp_cksum_form cksum_form;
	union {
		struct in_addr v4[VRRP_MAX_ADDRS];
		struct in6_addr v6[VRRP_MAX_ADDRS];
	} addrs;
};

/*
 * Why a packet was refused. vrrp_decode() returns the negative of one.
 * vrrp_reason_str() names them for counter labels.
 */
enum vrrp_reason {
	VRRP_OK = 0,
	VRRP_ERR_TOO_SHORT,		/* "too_short": shorter than the fixed part */
	VRRP_ERR_FAMILY,		/* "bad_family": not IPv4/IPv6 */
	VRRP_ERR_TTL,			/* "bad_ttl": TTL / hop limit != 255 */
	VRRP_ERR_VERSION,		/* "bad_version": not 2/3, not ours, v2 on IPv6 */
	VRRP_ERR_TYPE,			/* "bad_type": not an advertisement */
	VRRP_ERR_COUNT,			/* "bad_count": count vs length */
	VRRP_ERR_CHECKSUM,		/* "bad_checksum" */
	VRRP_ERR_INTERVAL_ZERO,		/* "zero_interval" */
	VRRP_ERR_INTERVAL_MISMATCH,	/* "interval_mismatch": v2 only */
	VRRP_ERR_AUTH_TYPE,		/* "auth_type_mismatch": v2 only */
	VRRP_ERR_AUTH_PASS,		/* "auth_mismatch": v2 PASS differs */
	VRRP_REASON_MAX,
};

/* snake_case name of a reason ("ok", "bad_ttl", ...); "unknown" if out of range. */
const char *vrrp_reason_str(enum vrrp_reason r);

/* Length of the message for VERSION, FAMILY and N_ADDRS; 0 if impossible. */
size_t vrrp_msg_len(int version, int family, unsigned int n_addrs);

/*
 * The Internet checksum (RFC 1071) of MSG, preceded by the pseudo-header
 * of IP when IP is not NULL: for IPv4 src, dst, zero, protocol 112 and the
 * 16-bit length (RFC 5798 5.2.8, as keepalived sends it); for IPv6 src,
 * dst, 32-bit length, zeros and next header 112 (RFC 8200 8.1). Computed
 * over a message whose checksum field is zero, the result (host order) is
 * what goes in the field; over a message with a correct checksum it is 0.
 */
uint16_t vrrp_checksum(const uint8_t *msg, size_t len, const struct vrrp_ipinfo *ip);

/*
 * Write A into BUF as a VRRP message, checksum included. IP gives the
 * addresses for the pseudo-header; it is needed for VRRPv3 (always over
 * IPv6, over IPv4 when FORM is VRRP_CKSUM_PSEUDO) and may be NULL
 * otherwise. FORM is ignored for VRRPv2 (no pseudo-header, RFC 3768 5.3.8)
 * and for IPv6 (always one). VRRPv2: auth_type and auth_data are sent as
 * they are in A, adver_int_cs must be whole seconds.
 * Returns the number of bytes written, -EINVAL for a bad field, -ERANGE
 * for an interval that does not fit, -EAFNOSUPPORT for VRRPv2 over IPv6 or
 * an unknown family, -ENOSPC if LEN is too small.
 */
int vrrp_encode(const struct vrrp_advert *a, const struct vrrp_ipinfo *ip,
		enum vrrp_cksum_form form, uint8_t *buf, size_t len);

/*
 * Check and decode the VRRP message BUF[0..LEN) that arrived as described
 * by INFO, in the order of RFC 3768 7.1 / RFC 5798 7.1. VRRPv3 over IPv4
 * is accepted with either checksum form (out->cksum_form says which).
 * Returns 0, or -(enum vrrp_reason) with OUT partly written. The VRID is
 * not checked here: the caller demultiplexes on out->vrid.
 */
int vrrp_decode(const uint8_t *buf, size_t len, const struct vrrp_rx_info *info,
		struct vrrp_advert *out);

#endif /* LB_VRRP_CODEC_H */
