// SPDX-License-Identifier: GPL-2.0
/*
 * The pure-C part of `make bench`: each measurement is taken side by side
 * with its baseline in the same process and printed as rows of the one
 * markdown table that scripts/bench.sh assembles.
 *
 *   bench_xdp testrun     per-packet cost through BPF_PROG_TEST_RUN of each
 *                         path of xdp_lb against xdp_floor (MAC swap + TX)
 *   bench_xdp maglev      maglev_build and the full publish (lb_svc_rebuild)
 *   bench_xdp conntrack   1,000,000 flows into the pinned connection table
 *   bench_xdp live DEV PEER
 *                         packets/s through a veth with live XDP frames
 *                         (BPF_F_TEST_XDP_LIVE_FRAMES), xdp_lb vs xdp_floor
 *   bench_xdp bpfstats SECONDS
 *                         keep the kernel's BPF run-time statistics on for
 *                         that long (for the HTTP benchmark's CPU figures)
 *   bench_xdp drfloor IFACE VIP MAC1 MAC2
 *                         attach the least possible DR forwarder over two
 *                         servers to IFACE (the HTTP benchmark's same-path
 *                         baseline)
 *
 * Rows go to stdout (| what | lbctl | baseline | ratio | target | notes |),
 * progress and raw figures to stderr. Everything runs against maps pinned
 * in a private bpffs mounted under /tmp for the process's lifetime, so
 * nothing touches a running lbctl. Environment knobs (for quick runs):
 * BENCH_RUNS (5), BENCH_REPEAT (1000000), BENCH_FLOWS (200000),
 * BENCH_LIVE_S (5), BENCH_CONNS (1000000).
 *
 * Built by scripts/bench.sh with the Makefile's flags, against
 * build/liblb.a, with -Iselftests for the packet builder (pkt.h).
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <math.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_shared.h"
#include "lb_loader.h"
#include "lb_maps.h"
#include "maglev.h"
#include "lb.skel.h"
#include "floor.skel.h"
#include "pkt.h"

#define MAX_RUNS	15

static const uint8_t IF_MAC[6] = { 0x02, 0x4c, 0x42, 0x00, 0x00, 0x01 };

static char bpffs_dir[64];
static char pin_dir[128];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_xdp: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process (user + system), seconds. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS * 4];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double vmax(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static int libbpf_quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* ------------------------------------------------------------ private bpffs */

static void bpffs_cleanup(void)
{
	if (pin_dir[0])
		lb_unpin_all(pin_dir);
	if (bpffs_dir[0]) {
		umount2(bpffs_dir, MNT_DETACH);
		rmdir(bpffs_dir);
	}
}

static void on_signal(int sig)
{
	exit(128 + sig);	/* runs bpffs_cleanup */
}

static void bpffs_setup(void)
{
	snprintf(bpffs_dir, sizeof(bpffs_dir), "/tmp/lbbench-bpffs.XXXXXX");
	if (!mkdtemp(bpffs_dir))
		die("mkdtemp: %s", strerror(errno));
	if (mount("bpf", bpffs_dir, "bpf", 0, NULL)) {
		rmdir(bpffs_dir);
		bpffs_dir[0] = 0;
		die("mount bpffs: %s", strerror(errno));
	}
	atexit(bpffs_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(pin_dir, sizeof(pin_dir), "%s/lb", bpffs_dir);
}

/* ------------------------------------------------------------ the balancer */

struct bench_lb {
	struct lb_prog prog;
	struct lb_maps maps;
	struct floor_bpf *floor;
	int lb_fd, floor_fd;
	uint32_t svc_tcp4, svc_udp4, svc_tcp6;
};

static void addr_of(int family, const char *s, uint8_t a[16])
{
	int fam;

	if (lb_addr_parse(s, &fam, a) || fam != family)
		die("bad address %s", s);
}

static uint32_t add_service(struct bench_lb *b, int family, const char *vip,
			    uint16_t port, uint8_t proto, const char *const *bes, int nbe)
{
	struct lb_svc_key k;
	uint8_t a[16];
	uint32_t id, bid;
	int err, i;

	addr_of(family, vip, a);
	lb_svc_key_make(&k, family, a, port, proto);
	err = lb_svc_add(&b->maps, &k, NULL, true, &id);
	if (err)
		die("lb_svc_add %s:%u: %s", vip, port, strerror(-err));
	for (i = 0; i < nbe; i++) {
		addr_of(family, bes[i], a);
		err = lb_be_add(&b->maps, id, family, a, 1, LB_BE_F_UP, &bid);
		if (err)
			die("lb_be_add %s: %s", bes[i], strerror(-err));
		/* The backend's MAC is the balancer's own: with repeat the
		 * program sees its own output again, and that must still be a
		 * frame addressed to it, so that every repetition forwards. */
		err = lb_be_set_mac(&b->maps, family, a, IF_MAC);
		if (err < 0)
			die("lb_be_set_mac %s: %s", bes[i], strerror(-err));
	}
	return id;
}

static void bench_lb_open(struct bench_lb *b, const uint8_t mac[6], uint32_t conn_max)
{
	static const char *const be4[] = { "10.0.0.11", "10.0.0.12" };
	static const char *const be6[] = { "fd00::11", "fd00::12" };
	/* No insertion rate limit: the new-flow loop measures the insert
	 * itself, and runs faster than the default budget allows. */
	struct lb_limits lim = { .conn_max = conn_max, .conn_rate = -1 };
	int err;

	memset(b, 0, sizeof(*b));
	err = lb_prog_load(&b->prog, mac, &lim, pin_dir);
	if (err)
		die("lb_prog_load: %s", strerror(-err));
	err = lb_maps_open(&b->maps, pin_dir);
	if (err)
		die("lb_maps_open %s: %s", pin_dir, strerror(-err));
	err = lb_maps_lock(&b->maps);
	if (err)
		die("lb_maps_lock: %s", strerror(-err));
	b->svc_tcp4 = add_service(b, LB_AF_INET, "10.0.0.100", 80, IPPROTO_TCP, be4, 2);
	b->svc_udp4 = add_service(b, LB_AF_INET, "10.0.0.100", 53, IPPROTO_UDP, be4, 2);
	b->svc_tcp6 = add_service(b, LB_AF_INET6, "fd00::100", 80, IPPROTO_TCP, be6, 2);
	lb_maps_unlock(&b->maps);

	b->floor = floor_bpf__open_and_load();
	if (!b->floor)
		die("loading the floor program: %s", strerror(errno));
	b->lb_fd = lb_prog_fd(&b->prog);
	b->floor_fd = bpf_program__fd(b->floor->progs.xdp_floor);
}

static void bench_lb_close(struct bench_lb *b)
{
	floor_bpf__destroy(b->floor);
	lb_maps_close(&b->maps);
	lb_prog_close(&b->prog);
	lb_unpin_all(pin_dir);
}

/* ------------------------------------------------------------ packets */

static const struct pkt_spec SP_TCP4 = {
	.af = 4, .src = "10.1.0.1", .dst = "10.0.0.100", .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 80, .tcp_flags = 0x10, .pad_to = 60,
};
static const struct pkt_spec SP_UDP4 = {
	.af = 4, .src = "10.1.0.1", .dst = "10.0.0.100", .proto = IPPROTO_UDP,
	.sport = 40000, .dport = 53, .payload = 18, .pad_to = 60,
};
static const struct pkt_spec SP_TCP6 = {
	.af = 6, .src = "fd00:1::1", .dst = "fd00::100", .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 80, .tcp_flags = 0x10,
};
/* What the real server sent to the client, quoted by a router's error. */
static const struct pkt_spec SP_TCP4_REPLY = {
	.af = 4, .src = "10.0.0.100", .dst = "10.1.0.1", .proto = IPPROTO_TCP,
	.sport = 80, .dport = 40000, .tcp_flags = 0x18, .payload = 32,
};
static const struct pkt_spec SP_ICMP4 = {
	.af = 4, .src = "10.9.0.1", .dst = "10.0.0.100", .proto = IPPROTO_ICMP,
	.icmp_type = 3, .icmp_code = 4, .inner = &SP_TCP4_REPLY, .pad_to = 60,
};
/* The node's own address, e.g. its SSH: not a VIP. */
static const struct pkt_spec SP_PASS4 = {
	.af = 4, .src = "10.1.0.1", .dst = "10.0.0.2", .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 22, .tcp_flags = 0x10, .pad_to = 60,
};

/* ------------------------------------------------------------ testrun */

struct run_res {
	double ns;		/* per packet, the kernel's measure */
	double wall_ns;		/* per packet, wall clock around the call */
	__u32 retval;
};

/*
 * One BPF_PROG_TEST_RUN over `repeat` repetitions. The figure is the
 * kernel's own (opts.duration): it stops its clock while the task is
 * rescheduled, so a busy machine does not inflate it, where wall time
 * around the call doubles on a loaded two-CPU box. Its resolution is a
 * whole nanosecond per repetition.
 */
static struct run_res run_repeat(int fd, const uint8_t *pkt, size_t len, int repeat)
{
	uint8_t out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .repeat = repeat);
	struct run_res r;
	double t0 = now_s();

	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	r.wall_ns = (now_s() - t0) * 1e9 / repeat;
	r.ns = o.duration;
	r.retval = o.retval;
	return r;
}

