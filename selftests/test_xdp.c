// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program through BPF_PROG_TEST_RUN, with crafted packets and map
 * state set up through the same library lbctl uses (user/lb_maps.c).
 *
 * Every packet checks its verdict, every output byte (XDP_TX: the input
 * with bytes 0..5 = the backend's MAC and 6..11 = the balancer's; XDP_PASS:
 * the input unchanged) and the global counters: exactly one packet, one
 * verdict, and the one reason counter the case names (the other reasons
 * must not move). Table-driven where a packet stands alone; stateful
 * sequences (stickiness, drain, failover, affinity, counters, two nodes)
 * are functions.
 *
 * Runs in a mount namespace of its own with a private bpffs in a temporary
 * directory, so nothing touches /sys/fs/bpf; needs root. It fails (not
 * skips) when it cannot set that up.
 *
 * Behaviour this test pins down on purpose:
 * - A frame cut before the IP destination address is complete (Ethernet
 *   header only, a cut VLAN tag, an IPv4 header cut at 19 bytes, an IPv6
 *   header cut at 39) is PASSED, counted pass_not_vip, even when the
 *   address bytes present are the VIP's: without a whole destination the
 *   program cannot tell VIP traffic from the host's, and the kernel drops
 *   such a runt anyway. Everything cut later is a malformed VIP packet.
 * - BPF_PROG_TEST_RUN refuses frames shorter than 14 bytes, so a cut
 *   inside the Ethernet header cannot be tested here.
 * - A TCP flow is remembered at its first non-SYN packet (SYNs are
 *   forwarded by hash only), so "established" below means SYN then ACK.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"		/* before the lb headers: netinet/in.h first */
#include "lb_shared.h"
#include "lb.skel.h"
#include "lb_hash.h"
#include "lb_loader.h"
#include "lb_maps.h"
#include "log.h"
#include "tap.h"

/* The case tables override fields of the TCP4()/UDP4() defaults and leave
 * trailing fields of a case out. */
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define CONN_MAX	32768	/* room for every flow below without LRU eviction */

/* ------------------------------------------------------------------ */
/* Environment: private bpffs, two program instances ("nodes").        */

struct node {
	const char *name;
	uint8_t mac[6];
	char pin[PATH_MAX];
	struct lb_prog prog;
	struct lb_maps maps;
	bool loaded, opened;
	int prog_fd;
};

static struct node node_a = { .name = "node A", .mac = { 0x02, 0, 0, 0, 0, 0xaa } };
static struct node node_b = { .name = "node B", .mac = { 0x02, 0, 0, 0, 0, 0xbb } };
static struct node node_c = { .name = "node C", .mac = { 0x02, 0, 0, 0, 0, 0xcc } };
static char root_dir[128];
static bool root_made, root_mounted;

static void node_down(struct node *n)
{
	if (n->opened)
		lb_maps_close(&n->maps);
	if (n->loaded)
		lb_prog_close(&n->prog);
	if (n->pin[0])
		lb_unpin_all(n->pin);
	n->opened = n->loaded = false;
	n->pin[0] = 0;
}

static void cleanup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	node_down(&node_c);
	node_down(&node_b);
	node_down(&node_a);
	if (root_mounted && umount2(root_dir, MNT_DETACH))
		fprintf(stderr, "# umount %s: %s\n", root_dir, strerror(errno));
	root_mounted = false;
	if (root_made && rmdir(root_dir))
		fprintf(stderr, "# rmdir %s: %s\n", root_dir, strerror(errno));
	root_made = false;
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A setup failure is a failed test, never a skip. */
static void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap_ok(false, "setup: %s", msg);
	tap_done();
	cleanup();
	exit(1);
}

static void env_setup(void)
{
	char tmpl[] = "/tmp/lbctl-test-xdp.XXXXXX";

	if (geteuid() != 0)
		bail("must run as root (BPF_PROG_TEST_RUN, bpffs mount)");
	/* Our own mount namespace: the bpffs disappears with this process
	 * even if it is killed before cleanup runs. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	else
		tap_diag("unshare(CLONE_NEWNS): %s; mounting in the current namespace",
			 strerror(errno));
	if (!mkdtemp(tmpl))
		bail("mkdtemp: %s", strerror(errno));
	snprintf(root_dir, sizeof(root_dir), "%s", tmpl);
	root_made = true;
	if (mount("bpf", root_dir, "bpf", 0, NULL))
		bail("mount bpffs on %s: %s", root_dir, strerror(errno));
	root_mounted = true;
	ASSERT_TRUE(1, "setup: private bpffs mounted");
}

/* conn_rate: new conntrack entries per CPU per second, 0 = the default. */
static void node_up(struct node *n, int64_t conn_rate)
{
	struct lb_limits lim = { .max_services = 64, .max_backends = 256, .conn_max = CONN_MAX,
				 .conn_rate = conn_rate };
	int err;

	snprintf(n->pin, sizeof(n->pin), "%s/%c", root_dir, n->name[5] - 'A' + 'a');
	if (mkdir(n->pin, 0700))
		bail("%s: mkdir %s: %s", n->name, n->pin, strerror(errno));
	err = lb_prog_load(&n->prog, n->mac, &lim, n->pin);
	if (err)
		bail("%s: lb_prog_load: %s", n->name, strerror(-err));
	n->loaded = true;
	n->prog_fd = lb_prog_fd(&n->prog);
	err = lb_maps_open(&n->maps, n->pin);
	if (err)
		bail("%s: lb_maps_open: %s", n->name, strerror(-err));
	n->opened = true;
	/* Held for the whole run, as lbctl holds it for one command. */
	err = lb_maps_lock(&n->maps);
	if (err)
		bail("%s: lb_maps_lock: %s", n->name, strerror(-err));
}

/* ------------------------------------------------------------------ */
/* Services and backends, remembered so that a MAC names a backend.    */

#define MAX_SVC	64
#define MAX_BE	256

struct svc_ref {
	struct node *n;
	uint32_t id;
	int af;			/* 4 or 6 */
	const char *vip;
	uint16_t port;
	uint8_t proto;
	uint32_t flags;		/* LB_SVC_F_* given at creation */
};

struct be_ref {
	struct node *n;
	uint32_t id;
	int svc;		/* index in svcs[] */
	int af;
	uint8_t addr[16];
	uint8_t mac[6];
	char name[48];
};

static struct svc_ref svcs[MAX_SVC];
static int n_svcs;
static struct be_ref bes[MAX_BE];
static int n_bes;

static int lbaf(int af)
{
	return af == 6 ? LB_AF_INET6 : LB_AF_INET;
}

/* Derived from the address, so the same on every node: 02:be (IPv4) or
 * 02:b6 (IPv6), then an FNV-1a hash of the address. */
static void mac_for(int af, const uint8_t *addr, uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < (af == 6 ? 16 : 4); i++)
		h = (h ^ addr[i]) * 16777619u;
	mac[0] = 0x02;
	mac[1] = af == 6 ? 0xb6 : 0xbe;
	mac[2] = h >> 24;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

static int be_by_mac(const struct node *n, const uint8_t *mac);

static int svc_add(struct node *n, int af, const char *vip, uint16_t port, uint8_t proto,
		   uint32_t flags, uint32_t timeout_s, uint32_t table_size)
{
	struct lb_svc_opts o = { .flags = flags, .timeout_s = timeout_s, .table_size = table_size };
	struct lb_svc_key k;
	uint8_t a[16] = { 0 };
	uint32_t id;
	int err;

	if (n_svcs == MAX_SVC)
		bail("too many services");
	pkt_addr(af, vip, a);
	lb_svc_key_make(&k, lbaf(af), a, port, proto);
	err = lb_svc_add(&n->maps, &k, &o, true, &id);
	if (err)
		bail("%s: lb_svc_add %s:%u: %s", n->name, vip, port, strerror(-err));
	svcs[n_svcs] = (struct svc_ref) { n, id, af, vip, port, proto, flags };
	return n_svcs++;
}

static int be_add(int svc, const char *addr, uint32_t weight, uint16_t flags, bool with_mac)
{
	struct svc_ref *s = &svcs[svc];
	struct be_ref *b;
	int err;

	if (n_bes == MAX_BE)
		bail("too many backends");
	b = &bes[n_bes];
	memset(b, 0, sizeof(*b));
	b->n = s->n;
	b->svc = svc;
	b->af = s->af;
	pkt_addr(s->af, addr, b->addr);
	mac_for(s->af, b->addr, b->mac);
	snprintf(b->name, sizeof(b->name), "%s", addr);
	if (be_by_mac(s->n, b->mac) >= 0)
		bail("test MAC of %s collides with %s's", addr, bes[be_by_mac(s->n, b->mac)].name);
	err = lb_be_add(&s->n->maps, s->id, lbaf(s->af), b->addr, weight, flags, &b->id);
	if (err)
		bail("%s: lb_be_add %s: %s", s->n->name, addr, strerror(-err));
	if (with_mac) {
		err = lb_be_set_mac(&s->n->maps, lbaf(s->af), b->addr, b->mac);
		if (err < 0)
			bail("%s: lb_be_set_mac %s: %s", s->n->name, addr, strerror(-err));
	}
	return n_bes++;
}

static void be_set_mac(int be)
{
	int err = lb_be_set_mac(&bes[be].n->maps, lbaf(bes[be].af), bes[be].addr, bes[be].mac);

	if (err < 0)
		bail("lb_be_set_mac %s: %s", bes[be].name, strerror(-err));
}

static int be_by_mac(const struct node *n, const uint8_t *mac)
{
	int i;

	for (i = 0; i < n_bes; i++)
		if (bes[i].n == n && !memcmp(bes[i].mac, mac, 6))
			return i;
	return -1;
}

static struct lb_counters be_counters(int be)
{
	struct lb_counters c;
	int err = lb_read_counters(&bes[be].n->maps, LB_M_BACKEND_STATS, bes[be].id, &c);

	if (err)
		bail("lb_read_counters backend %s: %s", bes[be].name, strerror(-err));
	return c;
}

static struct lb_counters svc_counters(int svc)
{
	struct lb_counters c;
	int err = lb_read_counters(&svcs[svc].n->maps, LB_M_SERVICE_STATS, svcs[svc].id, &c);

	if (err)
		bail("lb_read_counters service %s:%u: %s", svcs[svc].vip, svcs[svc].port,
		     strerror(-err));
	return c;
}

/* ------------------------------------------------------------------ */
/* Running a packet and judging the result.                             */

#define F(field)	offsetof(struct lb_global_stats, field)
#define NO_COUNTER	((size_t)-1)	/* no reason counter may move */
#define ANY_REASON	((size_t)-2)	/* exactly one reason counter, whichever */

static const struct { size_t off; const char *name; bool reason; } gfields[] = {
	{ F(packets), "packets", false },
	{ F(verdict_pass), "verdict_pass", false },
	{ F(verdict_tx), "verdict_tx", false },
	{ F(verdict_drop), "verdict_drop", false },
	{ F(pass_not_local), "pass_not_local", true },
	{ F(pass_not_vip), "pass_not_vip", true },
	{ F(pass_inactive), "pass_inactive", true },
	{ F(drop_malformed), "drop_malformed", true },
	{ F(drop_no_backend), "drop_no_backend", true },
	{ F(drop_frag_unknown), "drop_frag_unknown", true },
	{ F(conn_hit), "conn_hit", false },
	{ F(conn_miss), "conn_miss", false },
	{ F(conn_resteer), "conn_resteer", false },
	{ F(conn_expired), "conn_expired", false },
	{ F(icmp_steered), "icmp_steered", false },
	{ F(fragments), "fragments", false },
	{ F(conn_syn_untracked), "conn_syn_untracked", false },
	{ F(conn_rate_limited), "conn_rate_limited", false },
	{ F(conn_closed), "conn_closed", false },
};
_Static_assert(sizeof(struct lb_global_stats) == 19 * 8, "gfields[] lists every counter");
#define N_GFIELDS	(sizeof(gfields) / sizeof(gfields[0]))

static __u64 gget(const struct lb_global_stats *g, size_t off)
{
	return *(const __u64 *)((const char *)g + off);
}

static const char *vname(int v)
{
	switch (v) {
	case XDP_ABORTED: return "XDP_ABORTED";
	case XDP_DROP: return "XDP_DROP";
	case XDP_PASS: return "XDP_PASS";
	case XDP_TX: return "XDP_TX";
	case XDP_REDIRECT: return "XDP_REDIRECT";
	default: return "error";
	}
}

struct shot {
	struct node *n;
	int verdict;		/* XDP_*, or -errno when the run failed */
	uint32_t len, out_len;
	uint8_t in[PKT_MAX];
	uint8_t out[PKT_MAX + 256];
	struct lb_global_stats d;	/* counters after - before */
	int be;			/* bes[] index the frame went to, -1 if none */
};

static void read_global(struct node *n, struct lb_global_stats *g)
{
	int err = lb_read_global(&n->maps, g);

	if (err)
		bail("%s: lb_read_global: %s", n->name, strerror(-err));
}

static void fire_raw(struct node *n, struct shot *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = r->in,
		.data_size_in = r->len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	struct lb_global_stats before, after;
	size_t i;
	int err;

	r->n = n;
	r->be = -1;
	memset(r->out, 0, sizeof(r->out));
	read_global(n, &before);
	err = bpf_prog_test_run_opts(n->prog_fd, &o);
	read_global(n, &after);
	r->verdict = err ? -errno : (int)o.retval;
	r->out_len = err ? 0 : o.data_size_out;
	for (i = 0; i < N_GFIELDS; i++)
		*(__u64 *)((char *)&r->d + gfields[i].off) =
			gget(&after, gfields[i].off) - gget(&before, gfields[i].off);
	if (r->verdict == XDP_TX && r->out_len >= 6)
		r->be = be_by_mac(n, r->out);
}

static void fire(struct node *n, const struct pkt_spec *s, struct shot *r)
{
	r->len = (uint32_t)pkt_build(s, n->mac, r->in);
	fire_raw(n, r);
}

static char why[1024];

/* What is wrong with a shot, or NULL. svc >= 0: a TX must go to one of
 * that service's backends. counter: the reason (or other) counter that
 * must have moved by exactly one; every reason counter not named must
 * stay. */
static const char *shot_problem(const struct shot *r, int verdict, size_t counter, int svc)
{
	size_t i, off, vc;
	__u64 nreasons;
	uint32_t k;

	if (r->verdict != verdict) {
		snprintf(why, sizeof(why), "verdict %s (%d), expected %s", vname(r->verdict),
			 r->verdict, vname(verdict));
		return why;
	}
	if (verdict == XDP_PASS || verdict == XDP_TX) {
		if (r->out_len != r->len) {
			snprintf(why, sizeof(why), "output %u bytes, input %u", r->out_len, r->len);
			return why;
		}
		for (k = verdict == XDP_TX ? 12 : 0; k < r->len; k++)
			if (r->out[k] != r->in[k]) {
				snprintf(why, sizeof(why), "output byte %u is 0x%02x, input 0x%02x",
					 k, r->out[k], r->in[k]);
				return why;
			}
	}
	if (verdict == XDP_TX) {
		if (r->be < 0) {
			snprintf(why, sizeof(why),
				 "destination MAC %02x:%02x:%02x:%02x:%02x:%02x is no backend's",
				 r->out[0], r->out[1], r->out[2], r->out[3], r->out[4], r->out[5]);
			return why;
		}
		if (svc >= 0 && bes[r->be].svc != svc) {
			snprintf(why, sizeof(why), "went to %s, not a backend of %s:%u",
				 bes[r->be].name, svcs[svc].vip, svcs[svc].port);
			return why;
		}
		if (memcmp(r->out + 6, r->n->mac, 6)) {
			snprintf(why, sizeof(why), "source MAC is not the balancer's");
			return why;
		}
	}
	vc = verdict == XDP_TX ? F(verdict_tx) : verdict == XDP_PASS ? F(verdict_pass) :
	     F(verdict_drop);
	for (i = 0, nreasons = 0; i < N_GFIELDS; i++)
		if (gfields[i].reason)
			nreasons += gget(&r->d, gfields[i].off);
	if (counter == ANY_REASON && nreasons != 1) {
		snprintf(why, sizeof(why), "%llu reason counters moved, expected one",
			 (unsigned long long)nreasons);
		return why;
	}
	for (i = 0; i < N_GFIELDS; i++) {
		__u64 want, got;

		off = gfields[i].off;
		got = gget(&r->d, off);
		if (off == F(packets) || off == vc || off == counter)
			want = 1;
		else if (gfields[i].reason && counter == ANY_REASON)
			continue;
		else if (gfields[i].reason || off == F(verdict_pass) ||
			 off == F(verdict_tx) || off == F(verdict_drop))
			want = 0;
		else
			continue;
		if (got != want) {
			snprintf(why, sizeof(why), "counter %s moved by %llu, expected %llu",
				 gfields[i].name, (unsigned long long)got,
				 (unsigned long long)want);
			return why;
		}
	}
	return NULL;
}

/* The input frame as diagnostics, 16 bytes a line (at most 128). */
static void diag_hex(const uint8_t *p, uint32_t len)
{
	char line[80];
	uint32_t i, j;
	int n;

	for (i = 0; i < len && i < 128; i += 16) {
		n = snprintf(line, sizeof(line), "  %04x:", i);
		for (j = i; j < len && j < i + 16; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %02x", p[j]);
		tap_diag("%s", line);
	}
}

static bool check_shot(const char *name, const struct shot *r, int verdict, size_t counter,
		       int svc)
{
	const char *p = shot_problem(r, verdict, counter, svc);

	if (!tap_ok(!p, "%s", name)) {
		tap_diag("  %s; input frame (%u bytes):", p, r->len);
		diag_hex(r->in, r->len);
	}
	return !p;
}

/* One flow's packet: TCP SYN or UDP datagram to a service, from src:sport. */
static struct pkt_spec flow_spec(int svc, const char *src, uint16_t sport)
{
	struct pkt_spec s = {
		.af = svcs[svc].af, .src = src, .dst = svcs[svc].vip,
		.proto = svcs[svc].proto, .sport = sport, .dport = svcs[svc].port,
		.payload = svcs[svc].proto == IPPROTO_UDP ? 32 : 0,
	};
	return s;
}

/* Sends one packet of a flow; the backend index on a clean TX, else -1
 * with the reason in why[]. */
static int send_flow(int svc, const char *src, uint16_t sport, struct shot *r)
{
	struct pkt_spec s = flow_spec(svc, src, sport);

	fire(svcs[svc].n, &s, r);
	if (shot_problem(r, XDP_TX, NO_COUNTER, svc))
		return -1;
	return r->be;
}

/* A later packet of a flow: a bare ACK for TCP, another datagram for UDP. */
static struct pkt_spec flow_next(int svc, const char *src, uint16_t sport)
{
	struct pkt_spec s = flow_spec(svc, src, sport);

	if (s.proto == IPPROTO_TCP)
		s.tcp_flags = 0x10;
	return s;
}

/* Sends a later packet of a flow, expecting TX and `counter` (conn_hit,
 * conn_resteer...); the backend index or -1 with why[]. */
static int send_next(int svc, const char *src, uint16_t sport, size_t counter, struct shot *r)
{
	struct pkt_spec s = flow_next(svc, src, sport);

	fire(svcs[svc].n, &s, r);
	if (shot_problem(r, XDP_TX, counter, svc))
		return -1;
	return r->be;
}

/* The flow's entry (sport 0: an affinity one); false if there is none. */
static bool conn_get(int svc, const char *src, uint16_t sport, struct lb_flow *k,
		     struct lb_conn *c)
{
	struct svc_ref *v = &svcs[svc];

	memset(k, 0, sizeof(*k));
	pkt_addr(v->af, src, k->src);
	pkt_addr(v->af, v->vip, k->dst);
	k->sport = htons(sport);
	k->dport = htons(v->port);
	k->proto = v->proto;
	k->family = (__u8)lbaf(v->af);
	return !bpf_map_lookup_elem(v->n->maps.fd[LB_M_CONNTRACK], k, c);
}

/* Whether the connection table holds the flow (sport 0: an affinity entry). */
static bool conn_has(int svc, const char *src, uint16_t sport)
{
	struct lb_flow k;
	struct lb_conn c;

	return conn_get(svc, src, sport, &k, &c);
}

/* Opens a flow the way a client does: SYN then ACK for TCP (the program
 * remembers a TCP flow at its first non-SYN packet), one datagram for
 * UDP. Both packets must reach the same backend and the flow must then be
 * in the connection table. The backend index, or -1 with why[]. */
static int establish(int svc, const char *src, uint16_t sport, struct shot *r)
{
	int b = send_flow(svc, src, sport, r);

	if (b < 0)
		return -1;
	if (svcs[svc].proto == IPPROTO_TCP && send_next(svc, src, sport, NO_COUNTER, r) != b) {
		if (r->be >= 0 && r->be != b)
			snprintf(why, sizeof(why), "SYN went to %s, its ACK to %s", bes[b].name,
				 bes[r->be].name);
		return -1;
	}
	/* An affinity service remembers the client, port 0. */
	if (!conn_has(svc, src, svcs[svc].flags & LB_SVC_F_AFFINITY ? 0 : sport)) {
		snprintf(why, sizeof(why), "flow %s:%u not in the connection table", src, sport);
		return -1;
	}
	return b;
}

/* The backend id the service's current Maglev table names for a flow,
 * computed here with the program's own hash. */
static uint32_t table_pick(int svc, const char *src, uint16_t sport, bool by_src)
{
	struct svc_ref *s = &svcs[svc];
	__be32 sa[4] = { 0 }, da[4] = { 0 };
	uint32_t inner_id, idx, bid = LB_BACKEND_NONE, size = s->n->maps.svc[s->id].table_size;
	int fd;

	pkt_addr(s->af, src, sa);
	pkt_addr(s->af, s->vip, da);
	if (bpf_map_lookup_elem(s->n->maps.fd[LB_M_MAGLEV], &s->id, &inner_id))
		return LB_BACKEND_NONE;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return LB_BACKEND_NONE;
	idx = (by_src ? lb_hash_src(sa) :
	       lb_hash_flow(sa, da, htons(sport), htons(s->port), s->proto)) % size;
	if (bpf_map_lookup_elem(fd, &idx, &bid))
		bid = LB_BACKEND_NONE;
	close(fd);
	return bid;
}

/* ------------------------------------------------------------------ */
/* The services of node A that the table-driven cases use.             */

#define VIP4		"10.0.0.10"
#define VIP6		"fd00::10"
#define NONVIP4		"10.0.0.99"
#define NONVIP6		"fd00::99"
#define INACT4		"10.0.0.20"
#define INACT6		"fd00::20"
#define CLIENT4		"192.0.2.1"
#define CLIENT6		"2001:db8::1"

static int S_WEB4, S_DNS4, S_WEB6, S_DNS6, S_INACT4, S_INACT6;

static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xcc };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_vrrp_mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12 };
static const uint8_t mac_ns_mc[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x10 };

