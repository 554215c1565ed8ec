/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow hash used to index a service's Maglev table. It must be the same on
 * every node (fixed seed, no per-boot randomness): that is what lets an
 * established connection land on the same real server after a failover
 * without any state sync. Bob Jenkins' lookup3 mixing (as the kernel's
 * jhash): good avalanche for a handful of ALU operations.
 */
#ifndef LB_HASH_H
#define LB_HASH_H

#include <linux/types.h>

#define LB_HASH_SEED	0x4c42u		/* "LB": fixed so nodes agree */

static inline __u32 lb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

static inline __u32 lb_hash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += 0xdeadbeef + (3 << 2) + seed;
	b += 0xdeadbeef + (3 << 2) + seed;
	c += 0xdeadbeef + (3 << 2) + seed;
	/* lookup3 final() */
	c ^= b; c -= lb_rol32(b, 14);
	a ^= c; a -= lb_rol32(c, 11);
	b ^= a; b -= lb_rol32(a, 25);
	c ^= b; c -= lb_rol32(b, 16);
	a ^= c; a -= lb_rol32(c, 4);
	b ^= a; b -= lb_rol32(a, 14);
	c ^= b; c -= lb_rol32(b, 24);
	return c;
}

/* IPv6 addresses are folded to one word; IPv4 ones live in word 0 with the
 * rest zero, so the fold is the address itself. */
static inline __u32 lb_fold_addr(const __be32 a[4])
{
	return a[0] ^ a[1] ^ a[2] ^ a[3];
}

static inline __u32 lb_hash_flow(const __be32 src[4], const __be32 dst[4],
				 __be16 sport, __be16 dport, __u8 proto)
{
	return lb_hash_3words(lb_fold_addr(src), lb_fold_addr(dst),
			      ((__u32)sport << 16) | dport, LB_HASH_SEED ^ proto);
}

/* Client affinity and "sh": the client address alone picks the server. */
static inline __u32 lb_hash_src(const __be32 src[4])
{
	return lb_hash_3words(lb_fold_addr(src), 0, 0, LB_HASH_SEED);
}

#endif
