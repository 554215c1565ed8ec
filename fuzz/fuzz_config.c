// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the keepalived.conf reader, cfg_load(), on any text.
 * The input is written to main.conf in a private directory that also holds
 * a few fixed files to include (a.conf, b.inc, loop.conf that includes
 * main.conf back, self.conf, empty.conf, a directory d/ with d/x.conf
 * that includes ../b.inc), so that include, globbing, loops and nesting
 * are fuzzed along with the rest.
 *
 * The reader follows include to any path, as keepalived does; so that the
 * fuzzer cannot make it read /dev/zero or a FIFO, an input that holds the
 * word include must hold no '/' and no '\' (the escapes \057 and \x2f
 * would make one): its includes then stay in the directory.
 *
 * An input starting with 0xff is not text but the choices of a config
 * generator (see "synthesis" below).
 *
 * Properties, beyond "no crash, no leak, no sanitizer report":
 *  - cfg_load returns 0 with a config, or a negative errno without one;
 *  - what it accepts is what the rest of lbctl can run: every
 *    vrrp_instance passes vrrp_fsm_init (so `lbctl up` cannot refuse what
 *    `lbctl check-config` took), has a VRID, VIPs (if any: none is a warning) of its own family, a
 *    password only with VRRPv2; every virtual_server has a port, TCP or
 *    UDP, a prime table size or none, real servers of its family on its
 *    port (direct server return), HTTP_GET checks with a url, MISC_CHECK
 *    with a command; indexes (scripts, sync groups) are in range; nothing
 *    the controller sets up is there twice (instance names and VRIDs,
 *    VIPs, services, a service's real servers, script names), and the
 *    services and real servers fit lbctl_max_services / _backends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <glob.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "fuzz_common.h"
#include "lb_shared.h"
#include "log.h"
#include "vrrp_fsm.h"

FZ_REPORT_DEFINE;

static char dir[64], main_path[96];

static const struct { const char *name, *text; } fixed[] = {
	{ "a.conf",
	  "vrrp_instance VI_A {\n    interface eth0\n    virtual_router_id 7\n"
	  "    priority 150\n    virtual_ipaddress {\n        10.0.0.7/24\n    }\n}\n" },
	{ "b.inc", "        real_server 10.0.0.2 80 {\n            weight 3\n        }\n" },
	{ "loop.conf", "include main.conf\n" },
	{ "self.conf", "! includes itself\ninclude self.conf\n" },
	{ "empty.conf", "" },
	{ "d/x.conf", "include ../b.inc\n" },
};

static void cleanup(void)
{
	char p[160];
	size_t k;

	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
		snprintf(p, sizeof(p), "%s/%s", dir, fixed[k].name);
		unlink(p);
	}
	unlink(main_path);
	snprintf(p, sizeof(p), "%s/d", dir);
	rmdir(p);
	rmdir(dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FZ_ASSERT(fd >= 0, "%s: %m", path);
	FZ_ASSERT(write(fd, data, len) == (ssize_t)len, "%s: short write", path);
	close(fd);
}

/* Directories left by harnesses that crashed (no atexit then). */
static void remove_stale(void)
{
	glob_t g;
	size_t i, k;

	if (glob("/dev/shm/lbctl-fuzz-cfg.*", GLOB_NOSORT, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		const char *dot = strrchr(g.gl_pathv[i], '.');
		pid_t pid = dot ? (pid_t)atoi(dot + 1) : 0;
		char p[300];

		if (pid <= 0 || !kill(pid, 0) || errno != ESRCH)
			continue;
		for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
			snprintf(p, sizeof(p), "%s/%s", g.gl_pathv[i], fixed[k].name);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/main.conf", g.gl_pathv[i]);
		unlink(p);
		snprintf(p, sizeof(p), "%s/d", g.gl_pathv[i]);
		rmdir(p);
		rmdir(g.gl_pathv[i]);
	}
	globfree(&g);
}

static void setup(void)
{
	char p[160];
	size_t k;

	remove_stale();
	snprintf(dir, sizeof(dir), "/dev/shm/lbctl-fuzz-cfg.%d", (int)getpid());
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/d", dir);
	mkdir(p, 0700);
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
		snprintf(p, sizeof(p), "%s/%s", dir, fixed[k].name);
		write_file(p, fixed[k].text, strlen(fixed[k].text));
	}
	atexit(cleanup);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	/* warnings and errors are formatted as usual, into /dev/null */
	if (!getenv("FUZZ_VERBOSE"))
		log_open("/dev/null");
	setup();
	return 0;
}

/* The oracle's own primality test, not cfg_is_prime: a check that called
 * the code under test could not catch its bugs. */
static bool prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static void check_instance(const struct cfg *c, const struct cfg_vrrp_instance *in)
{
	struct vrrp_fsm_config fc;
	struct vrrp_fsm f;
	union vrrp_ip primary = { 0 };
	int k, err;

	FZ_ASSERT(in->vrid >= 1, "%s: VRID 0", in->name);
	FZ_ASSERT(in->priority >= 1, "%s: priority 0", in->name);
	FZ_ASSERT(in->version == 2 || in->version == 3, "%s: version %d", in->name, in->version);
	FZ_ASSERT(in->family == AF_INET || in->family == AF_INET6, "%s: family %d", in->name,
		  in->family);
	FZ_ASSERT(in->family == AF_INET || in->version == 3, "%s: VRRPv2 over IPv6", in->name);
	FZ_ASSERT(in->ifname[0], "%s: no interface", in->name);
	FZ_ASSERT(!in->auth_pass[0] || in->version == 2, "%s: password with VRRPv3", in->name);
	for (k = 0; k < in->n_vips; k++) {
		FZ_ASSERT(in->vips[k].addr.family == in->family, "%s: VIP %d of family %d",
			  in->name, k, in->vips[k].addr.family);
		FZ_ASSERT(in->vips[k].prefix >= 0 &&
			  in->vips[k].prefix <= (in->family == AF_INET ? 32 : 128),
			  "%s: prefix %d", in->name, in->vips[k].prefix);
	}
	for (k = 0; k < in->n_track_scripts; k++)
		FZ_ASSERT(in->track_scripts[k].script >= 0 &&
			  in->track_scripts[k].script < c->n_scripts,
			  "%s: track_script index %d", in->name, in->track_scripts[k].script);
	FZ_ASSERT(in->sync_group >= -1 && in->sync_group < c->n_sync_groups,
		  "%s: sync group index %d", in->name, in->sync_group);

	vrrp_fsm_config_from(&fc, in, &primary);
	err = vrrp_fsm_init(&f, &fc);
	FZ_ASSERT(err == 0, "%s: accepted by cfg_load, refused by vrrp_fsm_init (%d): "
		  "version %d, priority %u, advert_int %llu us, family %d", in->name, err,
		  fc.version, fc.priority, (unsigned long long)fc.adver_int_us, fc.family);
}

static void check_vs(const struct cfg_virtual_server *vs)
{
	int k, j;

	FZ_ASSERT(vs->vip.family == AF_INET || vs->vip.family == AF_INET6, "VS family %d",
		  vs->vip.family);
	FZ_ASSERT(vs->port != 0, "VS port 0");
	FZ_ASSERT(vs->proto == IPPROTO_TCP || vs->proto == IPPROTO_UDP, "VS proto %d",
		  vs->proto);
	FZ_ASSERT(!vs->table_size || (vs->table_size <= LB_MAGLEV_SIZE_MAX &&
				      prime(vs->table_size)),
		  "table size %u", vs->table_size);
	FZ_ASSERT(!vs->table_size || (uint32_t)vs->n_rs <= vs->table_size,
		  "%d real servers in a table of %u", vs->n_rs, vs->table_size);
	for (k = 0; k < vs->n_rs; k++) {
		const struct cfg_real_server *rs = &vs->rs[k];

		FZ_ASSERT(rs->addr.family == vs->vip.family, "real server of family %d",
			  rs->addr.family);
		FZ_ASSERT(rs->port == vs->port, "real server port %u, service %u", rs->port,
			  vs->port);
		FZ_ASSERT(rs->weight <= 65535, "weight %u", rs->weight);
		for (j = 0; j < rs->n_checks; j++) {
			const struct cfg_check *ck = &rs->checks[j];

			FZ_ASSERT(ck->type == CHK_TCP || ck->type == CHK_HTTP ||
				  ck->type == CHK_MISC, "check type %d", ck->type);
			if (ck->type == CHK_HTTP)
				FZ_ASSERT(ck->n_urls >= 1 && ck->urls[0].path,
					  "HTTP_GET without url");
			if (ck->type == CHK_MISC)
				FZ_ASSERT(ck->misc_path.argc >= 1 && ck->misc_path.argv &&
					  ck->misc_path.argv[0], "MISC_CHECK without command");
		}
	}
}

static bool addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

/* What the controller would find twice, or find no room for, at `up`. */
static void check_unique(const struct cfg *c)
{
	int k, j, x, y, backends = 0;

	FZ_ASSERT(c->n_vs <= (int)c->global.max_services, "%d virtual_servers, room for %u",
		  c->n_vs, c->global.max_services);
	for (k = 0; k < c->n_vs; k++) {
		const struct cfg_virtual_server *a = &c->vs[k];

		backends += a->n_rs;
		for (j = 0; j < k; j++) {
			const struct cfg_virtual_server *b = &c->vs[j];

			FZ_ASSERT(!(addr_eq(&a->vip, &b->vip) && a->port == b->port &&
				    a->proto == b->proto), "virtual_server %d and %d are one service",
				  j, k);
		}
		for (x = 0; x < a->n_rs; x++)
			for (y = 0; y < x; y++)
				FZ_ASSERT(!addr_eq(&a->rs[x].addr, &a->rs[y].addr),
					  "virtual_server %d: real_server %d and %d have one address",
					  k, y, x);
	}
	FZ_ASSERT(!c->n_vs || backends <= (int)c->global.max_backends,
		  "%d real servers, room for %u", backends, c->global.max_backends);
	for (k = 0; k < c->n_instances; k++) {
		const struct cfg_vrrp_instance *a = &c->instances[k];

		for (j = 0; j < k; j++) {
			const struct cfg_vrrp_instance *b = &c->instances[j];

			FZ_ASSERT(strcmp(a->name, b->name), "two vrrp_instance %s", a->name);
			FZ_ASSERT(!(a->vrid == b->vrid && a->family == b->family &&
				    !strcmp(a->ifname, b->ifname)),
				  "VRID %u twice on %s", a->vrid, a->ifname);
			for (x = 0; x < a->n_vips; x++)
				for (y = 0; y < b->n_vips; y++)
					FZ_ASSERT(!addr_eq(&a->vips[x].addr, &b->vips[y].addr),
						  "a VIP in %s and %s", a->name, b->name);
		}
	}
	for (k = 0; k < c->n_scripts; k++)
		for (j = 0; j < k; j++)
			FZ_ASSERT(strcmp(c->scripts[k].name, c->scripts[j].name),
				  "two vrrp_script %s", c->scripts[k].name);
}

static void check_cfg(const struct cfg *c)
{
	int k, j;

	check_unique(c);
	FZ_ASSERT(c->n_instances >= 0 && c->n_vs >= 0 && c->n_scripts >= 0 &&
		  c->n_sync_groups >= 0, "negative counts");
	for (k = 0; k < c->n_instances; k++)
		check_instance(c, &c->instances[k]);
	for (k = 0; k < c->n_vs; k++)
		check_vs(&c->vs[k]);
	for (k = 0; k < c->n_scripts; k++)
		FZ_ASSERT(c->scripts[k].cmd.argc >= 1 && c->scripts[k].interval_us > 0,
			  "vrrp_script %s: no command or zero interval", c->scripts[k].name);
	for (k = 0; k < c->n_sync_groups; k++)
		for (j = 0; j < c->sync_groups[k].n_members; j++)
			FZ_ASSERT(c->sync_groups[k].members[j] >= 0 &&
				  c->sync_groups[k].members[j] < c->n_instances,
				  "sync group member index %d", c->sync_groups[k].members[j]);
}

/* ---- synthesis: a config built from the input by a grammar ---- */

/*
 * Byte mutations rarely turn "advert_int 1" into "advert_int 1.5" while
 * keeping the rest valid. An input that starts with 0xff is therefore not
 * text but choices: which blocks and statements to write, and which value
 * from lists of edge cases each one gets. The configs come out mostly
 * well-formed with odd values, which is what the "accepted means
 * runnable" properties need. FUZZ_VERBOSE=1 prints the config made.
 */
struct gen {
	struct fz in;
	char *buf;
	size_t len, cap;
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->len + 512 > g->cap)
		return;		/* full: the rest is left out */
	va_start(ap, fmt);
	n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
	va_end(ap);
	if (n > 0 && g->len + (size_t)n < g->cap)
		g->len += (size_t)n;
}