struct path {
	const char *name;
	const struct pkt_spec *spec;
	const struct pkt_spec *prime;	/* sent once first (establishes the flow) */
	__u32 want;			/* xdp_lb's verdict */
	size_t hit_off;			/* lb_global_stats field that must count every packet */
	const char *target;
};

#define GOFF(f) offsetof(struct lb_global_stats, f)

static __u64 gfield(struct bench_lb *b, size_t off)
{
	struct lb_global_stats g;

	if (lb_read_global(&b->maps, &g))
		die("reading counters");
	return *(__u64 *)((char *)&g + off);
}

static const char *fmt_ns(char *buf, size_t n, double v)
{
	snprintf(buf, n, v < 100 ? "%.1f ns" : "%.0f ns", v);
	return buf;
}

static double median_ratio(const double *a, const double *b, int n)
{
	double q[MAX_RUNS];
	int i;

	for (i = 0; i < n; i++)
		q[i] = a[i] / b[i];
	return median(q, n);
}

/* The ratio is the median of the per-run ratios: each run's floor was
 * measured next to its xdp_lb figure, under the same load. */
static void path_row(const char *name, double *pr, double *fl, int runs, const char *target,
		     const char *note)
{
	char a[32], c[32];

	printf("| XDP %s, ns/packet (BPF_PROG_TEST_RUN) | %s | %s (floor) | %.2f× | %s | "
	       "medians of %d runs, ratio of each run's pair (lbctl %.0f–%.0f, floor "
	       "%.0f–%.0f ns)%s%s |\n",
	       name, fmt_ns(a, sizeof(a), median(pr, runs)), fmt_ns(c, sizeof(c), median(fl, runs)),
	       median_ratio(pr, fl, runs), target, runs, vmin(pr, runs), vmax(pr, runs),
	       vmin(fl, runs), vmax(fl, runs), note ? "; " : "", note ? note : "");
}

/* New flows: distinct packets, repeat = 1 each, the whole loop timed.
 * xdp_lb forwards a SYN by hash without remembering it (a SYN flood cannot
 * fill the table) and remembers the flow at its first ACK: so the ACK is
 * the packet that pays for the insert. */
static void new_flow_packets(uint8_t *bufs, size_t stride, size_t *len, int n, int run,
			     bool syn)
{
	struct pkt_spec s = SP_TCP4;
	uint8_t tmpl[PKT_MAX];
	int i;

	s.tcp_flags = syn ? 0x02 : 0x10;
	*len = pkt_build(&s, IF_MAC, tmpl);
	for (i = 0; i < n; i++) {
		uint8_t *p = bufs + (size_t)i * stride;
		struct iphdr *ip = (void *)(p + 14);
		struct tcphdr *th = (void *)(p + 34);
		/* 10.R.x.y with the run in the top bits: no two runs (nor the
		 * established-flow client 10.1.0.1) share a flow. Runs 8+ are
		 * the SYN sets. */
		uint32_t src = 0x0a000000u | ((uint32_t)(run + 8) << 18) | ((uint32_t)i >> 2);

		memcpy(p, tmpl, *len);
		ip->saddr = htonl(src);
		th->source = htons(1024 + (i & 3) * 1000 + (i % 997));
		ip->check = 0;
		ip->check = pkt_csum_fold(pkt_csum_add(0, ip, 20));
	}
}

struct loop_res {
	double wall_ns;		/* per packet, the whole loop */
	double kern_ns;		/* per packet, sum of opts.duration */
	int bad;		/* packets with another verdict */
};

