// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/magic.h>
#include <netinet/in.h>

#include "cmd.h"
#include "json.h"

bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int verr(struct ctx *c, int status, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s\n", c->prog, msg);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "error", msg);
		json_obj_close(&j);
		json_end(&j);
	}
	return status;
}

int usage_err(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(c, EXIT_USAGE, fmt, ap);
	va_end(ap);
	return r;
}

int run_err(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(c, EXIT_RUNTIME, fmt, ap);
	va_end(ap);
	return r;
}

int cmd_dispatch(struct ctx *c, const char *object, const struct cmd *cmds,
		 int argc, char **argv)
{
	const struct cmd *cmd;

	if (argc < 1)
		return usage_err(c, "%s needs a command (try '%s %s help')", object, c->prog,
				 object);
	for (cmd = cmds; cmd->name; cmd++)
		if (streq(cmd->name, argv[0]))
			return cmd->fn(c, argc - 1, argv + 1);
	return usage_err(c, "unknown command '%s' for %s (try '%s %s help')",
			 argv[0], object, c->prog, object);
}

const char *opt_value(struct ctx *c, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		usage_err(c, "option '%s' needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int parse_iface_only(struct ctx *c, const char *object, int argc, char **argv,
		     const char **given)
{
	*given = NULL;
	if (argc >= 1 && streq(argv[0], "dev")) {
		if (argc < 2)
			return usage_err(c, "option 'dev' needs a value");
		*given = argv[1];
		argc -= 2;
		argv += 2;
	} else if (argc >= 1 && argv[0][0] != '-') {
		*given = argv[0];
		argc--;
		argv++;
	}
	if (argc > 0)
		return usage_err(c, "unexpected argument '%s' (try '%s %s help')", argv[0],
				 c->prog, object);
	return 0;
}

void pin_dir(const struct ctx *c, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/lbctl/%s", c->bpffs, ifname);
}

void state_dir(const struct ctx *c, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->rundir, ifname);
}

int ensure_bpffs(const struct ctx *c)
{
	struct statfs st;

	if (!statfs(c->bpffs, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(c->bpffs, 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", c->bpffs, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

int pick_iface(struct ctx *c, const char *given, char *out)
{
	char root[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (given) {
		if (strlen(given) >= IFNAMSIZ)
			return usage_err(c, "interface name '%s' is too long", given);
		/* it names directories under bpffs and the run directory */
		if (!*given || strchr(given, '/') || streq(given, ".") || streq(given, ".."))
			return usage_err(c, "'%s' is not an interface name", given);
		snprintf(root, sizeof(root), "%s/lbctl/%s", c->bpffs, given);
		/* a word in the wrong place, not an interface lbctl was up on */
		if (!if_nametoindex(given) && access(root, F_OK))
			return usage_err(c, "no interface '%s' (try '%s help')", given, c->prog);
		strcpy(out, given);
		return 0;
	}
	snprintf(root, sizeof(root), "%s/lbctl", c->bpffs);
	d = opendir(root);
	if (!d && (errno == EACCES || errno == EPERM))
		return run_err(c, "%s: permission denied (lbctl needs root, or CAP_BPF and CAP_NET_ADMIN)",
			       root);
	if (!d)
		return run_err(c, "no balancer is up (nothing in %s): run '%s up IFACE' first",
			       root, c->prog);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
			continue;
		if (n++ == 0)
			strcpy(out, de->d_name);
	}
	closedir(d);
	if (n == 0)
		return run_err(c, "no balancer is up (nothing in %s): run '%s up IFACE' first",
			       root, c->prog);
	if (n > 1)
		return usage_err(c, "balancers are up on several interfaces: name one with 'dev IFACE'");
	return 0;
}

int open_maps(struct ctx *c, const char *ifname, struct lb_maps *m)
{
	char dir[512];
	int err;

	pin_dir(c, ifname, dir, sizeof(dir));
	err = lb_maps_open(m, dir);
	if (err == -ENOENT)
		return run_err(c, "%s: no balancer maps in %s: run '%s up %s' first",
			       ifname, dir, c->prog, ifname);
	if (err == -EPERM || err == -EACCES)
		return run_err(c, "%s: %s: permission denied (lbctl needs root, or CAP_BPF and CAP_NET_ADMIN)",
			       ifname, dir);
	if (err == -EPROTO)
		return run_err(c, "%s: the maps in %s are another lbctl version's: stop its "
			       "controller and start this version ('%s up %s' replaces them)",
			       ifname, dir, c->prog, ifname);
	if (err)
		return run_err(c, "%s: cannot open maps in %s: %s", ifname, dir, strerror(-err));
	err = lb_maps_lock(m);
	if (err) {
		lb_maps_close(m);
		return run_err(c, "%s: cannot lock %s: %s", ifname, dir, strerror(-err));
	}
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull skips blanks and takes a sign: only plain digits are a number */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_proto(const char *s, uint8_t *proto)
{
	if (s && !strcasecmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (s && !strcasecmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}


int parse_service(struct ctx *c, char **argv, struct lb_svc_key *k)
{
	uint8_t addr[16], proto;
	uint32_t port;
	int family;
	const char *why;

	if (!argv[0] || !argv[1] || !argv[2])
		return usage_err(c, "expected VIP PORT tcp|udp");
	if (lb_addr_parse(argv[0], &family, addr))
		return usage_err(c, "'%s' is not an IPv4 or IPv6 address", argv[0]);
	if ((why = lb_addr_unusable(family, addr)))
		return usage_err(c, "VIP %s %s", argv[0], why);
	if (parse_u32(argv[1], 1, 65535, &port))
		return usage_err(c, "port '%s' is not a number in 1-65535", argv[1]);
	if (parse_proto(argv[2], &proto))
		return usage_err(c, "protocol '%s' is not tcp or udp", argv[2]);
	lb_svc_key_make(k, family, addr, port, proto);
	return 0;
}


/* The controller lists the VIPs that VRRP owns, with their state, in
 * RUNDIR/IFACE/vips: a service added by hand on such a VIP must follow
 * VRRP's state, not default to active. -1 when VRRP does not manage it. */
int managed_vip_state(const struct ctx *c, const char *ifname, int family,
		      const uint8_t *addr)
{
	char path[512], line[128], want[64], *sp;
	int state = -1;
	FILE *f;

	state_dir(c, ifname, path, sizeof(path));
	strncat(path, "/vips", sizeof(path) - strlen(path) - 1);
	f = fopen(path, "re");
	if (!f)
		return -1;
	lb_addr_str(family, addr, want, sizeof(want));
	while (fgets(line, sizeof(line), f)) {
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp++ = 0;
		if (streq(line, want))
			state = !strncmp(sp, "active", 6);
	}
	fclose(f);
	return state;
}