#define PICK(g, arr) (arr)[fz_u8(&(g)->in) % (sizeof(arr) / sizeof((arr)[0]))]

static bool yes(struct gen *g, unsigned int percent)
{
	return fz_u8(&g->in) % 100 < percent;
}

static const char *const ints[] = {
	"0", "1", "2", "3", "7", "50", "100", "150", "200", "254", "255", "256", "1000",
	"65535", "65536", "-1", "-30", "4294967295", "4294967296", "1e3", "0x10", "251",
	"65537", "1000003", "1000004", "3", "5",
};
static const char *const times[] = {
	"0", "0.001", "0.01", "0.015", "0.1", "0.5", "1", "1.5", "2", "3", "4.5", "10",
	"40.95", "40.96", "41", "255", "256", "300", "-1", "1", "1", "2",
};
static const char *const addrs4[] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.10", "10.0.0.11", "192.168.1.1", "0.0.0.0",
	"255.255.255.255", "224.0.0.18", "10.0.0.10/24", "10.0.0.300", "10.0.0.10/33",
};
static const char *const addrs6[] = {
	"fd00::1", "fd00::2", "fd00::10", "fe80::1", "::", "ff02::12", "fd00::10/64",
	"::ffff:10.0.0.1", "fd00::10/129",
};
static const char *const ports[] = { "80", "443", "53", "0", "65535", "65536", "8080", "80" };
static const char *const names[] = { "VI_1", "VI_2", "VI_3", "chk_a", "chk_b", "G1" };
static const char *const ifnames[] = { "eth0", "eth1", "eth0", "a-very-long-interface-name" };

