// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "caps.h"
#include "ctl.h"
#include "evloop.h"
#include "guardian.h"
#include "log.h"
#include "nl.h"
#include "stats_prom.h"
#include "textfile.h"

#define PERIOD_NS		1000000000ull	/* housekeeping tick */
#define FLUSH_DELAY_NS		5000000ull	/* batch table rebuilds this long */
#define NEIGH_REFRESH_TICKS	10		/* re-probe known MACs this often */

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[256], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool has_static_vips(const struct ctl *c)
{
	int i;

	if (!c->cfg)
		return true;	/* services come from the CLI: static mode */
	for (i = 0; i < c->cfg->n_vs; i++)
		if (ctl_vrrp_vip_state(c, &c->cfg->vs[i].vip) < 0)
			return true;
	return c->n_vrrp == 0;
}

static const char *attach_hint(int err)
{
	return err == -EBUSY || err == -EEXIST ?
	       " (another XDP program is attached: 'ip link set dev IFACE xdp off')" : "";
}

/* A node that cannot forward must not hold its services' VIPs: while
 * another program holds the hook, the instances carrying them are in
 * FAULT (see effective_priority), and the periodic tick looks for the
 * hook to come free. The priorities are retaken from the event loop,
 * not from inside the VRRP transition that tried to attach. */
static void set_xdp_busy(struct ctl *c, bool busy)
{
	if (busy == c->xdp_busy)
		return;
	c->xdp_busy = busy;
	if (busy)
		pr_err("%s: another XDP program holds the interface: VRRP instances with "
			"virtual_servers stay in FAULT until it is removed", c->ifname);
	else
		pr_info("%s: the XDP hook is free again", c->ifname);
	ev_timer_arm(c->loop, c->t_retrack, 0);
}

static void on_retrack(struct evloop *loop, struct ev_timer *t, void *arg)
{
	ctl_vrrp_quorum_changed(arg);
}

void ctl_update_attach(struct ctl *c)
{
	bool want = !c->stopping && c->link_up &&
		    (has_static_vips(c) || (c->have_services && ctl_vrrp_wants_xdp(c)));
	int err;

	if (want && c->prog.link_fd < 0) {
		err = c->attach_err = lb_prog_attach(&c->prog, c->ifindex);
		if (err && !c->xdp_busy)
			pr_err("%s: cannot attach XDP program: %s%s", c->ifname, strerror(-err),
			       attach_hint(err));
		else if (!err)
			pr_info("%s: XDP program attached in %s mode", c->ifname, c->prog.mode);
		set_xdp_busy(c, err == -EBUSY || err == -EEXIST);
		if (!err && (err = guardian_hold(c->guardian_fd, c->prog.link_fd)))
			pr_warn("%s: the guardian cannot hold the XDP link (a crash would "
				"detach it before the VIPs are gone): %s", c->ifname, strerror(-err));
	} else if (!want && c->prog.link_fd >= 0) {
		lb_prog_detach(&c->prog);
		pr_info("%s: XDP program detached", c->ifname);
	}
}

/*
 * A VRRP master with nothing to forward leaves the hook alone: with a
 * VRRP-only config (keepalived + nginx or haproxy) the node's own stack
 * serves the VIP, and attaching XDP makes some NIC drivers reset their
 * queues. Services may come from the CLI at any time: the tick looks.
 */
static bool services_in_maps(const struct ctl *c)	/* maps locked */
{
	uint32_t i;

	for (i = 0; i < c->maps.max_services; i++)
		if (c->maps.svc[i].flags & LB_SVC_F_USED)
			return true;
	return false;
}

static void set_have_services(struct ctl *c, bool have)
{
	if (have != c->have_services) {
		c->have_services = have;
		ctl_update_attach(c);
	}
}

static void look_for_services(struct ctl *c)
{
	bool have;

	if (lb_maps_lock(&c->maps))
		return;
	have = services_in_maps(c);
	lb_maps_unlock(&c->maps);
	set_have_services(c, have);
}

