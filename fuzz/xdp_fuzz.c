// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_fuzz: the XDP program under BPF_PROG_TEST_RUN with a stream of random
 * and mutated packets, checking the data plane's contract on every one.
 *
 *   xdp_fuzz [--count N] [--seed S] [--verbose]
 *
 * Setup: a private bpffs mounted on a temporary directory (in a mount
 * namespace of our own when we can make one), the program loaded with a
 * known interface MAC, and through user/lb_maps.c the services
 *   10.100.0.1:80/tcp     3 backends            active
 *   10.100.0.1:8080/tcp   1 backend without MAC active (nothing usable: drop)
 *   10.100.0.2:53/udp     2 backends, sh        active, toggled on and off
 *   10.100.0.3:80/tcp     2 backends            inactive (another node's VIP)
 *   [fd00:100::1]:443/tcp 2 backends            active
 *   [fd00:100::1]:53/udp  2 backends, persistence 300 s  active
 * Every few thousand packets a backend goes down or up, loses or gets its
 * MAC, or is drained, and 10.100.0.2 changes hands, as the controller
 * would do it.
 *
 * Packets: Ethernet (one 802.1Q or 802.1ad tag, sometimes two), IPv4 with
 * options and fragments, IPv6 with extension headers and fragments, TCP
 * with any flags, UDP, ICMP/ICMPv6 echo and errors quoting a flow, other
 * protocols, ARP, random bytes; to VIPs on their ports and on others, to
 * the inactive VIP, to other addresses; mostly to our MAC, some to others.
 * Clients come from a small pool so that flows repeat (conntrack hits,
 * fragments after their first). Then a share of them is mutated: bytes
 * flipped, cut at a random length, lengths and IHL lied about, junk
 * appended, the EtherType changed. Deterministic for a given seed.
 *
 * The contract, checked on each packet:
 *  - the verdict is XDP_PASS, XDP_TX or XDP_DROP, never XDP_ABORTED, and
 *    the test run itself does not fail;
 *  - XDP_PASS: the packet leaves byte for byte as it came;
 *  - XDP_TX: the same length and only the first 12 bytes changed: the
 *    destination MAC is that of a usable backend (up, MAC known), the
 *    source MAC the interface's;
 *  - XDP_TX and XDP_DROP only for frames sent to the interface's MAC, and
 *    only when the IP destination (the IPv4/IPv6 header's, after at most
 *    one VLAN tag) is an active VIP; for XDP_TX the backend serves that
 *    VIP;
 * and at the end, over the whole run:
 *  - packets = runs and packets = pass + tx + drop, each as observed;
 *  - every pass and drop is counted under exactly one reason;
 *  - per-service and per-backend counters agree with the observed XDP_TX;
 *  - each verdict and reason was reached at least once (the generator
 *    does reach every path).
 * Output is TAP: one line per property, counts in '#' lines.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_shared.h"
#include "lb_loader.h"
#include "lb_maps.h"
#include "log.h"

#define PKT_MAX		1600
#define TABLE_SIZE	251		/* small prime: quick rebuilds */
#define N_CLIENTS	48
#define N_FRAG_IDS	8
#define CHANGE_EVERY	1000		/* packets between control-plane changes */
#define SHOW_MAX	3		/* examples printed per broken property */

static const uint8_t if_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* ---- PRNG: splitmix64, deterministic for a seed ---- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, n) */
static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd64();
}

/* ---- what we configured ---- */

struct svc_def {
	const char *vip;
	uint16_t port;
	uint8_t proto;
	bool active;
	uint32_t flags;		/* LB_SVC_F_HASH_SRC / LB_SVC_F_AFFINITY */
	int n_be;
	bool mac;		/* backends get a MAC */
	/* filled in */
	int family;
	uint8_t addr[16];
	uint32_t id;
	uint32_t be_id[4];
	uint8_t be_addr[4][16];
};

#define SVC(v, p, pr, act, fl, n, m) \
	{ .vip = v, .port = p, .proto = pr, .active = act, .flags = fl, .n_be = n, .mac = m }
static struct svc_def svcs[] = {
	SVC("10.100.0.1", 80, IPPROTO_TCP, true, 0, 3, true),
	SVC("10.100.0.1", 8080, IPPROTO_TCP, true, 0, 1, false),
	SVC("10.100.0.2", 53, IPPROTO_UDP, true, LB_SVC_F_HASH_SRC, 2, true),
	SVC("10.100.0.3", 80, IPPROTO_TCP, false, 0, 2, true),
	SVC("fd00:100::1", 443, IPPROTO_TCP, true, 0, 2, true),
	SVC("fd00:100::1", 53, IPPROTO_UDP, true, LB_SVC_F_AFFINITY, 2, true),
};
#undef SVC
#define N_SVCS	(int)(sizeof(svcs) / sizeof(svcs[0]))

/* Addresses that are not VIPs but look like them. */
static const char *const others4[] = { "10.100.0.4", "10.100.0.0", "192.0.2.1", "10.1.0.1" };
static const char *const others6[] = { "fd00:100::2", "fd00:100::", "fe80::1", "::ffff:10.100.0.1" };

/* The model of the maps, refreshed from lb_maps' mirror after each change. */
struct be_model {
	bool used, usable;
	uint8_t mac[6];
	int svc;		/* index into svcs[] */
	uint64_t tx, tx_bytes;	/* observed */
};

static struct be_model bes[64];
static uint32_t max_be;
static bool svc_vip_active[16];	/* by index into svcs[] */

/* ---- environment ---- */

