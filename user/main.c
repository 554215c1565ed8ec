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
	fprintf(stderr,
		"Usage: lbctl [-j] [-v] [--bpffs DIR] [--rundir DIR] OBJECT COMMAND [ARGS]\n"
		"\n"
		"  lbctl up IFACE [-c FILE] [-f] [--textfile PATH]\n"
		"                                      start the controller on IFACE\n"
		"  lbctl down IFACE                    stop it, detach, remove VIPs and pins\n"
		"  lbctl reload [IFACE]                re-read the config (as SIGHUP)\n"
		"  lbctl check-config FILE             validate a keepalived-style config\n"
		"  lbctl vip add|del VIP PORT tcp|udp [IFACE]\n"
		"  lbctl vip list [-j]\n"
		"  lbctl backend add|del VIP PORT tcp|udp ADDR [weight N]\n"
		"  lbctl backend set VIP PORT tcp|udp ADDR weight N\n"
		"  lbctl backend list [VIP PORT tcp|udp] [-j]\n"
		"  lbctl list [-n]                     services and servers, like ipvsadm -Ln\n"
		"  lbctl status [-j]                   VRRP, attachment, backend health\n"
		"  lbctl stats [-j] [--textfile PATH]  counters; Prometheus textfile\n"
		"\n"
		"Global options: -j JSON output, -v verbose, --bpffs DIR (bpffs mount, default\n"
		"/sys/fs/bpf; env LBCTL_BPFFS), --rundir DIR (default /run/lbctl; env LBCTL_RUNDIR).\n"
		"'lbctl OBJECT help' shows each object's grammar.\n");
}

int main(int argc, char **argv)
{
	static const struct cmd objects[] = {
		{ "up", do_up },
		{ "down", do_down },
		{ "reload", do_reload },
		{ "check-config", do_check_config },
		{ "vip", do_vip },
		{ "backend", do_backend },
		{ "list", do_list },
		{ "status", do_status },
		{ "stats", do_stats },
		{ NULL, NULL },
	};
	struct ctx c = { .prog = "lbctl" };
	const char *env;
	int i;

	snprintf(c.bpffs, sizeof(c.bpffs), "%s",
		 (env = getenv("LBCTL_BPFFS")) && *env ? env : "/sys/fs/bpf");
	snprintf(c.rundir, sizeof(c.rundir), "%s",
		 (env = getenv("LBCTL_RUNDIR")) && *env ? env : "/run/lbctl");
	log_hook_libbpf();

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "-j") || streq(argv[i], "--json")) {
			c.json = true;
		} else if (streq(argv[i], "-v") || streq(argv[i], "--verbose")) {
			log_verbosity = LOG_LVL_DEBUG;
		} else if ((streq(argv[i], "--bpffs") || streq(argv[i], "--rundir")) &&
			   i + 1 < argc) {
			char *dst = argv[i][2] == 'b' ? c.bpffs : c.rundir;

			if (strlen(argv[i + 1]) >= sizeof(c.bpffs))
				return usage_err(&c, "%s: path too long", argv[i]);
			strcpy(dst, argv[++i]);
		} else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			help();
			return 0;
		} else {
			return usage_err(&c, "unknown option '%s' (try 'lbctl help')", argv[i]);
		}
	}
	if (i == argc) {
		help();
		return EXIT_USAGE;
	}
	if (streq(argv[i], "help")) {
		help();
		return 0;
	}
	for (const struct cmd *o = objects; o->name; o++)
		if (streq(o->name, argv[i]))
			return o->fn(&c, argc - i - 1, argv + i + 1);
	return usage_err(&c, "unknown object '%s' (try 'lbctl help')", argv[i]);
}