static struct loop_res run_loop(int fd, const uint8_t *bufs, size_t stride, size_t len,
				int n, __u32 want)
{
	uint8_t out[PKT_MAX];
	struct loop_res r = {};
	double t0, kern = 0;
	int i;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o,
			    .data_in = bufs + (size_t)i * stride, .data_size_in = len,
			    .data_out = out, .data_size_out = sizeof(out),
			    .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o))
			die("BPF_PROG_TEST_RUN: %s", strerror(errno));
		kern += o.duration;
		r.bad += o.retval != want;
	}
	r.wall_ns = (now_s() - t0) * 1e9 / n;
	r.kern_ns = kern / n;
	return r;
}

/*
 * The floor and xdp_lb over the same packets, in alternating chunks of
 * 5,000 so that whatever else the machine does falls on both alike (the
 * floor sees each chunk first; xdp_lb must see each flow's packet once).
 */
static void run_pair(int floor_fd, int lb_fd, const uint8_t *bufs, size_t stride, size_t len,
		     int n, struct loop_res *f, struct loop_res *p)
{
	const int chunk = 5000;
	int i;

	memset(f, 0, sizeof(*f));
	memset(p, 0, sizeof(*p));
	for (i = 0; i < n; i += chunk) {
		int m = n - i < chunk ? n - i : chunk;
		struct loop_res a = run_loop(floor_fd, bufs + (size_t)i * stride, stride, len, m,
					     XDP_TX);
		struct loop_res b = run_loop(lb_fd, bufs + (size_t)i * stride, stride, len, m,
					     XDP_TX);

		f->wall_ns += a.wall_ns * m;
		f->kern_ns += a.kern_ns * m;
		f->bad += a.bad;
		p->wall_ns += b.wall_ns * m;
		p->kern_ns += b.kern_ns * m;
		p->bad += b.bad;
	}
	f->wall_ns /= n;
	f->kern_ns /= n;
	p->wall_ns /= n;
	p->kern_ns /= n;
}

/* Remove the flows a new-flow run inserted, so each run starts alike. */
static void conntrack_forget(struct bench_lb *b, const uint8_t *bufs, size_t stride, int n)
{
	int fd = b->maps.fd[LB_M_CONNTRACK], i;

	for (i = 0; i < n; i++) {
		const uint8_t *p = bufs + (size_t)i * stride;
		const struct iphdr *ip = (const void *)(p + 14);
		const struct tcphdr *th = (const void *)(p + 34);
		struct lb_flow f = {
			.src = { ip->saddr }, .dst = { ip->daddr },
			.sport = th->source, .dport = th->dest,
			.proto = IPPROTO_TCP, .family = LB_AF_INET,
		};

		bpf_map_delete_elem(fd, &f);
	}
}

/*
 * Where the established path's time goes, measured without touching
 * bpf/: tiny programs written as raw instructions, run like the others.
 * "empty" returns XDP_TX; "lookup" first looks the established flow's key
 * up in xdp_lb's own conntrack map (an LRU hash with a 40-byte key) and
 * then returns XDP_TX. Their difference is the price of that one lookup.
 */
static int load_raw(const struct bpf_insn *insns, size_t n, const char *name)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &o);

	if (fd < 0)
		die("loading %s: %s", name, strerror(errno));
	return fd;
}

static int load_lookup_prog(int map_fd, const struct lb_flow *key)
{
	struct bpf_insn insns[32];
	const __u32 *w = (const void *)key;
	size_t n = 0, i;

	/* *(u32 *)(r10 - 40 + 4i) = key word i */
	for (i = 0; i < sizeof(*key) / 4; i++)
		insns[n++] = (struct bpf_insn) {
			.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10,
			.off = (short)(-(int)sizeof(*key) + 4 * (int)i), .imm = (int)w[i] };
	/* r1 = map (ld_imm64, two slots) */
	insns[n++] = (struct bpf_insn) { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
					 .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd };
	insns[n++] = (struct bpf_insn) { 0 };
	/* r2 = r10 - 40 */
	insns[n++] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2,
					 .src_reg = BPF_REG_10 };
	insns[n++] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2,
					 .imm = -(int)sizeof(*key) };
	insns[n++] = (struct bpf_insn) { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem };
	/* return r0 ? XDP_TX : XDP_ABORTED */
	insns[n++] = (struct bpf_insn) { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0,
					 .off = 2, .imm = 0 };
	insns[n++] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
					 .imm = XDP_TX };
	insns[n++] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };
	insns[n++] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
					 .imm = XDP_ABORTED };
	insns[n++] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };
	return load_raw(insns, n, "bench_ct_lookup");
}

static int load_empty_prog(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_TX },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return load_raw(insns, 2, "bench_empty");
}

