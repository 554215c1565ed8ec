// SPDX-License-Identifier: GPL-2.0
/*
 * Config parser tests (TAP). Good files parse and every field they set is
 * checked; each bad file must fail with -EINVAL and print exactly the
 * expected "FILE:LINE: message", and nothing else as an error; generated
 * inputs (empty, binary, unbalanced, a 1 MB line, deep nesting, include
 * loops and fan-out) must fail cleanly.
 *
 * Data: $LB_TESTDATA/configs, else selftests/data/configs from the
 * current directory; the examples: configs/ beside selftests/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "tap.h"

static char data_dir[PATH_MAX];		/* .../configs */
static char examples_dir[PATH_MAX];	/* the repository's configs/ */
static char tmp_dir[PATH_MAX];

static const char *data(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", data_dir, name) >= (int)sizeof(buf[i]))
		abort();
	return buf[i];
}

static const char *tmp(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp_dir, name) >= (int)sizeof(buf[i]))
		abort();
	return buf[i];
}

/* ---- running the parser with stderr captured ---- */

struct run {
	int ret;
	struct cfg *cfg;
	char *out;		/* all of stderr */
	int n_errors;		/* lines that are not warnings */
	int n_warn_lines;
	bool touched;		/* *out written although it failed */
};

static void run_free(struct run *r)
{
	cfg_free(r->cfg);
	free(r->out);
	memset(r, 0, sizeof(*r));
}

static void count_lines(struct run *r)
{
	char *line = r->out, *nl;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		if (nl == line)
			continue;
		if (memmem(line, nl - line, ": warning: ", 11))
			r->n_warn_lines++;
		else
			r->n_errors++;
	}
}

/* cfg_load(PATH) with fd 2 sent to a file for the duration. */
static struct run load(const char *path)
{
	static struct cfg untouched;
	struct run r = { .cfg = &untouched };
	FILE *f = tmpfile();
	int saved = dup(2);
	long len;