static void flush_tables(struct ctl *c)
{
	int n;

	if (lb_maps_lock(&c->maps))
		return;
	n = lb_maps_flush(&c->maps);
	lb_maps_unlock(&c->maps);
	if (n < 0)
		pr_err("%s: cannot publish Maglev tables: %s", c->ifname, strerror(-n));
}

/* What changed the maps (a health transition, a MAC) changed what
 * `lbctl status` shows: the state file follows at once, not at the tick. */
static void on_flush(struct evloop *loop, struct ev_timer *t, void *arg)
{
	flush_tables(arg);
	ctl_write_state(arg);
}

void ctl_maps_changed(struct ctl *c)
{
	if (!ev_timer_armed(c->t_flush))
		ev_timer_arm(c->loop, c->t_flush, FLUSH_DELAY_NS);
}

void ctl_vip_set_active(struct ctl *c, const struct cfg_addr *vip, bool active)
{
	int family = vip->family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET;
	int err;

	err = lb_maps_lock(&c->maps);
	if (!err) {
		err = lb_vip_set_active(&c->maps, family, vip->bytes, active);
		lb_maps_unlock(&c->maps);
	}
	/* No service on this VIP is fine: VRRP-only failover. */
	if (err && err != -ENOENT)
		pr_warn("VIP: cannot mark %s: %s", active ? "active" : "inactive", strerror(-err));
}

/* Backends whose MAC is unknown get a resolution kick every tick; known
 * ones every NEIGH_REFRESH_TICKS, so that a replaced server that never
 * sends a gratuitous ARP is found once the kernel's entry goes stale. The
 * same pass over the maps sees whether the CLI added or removed the
 * services (see look_for_services). */
static void neigh_refresh(struct ctl *c, bool all)
{
	struct nl_neigh_addr *todo;
	uint32_t n = 0, i;
	bool have;

	if (lb_maps_lock(&c->maps))
		return;
	have = services_in_maps(c);
	todo = calloc(c->maps.max_backends, sizeof(*todo));
	for (i = 0; todo && i < c->maps.max_backends; i++) {
		const struct lb_backend *b = &c->maps.be[i];

		if (!(b->flags & LB_BE_F_USED) || (!all && (b->flags & LB_BE_F_MAC)))
			continue;
		todo[n].family = b->family;
		memcpy(todo[n].addr, b->addr, 16);
		n++;
	}
	lb_maps_unlock(&c->maps);
	set_have_services(c, have);
	/* a few unknown MACs every tick: a get each, not a table dump */
	if (all)
		nl_neigh_refresh(c->ifindex, todo, n);
	else
		for (i = 0; i < n; i++)
			nl_neigh_resolve(c->ifindex, todo[i].family, todo[i].addr);
	free(todo);
}

static void on_neigh(void *arg, int ifindex, int family, const void *addr, const uint8_t *mac)
{
	struct ctl *c = arg;
	char a[64];
	int n;

	if (ifindex != c->ifindex || lb_maps_lock(&c->maps))
		return;
	n = lb_be_set_mac(&c->maps, family, addr, mac);
	lb_maps_unlock(&c->maps);
	ctl_maps_changed(c);
	if (n > 0)
		ctl_vrrp_quorum_changed(c);	/* servable or not may have changed */
	if (n > 0 && mac)
		pr_info("backend %s: MAC %02x:%02x:%02x:%02x:%02x:%02x on %s",
			lb_addr_str(family, addr, a, sizeof(a)), mac[0], mac[1], mac[2],
			mac[3], mac[4], mac[5], c->ifname);
	else if (n > 0)
		pr_warn("backend %s: no answer to ARP/ND on %s; no traffic until it answers",
			lb_addr_str(family, addr, a, sizeof(a)), c->ifname);
}

/* Our interface was deleted and a device of the same name appeared. The
 * program was built for the old one's MAC: only the same MAC is taken
 * back without a restart. */
