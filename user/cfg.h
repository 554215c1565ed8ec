/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parsed configuration: keepalived.conf's language, read into plain
 * structs. The parser (cfg_*.c) fills them and validates them; the
 * controller, the VRRP speaker and the health checkers only read them.
 * Times are in microseconds, as keepalived keeps them. Lists are arrays
 * owned by the struct (cfg_free releases everything).
 */
#ifndef LB_CFG_H
#define LB_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define CFG_NAME_MAX	64
#define CFG_IFNAME_MAX	16

/* An IPv4 or IPv6 address. */
struct cfg_addr {
	int family;		/* AF_INET, AF_INET6, or 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	};
};

/* argv of a script: split like a shell would split words, no shell run. */
struct cfg_cmd {
	char **argv;		/* NULL-terminated; NULL = unset */
	int argc;
};

/* ---- health checkers (real_server blocks) ---- */

enum chk_type { CHK_NONE, CHK_TCP, CHK_HTTP, CHK_MISC };

#define CFG_STATUS_MAX	16	/* status_code codes and ranges per url */

struct cfg_status {
	uint16_t lo, hi;	/* a code (lo == hi) or a range, inclusive */
};

struct cfg_url {
	char *path;		/* "/health" */
	/* status_code: the codes that pass; none given = any 2xx */
	struct cfg_status status[CFG_STATUS_MAX];
	int n_status;
	char *digest;		/* lowercase hex MD5 of the body, or NULL */
};

struct cfg_check {
	enum chk_type type;
	struct cfg_addr connect_ip;	/* unset = the real server's address */
	uint16_t connect_port;		/* 0 = the real server's port */
	struct cfg_addr bindto;		/* unset = kernel's choice */
	uint64_t connect_timeout_us;	/* default 5 s */
	uint64_t delay_loop_us;		/* from checker, else virtual_server, default 60 s */
	unsigned int retry;		/* failures before down (nb_get_retry); default 1 */
	uint64_t delay_before_retry_us;	/* default 1 s */
	/* HTTP_GET */
	struct cfg_url *urls;
	int n_urls;
	char *virtualhost;		/* Host: header; NULL = the address */
	/* MISC_CHECK */
	struct cfg_cmd misc_path;
	uint64_t misc_timeout_us;	/* default = delay_loop */
	bool misc_dynamic;		/* exit status 2..255 sets weight status-2 */
	int line;			/* where it was declared */
};

/* ---- virtual servers ---- */

struct cfg_real_server {
	struct cfg_addr addr;
	uint16_t port;			/* must equal the virtual server's (DR) */
	unsigned int weight;		/* default 1, 0..65535 */
	bool inhibit_on_failure;	/* down = weight 0 instead of removed */
	struct cfg_cmd notify_up, notify_down;
	struct cfg_check *checks;	/* all must pass for the server to be up */
	int n_checks;
	int line;
};

enum cfg_sched { SCHED_MH, SCHED_SH };

struct cfg_virtual_server {
	struct cfg_addr vip;
	uint16_t port;
	int proto;			/* IPPROTO_TCP (default) or IPPROTO_UDP */
	enum cfg_sched sched;		/* lb_algo: mh, sh; others map to mh */
	uint32_t table_size;		/* Maglev table size; 0 = default */
	uint32_t persistence_timeout_s;	/* 0 = no client affinity */
	uint64_t delay_loop_us;		/* default for its checkers, 60 s */
	struct cfg_addr sorry_addr;	/* unset = none */
	uint16_t sorry_port;
	unsigned int quorum;		/* sum of up weights needed; default 1 */
	unsigned int hysteresis;
	bool alpha;			/* servers start down until checked */
	bool omega;			/* run quorum_down when stopping */
	bool inhibit_on_failure;	/* default for its real servers */
	struct cfg_cmd quorum_up, quorum_down;
	struct cfg_real_server *rs;
	int n_rs;
	int line;
};

/* ---- VRRP ---- */

struct cfg_vip_addr {
	struct cfg_addr addr;
	int prefix;			/* default 32 / 128 */
	char dev[CFG_IFNAME_MAX];	/* "" = the instance's interface */
	char label[CFG_IFNAME_MAX];	/* "" = none */
};

struct cfg_track_if {
	char name[CFG_IFNAME_MAX];
	int weight;			/* 0 = link down means FAULT */
};

struct cfg_track_script {
	int script;			/* index into cfg.scripts */
	int weight;			/* overrides the script's weight if set */
	bool weight_set;
};

struct cfg_vrrp_script {
	char name[CFG_NAME_MAX];
	struct cfg_cmd cmd;
	uint64_t interval_us;		/* default 1 s */
	uint64_t timeout_us;		/* default = interval */
	int weight;			/* 0 = failure means FAULT; +/- adjusts priority */
	unsigned int rise, fall;	/* default 1, 1 */
	int line;
};

enum vrrp_cksum_form {
	VRRP_CKSUM_PSEUDO,		/* VRRPv3/IPv4 with pseudo-header (keepalived, RFC 5798) */
	VRRP_CKSUM_NO_PSEUDO,		/* RFC 9568 erratum reading: VRRP header only */
};

struct cfg_vrrp_instance {
	char name[CFG_NAME_MAX];
	char ifname[CFG_IFNAME_MAX];
	bool state_master;		/* "state MASTER": initial wish, as keepalived */
	uint8_t vrid;			/* 1..255 */
	uint8_t priority;		/* 1..255, default 100 */
	int version;			/* 2 or 3, default global vrrp_version (2); IPv6: 3 */
	int family;			/* AF_INET or AF_INET6 (from the VIPs) */
	uint64_t advert_int_us;		/* default 1 s; VRRPv3 allows 10 ms steps */
	bool nopreempt;
	uint64_t preempt_delay_us;
	char auth_pass[9];		/* auth_type PASS, VRRPv2 only; "" = none */
	struct cfg_vip_addr *vips;	/* virtual_ipaddress */
	int n_vips;
	struct cfg_vip_addr *vips_excluded; /* virtual_ipaddress_excluded */
	int n_vips_excluded;
	struct cfg_addr mcast_src_ip;	/* unset = the interface's primary */
	struct cfg_addr unicast_src_ip;
	struct cfg_addr *unicast_peers;	/* non-empty = accept only these */
	int n_unicast_peers;
	struct cfg_track_if *track_if;
	int n_track_if;
	struct cfg_track_script *track_scripts;
	int n_track_scripts;
	char **track_vs;		/* "VIP PORT" of virtual_servers tracked (quorum) */
	int n_track_vs;
	uint64_t garp_master_delay_us;	/* default 5 s */
	unsigned int garp_master_repeat;/* default 5 */
	uint64_t garp_master_refresh_us;/* 0 = none */
	unsigned int garp_master_refresh_repeat; /* default 1 */
	enum vrrp_cksum_form cksum_form;
	struct cfg_cmd notify_master, notify_backup, notify_fault, notify_stop, notify;
	int sync_group;			/* index into cfg.sync_groups, -1 = none */
	int line;
};

struct cfg_sync_group {
	char name[CFG_NAME_MAX];
	int *members;			/* indexes into cfg.instances */
	int n_members;
	struct cfg_cmd notify_master, notify_backup, notify_fault, notify;
	int line;
};

struct cfg_global {
	char router_id[CFG_NAME_MAX];
	struct in_addr mcast_group4;	/* default 224.0.0.18 */
	struct in6_addr mcast_group6;	/* default ff02::12 */
	char script_user[CFG_NAME_MAX];	/* "" = keepalived_script, else nobody */
	char script_group[CFG_NAME_MAX];
	bool enable_script_security;
	int vrrp_version;		/* default 2 */
	bool vrrp_strict;
	uint64_t garp_master_delay_us;	/* defaults for instances */
	unsigned int garp_master_repeat;
	uint64_t garp_master_refresh_us;
	unsigned int garp_master_refresh_repeat; /* vrrp_garp_master_refresh_repeat, default 1 */
	/* lbctl's own keywords (in global_defs, warned about by keepalived -t) */
	char textfile[256];		/* lbctl_textfile PATH: Prometheus output */
	uint64_t textfile_interval_us;	/* lbctl_textfile_interval, default 5 s */
	uint32_t conn_max;		/* lbctl_conn_max, default LB_CONN_MAX */
	uint32_t conn_rate;		/* lbctl_conn_rate: new flows remembered per CPU
					 * per second, default LB_CONN_RATE, 0 = no limit */
	uint32_t max_services;		/* lbctl_max_services, default LB_MAX_SERVICES */
	uint32_t max_backends;		/* lbctl_max_backends, default LB_MAX_BACKENDS */
	/* lvs_timeouts tcp N tcpfin N udp N: idle timeouts of flows (0 = until
	 * evicted, lbctl's default) and of TCP flows after the client's FIN
	 * (0 = LB_CONN_FIN_TIMEOUT_S) */
	uint32_t lvs_tcp_s, lvs_tcpfin_s, lvs_udp_s;
};

struct cfg {
	char *path;			/* top-level file */
	struct cfg_global global;
	struct cfg_vrrp_script *scripts;
	int n_scripts;
	struct cfg_vrrp_instance *instances;
	int n_instances;
	struct cfg_sync_group *sync_groups;
	int n_sync_groups;
	struct cfg_virtual_server *vs;
	int n_vs;
	int n_warnings;
};

/*
 * Parse and validate FILE. On success *out is a new config and warnings
 * have been printed as "FILE:LINE: warning: ..." through pr_warn. On error
 * every problem found is printed as "FILE:LINE: message" and -EINVAL (or
 * -errno for I/O) is returned with *out untouched.
 */
int cfg_load(const char *path, struct cfg **out);
void cfg_free(struct cfg *c);

/* Formats an address without port: "10.0.0.1" / "fd00::1". */
const char *cfg_addr_str(const struct cfg_addr *a, char *buf, size_t len);
bool cfg_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b);
/* Whether an HTTP status passes the url's status_code. */
bool cfg_url_status_ok(const struct cfg_url *u, int status);
/* The url's status_code as written ("200-299 503"), or "2xx". */
const char *cfg_url_status_str(const struct cfg_url *u, char *buf, size_t len);

