/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Weighted Maglev lookup tables (Eisenbud et al., NSDI 2016, section 3.4).
 *
 * A table maps M slots (M prime) to backend ids. Each backend walks its own
 * permutation of the slots and claims its next free preferred slot when its
 * turn comes; turns are handed out in proportion to weight. The table is a
 * pure function of the set of (ident, weight) pairs, so every node builds
 * the same one and a flow lands on the same real server after a failover.
 * No I/O, no printing: callers log.
 */
#ifndef LB_MAGLEV_H
#define LB_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes from this up are refused: the turn scheduler compares products of
 * two per-backend counts in 64 bits, and such a table would be 8 GiB. */
#define MAGLEV_SIZE_LIMIT	(1u << 31)

struct maglev_backend {
	uint32_t id;		/* value written into table slots */
	uint32_t weight;	/* > 0; backends with weight 0 must not be passed in */
	uint8_t ident[20];	/* stable identity: family(1) + address(16) + port(2) + pad; */
				/* the same on every node, unlike id */
};

/*
 * Fill table[0..size-1] with backend ids. size must be prime (return -EINVAL
 * if not, or if n == 0 or any weight is 0). n may be up to 65536.
 * Deterministic: the same set of backends (same idents and weights, in ANY
 * order) gives the same table on every node and every run (sorted by ident
 * internally). Idents should be unique; duplicates are ordered by weight,
 * then id. A backend whose weighted share rounds to less than one slot gets
 * none (only when n is close to size or weights differ enormously).
 * Returns 0 or -errno (-ENOMEM).
 */
int maglev_build(const struct maglev_backend *be, size_t n, uint32_t *table, uint32_t size);

bool maglev_is_prime(uint32_t n);

/*
 * Helper used by lbctl when building idents: family is AF_INET/LB_AF_INET
 * (4 address bytes) or AF_INET6/LB_AF_INET6 (16); port in network order.
 * Unused address bytes and the pad are zero.
 */
void maglev_ident(uint8_t ident[20], int family, const void *addr /*4 or 16 bytes*/,
		  uint16_t port_be);

#endif /* LB_MAGLEV_H */
