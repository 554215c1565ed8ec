// SPDX-License-Identifier: GPL-2.0
/* lbctl up | down | reload | check-config: the controller's life cycle. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cmd.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "nl.h"

#define DOWN_WAIT_MS	10000
#define KEEPALIVED_CONF	"/etc/keepalived/keepalived.conf"

const char up_usage[] =
	"Usage: lbctl up IFACE [-c FILE] [-f] [--textfile PATH]\n"
	"  -c FILE          keepalived-style config (virtual_server, vrrp_instance, ...)\n"
	"  -f               stay in the foreground, log to stderr\n"
	"  --textfile PATH  write Prometheus metrics to PATH every few seconds\n"
	"Without a vrrp_instance for IFACE the node is static: XDP is attached at once.\n"
	"With --bpffs DIR, DIR is mounted as bpffs if it is not one already.\n";
const char down_usage[] =
	"Usage: lbctl down IFACE\n"
	"Stops the controller (its VRRP priority-0 advert lets the backup take over\n"
	"after Skew_Time instead of Master_Down_Interval),\n"
	"detaches XDP, removes the VIPs it added and every pin and state file.\n";
const char reload_usage[] =
	"Usage: lbctl reload [IFACE | dev IFACE]\n"
	"Re-reads the controller's config (as SIGHUP) and reports whether it was\n"
	"applied; a config with errors is rejected whole and the old one stays.\n";
const char check_config_usage[] =
	"Usage: lbctl check-config [-c] FILE\n"
	"Parses a keepalived-style config and reports every error with file:line.\n";

static int mkdir_p(const char *path)
{
	char buf[256], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int state_file(const char *dir, const char *name, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", dir, name) >= (int)len ? -ENAMETOOLONG : 0;
}

static pid_t read_pid(const char *sdir)
{
	char path[300];
	long pid = 0;
	FILE *f;

	state_file(sdir, "pid", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* The lock file is held by the running controller for its whole life. */