	fflush(stderr);
	dup2(fileno(f), 2);
	r.ret = cfg_load(path, &r.cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	r.touched = r.ret && r.cfg != &untouched;
	if (r.cfg == &untouched || r.ret)
		r.cfg = NULL;
	len = ftell(f);
	r.out = calloc(1, len + 1);
	rewind(f);
	if (r.out && len > 0 && fread(r.out, 1, len, f) != (size_t)len)
		r.out[0] = '\0';
	fclose(f);
	if (!r.out)
		r.out = strdup("");
	count_lines(&r);
	return r;
}

/* MSG appears as a whole "…/FILE:LINE: msg" line end. */
static bool has_msg(const struct run *r, const char *file, int line, const char *msg)
{
	char want[1024];
	const char *p = r->out;
	size_t n;

	n = snprintf(want, sizeof(want), "%s:%d: %s\n", file, line, msg);
	while ((p = strstr(p, want))) {
		if (p == r->out || p[-1] == '/' || p[-1] == ' ' || p[-1] == '\n')
			return true;
		p += n;
	}
	return false;
}

static bool str_eq(const char *got, const char *want, const char *name)
{
	bool ok = tap_ok(got && !strcmp(got, want), "%s", name);

	if (!ok)
		tap_diag("  got '%s', expected '%s'", got ? got : "(null)", want);
	return ok;
}

static bool addr_is(const struct cfg_addr *a, const char *want, const char *name)
{
	char buf[INET6_ADDRSTRLEN];

	return str_eq(cfg_addr_str(a, buf, sizeof(buf)), want, name);
}

/* argv equals the NULL-terminated list WANT */
static bool cmd_is(const struct cfg_cmd *c, const char *const *want, const char *name)
{
	int k;

	for (k = 0; want[k]; k++)
		if (k >= c->argc || strcmp(c->argv[k], want[k]))
			break;
	if (tap_ok(!want[k] && c->argc == k && c->argv && !c->argv[k], "%s", name))
		return true;
	for (k = 0; k < c->argc; k++)
		tap_diag("  argv[%d] = '%s'", k, c->argv[k]);
	return false;
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct run load_ok(const char *path, const char *name)
{
	struct run r = load(path);

	if (!tap_ok(r.ret == 0 && r.cfg, "%s parses", name))
		tap_diag("  ret %d, stderr:\n%s", r.ret, r.out);
	return r;
}

/* ---- good files ---- */

static void test_doc_lvs_dr(void)
{
	struct run r = load_ok(data("keepalived-doc-lvs-dr.conf"),
			       "keepalived documentation style LVS-DR");
	const struct cfg_virtual_server *vs;
	const struct cfg_check *ck;

	if (!r.cfg)
		return run_free(&r);
	ASSERT_EQ(r.cfg->n_warnings, 5, "doc: warnings for 4 mail keywords and lb_algo rr");
	ASSERT_TRUE(has_msg(&r, "keepalived-doc-lvs-dr.conf", 34,
			    "warning: lb_algo rr runs as weighted Maglev"),
		    "doc: lb_algo rr warning names its line");
	str_eq(r.cfg->global.router_id, "LVS_DEVEL", "doc: router_id");
	ASSERT_EQ(r.cfg->n_instances, 1, "doc: one instance");
	str_eq(r.cfg->instances[0].auth_pass, "1111", "doc: auth_pass (VRRPv2 default)");
	ASSERT_EQ(r.cfg->instances[0].version, 2, "doc: version 2 by default");
	ASSERT_EQ(r.cfg->instances[0].n_vips, 2, "doc: two VIPs");
	ASSERT_EQ(r.cfg->instances[0].vips[0].prefix, 24, "doc: VIP prefix");
	str_eq(r.cfg->instances[0].vips[0].dev, "eth0", "doc: VIP dev");
	str_eq(r.cfg->instances[0].vips[0].label, "eth0:1", "doc: VIP label");
	ASSERT_EQ(r.cfg->instances[0].vips[1].prefix, 32, "doc: default prefix /32");
	vs = &r.cfg->vs[0];
	ASSERT_EQ(vs->persistence_timeout_s, 50, "doc: persistence_timeout");
	ASSERT_EQ(vs->delay_loop_us, 6000000, "doc: delay_loop");
	ASSERT_EQ(vs->sched, SCHED_MH, "doc: rr runs as Maglev");
	addr_is(&vs->sorry_addr, "10.10.10.200", "doc: sorry_server");
	ASSERT_EQ(vs->sorry_port, 1358, "doc: sorry_server port");
	ASSERT_EQ(vs->n_rs, 2, "doc: two real servers");
	ASSERT_EQ(vs->rs[1].weight, 2, "doc: weight");
	ck = &vs->rs[0].checks[0];
	ASSERT_EQ(ck->type, CHK_HTTP, "doc: HTTP_GET");
	ASSERT_EQ(ck->n_urls, 2, "doc: two urls");
	str_eq(ck->urls[0].digest, "640205b7b0fc66c1ea91c463fac6334d", "doc: digest in lower case");
	ASSERT_EQ(ck->urls[0].n_status, 0, "doc: status_code unset = any 2xx");
	ASSERT_EQ(ck->retry, 3, "doc: retry");
	ASSERT_EQ(ck->delay_before_retry_us, 3000000, "doc: delay_before_retry");
	ASSERT_EQ(ck->delay_loop_us, 6000000, "doc: checker delay_loop from virtual_server");
	ASSERT_TRUE(vs->rs[1].checks[0].urls[0].n_status == 1 &&
		    vs->rs[1].checks[0].urls[0].status[0].lo == 200 &&
		    vs->rs[1].checks[0].urls[0].status[0].hi == 200, "doc: status_code 200");
	run_free(&r);
}

static void test_tutorial(void)
{
	struct run r = load_ok(data("tutorial-lvs-dr.conf"), "typical LVS-DR tutorial config");
	const struct cfg_virtual_server *vs;

	if (!r.cfg)
		return run_free(&r);
	vs = &r.cfg->vs[0];
	ASSERT_EQ(r.cfg->n_warnings, 6, "tutorial: 4 mail, lb_algo wrr, nat_mask warnings");
	ASSERT_TRUE(has_msg(&r, "tutorial-lvs-dr.conf", 33,
			    "warning: 'nat_mask' ignored: lbctl forwards in DR mode only"),
		    "tutorial: nat_mask warning");
	ASSERT_EQ(vs->persistence_timeout_s, 50, "tutorial: persistence_timeout 50");
	ASSERT_EQ(vs->proto, IPPROTO_TCP, "tutorial: TCP");
	ASSERT_EQ(vs->rs[0].weight, 3, "tutorial: wrr weight kept");
	ASSERT_EQ(vs->rs[0].checks[0].type, CHK_TCP, "tutorial: TCP_CHECK");
	ASSERT_EQ(vs->rs[0].checks[0].retry, 3, "tutorial: nb_get_retry is retry");
	ASSERT_EQ(vs->rs[0].checks[0].connect_port, 80, "tutorial: connect_port");
	ASSERT_EQ(vs->rs[0].checks[0].connect_timeout_us, 10000000, "tutorial: connect_timeout");
	ASSERT_EQ(r.cfg->instances[0].priority, 100, "tutorial: priority");
	ASSERT_TRUE(r.cfg->instances[0].state_master, "tutorial: state MASTER");
	run_free(&r);
}

static void test_oneline(void)
{
	struct run r = load_ok(data("oneline.conf"), "one-line blocks");
	const struct cfg_vrrp_instance *in;
	const struct cfg_virtual_server *vs;

	if (!r.cfg)
		return run_free(&r);
	in = &r.cfg->instances[0];
	ASSERT_EQ(r.cfg->n_warnings, 0, "oneline: no warnings");
	str_eq(in->ifname, "eth0", "oneline: keyword after '{' on the same line");
	ASSERT_EQ(in->n_vips, 1, "oneline: virtual_ipaddress { 10.0.0.10/24 }");
	ASSERT_EQ(in->vips[0].prefix, 24, "oneline: its prefix");
	ASSERT_EQ(in->n_vips_excluded, 3, "oneline: three excluded on one line");
	str_eq(in->vips_excluded[1].dev, "eth1", "oneline: dev of the second");
	ASSERT_EQ(in->vips_excluded[2].addr.family, AF_INET6, "oneline: excluded may mix families");
	ASSERT_EQ(in->n_track_if, 2, "oneline: two track_interface on one line");
	ASSERT_EQ(in->track_if[0].weight, -10, "oneline: track_interface weight");
	str_eq(in->track_if[1].name, "eth2", "oneline: second track_interface");
	vs = &r.cfg->vs[0];
	ASSERT_EQ(vs->n_rs, 2, "oneline: block opened on the next line");
	ASSERT_EQ(vs->rs[0].checks[0].connect_timeout_us, 3000000,
		  "oneline: TCP_CHECK { connect_timeout 3 }");
	ASSERT_EQ(vs->rs[1].weight, 5, "oneline: weight before a nested block");
	str_eq(vs->rs[1].checks[0].urls[0].path, "/health", "oneline: url path");
	str_eq(vs->rs[1].checks[0].virtualhost, "www.example.com",
	       "oneline: virtualhost after url");
	run_free(&r);
}

/* virtual_server group: one virtual_server per entry, in entry order. */
static void test_vs_group(void)
{
	static const struct { const char *vip; int port; } want[] = {
		{ "10.0.0.10", 80 }, { "10.0.0.10", 443 }, { "10.0.0.20", 80 },
		{ "10.0.0.21", 80 }, { "10.0.0.22", 80 },
	};
	struct run r = load_ok(data("vs-group.conf"), "virtual_server_group");
	const struct cfg_virtual_server *vs;
	size_t k;

	if (!r.cfg)
		return run_free(&r);
	ASSERT_EQ(r.cfg->n_warnings, 1, "vs-group: the block's lb_algo warning once, not per entry");
	ASSERT_EQ(r.cfg->n_vs, 5, "vs-group: 2 entries and a range of 3 make 5 virtual servers");
	for (k = 0; k < sizeof(want) / sizeof(want[0]) && k < (size_t)r.cfg->n_vs; k++) {
		vs = &r.cfg->vs[k];
		addr_is(&vs->vip, want[k].vip, "vs-group: entry's VIP");
		ASSERT_EQ(vs->port, want[k].port, "vs-group: entry's port");
		ASSERT_EQ(vs->delay_loop_us, 2000000, "vs-group: the block's delay_loop");
		ASSERT_EQ(vs->n_rs, 2, "vs-group: the block's real servers");
		ASSERT_EQ(vs->sorry_port, want[k].port, "vs-group: sorry server on the entry's port");
		if (vs->n_rs != 2)
			continue;
		ASSERT_EQ(vs->rs[0].port, want[k].port, "vs-group: DR forwards to the entry's port");
		ASSERT_EQ(vs->rs[0].weight, 2, "vs-group: real server weight");
		ASSERT_EQ(vs->rs[0].checks[0].connect_port, want[k].port == 80 ? 0 : 80,
			  "vs-group: checked on its own port (0 = the entry's)");
		ASSERT_EQ(vs->rs[1].checks[0].connect_port, 8080,
			  "vs-group: an explicit connect_port stays");
	}
	run_free(&r);
}

static void test_quoting(void)
{
	struct run r = load_ok(data("quoting.conf"), "quoted strings");
	const struct cfg_vrrp_instance *in;

	if (!r.cfg)
		return run_free(&r);
	ASSERT_EQ(r.cfg->n_warnings, 0, "quoting: no warnings");
	str_eq(r.cfg->scripts[0].name, "chk web", "quoting: quoted name with a space");
	cmd_is(&r.cfg->scripts[0].cmd,
	       ARGV("/usr/bin/curl", "-fs", "http://127.0.0.1/a b", "-o", "/dev/null"),
	       "quoting: script split like a shell, single quotes kept together");
	ASSERT_EQ(r.cfg->scripts[0].interval_us, 500000, "quoting: interval 0.5");
	ASSERT_EQ(r.cfg->scripts[0].timeout_us, 2000000, "quoting: timeout");
	ASSERT_EQ(r.cfg->scripts[0].weight, 10, "quoting: weight");
	ASSERT_EQ(r.cfg->scripts[0].rise, 3, "quoting: rise");
	ASSERT_EQ(r.cfg->scripts[0].fall, 2, "quoting: fall");
	cmd_is(&r.cfg->scripts[1].cmd, ARGV("/usr/bin/pidof", "nginx"),
	       "quoting: unquoted script words, comment stripped");
	ASSERT_EQ(r.cfg->scripts[1].timeout_us, 1000000, "quoting: timeout defaults to interval");
	in = &r.cfg->instances[0];
	ASSERT_EQ(in->n_track_scripts, 2, "quoting: two track_script");
	ASSERT_EQ(in->track_scripts[0].script, 0, "quoting: quoted track_script name resolves");
	ASSERT_TRUE(in->track_scripts[0].weight_set && in->track_scripts[0].weight == -20,
		    "quoting: track_script weight -20");
	ASSERT_TRUE(!in->track_scripts[1].weight_set && in->track_scripts[1].script == 1,
		    "quoting: track_script without weight");
	cmd_is(&in->notify_master, ARGV("/usr/local/bin/x.sh", "arg"),
	       "quoting: notify_master \"/usr/local/bin/x.sh arg\"");
	cmd_is(&in->notify_backup,
	       ARGV("/usr/local/bin/notify.sh", "backup state", "#", "not", "a", "comment"),
	       "quoting: single-quoted, inner double quotes, # inside quotes");
	cmd_is(&in->notify_fault, ARGV("/bin/echo", "tab", "here", "!", "not", "a", "comment"),
	       "quoting: \\t escape and ! inside quotes");
	cmd_is(&in->notify, ARGV("/bin/sh", "-c", "logger -t vrrp \"$@\"", "notify"),
	       "quoting: sh -c with escaped quotes");
	run_free(&r);
}

static void test_ipv6(void)
{
	struct run r = load_ok(data("ipv6.conf"), "IPv6 instance and service");
	const struct cfg_vrrp_instance *in;
	const struct cfg_virtual_server *vs;

	if (!r.cfg)
		return run_free(&r);
	in = &r.cfg->instances[0];
	ASSERT_EQ(r.cfg->n_warnings, 1, "ipv6: min_ttl warned about");
	ASSERT_EQ(in->family, AF_INET6, "ipv6: family from the VIPs");
	ASSERT_EQ(in->version, 3, "ipv6: runs VRRPv3 without being told");
	ASSERT_EQ(in->advert_int_us, 50000, "ipv6: advert_int 0.05 = 50 ms");
	ASSERT_EQ(in->vips[0].prefix, 64, "ipv6: prefix /64");
	ASSERT_EQ(in->vips[1].prefix, 128, "ipv6: default prefix /128");
	addr_is(&in->unicast_src_ip, "fd00::1", "ipv6: unicast_src_ip");
	ASSERT_EQ(in->n_unicast_peers, 2, "ipv6: two peers");
	addr_is(&in->unicast_peers[1], "fd00::3", "ipv6: peer with an option");
	vs = &r.cfg->vs[0];
	ASSERT_EQ(vs->sched, SCHED_SH, "ipv6: lb_algo sh");
	ASSERT_EQ(vs->table_size, 65537, "ipv6: lbctl_table_size");
	addr_is(&vs->vip, "fd00::100", "ipv6: virtual_server address");
	ASSERT_EQ(vs->rs[0].checks[0].type, CHK_MISC, "ipv6: MISC_CHECK");
	cmd_is(&vs->rs[0].checks[0].misc_path, ARGV("/usr/local/bin/check.sh", "fd00::11"),
	       "ipv6: quoted misc_path");
	cmd_is(&vs->rs[1].checks[0].misc_path, ARGV("/usr/local/bin/check.sh", "fd00::12"),
	       "ipv6: unquoted misc_path words");
	ASSERT_EQ(vs->rs[0].checks[0].misc_timeout_us, 3000000, "ipv6: misc_timeout");
	ASSERT_TRUE(vs->rs[0].checks[0].misc_dynamic, "ipv6: misc_dynamic");
	ASSERT_EQ(vs->rs[1].checks[0].misc_timeout_us, 60000000,
		  "ipv6: misc_timeout defaults to delay_loop");
	run_free(&r);
}

static void test_full_global(const struct cfg *c)
{
	const struct cfg_global *g = &c->global;
	char buf[INET6_ADDRSTRLEN];

	str_eq(g->router_id, "node-1", "full: router_id");
	str_eq(inet_ntop(AF_INET, &g->mcast_group4, buf, sizeof(buf)), "224.0.0.19",
	       "full: vrrp_mcast_group4");
	str_eq(inet_ntop(AF_INET6, &g->mcast_group6, buf, sizeof(buf)), "ff02::13",
	       "full: vrrp_mcast_group6");
	str_eq(g->script_user, "lbscript", "full: script_user");
	str_eq(g->script_group, "lbgroup", "full: script_user group");
	ASSERT_TRUE(g->enable_script_security, "full: enable_script_security");
	ASSERT_EQ(g->vrrp_version, 3, "full: vrrp_version");
	ASSERT_TRUE(!g->vrrp_strict, "full: vrrp_strict off");
	ASSERT_EQ(g->garp_master_delay_us, 2000000, "full: vrrp_garp_master_delay");
	ASSERT_EQ(g->garp_master_repeat, 3, "full: vrrp_garp_master_repeat");
	ASSERT_EQ(g->garp_master_refresh_us, 60000000, "full: vrrp_garp_master_refresh");
	ASSERT_EQ(g->garp_master_refresh_repeat, 2, "full: vrrp_garp_master_refresh_repeat");
	str_eq(g->textfile, "/var/lib/prometheus/lbctl.prom", "full: lbctl_textfile");
	ASSERT_EQ(g->textfile_interval_us, 2500000, "full: lbctl_textfile_interval");
	ASSERT_EQ(g->conn_max, 262144, "full: lbctl_conn_max");
	ASSERT_EQ(g->max_services, 64, "full: lbctl_max_services");
	ASSERT_EQ(g->max_backends, 1024, "full: lbctl_max_backends");
	ASSERT_TRUE(g->lvs_tcp_s == 900 && g->lvs_tcpfin_s == 30 && g->lvs_udp_s == 300,
		    "full: lvs_timeouts tcpfin 30 tcp 900 udp 300 (any order)");
}

static void test_full_vrrp(const struct cfg *c)
{
	const struct cfg_vrrp_instance *in = &c->instances[0], *in2 = &c->instances[1];
	const struct cfg_sync_group *g = &c->sync_groups[0];

	ASSERT_EQ(c->scripts[0].weight, -30, "full: script weight");
	ASSERT_EQ(c->scripts[0].interval_us, 3000000, "full: script interval");
	ASSERT_TRUE(in->state_master, "full: state MASTER");
	ASSERT_EQ(in->vrid, 100, "full: virtual_router_id");
	ASSERT_EQ(in->priority, 254, "full: priority");
	ASSERT_EQ(in->version, 3, "full: version from vrrp_version");
	ASSERT_EQ(in->advert_int_us, 10000, "full: advert_int 0.01 = 10 ms");
	ASSERT_TRUE(in->nopreempt, "full: nopreempt");
	ASSERT_EQ(in->preempt_delay_us, 4500000, "full: preempt_delay 4.5");
	addr_is(&in->mcast_src_ip, "10.1.0.1", "full: mcast_src_ip");
	str_eq(in->vips[0].label, "eth0:vip", "full: label");
	str_eq(in->track_if[0].name, "eth1", "full: track_interface");
	ASSERT_EQ(in->track_if[0].weight, 20, "full: track_interface weight");
	ASSERT_TRUE(in->n_track_scripts == 1 && in->track_scripts[0].script == 0 &&
		    !in->track_scripts[0].weight_set, "full: track_script");
	ASSERT_TRUE(in->n_track_vs == 1 && !strcmp(in->track_vs[0], "10.1.0.100 80"),
		    "full: track_vs");
	cmd_is(&in->notify_master, ARGV("/usr/local/bin/master.sh"), "full: notify_master");
	cmd_is(&in->notify_backup, ARGV("/usr/local/bin/backup.sh"), "full: notify_backup");
	cmd_is(&in->notify_fault, ARGV("/usr/local/bin/fault.sh"), "full: notify_fault");
	cmd_is(&in->notify_stop, ARGV("/usr/local/bin/stop.sh"), "full: notify_stop");
	cmd_is(&in->notify, ARGV("/usr/local/bin/notify.sh"), "full: notify");
	ASSERT_EQ(in->garp_master_delay_us, 1000000, "full: garp_master_delay");
	ASSERT_EQ(in->garp_master_repeat, 2, "full: garp_master_repeat");
	ASSERT_EQ(in->garp_master_refresh_us, 30000000, "full: garp_master_refresh");
	ASSERT_EQ(in->garp_master_refresh_repeat, 4, "full: garp_master_refresh_repeat");
	ASSERT_EQ(in->cksum_form, VRRP_CKSUM_NO_PSEUDO, "full: lbctl_checksum no_pseudo");
	ASSERT_EQ(in2->version, 2, "full: version 2 in one instance");
	str_eq(in2->auth_pass, "secret12", "full: auth_pass");
	ASSERT_EQ(in2->advert_int_us, 2000000, "full: advert_int 2");
	ASSERT_EQ(in2->garp_master_delay_us, 2000000, "full: garp delay from global_defs");
	ASSERT_EQ(in2->garp_master_refresh_repeat, 2, "full: refresh repeat from global_defs");
	ASSERT_EQ(in2->cksum_form, VRRP_CKSUM_PSEUDO, "full: checksum default pseudo");
	ASSERT_EQ(in2->priority, 100, "full: default priority");
	ASSERT_TRUE(g->n_members == 2 && g->members[0] == 0 && g->members[1] == 1,
		    "full: sync group members on one line");
	ASSERT_TRUE(in->sync_group == 0 && in2->sync_group == 0,
		    "full: instances know their group");
	cmd_is(&g->notify_master, ARGV("/usr/local/bin/g.sh", "master"),
	       "full: group notify_master");
	cmd_is(&g->notify, ARGV("/usr/local/bin/g.sh", "any"), "full: group notify");
}

static void test_full_lvs(const struct cfg *c)
{
	const struct cfg_virtual_server *vs = &c->vs[0];
	const struct cfg_real_server *rs = &vs->rs[0];
	const struct cfg_check *http = &rs->checks[0], *tcp = &rs->checks[1];

	ASSERT_EQ(vs->sched, SCHED_MH, "full: lvs_sched mh");
	ASSERT_EQ(vs->delay_loop_us, 10000000, "full: delay_loop");
	ASSERT_EQ(vs->persistence_timeout_s, 360, "full: persistence_timeout without value");
	ASSERT_EQ(vs->quorum, 2, "full: quorum");
	ASSERT_EQ(vs->hysteresis, 1, "full: hysteresis");
	ASSERT_TRUE(vs->alpha && vs->omega && vs->inhibit_on_failure,
		    "full: alpha, omega, inhibit");
	cmd_is(&vs->quorum_up, ARGV("/usr/local/bin/q.sh", "up"), "full: quorum_up");
	cmd_is(&vs->quorum_down, ARGV("/usr/local/bin/q.sh", "down"), "full: quorum_down");
	ASSERT_EQ(vs->table_size, 251, "full: lbctl_table_size");
	ASSERT_EQ(rs->weight, 100, "full: weight");
	ASSERT_TRUE(rs->inhibit_on_failure, "full: inhibit_on_failure from virtual_server");
	ASSERT_TRUE(!vs->rs[1].inhibit_on_failure, "full: inhibit_on_failure off in real_server");
	ASSERT_EQ(vs->rs[1].weight, 0, "full: weight 0");
	ASSERT_EQ(vs->rs[1].n_checks, 0, "full: real server without checks");
	cmd_is(&rs->notify_up, ARGV("/usr/local/bin/rs.sh", "up", "10.1.0.11"), "full: notify_up");
	cmd_is(&rs->notify_down, ARGV("/usr/local/bin/rs.sh", "down", "10.1.0.11"),
	       "full: notify_down");
	ASSERT_EQ(rs->n_checks, 2, "full: two checkers");
	addr_is(&http->connect_ip, "10.2.0.11", "full: connect_ip");
	ASSERT_EQ(http->connect_port, 8080, "full: connect_port");
	addr_is(&http->bindto, "10.1.0.1", "full: bindto");
	ASSERT_EQ(http->delay_loop_us, 2000000, "full: checker delay_loop");
	ASSERT_EQ(http->connect_timeout_us, 7000000, "full: connect_timeout from virtual_server");
	ASSERT_EQ(http->retry, 4, "full: retry from virtual_server");
	ASSERT_EQ(http->delay_before_retry_us, 2000000,
		  "full: delay_before_retry from real_server");
	str_eq(http->virtualhost, "vs.example.com", "full: virtualhost from virtual_server");
	ASSERT_EQ(tcp->connect_timeout_us, 1000000, "full: checker's own connect_timeout");
	ASSERT_EQ(tcp->retry, 0, "full: retry 0");
	ASSERT_EQ(tcp->delay_loop_us, 10000000, "full: TCP_CHECK delay_loop from virtual_server");
	ASSERT_TRUE(!tcp->virtualhost, "full: no virtualhost on TCP_CHECK");
	ASSERT_EQ(c->vs[1].proto, IPPROTO_UDP, "full: protocol UDP");
	cmd_is(&c->vs[1].rs[0].checks[0].misc_path,
	       ARGV("/usr/bin/dig", "+short", "@10.1.0.11", "example.com"), "full: misc_path");
}

static void test_full(void)
{
	struct run r = load_ok(data("full.conf"), "every keyword with a meaning");

	if (!r.cfg)
		return run_free(&r);
	ASSERT_EQ(r.cfg->n_warnings, 0, "full: no warnings");
	test_full_global(r.cfg);
	test_full_vrrp(r.cfg);
	test_full_lvs(r.cfg);
	run_free(&r);
}

static void test_include(void)
{
	struct run r = load_ok(data("inc/main.conf"), "include with globs, nested");
	const struct cfg *c = r.cfg;

	if (!c)
		return run_free(&r);
	ASSERT_EQ(c->n_vs, 2, "include: two virtual_servers from conf.d/*.conf");
	ASSERT_TRUE(c->n_vs == 2 && c->vs[0].port == 80 && c->vs[1].port == 443,
		    "include: in sorted order");
	ASSERT_TRUE(c->n_vs == 2 && c->vs[1].n_rs == 1 && c->vs[1].rs[0].weight == 7,
		    "include: include inside a block, ../ relative to the including file");
	ASSERT_EQ(c->n_instances, 1, "include: brace pattern {instance,extra}.inc");
	ASSERT_EQ(c->n_scripts, 1, "include: both brace alternatives");
	ASSERT_TRUE(has_msg(&r, "main.conf", 7, "warning: include conf.d/*.none matches no file"),
		    "include: a glob matching nothing is a warning");
	run_free(&r);
}

static void test_defaults(void)
{
	struct run r;
	FILE *f = fopen(tmp("defaults.conf"), "w");

	fputs("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n"
	      " virtual_ipaddress {\n  10.0.0.1\n }\n}\n"
	      "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n"
	      "  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n"
	      " real_server 10.0.0.3 80 {\n  TCP_CHECK {\n  }\n }\n"
	      " real_server 10.0.0.4 80 {\n  MISC_CHECK {\n   misc_path /bin/true\n  }\n }\n}\n", f);
	fclose(f);
	r = load_ok(tmp("defaults.conf"), "minimal config");
	if (!r.cfg)
		return run_free(&r);
	{
		const struct cfg *c = r.cfg;
		const struct cfg_vrrp_instance *in = &c->instances[0];
		const struct cfg_check *ck = &c->vs[0].rs[0].checks[0];
		char buf[INET6_ADDRSTRLEN];

		str_eq(inet_ntop(AF_INET, &c->global.mcast_group4, buf, sizeof(buf)),
		       "224.0.0.18", "defaults: mcast_group4");
		str_eq(inet_ntop(AF_INET6, &c->global.mcast_group6, buf, sizeof(buf)),
		       "ff02::12", "defaults: mcast_group6");
		ASSERT_EQ(c->global.textfile_interval_us, 5000000,
			  "defaults: textfile interval 5 s");
		ASSERT_TRUE(c->global.conn_max > 0 && c->global.max_services > 0 &&
			    c->global.max_backends > 0, "defaults: map limits set");
		ASSERT_EQ(in->priority, 100, "defaults: priority 100");
		ASSERT_EQ(in->version, 2, "defaults: VRRP version 2");
		ASSERT_EQ(in->advert_int_us, 1000000, "defaults: advert_int 1 s");
		ASSERT_EQ(in->garp_master_delay_us, 5000000, "defaults: garp delay 5 s");
		ASSERT_EQ(in->garp_master_repeat, 5, "defaults: garp repeat 5");
		ASSERT_EQ(in->garp_master_refresh_us, 0, "defaults: no garp refresh");
		ASSERT_EQ(in->garp_master_refresh_repeat, 1, "defaults: refresh repeat 1");
		ASSERT_EQ(in->sync_group, -1, "defaults: no sync group");
		ASSERT_EQ(in->family, AF_INET, "defaults: family");
		ASSERT_TRUE(!in->state_master && !in->nopreempt && !in->auth_pass[0],
			    "defaults: BACKUP, preempt, no auth");
		ASSERT_EQ(c->vs[0].proto, IPPROTO_TCP, "defaults: TCP");
		ASSERT_EQ(c->vs[0].sched, SCHED_MH, "defaults: Maglev");
		ASSERT_EQ(c->vs[0].quorum, 1, "defaults: quorum 1");
		ASSERT_EQ(c->vs[0].table_size, 0, "defaults: table size 0 = default");
		ASSERT_EQ(c->vs[0].delay_loop_us, 60000000, "defaults: delay_loop 60 s");
		ASSERT_EQ(c->vs[0].rs[0].weight, 1, "defaults: weight 1");
		ASSERT_EQ(ck->connect_timeout_us, 5000000, "defaults: connect_timeout 5 s");
		ASSERT_EQ(ck->retry, 1, "defaults: retry 1");
		ASSERT_EQ(ck->delay_before_retry_us, 3000000,
			  "defaults: HTTP_GET delay_before_retry 3 s (keepalived's)");
		ASSERT_EQ(c->vs[0].rs[1].checks[0].retry, 1, "defaults: TCP_CHECK retry 1");
		ASSERT_EQ(c->vs[0].rs[1].checks[0].delay_before_retry_us, 1000000,
			  "defaults: TCP_CHECK delay_before_retry 1 s");
		ASSERT_EQ(c->vs[0].rs[2].checks[0].retry, 0,
			  "defaults: MISC_CHECK retry 0 (keepalived's)");
		ASSERT_EQ(ck->delay_loop_us, 60000000, "defaults: checker delay_loop 60 s");
		ASSERT_TRUE(!ck->connect_ip.family && !ck->connect_port && !ck->virtualhost,
			    "defaults: check the real server itself");
		str_eq(c->path, tmp("defaults.conf"), "defaults: cfg.path");
	}
	run_free(&r);
}

static void test_examples(void)
{
	char pat[PATH_MAX + 16];
	glob_t g;
	size_t k;

	snprintf(pat, sizeof(pat), "%s/*.conf", examples_dir);
	if (glob(pat, 0, NULL, &g)) {
		tap_ok(false, "examples: configs/*.conf found in %s", examples_dir);
		return;
	}
	ASSERT_TRUE(g.gl_pathc >= 6, "examples: at least the six example configs");
	for (k = 0; k < g.gl_pathc; k++) {
		const char *name = strrchr(g.gl_pathv[k], '/') + 1;
		struct run r = load(g.gl_pathv[k]);

		if (!tap_ok(r.ret == 0 && r.cfg && r.cfg->n_warnings == 0,
			    "example %s parses without warnings", name))
			tap_diag("  ret %d, stderr:\n%s", r.ret, r.out);
		run_free(&r);
	}
	globfree(&g);
}

static void test_example_fields(void)
{
	char path[PATH_MAX + 32];
	struct run r;

	snprintf(path, sizeof(path), "%s/dual-master-b.conf", examples_dir);
	r = load(path);
	if (r.cfg) {
		ASSERT_TRUE(!r.cfg->instances[0].state_master && r.cfg->instances[1].state_master,
			    "dual-master-b: BACKUP of VI_A, MASTER of VI_B");
		ASSERT_TRUE(r.cfg->instances[0].vrid != r.cfg->instances[1].vrid,
			    "dual-master-b: two VRIDs");
		ASSERT_EQ(r.cfg->n_vs, 2, "dual-master-b: one service per VIP");
	}
	run_free(&r);
	snprintf(path, sizeof(path), "%s/nginx-failover.conf", examples_dir);
	r = load(path);
	if (r.cfg) {
		ASSERT_EQ(r.cfg->n_vs, 0, "nginx-failover: VRRP only");
		cmd_is(&r.cfg->scripts[0].cmd, ARGV("pidof", "nginx"),
		       "nginx-failover: pidof nginx");
		ASSERT_EQ(r.cfg->instances[0].track_scripts[0].script, 0,
			  "nginx-failover: tracked");
	}
	run_free(&r);
	snprintf(path, sizeof(path), "%s/unicast-peers.conf", examples_dir);
	r = load(path);
	if (r.cfg)
		ASSERT_EQ(r.cfg->instances[0].n_unicast_peers, 1, "unicast-peers: one peer");
	run_free(&r);
}

static void test_warnings(void)
{
	static const struct { int line; const char *msg; } w[] = {
		{ 3, "'notification_email' ignored: lbctl sends no mail" },
		{ 6, "'smtp_server' ignored: lbctl sends no mail" },
		{ 7, "'enable_snmp_vrrp' ignored: lbctl has no SNMP agent" },
		/* 8: vrrp_skip_check_adv_addr is what lbctl does: no warning */
		{ 9, "'vrrp_garp_interval 0.001' ignored: lbctl sends a burst's gratuitous "
		     "ARPs/NAs back to back" },
		{ 10, "'max_auto_priority' ignored: it has no effect in lbctl" },
		{ 11, "'lvs_id' ignored: lbctl does not use IPVS" },
		{ 15, "'user' ignored: scripts run as the global script_user" },
		{ 18, "script looks like shell syntax, but lbctl runs commands without "
		      "a shell: use \"/bin/sh -c '...'\"" },
		{ 23, "'smtp_alert' ignored: lbctl sends no mail" },
		{ 24, "'dont_track_primary' ignored: lbctl always tracks the "
		      "instance's interface" },
		{ 27, "auth_pass is longer than 8 characters, only the first 8 are used" },
		{ 30, "virtual_ipaddress option 'brd 10.0.0.255' ignored" },
		{ 31, "virtual_ipaddress 10.0.0.30 is listed twice, the second is ignored" },
		{ 37, "notify_master: running it as user 'root' is not supported, "
		      "scripts run as script_user" },
		{ 40, "lb_algo wlc runs as weighted Maglev" },
		{ 42, "'nat_mask' ignored: lbctl forwards in DR mode only" },
	};
	struct run r = load_ok(data("warnings.conf"), "accepted with warnings");
	char msg[512];
	size_t k;

	if (!r.cfg)
		return run_free(&r);
	ASSERT_EQ(r.cfg->n_warnings, sizeof(w) / sizeof(w[0]), "warnings: counted in n_warnings");
	ASSERT_EQ(r.n_errors, 0, "warnings: no error lines");
	for (k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		snprintf(msg, sizeof(msg), "warning: %s", w[k].msg);
		if (!tap_ok(has_msg(&r, "warnings.conf", w[k].line, msg),
			    "warning at line %d: %.50s", w[k].line, w[k].msg))
			tap_diag("  stderr:\n%s", r.out);
	}
	str_eq(r.cfg->instances[0].auth_pass, "longer-t", "warnings: auth_pass cut to 8");
	cmd_is(&r.cfg->scripts[0].cmd, ARGV("/bin/sh", "-c", "pidof nginx"),
	       "warnings: sh -c is not shell syntax");
	run_free(&r);
}

/* ---- bad files: one message each ---- */

static const struct bad {
	const char *file;
	int line;
	const char *msg;
} bad[] = {
	{ "bad-unknown-rs.conf", 5, "unknown keyword 'foo' in real_server" },
	{ "bad-unknown-global.conf", 3, "unknown keyword 'foo_bar' in global_defs" },
	{ "bad-unknown-top.conf", 1, "unknown keyword 'vrrp_instanc' at top level" },
	{ "bad-priority.conf", 8, "priority 300 out of range 1-255" },
	{ "bad-vrid.conf", 3, "virtual_router_id 0 out of range 1-255" },
	{ "bad-vs-port.conf", 1, "virtual_server port 70000 out of range 1-65535" },
	{ "bad-weight.conf", 4, "weight 70000 out of range 0-65535" },
	{ "bad-script-interval.conf", 3, "interval 0 out of range 0.01-86400" },
	{ "bad-version.conf", 3, "version 4 out of range 2-3" },
	{ "bad-track-weight.conf", 11, "track_script weight 300 out of range -253 to 253" },
	{ "bad-status-code.conf", 7, "status_code 700 out of range 100-599" },
	{ "bad-lb-kind-nat.conf", 4,
	  "lb_kind NAT is not supported: lbctl forwards in DR mode only" },
	{ "bad-lvs-method-tun.conf", 2,
	  "lvs_method TUN is not supported: lbctl forwards in DR mode only" },
	{ "bad-rs-port.conf", 3, "real_server 10.0.0.2 port 8080 differs from virtual_server "
	  "port 80 (DR cannot change ports)" },
	{ "bad-sorry-port.conf", 2, "sorry_server 10.0.0.9 port 8080 differs from virtual_server "
	  "port 80 (DR cannot change ports)" },
	{ "bad-rs-loopback.conf", 3, "real_server 127.0.0.1 is a loopback address" },
	{ "bad-rs-is-vip.conf", 3, "real_server 10.0.0.10 is the virtual_server address itself: "
	  "a real server holds the VIP on its loopback but has its own address" },
	{ "bad-vs-multicast.conf", 1, "virtual_server 224.0.0.18 is a multicast address" },
	{ "bad-rs-family.conf", 3, "real_server fd00::2 is IPv6 but virtual_server 10.0.0.10 is "
	  "IPv4 (DR cannot change the address family)" },
	{ "bad-advert-v2.conf", 4, "advert_int 0.5 is not a whole number of seconds, which "
	  "VRRP version 2 needs" },
	{ "bad-advert-small.conf", 5, "advert_int 0.001 out of range 0.01-255" },
	{ "bad-advert-v3-big.conf", 5, "advert_int 60 out of range 0.01-40.95 for VRRP version 3" },
	{ "bad-table-size.conf", 3, "lbctl_table_size 1000 is not a prime number" },
	{ "bad-table-size-big.conf", 3, "lbctl_table_size 1000033 out of range 3-1000003" },
	{ "bad-table-small.conf", 1, "lbctl_table_size 3 is too small for 4 real servers" },
	{ "bad-dup-instance.conf", 8, "vrrp_instance VI_1 is already defined at line 1" },
	{ "bad-dup-vrid.conf", 8, "vrrp_instance VI_2: virtual_router_id 51 on eth0 (IPv4) is "
	  "already used by vrrp_instance VI_1 at line 1" },
	{ "bad-dup-vip.conf", 8, "vrrp_instance VI_2: virtual_ipaddress 10.0.0.10 is also in "
	  "vrrp_instance VI_1 at line 1" },
	{ "bad-dup-script.conf", 4, "vrrp_script chk is already defined at line 1" },
	{ "bad-dup-vs.conf", 8, "virtual_server 10.0.0.10 80 TCP is already defined at line 1" },
	{ "bad-track-script.conf", 8, "track_script names unknown vrrp_script 'chk_nope'" },
	{ "bad-track-vs.conf", 8, "track_vs names no virtual_server: 10.0.0.99 80" },
	{ "bad-sync-group.conf", 11, "vrrp_sync_group G1 names unknown vrrp_instance 'VI_9'" },
	{ "bad-sync-twice.conf", 15, "vrrp_instance VI_1 is already in vrrp_sync_group G1" },
	{ "bad-v6-in-v2.conf", 6, "IPv6 virtual_ipaddress fd00::10 needs VRRP version 3 "
	  "(vrrp_instance VI_6 has version 2)" },
	{ "bad-no-interface.conf", 1, "vrrp_instance VI_1 has no interface" },
	{ "bad-no-vrid.conf", 1, "vrrp_instance VI_1 has no virtual_router_id" },
	{ "bad-mixed-family.conf", 6, "virtual_ipaddress fd00::10 is IPv6 but the first one is "
	  "IPv4: one family per vrrp_instance (put others in virtual_ipaddress_excluded)" },
	{ "bad-vip-prefix.conf", 5, "prefix of 10.0.0.10/33 out of range 1-32" },
	{ "bad-vip-option.conf", 5, "unknown option 'device' in virtual_ipaddress" },
	{ "bad-ifname.conf", 2, "interface 'a-very-long-interface-name...' is too long "
	  "(at most 15 characters)" },
	{ "bad-auth-ah.conf", 5, "auth_type AH is not supported: use PASS, or none" },
	{ "bad-auth-no-pass.conf", 5, "auth_type PASS needs an auth_pass" },
	{ "bad-state.conf", 3, "state LEADER: use MASTER or BACKUP" },
	{ "bad-ssl-get.conf", 3, "SSL_GET is not supported: lbctl checks with TCP_CHECK, "
	  "HTTP_GET and MISC_CHECK" },
	{ "bad-http-no-url.conf", 4, "HTTP_GET needs a url { path ... } block" },
	{ "bad-misc-no-path.conf", 4, "MISC_CHECK needs a misc_path" },
	{ "bad-digest.conf", 7, "digest 'xyz' is not an MD5 digest (32 hex digits)" },
	{ "bad-vs-fwmark.conf", 1, "virtual_server fwmark is not supported: lbctl matches "
	  "services by address and port" },
	{ "bad-vsg-unknown.conf", 1, "virtual_server group NOPE: no virtual_server_group of "
	  "that name" },
	{ "bad-vsg-fwmark.conf", 3, "virtual_server_group G: fwmark entries are not supported: "
	  "lbctl matches services by address and port" },
	{ "bad-vsg-range.conf", 3, "virtual_server_group range 10.0.0.20-10: '10' is not a "
	  "last byte from 20 up to 255" },
	{ "bad-vsg-empty.conf", 1, "virtual_server_group G has no VIP PORT entry" },
	{ "bad-vsg-no-port.conf", 2, "virtual_server_group entry 10.0.0.10 needs a port (lbctl "
	  "has no all-ports services)" },
	{ "bad-vsg-dup-vs.conf", 8, "virtual_server 10.0.0.11 80 TCP is already defined at line 1" },
	{ "bad-vsg-family.conf", 7, "real_server 10.0.0.2 is IPv4 but virtual_server_group G has "
	  "IPv6 entries (DR cannot change the address family)" },
	{ "bad-vs-no-port.conf", 1, "virtual_server 10.0.0.10 needs a port (lbctl has no "
	  "all-ports services)" },
	{ "bad-lb-algo.conf", 3, "unknown lb_algo 'fastest'" },
	{ "bad-protocol.conf", 2, "protocol SCTP is not supported: lbctl balances TCP and UDP" },
	{ "bad-mcast4.conf", 2, "vrrp_mcast_group4 10.0.0.1 is not an IPv4 multicast address" },
	{ "bad-script-none.conf", 1, "vrrp_script chk has no script" },
	{ "bad-needs-block.conf", 4, "virtual_ipaddress needs a { } block" },
	{ "bad-no-block.conf", 3, "priority takes no { } block" },
	{ "bad-unclosed.conf", 1, "the '{' of virtual_server is never closed" },
	{ "bad-extra-close.conf", 7, "unexpected '}'" },
	{ "bad-quote.conf", 2, "missing closing \" of a quoted string" },
	{ "bad-cmd-quote.conf", 3, "notify_master: unbalanced quotes in '/bin/echo 'unbalanced'" },
	{ "bad-conditional.conf", 2, "'@main': conditional configuration and parameter "
	  "substitution are not supported" },
	{ "bad-nul.conf", 2, "NUL byte: this is not a text file, stopped reading it" },
	{ "bad-vip-multicast.conf", 5, "virtual_ipaddress 224.0.0.5 is a multicast address" },
	{ "bad-two-stmts.conf", 2, "unexpected 'lb_kind' after delay_loop (one statement per "
	  "line, as keepalived reads them)" },
};

static void test_bad_one(const struct bad *b)
{
	struct run r = load(data(b->file));
	bool ok = r.ret == -EINVAL && !r.touched && r.n_errors == 1 &&
		  has_msg(&r, b->file, b->line, b->msg);

	if (!tap_ok(ok, "%s: %s:%d: %.60s", b->file, b->file, b->line, b->msg))
		tap_diag("  ret %d, %d error lines, stderr:\n%s", r.ret, r.n_errors, r.out);
	run_free(&r);
}

static void test_bad_include(void)
{
	char msg[PATH_MAX + 128];
	struct run r;

	r = load(data("bad-include-missing.conf"));
	snprintf(msg, sizeof(msg), "cannot open include file %s: No such file or directory",
		 data("nope.conf"));
	if (!tap_ok(r.ret == -EINVAL && r.n_errors == 1 &&
		    has_msg(&r, "bad-include-missing.conf", 2, msg),
		    "include of a missing file names it"))
		tap_diag("  stderr:\n%s", r.out);
	run_free(&r);

	r = load(data("bad-include-loop.conf"));
	snprintf(msg, sizeof(msg), "include loop: %s is already being read",
		 data("bad-include-loop.conf"));
	if (!tap_ok(r.ret == -EINVAL && r.n_errors == 1 &&
		    has_msg(&r, "bad-include-loop.conf", 1, msg), "a file including itself"))
		tap_diag("  stderr:\n%s", r.out);
	run_free(&r);
}

/* All errors of a file are reported, each at its line, parsing goes on. */
static void test_bad_many(void)
{
	static const struct { int line; const char *msg; } e[] = {
		{ 4, "unknown keyword 'vrrp_versoin' in global_defs" },
		{ 8, "virtual_router_id 256 out of range 1-255" },
		{ 9, "priority 0 out of range 1-255" },
		{ 13, "advert_int 'soon' is not a time in seconds" },
		{ 16, "lb_kind NAT is not supported: lbctl forwards in DR mode only" },
		{ 17, "real_server 10.0.0.2 port 81 differs from virtual_server port 80 "
		      "(DR cannot change ports)" },
		{ 18, "weight -1 out of range 0-65535" },
		{ 19, "connect_port 0 out of range 1-65535" },
		{ 22, "unknown keyword 'waight' in real_server" },
		{ 25, "vrrp_instance VI_2 has no interface" },
		{ 25, "vrrp_instance VI_2 has no virtual_router_id" },
	};
	struct run r = load(data("bad-many.conf"));
	size_t k;

	ASSERT_EQ(r.ret, -EINVAL, "many errors: -EINVAL");
	if (!ASSERT_EQ(r.n_errors, sizeof(e) / sizeof(e[0]),
		       "many errors: every one reported once"))
		tap_diag("  stderr:\n%s", r.out);
	for (k = 0; k < sizeof(e) / sizeof(e[0]); k++)
		tap_ok(has_msg(&r, "bad-many.conf", e[k].line, e[k].msg),
		       "many errors: line %d: %.50s", e[k].line, e[k].msg);
	run_free(&r);
}

/* ---- generated inputs: nothing may crash, leak or loop ---- */

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		tap_diag("cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

static void write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

/* cfg_load of TEXT, written to the temp file NAME first. */
static struct run load_text(const char *name, const char *text)
{
	write_str(tmp(name), text);
	return load(tmp(name));
}

static void test_empty(void)
{
	struct run r;

	r = load_text("empty.conf", "");
	ASSERT_TRUE(r.ret == 0 && r.cfg && r.cfg->n_warnings == 1 &&
		    has_msg(&r, "empty.conf", 1, "warning: no vrrp_instance and no "
			    "virtual_server: nothing to do"), "empty file: valid, one warning");
	run_free(&r);
	r = load_text("comments.conf", "! only\n# comments\n\n   \t\r\n! here\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg && r.cfg->n_warnings == 1, "comments only: valid");
	run_free(&r);
	r = load(tmp("does-not-exist.conf"));
	ASSERT_TRUE(r.ret == -ENOENT && !r.cfg, "missing file: -ENOENT");
	run_free(&r);
	r = load(tmp_dir);
	ASSERT_TRUE(r.ret == -EISDIR && !r.cfg, "a directory: -EISDIR");
	run_free(&r);
	/* a FIFO would block a reader until some writer came */
	unlink(tmp("fifo.conf"));
	if (mkfifo(tmp("fifo.conf"), 0600))
		{ tap_ok(false, "mkfifo: %s", strerror(errno)); return; }
	r = load(tmp("fifo.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg && strstr(r.out, "fifo.conf: not a regular file"),
		    "a FIFO: refused at once, not read");
	run_free(&r);
	r = load_text("inc-fifo.conf", "include fifo.conf\n");
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg && strstr(r.out, "inc-fifo.conf:1: cannot read "
		    "include file ") && strstr(r.out, "fifo.conf: not a regular file"),
		    "an included FIFO: an error at the include line");
	run_free(&r);
}

/* Commands given by a path that cannot run here are warned about by
 * cfg_check_commands (up, reload, check-config), which cfg_load leaves out:
 * a file is read the same on any machine. */
static void test_commands_checked(void)
{
	char out[1024] = "";
	struct run r;
	FILE *f;
	int saved, n0;

	r = load_text("cmds.conf", "vrrp_instance V {\n interface eth0\n virtual_router_id 3\n"
		  " notify_master \"/nonexistent/lbctl-test.sh master\"\n"
		  " notify_backup /bin/true\n notify_fault \"pidof x\"\n"
		  " virtual_ipaddress {\n  10.0.0.3\n }\n}\n"
		  "virtual_server 10.0.0.3 80 {\n real_server 10.0.0.2 80 {\n"
		  "  MISC_CHECK {\n   misc_path \"/nonexistent/check.sh 10.0.0.2\"\n  }\n }\n}\n");
	if (!ASSERT_TRUE(r.ret == 0 && r.cfg, "commands: a file naming missing scripts loads"))
		return run_free(&r);
	n0 = r.cfg->n_warnings;
	f = tmpfile();
	saved = dup(2);
	fflush(stderr);
	dup2(fileno(f), 2);
	cfg_check_commands(r.cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	if (fread(out, 1, sizeof(out) - 1, f) == 0)
		out[0] = '\0';
	fclose(f);
	ASSERT_EQ(r.cfg->n_warnings - n0, 2, "commands: two warnings (PATH lookups are left "
		  "to run time, /bin/true is fine)");
	ASSERT_TRUE(strstr(out, "vrrp_instance V notify_master: /nonexistent/lbctl-test.sh: "
			   "No such file or directory") &&
		    strstr(out, "real_server 10.0.0.2 80 misc_path: /nonexistent/check.sh"),
		    "commands: each names its owner, keyword and path");
	run_free(&r);
}

/* keepalived's strict mode sends adverts without authentication and drops
 * those that carry it: lbctl must do the same or the two never agree. */
static void test_vrrp_strict(void)
{
	struct run r;

	r = load_text("strict.conf", "global_defs {\n vrrp_strict\n}\n"
		      "vrrp_instance V {\n interface eth0\n virtual_router_id 9\n priority 100\n"
		      " version 2\n authentication {\n  auth_type PASS\n  auth_pass secret\n }\n"
		      " virtual_ipaddress {\n  10.0.0.9\n }\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg->n_instances == 1 && !r.cfg->instances[0].auth_pass[0],
		    "vrrp_strict: authentication is dropped, as keepalived does");
	ASSERT_TRUE(has_msg(&r, "strict.conf", 4, "warning: vrrp_instance V: authentication is "
			    "ignored with vrrp_strict, as keepalived does"),
		    "vrrp_strict: ... with a warning at the instance");
	ASSERT_TRUE(strstr(r.out, "strict.conf:2: warning: vrrp_strict: authentication is ignored, "
			   "as in keepalived; strict mode's other checks") != NULL,
		    "vrrp_strict: the keyword says what lbctl does and does not do");
	run_free(&r);
	/* the lines keepalived's shipped file has, that say what lbctl does */
	r = load_text("shipped.conf", "global_defs {\n vrrp_skip_check_adv_addr\n"
		      " vrrp_garp_interval 0\n vrrp_gna_interval 0\n}\n"
		      "virtual_server 10.0.0.3 80 {\n real_server 10.0.0.2 80 {\n }\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg->n_warnings == 0,
		    "vrrp_skip_check_adv_addr, vrrp_garp_interval 0, vrrp_gna_interval 0: "
		    "accepted without a warning");
	run_free(&r);
}

/* status_code 200-299 400-499 503 505, as keepalived's man page has it. */
static void test_status_codes(void)
{
	static const struct { const char *line, *msg; } bad[] = {
		{ "status_code 299-200", "status_code 299-200: the range ends before it starts" },
		{ "status_code 200-abc", "status_code 'abc' is not a number" },
		{ "status_code 200 700", "status_code 700 out of range 100-599" },
	};
	const struct cfg_url *u;
	char text[256], name[160], buf[64];
	struct run r;
	size_t i;

	r = load_text("sc.conf", "virtual_server 10.0.0.3 80 {\n real_server 10.0.0.2 80 {\n"
		      "  HTTP_GET {\n   url {\n    path /\n    status_code 200-299 400-499 503\n"
		      "    status_code 505\n   }\n  }\n }\n}\n");
	u = r.ret ? NULL : &r.cfg->vs[0].rs[0].checks[0].urls[0];
	ASSERT_TRUE(u && u->n_status == 4 && !strcmp(cfg_url_status_str(u, buf, sizeof(buf)),
						     "200-299 400-499 503 505"),
		    "status_code 200-299 400-499 503, then 505: four codes and ranges");
	ASSERT_TRUE(u && cfg_url_status_ok(u, 204) && cfg_url_status_ok(u, 404) &&
		    cfg_url_status_ok(u, 503) && cfg_url_status_ok(u, 505) &&
		    !cfg_url_status_ok(u, 302) && !cfg_url_status_ok(u, 504) &&
		    !cfg_url_status_ok(u, 500), "status_code: 204 404 503 505 pass, 302 500 504 fail");
	run_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "virtual_server 10.0.0.3 80 {\n real_server 10.0.0.2 80 {\n"
			 "  HTTP_GET {\n   url {\n    path /\n    %s\n   }\n  }\n }\n}\n",
			 bad[i].line);
		r = load_text("sc.conf", text);
		snprintf(name, sizeof(name), "'%s': %s", bad[i].line, bad[i].msg);
		ASSERT_TRUE(r.ret == -EINVAL && has_msg(&r, "sc.conf", 6, bad[i].msg), name);
		run_free(&r);
	}
}

static void test_lvs_timeouts(void)
{
	static const struct { const char *line, *msg; } cases[] = {
		{ "lvs_timeouts tcp 900 fin 3", "lvs_timeouts: 'fin' is not tcp, tcpfin or udp" },
		{ "lvs_timeouts tcp 900 udp", "lvs_timeouts: udp needs a number of seconds" },
		{ "lvs_timeouts tcp", "lvs_timeouts: tcp needs a number of seconds" },
		{ "lvs_timeouts tcpfin -1", "lvs_timeouts tcpfin -1 out of range 0-2678400" },
		{ "lvs_timeouts udp 5m", "lvs_timeouts udp '5m' is not a number" },
	};
	char text[128], name[160];
	struct run r;
	size_t i;

	r = load_text("lvs-t.conf", "global_defs {\n lvs_timeouts udp 60\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg->global.lvs_udp_s == 60 && !r.cfg->global.lvs_tcp_s &&
		    !r.cfg->global.lvs_tcpfin_s, "lvs_timeouts udp 60: the others stay 0 (defaults)");
	run_free(&r);
	r = load_text("lvs-t.conf", "global_defs {\n lvs_timeouts tcp 5 tcpfin 6 udp 7 tcp 8\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg->global.lvs_tcp_s == 8 && r.cfg->global.lvs_tcpfin_s == 6 &&
		    r.cfg->global.lvs_udp_s == 7, "lvs_timeouts: any number of pairs, the last wins");
	run_free(&r);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "global_defs {\n %s\n}\n", cases[i].line);
		r = load_text("lvs-t.conf", text);
		snprintf(name, sizeof(name), "'%s': %s", cases[i].line, cases[i].msg);
		ASSERT_TRUE(r.ret == -EINVAL && has_msg(&r, "lvs-t.conf", 2, cases[i].msg), name);
		run_free(&r);
	}
}

/* One address cannot be a service's backend twice: as a real server and
 * as its sorry server it would silently be one of the two. */
static void test_sorry_is_rs(void)
{
	struct run r;

	r = load_text("sorryrs.conf", "virtual_server 10.0.0.3 80 {\n"
		  " sorry_server 10.0.0.2 80\n real_server 10.0.0.2 80 {\n }\n}\n");
	ASSERT_TRUE(r.ret == -EINVAL && has_msg(&r, "sorryrs.conf", 2, "sorry_server 10.0.0.2 is "
		    "also a real_server of this virtual_server (one backend cannot be both)"),
		    "sorry_server equal to a real_server: an error at its line");
	run_free(&r);
}

/* keepalived reads the words after a notify script as its user and group,
 * never as statements, whatever they look like. */
static void test_notify_words(void)
{
	struct run r;

	r = load_text("notify.conf", "vrrp_instance V {\n interface eth0\n"
		  " virtual_router_id 3\n priority 50\n"
		  " notify_backup /etc/keepalived/notify.sh interface eth9\n"
		  " notify_master /etc/keepalived/notify.sh priority 7\n"
		  " virtual_ipaddress {\n  10.0.0.3\n }\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg, "notify with keyword-like user words: valid");
	if (r.cfg) {
		str_eq(r.cfg->instances[0].ifname, "eth0", "notify: 'interface eth9' is no statement");
		ASSERT_EQ(r.cfg->instances[0].priority, 50, "notify: 'priority 7' is no statement");
		ASSERT_TRUE(has_msg(&r, "notify.conf", 5, "warning: notify_backup: running it as "
				    "user 'interface' is not supported, scripts run as script_user"),
			    "notify: the user word gets the usual warning");
	}
	run_free(&r);
}

/* With VRRP in the file, a service on an address no instance carries
 * forwards on every node: say so (a typo, most often). */
static void test_vs_off_vrrp(void)
{
	struct run r;

	r = load_text("offvrrp.conf", "vrrp_instance V {\n interface eth0\n"
		  " virtual_router_id 3\n virtual_ipaddress {\n  10.0.0.100\n }\n}\n"
		  "virtual_server 10.0.0.100 80 {\n real_server 10.0.0.2 80 {\n }\n}\n"
		  "virtual_server 10.0.0.200 80 {\n real_server 10.0.0.2 80 {\n }\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg && r.cfg->n_warnings == 1 &&
		    has_msg(&r, "offvrrp.conf", 12, "warning: virtual_server 10.0.0.200 is in no "
			    "vrrp_instance's virtual_ipaddress: every node running this file "
			    "forwards for it, master or not (static, as without VRRP)"),
		    "a virtual_server on no instance's VIP: one warning, at its line");
	if (r.cfg == NULL || r.cfg->n_warnings != 1)
		tap_diag("  stderr:\n%s", r.out);
	run_free(&r);
}

/* A script tracked twice would count its weight twice; a peer that is
 * the node itself would get our own adverts. Both ignored, with a word. */
static void test_dup_tracking(void)
{
	struct run r;

	r = load_text("duptrack.conf", "vrrp_script chk {\n script /bin/true\n weight 10\n}\n"
		  "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n"
		  " track_script {\n  chk\n  chk\n }\n unicast_src_ip 10.0.0.2\n"
		  " unicast_peer {\n  10.0.0.2\n  10.0.0.3\n }\n"
		  " virtual_ipaddress {\n  10.0.0.100\n }\n}\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg && r.cfg->n_warnings == 2 &&
		    has_msg(&r, "duptrack.conf", 10, "warning: track_script chk is listed twice, "
			    "the second is ignored") &&
		    has_msg(&r, "duptrack.conf", 14, "warning: unicast_peer 10.0.0.2 is this "
			    "node's own unicast_src_ip, ignored"),
		    "a script tracked twice and a peer that is ourselves: warned, ignored");
	if (r.cfg) {
		ASSERT_EQ(r.cfg->instances[0].n_track_scripts, 1, "duptrack: one track_script");
		ASSERT_EQ(r.cfg->instances[0].n_unicast_peers, 1, "duptrack: one unicast_peer");
	} else {
		tap_diag("  stderr:\n%s", r.out);
	}
	run_free(&r);
}

static void test_crlf(void)
{
	struct run r;

	r = load_text("crlf.conf", "\xef\xbb\xbfvrrp_instance V {\r\n interface eth0\r\n"
		  " virtual_router_id 3\r\n virtual_ipaddress {\r\n  10.0.0.3\r\n }\r\n}\r\n");
	ASSERT_TRUE(r.ret == 0 && r.cfg && r.cfg->instances[0].vrid == 3,
		    "CRLF line ends and a byte order mark");
	run_free(&r);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

static void test_garbage(void)
{
	size_t len = 256 * 1024, k;
	char *buf = malloc(len);
	struct run r;

	for (k = 0; k < len; k++)
		buf[k] = rnd();
	write_file(tmp("binary.conf"), buf, len);
	r = load(tmp("binary.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg, "binary garbage: -EINVAL");
	run_free(&r);

	/* printable noise with braces and quotes, no NUL: stops after 100 errors */
	for (k = 0; k < len; k++) {
		static const char set[] = "ab{}\"'!# \n\t\\/.0123456789";

		buf[k] = set[rnd() % (sizeof(set) - 1)];
	}
	write_file(tmp("noise.conf"), buf, len);
	r = load(tmp("noise.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg && r.n_errors <= 101,
		    "text noise: -EINVAL, at most 100 errors and a last line");
	ASSERT_TRUE(strstr(r.out, "too many errors, stopping") != NULL,
		    "text noise: says it stopped");
	run_free(&r);

	for (k = 0; k < len; k++)
		buf[k] = (k % 3) ? '}' : '{';
	write_file(tmp("braces.conf"), buf, len);
	r = load(tmp("braces.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg, "unbalanced braces: -EINVAL");
	run_free(&r);
	free(buf);
}

static void test_long_line(void)
{
	size_t len = 1 << 20, k;
	char *buf = malloc(len + 64);
	struct run r;

	memset(buf, 'a', len);
	strcpy(buf + len, " 1\n");
	r = load_text("longword.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1 &&
		    strstr(r.out, "longword.conf:1: unknown keyword 'aaaa"),
		    "a 1 MB word: one error, message cut short");
	run_free(&r);

	k = sprintf(buf, "global_defs {\n router_id \"");
	memset(buf + k, 'b', len - 64);
	strcpy(buf + k + len - 64, "\"\n}\n");
	r = load_text("longquote.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1 && strstr(r.out, "is too long"),
		    "a 1 MB quoted string: too long");
	run_free(&r);

	for (k = 0; k + 2 < len; k += 2)
		memcpy(buf + k, "x ", 2);
	strcpy(buf + len - 2, "\n");
	r = load_text("manywords.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1, "500000 words on a line: one error");
	run_free(&r);
	free(buf);
}

static void test_deep(void)
{
	size_t n = 100000, k;
	char *buf = malloc(n * 32 + 64), *p = buf;
	struct run r;

	for (k = 0; k < n; k++)
		p += sprintf(p, "{\n");
	r = load_text("deep.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 2, "100000 nested '{': two errors");
	run_free(&r);

	p = buf;
	for (k = 0; k < n; k++)
		p += sprintf(p, "virtual_server 10.0.0.1 80 {\n");
	r = load_text("deepvs.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && !r.cfg, "100000 nested virtual_server: -EINVAL");
	run_free(&r);

	p = buf;
	for (k = 0; k < n; k++)
		p += sprintf(p, "real_server 10.0.0.2 80 {");
	for (k = 0; k < n; k++)
		*p++ = '}';
	*p = '\0';
	r = load_text("deeprs.conf", buf);
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1,
		    "100000 nested real_server on one line: one error");
	run_free(&r);
	free(buf);
}

static void test_include_limits(void)
{
	char name[64], body[128];
	struct run r;
	int k;

	/* a chain deeper than the limit */
	for (k = 0; k < 20; k++) {
		snprintf(name, sizeof(name), "chain%d.conf", k);
		snprintf(body, sizeof(body), "include chain%d.conf\n", k + 1);
		write_str(tmp(name), body);
	}
	write_str(tmp("chain20.conf"), "");
	r = load(tmp("chain0.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1 &&
		    strstr(r.out, "/chain15.conf:1: includes nested more than 16 deep"),
		    "include depth limit");
	run_free(&r);

	/* each file includes the next twice: 2^12 reads without a loop */
	for (k = 0; k < 12; k++) {
		snprintf(name, sizeof(name), "fan%d.conf", k);
		snprintf(body, sizeof(body), "include fan%d.conf\ninclude fan%d.conf\n",
			 k + 1, k + 1);
		write_str(tmp(name), body);
	}
	write_str(tmp("fan12.conf"), "");
	r = load(tmp("fan0.conf"));
	ASSERT_TRUE(r.ret == -EINVAL && strstr(r.out, "more than 1024 files included"),
		    "include fan-out limit");
	run_free(&r);

	/* a two-file loop */
	write_str(tmp("loop-b.conf"), "\n\ninclude loop-a.conf\n");
	r = load_text("loop-a.conf", "include loop-b.conf\n");
	ASSERT_TRUE(r.ret == -EINVAL && r.n_errors == 1 &&
		    strstr(r.out, "loop-b.conf:3: include loop: "),
		    "include loop through two files");
	run_free(&r);
}

static void test_addr_str(void)
{
	struct cfg_addr a = { 0 };
	char buf[INET6_ADDRSTRLEN];

	str_eq(cfg_addr_str(&a, buf, sizeof(buf)), "-", "cfg_addr_str: unset");
	a.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::1", &a.v6);
	str_eq(cfg_addr_str(&a, buf, sizeof(buf)), "fd00::1", "cfg_addr_str: IPv6");
	a.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", &a.v4);
	str_eq(cfg_addr_str(&a, buf, sizeof(buf)), "10.0.0.1", "cfg_addr_str: IPv4");
}

static void setup_dirs(void)
{
	const char *env = getenv("LB_TESTDATA");
	const char *base = env && *env ? env : "selftests/data";

	snprintf(data_dir, sizeof(data_dir), "%s/configs", base);
	snprintf(examples_dir, sizeof(examples_dir), "%s/../../configs", base);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/lbctl-cfg-test.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void cleanup_dirs(void)
{
	char cmd[PATH_MAX + 16];

	/* only files this test wrote, in a directory it made */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd))
		tap_diag("could not remove %s", tmp_dir);
}

int main(void)
{
	size_t k;

	setup_dirs();
	test_doc_lvs_dr();
	test_tutorial();
	test_oneline();
	test_notify_words();
	test_vs_off_vrrp();
	test_commands_checked();
	test_sorry_is_rs();
	test_lvs_timeouts();
	test_vrrp_strict();
	test_status_codes();
	test_dup_tracking();
	test_vs_group();
	test_quoting();
	test_ipv6();
	test_full();
	test_include();
	test_defaults();
	test_examples();
	test_example_fields();
	test_warnings();
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		test_bad_one(&bad[k]);
	test_bad_include();
	test_bad_many();
	test_empty();
	test_crlf();
	test_garbage();
	test_long_line();
	test_deep();
	test_include_limits();
	test_addr_str();
	cleanup_dirs();
	return tap_done();
}