static void setup_basic(void)
{
	uint8_t a[16];
	int i;
	char buf[64];

	S_WEB4 = svc_add(&node_a, 4, VIP4, 80, IPPROTO_TCP, 0, 0, 0);
	S_DNS4 = svc_add(&node_a, 4, VIP4, 53, IPPROTO_UDP, 0, 0, 0);
	S_WEB6 = svc_add(&node_a, 6, VIP6, 80, IPPROTO_TCP, 0, 0, 0);
	S_DNS6 = svc_add(&node_a, 6, VIP6, 53, IPPROTO_UDP, 0, 0, 0);
	for (i = 1; i <= 3; i++) {
		snprintf(buf, sizeof(buf), "10.1.0.%d", i);
		be_add(S_WEB4, buf, 1, LB_BE_F_UP, true);
		snprintf(buf, sizeof(buf), "10.1.1.%d", i);
		be_add(S_DNS4, buf, 1, LB_BE_F_UP, true);
		snprintf(buf, sizeof(buf), "fd00:1::%d", i);
		be_add(S_WEB6, buf, 1, LB_BE_F_UP, true);
		snprintf(buf, sizeof(buf), "fd00:1:1::%d", i);
		be_add(S_DNS6, buf, 1, LB_BE_F_UP, true);
	}
	/* Held by another node: present, backends and all, but not active. */
	S_INACT4 = svc_add(&node_a, 4, INACT4, 80, IPPROTO_TCP, 0, 0, 0);
	be_add(S_INACT4, "10.2.0.1", 1, LB_BE_F_UP, true);
	S_INACT6 = svc_add(&node_a, 6, INACT6, 80, IPPROTO_TCP, 0, 0, 0);
	be_add(S_INACT6, "fd00:2::1", 1, LB_BE_F_UP, true);
	pkt_addr(4, INACT4, a);
	if (lb_vip_set_active(&node_a.maps, LB_AF_INET, a, false))
		bail("lb_vip_set_active %s", INACT4);
	pkt_addr(6, INACT6, a);
	if (lb_vip_set_active(&node_a.maps, LB_AF_INET6, a, false))
		bail("lb_vip_set_active %s", INACT6);
}

/* ------------------------------------------------------------------ */
/* Table-driven single packets.                                         */

struct xcase {
	const char *name;
	struct pkt_spec pkt;
	int verdict;
	int *svc;		/* TX: must reach a backend of *svc */
	size_t counter;		/* offsetof(struct lb_global_stats, ...) */
};

#define TCP4(...)	{ .af = 4, .src = CLIENT4, .dst = VIP4, .proto = IPPROTO_TCP, \
			  .dport = 80, __VA_ARGS__ }
#define UDP4(...)	{ .af = 4, .src = CLIENT4, .dst = VIP4, .proto = IPPROTO_UDP, \
			  .dport = 53, .payload = 32, __VA_ARGS__ }
#define TCP6(...)	{ .af = 6, .src = CLIENT6, .dst = VIP6, .proto = IPPROTO_TCP, \
			  .dport = 80, __VA_ARGS__ }
#define UDP6(...)	{ .af = 6, .src = CLIENT6, .dst = VIP6, .proto = IPPROTO_UDP, \
			  .dport = 53, .payload = 32, __VA_ARGS__ }

/* 1 and 4: plain forwarding, both families, VLAN. */
static const struct xcase fwd_cases[] = {
	{ "IPv4 TCP SYN to VIP:80 -> TX, only the MACs change",
	  TCP4(.sport = 1001), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "IPv4 TCP with 100 bytes of payload -> TX",
	  TCP4(.sport = 1002, .tcp_flags = 0x18, .payload = 100), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "IPv4 UDP to VIP:53 -> TX",
	  UDP4(.sport = 1003), XDP_TX, &S_DNS4, F(conn_miss) },
	{ "IPv6 TCP SYN to [VIP]:80 -> TX",
	  TCP6(.sport = 1004), XDP_TX, &S_WEB6, F(conn_miss) },
	{ "IPv6 UDP to [VIP]:53 -> TX",
	  UDP6(.sport = 1005), XDP_TX, &S_DNS6, F(conn_miss) },
	{ "IPv4 SYN padded to 60 bytes (Ethernet minimum) -> TX, padding intact",
	  TCP4(.sport = 1006, .pad_to = 60), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "TCP data offset 15 over a 60-byte segment (40 bytes of options) -> TX",
	  TCP4(.sport = 1042, .tcp_doff = 15, .payload = 40), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "UDP length 2 bytes short of the IP packet (trailing bytes) -> TX",
	  UDP4(.sport = 1046, .payload = 10, .udp_len_delta = -2), XDP_TX, &S_DNS4, F(conn_miss) },
	{ "802.1Q VID 100, IPv4 TCP to VIP -> TX, tag intact",
	  TCP4(.sport = 1007, .vlan = 100), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "802.1Q VID 4000 PCP 5, IPv6 UDP to VIP -> TX, tag intact",
	  UDP6(.sport = 1008, .vlan = 0xafa0), XDP_TX, &S_DNS6, F(conn_miss) },
	{ "802.1ad S-tag, IPv4 TCP to VIP -> TX, tag intact",
	  TCP4(.sport = 1011, .vlan = 200, .vlan_tpid = ETH_P_8021AD), XDP_TX, &S_WEB4,
	  F(conn_miss) },
	{ "802.1Q, IPv4 with IHL 15 -> TX",
	  TCP4(.sport = 1009, .vlan = 7, .opt_words = 10), XDP_TX, &S_WEB4, F(conn_miss) },
	{ "802.1Q, IPv4 TCP to a non-VIP -> PASS",
	  TCP4(.sport = 1010, .vlan = 100, .dst = NONVIP4), XDP_PASS, NULL, F(pass_not_vip) },
};

/* 3: what is not the balancer's business passes untouched. */
static const struct xcase pass_cases[] = {
	{ "IPv4 TCP to a non-VIP address -> PASS", TCP4(.sport = 2001, .dst = NONVIP4),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv6 TCP to a non-VIP address -> PASS", TCP6(.sport = 2002, .dst = NONVIP6),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv4 TCP to VIP:22 (no service on that port) -> PASS", TCP4(.sport = 2003, .dport = 22),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv4 UDP to VIP:80 (service is TCP) -> PASS", UDP4(.sport = 2004, .dport = 80),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv4 TCP to VIP:53 (service is UDP) -> PASS", TCP4(.sport = 2005, .dport = 53),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv6 TCP to [VIP]:443 (no service) -> PASS", TCP6(.sport = 2006, .dport = 443),
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv4 TCP to an inactive VIP -> PASS", TCP4(.sport = 2007, .dst = INACT4),
	  XDP_PASS, NULL, F(pass_inactive) },
	{ "IPv6 TCP to an inactive VIP -> PASS", TCP6(.sport = 2008, .dst = INACT6),
	  XDP_PASS, NULL, F(pass_inactive) },
	{ "IPv4 TCP to VIP:80 in a frame for another MAC -> PASS",
	  TCP4(.sport = 2009, .dmac = mac_other), XDP_PASS, NULL, F(pass_not_local) },
	{ "IPv6 UDP to [VIP]:53 in a frame for another MAC -> PASS",
	  UDP6(.sport = 2010, .dmac = mac_other), XDP_PASS, NULL, F(pass_not_local) },
	{ "broadcast ARP who-has VIP -> PASS",
	  { .ethertype = ETH_P_ARP, .dmac = mac_bcast, .src = CLIENT4, .dst = VIP4 },
	  XDP_PASS, NULL, F(pass_not_local) },
	{ "unicast ARP to our MAC -> PASS",
	  { .ethertype = ETH_P_ARP, .src = CLIENT4, .dst = VIP4 },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "LLDP frame to our MAC -> PASS",
	  { .ethertype = 0x88cc, .payload = 46 }, XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMP echo request to VIP -> PASS",
	  { .af = 4, .src = CLIENT4, .dst = VIP4, .proto = IPPROTO_ICMP,
	    .icmp_type = ICMP_ECHO, .payload = 56 }, XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMPv6 echo request to VIP -> PASS",
	  { .af = 6, .src = CLIENT6, .dst = VIP6, .proto = IPPROTO_ICMPV6,
	    .icmp_type = ICMPV6_ECHO_REQUEST, .payload = 56 }, XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv6 neighbour solicitation unicast to VIP -> PASS",
	  { .af = 6, .src = CLIENT6, .dst = VIP6, .proto = IPPROTO_ICMPV6,
	    .icmp_type = 135, .payload = 24 }, XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv6 neighbour solicitation to the solicited-node group -> PASS",
	  { .af = 6, .src = CLIENT6, .dst = "ff02::1:ff00:10", .dmac = mac_ns_mc,
	    .proto = IPPROTO_ICMPV6, .icmp_type = 135, .payload = 24 },
	  XDP_PASS, NULL, F(pass_not_local) },
	{ "VRRP advert to 224.0.0.18 -> PASS",
	  { .af = 4, .src = "10.0.0.2", .dst = "224.0.0.18", .dmac = mac_vrrp_mc,
	    .proto = 112, .payload = 20 }, XDP_PASS, NULL, F(pass_not_local) },
	{ "VRRP unicast advert to VIP (unicast peers) -> PASS",
	  { .af = 4, .src = "10.0.0.2", .dst = VIP4, .proto = 112, .payload = 20 },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "GRE to VIP -> PASS",
	  { .af = 4, .src = CLIENT4, .dst = VIP4, .proto = 47, .payload = 40 },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMP frag-needed to VIP quoting a non-VIP flow -> PASS",
	  { .af = 4, .src = "198.51.100.1", .dst = VIP4, .proto = IPPROTO_ICMP,
	    .icmp_type = ICMP_DEST_UNREACH, .icmp_code = ICMP_FRAG_NEEDED,
	    .inner = &(struct pkt_spec)TCP4(.src = NONVIP4, .dst = CLIENT4, .sport = 80,
					    .dport = 2011, .tcp_flags = 0x10) },
	  XDP_PASS, NULL, F(pass_not_vip) },
	/* found by xdp_fuzz: the error's own destination must be the VIP */
	{ "ICMP frag-needed to a non-VIP quoting a VIP's reply -> PASS",
	  { .af = 4, .src = "198.51.100.1", .dst = NONVIP4, .proto = IPPROTO_ICMP,
	    .icmp_type = ICMP_DEST_UNREACH, .icmp_code = ICMP_FRAG_NEEDED,
	    .inner = &(struct pkt_spec)TCP4(.src = VIP4, .dst = CLIENT4, .sport = 80,
					    .dport = 2012, .tcp_flags = 0x10) },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMPv6 packet-too-big to a non-VIP quoting a VIP's reply -> PASS",
	  { .af = 6, .src = "2001:db8:ffff::1", .dst = NONVIP6, .proto = IPPROTO_ICMPV6,
	    .icmp_type = ICMPV6_PKT_TOOBIG,
	    .inner = &(struct pkt_spec)TCP6(.src = VIP6, .dst = CLIENT6, .sport = 80,
					    .dport = 2013, .tcp_flags = 0x10) },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMP frag-needed to VIP quoting an ICMP packet -> PASS",
	  { .af = 4, .src = "198.51.100.1", .dst = VIP4, .proto = IPPROTO_ICMP,
	    .icmp_type = ICMP_DEST_UNREACH, .icmp_code = ICMP_FRAG_NEEDED,
	    .inner = &(struct pkt_spec){ .af = 4, .src = VIP4, .dst = CLIENT4,
					 .proto = IPPROTO_ICMP, .icmp_type = ICMP_ECHOREPLY } },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "ICMP redirect to VIP -> PASS",
	  { .af = 4, .src = "10.0.0.1", .dst = VIP4, .proto = IPPROTO_ICMP,
	    .icmp_type = ICMP_REDIRECT,
	    .inner = &(struct pkt_spec)TCP4(.src = VIP4, .dst = CLIENT4, .sport = 80,
					    .dport = 2012, .tcp_flags = 0x10) },
	  XDP_PASS, NULL, F(pass_not_vip) },
	{ "QinQ (two 802.1Q tags) to VIP -> PASS (one tag is parsed)",
	  { .af = 0, .vlan = 10, .ethertype = ETH_P_8021Q, .payload = 60 },
	  XDP_PASS, NULL, F(pass_not_vip) },
};