static int take_lock(const char *sdir, bool wait)
{
	char path[300];
	int fd;

	state_file(sdir, "lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int daemonize(struct ctl_opts *o, struct cfg *cfg, const char *sdir)
{
	char buf[256] = "", logpath[300];
	int pfd[2], null;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		n = read(pfd[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		if (!strncmp(buf, "ok: ", 4)) {
			printf("%s", buf + 4);
			return 0;
		}
		buf[strcspn(buf, "\n")] = 0;
		state_file(sdir, "log", logpath, sizeof(logpath));
		fprintf(stderr, "lbctl: %s (log: %s)\n",
			buf[0] ? buf + (strncmp(buf, "error: ", 7) ? 0 : 7) :
			"the controller exited during start-up", logpath);
		return 1;
	}
	close(pfd[0]);
	setsid();
	state_file(sdir, "log", logpath, sizeof(logpath));
	log_open(logpath);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	exit(ctl_run_with(o, cfg, pfd[1]));
}

int do_up(struct ctx *c, int argc, char **argv)
{
	struct ctl_opts o = {};
	struct cfg *cfg = NULL;
	char ifname[IFNAMSIZ];
	struct nl_link_info li;
	int i, err, lock;
	pid_t old;

	if (argc < 1)
		return usage_err(c, "up needs an interface (try '%s up help')", c->prog);
	err = pick_iface(c, argv[0], ifname);
	if (err)
		return err;
	for (i = 1; i < argc; i++) {
		if (streq(argv[i], "-c")) {
			if (!(o.config = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (streq(argv[i], "-f")) {
			o.foreground = true;
		} else if (streq(argv[i], "--textfile")) {
			if (!(o.textfile = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else {
			return usage_err(c, "unexpected argument '%s' (try '%s up help')", argv[i],
					 c->prog);
		}
	}
	o.ifname = ifname;
	if (!caps_can_run_controller())
		return run_err(c, "lbctl up needs root (or CAP_BPF and CAP_NET_ADMIN)");
	if (nl_link_get(ifname, &li))
		return run_err(c, "%s: no such interface", ifname);
	if (!memcmp(li.mac, (uint8_t[6]){ 0 }, 6))
		return usage_err(c, "%s has no Ethernet address: direct server return rewrites "
				 "MACs, so it needs an Ethernet interface", ifname);
	if (o.config && (err = cfg_load(o.config, &cfg)))
		return run_err(c, "%s: configuration has errors; nothing was started", o.config);
	if (cfg)
		cfg_check_commands(cfg);
	/* keepalived reads this file unasked; lbctl only says it saw it */
	if (!o.config && !access(KEEPALIVED_CONF, R_OK))
		fprintf(stderr, "%s: note: no -c FILE: static mode; %s is not read (-c %s to "
			"run it)\n", c->prog, KEEPALIVED_CONF, KEEPALIVED_CONF);

	pin_dir(c, ifname, o.pin_dir, sizeof(o.pin_dir));
	state_dir(c, ifname, o.state_dir, sizeof(o.state_dir));
	err = ensure_bpffs(c);
	if (err) {
		cfg_free(cfg);
		return run_err(c, "%s: cannot mount bpffs: %s", c->bpffs, strerror(-err));
	}
	err = mkdir_p(o.state_dir);
	if (err) {
		cfg_free(cfg);
		return run_err(c, "%s: %s", o.state_dir, strerror(-err));
	}
	lock = take_lock(o.state_dir, false);
	if (lock == -EWOULDBLOCK) {
		cfg_free(cfg);
		return run_err(c, "lbctl is already up on %s (pid %d); 'lbctl down %s' first",
			       ifname, read_pid(o.state_dir), ifname);
	}
	if (lock < 0) {
		cfg_free(cfg);
		return run_err(c, "%s: cannot take the lock: %s", o.state_dir, strerror(-lock));
	}
	old = read_pid(o.state_dir);
	if (old) {
		pr_warn("%s: the previous controller (pid %d) died; cleaning up after it",
			ifname, old);
		ctl_remove_stale_vips(ifname, o.state_dir);
	}
	if (o.foreground)
		return ctl_run_with(&o, cfg, -1);
	return daemonize(&o, cfg, o.state_dir);
}

/* Everything but the log: the story of the failover just run stays
 * (the directory with it). */
static void rm_state_dir(const char *sdir)
{
	static const char *const files[] = {
		"pid", "vips", "status.json", "status.txt", "reload", "lock", NULL
	};
	char path[300];
	int i;

	for (i = 0; files[i]; i++) {
		state_file(sdir, files[i], path, sizeof(path));
		unlink(path);
	}
	rmdir(sdir);
}

int do_down(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], sdir[256], pdir[256], root[256], lockp[300];
	struct timespec ts = { 0, 20 * 1000000 };
	bool had_pins, had_state;
	int lock, waited;
	pid_t pid;

	if (argc != 1)
		return usage_err(c, "down needs exactly one interface (try '%s down help')", c->prog);
	if (pick_iface(c, argv[0], ifname))
		return EXIT_USAGE;
	if (!caps_can_run_controller())
		return run_err(c, "lbctl down needs root (or CAP_BPF and CAP_NET_ADMIN)");
	pin_dir(c, ifname, pdir, sizeof(pdir));
	state_dir(c, ifname, sdir, sizeof(sdir));
	had_pins = !access(pdir, F_OK);
	state_file(sdir, "lock", lockp, sizeof(lockp));
	had_state = !access(lockp, F_OK);
	if (!had_pins && !had_state)
		return run_err(c, "lbctl is not up on %s", ifname);

	lock = had_state ? take_lock(sdir, false) : -ENOENT;
	if (lock == -EWOULDBLOCK) {
		pid = read_pid(sdir);
		if (pid <= 0 || kill(pid, SIGUSR1))
			return run_err(c, "%s: controller holds the lock but cannot be signalled", ifname);
		/* It sends its priority-0 adverts, removes VIPs and detaches. */
		for (waited = 0; waited < DOWN_WAIT_MS; waited += 20) {
			lock = take_lock(sdir, false);
			if (lock != -EWOULDBLOCK)
				break;
			nanosleep(&ts, NULL);
		}
		if (lock == -EWOULDBLOCK)
			return run_err(c, "%s: controller (pid %d) did not stop within %d s",
				       ifname, pid, DOWN_WAIT_MS / 1000);
	}
	if (had_state)
		ctl_remove_stale_vips(ifname, sdir);
	if (lock >= 0)
		close(lock);
	lb_unpin_all(pdir);
	snprintf(root, sizeof(root), "%s/lbctl", c->bpffs);
	rmdir(root);
	rm_state_dir(sdir);
	rmdir(c->rundir);
	return 0;
}

/* The controller's last reload result: "GEN PID ok" or "GEN PID error ...". */
static int read_reload(const char *sdir, char *line, size_t len)
{
	char path[300];
	FILE *f;

	line[0] = 0;
	state_file(sdir, "reload", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, len, f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return 0;
}

int do_reload(struct ctx *c, int argc, char **argv)
{
	struct timespec ts = { 0, 20 * 1000000 };
	char ifname[IFNAMSIZ], sdir[256], before[480], now[480], *res;
	int err, waited;
	const char *given;
	pid_t pid;

	err = parse_iface_only(c, "reload", argc, argv, &given);
	err = err ?: pick_iface(c, given, ifname);
	if (err)
		return err;
	if (!caps_can_run_controller())
		return run_err(c, "lbctl reload needs root (or CAP_BPF and CAP_NET_ADMIN)");
	state_dir(c, ifname, sdir, sizeof(sdir));
	pid = read_pid(sdir);
	read_reload(sdir, before, sizeof(before));
	if (pid <= 0 || kill(pid, SIGHUP))
		return run_err(c, "no controller is running on %s", ifname);
	for (waited = 0; waited < 10000; waited += 20) {
		nanosleep(&ts, NULL);
		if (!read_reload(sdir, now, sizeof(now)) && strcmp(now, before))
			break;
	}
	if (!strcmp(now, before))
		return run_err(c, "%s: the controller (pid %d) did not report on the reload", ifname, pid);
	/* Skip "GEN PID " */
	res = strchr(now, ' ');
	res = res ? strchr(res + 1, ' ') : NULL;
	res = res ? res + 1 : now;
	if (strncmp(res, "ok", 2))
		return run_err(c, "%s: reload rejected: %s", ifname,
			       strncmp(res, "error ", 6) ? res : res + 6);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "interface", ifname);
		json_bool(&j, "reloaded", true);
		json_obj_close(&j);
		json_end(&j);
	} else {
		printf("%s: configuration reloaded\n", ifname);
	}
	return 0;
}

int do_check_config(struct ctx *c, int argc, char **argv)
{
	struct cfg *cfg;

	/* -c FILE as `up` takes it */
	if (argc == 2 && !strcmp(argv[0], "-c")) {
		argc--;
		argv++;
	}
	if (argc != 1 || !strcmp(argv[0], "-c"))
		return usage_err(c, "check-config needs exactly one FILE (try '%s check-config help')",
				 c->prog);
	if (cfg_load(argv[0], &cfg))
		return run_err(c, "%s: configuration has errors", argv[0]);
	cfg_check_commands(cfg);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "file", argv[0]);
		json_bool(&j, "ok", true);
		json_u64(&j, "virtual_servers", cfg->n_vs);
		json_u64(&j, "vrrp_instances", cfg->n_instances);
		json_u64(&j, "warnings", cfg->n_warnings);
		json_obj_close(&j);
		json_end(&j);
	} else {
		printf("%s: OK (%d virtual server%s, %d VRRP instance%s, %d warning%s)\n", argv[0],
		       cfg->n_vs, cfg->n_vs == 1 ? "" : "s", cfg->n_instances,
		       cfg->n_instances == 1 ? "" : "s", cfg->n_warnings,
		       cfg->n_warnings == 1 ? "" : "s");
	}
	cfg_free(cfg);
	return 0;
}
