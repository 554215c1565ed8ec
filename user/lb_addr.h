/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LB_ADDR_H
#define LB_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* "10.0.0.1" / "fd00::1" */
const char *lb_addr_str(int family, const void *addr, char *buf, size_t len);
/* Parse an address; family and 16 bytes out (IPv4 in the first 4). */
int lb_addr_parse(const char *s, int *family, uint8_t addr[16]);
/* Why addr cannot be a VIP or a real server (unspecified, loopback,
 * multicast, broadcast...), or NULL when it can. family is LB_AF_*, which
 * has the values of AF_INET and AF_INET6. */
const char *lb_addr_unusable(int family, const uint8_t *addr);

struct lb_svc_key;
/* "tcp" / "udp" */
const char *proto_str(uint8_t proto);
/* "VIP:PORT/proto" ("[VIP]:PORT/proto" for IPv6), as listings show it. */
const char *svc_str(const struct lb_svc_key *k, char *buf, size_t len);

#endif