static const char *addr(struct gen *g, bool v6)
{
	return v6 ? PICK(g, addrs6) : PICK(g, addrs4);
}

/*
 * Every choice is taken in its own statement: the order in which a
 * function's arguments are evaluated is unspecified, and an input must
 * make the same config whatever the compiler.
 */
static void gen_instance(struct gen *g, bool v6)
{
	const char *a, *b, *c;
	int k, n;

	emit(g, "vrrp_instance %s {\n", PICK(g, names));
	if (yes(g, 90))
		emit(g, " interface %s\n", PICK(g, ifnames));
	if (yes(g, 90))
		emit(g, " virtual_router_id %s\n", PICK(g, ints));
	if (yes(g, 50)) {
		a = yes(g, 50) ? "MASTER" : "BACKUP";
		emit(g, " state %s\n", yes(g, 95) ? a : "FAULT");
	}
	if (yes(g, 60))
		emit(g, " priority %s\n", PICK(g, ints));
	if (yes(g, 70))
		emit(g, " advert_int %s\n", PICK(g, times));
	if (yes(g, 40)) {
		a = yes(g, 50) ? "2" : "3";
		emit(g, " version %s\n", yes(g, 95) ? a : "4");
	}
	if (yes(g, 20))
		emit(g, " nopreempt\n");
	if (yes(g, 20))
		emit(g, " preempt_delay %s\n", PICK(g, times));
	if (yes(g, 25)) {
		a = yes(g, 80) ? "PASS" : "AH";
		b = yes(g, 80) ? "secret" : "a-password-too-long";
		emit(g, " authentication {\n  auth_type %s\n  auth_pass %s\n }\n", a, b);
	}
	if (yes(g, 90)) {
		emit(g, " virtual_ipaddress {\n");
		n = fz_u8(&g->in) % 4;
		for (k = 0; k < n; k++) {
			a = addr(g, yes(g, 90) ? v6 : !v6);
			b = yes(g, 20) ? " dev eth1" : "";
			c = yes(g, 10) ? " label eth0:1" : "";
			emit(g, "  %s%s%s\n", a, b, c);
		}
		emit(g, " }\n");
	}
	if (yes(g, 15))
		emit(g, " virtual_ipaddress_excluded {\n  %s\n }\n", addr(g, v6));
	if (yes(g, 20)) {
		emit(g, " unicast_peer {\n");
		n = fz_u8(&g->in) % 3;
		for (k = 0; k < n; k++)
			emit(g, "  %s\n", addr(g, yes(g, 90) ? v6 : !v6));
		emit(g, " }\n");
	}
	if (yes(g, 15))
		emit(g, " unicast_src_ip %s\n", addr(g, v6));
	if (yes(g, 15))
		emit(g, " mcast_src_ip %s\n", addr(g, v6));
	if (yes(g, 25)) {
		a = PICK(g, names);
		b = yes(g, 30) ? PICK(g, ints) : NULL;
		emit(g, " track_script {\n  %s%s%s\n }\n", a, b ? " weight " : "", b ? b : "");
	}
	if (yes(g, 20)) {
		a = PICK(g, ifnames);
		b = PICK(g, ints);
		emit(g, " track_interface {\n  %s weight %s\n }\n", a, b);
	}
	if (yes(g, 15)) {
		a = addr(g, v6);
		b = PICK(g, ports);
		emit(g, " track_vs {\n  %s %s\n }\n", a, b);
	}
	if (yes(g, 15))
		emit(g, " lbctl_checksum %s\n", yes(g, 50) ? "pseudo" : "no_pseudo");
	if (yes(g, 15)) {
		a = PICK(g, times);
		b = PICK(g, ints);
		emit(g, " garp_master_delay %s\n garp_master_repeat %s\n", a, b);
	}
	if (yes(g, 15))
		emit(g, " notify_master \"/bin/true master\"\n");
	emit(g, "}\n");
}

