// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the VRRP advertisement decoder, vrrp_decode(), on
 * hostile bytes, with receive settings (family, TTL, the instance's
 * version, interval and password, the IP addresses of the checksum's
 * pseudo-header) taken from the front of the input.
 *
 * Input layout:
 *   0      flags: bit 0 IPv6; bits 1-2 instance version (0/1 = either,
 *          2, 3); bit 3 TTL from byte 1 (else 255); bit 4 v2 interval
 *          check with byte 2 seconds; bits 5-6 password (none, "",
 *          "lbcap123", "secret"); bit 7 a family that is neither
 *   1      TTL, if bit 3
 *   2      v2 interval in seconds, if bit 4
 *   3-18   IP source (IPv4 in the first 4 bytes)
 *   19-34  IP destination
 *   35-    the VRRP message
 *
 * Properties, beyond "no crash, no sanitizer report":
 *  - the result is 0 or the negative of a named reason;
 *  - an accepted message is exactly as long as its count says, has a
 *    version the instance takes, a non-zero interval, and v2 only over
 *    IPv4;
 *  - encoding what was decoded gives the same bytes back (but for the 4
 *    reserved bits of VRRPv3 and the two forms of a zero checksum), and
 *    that decodes to the same advert.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "vrrp_codec.h"

FZ_REPORT_DEFINE;

#define PREFIX	35

static const char *const passwords[] = { NULL, "", "lbcap123", "secret" };

static bool same_advert(const struct vrrp_advert *a, const struct vrrp_advert *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	return a->version == b->version && a->vrid == b->vrid &&
	       a->priority == b->priority && a->n_addrs == b->n_addrs &&
	       a->adver_int_cs == b->adver_int_cs && a->auth_type == b->auth_type &&
	       !memcmp(a->auth_data, b->auth_data, sizeof(a->auth_data)) &&
	       a->family == b->family && a->cksum_form == b->cksum_form &&
	       !memcmp(&a->addrs, &b->addrs, a->n_addrs * alen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vrrp_advert out, again;
	static uint8_t enc[VRRP_MSG_MAX];
	struct vrrp_rx_info info = { 0 };
	struct fz f = { data, size };
	const uint8_t *msg;
	uint8_t flags, ttl, v2s;
	size_t len;
	int rc, n, vers;

	fz_init();
	flags = fz_u8(&f);
	ttl = fz_u8(&f);
	v2s = fz_u8(&f);
	info.ip.family = flags & 0x80 ? AF_UNIX : flags & 1 ? AF_INET6 : AF_INET;
	vers = (flags >> 1) & 3;
	info.version = vers >= 2 ? vers : 0;
	info.ip.ttl = flags & 0x08 ? ttl : VRRP_TTL;
	info.v2_adver_int_cs = flags & 0x10 ? (uint16_t)(v2s * 100) : 0;
	info.auth_pass = passwords[(flags >> 5) & 3];
	fz_bytes(&f, info.ip.src.bytes, 16);
	fz_bytes(&f, info.ip.dst.bytes, 16);
	msg = f.p;
	len = f.n;

	/* the checksum routine on its own, with and without pseudo-header */
	(void)vrrp_checksum(msg, len, NULL);
	(void)vrrp_checksum(msg, len, info.ip.family == AF_UNIX ? NULL : &info.ip);

	memset(&out, 0xa5, sizeof(out));
	rc = vrrp_decode(msg, len, &info, &out);
	FZ_ASSERT(rc <= 0 && rc > -VRRP_REASON_MAX, "rc %d", rc);
	FZ_ASSERT(strcmp(vrrp_reason_str(-rc), "unknown"), "reason %d has no name", -rc);
	if (rc)
		return 0;

	/* accepted: it says what it is */
	FZ_ASSERT(out.version == 2 || out.version == 3, "version %u", out.version);
	FZ_ASSERT(!info.version || out.version == info.version, "version %u, instance %d",
		  out.version, info.version);
	FZ_ASSERT(out.family == info.ip.family, "family %d", out.family);
	FZ_ASSERT(out.version == 3 || out.family == AF_INET, "VRRPv2 over IPv6");
	FZ_ASSERT(len == vrrp_msg_len(out.version, out.family, out.n_addrs),
		  "length %zu for %u addresses", len, out.n_addrs);
	FZ_ASSERT(out.adver_int_cs != 0, "zero interval accepted");
	FZ_ASSERT(out.version == 2 || out.adver_int_cs <= VRRP_V3_MAX_INT_CS,
		  "interval %u", out.adver_int_cs);
	FZ_ASSERT(info.ip.ttl == VRRP_TTL, "TTL %u accepted", info.ip.ttl);
	if (out.version == 2 && info.v2_adver_int_cs)
		FZ_ASSERT(out.adver_int_cs == info.v2_adver_int_cs, "v2 interval %u, want %u",
			  out.adver_int_cs, info.v2_adver_int_cs);
	if (out.version == 2 && (!info.auth_pass || !info.auth_pass[0]))
		FZ_ASSERT(out.auth_type == VRRP_AUTH_NONE, "auth type %u without password",
			  out.auth_type);
	if (out.version == 2 && info.auth_pass && info.auth_pass[0])
		FZ_ASSERT(out.auth_type == VRRP_AUTH_PASS &&
			  !strncmp((const char *)out.auth_data, info.auth_pass, 8),
			  "wrong password accepted");

	/* round trip: encode what was decoded */
	n = vrrp_encode(&out, &info.ip, out.cksum_form, enc, sizeof(enc));
	FZ_ASSERT(n == (int)len, "re-encode gave %d, want %zu", n, len);
	FZ_ASSERT(!memcmp(enc, msg, 4) && enc[5] == msg[5] &&
		  (out.version == 3 ? (enc[4] & 0x0f) == (msg[4] & 0x0f) : enc[4] == msg[4]) &&
		  !memcmp(enc + 8, msg + 8, len - 8), "re-encoded bytes differ");
	/* same checksum, or its other zero form 0xffff when the reserved bits
	 * were zero; either way the re-encoded message must verify */
	FZ_ASSERT(vrrp_checksum(enc, len, out.version == 2 ||
				(out.family == AF_INET && out.cksum_form == VRRP_CKSUM_NO_PSEUDO) ?
				NULL : &info.ip) == 0, "re-encoded checksum does not verify");
	memset(&again, 0x5a, sizeof(again));
	rc = vrrp_decode(enc, len, &info, &again);
	FZ_ASSERT(rc == 0, "re-encoded message refused: %s", vrrp_reason_str(-rc));
	FZ_ASSERT(same_advert(&out, &again), "re-decoded advert differs");
	return 0;
}