/* 5: IPv4 options and IPv6 extension headers. */
#define EXT3	.ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING }, .n_ext = 3
#define EXT4	.ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS }, \
		.n_ext = 4
#define EXT5	.ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, \
			 IPPROTO_DSTOPTS }, .n_ext = 5

static const struct xcase opt_cases[] = {
	{ "IPv4 IHL 6 (router alert) TCP -> TX", TCP4(.sport = 3001, .opt_words = 1),
	  XDP_TX, &S_WEB4, F(conn_miss) },
	{ "IPv4 IHL 8 TCP -> TX", TCP4(.sport = 3002, .opt_words = 3),
	  XDP_TX, &S_WEB4, F(conn_miss) },
	{ "IPv4 IHL 15 TCP -> TX", TCP4(.sport = 3003, .opt_words = 10),
	  XDP_TX, &S_WEB4, F(conn_miss) },
	{ "IPv4 IHL 15 UDP -> TX", UDP4(.sport = 3004, .opt_words = 10),
	  XDP_TX, &S_DNS4, F(conn_miss) },
	{ "IPv4 IHL 15 TCP to a non-VIP -> PASS", TCP4(.sport = 3005, .opt_words = 10,
	  .dst = NONVIP4), XDP_PASS, NULL, F(pass_not_vip) },
	{ "IPv6 hop-by-hop + dest-options + routing, TCP -> TX", TCP6(.sport = 3006, EXT3),
	  XDP_TX, &S_WEB6, F(conn_miss) },
	{ "IPv6 hop-by-hop + dest-options + routing, UDP -> TX", UDP6(.sport = 3007, EXT3),
	  XDP_TX, &S_DNS6, F(conn_miss) },
	{ "IPv6 four extension headers, TCP -> TX", TCP6(.sport = 3008, EXT4),
	  XDP_TX, &S_WEB6, F(conn_miss) },
	{ "IPv6 atomic fragment header (offset 0, M 0), TCP -> TX",
	  TCP6(.sport = 3009, .ext = { IPPROTO_FRAGMENT }, .n_ext = 1, .frag_id = 77),
	  XDP_TX, &S_WEB6, F(conn_miss) },
	{ "IPv6 five extension headers to VIP -> DROP (malformed)", TCP6(.sport = 3010, EXT5),
	  XDP_DROP, NULL, F(drop_malformed) },
	{ "IPv6 five extension headers to a non-VIP -> PASS",
	  TCP6(.sport = 3011, EXT5, .dst = NONVIP6), XDP_PASS, NULL, F(pass_not_vip) },
};

static void run_cases(const struct xcase *c, size_t n)
{
	struct shot r;
	size_t i;

	for (i = 0; i < n; i++) {
		fire(&node_a, &c[i].pkt, &r);
		check_shot(c[i].name, &r, c[i].verdict, c[i].counter, c[i].svc ? *c[i].svc : -1);
	}
}

/* 8: truncated and malformed. Each runs three times: to the VIP (the
 * verdict given), to a non-VIP and to an inactive VIP (both PASS). */
struct mcase {
	const char *name;
	struct pkt_spec pkt;
	int verdict;		/* for the VIP */
	size_t counter;
	const char *why;	/* why this verdict, shown with a PASS */
};

#define CUT_DST	"destination address incomplete: cannot tell it is for a VIP"
#define ICMP_FN(...)	{ .af = 4, .src = "198.51.100.1", .dst = VIP4, .proto = IPPROTO_ICMP, \
			  .icmp_type = ICMP_DEST_UNREACH, .icmp_code = ICMP_FRAG_NEEDED, \
			  __VA_ARGS__ }

static const struct pkt_spec inner_reply4 = TCP4(.src = VIP4, .dst = CLIENT4, .sport = 80,
						 .dport = 4000, .tcp_flags = 0x10);
static const struct pkt_spec inner_reply4_ihl4 = TCP4(.src = VIP4, .dst = CLIENT4, .sport = 80,
						      .dport = 4000, .tcp_flags = 0x10,
						      .ihl = 4);
static const struct pkt_spec inner_reply6 = TCP6(.src = VIP6, .dst = CLIENT6, .sport = 80,
						 .dport = 4000, .tcp_flags = 0x10);

