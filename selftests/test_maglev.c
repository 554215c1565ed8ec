// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev table unit test: argument checks, balance (equal and weighted),
 * disruption when a backend leaves or joins, determinism across input
 * order and builds, and build time as a diagnostic. Prints TAP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "maglev.h"
#include "tap.h"

#define M_SMALL		65537u
#define M_LARGE		655373u	/* prime, ~10 slots each for 65536 backends */
#define ID_BASE		1000u	/* ids differ from indices, as in lbctl */
#define NO_ID		0xdeadbeefu

/* Backend i: 10.x.y.z:80 for IPv4, or 2001:db8::i:443 every third one, so
 * both ident layouts take part. */
static void make_backend(struct maglev_backend *b, uint32_t i, uint32_t weight)
{
	uint8_t addr[16] = { 0 };

	b->id = ID_BASE + i;
	b->weight = weight;
	if (i % 3 == 2) {
		addr[0] = 0x20;
		addr[1] = 0x01;
		addr[2] = 0x0d;
		addr[3] = 0xb8;
		addr[12] = i >> 24;
		addr[13] = i >> 16;
		addr[14] = i >> 8;
		addr[15] = i;
		maglev_ident(b->ident, AF_INET6, addr, htons(443));
	} else {
		addr[0] = 10;
		addr[1] = i >> 16;
		addr[2] = i >> 8;
		addr[3] = i;
		maglev_ident(b->ident, AF_INET, addr, htons(80));
	}
}

static struct maglev_backend *make_set(uint32_t n, const uint32_t *weights)
{
	struct maglev_backend *be = calloc(n, sizeof(*be));
	uint32_t i;

	if (!be)
		exit(2);
	for (i = 0; i < n; i++)
		make_backend(&be[i], i, weights ? weights[i] : 1);
	return be;
}

static uint32_t *new_table(uint32_t size)
{
	uint32_t *t = malloc(size * sizeof(*t));
	uint32_t i;

	if (!t)
		exit(2);
	for (i = 0; i < size; i++)
		t[i] = NO_ID;
	return t;
}

/* Fixed-seed xorshift: shuffles must be repeatable between runs. */
static uint64_t rng_state = 0x1234567887654321ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

