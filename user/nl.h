/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything lbctl asks of the kernel over rtnetlink, through libnl-3:
 * interfaces, addresses (the VIPs VRRP owns), and the neighbour table
 * (real servers' MACs). The only file that includes libnl.
 */
#ifndef LB_NL_H
#define LB_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_watch;

struct nl_link_info {
	int ifindex;
	uint8_t mac[6];
	bool up;		/* IFF_UP and carrier (IFF_RUNNING) */
	int mtu;
};

int nl_link_get(const char *ifname, struct nl_link_info *out);

/* Add/remove an address (family LB_AF_*, 4 or 16 bytes) on ifindex.
 * add: existing is fine; del: absent is fine. label may be NULL. */
int nl_addr_add(int ifindex, int family, const void *addr, int prefix, const char *label);
int nl_addr_del(int ifindex, int family, const void *addr, int prefix);
/* ifindex 0: on any interface */
bool nl_addr_present(int ifindex, int family, const void *addr);
/* Up to max addresses of family on ifindex, in the kernel's order (the
 * primary first). IPv6: link-local ones only when link_local is set. */
int nl_addr_list(int ifindex, int family, bool link_local, uint8_t (*out)[16], int max);

/* Is addr a neighbour on ifindex by the kernel's routes: 1, or 0 with WHY
 * ("it is reached through a gateway", ...), or -ENOMEM. */
int nl_on_link(int ifindex, int family, const void *addr, char *why, size_t len);

/* Neighbour table: 0 and the MAC when the kernel has a usable entry,
 * -ENOENT otherwise. */
int nl_neigh_get(int ifindex, int family, const void *addr, uint8_t mac[6]);
/* Ask the kernel to resolve addr now (NTF_USE: an ARP request or
 * neighbour solicitation goes out); the answer arrives as an event. Not
 * for a static entry (PERMANENT or NOARP), which NTF_USE would turn into
 * an ordinary, probed one: it is the operator's word, usable or not. */
int nl_neigh_resolve(int ifindex, int family, const void *addr);

struct nl_neigh_addr {
	int family;			/* LB_AF_* */
	uint8_t addr[16];
};
/* nl_neigh_resolve for each of n addresses, with one dump of the table
 * instead of a get per address. */
int nl_neigh_refresh(int ifindex, const struct nl_neigh_addr *a, int n);

/* Events: neighbour entries appearing, changing or going, and links going
 * up or down. mac is NULL when the entry has no usable address. */
struct nl_watch_ops {
	void (*neigh)(void *arg, int ifindex, int family, const void *addr,
		      const uint8_t *mac);
	void (*link)(void *arg, int ifindex, const char *name, bool up);
	void *arg;
};
struct nl_watch *nl_watch_open(const struct nl_watch_ops *ops);
int nl_watch_fd(struct nl_watch *w);
/* Call when the fd is readable; dispatches every pending event. */
int nl_watch_read(struct nl_watch *w);
void nl_watch_close(struct nl_watch *w);

#endif