static void gen_check(struct gen *g)
{
	switch (fz_u8(&g->in) % 3) {
	case 0:
		emit(g, "  TCP_CHECK {\n");
		if (yes(g, 40))
			emit(g, "   connect_timeout %s\n", PICK(g, times));
		if (yes(g, 30))
			emit(g, "   connect_port %s\n", PICK(g, ports));
		if (yes(g, 30))
			emit(g, "   retry %s\n", PICK(g, ints));
		break;
	case 1:
		emit(g, "  HTTP_GET {\n");
		if (yes(g, 85)) {
			emit(g, "   url {\n    path %s\n", yes(g, 90) ? "/health" : "\"\"");
			if (yes(g, 40))
				emit(g, "    status_code %s\n", PICK(g, ints));
			if (yes(g, 20))
				emit(g, "    digest 0123456789abcdef0123456789abcdef\n");
			emit(g, "   }\n");
		}
		if (yes(g, 30))
			emit(g, "   nb_get_retry %s\n", PICK(g, ints));
		if (yes(g, 20))
			emit(g, "   delay_before_retry %s\n", PICK(g, times));
		break;
	default:
		emit(g, "  MISC_CHECK {\n");
		if (yes(g, 85))
			emit(g, "   misc_path \"/bin/true %s\"\n", PICK(g, names));
		if (yes(g, 30))
			emit(g, "   misc_timeout %s\n", PICK(g, times));
		if (yes(g, 20))
			emit(g, "   misc_dynamic\n");
		break;
	}
	emit(g, "  }\n");
}