static const struct mcase bad_cases[] = {
	{ "Ethernet header only (14 bytes)", TCP4(.sport = 4001, .truncate = 14),
	  XDP_PASS, F(pass_not_vip), CUT_DST },
	{ "802.1Q tag cut after 2 bytes", TCP4(.sport = 4002, .vlan = 5, .truncate = 16),
	  XDP_PASS, F(pass_not_vip), CUT_DST },
	{ "IPv4 header cut at 19 bytes", TCP4(.sport = 4003, .truncate = 14 + 19),
	  XDP_PASS, F(pass_not_vip), CUT_DST },
	{ "IPv4 header only (20 bytes), tot_len as sent", TCP4(.sport = 4004, .truncate = 34),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv4 header only, tot_len 20 (no TCP header)",
	  TCP4(.sport = 4005, .truncate = 34, .fix_len = true), XDP_DROP, F(drop_malformed) },
	{ "IPv4 IHL 4", TCP4(.sport = 4006, .ihl = 4), XDP_DROP, F(drop_malformed) },
	{ "IPv4 IHL 15 over a 20-byte header (tot_len 40 < 60)", TCP4(.sport = 4008, .ihl = 15),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv4 IHL 15, frame cut inside the options, tot_len as sent",
	  TCP4(.sport = 4009, .opt_words = 10, .truncate = 14 + 40), XDP_DROP, F(drop_malformed) },
	{ "IPv4 IHL 15, frame cut inside the options, tot_len = frame",
	  TCP4(.sport = 4010, .opt_words = 10, .truncate = 14 + 40, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv4 tot_len 1 byte longer than the frame", TCP4(.sport = 4011, .len_delta = 1),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv4 tot_len 19 (shorter than the header)", TCP4(.sport = 4012, .len_delta = -21),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv4 version 6 in an IPv4 frame", TCP4(.sport = 4013, .version = 6),
	  XDP_DROP, F(drop_malformed) },
	{ "TCP header cut at 10 bytes, tot_len as sent",
	  TCP4(.sport = 4014, .truncate = 14 + 20 + 10), XDP_DROP, F(drop_malformed) },
	{ "TCP data offset 4 (shorter than the fixed header)",
	  TCP4(.sport = 4040, .tcp_doff = 4, .payload = 20), XDP_DROP, F(drop_malformed) },
	{ "TCP data offset 15 over a 20-byte segment",
	  TCP4(.sport = 4041, .tcp_doff = 15), XDP_DROP, F(drop_malformed) },
	{ "UDP length 7 (shorter than its header)",
	  UDP4(.sport = 4043, .payload = 10, .udp_len_delta = -11), XDP_DROP, F(drop_malformed) },
	{ "UDP length 1 byte beyond the IP packet",
	  UDP4(.sport = 4044, .payload = 10, .udp_len_delta = 1), XDP_DROP, F(drop_malformed) },
	{ "IPv6 UDP length 500 in a 26-byte datagram",
	  UDP6(.sport = 4045, .payload = 18, .udp_len_delta = 474), XDP_DROP, F(drop_malformed) },

	{ "TCP header cut at 10 bytes, tot_len = frame",
	  TCP4(.sport = 4015, .truncate = 14 + 20 + 10, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "TCP header cut at 10 bytes after IPv4 options",
	  TCP4(.sport = 4016, .opt_words = 10, .truncate = 14 + 60 + 10, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "TCP header cut at 10 bytes by tot_len (30), frame padded to 60",
	  TCP4(.sport = 4017, .truncate = 14 + 20 + 10, .fix_len = true, .pad_to = 60),
	  XDP_DROP, F(drop_malformed), NULL },
	{ "UDP header cut at 4 bytes, tot_len as sent",
	  UDP4(.sport = 4018, .truncate = 14 + 20 + 4), XDP_DROP, F(drop_malformed) },
	{ "UDP header cut at 4 bytes, tot_len = frame",
	  UDP4(.sport = 4019, .truncate = 14 + 20 + 4, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 header cut at 39 bytes", TCP6(.sport = 4020, .truncate = 14 + 39),
	  XDP_PASS, F(pass_not_vip), CUT_DST },
	{ "IPv6 header only, payload_len as sent", TCP6(.sport = 4021, .truncate = 14 + 40),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 header only, payload_len 0",
	  TCP6(.sport = 4022, .truncate = 14 + 40, .fix_len = true), XDP_DROP, F(drop_malformed) },
	{ "IPv6 payload_len 1 byte longer than the frame", TCP6(.sport = 4023, .len_delta = 1),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 payload_len 10 under a 20-byte TCP header",
	  TCP6(.sport = 4024, .len_delta = -10), XDP_DROP, F(drop_malformed), NULL },
	{ "IPv6 version 4 in an IPv6 frame", TCP6(.sport = 4025, .version = 4),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 TCP header cut at 10 bytes",
	  TCP6(.sport = 4026, .truncate = 14 + 40 + 10, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 UDP header cut at 4 bytes",
	  UDP6(.sport = 4027, .truncate = 14 + 40 + 4, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 hop-by-hop header cut at 1 byte",
	  TCP6(.sport = 4028, .ext = { IPPROTO_HOPOPTS }, .n_ext = 1,
	       .truncate = 14 + 40 + 1, .fix_len = true), XDP_DROP, F(drop_malformed) },
	{ "IPv6 TCP header cut at 10 bytes after three extension headers",
	  TCP6(.sport = 4029, EXT3, .truncate = 14 + 40 + 40 + 10, .fix_len = true),
	  XDP_DROP, F(drop_malformed) },
	{ "IPv6 fragment header cut at 4 bytes",
	  UDP6(.sport = 4030, .ext = { IPPROTO_FRAGMENT }, .n_ext = 1, .mf = true,
	       .truncate = 14 + 40 + 4, .fix_len = true), XDP_DROP, F(drop_malformed) },
	{ "ICMP frag-needed quoting 2 bytes of the inner TCP header",
	  ICMP_FN(.inner = &inner_reply4, .quote = 22), XDP_DROP, F(drop_malformed) },
	{ "ICMP frag-needed quoting 12 bytes of the inner IPv4 header",
	  ICMP_FN(.inner = &inner_reply4, .quote = 12), XDP_DROP, F(drop_malformed) },
	{ "ICMP frag-needed quoting an inner header with IHL 4",
	  ICMP_FN(.inner = &inner_reply4_ihl4), XDP_DROP, F(drop_malformed) },
	{ "ICMPv6 packet-too-big quoting 20 bytes of the inner IPv6 header",
	  { .af = 6, .src = "2001:db8:ffff::1", .dst = VIP6, .proto = IPPROTO_ICMPV6,
	    .icmp_type = ICMPV6_PKT_TOOBIG, .inner = &inner_reply6, .quote = 20 },
	  XDP_DROP, F(drop_malformed) },
	{ "ICMPv6 packet-too-big quoting the inner header and 2 bytes of TCP",
	  { .af = 6, .src = "2001:db8:ffff::1", .dst = VIP6, .proto = IPPROTO_ICMPV6,
	    .icmp_type = ICMPV6_PKT_TOOBIG, .inner = &inner_reply6, .quote = 42 },
	  XDP_DROP, F(drop_malformed) },
};

static void run_bad_cases(void)
{
	static const char *const where[] = { "VIP", "non-VIP", "inactive VIP" };
	struct shot r;
	size_t i;
	int w;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct mcase *c = &bad_cases[i];
		struct pkt_spec s = c->pkt;
		int verdict = c->verdict;
		size_t counter = c->counter;

		for (w = 0; w < 3; w++) {
			char name[256];

			if (w == 1)
				s.dst = s.af == 6 ? NONVIP6 : NONVIP4;
			if (w == 2)
				s.dst = s.af == 6 ? INACT6 : INACT4;
			if (w > 0) {
				verdict = XDP_PASS;
				counter = F(pass_not_vip);
			}
			snprintf(name, sizeof(name), "malformed to %s: %s -> %s%s%s%s", where[w],
				 c->name, vname(verdict) + 4, w == 0 && c->why ? " (" : "",
				 w == 0 && c->why ? c->why : "", w == 0 && c->why ? ")" : "");
			fire(&node_a, &s, &r);
			check_shot(name, &r, verdict, counter, -1);
		}
	}
	/* IHL 0 (a designated .ihl = 0 means "from the options"): patched
	 * into a good SYN. */
	{
		struct pkt_spec s = TCP4(.sport = 4007);

		r.len = (uint32_t)pkt_build(&s, node_a.mac, r.in);
		r.in[14] = 0x40;
		fire_raw(&node_a, &r);
		check_shot("malformed to VIP: IPv4 IHL 0 -> DROP", &r, XDP_DROP,
			   F(drop_malformed), -1);
	}
}

/* ------------------------------------------------------------------ */
/* 2: stickiness of one flow, balance.                                  */

static void test_same_flow(void)
{
	struct pkt_spec s = flow_spec(S_DNS4, "192.0.2.2", 5555);
	struct lb_counters before, after;
	struct shot r;
	int b;

	/* UDP: the first datagram is remembered, the second hits. */
	fire(&node_a, &s, &r);
	check_shot("flow: UDP first datagram -> TX (conn_miss)", &r, XDP_TX, F(conn_miss), S_DNS4);
	b = r.be;
	ASSERT_TRUE(conn_has(S_DNS4, "192.0.2.2", 5555), "flow: UDP flow now in the connection table");
	if (b < 0)
		return;
	before = be_counters(b);
	s.payload = 200;
	fire(&node_a, &s, &r);
	after = be_counters(b);
	check_shot("flow: UDP second datagram -> TX (conn_hit)", &r, XDP_TX, F(conn_hit), S_DNS4);
	ASSERT_EQ(r.be, b, "flow: UDP second datagram reaches the same backend");
	ASSERT_EQ(gget(&r.d, F(conn_miss)), 0, "flow: ... and is no conn_miss");
	ASSERT_EQ(after.new_flows - before.new_flows, 0, "flow: ... and no new flow for the backend");

	/* TCP: the SYN is forwarded by hash and held in the handshake table,
	 * not in conntrack (a spoofed SYN flood cannot evict established
	 * flows); the ACK is remembered; then hits. */
	s = flow_spec(S_WEB4, "192.0.2.2", 5556);
	fire(&node_a, &s, &r);
	check_shot("flow: TCP SYN -> TX (conn_miss)", &r, XDP_TX, F(conn_miss), S_WEB4);
	b = r.be;
	ASSERT_EQ(gget(&r.d, F(conn_syn_untracked)), 1, "flow: ... counted conn_syn_untracked");
	ASSERT_TRUE(!conn_has(S_WEB4, "192.0.2.2", 5556), "flow: ... and not remembered");
	fire(&node_a, &s, &r);
	ASSERT_TRUE(!shot_problem(&r, XDP_TX, F(conn_miss), S_WEB4) && r.be == b,
		    "flow: TCP SYN retransmitted -> TX to the same backend (by hash)");
	s = flow_next(S_WEB4, "192.0.2.2", 5556);
	fire(&node_a, &s, &r);
	ASSERT_TRUE(!shot_problem(&r, XDP_TX, F(conn_miss), S_WEB4) && r.be == b &&
		    gget(&r.d, F(conn_syn_untracked)) == 0,
		    "flow: TCP handshake ACK -> TX to the same backend (conn_miss)");
	ASSERT_TRUE(conn_has(S_WEB4, "192.0.2.2", 5556), "flow: ... and now remembered");
	s.tcp_flags = 0x18;
	s.payload = 300;
	fire(&node_a, &s, &r);
	check_shot("flow: TCP data -> TX (conn_hit)", &r, XDP_TX, F(conn_hit), S_WEB4);
	ASSERT_EQ(r.be, b, "flow: ... to the same backend");
	s = flow_spec(S_WEB4, "192.0.2.2", 5556);
	fire(&node_a, &s, &r);
	/* A SYN on a remembered tuple is a new connection (a reused client
	 * port): placed afresh (the same server while the table is unchanged)
	 * and the entry overwritten, not grown. */
	ASSERT_TRUE(!shot_problem(&r, XDP_TX, F(conn_miss), S_WEB4) && r.be == b &&
		    gget(&r.d, F(conn_syn_untracked)) == 0,
		    "flow: a SYN on a remembered tuple -> placed afresh (conn_miss), same backend");
	ASSERT_TRUE(conn_has(S_WEB4, "192.0.2.2", 5556), "flow: ... and the entry stays");
}

/* Sends n flows (sport base..base+n-1 from src) to svc; counts per backend
 * (bes[] index) into hist; returns how many did not TX cleanly. Also
 * checks that each new flow took the backend its Maglev slot names. */
static int spread(int svc, const char *src, uint16_t base, int n, int *hist, int *bad_slot)
{
	struct shot r;
	int i, b, bad = 0;

	for (i = 0; i < n; i++) {
		b = send_flow(svc, src, (uint16_t)(base + i), &r);
		if (b < 0) {
			if (!bad)
				tap_diag("  flow %s:%u: %s", src, base + i, why);
			bad++;
			continue;
		}
		hist[b]++;
		if (bad_slot && table_pick(svc, src, (uint16_t)(base + i), false) != bes[b].id)
			(*bad_slot)++;
	}
	return bad;
}

static void test_balance(void)
{
	static const uint32_t w121[3] = { 1, 2, 1 };
	struct lb_counters c0[3], c1[3];
	int hist[MAX_BE] = { 0 }, be[3], i, j, bad, bad_slot = 0, s121;
	char buf[64];
	bool ok;

	for (i = 0, j = 0; i < n_bes && j < 3; i++)
		if (bes[i].svc == S_WEB4)
			be[j++] = i;
	for (i = 0; i < 3; i++)
		c0[i] = be_counters(be[i]);
	bad = spread(S_WEB4, "192.0.2.3", 10000, 3000, hist, &bad_slot);
	ASSERT_EQ(bad, 0, "balance: 3000 flows all TX with only the MACs changed");
	ASSERT_EQ(bad_slot, 0, "balance: every new flow took the backend its Maglev slot names");
	ok = true;
	for (i = 0; i < 3; i++) {
		c1[i] = be_counters(be[i]);
		/* One packet per flow: the backend's packets counter counts flows. */
		__u64 got;

		c1[i] = be_counters(be[i]);
		got = c1[i].packets - c0[i].packets;
		tap_diag("  %s: %llu flows (output MACs say %d)", bes[be[i]].name,
			 (unsigned long long)got, hist[be[i]]);
		if (got < 900 || got > 1100 || got != (__u64)hist[be[i]])
			ok = false;
	}
	ASSERT_TRUE(ok, "balance: 3 equal backends get 1000 +- 10% of 3000 flows each "
		    "(backend packets counters)");

	s121 = svc_add(&node_a, 4, "10.0.0.11", 80, IPPROTO_TCP, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "10.11.0.%d", i + 1);
		be[i] = be_add(s121, buf, w121[i], LB_BE_F_UP, true);
	}
	memset(hist, 0, sizeof(hist));
	bad = spread(s121, "192.0.2.3", 10000, 3000, hist, NULL);
	ASSERT_EQ(bad, 0, "weights 1:2:1: 3000 flows all TX");
	ok = true;
	for (i = 0; i < 3; i++) {
		double share = 3000.0 * w121[i] / 4;
		__u64 got = be_counters(be[i]).packets;

		tap_diag("  %s weight %u: %llu flows (share %.0f)", bes[be[i]].name, w121[i],
			 (unsigned long long)got, share);
		if (got < share * 0.9 || got > share * 1.1)
			ok = false;
	}
	ASSERT_TRUE(ok, "weights 1:2:1: each backend within +-10% of its share");
}

/* ------------------------------------------------------------------ */
/* 3 (stateful part): a VIP that goes inactive with flows on it.        */

static void test_inactive_flow(void)
{
	struct pkt_spec s;
	struct shot r;
	uint8_t a[16];
	int svc, b;

	svc = svc_add(&node_a, 4, "10.0.0.21", 80, IPPROTO_TCP, 0, 0, 0);
	be_add(svc, "10.21.0.1", 1, LB_BE_F_UP, true);
	be_add(svc, "10.21.0.2", 1, LB_BE_F_UP, true);
	b = establish(svc, "192.0.2.21", 2100, &r);
	if (!ASSERT_TRUE(b >= 0, "inactive: flow established while the VIP is active"))
		tap_diag("  %s", why);
	s = flow_next(svc, "192.0.2.21", 2100);
	pkt_addr(4, "10.0.0.21", a);
	if (lb_vip_set_active(&node_a.maps, LB_AF_INET, a, false))
		bail("lb_vip_set_active");
	fire(&node_a, &s, &r);
	check_shot("inactive: the same flow after the VIP went inactive -> PASS untouched", &r,
		   XDP_PASS, F(pass_inactive), -1);
	s.sport = 2101;
	fire(&node_a, &s, &r);
	check_shot("inactive: a new flow to the inactive VIP -> PASS", &r, XDP_PASS,
		   F(pass_inactive), -1);
	s.sport = 2100;
	s.truncate = 14 + 20 + 10;
	s.fix_len = true;
	fire(&node_a, &s, &r);
	check_shot("inactive: a truncated packet to the inactive VIP -> PASS", &r, XDP_PASS,
		   F(pass_not_vip), -1);
	s.truncate = 0;
	s.fix_len = false;
	if (lb_vip_set_active(&node_a.maps, LB_AF_INET, a, true))
		bail("lb_vip_set_active");
	fire(&node_a, &s, &r);
	check_shot("inactive: VIP active again -> the flow is forwarded (conn_hit)", &r, XDP_TX,
		   F(conn_hit), svc);
	ASSERT_EQ(r.be, b, "inactive: ... to the backend it had");
}

/* ------------------------------------------------------------------ */
/* 6: ICMP errors reach the flow's backend.                             */

#define ICMP_FLOWS	20

static void test_icmp(void)
{
	struct shot r;
	char name[160];
	int i, b, fails[6] = { 0 };
	static const char *const what[6] = {
		"ICMP frag-needed (3/4)", "ICMP time-exceeded (11/0)",
		"ICMP port-unreachable (3/3)", "ICMPv6 packet-too-big",
		"ICMPv6 time-exceeded", "ICMPv6 dest-unreachable",
	};

	for (i = 0; i < ICMP_FLOWS; i++) {
		uint16_t port = (uint16_t)(40000 + i);
		struct pkt_spec in4 = TCP4(.src = VIP4, .dst = "192.0.2.6", .sport = 80,
					   .dport = port, .tcp_flags = 0x18, .payload = 1400);
		struct pkt_spec in6 = TCP6(.src = VIP6, .dst = "2001:db8::6", .sport = 80,
					   .dport = port, .tcp_flags = 0x18, .payload = 1300);
		struct pkt_spec e4 = { .af = 4, .src = "198.51.100.1", .dst = VIP4,
				       .proto = IPPROTO_ICMP, .inner = &in4 };
		/* As much of the reply as fits in 1280 bytes (RFC 4443 2.4). */
		struct pkt_spec e6 = { .af = 6, .src = "2001:db8:ffff::1", .dst = VIP6,
				       .proto = IPPROTO_ICMPV6, .inner = &in6, .quote = 1232 };
		struct { struct pkt_spec *s; uint8_t type, code; int svc; } errs[6] = {
			{ &e4, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, S_WEB4 },
			{ &e4, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, S_WEB4 },
			{ &e4, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, S_WEB4 },
			{ &e6, ICMPV6_PKT_TOOBIG, 0, S_WEB6 },
			{ &e6, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, S_WEB6 },
			{ &e6, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, S_WEB6 },
		};
		int b4, b6, k;

		b4 = establish(S_WEB4, "192.0.2.6", port, &r);
		b6 = b4 < 0 ? -1 : establish(S_WEB6, "2001:db8::6", port, &r);
		if (b4 < 0 || b6 < 0) {
			fails[0]++;
			tap_diag("  flow %u: %s", port, why);
			continue;
		}
		for (k = 0; k < 6; k++) {
			struct lb_counters c0, c1;
			const char *p;

			errs[k].s->icmp_type = errs[k].type;
			errs[k].s->icmp_code = errs[k].code;
			b = errs[k].svc == S_WEB4 ? b4 : b6;
			c0 = be_counters(b);
			fire(&node_a, errs[k].s, &r);
			c1 = be_counters(b);
			p = shot_problem(&r, XDP_TX, F(icmp_steered), errs[k].svc);
			if (!p && r.be != b)
				p = "went to another backend than the flow's";
			if (!p && gget(&r.d, F(conn_hit)) != 1)
				p = "was not a conntrack hit";
			if (!p && c1.new_flows != c0.new_flows)
				p = "counted as a new flow";
			if (!p && c1.packets != c0.packets + 1)
				p = "not counted as a packet of the backend";
			if (p) {
				if (!fails[k])
					tap_diag("  %s for flow :%u: %s", what[k], port, p);
				fails[k]++;
			}
		}
	}
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "icmp: %s to VIP quoting the server's reply "
			 "reaches the flow's backend (%d flows, icmp_steered)", what[i], ICMP_FLOWS);
		ASSERT_EQ(fails[i], 0, name);
	}

	/* An error for a flow the table has not seen: steered by hash, and it
	 * does not create a connection entry. */
	{
		struct pkt_spec in4 = TCP4(.src = VIP4, .dst = "192.0.2.7", .sport = 80,
					   .dport = 47000, .tcp_flags = 0x10);
		struct pkt_spec e4 = { .af = 4, .src = "198.51.100.1", .dst = VIP4,
				       .proto = IPPROTO_ICMP, .icmp_type = ICMP_DEST_UNREACH,
				       .icmp_code = ICMP_FRAG_NEEDED, .inner = &in4 };
		struct pkt_spec in_udp = UDP4(.src = VIP4, .dst = "192.0.2.7", .sport = 53,
					      .dport = 47001);
		struct pkt_spec e_udp = e4;

		fire(&node_a, &e4, &r);
		check_shot("icmp: error for an unseen flow -> TX (icmp_steered)", &r, XDP_TX,
			   F(icmp_steered), S_WEB4);
		ASSERT_EQ(gget(&r.d, F(conn_miss)), 1, "icmp: ... a conntrack miss");
		b = r.be;
		ASSERT_EQ(b >= 0 ? bes[b].id : LB_BACKEND_NONE,
			  table_pick(S_WEB4, "192.0.2.7", 47000, false),
			  "icmp: ... to the backend the client's flow hashes to");
		ASSERT_TRUE(!conn_has(S_WEB4, "192.0.2.7", 47000),
			    "icmp: ... and created no connection entry");

		b = establish(S_DNS4, "192.0.2.7", 47001, &r);
		e_udp.inner = &in_udp;
		fire(&node_a, &e_udp, &r);
		check_shot("icmp: frag-needed quoting a UDP reply -> TX (icmp_steered)", &r,
			   XDP_TX, F(icmp_steered), S_DNS4);
		ASSERT_EQ(r.be, b, "icmp: ... to the UDP flow's backend");
	}
}

/* ------------------------------------------------------------------ */
/* 7: fragments follow the first fragment.                              */

#define FRAG_FLOWS	20

static void test_frags(void)
{
	int fam, i, b, fails[2][4] = { { 0 } };
	struct shot r;
	char name[200];

	for (fam = 0; fam < 2; fam++) {
		int svc = fam ? S_DNS6 : S_DNS4;
		const char *src = fam ? "2001:db8::7" : "192.0.2.70";

		for (i = 0; i < FRAG_FLOWS; i++) {
			uint16_t sport = (uint16_t)(30000 + i);
			uint32_t id = 0x100 + (uint32_t)i;
			struct pkt_spec whole = flow_spec(svc, src, sport);
			struct pkt_spec first = whole, mid, last;
			const char *p;

			if (fam) {
				first.ext[0] = IPPROTO_FRAGMENT;
				first.n_ext = 1;
			} else {
				first.frag = true;
			}
			first.frag_id = id;
			first.mf = true;
			first.payload = 64;	/* 8 + 64 = 72 bytes: 9 units */
			mid = first;
			mid.frag_off = 9;
			mid.payload = 72;
			last = mid;
			last.frag_off = 18;
			last.mf = false;
			last.payload = 20;

			/* An unfragmented datagram of the same flow first: the
			 * fragments must join its backend. */
			b = send_flow(svc, src, sport, &r);
			fire(&node_a, &first, &r);
			p = b < 0 ? why : shot_problem(&r, XDP_TX, F(fragments), svc);
			if (!p && r.be != b)
				p = "first fragment left the flow's backend";
			if (p && !fails[fam][0]++)
				tap_diag("  first fragment %u: %s", sport, p);
			fire(&node_a, &mid, &r);
			p = shot_problem(&r, XDP_TX, F(fragments), svc);
			if (!p && r.be != b)
				p = "middle fragment went to another backend";
			if (p && !fails[fam][1]++)
				tap_diag("  middle fragment %u: %s", sport, p);
			fire(&node_a, &last, &r);
			p = shot_problem(&r, XDP_TX, F(fragments), svc);
			if (!p && r.be != b)
				p = "last fragment went to another backend";
			if (p && !fails[fam][2]++)
				tap_diag("  last fragment %u: %s", sport, p);
		}
		snprintf(name, sizeof(name), "frag: IPv%d first fragment (MF, offset 0, UDP header)"
			 " -> TX to the flow's backend (%d datagrams)", fam ? 6 : 4, FRAG_FLOWS);
		ASSERT_EQ(fails[fam][0], 0, name);
		snprintf(name, sizeof(name), "frag: IPv%d middle fragment (MF, offset 72) -> TX to "
			 "the same backend", fam ? 6 : 4);
		ASSERT_EQ(fails[fam][1], 0, name);
		snprintf(name, sizeof(name), "frag: IPv%d last fragment (offset 144) -> TX to the "
			 "same backend", fam ? 6 : 4);
		ASSERT_EQ(fails[fam][2], 0, name);

		/* Fragments of a datagram whose first fragment was never seen. */
		{
			struct pkt_spec later = flow_spec(svc, src, 30000);

			if (fam) {
				later.ext[0] = IPPROTO_FRAGMENT;
				later.n_ext = 1;
			} else {
				later.frag = true;
			}
			later.frag_id = 0xbeef;
			later.frag_off = 9;
			later.payload = 40;
			fire(&node_a, &later, &r);
			snprintf(name, sizeof(name), "frag: IPv%d later fragment, unknown id, to VIP "
				 "-> DROP (drop_frag_unknown)", fam ? 6 : 4);
			check_shot(name, &r, XDP_DROP, F(drop_frag_unknown), -1);

			later.frag_id = 0x100;	/* known id, but another client */
			later.src = fam ? "2001:db8::8" : "192.0.2.71";
			fire(&node_a, &later, &r);
			snprintf(name, sizeof(name), "frag: IPv%d later fragment, known id from "
				 "another source -> DROP (drop_frag_unknown)", fam ? 6 : 4);
			check_shot(name, &r, XDP_DROP, F(drop_frag_unknown), -1);

			later.dst = fam ? NONVIP6 : NONVIP4;
			fire(&node_a, &later, &r);
			snprintf(name, sizeof(name), "frag: IPv%d later fragment, unknown id, to a "
				 "non-VIP -> PASS", fam ? 6 : 4);
			check_shot(name, &r, XDP_PASS, F(pass_not_vip), -1);

			later.dst = fam ? INACT6 : INACT4;
			fire(&node_a, &later, &r);
			snprintf(name, sizeof(name), "frag: IPv%d later fragment, unknown id, to an "
				 "inactive VIP -> PASS", fam ? 6 : 4);
			check_shot(name, &r, XDP_PASS, F(pass_not_vip), -1);
		}
	}
	/* A first fragment of a flow not seen before also teaches its ports. */
	{
		struct pkt_spec first = flow_spec(S_DNS4, "192.0.2.72", 31000), later;

		first.frag = true;
		first.mf = true;
		first.frag_id = 0x7777;
		first.payload = 64;
		later = first;
		later.frag_off = 9;
		later.mf = false;
		later.payload = 10;
		fire(&node_a, &first, &r);
		check_shot("frag: IPv4 first fragment of a new flow -> TX (conn_miss)", &r, XDP_TX,
			   F(conn_miss), S_DNS4);
		b = r.be;
		fire(&node_a, &later, &r);
		check_shot("frag: its last fragment -> TX", &r, XDP_TX, F(fragments), S_DNS4);
		ASSERT_EQ(r.be, b, "frag: ... to the first fragment's backend");
		later.frag_off = 0;
		later.mf = false;
		later.frag = false;
		later.payload = 32;
		b = r.be;
		fire(&node_a, &later, &r);
		check_shot("frag: the same flow unfragmented -> TX (conn_hit)", &r, XDP_TX,
			   F(conn_hit), S_DNS4);
		ASSERT_EQ(r.be, b, "frag: ... to the same backend");
	}
}

/* ------------------------------------------------------------------ */
/* 9-12: table changes, drain, down, removed, MAC unknown.              */

static int add_svc_n(const char *vip, uint16_t port, const char *prefix, int n, int *be,
		     uint32_t flags)
{
	char buf[80];
	int svc = svc_add(&node_a, 4, vip, port, IPPROTO_TCP, flags, flags ? 300 : 0, 0), i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s%d", prefix, i + 1);
		be[i] = be_add(svc, buf, 1, LB_BE_F_UP, true);
	}
	return svc;
}

#define STICKY_FLOWS	300

static void test_sticky(void)
{
	int be[4], got[STICKY_FLOWS], hist[MAX_BE] = { 0 }, i, svc, bad = 0, moved = 0;
	struct shot r;

	svc = add_svc_n("10.0.0.12", 80, "10.12.0.", 3, be, 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		got[i] = establish(svc, "192.0.2.12", (uint16_t)(20000 + i), &r);
		if (got[i] < 0 && !bad++)
			tap_diag("  flow %d: %s", 20000 + i, why);
	}
	ASSERT_EQ(bad, 0, "sticky: 300 flows established on 3 backends");
	be[3] = be_add(svc, "10.12.0.4", 1, LB_BE_F_UP, true);
	for (i = 0; i < STICKY_FLOWS; i++)
		if (table_pick(svc, "192.0.2.12", (uint16_t)(20000 + i), false) != bes[got[i]].id)
			moved++;
	tap_diag("  the new table sends %d of the 300 established flows elsewhere", moved);
	ASSERT_TRUE(moved > 0, "sticky: adding a 4th backend changed the table under "
		    "established flows");
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		struct pkt_spec s = flow_spec(svc, "192.0.2.12", (uint16_t)(20000 + i));

		s.tcp_flags = 0x10;
		fire(&node_a, &s, &r);
		if (shot_problem(&r, XDP_TX, F(conn_hit), svc) || r.be != got[i]) {
			if (!bad)
				tap_diag("  flow %d: %s", 20000 + i, r.be != got[i] ?
					 "moved to another backend" : why);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "sticky: after the table change all 300 established flows keep "
		  "their backend (conn_hit)");
	bad = spread(svc, "192.0.2.13", 20000, STICKY_FLOWS, hist, NULL);
	tap_diag("  new flows: %d %d %d %d", hist[be[0]], hist[be[1]], hist[be[2]], hist[be[3]]);
	ASSERT_TRUE(!bad && hist[be[3]] > STICKY_FLOWS / 8,
		    "sticky: new flows reach the new backend");
}

/* How many of N flows from SRC, ports SPORT.., have a handshake entry. */
static int handshakes_left(int svc, const char *src, uint16_t sport, int n)
{
	int fd = bpf_map__fd(node_a.prog.skel->maps.handshakes), i, left = 0;
	struct lb_flow k;
	struct lb_conn c;

	for (i = 0; i < n; i++) {
		conn_get(svc, src, (uint16_t)(sport + i), &k, &c);
		left += !bpf_map_lookup_elem(fd, &k, &c);
	}
	return left;
}

/* Plants a handshake entry for the flow from CL:SPORT, SECS old, naming a
 * backend of svc that the table does not pick for it; returns that one. */
static int plant_handshake(int svc, const char *cl, uint16_t sport, unsigned int secs)
{
	int fd = bpf_map__fd(node_a.prog.skel->maps.handshakes), b;
	struct timespec ts;
	struct lb_flow k;
	struct lb_conn c = { 0 };

	for (b = 0; b < n_bes; b++)
		if (bes[b].svc == svc && bes[b].id != table_pick(svc, cl, sport, false) &&
		    node_a.maps.be[bes[b].id].flags & LB_BE_F_USED)
			break;
	if (b == n_bes)
		bail("plant_handshake: no second backend");
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	conn_get(svc, cl, sport, &k, &c);
	c.backend_id = bes[b].id;
	c.backend_gen = node_a.maps.be[bes[b].id].gen;
	c.last_seen_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec -
			 secs * 1000000000ull;
	c.flags = 0;
	if (bpf_map_update_elem(fd, &k, &c, BPF_ANY))
		bail("handshakes update: %s", strerror(errno));
	return b;
}

/* A handshake entry holds its server for LB_HANDSHAKE_TIMEOUT_S at most: one
 * left by a handshake that never completed must not place a later
 * connection's packets from the same port (after a failover a node sees
 * those mid-stream, with no entry of its own). */
static void test_handshake_age(int svc)
{
	const char *cl = "192.0.2.18";
	struct shot r;
	int b, held;

	held = plant_handshake(svc, cl, 20500, 2);
	ASSERT_EQ(send_next(svc, cl, 20500, F(conn_miss), &r), held,
		  "handshake: an ACK 2 s after its SYN follows the SYN's server");
	plant_handshake(svc, cl, 20501, LB_HANDSHAKE_TIMEOUT_S + 1);
	b = send_next(svc, cl, 20501, F(conn_miss), &r);
	ASSERT_TRUE(b >= 0 && bes[b].id == table_pick(svc, cl, 20501, false),
		    "handshake: a handshake entry older than 10 s places nothing (the table does)");
}

/* A handshake across a table change: the SYN's backend is held in the
 * handshake table, so a retransmitted SYN and the ACK follow it even when
 * the new table names another server (which would answer with a reset);
 * a handshake whose server went away meanwhile is placed afresh. */
static void test_handshake(void)
{
	int be[4], got[STICKY_FLOWS], i, svc, bad = 0, moved = 0, gone = 0;
	struct pkt_spec s;
	struct shot r;

	svc = add_svc_n("10.0.0.61", 80, "10.61.0.", 3, be, 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		s = flow_spec(svc, "192.0.2.16", (uint16_t)(20000 + i));
		fire(&node_a, &s, &r);
		got[i] = shot_problem(&r, XDP_TX, F(conn_miss), svc) ? -1 : r.be;
		bad += got[i] < 0;
	}
	ASSERT_EQ(bad, 0, "handshake: 300 SYNs on 3 backends -> TX");
	be[3] = be_add(svc, "10.61.0.4", 1, LB_BE_F_UP, true);
	for (i = 0; i < STICKY_FLOWS; i++)
		if (table_pick(svc, "192.0.2.16", (uint16_t)(20000 + i), false) != bes[got[i]].id)
			moved++;
	tap_diag("  the new table sends %d of the 300 half-open handshakes elsewhere", moved);
	ASSERT_TRUE(moved > 0, "handshake: a 4th backend changed the table mid-handshake");
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		s = flow_spec(svc, "192.0.2.16", (uint16_t)(20000 + i));
		if (i % 2) {	/* half of them retransmit their SYN first */
			fire(&node_a, &s, &r);
			bad += shot_problem(&r, XDP_TX, F(conn_miss), svc) || r.be != got[i];
		}
		s = flow_next(svc, "192.0.2.16", (uint16_t)(20000 + i));
		fire(&node_a, &s, &r);
		bad += shot_problem(&r, XDP_TX, F(conn_miss), svc) || r.be != got[i];
	}
	ASSERT_EQ(bad, 0, "handshake: SYN retransmissions and ACKs after the table change "
		  "follow the SYN's backend");
	ASSERT_EQ(handshakes_left(svc, "192.0.2.16", 20000, STICKY_FLOWS), 0,
		  "handshake: at the ACK the flow enters conntrack and its handshake entry goes");
	/* The SYN's server removed before the ACK: the ACK goes to a live one. */
	for (i = 0; i < STICKY_FLOWS; i++) {
		s = flow_spec(svc, "192.0.2.17", (uint16_t)(20000 + i));
		fire(&node_a, &s, &r);
		got[i] = r.be;
	}
	if (lb_be_del(&node_a.maps, bes[be[3]].id))
		bail("lb_be_del");
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		s = flow_next(svc, "192.0.2.17", (uint16_t)(20000 + i));
		fire(&node_a, &s, &r);
		gone += got[i] == be[3];
		bad += shot_problem(&r, XDP_TX, F(conn_miss), svc) || r.be == be[3] ||
		       (got[i] != be[3] && r.be != got[i]);
	}
	tap_diag("  %d handshakes were on the removed backend", gone);
	ASSERT_TRUE(gone > 0 && !bad, "handshake: the SYN's backend removed -> its ACK goes to "
		    "a live backend, the others' to their SYN's");
	test_handshake_age(svc);
}