static int cmd_testrun(void)
{
	const struct path paths[] = {
		{ "established TCP flow (IPv4)", &SP_TCP4, &SP_TCP4, XDP_TX, GOFF(conn_hit), "≤ 2×" },
		{ "established UDP flow (IPv4)", &SP_UDP4, &SP_UDP4, XDP_TX, GOFF(conn_hit), "≤ 2×" },
		{ "established TCP flow (IPv6)", &SP_TCP6, &SP_TCP6, XDP_TX, GOFF(conn_hit), "≤ 2×" },
		{ "ICMP frag-needed to the VIP (flow known)", &SP_ICMP4, &SP_TCP4, XDP_TX,
		  GOFF(icmp_steered), "—" },
		{ "non-VIP packet (own address) → XDP_PASS", &SP_PASS4, NULL, XDP_PASS,
		  GOFF(pass_not_vip), "—" },
	};
	const int np = sizeof(paths) / sizeof(paths[0]);
	int runs = env_long("BENCH_RUNS", 5), repeat = env_long("BENCH_REPEAT", 1000000);
	int nflows = env_long("BENCH_FLOWS", 200000);
	double pr[8][MAX_RUNS], fl[8][MAX_RUNS];
	double nw[MAX_RUNS], nwf[MAX_RUNS], nk[MAX_RUNS], nkf[MAX_RUNS], nd[MAX_RUNS];
	double ek[MAX_RUNS], ed[MAX_RUNS], sk[MAX_RUNS], sd[MAX_RUNS];
	double be_[MAX_RUNS], bl_[MAX_RUNS];
	uint8_t pkts[8][PKT_MAX];
	size_t lens[8], stride = 128, nlen;
	struct bench_lb b;
	uint8_t *bufs;
	int i, r;

	if (runs < 1 || runs > MAX_RUNS)
		die("BENCH_RUNS must be 1..%d", MAX_RUNS);
	bench_lb_open(&b, IF_MAC, 0);
	for (i = 0; i < np; i++)
		lens[i] = pkt_build(paths[i].spec, IF_MAC, pkts[i]);

	/* Establish the flows, check each path does what it is meant to. */
	for (i = 0; i < np; i++) {
		uint8_t p[PKT_MAX];
		size_t l;
		struct run_res x;

		if (paths[i].prime) {
			l = pkt_build(paths[i].prime, IF_MAC, p);
			x = run_repeat(b.lb_fd, p, l, 1);
			if (x.retval != XDP_TX)
				die("%s: priming packet got verdict %u", paths[i].name, x.retval);
		}
		x = run_repeat(b.lb_fd, pkts[i], lens[i], 1);
		if (x.retval != paths[i].want)
			die("%s: verdict %u, expected %u", paths[i].name, x.retval, paths[i].want);
	}

	for (r = 0; r < runs; r++) {
		for (i = 0; i < np; i++) {
			__u64 before = gfield(&b, paths[i].hit_off), after;
			struct run_res x;

			fl[i][r] = run_repeat(b.floor_fd, pkts[i], lens[i], repeat).ns;
			x = run_repeat(b.lb_fd, pkts[i], lens[i], repeat);
			pr[i][r] = x.ns;
			after = gfield(&b, paths[i].hit_off);
			if (x.retval != paths[i].want || after - before != (__u64)repeat)
				die("%s: verdict %u, counter moved %llu of %d: not every "
				    "repetition took the path", paths[i].name, x.retval,
				    (unsigned long long)(after - before), repeat);
			fprintf(stderr, "  run %d %-42s lbctl %6.1f ns  floor %6.1f ns\n",
				r + 1, paths[i].name, pr[i][r], fl[i][r]);
		}
	}

	/* The price of one conntrack lookup, next to an empty program. */
	{
		struct lb_flow k = {
			.src = { htonl(0x0a010001) }, .dst = { htonl(0x0a000064) },
			.sport = htons(40000), .dport = htons(80),
			.proto = IPPROTO_TCP, .family = LB_AF_INET,
		};
		int look_fd = load_lookup_prog(b.maps.fd[LB_M_CONNTRACK], &k);
		int empty_fd = load_empty_prog();

		for (r = 0; r < runs; r++) {
			struct run_res x;

			be_[r] = run_repeat(empty_fd, pkts[0], lens[0], repeat).ns;
			x = run_repeat(look_fd, pkts[0], lens[0], repeat);
			if (x.retval != XDP_TX)
				die("the conntrack lookup program missed the established flow");
			bl_[r] = x.ns;
		}
		close(look_fd);
		close(empty_fd);
	}

	/* New flows: each run its own distinct flows, repeat = 1 each, the
	 * whole loop timed for the floor and for xdp_lb: first the ACKs (each
	 * inserts its flow), then the same ACKs again (now established), so
	 * the insert path's own cost shows as a difference under the same
	 * conditions; and as many distinct SYNs (miss, forwarded by hash). */
	bufs = malloc((size_t)nflows * stride);
	if (!bufs)
		die("out of memory");
	for (r = 0; r < runs; r++) {
		__u64 miss0 = gfield(&b, GOFF(conn_miss)), hit0, syn0, miss, hit, syn;
		struct loop_res f, p, e, y;

		new_flow_packets(bufs, stride, &nlen, nflows, r, false);
		run_pair(b.floor_fd, b.lb_fd, bufs, stride, nlen, nflows, &f, &p);
		miss = gfield(&b, GOFF(conn_miss)) - miss0;
		hit0 = gfield(&b, GOFF(conn_hit));
		e = run_loop(b.lb_fd, bufs, stride, nlen, nflows, XDP_TX);
		hit = gfield(&b, GOFF(conn_hit)) - hit0;
		conntrack_forget(&b, bufs, stride, nflows);
		new_flow_packets(bufs, stride, &nlen, nflows, r + 8, true);
		syn0 = gfield(&b, GOFF(conn_syn_untracked));
		y = run_loop(b.lb_fd, bufs, stride, nlen, nflows, XDP_TX);
		syn = gfield(&b, GOFF(conn_syn_untracked)) - syn0;
		if (p.bad || e.bad || y.bad || miss != (__u64)nflows || hit != (__u64)nflows ||
		    syn != (__u64)nflows)
			die("new flows: %d+%d+%d packets not forwarded; %llu conntrack misses, "
			    "%llu hits, %llu SYNs of %d", p.bad, e.bad, y.bad,
			    (unsigned long long)miss, (unsigned long long)hit,
			    (unsigned long long)syn, nflows);
		nw[r] = p.wall_ns;
		nwf[r] = f.wall_ns;
		nk[r] = p.kern_ns;
		nkf[r] = f.kern_ns;
		nd[r] = p.wall_ns - f.wall_ns;
		ek[r] = e.kern_ns;
		ed[r] = p.kern_ns - e.kern_ns;
		sk[r] = y.kern_ns;
		sd[r] = y.kern_ns - e.kern_ns;
		fprintf(stderr, "  run %d new TCP flow: loop lbctl %.0f ns floor %.0f ns; "
			"in-kernel: first ACK %.1f ns, again %.1f ns, SYN %.1f ns, floor %.1f ns\n",
			r + 1, nw[r], nwf[r], nk[r], ek[r], sk[r], nkf[r]);
	}
	free(bufs);

	for (i = 0; i < np; i++) {
		char note[96] = "";

		if (i == 3)
			snprintf(note, sizeof(note), "the quoted TCP flow is established");
		path_row(paths[i].name, pr[i], fl[i], runs, paths[i].target,
			 note[0] ? note : NULL);
	}
	{
		char a[32], c[32];
		double l = median(bl_, runs), e = median(be_, runs), fl0 = median(fl[0], runs);

		printf("| XDP cost breakdown: one lookup of the established flow in xdp_lb's "
		       "conntrack map (LRU hash, 40-byte key), ns/packet | %s (lookup + return) | "
		       "%s (empty program) | lookup = %.1f× the floor | — | medians of %d runs; "
		       "the lookup alone costs %.0f ns against the floor's %.0f ns for a whole "
		       "forward, so a path that makes it cannot come within 2× of the floor on "
		       "this machine; the established path (%.0f ns) = floor + this lookup + "
		       "%.0f ns of parsing, checks, counters and rewrite |\n",
		       fmt_ns(a, sizeof(a), l), fmt_ns(c, sizeof(c), e), (l - e) / fl0, runs,
		       l - e, fl0, median(pr[0], runs), median(pr[0], runs) - fl0 - (l - e));
	}
	{
		char a[32], c[32];
		double w = median(nw, runs), wf = median(nwf, runs);

		printf("| XDP NEW TCP flow, ns/packet: %d distinct flows' first ACK (the packet "
		       "that inserts), repeat=1 each, whole loop timed incl. syscall | %s | "
		       "%s (floor) | %.2f× | ≤ 3× | medians of %d runs (floor and lbctl alternate "
		       "in chunks of 5,000); lbctl − floor = **%.0f ns** per new flow (runs "
		       "%.0f…%.0f); wall clock on a shared machine |\n",
		       nflows, fmt_ns(a, sizeof(a), w), fmt_ns(c, sizeof(c), wf),
		       median_ratio(nw, nwf, runs), runs, median(nd, runs), vmin(nd, runs),
		       vmax(nd, runs));
		w = median(nk, runs);
		wf = median(nkf, runs);
		printf("| XDP NEW TCP flow, ns/packet: same loop, kernel-timed (sum of "
		       "opts.duration, no syscall) | %s | %s (floor) | %.2f× | ≤ 3× | "
		       "medians of %d runs; lbctl − floor = %.0f ns; with repeat=1 every run "
		       "starts cold after a syscall, which costs a big program more than the floor |\n",
		       fmt_ns(a, sizeof(a), w), fmt_ns(c, sizeof(c), wf), median_ratio(nk, nkf, runs),
		       runs, w - wf);
		w = median(ek, runs);
		printf("| XDP established TCP flow, ns/packet: the same %d flows again, "
		       "repeat=1 each, kernel-timed | %s | %s (floor) | %.2f× | — | medians of %d runs; "
		       "the insert path (miss, service, Maglev, insert) costs new − established = "
		       "**%.0f ns** (runs %.0f…%.0f) |\n",
		       nflows, fmt_ns(a, sizeof(a), w), fmt_ns(c, sizeof(c), wf),
		       median_ratio(ek, nkf, runs), runs, median(ed, runs), vmin(ed, runs),
		       vmax(ed, runs));
		w = median(sk, runs);
		printf("| XDP NEW TCP flow's SYN, ns/packet: %d distinct SYNs, repeat=1 each, "
		       "kernel-timed | %s | %s (floor) | %.2f× | — | medians of %d runs; forwarded "
		       "by Maglev hash, not remembered; SYN − established = %.0f ns |\n",
		       nflows, fmt_ns(a, sizeof(a), w), fmt_ns(c, sizeof(c), wf),
		       median_ratio(sk, nkf, runs), runs, median(sd, runs));
	}
	bench_lb_close(&b);
	return 0;
}