static char root_dir[128], pin_dir[256];
static bool root_made, root_mounted, loaded, opened;
static struct lb_prog prog;
static struct lb_maps maps;
static int prog_fd;

static void cleanup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (opened)
		lb_maps_close(&maps);
	if (loaded)
		lb_prog_close(&prog);
	if (pin_dir[0])
		lb_unpin_all(pin_dir);
	if (root_mounted) {
		char d[300];

		snprintf(d, sizeof(d), "%s/lbctl", root_dir);
		rmdir(d);
		if (umount2(root_dir, MNT_DETACH))
			fprintf(stderr, "# umount %s: %s\n", root_dir, strerror(errno));
	}
	if (root_made && rmdir(root_dir))
		fprintf(stderr, "# rmdir %s: %s\n", root_dir, strerror(errno));
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* TAP */
static int tap_n, tap_failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_failed += !ok;
}

static void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap(false, "setup: %s", msg);
	printf("1..%d\n", tap_n);
	cleanup();
	exit(1);
}

static void refresh_model(void)
{
	uint32_t id;
	int s;

	for (id = 0; id < max_be; id++) {
		const struct lb_backend *b = &maps.be[id];
		struct be_model *m = &bes[id];

		m->used = b->flags & LB_BE_F_USED;
		m->usable = (b->flags & LB_BE_F_USABLE) == LB_BE_F_USABLE;
		memcpy(m->mac, b->mac, 6);
		m->svc = -1;
		for (s = 0; s < N_SVCS; s++)
			if (m->used && b->svc_id == svcs[s].id)
				m->svc = s;
	}
	for (s = 0; s < N_SVCS; s++)
		svc_vip_active[s] = lb_vip_is_active(&maps, svcs[s].family, svcs[s].addr);
}

static bool vip_active(int family, const uint8_t *addr)
{
	int s;

	for (s = 0; s < N_SVCS; s++)
		if (svcs[s].family == family &&
		    !memcmp(svcs[s].addr, addr, family == LB_AF_INET ? 4 : 16))
			return svc_vip_active[s];
	return false;
}

static void be_mac_of(int s, int k, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0xbe;
	mac[2] = 0;
	mac[3] = (uint8_t)s;
	mac[4] = (uint8_t)k;
	mac[5] = 0x01;
}

static void setup(void)
{
	struct lb_limits lim = { .max_services = 16, .max_backends = 64, .conn_max = 4096,
				 .conn_rate = 1000 };
	char tmpl[] = "/tmp/lbctl-xdp-fuzz.XXXXXX";
	int s, k, err;

	if (geteuid() != 0)
		bail("must run as root (bpffs mount, BPF_PROG_TEST_RUN)");
	/* our own mount namespace: the bpffs goes with this process */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (!mkdtemp(tmpl))
		bail("mkdtemp: %s", strerror(errno));
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	root_made = true;
	if (mount("bpf", root_dir, "bpf", 0, NULL))
		bail("mount bpffs on %s: %s", root_dir, strerror(errno));
	root_mounted = true;
	snprintf(pin_dir, sizeof(pin_dir), "%s/lbctl", root_dir);
	mkdir(pin_dir, 0700);
	snprintf(pin_dir, sizeof(pin_dir), "%s/lbctl/fuzz0", root_dir);
	mkdir(pin_dir, 0700);

	err = lb_prog_load(&prog, if_mac, &lim, pin_dir);
	if (err)
		bail("lb_prog_load: %s", strerror(-err));
	loaded = true;
	prog_fd = lb_prog_fd(&prog);
	err = lb_maps_open(&maps, pin_dir);
	if (err)
		bail("lb_maps_open: %s", strerror(-err));
	opened = true;
	err = lb_maps_lock(&maps);
	if (err)
		bail("lb_maps_lock: %s", strerror(-err));
	max_be = maps.max_backends < 64 ? maps.max_backends : 64;

	for (s = 0; s < N_SVCS; s++) {
		struct svc_def *d = &svcs[s];
		struct lb_svc_opts o = { .flags = d->flags, .table_size = TABLE_SIZE,
					 .timeout_s = d->flags & LB_SVC_F_AFFINITY ? 300 : 0 };
		struct lb_svc_key key;

		if (lb_addr_parse(d->vip, &d->family, d->addr))
			bail("bad VIP %s", d->vip);
		lb_svc_key_make(&key, d->family, d->addr, d->port, d->proto);
		err = lb_svc_add(&maps, &key, &o, d->active, &d->id);
		if (err)
			bail("lb_svc_add %s:%u: %s", d->vip, d->port, strerror(-err));
		for (k = 0; k < d->n_be; k++) {
			uint8_t mac[6];

			/* 10.1.S.K+1 / fd00:1::S:K+1: one address per backend */
			memset(d->be_addr[k], 0, 16);
			if (d->family == LB_AF_INET) {
				d->be_addr[k][0] = 10;
				d->be_addr[k][1] = 1;
				d->be_addr[k][2] = (uint8_t)s;
				d->be_addr[k][3] = (uint8_t)(k + 1);
			} else {
				d->be_addr[k][0] = 0xfd;
				d->be_addr[k][3] = 1;
				d->be_addr[k][13] = (uint8_t)s;
				d->be_addr[k][15] = (uint8_t)(k + 1);
			}
			err = lb_be_add(&maps, d->id, d->family, d->be_addr[k], 1, LB_BE_F_UP,
					&d->be_id[k]);
			if (err)
				bail("lb_be_add: %s", strerror(-err));
			if (!d->mac)
				continue;
			be_mac_of(s, k, mac);
			err = lb_be_set_mac(&maps, d->family, d->be_addr[k], mac);
			if (err < 0)
				bail("lb_be_set_mac: %s", strerror(-err));
		}
	}
	refresh_model();
}