static void relink(struct ctl *c)
{
	struct nl_link_info li;

	if (nl_link_get(c->ifname, &li))
		return;
	if (memcmp(li.mac, c->mac, 6)) {
		pr_err("%s: came back with another MAC address; run 'lbctl down %s' and "
		       "'lbctl up %s' to load the program for it", c->ifname, c->ifname, c->ifname);
		return;
	}
	lb_prog_detach(&c->prog);
	c->ifindex = li.ifindex;
	c->link_up = li.up;
	pr_info("%s: interface is back (ifindex %d)", c->ifname, li.ifindex);
	if (ctl_vrrp_reopen(c))
		pr_err("%s: VRRP could not restart on the new interface", c->ifname);
	ctl_update_attach(c);
	ctl_vrrp_link_event(c, c->ifindex, c->ifname, li.up);
}

static void on_link(void *arg, int ifindex, const char *name, bool up)
{
	struct ctl *c = arg;
	struct nl_link_info li;

	if (name && !strcmp(name, c->ifname) && ifindex != c->ifindex) {
		relink(c);
		return;
	}
	if (ifindex == c->ifindex && !up && nl_link_get(c->ifname, &li)) {
		/* Deleted: the kernel took the XDP link and the VIPs with it. */
		pr_err("%s: interface disappeared; not forwarding until it comes back", c->ifname);
		c->link_up = false;
		lb_prog_detach(&c->prog);
		ctl_vrrp_link_event(c, ifindex, name, false);
		return;
	}
	if (ifindex == c->ifindex && up != c->link_up) {
		c->link_up = up;
		pr_info("%s: link %s", c->ifname, up ? "up" : "down");
		ctl_update_attach(c);
		/* Back on the link: the checks that failed and the MACs that
		 * went while it was down say nothing of the servers. Learn
		 * again now, before VRRP (waiting a Master_Down_Interval at
		 * least) lets this node take the VIP back with servers whose
		 * flows it would then move. */
		if (up) {
			neigh_refresh(c, true);
			ctl_health_kick(c);
		}
	}
	ctl_vrrp_link_event(c, ifindex, name, up);
}

static void on_netlink(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl *c = arg;

	/* Lost events (socket overrun): catch up by asking again. */
	if (nl_watch_read(c->nlw) == -ENOBUFS)
		neigh_refresh(c, true);
}

/*
 * The guardian is what removes our VIPs if we die: without it, a crash
 * would leave the VIP on the interface with no program behind it, and the
 * kernel would reset every connection to it. If it is killed, a new one
 * takes over (it reads the VIPs from the state file) and gets the link.
 */
static void on_guardian(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl *c = arg;

	ev_fd_del(loop, fd);
	close(fd);
	c->guardian_fd = -1;
	if (c->stopping)
		return;		/* it goes with us */
	pr_err("%s: the guardian (which cleans up after a crash of this controller) "
	       "is gone; starting a new one", c->ifname);
	c->guardian_fd = guardian_start(&c->opts);
	if (c->guardian_fd < 0)
		return;
	ev_fd_add(loop, c->guardian_fd, EPOLLRDHUP, on_guardian, c);
	if (c->prog.link_fd >= 0 && guardian_hold(c->guardian_fd, c->prog.link_fd))
		pr_warn("%s: the new guardian cannot hold the XDP link", c->ifname);
}

static const char *textfile_path(const struct ctl *c)
{
	if (c->opts.textfile)
		return c->opts.textfile;
	return c->cfg && c->cfg->global.textfile[0] ? c->cfg->global.textfile : NULL;
}

static void extra_metrics(FILE *f, void *arg)
{
	ctl_health_metrics(arg, f);
	ctl_vrrp_metrics(arg, f);
}

/* Rendered here (memory only), written by the textfile thread. */
static void write_textfile(struct ctl *c, const char *tf)
{
	char *text;
	size_t len;
	int err;

	if (!c->textfile && !(c->textfile = textfile_start())) {
		pr_warn("textfile %s: cannot start its writer: %s", tf, strerror(errno));
		return;
	}
	err = prom_render_text(&c->maps, c->ifname, extra_metrics, c, &text, &len);
	if (err)
		pr_warn("textfile %s: %s", tf, strerror(-err));
	else
		textfile_put(c->textfile, tf, text, len);
}