/* A reset of a flow that is not remembered (a second RST, one after a
 * failover, a stray one) is passed on and remembers nothing; one ending a
 * handshake forgets the handshake too. */
static void test_reset_untracked(void)
{
	int be[4], held[100], i, b, svc, bad = 0, kept = 0, moved = 0;
	struct lb_counters c0, c1;
	struct pkt_spec s;
	struct shot r;

	svc = add_svc_n("10.0.0.63", 80, "10.63.0.", 3, be, 0);
	c0 = svc_counters(svc);
	for (i = 0; i < 100; i++) {
		s = flow_spec(svc, "192.0.2.19", (uint16_t)(21000 + i));
		s.tcp_flags = 0x14;	/* RST, ACK */
		fire(&node_a, &s, &r);
		bad += shot_problem(&r, XDP_TX, F(conn_miss), svc) != NULL;
		kept += conn_has(svc, "192.0.2.19", (uint16_t)(21000 + i));
	}
	c1 = svc_counters(svc);
	ASSERT_EQ(bad, 0, "reset untracked: 100 RSTs of unknown flows -> TX (conn_miss)");
	ASSERT_EQ(kept, 0, "reset untracked: ... and none of them is remembered");
	ASSERT_EQ(c1.new_flows - c0.new_flows, 0, "reset untracked: ... nor counted as a new flow");

	bad = kept = 0;
	for (i = 0; i < 100; i++) {
		s = flow_spec(svc, "192.0.2.20", (uint16_t)(22000 + i));
		fire(&node_a, &s, &r);
		held[i] = shot_problem(&r, XDP_TX, F(conn_miss), svc) ? -1 : r.be;
		s.tcp_flags = 0x04;	/* RST */
		fire(&node_a, &s, &r);
		bad += held[i] < 0 || shot_problem(&r, XDP_TX, NO_COUNTER, svc) || r.be != held[i];
		kept += conn_has(svc, "192.0.2.20", (uint16_t)(22000 + i));
	}
	ASSERT_EQ(bad, 0, "reset handshake: 100 SYNs, each then reset: the RST follows its SYN");
	ASSERT_EQ(kept, 0, "reset handshake: no connection entry is left");
	be[3] = be_add(svc, "10.63.0.4", 1, LB_BE_F_UP, true);
	bad = 0;
	for (i = 0; i < 100; i++) {
		uint32_t want = table_pick(svc, "192.0.2.20", (uint16_t)(22000 + i), false);

		if (held[i] < 0 || bes[held[i]].id == want)
			continue;
		moved++;
		bad += send_next(svc, "192.0.2.20", (uint16_t)(22000 + i), F(conn_miss), &r) < 0 ||
		       bes[r.be].id != want;
	}
	tap_diag("  the new table sends %d of the 100 reset handshakes elsewhere", moved);
	ASSERT_TRUE(moved > 0 && !bad, "reset handshake: a later ACK from those ports follows the "
		    "new table, not the forgotten handshake");

	/* an entry naming a server that went down: the reset ends it too */
	b = establish(svc, "192.0.2.21", 23000, &r);
	if (b < 0 || lb_be_set_up(&node_a.maps, bes[b].id, false))
		bail("reset stale: establish / lb_be_set_up");
	s = flow_next(svc, "192.0.2.21", 23000);
	s.tcp_flags = 0x14;	/* RST, ACK */
	fire(&node_a, &s, &r);
	ASSERT_TRUE(!shot_problem(&r, XDP_TX, F(conn_resteer), svc) && r.be != b &&
		    !conn_has(svc, "192.0.2.21", 23000), "reset stale: an RST for a flow whose server "
		    "went down goes by the table and removes the stale entry");
	lb_be_set_up(&node_a.maps, bes[b].id, true);
}

/* A client's reset forwards to the flow's server and removes the entry:
 * the next connection from that port is placed by the table as it is now
 * (one that a backup remembered from another server set cannot catch it). */