/* A change the controller or an operator makes between packets. */
static void control_change(void)
{
	int s = (int)rnd(N_SVCS), k, err = 0;
	struct svc_def *d = &svcs[s];
	uint8_t mac[6];

	k = (int)rnd((uint32_t)d->n_be);
	switch (rnd(6)) {
	case 0:	/* health check result */
		err = lb_be_set_up(&maps, d->be_id[k], chance(50));
		break;
	case 1:	/* neighbour entry lost, or (re)learnt */
		if (!d->mac)
			break;
		be_mac_of(s, k, mac);
		err = lb_be_set_mac(&maps, d->family, d->be_addr[k], chance(40) ? NULL : mac);
		break;
	case 2:	/* drain, or back to work */
		err = lb_be_set_weight(&maps, d->be_id[k], chance(30) ? 0 : 1 + rnd(3));
		break;
	case 3:	/* 10.100.0.2 changes hands */
		err = lb_vip_set_active(&maps, svcs[2].family, svcs[2].addr, chance(50));
		break;
	default: /* put everything back as it was, now and then */
		for (k = 0; k < d->n_be && !err; k++) {
			err = lb_be_set_up(&maps, d->be_id[k], true);
			if (!err && d->mac) {
				be_mac_of(s, k, mac);
				err = lb_be_set_mac(&maps, d->family, d->be_addr[k], mac);
				err = err < 0 ? err : 0;
			}
		}
		break;
	}
	if (err < 0)
		bail("control change on service %d: %s", s, strerror(-err));
	refresh_model();
}

/* ---- packet builder ---- */

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	/* where the builder put things, for the mutations */
	size_t l3, l4;
	int family;		/* 4 or 6, 0 = not IP */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct frag_memo {
	int family;
	uint8_t src[16], dst[16];
	uint8_t proto;
	uint32_t id;
	bool set;
};

static struct frag_memo frags[N_FRAG_IDS];

/* A destination: a service's (VIP, port, proto), or not quite one. */
struct target {
	int family;		/* 4 or 6 */
	uint8_t dst[16], src[16];
	uint16_t dport, sport;
	uint8_t proto;
};

static void pick_target(struct target *t)
{
	int s = (int)rnd(N_SVCS);
	const struct svc_def *d = &svcs[s];
	uint32_t r = rnd(100), client;

	t->family = d->family == LB_AF_INET ? 4 : 6;
	memcpy(t->dst, d->addr, 16);
	t->dport = d->port;
	t->proto = d->proto;
	if (r < 12) {			/* the VIP, another port */
		t->dport = (uint16_t)(chance(50) ? rnd(1024) : rnd(65536));
	} else if (r < 18) {		/* the VIP, the other protocol */
		t->proto = t->proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
	} else if (r < 32) {		/* not a VIP */
		memset(t->dst, 0, 16);
		if (t->family == 4)
			inet_pton(AF_INET, others4[rnd(4)], t->dst);
		else
			inet_pton(AF_INET6, others6[rnd(4)], t->dst);
		if (chance(20))
			rnd_bytes(t->dst, t->family == 4 ? 4 : 16);
	}
	/* clients from a pool, so flows come back */
	memset(t->src, 0, 16);
	client = rnd(N_CLIENTS);
	if (chance(85)) {
		if (t->family == 4) {
			t->src[0] = 198;
			t->src[1] = 51;
			t->src[2] = 100;
			t->src[3] = (uint8_t)client;
		} else {
			t->src[0] = 0x20;
			t->src[1] = 0x01;
			t->src[2] = 0x0d;
			t->src[3] = 0xb8;
			t->src[15] = (uint8_t)client;
		}
		t->sport = (uint16_t)(40000 + client * 4 + rnd(4));
	} else {
		rnd_bytes(t->src, t->family == 4 ? 4 : 16);
		t->sport = (uint16_t)rnd(65536);
	}
}

static size_t eth(struct pkt *p)
{
	size_t off = 12;
	uint32_t r = rnd(100);

	if (r < 85)
		memcpy(p->b, if_mac, 6);
	else if (r < 90)
		memset(p->b, 0xff, 6);
	else if (r < 95)
		be_mac_of((int)rnd(N_SVCS), (int)rnd(3), p->b);
	else
		rnd_bytes(p->b, 6);
	p->b[6] = 0x02;
	p->b[7] = 0xc1;
	rnd_bytes(p->b + 8, 4);
	r = rnd(100);
	if (r < 12) {			/* one tag */
		put16(p->b + off, chance(80) ? 0x8100 : 0x88a8);
		put16(p->b + off + 2, (uint16_t)rnd(4096));
		off += 4;
	} else if (r < 14) {		/* QinQ: two tags, more than the program reads */
		put16(p->b + off, 0x88a8);
		put16(p->b + off + 2, (uint16_t)rnd(4096));
		put16(p->b + off + 4, 0x8100);
		put16(p->b + off + 6, (uint16_t)rnd(4096));
		off += 8;
	}
	return off;		/* where the EtherType goes */
}

