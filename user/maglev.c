// SPDX-License-Identifier: GPL-2.0
/*
 * Weighted Maglev table builder.
 *
 * Plain Maglev gives every backend one turn per round, which yields equal
 * shares. For weights we first fix each backend's quota of slots (largest
 * remainder apportionment of M by weight, so quotas add up to exactly M)
 * and then hand out turns in the smooth order of stride scheduling: the
 * k-th turn of a backend with quota q falls at virtual time (k + 1/2) / q.
 * With equal weights that is exactly the round-robin of the paper; with
 * unequal ones a backend of twice the weight takes two turns for every one
 * of its peers all through the fill, instead of finishing alone at the end,
 * so slots stay spread over everyone's preference lists and a change moves
 * few of them. Shares are exact to within one slot.
 *
 * Cost: O(n log n) to sort and apportion, O(M log n) heap work for the
 * turns, and the usual Maglev probing for free slots (about M ln M probes
 * in total, none of them stored: each backend keeps only its current
 * position and skip). Memory is O(n) plus a bitmap of M bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "maglev.h"

#define MG_IDENT_LEN	20

/* Fixed seeds ("MaglevOf", "MaglevSk" in ASCII): every node must derive the
 * same offset and skip for a backend, so nothing here may come from the
 * host, the clock or a random source. */
#define MG_SEED_OFFSET	0x4d61676c65764f66ull
#define MG_SEED_SKIP	0x4d61676c6576536bull
#define MG_GOLDEN	0x9e3779b97f4a7c15ull

/* A backend during the fill, in ident order. */
struct mg_state {
	uint32_t id;
	uint32_t pos;		/* next slot in this backend's permutation */
	uint32_t skip;
	uint32_t quota;		/* slots it ends up with */
	uint32_t turns;		/* slots it has so far */
};

struct mg_rem {
	uint64_t rem;
	uint32_t idx;
};

/* The splitmix64 finaliser: a bijection with full avalanche, so chaining
 * it over the ident words spreads every input bit over all output bits. */
static uint64_t mg_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Byte by byte so big- and little-endian nodes read the same words. */
static uint64_t mg_load_le(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	while (len--)
		v = (v << 8) | p[len];
	return v;
}

static uint64_t mg_hash(const uint8_t ident[MG_IDENT_LEN], uint64_t seed)
{
	uint64_t h = seed;
	size_t off, len;

	for (off = 0; off < MG_IDENT_LEN; off += 8) {
		len = MG_IDENT_LEN - off < 8 ? MG_IDENT_LEN - off : 8;
		/* The added constant keeps an all-zero state from staying zero. */
		h = mg_mix64((h ^ mg_load_le(ident + off, len)) + MG_GOLDEN);
	}
	return h;
}

bool maglev_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 4)
		return n >= 2;
	if (!(n % 2) || !(n % 3))
		return false;
	/* Trial division by 6k +/- 1 up to 2^16: at most ~22k steps for any
	 * 32-bit n, cheaper than getting Miller-Rabin bases right. */
	for (d = 5; d <= n / d; d += 6)
		if (!(n % d) || !(n % (d + 2)))
			return false;
	return true;
}

void maglev_ident(uint8_t ident[20], int family, const void *addr, uint16_t port_be)
{
	memset(ident, 0, MG_IDENT_LEN);
	ident[0] = (uint8_t)family;
	memcpy(ident + 1, addr, family == AF_INET6 ? 16 : 4);
	/* Copied as bytes: already network order, the same on every node. */
	memcpy(ident + 17, &port_be, sizeof(port_be));
}