static void test_reset(void)
{
	int be[4], got[STICKY_FLOWS], i, svc, bad = 0, moved = 0;
	__u64 closed = 0;
	struct pkt_spec s;
	struct shot r;

	svc = add_svc_n("10.0.0.62", 80, "10.62.0.", 3, be, 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		got[i] = establish(svc, "192.0.2.18", (uint16_t)(20000 + i), &r);
		bad += got[i] < 0;
	}
	ASSERT_EQ(bad, 0, "reset: 300 flows established on 3 backends");
	be[3] = be_add(svc, "10.62.0.4", 1, LB_BE_F_UP, true);
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		s = flow_spec(svc, "192.0.2.18", (uint16_t)(20000 + i));
		s.tcp_flags = 0x14;	/* RST, ACK */
		fire(&node_a, &s, &r);
		bad += shot_problem(&r, XDP_TX, F(conn_hit), svc) || r.be != got[i];
		closed += gget(&r.d, F(conn_closed));
	}
	ASSERT_EQ(bad, 0, "reset: each RST goes to its flow's backend (conn_hit), across a "
		  "table change");
	ASSERT_EQ(closed, STICKY_FLOWS, "reset: 300 entries removed, counted conn_closed");
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		uint32_t want = table_pick(svc, "192.0.2.18", (uint16_t)(20000 + i), false);

		s = flow_next(svc, "192.0.2.18", (uint16_t)(20000 + i));
		fire(&node_a, &s, &r);
		bad += shot_problem(&r, XDP_TX, F(conn_miss), svc) || bes[r.be].id != want;
		moved += bes[got[i]].id != want;
	}
	tap_diag("  the new table sends %d of the 300 ports elsewhere", moved);
	ASSERT_TRUE(!bad && moved > 0,
		    "reset: the next packet from each port is a miss placed by the current table, "
		    "which moved some of them");
	test_reset_untracked();
}

static void test_drain(void)
{
	int be[3], got[STICKY_FLOWS], hist[MAX_BE] = { 0 }, i, svc, bad = 0, on0 = 0;
	struct lb_counters c0, c1;
	struct shot r;

	svc = add_svc_n("10.0.0.13", 80, "10.13.0.", 3, be, 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		got[i] = establish(svc, "192.0.2.13", (uint16_t)(20000 + i), &r);
		if (got[i] < 0 && !bad++)
			tap_diag("  flow %d: %s", 20000 + i, why);
		on0 += got[i] == be[0];
	}
	ASSERT_TRUE(!bad && on0 > 0, "drain: 300 flows established, some on the backend "
		    "to drain");
	if (lb_be_set_weight(&node_a.maps, bes[be[0]].id, 0))
		bail("lb_be_set_weight");
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		struct pkt_spec s = flow_spec(svc, "192.0.2.13", (uint16_t)(20000 + i));

		s.tcp_flags = 0x10;
		fire(&node_a, &s, &r);
		if (shot_problem(&r, XDP_TX, F(conn_hit), svc) || r.be != got[i])
			bad++;
	}
	tap_diag("  %d established flows on the drained backend", on0);
	ASSERT_EQ(bad, 0, "drain: weight 0 -> every established flow keeps its backend, "
		  "the drained one included");
	c0 = be_counters(be[0]);
	bad = spread(svc, "192.0.2.14", 20000, 500, hist, NULL);
	c1 = be_counters(be[0]);
	ASSERT_EQ(bad, 0, "drain: 500 new flows TX");
	ASSERT_TRUE(hist[be[0]] == 0 && c1.packets == c0.packets,
		    "drain: no new flow reaches the drained backend");
	/* A client reusing the port of a closed connection to the drained
	 * backend: its SYN, and then its ACK, go to a live backend. */
	bad = 0;
	for (i = 0; i < STICKY_FLOWS; i++) {
		struct pkt_spec s = flow_spec(svc, "192.0.2.13", (uint16_t)(20000 + i));
		int syn_be;

		if (got[i] != be[0])
			continue;
		fire(&node_a, &s, &r);
		syn_be = r.be;
		s.tcp_flags = 0x10;
		fire(&node_a, &s, &r);
		if (syn_be == be[0] || r.be != syn_be)
			bad++;
	}
	ASSERT_EQ(bad, 0, "drain: a new connection on a reused port of a drained flow "
		  "(SYN, then ACK) goes to a live backend");
}

static void test_down_removed(void)
{
	int be[4], got[STICKY_FLOWS], now[STICKY_FLOWS], hist[MAX_BE] = { 0 };
	int i, svc, bad = 0, victims, round;
	__u64 resteer, hits;
	struct shot r;

	svc = add_svc_n("10.0.0.14", 80, "10.14.0.", 4, be, 0);
	for (i = 0; i < STICKY_FLOWS; i++) {
		got[i] = establish(svc, "192.0.2.14", (uint16_t)(20000 + i), &r);
		if (got[i] < 0 && !bad++)
			tap_diag("  flow %d: %s", 20000 + i, why);
	}
	ASSERT_EQ(bad, 0, "failover: 300 flows established on 4 backends");

	for (round = 0; round < 2; round++) {
		int gone = be[round];	/* round 0: down, round 1: removed */
		const char *how = round ? "removed (lb_be_del)" : "down (lb_be_set_up false)";
		char name[200];

		if (round == 0 && lb_be_set_up(&node_a.maps, bes[gone].id, false))
			bail("lb_be_set_up");
		if (round == 1 && lb_be_del(&node_a.maps, bes[gone].id))
			bail("lb_be_del");
		victims = 0;
		bad = 0;
		resteer = hits = 0;
		for (i = 0; i < STICKY_FLOWS; i++) {
			struct pkt_spec s = flow_spec(svc, "192.0.2.14", (uint16_t)(20000 + i));

			s.tcp_flags = 0x10;
			fire(&node_a, &s, &r);
			now[i] = r.be;
			resteer += gget(&r.d, F(conn_resteer));
			hits += gget(&r.d, F(conn_hit));
			if (shot_problem(&r, XDP_TX, NO_COUNTER, svc)) {
				bad++;
				continue;
			}
			if (got[i] == gone) {
				victims++;
				/* Not to it, nor (round 1) to the one still down. */
				if (r.be == gone || r.be == be[0])
					bad++;
			} else if (r.be != got[i]) {
				bad++;
			}
		}
		tap_diag("  %d flows were on %s", victims, bes[gone].name);
		snprintf(name, sizeof(name), "failover: backend %s -> its %d flows move to "
			 "live backends, all others stay", how, victims);
		ASSERT_TRUE(!bad && victims > 0, name);
		snprintf(name, sizeof(name), "failover: %s -> conn_resteer counts exactly the "
			 "moved flows", how);
		ASSERT_EQ(resteer, victims, name);
		ASSERT_EQ(hits, STICKY_FLOWS - victims, "failover: ... and the rest are conn_hit");

		bad = 0;
		resteer = 0;
		for (i = 0; i < STICKY_FLOWS; i++) {
			struct pkt_spec s = flow_spec(svc, "192.0.2.14", (uint16_t)(20000 + i));

			s.tcp_flags = 0x10;
			fire(&node_a, &s, &r);
			resteer += gget(&r.d, F(conn_resteer));
			if (shot_problem(&r, XDP_TX, F(conn_hit), svc) || r.be != now[i])
				bad++;
		}
		snprintf(name, sizeof(name), "failover: %s -> the new choice is remembered "
			 "(all conn_hit, same backend)", how);
		ASSERT_TRUE(!bad && resteer == 0, name);
		memcpy(got, now, sizeof(got));
	}
	bad = spread(svc, "192.0.2.15", 20000, 500, hist, NULL);
	ASSERT_TRUE(!bad && hist[be[0]] == 0 && hist[be[1]] == 0 && hist[be[2]] > 0 &&
		    hist[be[3]] > 0,
		    "failover: 500 new flows reach only the two live backends");

	/* Back up: it takes new flows again. */
	if (lb_be_set_up(&node_a.maps, bes[be[0]].id, true))
		bail("lb_be_set_up");
	memset(hist, 0, sizeof(hist));
	bad = spread(svc, "192.0.2.16", 20000, 300, hist, NULL);
	ASSERT_TRUE(!bad && hist[be[0]] > 0 && hist[be[1]] == 0,
		    "failover: the backend back up takes new flows, the removed one none");
}

static void test_no_mac(void)
{
	int be[3], nomac, hist[MAX_BE] = { 0 }, bad, svc, svc1, only;
	struct shot r;
	struct pkt_spec s;

	svc = add_svc_n("10.0.0.15", 80, "10.15.0.", 3, be, 0);
	nomac = be_add(svc, "10.15.0.9", 1, LB_BE_F_UP, false);
	bad = spread(svc, "192.0.2.15", 20000, 500, hist, NULL);
	ASSERT_TRUE(!bad && hist[nomac] == 0 && be_counters(nomac).packets == 0,
		    "no MAC: a backend with no resolved MAC gets none of 500 flows");

	svc1 = svc_add(&node_a, 4, "10.0.0.15", 81, IPPROTO_TCP, 0, 0, 0);
	only = be_add(svc1, "10.15.1.1", 1, LB_BE_F_UP, false);
	s = flow_spec(svc1, "192.0.2.15", 20000);
	fire(&node_a, &s, &r);
	check_shot("no MAC: the only backend has no MAC -> DROP (drop_no_backend)", &r, XDP_DROP,
		   F(drop_no_backend), -1);
	be_set_mac(only);
	s.sport = 20001;
	fire(&node_a, &s, &r);
	check_shot("no MAC: once resolved, it takes the flow -> TX", &r, XDP_TX, F(conn_miss), svc1);
	ASSERT_EQ(r.be, only, "no MAC: ... to that backend");
}

/* A backend's slot reused by a new backend, a MAC that changes or goes,
 * a service deleted and added again. */
static void test_lifecycle(void)
{
	int be[3], got[100], i, b, svc, bad = 0, victims = 0, nb, old;
	uint32_t old_id;
	__u64 resteer = 0, hits = 0;
	uint8_t a[16];
	struct lb_counters sc;
	struct pkt_spec s;
	struct shot r;

	/* Remove a backend and add another before any packet: the new one
	 * takes the freed slot, and the old flows must not take it for
	 * their own (the slot's generation changed). */
	svc = add_svc_n("10.0.0.22", 80, "10.22.0.", 3, be, 0);
	for (i = 0; i < 100; i++) {
		got[i] = establish(svc, "192.0.2.22", (uint16_t)(22000 + i), &r);
		if (got[i] < 0 && !bad++)
			tap_diag("  flow %d: %s", 22000 + i, why);
		victims += got[i] == be[0];
	}
	ASSERT_TRUE(!bad && victims > 0, "slot reuse: 100 flows established on 3 backends");
	old_id = bes[be[0]].id;
	if (lb_be_del(&node_a.maps, old_id))
		bail("lb_be_del");
	nb = be_add(svc, "10.22.0.9", 1, LB_BE_F_UP, true);
	if (!ASSERT_EQ(bes[nb].id, old_id, "slot reuse: the new backend got the removed one's id"))
		tap_diag("  (the library allocates ids differently; the check below still holds)");
	bad = 0;
	for (i = 0; i < 100; i++) {
		b = send_next(svc, "192.0.2.22", (uint16_t)(22000 + i), NO_COUNTER, &r);
		resteer += gget(&r.d, F(conn_resteer));
		hits += gget(&r.d, F(conn_hit));
		if (b < 0 || (got[i] != be[0] && b != got[i]))
			bad++;
	}
	ASSERT_TRUE(!bad && resteer == (__u64)victims && hits == (__u64)(100 - victims),
		    "slot reuse: the removed backend's flows are re-chosen (conn_resteer), not "
		    "inherited by the slot's new occupant");

	/* A backend's MAC changes (NIC replaced): its flows follow the MAC. */
	b = got[0] == be[0] ? got[1] : got[0];
	for (i = 0; i < 100 && (got[i] == be[0] || got[i] != b); i++)
		;
	old = b;
	bes[b].mac[5] ^= 0x55;
	be_set_mac(b);
	b = send_next(svc, "192.0.2.22", (uint16_t)(22000 + i), F(conn_hit), &r);
	ASSERT_TRUE(b == old && !memcmp(r.out, bes[old].mac, 6),
		    "MAC change: an established flow goes to the backend's new MAC (conn_hit)");
	/* ... and when the MAC is lost, its flows move elsewhere. */
	if (lb_be_set_mac(&node_a.maps, LB_AF_INET, bes[old].addr, NULL) < 0)
		bail("lb_be_set_mac NULL");
	b = send_next(svc, "192.0.2.22", (uint16_t)(22000 + i), F(conn_resteer), &r);
	ASSERT_TRUE(b >= 0 && b != old, "MAC lost: the flow moves to another backend "
		    "(conn_resteer)");
	be_set_mac(old);

	/* Service deleted: its VIP is nobody's any more. */
	if (lb_svc_del(&node_a.maps, svcs[svc].id))
		bail("lb_svc_del");
	s = flow_next(svc, "192.0.2.22", 22000);
	fire(&node_a, &s, &r);
	check_shot("service deleted: an established flow -> PASS (pass_not_vip)", &r, XDP_PASS,
		   F(pass_not_vip), -1);
	s.truncate = 14 + 20 + 10;
	s.fix_len = true;
	fire(&node_a, &s, &r);
	check_shot("service deleted: a truncated packet to its VIP -> PASS (no VIP left)", &r,
		   XDP_PASS, F(pass_not_vip), -1);
	pkt_addr(4, "10.0.0.22", a);
	ASSERT_TRUE(!lb_vip_is_active(&node_a.maps, LB_AF_INET, a),
		    "service deleted: the VIP entry is gone");

	/* Added again, with other backends: it starts clean. */
	svc = add_svc_n("10.0.0.22", 80, "10.22.1.", 2, be, 0);
	sc = svc_counters(svc);
	ASSERT_TRUE(!sc.packets && !sc.bytes && !sc.new_flows && !sc.drops,
		    "service re-added: its counters start at zero");
	b = send_next(svc, "192.0.2.22", 22000, F(conn_resteer), &r);
	ASSERT_TRUE(b == be[0] || b == be[1], "service re-added: the old flow goes to one of "
		    "its new backends (conn_resteer)");
}

/* Idle timeout, by ageing entries from here rather than by waiting. */
static void test_expiry(void)
{
	int be[3], b, other, svc, k;
	struct timespec ts;
	struct lb_flow key;
	struct lb_conn c;
	struct shot r;
	char name[160];
	__u64 now;

	for (k = 0; k < 2; k++) {
		const char *kind = k ? "affinity" : "timeout";

		svc = svc_add(&node_a, 4, "10.0.0.23", (uint16_t)(80 + k), IPPROTO_TCP,
			      k ? LB_SVC_F_AFFINITY : 0, 300, 0);
		for (b = 0; b < 3; b++) {
			char buf[32];

			snprintf(buf, sizeof(buf), "10.23.%d.%d", k, b + 1);
			be[b] = be_add(svc, buf, 1, LB_BE_F_UP, true);
		}
		b = establish(svc, "192.0.2.23", 23000, &r);
		if (b < 0) {
			tap_ok(false, "%s: flow established", kind);
			tap_diag("  %s", why);
			continue;
		}
		other = be[0] == b ? be[1] : be[0];
		memset(&key, 0, sizeof(key));
		pkt_addr(4, "192.0.2.23", key.src);
		pkt_addr(4, "10.0.0.23", key.dst);
		key.sport = k ? 0 : htons(23000);
		key.dport = htons((uint16_t)(80 + k));
		key.proto = IPPROTO_TCP;
		key.family = LB_AF_INET;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;

		/* The entry, not the hash, decides while it is fresh... */
		c.backend_id = bes[other].id;
		c.backend_gen = node_a.maps.be[bes[other].id].gen;
		c.last_seen_ns = now;
		if (bpf_map_update_elem(node_a.maps.fd[LB_M_CONNTRACK], &key, &c, BPF_ANY))
			bail("conntrack update: %s", strerror(errno));
		b = send_next(svc, "192.0.2.23", 23000, F(conn_hit), &r);
		snprintf(name, sizeof(name), "%s: a fresh entry naming another backend is obeyed",
			 kind);
		ASSERT_EQ(b, other, name);

		/* A flow's last_seen is refreshed lazily (at most once a
		 * ~1.07 s granule): 300.9 s since is not 300 s of silence.
		 * An affinity entry's is refreshed on every packet. */
		c.last_seen_ns = now - 300900ull * 1000000ull;
		if (bpf_map_update_elem(node_a.maps.fd[LB_M_CONNTRACK], &key, &c, BPF_ANY))
			bail("conntrack update: %s", strerror(errno));
		b = send_next(svc, "192.0.2.23", 23000, NO_COUNTER, &r);
		snprintf(name, sizeof(name), "%s: last seen 300.9 s ago of 300 -> %s", kind,
			 k ? "expired (refreshed on every packet)" :
			     "kept (it may lag the flow by a granule)");
		ASSERT_TRUE(k ? b >= 0 && bes[b].id == table_pick(svc, "192.0.2.23", 23000, true) :
				b == other, name);

		/* ... and is forgotten after 300 s idle plus that granule
		 * (unsigned wrap keeps this right on a machine up for less
		 * than that). */
		c.last_seen_ns = now - 302ull * 1000000000ull;
		if (bpf_map_update_elem(node_a.maps.fd[LB_M_CONNTRACK], &key, &c, BPF_ANY))
			bail("conntrack update: %s", strerror(errno));
		b = send_next(svc, "192.0.2.23", 23000, NO_COUNTER, &r);
		snprintf(name, sizeof(name), "%s: idle 302 s of 300 -> expired, chosen by hash "
			 "again%s", kind, k ? "" : " (conn_expired)");
		ASSERT_TRUE(b >= 0 && bes[b].id == table_pick(svc, "192.0.2.23", 23000, k == 1) &&
			    (k || gget(&r.d, F(conn_expired)) == 1), name);
		snprintf(name, sizeof(name), "%s: ... and the new choice is remembered", kind);
		ASSERT_TRUE(!bpf_map_lookup_elem(node_a.maps.fd[LB_M_CONNTRACK], &key, &c) &&
			    b >= 0 && c.backend_id == bes[b].id, name);
	}
}

