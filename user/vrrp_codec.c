// SPDX-License-Identifier: GPL-2.0
/*
 * VRRP advertisement encode/decode. See vrrp_codec.h for the contract.
 *
 * Wire format (RFC 3768 5.1, RFC 5798 5.1):
 *
 *   0      version:4 type:4
 *   1      VRID
 *   2      priority
 *   3      count of addresses
 *   4..5   v2: auth type (1 byte), advert interval in seconds (1 byte)
 *          v3: reserved:4, max advert interval in centiseconds:12
 *   6..7   checksum
 *   8..    addresses (4 or 16 bytes each)
 *   v2 only: 8 bytes of authentication data
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp_codec.h"

static const char *const reason_names[VRRP_REASON_MAX] = {
	[VRRP_OK]			= "ok",
	[VRRP_ERR_TOO_SHORT]		= "too_short",
	[VRRP_ERR_FAMILY]		= "bad_family",
	[VRRP_ERR_TTL]			= "bad_ttl",
	[VRRP_ERR_VERSION]		= "bad_version",
	[VRRP_ERR_TYPE]			= "bad_type",
	[VRRP_ERR_COUNT]		= "bad_count",
	[VRRP_ERR_CHECKSUM]		= "bad_checksum",
	[VRRP_ERR_INTERVAL_ZERO]	= "zero_interval",
	[VRRP_ERR_INTERVAL_MISMATCH]	= "interval_mismatch",
	[VRRP_ERR_AUTH_TYPE]		= "auth_type_mismatch",
	[VRRP_ERR_AUTH_PASS]		= "auth_mismatch",
};

const char *vrrp_reason_str(enum vrrp_reason r)
{
	if ((unsigned int)r >= VRRP_REASON_MAX || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

static size_t addr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

size_t vrrp_msg_len(int version, int family, unsigned int n_addrs)
{
	size_t alen = addr_len(family);

	if (!alen || n_addrs > VRRP_MAX_ADDRS)
		return 0;
	if (version == 2) {
		/* RFC 3768 is IPv4 only; RFC 5798 1 leaves v2 to IPv4 */
		if (family != AF_INET)
			return 0;
		return VRRP_HDR_LEN + n_addrs * alen + VRRP_V2_AUTH_LEN;
	}
	if (version == 3)
		return VRRP_HDR_LEN + n_addrs * alen;
	return 0;
}

/* One's complement sum of big-endian 16-bit words, not yet folded. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;	/* pad with a zero byte */
	return sum;
}