/* The L4 header and payload at p->b + off; returns the new end. */
static size_t l4(struct pkt *p, size_t off, uint8_t proto, const struct target *t)
{
	static const uint8_t tcp_flags[] = {
		0x02, 0x10, 0x12, 0x18, 0x11, 0x04, 0x02, 0x10, 0x10, 0x00, 0x3f, 0xc2,
	};
	size_t n, pay = chance(70) ? rnd(64) : rnd(600);

	p->l4 = off;
	if (proto == IPPROTO_TCP) {
		n = 20 + (chance(20) ? 4 * rnd(10) : 0);
		memset(p->b + off, 0, n);
		put16(p->b + off, t->sport);
		put16(p->b + off + 2, t->dport);
		rnd_bytes(p->b + off + 4, 8);
		p->b[off + 12] = (uint8_t)((n / 4) << 4);
		p->b[off + 13] = tcp_flags[rnd(sizeof(tcp_flags))];
		put16(p->b + off + 14, 65535);
	} else if (proto == IPPROTO_UDP) {
		n = 8;
		put16(p->b + off, t->sport);
		put16(p->b + off + 2, t->dport);
		put16(p->b + off + 4, (uint16_t)(8 + pay));
		put16(p->b + off + 6, 0);
	} else {
		n = 0;
	}
	if (off + n + pay > PKT_MAX - 64)
		pay = 0;
	rnd_bytes(p->b + off + n, pay);
	return off + n + pay;
}

/* IPv4 header at off; the caller fills tot_len. Returns the L4 offset. */
static size_t ip4_hdr(struct pkt *p, size_t off, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, uint16_t frag, uint16_t id)
{
	size_t opt = chance(8) ? 4 * (1 + rnd(10)) : 0;

	p->b[off] = (uint8_t)(0x40 | (20 + opt) / 4);
	p->b[off + 1] = 0;
	put16(p->b + off + 4, id);
	put16(p->b + off + 6, frag);
	p->b[off + 8] = 64;
	p->b[off + 9] = proto;
	put16(p->b + off + 10, 0);
	memcpy(p->b + off + 12, src, 4);
	memcpy(p->b + off + 16, dst, 4);
	memset(p->b + off + 20, 1, opt);	/* NOPs */
	return off + 20 + opt;
}