/* ------------------------------------------------------------ maglev */

/* n backends for service id, written straight into the mirror and the
 * backends map (lb_be_add would republish the table after each one). */
static void put_backends(struct lb_maps *m, uint32_t svc_id, int n, int tag)
{
	uint32_t id = 0;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t a = htonl(0x0a000000u | ((uint32_t)tag << 16) | (uint32_t)i);

		while (id < m->max_backends && (m->be[id].flags & LB_BE_F_USED))
			id++;
		if (id == m->max_backends)
			die("no free backend slot");
		m->be[id] = (struct lb_backend) {
			.flags = LB_BE_F_USED | LB_BE_F_UP | LB_BE_F_MAC,
			.gen = m->be[id].gen + 1,
			.svc_id = svc_id,
			.weight = 1,
			.family = LB_AF_INET,
		};
		memcpy(m->be[id].mac, IF_MAC, 6);
		memcpy(m->be[id].addr, &a, 4);
		if (bpf_map_update_elem(m->fd[LB_M_BACKENDS], &id, &m->be[id], BPF_ANY))
			die("writing backend %u: %s", id, strerror(errno));
	}
}

static uint32_t maglev_svc(struct lb_maps *m, int tag)
{
	uint32_t vip = htonl(0x0a000064u + tag), id;
	struct lb_svc_key k;
	int err;

	lb_svc_key_make(&k, LB_AF_INET, &vip, 80, IPPROTO_TCP);
	err = lb_svc_add(m, &k, NULL, true, &id);
	if (err)
		die("lb_svc_add: %s", strerror(-err));
	return id;
}

