// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl: an XDP direct-server-return load balancer with a VRRP control
 * plane. `lbctl OBJECT VERB ARGS`, iproute2 style; global options come
 * before the object. Exit status: 0 ok, 1 runtime failure, 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static void help(void)
{
	fputs("Usage: lbctl [-j] [-v] [--bpffs DIR] [--rundir DIR] OBJECT COMMAND [ARGS]\n"
		"\n"
		"  lbctl up IFACE [-c FILE] [-f] [--textfile PATH]\n"
		"                                      start the controller on IFACE\n"
		"  lbctl down IFACE                    stop it, detach, remove VIPs and pins\n"
		"  lbctl reload [IFACE]                re-read the config (as SIGHUP)\n"
		"  lbctl check-config [-c] FILE        validate a keepalived-style config\n"
		"  lbctl vip add VIP PORT tcp|udp [IFACE] [sched mh|sh] [persistence SECS]\n"
		"                [timeout SECS] [table-size PRIME]\n"
		"  lbctl vip del VIP PORT tcp|udp [IFACE]\n"
		"  lbctl vip list [-j]\n"
		"  lbctl backend add VIP PORT tcp|udp ADDR [weight N] [sorry]\n"
		"  lbctl backend del VIP PORT tcp|udp ADDR [weight N]   (weight ignored)\n"
		"  lbctl backend set VIP PORT tcp|udp ADDR weight N   (weight 0 drains)\n"
		"  lbctl backend list [VIP PORT tcp|udp] [-j]\n"
		"  lbctl list [-n] [-j]                services and servers, like ipvsadm -Ln\n"
		"  lbctl status [-j]                   VRRP, attachment, backend health\n"
		"  lbctl stats [-j] [--textfile PATH]  counters; Prometheus textfile\n"
		"\n"
		"Global options: -j JSON output, -v verbose, --bpffs DIR (bpffs mount, default\n"
		"/sys/fs/bpf; env LBCTL_BPFFS), --rundir DIR (default /run/lbctl; env LBCTL_RUNDIR).\n"
		"'lbctl OBJECT help' shows each object's grammar.\n", stdout);
}

/* dst is a struct ctx directory; leave room for "/lbctl/IFACE/FILE" under it. */
static int set_dir(struct ctx *c, char *dst, const char *what, const char *val)
{
	if (!*val || strlen(val) >= sizeof(c->bpffs) - 64)
		return usage_err(c, "%s '%s': empty or longer than %zu bytes", what, val,
				 sizeof(c->bpffs) - 65);
	strcpy(dst, val);
	return 0;
}

static bool is_help(const char *arg)
{
	return streq(arg, "help") || streq(arg, "-h") || streq(arg, "--help");
}

int main(int argc, char **argv)
{
	static const struct object {
		const char *name;
		int (*fn)(struct ctx *c, int argc, char **argv);
		const char *usage;
	} objects[] = {
		{ "up", do_up, up_usage },
		{ "down", do_down, down_usage },
		{ "reload", do_reload, reload_usage },
		{ "check-config", do_check_config, check_config_usage },
		{ "vip", do_vip, vip_usage },
		{ "backend", do_backend, backend_usage },
		{ "list", do_list, list_usage },
		{ "status", do_status, status_usage },
		{ "stats", do_stats, stats_usage },
		{ NULL, NULL, NULL },
	};
	struct ctx c = { .prog = "lbctl" };
	const char *env;
	int i;

	env = getenv("LBCTL_BPFFS");
	if (set_dir(&c, c.bpffs, "LBCTL_BPFFS", env && *env ? env : "/sys/fs/bpf"))
		return EXIT_USAGE;
	env = getenv("LBCTL_RUNDIR");
	if (set_dir(&c, c.rundir, "LBCTL_RUNDIR", env && *env ? env : "/run/lbctl"))
		return EXIT_USAGE;
	log_hook_libbpf();

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "-j") || streq(argv[i], "--json")) {
			c.json = true;
		} else if (streq(argv[i], "-v") || streq(argv[i], "--verbose")) {
			log_verbosity = LOG_LVL_DEBUG;
		} else if (streq(argv[i], "--bpffs") || streq(argv[i], "--rundir")) {
			const char *opt = argv[i], *val = opt_value(&c, argc, argv, &i);

			if (!val || set_dir(&c, opt[2] == 'b' ? c.bpffs : c.rundir, opt, val))
				return EXIT_USAGE;
		} else if (is_help(argv[i])) {
			help();
			return 0;
		} else {
			return usage_err(&c, "unknown option '%s' (try 'lbctl help')", argv[i]);
		}
	}
	if (i == argc)
		return usage_err(&c, "no object given (try 'lbctl help')");
	if (streq(argv[i], "help")) {
		help();
		return 0;
	}
	for (const struct object *o = objects; o->name; o++) {
		if (!streq(o->name, argv[i]))
			continue;
		if (i + 1 < argc && is_help(argv[i + 1])) {
			fputs(o->usage, stdout);
			return 0;
		}
		return o->fn(&c, argc - i - 1, argv + i + 1);
	}
	return usage_err(&c, "unknown object '%s' (try 'lbctl help')", argv[i]);
}