static void on_tick(struct evloop *loop, struct ev_timer *t, void *arg)
{
	static unsigned int ticks;
	struct ctl *c = arg;
	const char *tf = textfile_path(c);
	uint64_t every = c->cfg && c->cfg->global.textfile_interval_us ?
			 c->cfg->global.textfile_interval_us / 1000000 : 5;

	ticks++;
	neigh_refresh(c, ticks % NEIGH_REFRESH_TICKS == 0);
	if (c->xdp_busy && c->prog.link_fd < 0 && !lb_xdp_hook_taken(c->ifindex))
		set_xdp_busy(c, false);
	if (tf && ticks % (every ? every : 1) == 0)
		write_textfile(c, tf);
	ctl_write_state(c);
	ev_timer_arm(loop, t, PERIOD_NS);
}

/* `lbctl reload` waits for this file's generation to change and shows
 * the result: "GEN ok" or "GEN error MESSAGE". */
static void reload_result(const struct ctl *c, const char *fmt, ...)
{
	static unsigned long gen;
	char path[300], tmp[310], msg[400];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/reload", c->opts.state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%lu %d %s\n", ++gen + (unsigned long)time(NULL) * 1000, getpid(), msg);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct ctl *c = arg;

	if (signo == SIGHUP) {
		struct cfg *new, *old;
		int err, held;

		if (!c->opts.config) {
			pr_warn("reload: no config file to re-read (started without -c)");
			reload_result(c, "error started without -c: no config file to re-read");
			return;
		}
		pr_info("reload: reading %s", c->opts.config);
		log_first_error_reset();
		err = cfg_load(c->opts.config, &new);
		if (err) {
			char first[sizeof("error: ") + 240];

			snprintf(first, sizeof(first), "%s", log_first_error());
			pr_err("reload: %s: %s; keeping the running configuration", c->opts.config,
			       err == -EINVAL ? "configuration has errors" : strerror(-err));
			reload_result(c, "error %s; the running configuration is kept (all errors "
				      "in the log)", first[0] ? first : strerror(-err));
			return;
		}
		cfg_check_commands(new);
		/* The new file's instances say which VIPs VRRP owns: a VIP
		 * it adds must not start out active on a backup. */
		old = c->cfg;
		c->cfg = new;
		/* each part moves to the new file even if another failed */
		err = ctl_apply_services(c, old, new);
		held = ctl_health_reload(c, new);
		held = ctl_vrrp_reload(c, new) ?: held;
		err = err ?: held;
		if (err)
			pr_err("reload: applying %s: %s", c->opts.config, strerror(-err));
		/* a textfile the new file moved or dropped would go stale */
		if (!c->opts.textfile && old->global.textfile[0] &&
		    strcmp(old->global.textfile, new->global.textfile))
			unlink(old->global.textfile);
		/* checkers or instances that could not move may still point
		 * into the old file: it stays (a leak on a failure, no more) */
		if (!held)
			cfg_free(old);
		flush_tables(c);
		if (err)
			reload_result(c, "error applying %s: %s", c->opts.config, strerror(-err));
		else
			reload_result(c, "ok");
		look_for_services(c);
		ctl_update_attach(c);
		ctl_write_state(c);
		pr_info("reload: done");
		return;
	}
	/* SIGUSR1 is what `lbctl down` sends: remove the pins as well. */
	c->keep_pins = signo != SIGUSR1;
	pr_info("%s: stopping (%s)", c->ifname, strsignal(signo));
	c->stopping = true;
	evloop_stop(loop);
}

static void report(struct ctl *c, const char *msg)
{
	if (c->status_fd < 0)
		return;
	if (write(c->status_fd, msg, strlen(msg)) < 0)
		pr_warn("cannot report to the starting lbctl: %s", strerror(errno));
	close(c->status_fd);
	c->status_fd = -1;
}

static int write_pidfile(const struct ctl *c)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pid", c->opts.state_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", getpid());
	fclose(f);
	return 0;
}