static int cmd_maglev(void)
{
	static const int sizes[] = { 10, 100, 1000 };
	const int reps = 7, nadd = 100;
	const uint32_t M = LB_MAGLEV_SIZE;
	struct lb_limits lim = { .conn_max = 1024 };
	LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = BPF_F_INNER_MAP);
	struct maglev_backend *mb;
	struct lb_prog prog;
	struct lb_maps m;
	uint32_t *table, *keys, id, i;
	double t0, add_s;
	int s, r, err;

	err = lb_prog_load(&prog, IF_MAC, &lim, pin_dir);
	if (err)
		die("lb_prog_load: %s", strerror(-err));
	err = lb_maps_open(&m, pin_dir);
	err = err ?: lb_maps_lock(&m);
	if (err)
		die("opening the maps: %s", strerror(-err));
	mb = calloc(1000, sizeof(*mb));
	table = calloc(M, sizeof(*table));
	keys = calloc(M, sizeof(*keys));
	if (!mb || !table || !keys)
		die("out of memory");
	for (i = 0; i < M; i++)
		keys[i] = i;

	/* What an operator's `backend add` loop costs: every lb_be_add
	 * republishes the service's table. */
	id = maglev_svc(&m, 9);
	t0 = now_s();
	for (i = 0; i < (uint32_t)nadd; i++) {
		uint32_t a = htonl(0x0a000000u | (9u << 16) | i);

		err = lb_be_add(&m, id, LB_AF_INET, &a, 1, LB_BE_F_UP | LB_BE_F_MAC, NULL);
		if (err)
			die("lb_be_add: %s", strerror(-err));
	}
	add_s = now_s() - t0;
	fprintf(stderr, "  maglev: %d lb_be_add calls took %.2f s\n", nadd, add_s);

	for (s = 0; s < 3; s++) {
		int n = sizes[s];
		double build[16], pub[16], cr[16], fill[16], swap[16];

		id = maglev_svc(&m, s + 2);
		put_backends(&m, id, n, s + 2);
		for (i = 0; i < (uint32_t)n; i++) {
			uint32_t a = htonl(0x0a000000u | ((uint32_t)(s + 2) << 16) | i);

			mb[i].id = i;
			mb[i].weight = 1;
			maglev_ident(mb[i].ident, LB_AF_INET, &a, htons(80));
		}
		for (r = 0; r < reps; r++) {
			uint32_t count = M;
			int fd;

			t0 = now_s();
			err = maglev_build(mb, n, table, M);
			build[r] = (now_s() - t0) * 1e3;
			if (err)
				die("maglev_build: %s", strerror(-err));
			t0 = now_s();
			err = lb_svc_rebuild(&m, id);
			pub[r] = (now_s() - t0) * 1e3;
			if (err)
				die("lb_svc_rebuild: %s", strerror(-err));
			/* The same steps by hand, each timed: where publish goes. */
			t0 = now_s();
			fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_mg", 4, 4, M, &inner_opts);
			cr[r] = (now_s() - t0) * 1e3;
			if (fd < 0)
				die("bpf_map_create: %s", strerror(errno));
			t0 = now_s();
			if (bpf_map_update_batch(fd, keys, table, &count, NULL))
				die("bpf_map_update_batch: %s", strerror(errno));
			fill[r] = (now_s() - t0) * 1e3;
			t0 = now_s();
			if (bpf_map_update_elem(m.fd[LB_M_MAGLEV], &id, &fd, BPF_ANY))
				die("swapping the inner map: %s", strerror(errno));
			swap[r] = (now_s() - t0) * 1e3;
			close(fd);
		}
		/* Put the library's own table back. */
		err = lb_svc_rebuild(&m, id);
		if (err)
			die("lb_svc_rebuild: %s", strerror(-err));
		fprintf(stderr, "  maglev n=%d build %.2f ms publish %.2f ms (create %.2f, fill "
			"%.2f, swap %.2f)\n", n, median(build, reps), median(pub, reps),
			median(cr, reps), median(fill, reps), median(swap, reps));
		printf("| Maglev publish, %d backends (M = %u): lb_svc_rebuild vs maglev_build "
		       "alone | %.2f ms | %.2f ms (build only) | %.2f× | — | median of %d "
		       "(build %.2f–%.2f, publish %.2f–%.2f); the same steps by hand: new inner "
		       "map %.2f ms, batch fill %.2f ms, swap into the outer map %.2f ms%s |\n",
		       n, M, median(pub, reps), median(build, reps),
		       median(pub, reps) / median(build, reps), reps, vmin(build, reps),
		       vmax(build, reps), vmin(pub, reps), vmax(pub, reps), median(cr, reps),
		       median(fill, reps), median(swap, reps),
		       "");
	}
	printf("| Adding %d backends one at a time (lb_be_add, as `lbctl backend add` "
	       "does) | %.2f s (%.1f ms each) | — | — | — | every add republishes the "
	       "table, so N adds cost N publishes |\n", nadd, add_s, add_s * 1e3 / nadd);
	free(mb);
	free(table);
	free(keys);
	lb_maps_close(&m);
	lb_prog_close(&prog);
	lb_unpin_all(pin_dir);
	return 0;
}

/* ------------------------------------------------------------ conntrack */

static long fdinfo_memlock(int fd)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Entries in a hash map, by batch lookups (one syscall per 10,000). */
static uint32_t count_entries(int fd, uint32_t max)
{
	struct lb_flow *k = calloc(10000, sizeof(*k));
	struct lb_conn *v = calloc(10000, sizeof(*v));
	uint32_t total = 0, batch = 0, n;
	void *in = NULL;
	int err;

	if (!k || !v)
		die("out of memory");
	do {
		n = 10000;
		err = bpf_map_lookup_batch(fd, in, &batch, k, v, &n, NULL);
		if (err && errno != ENOENT)
			die("bpf_map_lookup_batch: %s", strerror(errno));
		total += n;
		in = &batch;
	} while (!err && total <= max);
	free(k);
	free(v);
	return total;
}

static int cmd_conntrack(void)
{
	const uint32_t n = env_long("BENCH_CONNS", 1000000), chunk = 10000;
	struct lb_limits lim = { .conn_max = n };
	struct lb_flow *keys;
	struct lb_conn *vals;
	struct lb_prog prog;
	struct lb_maps m;
	double t0, t_ins, c_ins, t_load;
	uint32_t i, found = 0, sampled = 0, present;
	long memlock;
	int fd, err;

	t0 = now_s();
	err = lb_prog_load(&prog, IF_MAC, &lim, pin_dir);
	if (err)
		die("lb_prog_load: %s", strerror(-err));
	t_load = now_s() - t0;
	err = lb_maps_open(&m, pin_dir);
	if (err)
		die("lb_maps_open: %s", strerror(-err));
	fd = m.fd[LB_M_CONNTRACK];
	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
	if (!keys || !vals)
		die("out of memory");
	for (i = 0; i < n; i++) {
		keys[i].src[0] = htonl(0x0a000000u | (16u << 18) | (i >> 6));
		keys[i].dst[0] = htonl(0x0a000064u);
		keys[i].sport = htons(1024 + (i & 63) * 997 % 64000);
		keys[i].dport = htons(80);
		keys[i].proto = IPPROTO_TCP;
		keys[i].family = LB_AF_INET;
		vals[i].backend_id = i % 100;
		vals[i].backend_gen = 1;
		vals[i].last_seen_ns = 1;
	}
	t0 = now_s();
	c_ins = cpu_s();
	for (i = 0; i < n; i += chunk) {
		uint32_t cnt = n - i < chunk ? n - i : chunk;
		LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);

		if (bpf_map_update_batch(fd, keys + i, vals + i, &cnt, &bo))
			die("bpf_map_update_batch at %u: %s", i, strerror(errno));
	}
	t_ins = now_s() - t0;
	c_ins = cpu_s() - c_ins;
	present = count_entries(fd, n);
	/* Which ones are gone: the first inserted (LRU) or scattered? */
	for (i = 0; i < n; i += 97, sampled++) {
		struct lb_conn v;

		found += !bpf_map_lookup_elem(fd, &keys[i], &v);
	}
	memlock = fdinfo_memlock(fd);
	fprintf(stderr, "  conntrack: loaded in %.2f s; %u inserted in %.2f s (cpu %.2f s); "
		"%u entries present; %u of %u sampled keys found; memlock %ld B\n",
		t_load, n, t_ins, c_ins, present, found, sampled, memlock);
	printf("| Connection table capacity: %u distinct flows inserted into the pinned LRU "
	       "conntrack map (conn_max %u) | %u present | %u inserted | %.3f%% | all | "
	       "insert time %.2f s wall, %.2f s CPU (%.0f ns/flow; bpf_map_update_batch, %u "
	       "per call)%s; loading the program with this table took %.2f s |\n",
	       n, n, present, n, 100.0 * present / n, t_ins, c_ins, c_ins * 1e9 / n, chunk,
	       present == n ? "" : "; the LRU starts evicting a little before it is full "
	       "(free nodes sit in other CPUs' local lists)", t_load);
	printf("| Connection table memory, %u flows (memlock, /proc/self/fdinfo) | "
	       "%.1f MiB (%.0f B/flow) | %zu B/flow (key %zu + value %zu) | %.2f× | — | "
	       "preallocated when the program loads: the table costs this from the start, "
	       "full or empty |\n",
	       n, memlock / 1048576.0, (double)memlock / n,
	       sizeof(struct lb_flow) + sizeof(struct lb_conn), sizeof(struct lb_flow),
	       sizeof(struct lb_conn), (double)memlock / n /
	       (sizeof(struct lb_flow) + sizeof(struct lb_conn)));
	free(keys);
	free(vals);
	lb_maps_close(&m);
	lb_prog_close(&prog);
	lb_unpin_all(pin_dir);
	return 0;
}