uint16_t vrrp_checksum(const uint8_t *msg, size_t len, const struct vrrp_ipinfo *ip)
{
	uint32_t sum = 0;

	if (ip && ip->family == AF_INET) {
		/* RFC 768-style pseudo-header: src, dst, 0, proto, length */
		sum = sum16(sum, ip->src.bytes, 4);
		sum = sum16(sum, ip->dst.bytes, 4);
		sum += VRRP_IPPROTO;
		sum += (uint32_t)len & 0xffff;
	} else if (ip && ip->family == AF_INET6) {
		/* RFC 8200 8.1: src, dst, 32-bit length, 3 zero bytes, next hdr */
		sum = sum16(sum, ip->src.bytes, 16);
		sum = sum16(sum, ip->dst.bytes, 16);
		sum += (uint32_t)(len >> 16) & 0xffff;
		sum += (uint32_t)len & 0xffff;
		sum += VRRP_IPPROTO;
	}
	sum = sum16(sum, msg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int vrrp_encode(const struct vrrp_advert *a, const struct vrrp_ipinfo *ip,
		enum vrrp_cksum_form form, uint8_t *buf, size_t len)
{
	size_t alen = addr_len(a->family), need, off;
	const struct vrrp_ipinfo *pseudo = NULL;
	uint16_t cksum;
	unsigned int i;

	if (a->version != 2 && a->version != 3)
		return -EINVAL;
	if (!alen || (a->version == 2 && a->family != AF_INET))
		return -EAFNOSUPPORT;
	if (a->adver_int_cs == 0)
		return -EINVAL;

	/*
	 * Which checksum: VRRPv2 over the message only (RFC 3768 5.3.8);
	 * VRRPv3 over IPv6 always with the pseudo-header (RFC 5798 5.2.8);
	 * VRRPv3 over IPv4 as configured, because peers disagree on it.
	 */
	if (a->version == 3 && (a->family == AF_INET6 || form == VRRP_CKSUM_PSEUDO)) {
		if (!ip || ip->family != a->family)
			return -EINVAL;
		pseudo = ip;
	}

	need = vrrp_msg_len(a->version, a->family, a->n_addrs);
	if (len < need)
		return -ENOSPC;

	buf[0] = (uint8_t)(a->version << 4 | VRRP_TYPE_ADVERT);
	buf[1] = a->vrid;
	buf[2] = a->priority;
	buf[3] = a->n_addrs;
	if (a->version == 2) {
		/* v2 carries whole seconds; refuse what would be rounded */
		if (a->adver_int_cs % 100 || a->adver_int_cs / 100 > VRRP_V2_MAX_INT_S)
			return -ERANGE;
		buf[4] = a->auth_type;
		buf[5] = (uint8_t)(a->adver_int_cs / 100);
	} else {
		if (a->adver_int_cs > VRRP_V3_MAX_INT_CS)
			return -ERANGE;
		/* the 4 reserved bits are sent as zero (RFC 5798 5.2.6) */
		buf[4] = (uint8_t)(a->adver_int_cs >> 8);
		buf[5] = (uint8_t)(a->adver_int_cs & 0xff);
	}
	buf[6] = 0;
	buf[7] = 0;

	off = VRRP_HDR_LEN;
	for (i = 0; i < a->n_addrs; i++, off += alen) {
		if (a->family == AF_INET)
			memcpy(buf + off, &a->addrs.v4[i], alen);
		else
			memcpy(buf + off, &a->addrs.v6[i], alen);
	}
	if (a->version == 2) {
		memcpy(buf + off, a->auth_data, VRRP_V2_AUTH_LEN);
		off += VRRP_V2_AUTH_LEN;
	}

	cksum = vrrp_checksum(buf, off, pseudo);
	buf[6] = (uint8_t)(cksum >> 8);
	buf[7] = (uint8_t)(cksum & 0xff);
	return (int)off;
}

/*
 * RFC 5798 5.2.8 has the IPv4 checksum cover a pseudo-header, and
 * keepalived 2.2 sends it so (see selftests/data/vrrp); the other reading,
 * the one RFC 9568's clarification supports, covers the VRRP message alone,
 * and some implementations send that. Either is accepted, so that we
 * interoperate with both; the pseudo-header form is tried first as the one
 * seen in practice.
 */
static int check_v3_ipv4_cksum(const uint8_t *buf, size_t len,
			       const struct vrrp_ipinfo *ip,
			       enum vrrp_cksum_form *form)
{
	if (vrrp_checksum(buf, len, ip) == 0) {
		*form = VRRP_CKSUM_PSEUDO;
		return 0;
	}
	if (vrrp_checksum(buf, len, NULL) == 0) {
		*form = VRRP_CKSUM_NO_PSEUDO;
		return 0;
	}
	return -VRRP_ERR_CHECKSUM;
}

/* RFC 3768 5.3.6 / 7.1: the auth type must match ours, PASS its 8 bytes. */
static int check_v2_auth(const struct vrrp_advert *a, const char *pass)
{
	uint8_t want[VRRP_V2_AUTH_LEN] = { 0 };
	size_t n;

	if (!pass || !pass[0])
		return a->auth_type == VRRP_AUTH_NONE ? 0 : -VRRP_ERR_AUTH_TYPE;
	if (a->auth_type != VRRP_AUTH_PASS)
		return -VRRP_ERR_AUTH_TYPE;
	/* keepalived keeps at most 8 bytes and pads with NULs */
	n = strnlen(pass, VRRP_V2_AUTH_LEN);
	memcpy(want, pass, n);
	if (memcmp(want, a->auth_data, VRRP_V2_AUTH_LEN))
		return -VRRP_ERR_AUTH_PASS;
	return 0;
}

int vrrp_decode(const uint8_t *buf, size_t len, const struct vrrp_rx_info *info,
		struct vrrp_advert *out)
{
	const struct vrrp_ipinfo *ip = &info->ip;
	size_t alen = addr_len(ip->family), off;
	unsigned int i;
	int err;

	if (!alen)
		return -VRRP_ERR_FAMILY;
	if (len < VRRP_HDR_LEN)
		return -VRRP_ERR_TOO_SHORT;
	/* RFC 5798 7.1: TTL 255 proves the sender is on the link */
	if (ip->ttl != VRRP_TTL)
		return -VRRP_ERR_TTL;

	out->version = buf[0] >> 4;
	if (out->version != 2 && out->version != 3)
		return -VRRP_ERR_VERSION;
	if (info->version && out->version != info->version)
		return -VRRP_ERR_VERSION;
	if (out->version == 2 && ip->family != AF_INET)
		return -VRRP_ERR_VERSION;
	if ((buf[0] & 0x0f) != VRRP_TYPE_ADVERT)
		return -VRRP_ERR_TYPE;
	if (out->version == 2 && len < VRRP_HDR_LEN + VRRP_V2_AUTH_LEN)
		return -VRRP_ERR_TOO_SHORT;

	out->family = ip->family;
	out->vrid = buf[1];
	out->priority = buf[2];
	out->n_addrs = buf[3];
	/*
	 * The count must describe the length exactly: a longer packet would
	 * carry addresses we are told not to look at, a shorter one fewer than
	 * announced. (A count of 0 is below RFC 5798's minimum of 1 but says
	 * nothing wrong about the election, so it is let through.)
	 */
	if (len != vrrp_msg_len(out->version, ip->family, out->n_addrs))
		return -VRRP_ERR_COUNT;

	if (out->version == 2) {
		err = vrrp_checksum(buf, len, NULL) ? -VRRP_ERR_CHECKSUM : 0;
		out->cksum_form = VRRP_CKSUM_NO_PSEUDO;
	} else if (ip->family == AF_INET) {
		err = check_v3_ipv4_cksum(buf, len, ip, &out->cksum_form);
	} else {
		err = vrrp_checksum(buf, len, ip) ? -VRRP_ERR_CHECKSUM : 0;
		out->cksum_form = VRRP_CKSUM_PSEUDO;
	}
	if (err)
		return err;

	if (out->version == 2) {
		out->auth_type = buf[4];
		out->adver_int_cs = (uint16_t)(buf[5] * 100);
	} else {
		/* reserved bits are ignored on receipt (RFC 5798 5.2.6) */
		out->auth_type = 0;
		out->adver_int_cs = (uint16_t)((buf[4] & 0x0f) << 8 | buf[5]);
	}
	/* a zero interval would make every timer expire at once */
	if (out->adver_int_cs == 0)
		return -VRRP_ERR_INTERVAL_ZERO;

	off = VRRP_HDR_LEN;
	for (i = 0; i < out->n_addrs; i++, off += alen) {
		if (ip->family == AF_INET)
			memcpy(&out->addrs.v4[i], buf + off, alen);
		else
			memcpy(&out->addrs.v6[i], buf + off, alen);
	}

	if (out->version == 2) {
		memcpy(out->auth_data, buf + off, VRRP_V2_AUTH_LEN);
		err = check_v2_auth(out, info->auth_pass);
		if (err)
			return err;
		/* RFC 3768 7.1: a different interval means a misconfigured peer */
		if (info->v2_adver_int_cs && out->adver_int_cs != info->v2_adver_int_cs)
			return -VRRP_ERR_INTERVAL_MISMATCH;
	} else {
		memset(out->auth_data, 0, sizeof(out->auth_data));
	}
	return 0;
}