/*
 * Sub-second VRRP intervals leave no room for the scheduler's whims: a
 * master descheduled for three intervals is declared dead. As keepalived
 * does with vrrp_rt_priority, run real-time (and never swapped out); the
 * loop blocks in epoll almost all the time, and RLIMIT_RTTIME kills a
 * runaway controller instead of letting it starve the machine.
 */
static void realtime_if_needed(const struct ctl *c)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct rlimit rt = { .rlim_cur = 200000, .rlim_max = 200000 };	/* µs */
	uint64_t min = UINT64_MAX;
	int i;

	for (i = 0; c->cfg && i < c->cfg->n_instances; i++)
		if (!strcmp(c->cfg->instances[i].ifname, c->ifname) &&
		    c->cfg->instances[i].advert_int_us < min)
			min = c->cfg->instances[i].advert_int_us;
	if (min >= 1000000)
		return;
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		pr_warn("%s: mlockall: %s", c->ifname, strerror(errno));
	if (setrlimit(RLIMIT_RTTIME, &rt) || sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp))
		pr_warn("%s: cannot run real-time for %llu ms adverts: %s", c->ifname,
			(unsigned long long)min / 1000, strerror(errno));
	else
		pr_info("%s: running real-time (SCHED_RR) for %llu ms VRRP adverts", c->ifname,
			(unsigned long long)min / 1000);
}

static int setup(struct ctl *c)
{
	struct nl_watch_ops ops = { .neigh = on_neigh, .link = on_link, .arg = c };
	struct lb_limits lim = {};
	struct nl_link_info li;
	int err;

	err = nl_link_get(c->ifname, &li);
	if (err) {
		pr_err("%s: no such interface (%s)", c->ifname, strerror(-err));
		return err;
	}
	c->ifindex = li.ifindex;
	memcpy(c->mac, li.mac, 6);
	c->link_up = li.up;
	if (c->cfg) {
		lim.conn_max = c->cfg->global.conn_max;
		lim.conn_rate = c->cfg->global.conn_rate ? (int64_t)c->cfg->global.conn_rate : -1;
		lim.max_services = c->cfg->global.max_services;
		lim.max_backends = c->cfg->global.max_backends;
	}
	err = mkdir_p(c->opts.pin_dir, 0700);
	if (err) {
		pr_err("%s: cannot create %s: %s", c->ifname, c->opts.pin_dir, strerror(-err));
		return err;
	}
	err = lb_prog_load(&c->prog, c->mac, &lim, c->opts.pin_dir);
	if (err) {
		pr_err("%s: cannot load the XDP program: %s", c->ifname, strerror(-err));
		return err;
	}
	err = lb_maps_open(&c->maps, c->opts.pin_dir);
	if (err) {
		pr_err("%s: cannot open pinned maps in %s: %s", c->ifname, c->opts.pin_dir,
		       strerror(-err));
		return err;
	}
	c->maps.defer = true;
	c->loop = evloop_new();
	c->nlw = nl_watch_open(&ops);
	c->t_periodic = ev_timer_new(on_tick, c);
	c->t_flush = ev_timer_new(on_flush, c);
	c->t_retrack = ev_timer_new(on_retrack, c);
	if (!c->loop || !c->nlw || !c->t_periodic || !c->t_flush || !c->t_retrack)
		return -ENOMEM;
	err = ev_fd_add(c->loop, nl_watch_fd(c->nlw), EPOLLIN, on_netlink, c);
	if (!err && c->guardian_fd >= 0)
		err = ev_fd_add(c->loop, c->guardian_fd, EPOLLRDHUP, on_guardian, c);
	err = err ?: ev_signal_add(c->loop, SIGTERM, on_signal, c);
	err = err ?: ev_signal_add(c->loop, SIGINT, on_signal, c);
	err = err ?: ev_signal_add(c->loop, SIGUSR1, on_signal, c);
	err = err ?: ev_signal_add(c->loop, SIGHUP, on_signal, c);
	if (err)
		return err;
	signal(SIGPIPE, SIG_IGN);

	realtime_if_needed(c);
	err = ctl_apply_services(c, NULL, c->cfg);
	err = err ?: ctl_health_start(c);
	err = err ?: ctl_vrrp_start(c);
	if (err)
		return err;
	flush_tables(c);
	look_for_services(c);
	ctl_update_attach(c);
	ctl_write_state(c);
	neigh_refresh(c, false);
	ev_timer_arm(c->loop, c->t_periodic, PERIOD_NS);
	err = write_pidfile(c);
	if (err)
		return err;
	err = caps_drop();
	if (err)
		pr_warn("%s: cannot drop capabilities: %s", c->ifname, strerror(-err));
	return 0;
}