static void ip4_finish(struct pkt *p, size_t off, size_t end)
{
	uint32_t sum = 0;
	size_t ihl = (size_t)(p->b[off] & 0x0f) * 4, i;

	put16(p->b + off + 2, (uint16_t)(end - off));
	put16(p->b + off + 10, 0);
	for (i = 0; i < ihl; i += 2)
		sum += (uint32_t)p->b[off + i] << 8 | p->b[off + i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(p->b + off + 10, (uint16_t)~sum);
}

/* IPv6 header at off, then extension headers; returns where L4 starts.
 * *last_nh points at the Next Header byte to set to the L4 protocol. */
static size_t ip6_hdr(struct pkt *p, size_t off, const uint8_t *src, const uint8_t *dst,
		      size_t *nh_at, int frag_kind, uint32_t frag_id)
{
	static const uint8_t ext[] = { 0, 43, 60 };	/* hop-by-hop, routing, dst opts */
	int n_ext = chance(15) ? (int)rnd(6) : 0, k;
	size_t h;

	p->b[off] = 0x60;
	p->b[off + 1] = 0;
	p->b[off + 2] = 0;
	p->b[off + 3] = 0;
	p->b[off + 7] = 64;
	memcpy(p->b + off + 8, src, 16);
	memcpy(p->b + off + 24, dst, 16);
	*nh_at = off + 6;
	h = off + 40;
	for (k = 0; k < n_ext; k++) {
		size_t len = 8 * (1 + (chance(80) ? 0 : rnd(3)));

		p->b[*nh_at] = ext[rnd(3)];
		memset(p->b + h, 0, len);
		p->b[h + 1] = (uint8_t)(len / 8 - 1);
		p->b[h + 2] = 1;	/* PadN over the rest */
		p->b[h + 3] = (uint8_t)(len - 4);
		*nh_at = h;
		h += len;
	}
	if (frag_kind) {		/* 1 = first, 2 = later */
		uint16_t fo = frag_kind == 1 ? 1 : (uint16_t)((1 + rnd(180)) << 3 | rnd(2));

		p->b[*nh_at] = 44;
		p->b[h + 1] = 0;
		put16(p->b + h + 2, fo);
		p->b[h + 4] = (uint8_t)(frag_id >> 24);
		p->b[h + 5] = (uint8_t)(frag_id >> 16);
		p->b[h + 6] = (uint8_t)(frag_id >> 8);
		p->b[h + 7] = (uint8_t)frag_id;
		*nh_at = h;
		h += 8;
	}
	return h;
}

/* ICMP error: outer from a router to the VIP (usually), quoting a packet
 * the real server sent from the VIP to the client. */
static size_t icmp_err(struct pkt *p, size_t off, int family, const struct target *t)
{
	struct target in = *t;
	size_t q, end, nh;

	p->l4 = off;
	/* quoted: VIP:dport -> client:sport, as the server sent it */
	if (family == 4) {
		p->b[off] = chance(70) ? 3 : 11;
		p->b[off + 1] = (uint8_t)rnd(16);
		put16(p->b + off + 2, 0);
		rnd_bytes(p->b + off + 4, 4);
		q = ip4_hdr(p, off + 8, t->dst, t->src, t->proto, 0, (uint16_t)rnd(65536));
		put16(p->b + q, in.dport);
		put16(p->b + q + 2, in.sport);
		rnd_bytes(p->b + q + 4, 4);
		end = q + 8;
		ip4_finish(p, off + 8, end + 20);	/* claims more than is quoted */
	} else {
		static const uint8_t types[] = { 1, 2, 3 };

		p->b[off] = types[rnd(3)];
		p->b[off + 1] = (uint8_t)rnd(8);
		put16(p->b + off + 2, 0);
		rnd_bytes(p->b + off + 4, 4);
		q = off + 8;
		p->b[q] = 0x60;
		memset(p->b + q + 1, 0, 7);
		put16(p->b + q + 4, 20);
		p->b[q + 6] = t->proto;
		p->b[q + 7] = 64;
		memcpy(p->b + q + 8, t->dst, 16);
		memcpy(p->b + q + 24, t->src, 16);
		nh = q + 40;
		put16(p->b + nh, in.dport);
		put16(p->b + nh + 2, in.sport);
		rnd_bytes(p->b + nh + 4, 16);
		end = nh + 20;
	}
	return end;
}

static void build(struct pkt *p)
{
	struct target t;
	size_t et, off, end, nh_at = 0;
	uint32_t kind = rnd(100);
	uint8_t proto;
	int frag = 0;		/* 1 first, 2 later */
	uint32_t fid = 0;
	struct frag_memo *fm = NULL;

	memset(p, 0, sizeof(*p));
	if (kind < 2) {			/* random bytes */
		p->len = 14 + rnd(200);
		rnd_bytes(p->b, p->len);
		if (chance(50))
			memcpy(p->b, if_mac, 6);
		if (chance(40))
			put16(p->b + 12, chance(50) ? 0x0800 : 0x86dd);
		return;
	}
	et = eth(p);
	if (kind < 4) {			/* ARP, or something else entirely */
		put16(p->b + et, chance(60) ? 0x0806 : (uint16_t)rnd(65536));
		p->len = et + 2 + 28 + rnd(20);
		rnd_bytes(p->b + et + 2, p->len - et - 2);
		return;
	}
	pick_target(&t);
	proto = t.proto;
	if (kind < 10)			/* another protocol: GRE, ESP, SCTP, ... */
		proto = (uint8_t[]){ 47, 50, 132, 0, 255, 4, 41 }[rnd(7)];
	else if (kind < 16)
		proto = t.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	else if (kind < 24)
		frag = 1;
	else if (kind < 32)
		frag = 2;

	if (frag) {
		fm = &frags[rnd(N_FRAG_IDS)];
		if (frag == 2 && fm->set && chance(75)) {
			/* a later fragment of a datagram whose first we sent */
			t.family = fm->family;
			memcpy(t.src, fm->src, 16);
			memcpy(t.dst, fm->dst, 16);
			proto = t.proto = fm->proto;
			fid = fm->id;
		} else {
			fid = (uint32_t)rnd64();
		}
		if (frag == 1) {
			fm->family = t.family;
			memcpy(fm->src, t.src, 16);
			memcpy(fm->dst, t.dst, 16);
			fm->proto = proto;
			fm->id = t.family == 4 ? (fid & 0xffff) : fid;
			fm->set = true;
			fid = fm->id;
		}
	}

	p->family = t.family;
	if (t.family == 4) {
		uint16_t fo = 0;

		put16(p->b + et, 0x0800);
		p->l3 = et + 2;
		if (frag == 1)
			fo = 0x2000;
		else if (frag == 2)
			fo = (uint16_t)((chance(50) ? 0x2000 : 0) | (1 + rnd(185)));
		else if (chance(20))
			fo = 0x4000;	/* DF */
		off = ip4_hdr(p, p->l3, t.src, t.dst, proto, fo, (uint16_t)fid);
		if (frag == 2) {
			end = off + 8 + rnd(200);
			rnd_bytes(p->b + off, end - off);
		} else if (proto == IPPROTO_ICMP) {
			if (chance(60)) {
				end = icmp_err(p, off, 4, &t);
				/* the router writes to the VIP; sometimes to another address */
				if (chance(80))
					memcpy(p->b + p->l3 + 16, t.dst, 4);
				else
					rnd_bytes(p->b + p->l3 + 16, 4);
			} else {
				p->b[off] = (uint8_t[]){ 8, 0, 5, 12, 3, 11 }[rnd(6)];
				end = off + 8 + rnd(56);
				rnd_bytes(p->b + off + 1, end - off - 1);
			}
		} else {
			end = l4(p, off, proto, &t);
		}
		ip4_finish(p, p->l3, end);
	} else {
		put16(p->b + et, 0x86dd);
		p->l3 = et + 2;
		off = ip6_hdr(p, p->l3, t.src, t.dst, &nh_at, frag, fid);
		p->b[nh_at] = proto;
		if (frag == 2) {
			end = off + 8 + rnd(200);
			rnd_bytes(p->b + off, end - off);
		} else if (proto == IPPROTO_ICMPV6) {
			if (chance(60)) {
				end = icmp_err(p, off, 6, &t);
				if (chance(20))
					rnd_bytes(p->b + p->l3 + 24, 16);
			} else {
				p->b[off] = (uint8_t[]){ 128, 129, 135, 136, 1, 4 }[rnd(6)];
				end = off + 8 + rnd(56);
				rnd_bytes(p->b + off + 1, end - off - 1);
			}
		} else {
			end = l4(p, off, proto, &t);
		}
		put16(p->b + p->l3 + 4, (uint16_t)(end - p->l3 - 40));
	}
	p->len = end;
	if (chance(10) && p->len < 60) {	/* Ethernet padding to 60 bytes */
		memset(p->b + p->len, 0, 60 - p->len);
		p->len = 60;
	}
}

/* ---- mutations ---- */

static void mutate(struct pkt *p)
{
	int n = 1 + (int)rnd(3), k;

	for (k = 0; k < n; k++) {
		size_t at;

		switch (rnd(9)) {
		case 0:		/* flip bits, mostly in the headers */
		case 1:
			at = chance(80) && p->len > 14 ? 12 + rnd((uint32_t)(p->len < 100 ? p->len - 12 : 88))
						      : rnd((uint32_t)p->len);
			p->b[at] ^= (uint8_t)(1u << rnd(8));
			break;
		case 2:		/* a random byte */
			at = rnd((uint32_t)p->len);
			p->b[at] = (uint8_t)rnd64();
			break;
		case 3:		/* cut short */
			if (p->len > 14)
				p->len = 14 + rnd((uint32_t)(p->len - 14));
			break;
		case 4:		/* IPv4 total length / IPv6 payload length lie */
			if (p->family == 4 && p->l3 + 4 <= p->len)
				put16(p->b + p->l3 + 2, chance(50) ? (uint16_t)rnd(65536) :
				      (uint16_t)(((p->b[p->l3 + 2] << 8) | p->b[p->l3 + 3]) +
						 (int)rnd(41) - 20));
			else if (p->family == 6 && p->l3 + 6 <= p->len)
				put16(p->b + p->l3 + 4, chance(50) ? (uint16_t)rnd(65536) :
				      (uint16_t)(((p->b[p->l3 + 4] << 8) | p->b[p->l3 + 5]) +
						 (int)rnd(41) - 20));
			break;
		case 5:		/* IHL / version lie */
			if (p->l3 && p->l3 < p->len)
				p->b[p->l3] = chance(50) ? (uint8_t)((p->b[p->l3] & 0xf0) | rnd(16))
							 : (uint8_t)((rnd(16) << 4) | (p->b[p->l3] & 0x0f));
			break;
		case 6:		/* junk after the packet */
			at = rnd(64);
			if (p->len + at <= PKT_MAX) {
				rnd_bytes(p->b + p->len, at);
				p->len += at;
			}
			break;
		case 7:		/* the EtherType */
			put16(p->b + 12, (uint16_t[]){ 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806,
						     (uint16_t)rnd(65536) }[rnd(6)]);
			break;
		case 8:		/* L4 header bytes: ports, flags, ICMP type, quoted header */
			if (p->l4 && p->l4 < p->len) {
				at = p->l4 + rnd(48);
				if (at < p->len)
					p->b[at] = (uint8_t)rnd64();
			}
			break;
		}
	}
}

/* ---- the contract ---- */

/* The IP destination the contract speaks of: after at most one VLAN tag. */
static int outer_dst(const uint8_t *b, size_t len, uint8_t dst[16])
{
	size_t off = 12;
	uint16_t et;

	et = (uint16_t)(b[off] << 8 | b[off + 1]);
	if (et == 0x8100 || et == 0x88a8) {
		if (len < off + 6)
			return 0;
		et = (uint16_t)(b[off + 4] << 8 | b[off + 5]);
		off += 4;
	}
	off += 2;
	memset(dst, 0, 16);
	if (et == 0x0800 && len >= off + 20) {
		memcpy(dst, b + off + 16, 4);
		return LB_AF_INET;
	}
	if (et == 0x86dd && len >= off + 40) {
		memcpy(dst, b + off + 24, 16);
		return LB_AF_INET6;
	}
	return 0;
}

enum prop {
	P_VERDICT, P_PASS, P_TX, P_LOCAL, P_VIP, P_N
};

static const char *const prop_names[P_N] = {
	[P_VERDICT] = "never XDP_ABORTED or another verdict, and every test run succeeds",
	[P_PASS] = "XDP_PASS leaves the packet byte-identical",
	[P_TX] = "XDP_TX changes only the MACs: destination a usable backend's, source the interface's",
	[P_LOCAL] = "XDP_TX and XDP_DROP only for frames to the interface's MAC",
	[P_VIP] = "XDP_TX and XDP_DROP only for an active VIP (XDP_TX: to a backend of that VIP)",
};

static uint64_t violations[P_N];
static bool verbose;

static void hex(const char *what, const uint8_t *b, size_t len)
{
	size_t i;

	printf("#   %s (%zu bytes):", what, len);
	for (i = 0; i < len && i < 128; i++)
		printf("%s%02x", i % 32 ? "" : "\n#     ", b[i]);
	printf("%s\n", len > 128 ? " ..." : "");
}

static void violation(enum prop pr, uint64_t i, const char *why, const uint8_t *in, size_t len,
		      const uint8_t *out, size_t out_len)
{
	if (violations[pr]++ >= SHOW_MAX && !verbose)
		return;
	printf("# packet %llu broke \"%s\": %s\n", (unsigned long long)i, prop_names[pr], why);
	hex("in", in, len);
	if (out)
		hex("out", out, out_len);
}

struct run_stats {
	uint64_t runs, skipped, seen[4], tx_bytes;
};

static struct run_stats rs;
static const char *save_dir;

/* Keep a packet that broke a property, for the regression corpus. */
static void save(enum prop pr, const uint8_t *b, size_t len)
{
	static const char *const tags[P_N] = { "verdict", "pass", "tx", "local", "vip" };
	char path[512];
	FILE *f;

	if (!save_dir || violations[pr] > SHOW_MAX)
		return;
	mkdir(save_dir, 0755);
	snprintf(path, sizeof(path), "%s/%s-%llu.pkt", save_dir, tags[pr],
		 (unsigned long long)violations[pr]);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(b, 1, len, f);
	fclose(f);
	printf("#   saved as %s\n", path);
}

#define VIOLATION(pr, i, why, in, len, out, out_len) do {		\
	violation(pr, i, why, in, len, out, out_len);			\
	save(pr, in, len);						\
} while (0)