/* Sends one TCP packet of a flow with FLAGS; the backend index or -1. */
static int send_flags(int svc, const char *src, uint16_t sport, uint8_t flags, struct shot *r)
{
	struct pkt_spec s = flow_spec(svc, src, sport);

	s.tcp_flags = flags;
	fire(svcs[svc].n, &s, r);
	if (shot_problem(r, XDP_TX, NO_COUNTER, svc))
		return -1;
	return r->be;
}

/* A client's FIN: the flow keeps its server while it lives, but expires
 * LB_CONN_FIN_TIMEOUT_S after its last packet even in a service without
 * a timeout, so that it cannot catch a later connection from the port. */
/* Plants an entry for CL:SPORT naming bes[b], last seen SECS_AGO seconds
 * before NOW, with FLAGS: an entry naming another server than the table's
 * shows who decides. */
static void plant_conn(int svc, const char *cl, uint16_t sport, int b, __u64 now,
		       unsigned int secs_ago, uint32_t flags)
{
	struct lb_flow key;
	struct lb_conn c = { 0 };

	conn_get(svc, cl, sport, &key, &c);
	c.backend_id = bes[b].id;
	c.backend_gen = node_a.maps.be[bes[b].id].gen;
	c.last_seen_ns = now - secs_ago * 1000000000ull;
	c.flags = flags;
	if (bpf_map_update_elem(node_a.maps.fd[LB_M_CONNTRACK], &key, &c, BPF_ANY))
		bail("conntrack update: %s", strerror(errno));
}

/* Maps pinned by another lbctl version (here a service_info of the old,
 * 36-byte lb_service) are refused, never misread or rewritten. */
static void test_foreign_layout(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct lb_maps m;
	int i, fd, err;

	snprintf(dir, sizeof(dir), "%s/old", root_dir);
	if (mkdir(dir, 0700))
		bail("mkdir %s: %s", dir, strerror(errno));
	for (i = 0; i < LB_M_COUNT; i++) {
		fd = i == LB_M_SERVICE_INFO ?
		     bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 36, 64, NULL) :
		     node_a.maps.fd[i];
		snprintf(path, sizeof(path), "%s/%s", dir, lb_map_names[i]);
		if (fd < 0 || bpf_obj_pin(fd, path))
			bail("pin %s: %s", path, strerror(errno));
		if (i == LB_M_SERVICE_INFO)
			close(fd);
	}
	err = lb_maps_open(&m, dir);
	ASSERT_EQ(err, -EPROTO, "maps: a pinned map laid out for another version -> "
		  "lb_maps_open refuses (-EPROTO)");
	if (!err)
		lb_maps_close(&m);
	lb_unpin_all(dir);
}

static void test_fin(void)
{
	const struct lb_svc_opts tcp5fin3 = { .timeout_s = 5, .fin_timeout_s = 3 };
	const struct lb_svc_opts tcp5 = { .timeout_s = 5 };
	const char *cl = "192.0.2.24";
	int be[3], b, other, svc, aff;
	struct timespec ts;
	struct lb_flow key;
	struct lb_conn c;
	struct shot r;
	__u64 now;

	svc = svc_add(&node_a, 4, "10.0.0.24", 80, IPPROTO_TCP, 0, 0, 0);
	for (b = 0; b < 3; b++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "10.24.0.%d", b + 1);
		be[b] = be_add(svc, buf, 1, LB_BE_F_UP, true);
	}
	b = establish(svc, cl, 24000, &r);
	if (b < 0) {
		tap_ok(false, "fin: flow established");
		tap_diag("  %s", why);
		return;
	}
	other = be[0] == b ? be[1] : be[0];
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;

	plant_conn(svc, cl, 24000, other, now, 1000, 0);
	ASSERT_EQ(send_next(svc, cl, 24000, F(conn_hit), &r), other,
		  "fin: without a FIN, a flow idle 1000 s is kept (service timeout 0)");
	ASSERT_EQ(send_flags(svc, cl, 24000, 0x11, &r), other,
		  "fin: the client's FIN+ACK goes where the flow is");
	ASSERT_TRUE(conn_get(svc, cl, 24000, &key, &c) && (c.flags & LB_CONN_F_FIN) &&
		    c.backend_id == bes[other].id, "fin: ... and marks its entry");
	ASSERT_TRUE(c.last_seen_ns + 2000000000ull > now,
		    "fin: ... seen now (a FIN after 1000 s of silence starts its 10 s afresh)");

	plant_conn(svc, cl, 24000, other, now, LB_CONN_FIN_TIMEOUT_S - 1, LB_CONN_F_FIN);
	ASSERT_EQ(send_next(svc, cl, 24000, F(conn_hit), &r), other,
		  "fin: after the FIN, a flow idle 9 s keeps its server (the server may still send)");

	plant_conn(svc, cl, 24000, other, now, LB_CONN_FIN_TIMEOUT_S + 2, LB_CONN_F_FIN);
	b = send_next(svc, cl, 24000, F(conn_expired), &r);
	ASSERT_TRUE(b >= 0 && bes[b].id == table_pick(svc, cl, 24000, false),
		    "fin: idle 12 s after the FIN: expired, placed by the table again (conn_expired)");

	/* A reset of an expired entry is no connection's: placed by the table. */
	plant_conn(svc, cl, 24000, other, now, LB_CONN_FIN_TIMEOUT_S + 2, LB_CONN_F_FIN);
	b = send_flags(svc, cl, 24000, 0x14, &r);
	ASSERT_TRUE(b >= 0 && bes[b].id == table_pick(svc, cl, 24000, false) &&
		    !conn_get(svc, cl, 24000, &key, &c),
		    "fin: a reset of an expired entry goes by the table, and the entry goes");

	plant_conn(svc, cl, 24000, other, now, 0, LB_CONN_F_FIN);
	send_flow(svc, cl, 24000, &r);
	ASSERT_TRUE(conn_get(svc, cl, 24000, &key, &c) && !(c.flags & LB_CONN_F_FIN),
		    "fin: a SYN from the port (a new connection) clears the mark");

	b = send_flags(svc, cl, 24001, 0x11, &r);
	ASSERT_TRUE(b >= 0 && conn_get(svc, cl, 24001, &key, &c) && (c.flags & LB_CONN_F_FIN),
		    "fin: a FIN of an untracked flow (a closing connection after a failover) "
		    "is remembered as closing");

	/* lvs_timeouts tcp 5 tcpfin 3: after the FIN, tcpfin, as in IPVS */
	if (lb_svc_set_opts(&node_a.maps, svcs[svc].id, &tcp5fin3))
		bail("lb_svc_set_opts");
	plant_conn(svc, cl, 24003, other, now, 5, LB_CONN_F_FIN);
	b = send_next(svc, cl, 24003, F(conn_expired), &r);
	ASSERT_TRUE(b >= 0 && bes[b].id == table_pick(svc, cl, 24003, false),
		    "fin: lvs_timeouts tcp 5 tcpfin 3: idle 5 s after the FIN -> expired");
	/* lvs_timeouts tcp 5: after the FIN, the default tcpfin (10 s) */
	if (lb_svc_set_opts(&node_a.maps, svcs[svc].id, &tcp5))
		bail("lb_svc_set_opts");
	plant_conn(svc, cl, 24004, other, now, 7, LB_CONN_F_FIN);
	ASSERT_EQ(send_next(svc, cl, 24004, F(conn_hit), &r), other,
		  "fin: lvs_timeouts tcp 5: idle 7 s after the FIN -> kept (tcpfin 10 s applies)");

	/* An affinity service: no connection's FIN ends its client's entry. */
	aff = svc_add(&node_a, 4, "10.0.0.24", 81, IPPROTO_TCP, LB_SVC_F_AFFINITY, 300, 0);
	be_add(aff, "10.24.1.1", 1, LB_BE_F_UP, true);
	be_add(aff, "10.24.1.2", 1, LB_BE_F_UP, true);
	b = send_flags(aff, cl, 24002, 0x11, &r);
	ASSERT_TRUE(b >= 0 && conn_get(aff, cl, 0, &key, &c) && !(c.flags & LB_CONN_F_FIN),
		    "fin: a FIN that creates a client's affinity entry leaves it unmarked");
	b = send_flags(aff, cl, 24002, 0x11, &r);
	ASSERT_TRUE(b >= 0 && conn_get(aff, cl, 0, &key, &c) && !(c.flags & LB_CONN_F_FIN),
		    "fin: ... and a FIN on it too");
}

/* ------------------------------------------------------------------ */
/* 13: client affinity and source hashing.                              */

static void test_affinity(void)
{
	static const struct { const char *name; uint32_t flags; uint16_t port; } kinds[] = {
		{ "affinity (persistence_timeout 300)", LB_SVC_F_AFFINITY, 80 },
		{ "sh (source hash)", LB_SVC_F_HASH_SRC, 443 },
	};
	int k, i, j, b, be[3], svc, bad, first, hist[MAX_BE];
	__u64 later_new = 0;
	char name[200], buf[64];
	struct shot r;

	for (k = 0; k < 2; k++) {
		snprintf(buf, sizeof(buf), "10.16.%d.", k);
		svc = add_svc_n("10.0.0.16", kinds[k].port, buf, 3, be, kinds[k].flags);
		bad = 0;
		later_new = 0;
		for (j = 0; j < 3; j++) {	/* three clients, 50 connections each */
			snprintf(buf, sizeof(buf), "100.64.0.%d", j + 1);
			first = -1;
			for (i = 0; i < 50; i++) {
				struct lb_counters c0 = svc_counters(svc);

				b = establish(svc, buf, (uint16_t)(1024 + 997 * i), &r);
				if (b < 0 || (first >= 0 && b != first)) {
					if (!bad)
						tap_diag("  client %s port %u: %s", buf,
							 1024 + 997 * i, b < 0 ? why :
							 "another backend than its first connection");
					bad++;
				}
				if (first < 0)
					first = b;
				else
					later_new += svc_counters(svc).new_flows - c0.new_flows;
			}
			if (first >= 0 && bes[first].id != table_pick(svc, buf, 0, true))
				bad++;
		}
		snprintf(name, sizeof(name), "%s: 50 connections of one client (from different "
			 "ports) -> one backend, the one its address hashes to (3 clients)",
			 kinds[k].name);
		ASSERT_EQ(bad, 0, name);
		if (k == 0) {
			ASSERT_EQ(later_new, 0, "affinity: a client's later connections are no new "
				  "flows (one entry per client)");
			ASSERT_TRUE(conn_has(svc, "100.64.0.1", 0) &&
				    !conn_has(svc, "100.64.0.1", 1024),
				    "affinity: the entry is the client's (port 0), not the "
				    "connection's");
		}

		memset(hist, 0, sizeof(hist));
		bad = 0;
		for (j = 0; j < 300; j++) {
			snprintf(buf, sizeof(buf), "100.64.%d.%d", 1 + j / 200, 1 + j % 200);
			b = send_flow(svc, buf, 5000, &r);
			if (b < 0)
				bad++;
			else
				hist[b]++;
		}
		tap_diag("  300 clients: %d %d %d", hist[be[0]], hist[be[1]], hist[be[2]]);
		snprintf(name, sizeof(name), "%s: 300 clients spread, each backend >= 20%%",
			 kinds[k].name);
		ASSERT_TRUE(!bad && hist[be[0]] >= 60 && hist[be[1]] >= 60 && hist[be[2]] >= 60,
			    name);
	}
}

/* ------------------------------------------------------------------ */
/* 14: sorry server, no backend at all.                                 */

static void test_sorry(void)
{
	int be[2], sorry, hist[MAX_BE] = { 0 }, svc, nos, nbe[2], i, b, bad = 0;
	struct lb_counters c0, c1;
	struct shot r;
	struct pkt_spec s;

	svc = add_svc_n("10.0.0.17", 80, "10.17.0.", 2, be, 0);
	sorry = be_add(svc, "10.17.0.99", 1, LB_BE_F_UP | LB_BE_F_SORRY, true);
	for (i = 0; i < 200; i++) {
		b = establish(svc, "192.0.2.17", (uint16_t)(20000 + i), &r);
		if (b < 0)
			bad++;
		else
			hist[b]++;
	}
	ASSERT_TRUE(!bad && hist[sorry] == 0, "sorry: while real backends are up, the sorry "
		    "server gets none of 200 flows");
	for (i = 0; i < 2; i++)
		if (lb_be_set_up(&node_a.maps, bes[be[i]].id, false))
			bail("lb_be_set_up");
	memset(hist, 0, sizeof(hist));
	bad = 0;
	for (i = 0; i < 200; i++) {
		b = send_next(svc, "192.0.2.17", (uint16_t)(20000 + i), F(conn_resteer), &r);
		if (b != sorry && !bad++)
			tap_diag("  flow %d: %s", 20000 + i, b < 0 ? why : bes[b].name);
	}
	ASSERT_EQ(bad, 0, "sorry: all real backends down -> the 200 established flows move to "
		  "the sorry server (conn_resteer)");
	bad = spread(svc, "192.0.2.18", 20000, 100, hist, NULL);
	ASSERT_TRUE(!bad && hist[sorry] == 100, "sorry: ... and so do 100 new flows");
	if (lb_be_set_up(&node_a.maps, bes[be[1]].id, true))
		bail("lb_be_set_up");
	memset(hist, 0, sizeof(hist));
	bad = spread(svc, "192.0.2.19", 20000, 100, hist, NULL);
	ASSERT_TRUE(!bad && hist[be[1]] == 100, "sorry: one real backend back -> it takes "
		    "every new flow");
	s = flow_next(svc, "192.0.2.17", 20000);
	s.tcp_flags = 0x14;	/* RST, ACK */
	fire(&node_a, &s, &r);
	ASSERT_TRUE(!shot_problem(&r, XDP_TX, F(conn_closed), svc) && r.be == sorry &&
		    !conn_has(svc, "192.0.2.17", 20000), "sorry: a client's reset of a flow on the "
		    "sorry server goes there (its connection) and ends the entry");
	bad = 0;
	for (i = 1; i < 200; i++) {
		b = send_next(svc, "192.0.2.17", (uint16_t)(20000 + i), F(conn_resteer), &r);
		if (b != be[1] && !bad++)
			tap_diag("  flow %d: %s", 20000 + i, b < 0 ? why : bes[b].name);
	}
	ASSERT_EQ(bad, 0, "sorry: ... and the other 199 flows the sorry server had go back to it "
		  "(conn_resteer)");
	if (lb_svc_set_sorry_only(&node_a.maps, svcs[svc].id, true))
		bail("lb_svc_set_sorry_only");
	memset(hist, 0, sizeof(hist));
	bad = spread(svc, "192.0.2.20", 20000, 100, hist, NULL);
	ASSERT_TRUE(!bad && hist[sorry] == 100, "sorry: quorum lost (sorry only) -> the sorry "
		    "server takes every new flow though a real backend is up");
	bad = 0;
	for (i = 1; i < 200; i++)
		bad += send_next(svc, "192.0.2.17", (uint16_t)(20000 + i), F(conn_hit), &r) != be[1];
	ASSERT_EQ(bad, 0, "sorry: ... while the 199 established flows stay on the real backend");
	if (lb_svc_set_sorry_only(&node_a.maps, svcs[svc].id, false))
		bail("lb_svc_set_sorry_only");
	memset(hist, 0, sizeof(hist));
	bad = spread(svc, "192.0.2.21", 20000, 100, hist, NULL);
	ASSERT_TRUE(!bad && hist[be[1]] == 100, "sorry: quorum back -> new flows to the real "
		    "backend again");

	nos = add_svc_n("10.0.0.18", 80, "10.18.0.", 2, nbe, 0);
	b = establish(nos, "192.0.2.18", 20000, &r);
	if (!ASSERT_TRUE(b >= 0, "no backend: flow established"))
		tap_diag("  %s", why);
	for (i = 0; i < 2; i++)
		if (lb_be_set_up(&node_a.maps, bes[nbe[i]].id, false))
			bail("lb_be_set_up");
	c0 = svc_counters(nos);
	s = flow_next(nos, "192.0.2.18", 20000);
	fire(&node_a, &s, &r);
	check_shot("no backend: all down, no sorry server, established flow -> DROP "
		   "(drop_no_backend)", &r, XDP_DROP, F(drop_no_backend), -1);
	s = flow_spec(nos, "192.0.2.18", 20001);
	fire(&node_a, &s, &r);
	c1 = svc_counters(nos);
	check_shot("no backend: ... new flow -> DROP (drop_no_backend)", &r, XDP_DROP,
		   F(drop_no_backend), -1);
	ASSERT_EQ(c1.drops - c0.drops, 2, "no backend: the service's drops counter moved by 2");
	ASSERT_EQ(c1.packets - c0.packets, 0, "no backend: ... and its packets counter did not");
}