static void gen_vs(struct gen *g, bool v6)
{
	static const char *const algos[] = { "mh", "sh", "rr", "wlc", "lblc", "bogus" };
	const char *port, *a, *b;
	int k, n;

	a = addr(g, v6);
	port = PICK(g, ports);
	emit(g, "virtual_server %s %s {\n", a, port);
	if (yes(g, 40))
		emit(g, " lb_algo %s\n", PICK(g, algos));
	if (yes(g, 40))
		emit(g, " lb_kind %s\n", yes(g, 85) ? "DR" : "NAT");
	if (yes(g, 40)) {
		a = yes(g, 50) ? "TCP" : "UDP";
		emit(g, " protocol %s\n", yes(g, 90) ? a : "SCTP");
	}
	if (yes(g, 20))
		emit(g, " persistence_timeout %s\n", yes(g, 80) ? PICK(g, ints) : "");
	if (yes(g, 25))
		emit(g, " lbctl_table_size %s\n", PICK(g, ints));
	if (yes(g, 20))
		emit(g, " delay_loop %s\n", PICK(g, times));
	if (yes(g, 15)) {
		a = PICK(g, ints);
		b = PICK(g, ints);
		emit(g, " quorum %s\n hysteresis %s\n", a, b);
	}
	if (yes(g, 15)) {
		a = addr(g, v6);
		b = PICK(g, ports);
		emit(g, " sorry_server %s %s\n", a, b);
	}
	n = fz_u8(&g->in) % 4;
	for (k = 0; k < n; k++) {
		a = addr(g, yes(g, 90) ? v6 : !v6);
		b = yes(g, 80) ? port : PICK(g, ports);
		emit(g, " real_server %s %s {\n", a, b);
		if (yes(g, 40))
			emit(g, "  weight %s\n", PICK(g, ints));
		if (yes(g, 15))
			emit(g, "  inhibit_on_failure\n");
		if (yes(g, 60))
			gen_check(g);
		if (yes(g, 20))
			gen_check(g);
		emit(g, " }\n");
	}
	emit(g, "}\n");
}