static void teardown(struct ctl *c)
{
	char path[300];

	c->stopping = true;
	if (c->loop) {
		ctl_vrrp_stop(c);
		ctl_health_stop(c);
	}
	if (c->prog.skel) {
		lb_prog_detach(&c->prog);
		lb_prog_close(&c->prog);
	}
	lb_maps_close(&c->maps);
	if (!c->keep_pins) {
		char *slash;

		lb_unpin_all(c->opts.pin_dir);
		/* BPFFS/lbctl too, unless another interface's pins are in it */
		snprintf(path, sizeof(path), "%s", c->opts.pin_dir);
		slash = strrchr(path, '/');
		if (slash) {
			*slash = 0;
			rmdir(path);
		}
	}
	if (c->t_periodic)
		ev_timer_free(c->loop, c->t_periodic);
	if (c->t_flush)
		ev_timer_free(c->loop, c->t_flush);
	if (c->t_retrack)
		ev_timer_free(c->loop, c->t_retrack);
	nl_watch_close(c->nlw);
	evloop_free(c->loop);
	snprintf(path, sizeof(path), "%s/pid", c->opts.state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vips", c->opts.state_dir);
	unlink(path);
	/* A stopped controller's last words (MASTER, say) must not be
	 * scraped on as if they were news. */
	textfile_stop(c->textfile);
	if (textfile_path(c))
		unlink(textfile_path(c));
	cfg_free(c->cfg);
}

int ctl_run_with(struct ctl_opts *o, struct cfg *cfg, int status_fd)
{
	struct ctl c = { .opts = *o, .cfg = cfg, .status_fd = status_fd, .keep_pins = true,
			 .guardian_fd = -1 };
	char msg[160];
	int err;

	c.prog.link_fd = -1;
	umask(077);	/* state, pid file and textfile temp are ours alone */
	c.maps.dir_fd = -1;
	snprintf(c.ifname, sizeof(c.ifname), "%s", o->ifname);
	c.guardian_fd = guardian_start(o);
	err = setup(&c);
	if (err) {
		snprintf(msg, sizeof(msg), "error: %s: controller failed to start: %s\n",
			 c.ifname, strerror(-err));
		report(&c, msg);
		c.keep_pins = false;
		teardown(&c);
		return 1;
	}
	if (c.prog.link_fd < 0 && c.attach_err) {
		/* Static mode promises forwarding at once: a node that cannot
		 * must not look up. */
		snprintf(msg, sizeof(msg), "error: %s: cannot attach XDP program: %s%s\n",
			 c.ifname, strerror(-c.attach_err), attach_hint(c.attach_err));
		report(&c, msg);
		c.keep_pins = false;
		teardown(&c);
		return 1;
	}
	if (c.prog.link_fd >= 0)
		snprintf(msg, sizeof(msg), "ok: %s: up, XDP attached in %s mode\n",
			 c.ifname, c.prog.mode);
	else
		snprintf(msg, sizeof(msg), "ok: %s: up, XDP not attached (%s)\n", c.ifname,
			 c.n_vrrp ? "no VRRP instance is MASTER yet" : "the link is down");
	report(&c, msg);
	pr_info("%.*s", (int)strlen(msg + 4) - 1, msg + 4);
	err = evloop_run(c.loop);
	teardown(&c);
	return err ? 1 : 0;
}
