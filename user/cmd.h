/* SPDX-License-Identifier: GPL-2.0 */
/* What lbctl's commands share: global options, paths, argument parsing
 * and the exit-status convention (0 ok, 1 runtime failure, 2 usage). */
#ifndef LB_CMD_H
#define LB_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "lb_maps.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct ctx {
	bool json;
	char bpffs[200];	/* bpffs mount: pins live in BPFFS/lbctl/IFACE */
	char rundir[200];	/* state: RUNDIR/IFACE (pid file, lock, status) */
	const char *prog;
};

struct cmd {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
};

/* Print one line "lbctl: message" on stderr (and {"error": ...} on stdout
 * in JSON mode); return the exit status to use. */
int usage_err(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int run_err(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Dispatch argv[0] through a table; exact names only. */
int cmd_dispatch(struct ctx *c, const char *object, const struct cmd *cmds,
		 int argc, char **argv);
/* The value of option argv[*i] (advancing *i), or NULL after printing
 * "option 'X' needs a value". */
const char *opt_value(struct ctx *c, int argc, char **argv, int *i);
/* [IFACE | dev IFACE] as the only arguments; *given is NULL when absent. */
int parse_iface_only(struct ctx *c, const char *object, int argc, char **argv,
		     const char **given);

void pin_dir(const struct ctx *c, const char *ifname, char *buf, size_t len);
void state_dir(const struct ctx *c, const char *ifname, char *buf, size_t len);
/* Make sure c->bpffs is a mounted bpffs (mounting one there if not). */
int ensure_bpffs(const struct ctx *c);
/* The one interface with pinned maps, when IFACE was not given. */
int pick_iface(struct ctx *c, const char *given, char *out);
/* Open (and lock) the maps of an interface, with messages on failure. */
int open_maps(struct ctx *c, const char *ifname, struct lb_maps *m);

int managed_vip_state(const struct ctx *c, const char *ifname, int family,
		      const uint8_t *addr);

/* Shared argument parsing. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_proto(const char *s, uint8_t *proto);
/* VIP PORT PROTO -> key. Returns 0 or prints a usage error and returns 2. */
int parse_service(struct ctx *c, char **argv, struct lb_svc_key *k);
bool streq(const char *a, const char *b);

/* "off-link" (no MAC, and no route puts it on IFINDEX's link; 0 = do not
 * look), "down", "unresolved", "sorry", "drain" or "up" */
const char *be_state_str(const struct lb_backend *b, int ifindex);
const char *mac_str(const struct lb_backend *b, char *buf, size_t len);

/* Grammar of each object, printed by 'lbctl OBJECT help'. */
extern const char up_usage[], down_usage[], reload_usage[], check_config_usage[];
extern const char vip_usage[], backend_usage[], list_usage[], status_usage[], stats_usage[];

/* Commands */
int do_vip(struct ctx *c, int argc, char **argv);
int do_backend(struct ctx *c, int argc, char **argv);
int do_list(struct ctx *c, int argc, char **argv);
int do_stats(struct ctx *c, int argc, char **argv);
int do_status(struct ctx *c, int argc, char **argv);
int do_up(struct ctx *c, int argc, char **argv);
int do_down(struct ctx *c, int argc, char **argv);
int do_reload(struct ctx *c, int argc, char **argv);
int do_check_config(struct ctx *c, int argc, char **argv);

#endif