/* Every address an instance owns while MASTER: virtual_ipaddress, then
 * virtual_ipaddress_excluded (added, announced and forwarded for alike,
 * only left out of the adverts, as in keepalived). */
static inline int cfg_inst_n_addrs(const struct cfg_vrrp_instance *in)
{
	return in->n_vips + in->n_vips_excluded;
}

static inline const struct cfg_vip_addr *cfg_inst_addr(const struct cfg_vrrp_instance *in, int i)
{
	return i < in->n_vips ? &in->vips[i] : &in->vips_excluded[i - in->n_vips];
}

/* Does the config run any script: vrrp_script, MISC_CHECK, notify*, quorum_*? */
bool cfg_has_scripts(const struct cfg *c);
typedef int (*cfg_cmd_fn)(const struct cfg_cmd *cmd, const char *who, void *arg);
int cfg_for_each_cmd(const struct cfg *c, cfg_cmd_fn fn, void *arg);
/* Warn (counted in n_warnings) about each command given by a path that is
 * not an executable file on this machine. Separate from cfg_load, which
 * only reads the file. */
void cfg_check_commands(struct cfg *c);

/* Is VIP one of the instance's addresses (cfg_inst_addr)? */
bool cfg_inst_owns(const struct cfg_vrrp_instance *in, const struct cfg_addr *vip);

#endif