/* One packet through the program, checked against the contract. */
static void shoot(uint64_t i, const uint8_t *in, size_t len)
{
	static uint8_t out[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = in,
		.data_size_in = (uint32_t)len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1,
	);
	uint8_t dst[16];
	int family, err, verdict;
	bool local, vip;
	char why[160];

	memset(out, 0, len < sizeof(out) ? len : sizeof(out));
	err = bpf_prog_test_run_opts(prog_fd, &o);
	if (err && len < 14) {		/* the kernel's minimum: not a verdict */
		rs.skipped++;
		return;
	}
	rs.runs++;
	if (err) {
		snprintf(why, sizeof(why), "test run failed: %s", strerror(errno));
		VIOLATION(P_VERDICT, i, why, in, len, NULL, 0);
		return;
	}
	verdict = (int)o.retval;
	if (verdict != XDP_PASS && verdict != XDP_TX && verdict != XDP_DROP) {
		snprintf(why, sizeof(why), "verdict %d", verdict);
		VIOLATION(P_VERDICT, i, why, in, len, out, o.data_size_out);
		return;
	}
	rs.seen[verdict]++;
	local = !memcmp(in, if_mac, 6);
	family = outer_dst(in, len, dst);
	vip = family && vip_active(family, dst);

	if (verdict == XDP_PASS) {
		if (o.data_size_out != len || memcmp(out, in, len))
			VIOLATION(P_PASS, i, "changed", in, len, out, o.data_size_out);
		return;
	}
	if (!local)
		VIOLATION(P_LOCAL, i, verdict == XDP_TX ? "XDP_TX" : "XDP_DROP", in, len,
			  out, o.data_size_out);
	if (!vip) {
		char a[64] = "none";

		if (family)
			lb_addr_str(family, dst, a, sizeof(a));
		snprintf(why, sizeof(why), "%s to %s, which is not an active VIP",
			 verdict == XDP_TX ? "XDP_TX" : "XDP_DROP", a);
		VIOLATION(P_VIP, i, why, in, len, out, o.data_size_out);
	}
	if (verdict == XDP_TX) {
		uint32_t b;
		int owner;

		rs.tx_bytes += len;
		if (o.data_size_out != len || memcmp(out + 12, in + 12, len - 12) ||
		    memcmp(out + 6, if_mac, 6)) {
			VIOLATION(P_TX, i, "more than the MACs changed, or the source MAC is wrong",
				  in, len, out, o.data_size_out);
			return;
		}
		for (b = 0; b < max_be; b++)
			if (bes[b].usable && !memcmp(bes[b].mac, out, 6))
				break;
		if (b == max_be) {
			VIOLATION(P_TX, i, "destination MAC is no usable backend's", in, len,
				  out, o.data_size_out);
			return;
		}
		bes[b].tx++;
		bes[b].tx_bytes += len;
		owner = bes[b].svc;
		if (vip && (owner < 0 || svcs[owner].family != family ||
			    memcmp(svcs[owner].addr, dst, family == LB_AF_INET ? 4 : 16))) {
			snprintf(why, sizeof(why), "XDP_TX to backend %u of service %d, not of "
				 "the packet's VIP", b, owner);
			VIOLATION(P_VIP, i, why, in, len, out, o.data_size_out);
		}
	}
}