/* ------------------------------------------------------------ live frames */

/* The peer's program: XDP_DROP, so that XDP_TX frames land (the peer has
 * NAPI) and cost as little as possible once there. */
static int load_drop_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_drop", "GPL", insns, 2, NULL);

	if (fd < 0)
		die("loading the XDP_DROP program: %s", strerror(errno));
	return fd;
}

static int read_mac(const char *dev, uint8_t mac[6])
{
	char path[128];
	unsigned int b[6];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", dev);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
	fclose(f);
	if (n != 6)
		return -1;
	for (n = 0; n < 6; n++)
		mac[n] = b[n];
	return 0;
}

static double run_live(int fd, const uint8_t *pkt, size_t len, int ifindex, __u32 repeat,
		       double *cpu)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = pkt, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	double t0 = now_s(), c0 = cpu_s();

	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN (live frames): %s", strerror(errno));
	*cpu = cpu_s() - c0;
	return now_s() - t0;
}

static int cmd_live(const char *dev, const char *peer)
{
	double secs = env_long("BENCH_LIVE_S", 5), rate_p, rate_f, t, c;
	double tp = 0, tf = 0, cp = 0, cf = 0, np = 0, nf = 0;
	const int rounds = 3;
	int ifindex = if_nametoindex(dev), peer_idx = if_nametoindex(peer), drop_fd, err, r;
	uint8_t mac[6], pkt[PKT_MAX];
	struct bench_lb b;
	__u64 tx0, tx1;
	__u32 nrep_p, nrep_f;
	size_t len;

	if (!ifindex || !peer_idx)
		die("no such interface %s / %s", dev, peer);
	if (read_mac(dev, mac))
		die("cannot read the MAC of %s", dev);
	drop_fd = load_drop_prog();
	err = bpf_xdp_attach(peer_idx, drop_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		die("attaching XDP_DROP to %s: %s", peer, strerror(-err));

	/* Backends get the interface's own MAC again: live frames recycle
	 * their pages without restoring the data, so the next run of a page
	 * sees what the last one wrote. */
	{
		static const char *const be4[] = { "10.0.0.11", "10.0.0.12" };
		struct lb_limits lim = {};
		uint8_t a[16];

		memset(&b, 0, sizeof(b));
		if ((err = lb_prog_load(&b.prog, mac, &lim, pin_dir)) ||
		    (err = lb_maps_open(&b.maps, pin_dir)) || (err = lb_maps_lock(&b.maps)))
			die("loading lbctl's program: %s", strerror(-err));
		{
			struct lb_svc_key k;
			uint32_t id;
			int i;

			addr_of(LB_AF_INET, "10.0.0.100", a);
			lb_svc_key_make(&k, LB_AF_INET, a, 80, IPPROTO_TCP);
			if ((err = lb_svc_add(&b.maps, &k, NULL, true, &id)))
				die("lb_svc_add: %s", strerror(-err));
			for (i = 0; i < 2; i++) {
				addr_of(LB_AF_INET, be4[i], a);
				if ((err = lb_be_add(&b.maps, id, LB_AF_INET, a, 1, LB_BE_F_UP, NULL)))
					die("lb_be_add: %s", strerror(-err));
				if ((err = lb_be_set_mac(&b.maps, LB_AF_INET, a, mac)) < 0)
					die("lb_be_set_mac: %s", strerror(-err));
			}
		}
		lb_maps_unlock(&b.maps);
		b.floor = floor_bpf__open_and_load();
		if (!b.floor)
			die("loading the floor program");
		b.lb_fd = lb_prog_fd(&b.prog);
		b.floor_fd = bpf_program__fd(b.floor->progs.xdp_floor);
	}
	len = pkt_build(&SP_TCP4, mac, pkt);

	/* Calibrate: a short run of each gives the repeat for secs/rounds. */
	t = run_live(b.floor_fd, pkt, len, ifindex, 200000, &c);
	rate_f = 200000 / t;
	tx0 = gfield(&b, GOFF(verdict_tx));
	t = run_live(b.lb_fd, pkt, len, ifindex, 200000, &c);
	rate_p = 200000 / t;
	if (gfield(&b, GOFF(verdict_tx)) - tx0 != 200000)
		die("live frames: xdp_lb did not forward every frame");
	nrep_f = rate_f * secs / rounds;
	nrep_p = rate_p * secs / rounds;

	tx0 = gfield(&b, GOFF(verdict_tx));
	for (r = 0; r < rounds; r++) {
		double tf1, cf1;

		tf1 = run_live(b.floor_fd, pkt, len, ifindex, nrep_f, &cf1);
		tf += tf1, cf += cf1, nf += nrep_f;
		t = run_live(b.lb_fd, pkt, len, ifindex, nrep_p, &c);
		tp += t, cp += c, np += nrep_p;
		fprintf(stderr, "  live round %d: floor %.2f Mpps, lbctl %.2f Mpps (per CPU-second "
			"%.2f / %.2f)\n", r + 1, nrep_f / tf1 / 1e6, nrep_p / t / 1e6,
			nrep_f / cf1 / 1e6, nrep_p / c / 1e6);
	}
	tx1 = gfield(&b, GOFF(verdict_tx));
	bpf_xdp_detach(peer_idx, XDP_FLAGS_DRV_MODE, NULL);
	close(drop_fd);
	printf("| XDP live frames through a veth (BPF_F_TEST_XDP_LIVE_FRAMES, established "
	       "TCP, %zu-byte frames), packets/s | %.2f Mpps | %.2f Mpps (floor) | %.2f× | — | "
	       "%d alternating rounds, %.1f s of each program; XDP_TX lands on the peer's "
	       "XDP_DROP, sender and receiver on one CPU; per CPU-second of the sending "
	       "task: %.2f vs %.2f Mpps (%.2f×); xdp_lb forwarded %llu of %.0f |\n",
	       len, np / tp / 1e6, nf / tf / 1e6, (np / tp) / (nf / tf), rounds, tp,
	       np / cp / 1e6, nf / cf / 1e6, (np / cp) / (nf / cf),
	       (unsigned long long)(tx1 - tx0), np);
	bench_lb_close(&b);
	return 0;
}

/* Keep the kernel's BPF run-time statistics on (run_time_ns, run_cnt in
 * `bpftool prog show`) for `secs` seconds; they go off again when this
 * process exits, however it exits. */
static int cmd_bpfstats(double secs)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0)
		die("BPF_ENABLE_STATS: %s", strerror(errno));
	printf("on\n");
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ DR floor */