/* ------------------------------------------------------------------ */
/* 15: exact per-service and per-backend counters.                      */

struct cnt_want {
	__u64 packets[2], bytes[2], new_flows[2];
};

/* Sends `per` packets on each of new flows to svc (two backends be[])
 * until both backends have two flows, adding up what each should count.
 * TCP: SYN, ACK, then data (one VLAN-tagged); UDP: datagrams. */
static bool cnt_run(int svc, const int be[2], int per, struct cnt_want *w)
{
	int i, k, idx = 0, seen[2] = { 0 };
	struct shot r;

	for (i = 0; i < 64 && (seen[0] < 2 || seen[1] < 2); i++) {
		struct pkt_spec s = flow_spec(svc, "192.0.2.19", (uint16_t)(7000 + i));

		for (k = 0; k < per; k++) {
			if (k > 0 && s.proto == IPPROTO_TCP)
				s.tcp_flags = k == 1 ? 0x10 : 0x18;
			if (k > 1) {
				s.payload = (uint16_t)(100 * k + i);
				s.vlan = k == 3 ? 42 : 0;
			}
			fire(&node_a, &s, &r);
			if (shot_problem(&r, XDP_TX, NO_COUNTER, svc) ||
			    (k > 0 && r.be != be[idx])) {
				tap_diag("  flow %d packet %d: %s", 7000 + i, k,
					 r.be != be[idx] ? "changed backend" : why);
				return false;
			}
			if (k == 0) {
				idx = r.be == be[0] ? 0 : 1;
				seen[idx]++;
				w->new_flows[idx]++;
			}
			w->packets[idx]++;
			w->bytes[idx] += r.len;
		}
	}
	return seen[0] >= 2 && seen[1] >= 2;
}

static void test_counters(void)
{
	struct lb_counters sc, bc, z = { 0 };
	struct cnt_want wt = { { 0 } }, wu = { { 0 } };
	int bt[2], bu[2], st, su, i, pass;
	char buf[64], name[200];
	struct shot r;
	bool ok;

	st = svc_add(&node_a, 4, "10.0.0.19", 80, IPPROTO_TCP, 0, 0, 1021);
	su = svc_add(&node_a, 4, "10.0.0.19", 53, IPPROTO_UDP, 0, 0, 1021);
	for (i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "10.19.0.%d", i + 1);
		bt[i] = be_add(st, buf, 1, LB_BE_F_UP, true);
		snprintf(buf, sizeof(buf), "10.19.1.%d", i + 1);
		bu[i] = be_add(su, buf, 1, LB_BE_F_UP, true);
	}
	sc = svc_counters(st);
	bc = be_counters(bt[0]);
	ASSERT_TRUE(!memcmp(&sc, &z, sizeof(z)) && !memcmp(&bc, &z, sizeof(z)),
		    "counters: start at zero for a new service and backend");

	ASSERT_TRUE(cnt_run(st, bt, 4, &wt), "counters: TCP connections (SYN, ACK, data, "
		    "data with VLAN tag) on both backends");
	ASSERT_TRUE(cnt_run(su, bu, 3, &wu), "counters: UDP flows (3 datagrams) on both "
		    "backends");

	for (pass = 0; pass < 2; pass++) {
		const char *kind = pass ? "UDP" : "TCP";
		int s = pass ? su : st, *b = pass ? bu : bt;
		struct cnt_want *w = pass ? &wu : &wt;

		sc = svc_counters(s);
		snprintf(name, sizeof(name), "counters: %s service packets exact", kind);
		ASSERT_EQ(sc.packets, w->packets[0] + w->packets[1], name);
		snprintf(name, sizeof(name), "counters: %s service bytes = sum of frame lengths",
			 kind);
		ASSERT_EQ(sc.bytes, w->bytes[0] + w->bytes[1], name);
		snprintf(name, sizeof(name), "counters: %s service drops 0", kind);
		ASSERT_EQ(sc.drops, 0, name);
		for (i = 0; i < 2; i++) {
			bc = be_counters(b[i]);
			snprintf(name, sizeof(name), "counters: %s backend %s packets and bytes "
				 "exact", kind, bes[b[i]].name);
			ok = bc.packets == w->packets[i] && bc.bytes == w->bytes[i] && !bc.drops;
			if (!tap_ok(ok, "%s", name))
				tap_diag("  got %llu/%llu, expected %llu/%llu",
					 (unsigned long long)bc.packets,
					 (unsigned long long)bc.bytes,
					 (unsigned long long)w->packets[i],
					 (unsigned long long)w->bytes[i]);
		}
		/* new_flows: one per flow, for the service and each backend. */
		ok = sc.new_flows == w->new_flows[0] + w->new_flows[1];
		for (i = 0; i < 2; i++)
			ok = ok && be_counters(b[i]).new_flows == w->new_flows[i];
		snprintf(name, sizeof(name), "counters: %s new_flows = one per %s (service and "
			 "backends)", kind, pass ? "flow" : "connection");
		if (!tap_ok(ok, "%s", name))
			tap_diag("  service new_flows %llu for %llu %s; backends %llu, %llu for "
				 "%llu, %llu", (unsigned long long)sc.new_flows,
				 (unsigned long long)(w->new_flows[0] + w->new_flows[1]),
				 pass ? "flows" : "connections",
				 (unsigned long long)be_counters(b[0]).new_flows,
				 (unsigned long long)be_counters(b[1]).new_flows,
				 (unsigned long long)w->new_flows[0],
				 (unsigned long long)w->new_flows[1]);
	}
	/* A packet that is not the service's changes none of them. */
	{
		struct pkt_spec s = flow_spec(st, "192.0.2.19", 7000);

		sc = svc_counters(st);
		s.dport = 81;
		fire(&node_a, &s, &r);
		ASSERT_TRUE(r.verdict == XDP_PASS && svc_counters(st).packets == sc.packets,
			    "counters: a packet for another port leaves the service's alone");
	}
}

/* ------------------------------------------------------------------ */
/* 16: two nodes, same services, backends added in another order.       */

static void test_two_nodes(void)
{
	static const char *const addr4[5] = { "10.30.0.1", "10.30.0.2", "10.30.0.3",
					       "10.30.0.4", "10.30.0.5" };
	static const uint32_t w4[5] = { 1, 2, 3, 1, 1 };
	static const char *const addr6[4] = { "fd00:30::1", "fd00:30::2", "fd00:30::3",
					       "fd00:30::4" };
	int sa4, sa6, sb4, sb6, dummy, i, diff = 0, bad = 0, ids_differ = 0;
	struct shot ra, rb;
	char buf[64];

	node_up(&node_b, 0);
	ASSERT_TRUE(node_b.loaded, "two nodes: second instance loaded in its own pin dir");
	sa4 = svc_add(&node_a, 4, "10.0.0.30", 80, IPPROTO_TCP, 0, 0, 0);
	sa6 = svc_add(&node_a, 6, "fd00::30", 443, IPPROTO_TCP, 0, 0, 0);
	for (i = 0; i < 5; i++)
		be_add(sa4, addr4[i], w4[i], LB_BE_F_UP, true);
	for (i = 0; i < 4; i++)
		be_add(sa6, addr6[i], 1, LB_BE_F_UP, true);

	/* Node B: another service first (so ids shift), then backends in
	 * reverse order, the IPv6 service before the IPv4 one. */
	dummy = svc_add(&node_b, 4, "10.0.0.31", 8080, IPPROTO_TCP, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "10.31.0.%d", i + 1);
		be_add(dummy, buf, 1, LB_BE_F_UP, true);
	}
	sb6 = svc_add(&node_b, 6, "fd00::30", 443, IPPROTO_TCP, 0, 0, 0);
	sb4 = svc_add(&node_b, 4, "10.0.0.30", 80, IPPROTO_TCP, 0, 0, 0);
	for (i = 3; i >= 0; i--)
		be_add(sb6, addr6[i], 1, LB_BE_F_UP, true);
	for (i = 4; i >= 0; i--)
		be_add(sb4, addr4[i], w4[i], LB_BE_F_UP, true);
	for (i = 0; i < n_bes; i++) {
		int j;

		for (j = 0; j < n_bes; j++)
			if (bes[i].n == &node_a && bes[j].n == &node_b &&
			    !memcmp(bes[i].mac, bes[j].mac, 6) && bes[i].id != bes[j].id)
				ids_differ++;
	}
	ASSERT_TRUE(ids_differ > 0 && svcs[sa4].id != svcs[sb4].id,
		    "two nodes: service and backend ids differ between the nodes");

	for (i = 0; i < 1000; i++) {
		struct pkt_spec s;
		int svc_a = i < 800 ? sa4 : sa6, svc_b = i < 800 ? sb4 : sb6;
		const char *src;

		snprintf(buf, sizeof(buf), i < 800 ? "172.16.%d.%d" : "2001:db8:16::%x:%x",
			 i / 7, 1 + i % 7);
		src = buf;
		s = flow_spec(svc_a, src, (uint16_t)(33000 + i * 13));
		fire(&node_a, &s, &ra);
		s = flow_spec(svc_b, src, (uint16_t)(33000 + i * 13));
		fire(&node_b, &s, &rb);
		if (shot_problem(&ra, XDP_TX, F(conn_miss), svc_a) ||
		    shot_problem(&rb, XDP_TX, F(conn_miss), svc_b)) {
			if (!bad)
				tap_diag("  flow %d: %s", i, why);
			bad++;
			continue;
		}
		if (memcmp(ra.out, rb.out, 6)) {
			if (!diff)
				tap_diag("  flow %s:%u: node A -> %s, node B -> %s", src,
					 33000 + i * 13, bes[ra.be].name, bes[rb.be].name);
			diff++;
		}
	}
	ASSERT_EQ(bad, 0, "two nodes: 1000 flows (800 IPv4, 200 IPv6) TX on both nodes");
	ASSERT_EQ(diff, 0, "two nodes: every flow reaches the same backend address on both");
}

/* ------------------------------------------------------------------ */
/* Admission: SYNs are not remembered, other new flows spend a budget.  */

static void test_admission(void)
{
	int svc, i, b, bad = 0, in_table = 0;
	__u64 limited = 0, untracked = 0;
	char buf[64];
	struct shot r;

	node_up(&node_c, 10);
	ASSERT_TRUE(node_c.loaded, "admission: third instance loaded with a budget of 10 new "
		    "entries per CPU per second");
	svc = svc_add(&node_c, 4, "10.0.0.40", 53, IPPROTO_UDP, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "10.40.0.%d", i + 1);
		be_add(svc, buf, 1, LB_BE_F_UP, true);
	}
	for (i = 0; i < 30; i++) {
		b = send_flow(svc, "192.0.2.40", (uint16_t)(9000 + i), &r);
		if (b < 0 && !bad++)
			tap_diag("  flow %d: %s", 9000 + i, why);
		limited += gget(&r.d, F(conn_rate_limited));
		in_table += conn_has(svc, "192.0.2.40", (uint16_t)(9000 + i));
	}
	ASSERT_EQ(bad, 0, "admission: 30 new UDP flows within a second are all forwarded");
	ASSERT_EQ(in_table, 10, "admission: ... 10 of them remembered");
	ASSERT_EQ(limited, 20, "admission: ... 20 counted conn_rate_limited");
	b = send_flow(svc, "192.0.2.40", 9029, &r);
	ASSERT_TRUE(b >= 0 && gget(&r.d, F(conn_miss)) == 1 &&
		    bes[b].id == table_pick(svc, "192.0.2.40", 9029, false),
		    "admission: an unremembered flow's next datagram misses and keeps its "
		    "backend by hash");

	/* TCP SYNs spend no budget and are never remembered. */
	svc = svc_add(&node_c, 4, "10.0.0.40", 80, IPPROTO_TCP, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "10.40.1.%d", i + 1);
		be_add(svc, buf, 1, LB_BE_F_UP, true);
	}
	bad = in_table = 0;
	limited = 0;
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "203.0.113.%d", 1 + i % 250);
		b = send_flow(svc, buf, (uint16_t)(1024 + i), &r);
		if (b < 0)
			bad++;
		untracked += gget(&r.d, F(conn_syn_untracked));
		limited += gget(&r.d, F(conn_rate_limited));
		in_table += conn_has(svc, buf, (uint16_t)(1024 + i));
	}
	ASSERT_TRUE(!bad && untracked == 200 && in_table == 0 && limited == 0,
		    "admission: 200 SYNs from spoofed sources are forwarded, none remembered "
		    "(conn_syn_untracked), none charged to the budget");
}

/* ------------------------------------------------------------------ */

int main(void)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_verbosity = LOG_LVL_WARN;
	log_hook_libbpf();
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	/* One CPU: per-CPU counters and budgets then behave as one. */
	{
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			tap_diag("sched_setaffinity: %s", strerror(errno));
	}
	env_setup();
	node_up(&node_a, 0);
	ASSERT_TRUE(node_a.loaded, "setup: program loaded, maps pinned in a private bpffs");
	setup_basic();

	/* 1, 4 */
	run_cases(fwd_cases, sizeof(fwd_cases) / sizeof(fwd_cases[0]));
	/* 2 */
	test_same_flow();
	test_balance();
	/* 3 */
	run_cases(pass_cases, sizeof(pass_cases) / sizeof(pass_cases[0]));
	test_inactive_flow();
	/* 5 */
	run_cases(opt_cases, sizeof(opt_cases) / sizeof(opt_cases[0]));
	/* 6 */
	test_icmp();
	/* 7 */
	test_frags();
	/* 8 */
	run_bad_cases();
	/* 9-12 */
	test_sticky();
	test_handshake();
	test_reset();
	test_drain();
	test_down_removed();
	test_no_mac();
	test_lifecycle();
	test_expiry();
	test_fin();
	test_foreign_layout();
	/* 13 */
	test_affinity();
	/* 14 */
	test_sorry();
	/* 15 */
	test_counters();
	/* 16 */
	test_two_nodes();
	/* admission control (SYN, budget) */
	test_admission();

	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("ran in %.2f s", (double)(t1.tv_sec - t0.tv_sec) +
		 (t1.tv_nsec - t0.tv_nsec) / 1e9);
	cleanup();
	return tap_done();
}