/* The regression corpus: each file one frame, replayed before the stream. */
static uint64_t replay(const char *dir)
{
	static uint8_t b[PKT_MAX];
	struct dirent **names;
	uint64_t n = 0;
	int k, count;

	count = scandir(dir, &names, NULL, alphasort);
	if (count < 0)
		return 0;
	for (k = 0; k < count; k++) {
		char path[512];
		size_t len;
		FILE *f;

		if (names[k]->d_name[0] == '.') {
			free(names[k]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name);
		free(names[k]);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(b, 1, sizeof(b), f);
		fclose(f);
		if (verbose)
			printf("# replay %s\n", path);
		shoot(n++, b, len);
	}
	free(names);
	return n;
}

int main(int argc, char **argv)
{
	static struct pkt p;
	uint64_t count = 1000000, seed = 1, i, mutated = 0, replayed = 0;
	const char *corpus = NULL;
	struct lb_global_stats g;
	struct timespec t0, t1;
	int k;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--count") && k + 1 < argc)
			count = strtoull(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "--seed") && k + 1 < argc)
			seed = strtoull(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "--corpus") && k + 1 < argc)
			corpus = argv[++k];
		else if (!strcmp(argv[k], "--save") && k + 1 < argc)
			save_dir = argv[++k];
		else if (!strcmp(argv[k], "--verbose") || !strcmp(argv[k], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--count N] [--seed S] [--corpus DIR] "
				"[--save DIR] [--verbose]\n", argv[0]);
			return 2;
		}
	}
	rng_state = seed;
	log_hook_libbpf();
	if (!verbose)
		log_verbosity = LOG_LVL_WARN;
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setup();
	tap(true, "setup: private bpffs, program loaded, %d services with backends", N_SVCS);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (corpus)
		replayed = replay(corpus);
	for (i = 0; i < count && !stop; i++) {
		if (i && i % CHANGE_EVERY == 0)
			control_change();
		build(&p);
		if (chance(45)) {
			mutate(&p);
			mutated++;
		}
		shoot(replayed + i, p.b, p.len);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("# %llu packets (%llu replayed from %s, %llu generated of which %llu mutated, "
	       "%llu refused by the kernel as shorter than 14 bytes) in %.1f s, seed %llu\n",
	       (unsigned long long)rs.runs, (unsigned long long)replayed,
	       corpus ? corpus : "no corpus", (unsigned long long)i,
	       (unsigned long long)mutated, (unsigned long long)rs.skipped,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)seed);
	printf("# verdicts: %llu pass, %llu tx, %llu drop, %llu aborted\n",
	       (unsigned long long)rs.seen[XDP_PASS], (unsigned long long)rs.seen[XDP_TX],
	       (unsigned long long)rs.seen[XDP_DROP], (unsigned long long)rs.seen[XDP_ABORTED]);
	for (k = 0; k < P_N; k++)
		tap(!violations[k], "%s (%llu violations)", prop_names[k],
		    (unsigned long long)violations[k]);

	/* counters */
	if (lb_read_global(&maps, &g))
		bail("lb_read_global failed");
	printf("# counters: packets %llu pass %llu tx %llu drop %llu | pass: not_local %llu "
	       "not_vip %llu inactive %llu | drop: malformed %llu no_backend %llu "
	       "frag_unknown %llu | conn: hit %llu miss %llu resteer %llu expired %llu "
	       "syn_untracked %llu rate_limited %llu | icmp_steered %llu fragments %llu\n",
	       (unsigned long long)g.packets, (unsigned long long)g.verdict_pass,
	       (unsigned long long)g.verdict_tx, (unsigned long long)g.verdict_drop,
	       (unsigned long long)g.pass_not_local, (unsigned long long)g.pass_not_vip,
	       (unsigned long long)g.pass_inactive, (unsigned long long)g.drop_malformed,
	       (unsigned long long)g.drop_no_backend, (unsigned long long)g.drop_frag_unknown,
	       (unsigned long long)g.conn_hit, (unsigned long long)g.conn_miss,
	       (unsigned long long)g.conn_resteer, (unsigned long long)g.conn_expired,
	       (unsigned long long)g.conn_syn_untracked, (unsigned long long)g.conn_rate_limited,
	       (unsigned long long)g.icmp_steered, (unsigned long long)g.fragments);
	tap(g.packets == rs.runs && g.packets == g.verdict_pass + g.verdict_tx + g.verdict_drop &&
	    g.verdict_pass == rs.seen[XDP_PASS] && g.verdict_tx == rs.seen[XDP_TX] &&
	    g.verdict_drop == rs.seen[XDP_DROP],
	    "global counters: packets = runs = pass + tx + drop, each as observed");
	tap(g.verdict_pass == g.pass_not_local + g.pass_not_vip + g.pass_inactive &&
	    g.verdict_drop == g.drop_malformed + g.drop_no_backend + g.drop_frag_unknown,
	    "every pass and drop counted under exactly one reason");
	{
		uint64_t svc_pk = 0, svc_bytes = 0, be_pk = 0;
		bool per_be = true;
		struct lb_counters c;
		uint32_t b;
		int s;

		for (s = 0; s < N_SVCS; s++) {
			if (lb_read_counters(&maps, LB_M_SERVICE_STATS, svcs[s].id, &c))
				bail("lb_read_counters failed");
			svc_pk += c.packets;
			svc_bytes += c.bytes;
		}
		for (b = 0; b < max_be; b++) {
			if (!bes[b].used)
				continue;
			if (lb_read_counters(&maps, LB_M_BACKEND_STATS, b, &c))
				bail("lb_read_counters failed");
			be_pk += c.packets;
			if (c.packets != bes[b].tx || c.bytes != bes[b].tx_bytes) {
				per_be = false;
				printf("# backend %u: counted %llu packets %llu bytes, observed %llu %llu\n",
				       b, (unsigned long long)c.packets, (unsigned long long)c.bytes,
				       (unsigned long long)bes[b].tx, (unsigned long long)bes[b].tx_bytes);
			}
		}
		printf("# per-service: %llu packets %llu bytes; per-backend: %llu packets; "
		       "observed XDP_TX %llu packets %llu bytes\n", (unsigned long long)svc_pk,
		       (unsigned long long)svc_bytes, (unsigned long long)be_pk,
		       (unsigned long long)rs.seen[XDP_TX], (unsigned long long)rs.tx_bytes);
		tap(svc_pk == rs.seen[XDP_TX] && svc_bytes == rs.tx_bytes && be_pk == rs.seen[XDP_TX] &&
		    per_be, "per-service and per-backend counters match the observed XDP_TX");
	}
	{
		static const struct { const char *name; size_t off; } must[] = {
#define F(x) { #x, offsetof(struct lb_global_stats, x) }
			F(verdict_pass), F(verdict_tx), F(verdict_drop), F(pass_not_local),
			F(pass_not_vip), F(pass_inactive), F(drop_malformed), F(drop_no_backend),
			F(drop_frag_unknown), F(conn_hit), F(conn_miss), F(conn_resteer),
			F(icmp_steered), F(fragments), F(conn_syn_untracked),
#undef F
		};
		char missing[256] = "";
		size_t m;

		for (m = 0; m < sizeof(must) / sizeof(must[0]); m++)
			if (!*(const uint64_t *)((const char *)&g + must[m].off))
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
					 " %s", must[m].name);
		if (missing[0])
			printf("# never reached:%s\n", missing);
		tap(!missing[0] || count < 10000,
		    "every verdict and reason reached at least once%s",
		    count < 10000 ? " (not checked below 10000 packets)" : "");
	}
	if (stop)
		tap(false, "interrupted after %llu packets", (unsigned long long)i);
	printf("1..%d\n", tap_n);
	cleanup();
	return tap_failed ? 1 : 0;
}