/*
 * The least a DR forwarder over two real servers can do, for the HTTP
 * benchmark's same-path baseline: an IPv4 frame to the VIP gets the
 * destination MAC of the first or second server by a bit of its source
 * port (one connection, one server; no state), the interface's own
 * as source MAC, and XDP_TX; everything else (ARP, the node's own traffic)
 * passes. Attached natively (generic if the driver has no XDP) through
 * netlink, so it outlives this process: `ip link set dev IFACE xdp off`.
 */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

#define MAC32(m) ((int)((uint32_t)(m)[0] | (uint32_t)(m)[1] << 8 | \
			(uint32_t)(m)[2] << 16 | (uint32_t)(m)[3] << 24))
#define MAC16(m) ((int)((uint32_t)(m)[4] | (uint32_t)(m)[5] << 8))
#define LDX(sz, d, s_, o) { .code = BPF_LDX | BPF_MEM | (sz), .dst_reg = (d), .src_reg = (s_), .off = (o) }
#define ST(sz, o, v) { .code = BPF_ST | BPF_MEM | (sz), .dst_reg = BPF_REG_2, .off = (o), .imm = (v) }
#define JMP(op, d, o, v) { .code = BPF_JMP | (op) | BPF_K, .dst_reg = (d), .off = (o), .imm = (v) }

static int cmd_drfloor(const char *dev, const char *vip_s, const char *mac1_s,
		       const char *mac2_s)
{
	uint8_t src[6], d1[6], d2[6];
	uint32_t vip;
	int ifindex = if_nametoindex(dev), fd, err;

	if (!ifindex || read_mac(dev, src))
		die("no such interface %s", dev);
	if (inet_pton(AF_INET, vip_s, &vip) != 1 || parse_mac(mac1_s, d1) || parse_mac(mac2_s, d2))
		die("usage: bench_xdp drfloor IFACE VIP MAC1 MAC2");
	{
		const struct bpf_insn insns[] = {
			/* 0 */ LDX(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data)),
			/* 1 */ LDX(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct xdp_md, data_end)),
			/* 2 */ { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_4,
				  .src_reg = BPF_REG_2 },
			/* 3 */ { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_4, .imm = 38 },
			/* 4: data + 38 > data_end: pass */
			{ .code = BPF_JMP | BPF_JGT | BPF_X, .dst_reg = BPF_REG_4,
			  .src_reg = BPF_REG_3, .off = 16 },
			/* 5, 6: not IPv4: pass */
			LDX(BPF_H, BPF_REG_5, BPF_REG_2, 12),
			JMP(BPF_JNE, BPF_REG_5, 14, htons(ETH_P_IP)),
			/* 7, 8: not to the VIP: pass */
			LDX(BPF_W, BPF_REG_5, BPF_REG_2, 30),
			{ .code = BPF_JMP32 | BPF_JNE | BPF_K, .dst_reg = BPF_REG_5, .off = 12,
			  .imm = (int)vip },
			/* 9-11: bit 1 of the source port (IHL 5) picks the server
			 * (connect() takes even ports: bit 0 is always 0) */
			LDX(BPF_B, BPF_REG_5, BPF_REG_2, 35),
			{ .code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = BPF_REG_5, .imm = 2 },
			JMP(BPF_JNE, BPF_REG_5, 3, 0),
			/* 12-14 */ ST(BPF_W, 0, MAC32(d1)), ST(BPF_H, 4, MAC16(d1)),
			{ .code = BPF_JMP | BPF_JA, .off = 2 },
			/* 15, 16 */ ST(BPF_W, 0, MAC32(d2)), ST(BPF_H, 4, MAC16(d2)),
			/* 17, 18 */ ST(BPF_W, 6, MAC32(src)), ST(BPF_H, 10, MAC16(src)),
			/* 19, 20 */ { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
				       .imm = XDP_TX },
			{ .code = BPF_JMP | BPF_EXIT },
			/* 21, 22: pass */ { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
					     .imm = XDP_PASS },
			{ .code = BPF_JMP | BPF_EXIT },
		};

		fd = load_raw(insns, sizeof(insns) / sizeof(insns[0]), "bench_dr_floor");
	}
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	if (err)
		die("attaching the DR floor to %s: %s", dev, strerror(-err));
	return 0;
}

#undef MAC32
#undef MAC16
#undef LDX
#undef ST
#undef JMP

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_xdp testrun|maglev|conntrack|live DEV PEER|bpfstats "
			"SECONDS|drfloor IFACE VIP MAC1 MAC2\n");
		return 2;
	}
	libbpf_set_print(libbpf_quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "bpfstats") && argc == 3)
		return cmd_bpfstats(atof(argv[2]));
	if (!strcmp(argv[1], "drfloor") && argc == 6)
		return cmd_drfloor(argv[2], argv[3], argv[4], argv[5]);
	bpffs_setup();
	if (!strcmp(argv[1], "testrun"))
		return cmd_testrun();
	if (!strcmp(argv[1], "maglev"))
		return cmd_maglev();
	if (!strcmp(argv[1], "conntrack"))
		return cmd_conntrack();
	if (!strcmp(argv[1], "live") && argc == 4)
		return cmd_live(argv[2], argv[3]);
	fprintf(stderr, "usage: bench_xdp testrun|maglev|conntrack|live DEV PEER|bpfstats SECONDS|"
		"drfloor IFACE VIP MAC1 MAC2\n");
	return 2;
}