static void shuffle(struct maglev_backend *be, uint32_t n)
{
	struct maglev_backend tmp;
	uint32_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = rng() % (i + 1);
		tmp = be[i];
		be[i] = be[j];
		be[j] = tmp;
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Slots per id, indexed by id - ID_BASE; false if any slot holds an id
 * outside [ID_BASE, ID_BASE + n). */
static bool count_slots(const uint32_t *t, uint32_t size, uint32_t n, uint32_t *cnt)
{
	uint32_t s;

	memset(cnt, 0, n * sizeof(*cnt));
	for (s = 0; s < size; s++) {
		if (t[s] < ID_BASE || t[s] - ID_BASE >= n)
			return false;
		cnt[t[s] - ID_BASE]++;
	}
	return true;
}

static uint32_t count_changed(const uint32_t *a, const uint32_t *b, uint32_t size)
{
	uint32_t s, changed = 0;

	for (s = 0; s < size; s++)
		changed += a[s] != b[s];
	return changed;
}

static void test_prime(void)
{
	ASSERT_TRUE(maglev_is_prime(65537), "is_prime: 65537 is prime");
	ASSERT_TRUE(maglev_is_prime(1000003), "is_prime: 1000003 is prime");
	ASSERT_TRUE(maglev_is_prime(M_LARGE), "is_prime: 655373 is prime");
	ASSERT_TRUE(!maglev_is_prime(65536), "is_prime: 65536 is not prime");
	ASSERT_TRUE(!maglev_is_prime(0) && !maglev_is_prime(1) &&
		    maglev_is_prime(2) && maglev_is_prime(3) &&
		    !maglev_is_prime(4) && !maglev_is_prime(25) &&
		    !maglev_is_prime(4294836225u) && maglev_is_prime(4294967291u) &&
		    !maglev_is_prime(4294967295u),
		    "is_prime: edge cases (0, 1, 2, 3, 4, 25, 65535^2, 2^32-5, 2^32-1)");
}

static void test_einval(void)
{
	struct maglev_backend *be = make_set(3, NULL);
	uint32_t *t = new_table(M_SMALL);

	ASSERT_EQ(maglev_build(be, 3, t, 65536), -EINVAL, "build: non-prime size is -EINVAL");
	ASSERT_EQ(maglev_build(be, 0, t, M_SMALL), -EINVAL, "build: no backends is -EINVAL");
	be[1].weight = 0;
	ASSERT_EQ(maglev_build(be, 3, t, M_SMALL), -EINVAL, "build: a weight of 0 is -EINVAL");
	ASSERT_EQ(t[0], NO_ID, "build: a refused build leaves the table alone");
	free(t);
	free(be);
}

static void test_filled(void)
{
	struct maglev_backend *be = make_set(100, NULL);
	uint32_t *t = new_table(M_SMALL), cnt[100];
	bool ok;

	ok = !maglev_build(be, 100, t, M_SMALL) && count_slots(t, M_SMALL, 100, cnt);
	ASSERT_TRUE(ok, "fill: every slot of 65537 holds one of 100 valid ids");
	free(t);
	free(be);
}

/*
 * Each backend's share must be within 1% of its due share, relative:
 * |share - due| <= 0.01 * due. For 100 equal backends in 65537 slots that
 * still holds with room to spare (each gets 655 or 656 slots against 655.37,
 * 0.06% off), so the same relative 1% applies to every N; the equal case
 * also checks the stronger Maglev property that counts differ by <= 1 slot.
 */
static bool check_balance(const char *what, const uint32_t *weights, uint32_t n,
			  uint32_t size)
{
	struct maglev_backend *be = make_set(n, weights);
	uint32_t *t = new_table(size), *cnt = calloc(n, sizeof(*cnt));
	double wsum = 0, due, share, dev, worst = 0;
	uint32_t i, lo = UINT32_MAX, hi = 0;
	bool ok;

	ok = !maglev_build(be, n, t, size) && count_slots(t, size, n, cnt);
	for (i = 0; i < n; i++)
		wsum += weights ? weights[i] : 1;
	for (i = 0; ok && i < n; i++) {
		due = (weights ? weights[i] : 1) / wsum;
		share = (double)cnt[i] / size;
		dev = fabs(share - due) / due;
		if (dev > worst)
			worst = dev;
		if (cnt[i] < lo)
			lo = cnt[i];
		if (cnt[i] > hi)
			hi = cnt[i];
	}
	tap_ok(ok && worst <= 0.01,
	       "balance: %s, every share within 1%% (relative) of its due", what);
	tap_diag("  %s: worst relative deviation %.4f%%, slots per backend %u..%u",
		 what, worst * 100, lo, hi);
	if (!weights)
		tap_ok(ok && hi - lo <= 1, "balance: %s, slot counts differ by at most 1", what);
	free(cnt);
	free(t);
	free(be);
	return ok;
}

static void test_balance(void)
{
	static const uint32_t w121[] = { 1, 2, 1 }, w113[] = { 1, 1, 3 };
	uint32_t wmix[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	check_balance("3 equal backends, M=65537", NULL, 3, M_SMALL);
	check_balance("10 equal backends, M=65537", NULL, 10, M_SMALL);
	check_balance("100 equal backends, M=65537", NULL, 100, M_SMALL);
	check_balance("weights 1:2:1, M=65537", w121, 3, M_SMALL);
	check_balance("weights 1:1:3, M=65537", w113, 3, M_SMALL);
	check_balance("weights 1..10, M=65537", wmix, 10, M_SMALL);
}

/*
 * Remove backend `gone` from n equal ones, then put it back. Every slot
 * the removed backend held must move; Maglev promises little else does.
 * Bound: changed slots <= M * (1/n + 2%), i.e. at most 2% of the table
 * moves between surviving backends. Putting it back must give the original
 * table exactly, and the join must move no more than the same bound.
 */
static void test_disruption(uint32_t n, const uint32_t *weights)
{
	struct maglev_backend *be = make_set(n, weights), *less;
	uint32_t *full = new_table(M_SMALL), *part = new_table(M_SMALL);
	uint32_t *again = new_table(M_SMALL);
	uint32_t gone = n / 3, changed, owned = 0, s;
	double bound, wsum = 0, due;
	bool ok;

	less = calloc(n, sizeof(*less));
	if (!less)
		exit(2);
	memcpy(less, be, gone * sizeof(*be));
	memcpy(less + gone, be + gone + 1, (n - gone - 1) * sizeof(*be));
	for (s = 0; s < n; s++)
		wsum += weights ? weights[s] : 1;
	due = (weights ? weights[gone] : 1) / wsum;
	bound = M_SMALL * (due + 0.02);

	ok = !maglev_build(be, n, full, M_SMALL) &&
	     !maglev_build(less, n - 1, part, M_SMALL);
	for (s = 0; s < M_SMALL; s++)
		owned += full[s] == be[gone].id;
	changed = count_changed(full, part, M_SMALL);
	tap_ok(ok && changed <= bound,
	       "disruption: removing 1 of %u%s changes <= M*(share + 2%%) slots", n,
	       weights ? " weighted" : "");
	tap_diag("  remove 1 of %u%s: %u slots changed (%.3f%%), %u were its own, "
		 "%u moved between survivors (%.3f%%), bound %.0f",
		 n, weights ? " weighted" : "", changed, 100.0 * changed / M_SMALL,
		 owned, changed - owned, 100.0 * (changed - owned) / M_SMALL, bound);

	ok = !maglev_build(be, n, again, M_SMALL);
	changed = count_changed(part, again, M_SMALL);
	tap_ok(ok && changed <= bound,
	       "disruption: adding it back to %u changes <= M*(share + 2%%) slots", n - 1);
	tap_diag("  add back 1 to %u: %u slots changed (%.3f%%)", n - 1, changed,
		 100.0 * changed / M_SMALL);
	ASSERT_MEMEQ(full, again, M_SMALL * sizeof(*full),
		     "disruption: after adding it back the table is the original");
	free(again);
	free(part);
	free(full);
	free(less);
	free(be);
}

/* A backend that was never there joins n others. */
static void test_join(uint32_t n)
{
	struct maglev_backend *be = make_set(n + 1, NULL);
	uint32_t *before = new_table(M_SMALL), *after = new_table(M_SMALL);
	double bound = M_SMALL * (1.0 / (n + 1) + 0.02);
	uint32_t changed;
	bool ok;

	ok = !maglev_build(be, n, before, M_SMALL) &&
	     !maglev_build(be, n + 1, after, M_SMALL);
	changed = count_changed(before, after, M_SMALL);
	tap_ok(ok && changed <= bound,
	       "disruption: a new backend joining %u changes <= M*(1/%u + 2%%) slots", n, n + 1);
	tap_diag("  new backend joins %u: %u slots changed (%.3f%%), bound %.0f", n, changed,
		 100.0 * changed / M_SMALL, bound);
	free(after);
	free(before);
	free(be);
}

static void test_determinism(void)
{
	uint32_t w[50], i;
	struct maglev_backend *be, *mixed;
	uint32_t *a = new_table(M_SMALL), *b = new_table(M_SMALL), *c = new_table(M_SMALL);
	bool ok;

	for (i = 0; i < 50; i++)
		w[i] = 1 + i % 4;
	be = make_set(50, w);
	mixed = make_set(50, w);
	shuffle(mixed, 50);

	ok = !maglev_build(be, 50, a, M_SMALL) && !maglev_build(be, 50, b, M_SMALL);
	ASSERT_TRUE(ok && !memcmp(a, b, M_SMALL * sizeof(*a)),
		    "determinism: two builds of the same set are identical");
	ok = !maglev_build(mixed, 50, c, M_SMALL);
	ASSERT_TRUE(ok && !memcmp(a, c, M_SMALL * sizeof(*a)),
		    "determinism: the same set shuffled gives a byte-identical table");
	shuffle(mixed, 50);
	ok = !maglev_build(mixed, 50, c, M_SMALL);
	ASSERT_TRUE(ok && !memcmp(a, c, M_SMALL * sizeof(*a)),
		    "determinism: shuffled again, still byte-identical");
	free(mixed);
	free(be);
	free(c);
	free(b);
	free(a);
}

/* FNV-1a over the table: pins the output so a change to the hash or the
 * fill order, which would make nodes running different versions disagree,
 * cannot slip through unnoticed. */
static uint64_t table_digest(const uint32_t *t, uint32_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t s;
	int k;

	for (s = 0; s < size; s++)
		for (k = 0; k < 4; k++) {
			h ^= (t[s] >> (8 * k)) & 0xff;
			h *= 0x100000001b3ull;
		}
	return h;
}

#define PINNED_DIGEST	0x72da347442bce081ull

static void test_pinned(void)
{
	uint32_t w[10] = { 1, 1, 2, 2, 3, 3, 1, 1, 5, 1 };
	struct maglev_backend *be = make_set(10, w);
	uint32_t *t = new_table(M_SMALL);
	uint64_t d;
	bool ok;

	ok = !maglev_build(be, 10, t, M_SMALL);
	d = table_digest(t, M_SMALL);
	ASSERT_TRUE(ok && d == PINNED_DIGEST, "determinism: table matches the pinned digest");
	tap_diag("  digest 0x%016llx", (unsigned long long)d);
	free(t);
	free(be);
}

/* Odd inputs must still yield a full, valid table. */
static void test_edges(void)
{
	static const uint32_t skewed[] = { 1, 1000000000u, 1 };
	struct maglev_backend *be = make_set(20, NULL);
	uint32_t *t = new_table(M_SMALL), cnt[20];
	uint32_t small[7];
	bool ok;

	ok = !maglev_build(be, 20, small, 7) && count_slots(small, 7, 20, cnt);
	ASSERT_TRUE(ok, "edge: 20 backends in a 7-slot table fill it with valid ids");
	free(be);

	be = make_set(3, skewed);
	ok = !maglev_build(be, 3, t, M_SMALL) && count_slots(t, M_SMALL, 3, cnt);
	ASSERT_TRUE(ok && cnt[1] >= M_SMALL - 2,
		    "edge: weights 1:1e9:1 fill the table, the heavy one all but <= 2 slots");
	free(be);

	be = make_set(1, NULL);
	ok = !maglev_build(be, 1, t, M_SMALL) && count_slots(t, M_SMALL, 1, cnt);
	ASSERT_TRUE(ok && cnt[0] == M_SMALL, "edge: a single backend owns every slot");
	free(be);
	free(t);
}

static void test_many(void)
{
	uint32_t n = 65536, *t = new_table(M_LARGE), *cnt = calloc(n, sizeof(*cnt));
	struct maglev_backend *be = make_set(n, NULL);
	uint32_t i, lo = UINT32_MAX, hi = 0;
	double t0, ms;
	bool ok;

	t0 = now_ms();
	ok = !maglev_build(be, n, t, M_LARGE);
	ms = now_ms() - t0;
	ok = ok && count_slots(t, M_LARGE, n, cnt);
	for (i = 0; ok && i < n; i++) {
		if (cnt[i] < lo)
			lo = cnt[i];
		if (cnt[i] > hi)
			hi = cnt[i];
	}
	ASSERT_TRUE(ok && lo >= 10 && hi <= 11,
		    "scale: 65536 backends in 655373 slots, each holds 10 or 11");
	tap_diag("  65536 backends, M=655373: %.1f ms, slots per backend %u..%u", ms, lo, hi);
	free(be);
	free(cnt);
	free(t);
}

static void time_build(uint32_t n, uint32_t size)
{
	struct maglev_backend *be = make_set(n, NULL);
	uint32_t *t = new_table(size);
	double best = 1e9, t0, ms;
	int r, err = 0;

	for (r = 0; r < 5; r++) {
		t0 = now_ms();
		err |= maglev_build(be, n, t, size);
		ms = now_ms() - t0;
		if (ms < best)
			best = ms;
	}
	tap_diag("build time: %u backends, M=%u: %.2f ms (best of 5)%s", n, size, best,
		 err ? " (FAILED)" : "");
	free(t);
	free(be);
}

int main(void)
{
	static const uint32_t wmix10[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	test_prime();
	test_einval();
	test_filled();
	test_balance();
	test_disruption(10, NULL);
	test_disruption(100, NULL);
	test_disruption(10, wmix10);
	test_join(10);
	test_join(100);
	test_determinism();
	test_pinned();
	test_edges();
	test_many();
	time_build(10, M_SMALL);
	time_build(100, M_SMALL);
	time_build(1000, M_SMALL);
	return tap_done();
}