/* Ident first; weight and id only make duplicate idents sort stably. */
static int mg_cmp_backend(const void *a, const void *b)
{
	const struct maglev_backend *x = a, *y = b;
	int r = memcmp(x->ident, y->ident, MG_IDENT_LEN);

	if (r)
		return r;
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* Largest remainder first; ident order breaks ties so all nodes agree. */
static int mg_cmp_rem(const void *a, const void *b)
{
	const struct mg_rem *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Quotas proportional to weight that add up to exactly size. Integer
 * arithmetic only: a float rounding differently on one node would split
 * a flow between two servers. */
static int mg_apportion(const struct maglev_backend *be, struct mg_state *st,
			uint32_t n, uint32_t size)
{
	uint64_t total = 0, given = 0, share;
	struct mg_rem *rem;
	uint32_t i;

	rem = calloc(n, sizeof(*rem));
	if (!rem)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		total += be[i].weight;
	for (i = 0; i < n; i++) {
		/* size < 2^31 and weight < 2^32: no overflow. */
		share = (uint64_t)size * be[i].weight;
		st[i].quota = share / total;
		rem[i].rem = share % total;
		rem[i].idx = i;
		given += st[i].quota;
	}
	/* The leftover is below n, one extra slot each to the largest. */
	qsort(rem, n, sizeof(*rem), mg_cmp_rem);
	for (i = 0; given < size; i++, given++)
		st[rem[i].idx].quota++;
	free(rem);
	return 0;
}

/*
 * Does a's next turn come before b's? Turn k of quota q sits at
 * (2k + 1) / 2q; compare by cross-multiplying. 2k + 1 < 2^32 and q < 2^31,
 * so each product fits in 64 bits.
 */
static bool mg_before(const struct mg_state *st, uint32_t a, uint32_t b)
{
	uint64_t ta = (2ull * st[a].turns + 1) * st[b].quota;
	uint64_t tb = (2ull * st[b].turns + 1) * st[a].quota;

	if (ta != tb)
		return ta < tb;
	return a < b;
}

static void mg_sift_down(uint32_t *heap, uint32_t len, uint32_t i,
			 const struct mg_state *st)
{
	uint32_t top = heap[i], c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= len)
			break;
		if (c + 1 < len && mg_before(st, heap[c + 1], heap[c]))
			c++;
		if (!mg_before(st, heap[c], top))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = top;
}

static inline void mg_advance(struct mg_state *s, uint32_t size)
{
	s->pos += s->skip;
	if (s->pos >= size)
		s->pos -= size;
}

/* Hand out every slot. Quotas sum to size, so whoever holds the next turn
 * still has a free slot somewhere on its permutation, which covers all
 * slots because size is prime and 0 < skip < size. */
static void mg_fill(struct mg_state *st, uint32_t *heap, uint32_t len,
		    uint64_t *used, uint32_t *table, uint32_t size)
{
	struct mg_state *s;
	uint32_t i;

	for (i = len / 2; i-- > 0; )
		mg_sift_down(heap, len, i, st);
	while (len) {
		s = &st[heap[0]];
		while (used[s->pos / 64] & (1ull << (s->pos % 64)))
			mg_advance(s, size);
		used[s->pos / 64] |= 1ull << (s->pos % 64);
		table[s->pos] = s->id;
		mg_advance(s, size);
		if (++s->turns == s->quota)
			heap[0] = heap[--len];
		if (len)
			mg_sift_down(heap, len, 0, st);
	}
}

int maglev_build(const struct maglev_backend *be, size_t n, uint32_t *table, uint32_t size)
{
	struct maglev_backend *sorted = NULL;
	struct mg_state *st = NULL;
	uint32_t *heap = NULL, len = 0, i;
	uint64_t *used = NULL;
	int err;

	if (!be || !table || !n || (uint64_t)n > UINT32_MAX ||
	    size >= MAGLEV_SIZE_LIMIT || !maglev_is_prime(size))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!be[i].weight)
			return -EINVAL;

	sorted = malloc(n * sizeof(*sorted));
	st = calloc(n, sizeof(*st));
	heap = calloc(n, sizeof(*heap));
	used = calloc(size / 64 + 1, sizeof(*used));
	if (!sorted || !st || !heap || !used) {
		err = -ENOMEM;
		goto out;
	}
	/* The caller's order is whatever its maps happened to hold; ident
	 * order is the one thing all nodes share. */
	memcpy(sorted, be, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), mg_cmp_backend);

	err = mg_apportion(sorted, st, n, size);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		st[i].id = sorted[i].id;
		st[i].pos = mg_hash(sorted[i].ident, MG_SEED_OFFSET) % size;
		st[i].skip = mg_hash(sorted[i].ident, MG_SEED_SKIP) % (size - 1) + 1;
		/* A share below one slot takes no turns at all. */
		if (st[i].quota)
			heap[len++] = i;
	}
	mg_fill(st, heap, len, used, table, size);
out:
	free(used);
	free(heap);
	free(st);
	free(sorted);
	return err;
}
