// SPDX-License-Identifier: GPL-2.0
/* Service and real-server addresses: parse, print, and refuse the ones no
 * host can have. Kept apart from lb_maps.c so the config parser can use
 * them without libbpf. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "lb_addr.h"
#include "lb_shared.h"

const char *lb_addr_str(int family, const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == LB_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int lb_addr_parse(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = LB_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = LB_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *lb_addr_unusable(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == LB_AF_INET) {
		if (a[0] == 0)
			return "is in 0.0.0.0/8 (this host, not an address)";
		if (a[0] == 127)
			return "is a loopback address";
		if (a[0] >= 224 && a[0] < 240)
			return "is a multicast address";
		if (a[0] >= 240)
			return a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255 ?
			       "is the broadcast address" : "is in reserved 240.0.0.0/4";
		return NULL;
	}
	if (!memcmp(a, zero, 16))
		return "is the unspecified address";
	if (!memcmp(a, zero, 15) && a[15] == 1)
		return "is the loopback address";
	if (a[0] == 0xff)
		return "is a multicast address";
	if (!memcmp(a, zero, 10) && a[10] == 0xff && a[11] == 0xff)
		return "is an IPv4-mapped address (write the IPv4 address)";
	return NULL;
}

const char *proto_str(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

const char *svc_str(const struct lb_svc_key *k, char *buf, size_t len)
{
	char a[64];

	lb_addr_str(k->family, k->addr, a, sizeof(a));
	if (k->family == LB_AF_INET6)
		snprintf(buf, len, "[%s]:%u/%s", a, ntohs(k->port), proto_str(k->proto));
	else
		snprintf(buf, len, "%s:%u/%s", a, ntohs(k->port), proto_str(k->proto));
	return buf;
}