static void gen_config(struct gen *g)
{
	int blocks = 1 + fz_u8(&g->in) % 6, k;
	const char *a, *b, *c;
	bool v6;

	if (yes(g, 30)) {
		a = yes(g, 50) ? "2" : "3";
		b = yes(g, 20) ? " enable_script_security\n script_user nobody\n" : "";
		c = yes(g, 20) ? " lbctl_max_services 4\n lbctl_max_backends 8\n" : "";
		emit(g, "global_defs {\n vrrp_version %s\n%s%s}\n", a, b, c);
	}
	for (k = 0; k < blocks && g->in.n; k++) {
		v6 = yes(g, 30);
		switch (fz_u8(&g->in) % 5) {
		case 0:
		case 1:
			gen_instance(g, v6);
			break;
		case 2:
			gen_vs(g, v6);
			break;
		case 3:
			emit(g, "vrrp_script %s {\n script \"/bin/true\"\n", PICK(g, names));
			if (yes(g, 60))
				emit(g, " interval %s\n", PICK(g, times));
			if (yes(g, 50))
				emit(g, " weight %s\n", PICK(g, ints));
			emit(g, "}\n");
			break;
		default:
			a = PICK(g, names);
			b = PICK(g, names);
			c = PICK(g, names);
			emit(g, "vrrp_sync_group %s {\n group {\n  %s %s\n }\n}\n", a, b, c);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c = (struct cfg *)(uintptr_t)0x1;
	static char text[32768];
	int rc;

	if (size && data[0] == 0xff) {
		struct gen g = { { data + 1, size - 1 }, text, 0, sizeof(text) };

		gen_config(&g);
		if (getenv("FUZZ_VERBOSE"))
			fprintf(fz_report, "---- config made from the input ----\n%.*s----\n",
				(int)g.len, text);
		data = (const uint8_t *)text;
		size = g.len;
	} else if (memmem(data, size, "include", 7) &&
		   (memchr(data, '/', size) || memchr(data, '\\', size))) {
		/* keep includes inside the directory (see the top of the file) */
		return 0;
	}
	write_file(main_path, data, size);
	rc = cfg_load(main_path, &c);
	if (rc) {
		FZ_ASSERT(rc < 0, "cfg_load returned %d", rc);
		FZ_ASSERT(c == (struct cfg *)(uintptr_t)0x1, "config returned with an error");
		return 0;
	}
	FZ_ASSERT(c && c != (struct cfg *)(uintptr_t)0x1, "success without a config");
	check_cfg(c);
	cfg_free(c);
	return 0;
}
