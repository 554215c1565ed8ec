// SPDX-License-Identifier: GPL-2.0
/*
 * The config's real-server checkers, wired to the maps: a server that
 * fails its checks leaves new-flow selection and its flows are steered
 * anew (or, with inhibit_on_failure, it keeps them at weight 0); one that
 * passes comes back. Also notify_up/notify_down, quorum_up/quorum_down and
 * the quorum that VRRP tracks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <pwd.h>

#include "chk.h"
#include "ctl.h"
#include "evloop.h"
#include "json.h"
#include "log.h"
#include "stats_prom.h"

#define SCRIPT_TIMEOUT_NS	(10ull * 1000000000ull)

struct hc {
	struct ctl *ctl;
	const struct cfg_virtual_server *vs;	/* into ctl->cfg, refreshed on reload */
	const struct cfg_real_server *rs;
	struct chk_target *t;
	char sig[1024];		/* what the checks were made from */
	int weight;		/* current effective weight */
	bool up;
	int old_slot;		/* while a reload builds: its slot in the old set, or -1 */
	bool sync;		/* ... and its state is to be put into the maps */
};

struct health {
	struct hc **hc;		/* entries stay put: checkers point at them */
	int n;
	const struct cfg *cfg;	/* built for; valid until the next reload ends */
	bool *quorum_ok;	/* per virtual server of cfg */
	int n_vs;
};

static int lb_family(const struct cfg_addr *a)
{
	return a->family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET;
}

static void run_script(struct ctl *c, const struct cfg_cmd *cmd, const char *what)
{
	pid_t pid;

	if (!cmd->argv)
		return;
	pid = chk_spawn(cmd, NULL);
	if (pid < 0) {
		pr_warn("%s: cannot run %s: %s", what, cmd->argv[0], strerror(-pid));
		return;
	}
	ev_child_add(c->loop, pid, SCRIPT_TIMEOUT_NS, NULL, NULL);
}

/* A signature of everything a checker is built from: a reload keeps a
 * checker (and its state) only when this is unchanged. */
static void signature(const struct cfg_virtual_server *vs, const struct cfg_real_server *rs,
		      char *buf, size_t len)
{
	size_t off = 0;
	char a[64], st[128];
	int i, k;

#define ADD(...) off += snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__)
	ADD("%s:%u;%d;%d", cfg_addr_str(&rs->addr, a, sizeof(a)), rs->port, vs->alpha,
	    rs->n_checks);
	for (i = 0; i < rs->n_checks; i++) {
		const struct cfg_check *ck = &rs->checks[i];

		ADD("|%d,%s,%u,%llu,%llu,%u,%llu,%s,%d", ck->type,
		    cfg_addr_str(&ck->connect_ip, a, sizeof(a)), ck->connect_port,
		    (unsigned long long)ck->connect_timeout_us,
		    (unsigned long long)ck->delay_loop_us, ck->retry,
		    (unsigned long long)ck->delay_before_retry_us, ck->virtualhost ?: "",
		    ck->misc_dynamic);
		for (k = 0; k < ck->n_urls; k++)
			ADD(",%s,%s,%s", ck->urls[k].path ?: "",
			    cfg_url_status_str(&ck->urls[k], st, sizeof(st)),
			    ck->urls[k].digest ?: "");
		for (k = 0; k < ck->misc_path.argc; k++)
			ADD(",%s", ck->misc_path.argv[k]);
	}
#undef ADD
}

/*
 * keepalived's quorum: the up servers' weights add up to at least quorum.
 * With hysteresis H, a met quorum is lost below quorum - H and a lost one
 * comes back at quorum + H, so that one server flapping at the threshold
 * does not flap the quorum scripts and VRRP with it.
 */
static bool quorum_met(const struct health *h, const struct cfg_virtual_server *vs, bool was)
{
	long sum = 0, q = vs->quorum ? vs->quorum : 1;
	int i;

	for (i = 0; i < h->n; i++)
		if (h->hc[i]->vs == vs && h->hc[i]->up)
			sum += h->hc[i]->weight;
	/* Servers without checks count as up at their weight. */
	for (i = 0; i < vs->n_rs; i++)
		if (!vs->rs[i].n_checks)
			sum += vs->rs[i].weight;
	if (was)
		return sum && sum >= q - (long)vs->hysteresis;
	return sum >= q + (long)vs->hysteresis;
}

/*
 * As keepalived: without quorum, a virtual server with a sorry server
 * sends new connections there instead of to what is left of its pool.
 * Every service in the maps gets the flag from the current state, so
 * none can keep it from an earlier run, config or sorry_server.
 */
static void sorry_sync(struct ctl *c)
{
	const struct health *h = c->health;
	struct lb_svc_key k;
	uint32_t id;
	int i;

	if (lb_maps_lock(&c->maps))
		return;
	for (id = 0; id < c->maps.max_services; id++) {
		bool on = false;

		if (!(c->maps.svc[id].flags & LB_SVC_F_USED))
			continue;
		for (i = 0; h && i < h->n_vs; i++) {
			ctl_vs_key(&h->cfg->vs[i], &k);
			if (!memcmp(&k, &c->maps.svc[id].key, sizeof(k)))
				on = h->cfg->vs[i].sorry_addr.family && !h->quorum_ok[i];
		}
		lb_svc_set_sorry_only(&c->maps, id, on);
	}
	lb_maps_unlock(&c->maps);
	ctl_maps_changed(c);
}

/* sync: set every service's sorry-only flag even if no quorum changed
 * (a (re)build: a flag may be left from an earlier run or config). */
static void update_quorum(struct ctl *c, bool sync)
{
	struct health *h = c->health;
	bool changed = false;
	char a[64], s[64];
	int i;

	for (i = 0; i < h->n_vs; i++) {
		const struct cfg_virtual_server *vs = &h->cfg->vs[i];
		bool ok = quorum_met(h, vs, h->quorum_ok[i]);

		if (ok == h->quorum_ok[i])
			continue;
		h->quorum_ok[i] = ok;
		changed = true;
		pr_info("virtual_server %s %u: quorum %s%s%s", cfg_addr_str(&vs->vip, a, sizeof(a)),
			vs->port, ok ? "up" : "lost",
			vs->sorry_addr.family ? (ok ? ": back to the real servers" :
						 ": new connections to sorry_server ") : "",
			vs->sorry_addr.family && !ok ? cfg_addr_str(&vs->sorry_addr, s, sizeof(s)) : "");
		run_script(c, ok ? &vs->quorum_up : &vs->quorum_down, "quorum script");
	}
	if (changed || sync)
		sorry_sync(c);
	if (changed)
		ctl_vrrp_quorum_changed(c);
}

static bool inhibits(const struct cfg_virtual_server *vs, const struct cfg_real_server *rs)
{
	return rs->inhibit_on_failure || vs->inhibit_on_failure;
}

/* Put a real server's health into its backend entry; the maps locked. */
static void apply_locked(struct ctl *c, const struct cfg_virtual_server *vs,
			 const struct cfg_real_server *rs, bool up, int weight)
{
	struct lb_svc_key k;
	uint32_t svc, be;

	ctl_vs_key(vs, &k);
	if (!lb_svc_find(&c->maps, &k, &svc) &&
	    !lb_be_find(&c->maps, svc, lb_family(&rs->addr), rs->addr.bytes, &be)) {
		/* inhibit_on_failure: keep the server and its flows, take
		 * no new ones (IPVS's weight 0). */
		if (inhibits(vs, rs)) {
			lb_be_set_up(&c->maps, be, true);
			lb_be_set_weight(&c->maps, be, up ? weight : 0);
		} else {
			lb_be_set_weight(&c->maps, be, weight);
			lb_be_set_up(&c->maps, be, up);
		}
	}
}

static void apply_state(struct ctl *c, const struct cfg_virtual_server *vs,
			const struct cfg_real_server *rs, bool up, int weight)
{
	if (lb_maps_lock(&c->maps))
		return;
	apply_locked(c, vs, rs, up, weight);
	lb_maps_unlock(&c->maps);
	ctl_maps_changed(c);
}

static void apply(struct hc *e)
{
	apply_state(e->ctl, e->vs, e->rs, e->up, e->weight);
}

/* The entries a (re)build marked, under one lock: a thousand servers
 * starting up cost one pass over the maps, not a thousand. */
static void apply_marked(struct ctl *c, struct health *h)
{
	int i;

	if (lb_maps_lock(&c->maps))
		return;
	for (i = 0; i < h->n; i++)
		if (h->hc[i]->sync) {
			apply_locked(c, h->hc[i]->vs, h->hc[i]->rs, h->hc[i]->up,
				     h->hc[i]->weight);
			h->hc[i]->sync = false;
		}
	lb_maps_unlock(&c->maps);
	ctl_maps_changed(c);
}

static void on_state(struct chk_target *t, bool up, int weight, void *arg)
{
	struct hc *e = arg;

	e->up = up;
	e->weight = weight >= 0 ? weight : (int)e->rs->weight;
	apply(e);
	run_script(e->ctl, up ? &e->rs->notify_up : &e->rs->notify_down, "notify script");
	update_quorum(e->ctl, false);
}

static int start_one(struct ctl *c, struct hc *e, bool start_up)
{
	char a[64];

	e->ctl = c;
	e->up = start_up;
	e->weight = e->rs->weight;
	e->t = chk_target_new(c->loop, &e->rs->addr, e->rs->port, e->rs->checks,
			      e->rs->n_checks, e->up, on_state, e);
	if (!e->t) {
		pr_err("real_server %s %u: cannot start its checks: %s",
		       cfg_addr_str(&e->rs->addr, a, sizeof(a)), e->rs->port, strerror(errno));
		return -errno;
	}
	return 0;
}

static int count_checked(const struct cfg *cfg)
{
	int i, j, n = 0;

	for (i = 0; cfg && i < cfg->n_vs; i++)
		for (j = 0; j < cfg->vs[i].n_rs; j++)
			n += cfg->vs[i].rs[j].n_checks > 0;
	return n;
}

/* keepalived's choice: script_user if set, else keepalived_script if
 * that user exists, else root (notify scripts that restart services or
 * move routes expect it), with keepalived's warning. */
static void script_policy(const struct cfg *cfg)
{
	struct chk_script_policy p = { .uid = getuid(), .gid = getgid() };
	const char *user = cfg && cfg->global.script_user[0] ? cfg->global.script_user : NULL;
	struct passwd *pw = NULL;
	struct group *gr;

	if (user)
		pw = getpwnam(user);
	else if (!(pw = getpwnam("keepalived_script")) && cfg && cfg_has_scripts(cfg))
		pr_warn("scripts run as uid %d: no script_user set and no user "
			"keepalived_script (create it, or set script_user, to run them "
			"unprivileged)", getuid());
	if (pw) {
		p.uid = pw->pw_uid;
		p.gid = pw->pw_gid;
	} else if (user) {
		pr_warn("script_user %s: no such user; scripts run as uid %d", user, getuid());
	}
	if (cfg && cfg->global.script_group[0]) {
		gr = getgrnam(cfg->global.script_group);
		if (gr)
			p.gid = gr->gr_gid;
		else
			pr_warn("script_user group %s: no such group", cfg->global.script_group);
	}
	p.enforce_security = cfg && cfg->global.enable_script_security;
	chk_set_script_policy(&p);
}

static void hc_free(struct hc *e)
{
	if (e)
		chk_target_free(e->t);
	free(e);
}

static bool same_vs(const struct cfg_virtual_server *a, const struct cfg_virtual_server *b)
{
	return a->port == b->port && a->proto == b->proto &&
	       !memcmp(a->vip.bytes, b->vip.bytes, 16);
}

/*
 * The old entry of this service's real server: with the same checks (sig
 * given) it is taken over, checker and all; with sig NULL, any checks,
 * only looked at, for its up/down state to carry over to a new checker (a
 * reload that fixes a check's path must not leave the server down until it
 * flaps); it goes with the old set.
 */
static struct hc *take_old(struct health *old, const struct cfg_virtual_server *vs,
			   const struct cfg_real_server *rs, const char *sig)
{
	struct hc *e;
	int k;

	for (k = 0; old && k < old->n; k++) {
		e = old->hc[k];
		if (!e || !same_vs(e->vs, vs) || e->rs->port != rs->port ||
		    memcmp(e->rs->addr.bytes, rs->addr.bytes, 16) ||
		    (sig && strcmp(e->sig, sig)))
			continue;
		if (sig) {
			old->hc[k] = NULL;
			e->old_slot = k;
		}
		return e;
	}
	return NULL;
}

/* A kept checker under the new config: did what its backend entry is
 * made of (weight, inhibit_on_failure) change? Then the new values. */
static bool refresh_kept(struct hc *e, const struct cfg_virtual_server *vs,
			 const struct cfg_real_server *rs)
{
	bool changed = inhibits(e->vs, e->rs) != inhibits(vs, rs);
	struct chk_status st;

	/* the services' reload wrote the new config weight into the entry;
	 * a MISC_CHECK's misc_dynamic weight stays the checker's word */
	if (e->rs->weight != rs->weight) {
		chk_target_status(e->t, &st);
		if (st.weight < 0)
			e->weight = rs->weight;
		changed = true;
	}
	return changed;
}

static bool old_quorum(const struct health *old, const struct cfg_virtual_server *vs)
{
	int k;

	for (k = 0; old && k < old->n_vs; k++)
		if (same_vs(&old->cfg->vs[k], vs))
			return old->quorum_ok[k];
	return true;
}

static struct health *health_build(struct ctl *c, const struct cfg *cfg, struct health *old)
{
	struct health *h = calloc(1, sizeof(*h));
	char sig[sizeof(((struct hc *)0)->sig)];
	int i, j, rc;

	if (!h)
		return NULL;
	h->hc = calloc(count_checked(cfg) + 1, sizeof(*h->hc));
	h->n_vs = cfg ? cfg->n_vs : 0;
	h->quorum_ok = calloc(h->n_vs + 1, sizeof(bool));
	if (!h->hc || !h->quorum_ok)
		goto err;
	for (i = 0; i < h->n_vs; i++) {
		const struct cfg_virtual_server *vs = &cfg->vs[i];

		h->quorum_ok[i] = true;
		for (j = 0; j < vs->n_rs; j++) {
			const struct cfg_real_server *rs = &vs->rs[j];
			struct hc *e, *prev;
			bool sync;

			if (!rs->n_checks) {
				/* its checks removed: up, as a server without any */
				if (take_old(old, vs, rs, NULL))
					apply_state(c, vs, rs, true, rs->weight);
				continue;
			}
			signature(vs, rs, sig, sizeof(sig));
			e = take_old(old, vs, rs, sig);
			sync = e && refresh_kept(e, vs, rs);
			if (!e) {
				e = calloc(1, sizeof(*e));
				if (!e)
					goto err;
				memcpy(e->sig, sig, sizeof(sig));
				e->old_slot = -1;
			}
			h->hc[h->n++] = e;
			e->vs = vs;
			e->rs = rs;
			if (!e->t) {
				prev = take_old(old, vs, rs, NULL);
				rc = start_one(c, e, prev ? prev->up : !vs->alpha);
				if (rc)
					goto err;
				sync = true;	/* the maps may say otherwise */
			}
			e->sync = sync;
		}
	}
	/* update_quorum() takes it from here, scripts and all */
	for (i = 0; i < h->n_vs; i++)
		h->quorum_ok[i] = old_quorum(old, &cfg->vs[i]);
	h->cfg = cfg;
	return h;
err:
	/* the old set stays in charge: give back what was taken from it */
	for (i = 0; i < h->n; i++)
		if (h->hc[i]->old_slot >= 0)
			old->hc[h->hc[i]->old_slot] = h->hc[i];
		else
			hc_free(h->hc[i]);
	free(h->hc);
	free(h->quorum_ok);
	free(h);
	return NULL;
}

static void health_free(struct health *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++)
		hc_free(h->hc[i]);
	free(h->hc);
	free(h->quorum_ok);
	free(h);
}

int ctl_health_start(struct ctl *c)
{
	script_policy(c->cfg);
	c->health = health_build(c, c->cfg, NULL);
	if (!c->health)
		return -EINVAL;
	apply_marked(c, c->health);
	update_quorum(c, true);
	return 0;
}

void ctl_health_stop(struct ctl *c)
{
	int i;

	if (c->health)
		for (i = 0; i < c->health->n_vs; i++)
			if (c->health->cfg->vs[i].omega)
				run_script(c, &c->health->cfg->vs[i].quorum_down, "quorum script");
	health_free(c->health);
	c->health = NULL;
}

int ctl_health_reload(struct ctl *c, const struct cfg *new)
{
	struct health *h;

	script_policy(new);
	h = health_build(c, new, c->health);
	if (!h)
		return -EINVAL;
	health_free(c->health);
	c->health = h;
	apply_marked(c, h);
	update_quorum(c, true);
	return 0;
}

void ctl_health_kick(struct ctl *c)
{
	int i;

	for (i = 0; c->health && i < c->health->n; i++)
		chk_target_kick(c->health->hc[i]->t);
}

bool ctl_health_quorum_ok(const struct ctl *c, const char *vs_spec)
{
	const struct health *h = c->health;
	char want[96], a[64];
	int i;

	for (i = 0; h && i < h->n_vs; i++) {
		const struct cfg_virtual_server *vs = &h->cfg->vs[i];

		snprintf(want, sizeof(want), "%s %u", cfg_addr_str(&vs->vip, a, sizeof(a)), vs->port);
		if (!strcmp(want, vs_spec))
			return h->quorum_ok[i];
	}
	return true;
}

/* Quorum of the virtual servers on this VIP (all met if none). */
bool ctl_health_vip_ok(const struct ctl *c, const struct cfg_addr *vip)
{
	const struct health *h = c->health;
	int i;

	for (i = 0; h && i < h->n_vs; i++)
		if (h->cfg->vs[i].vip.family == vip->family &&
		    !memcmp(h->cfg->vs[i].vip.bytes, vip->bytes, 16) && !h->quorum_ok[i])
			return false;
	return true;
}

/* "23:40:12" in local time, or "never". */
static const char *clock_str(int64_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "never");
	return buf;
}

void ctl_health_status(const struct ctl *c, struct ctl_status_out *o)
{
	const struct health *h = c->health;
	struct chk_status st;
	char svc[96], when[16];
	struct lb_svc_key k;
	int i;

	json_arr_open(o->j, "health");
	for (i = 0; h && i < h->n; i++) {
		chk_target_status(h->hc[i]->t, &st);
		ctl_vs_key(h->hc[i]->vs, &k);
		svc_str(&k, svc, sizeof(svc));
		json_obj_open(o->j, NULL);
		json_str(o->j, "service", svc);
		json_str(o->j, "backend", chk_target_name(h->hc[i]->t));
		json_bool(o->j, "up", st.up);
		json_u64(o->j, "weight", h->hc[i]->weight);
		json_i64(o->j, "last_check", st.last_check_realtime_s);
		json_str(o->j, "last_result", st.last_result);
		json_u64(o->j, "transitions", st.transitions);
		json_u64(o->j, "checks_ok", st.checks_ok);
		json_u64(o->j, "checks_failed", st.checks_failed);
		json_obj_close(o->j);
		fprintf(o->txt, "health %s %-28s %-4s %s (last check %s, transitions %llu)\n",
			svc, chk_target_name(h->hc[i]->t), st.up ? "up" : "down", st.last_result,
			clock_str(st.last_check_realtime_s, when, sizeof(when)),
			(unsigned long long)st.transitions);
	}
	json_arr_close(o->j);
}

/* The labels of lbctl_backend_*: one real server may be in several
 * services, each with its own checks. */
static const char *hc_labels(const struct ctl *c, const struct hc *e, char *buf, size_t len)
{
	struct lb_svc_key k;

	ctl_vs_key(e->vs, &k);
	prom_backend_labels(buf, len, c->ifname, &k, lb_family(&e->rs->addr), e->rs->addr.bytes);
	return buf;
}

void ctl_health_metrics(const struct ctl *c, FILE *f)
{
	const struct health *h = c->health;
	struct chk_status st;
	char l[400];
	int i;

	if (!h || !h->n)
		return;
	prom_family(f, "lbctl_health_check_up", "gauge",
		    "1 when the real server passes its checks.");
	for (i = 0; i < h->n; i++) {
		chk_target_status(h->hc[i]->t, &st);
		fprintf(f, "lbctl_health_check_up{%s} %d\n", hc_labels(c, h->hc[i], l, sizeof(l)),
			st.up);
	}
	prom_family(f, "lbctl_health_transitions_total", "counter",
		    "Up/down changes of the real server.");
	for (i = 0; i < h->n; i++) {
		chk_target_status(h->hc[i]->t, &st);
		fprintf(f, "lbctl_health_transitions_total{%s} %llu\n",
			hc_labels(c, h->hc[i], l, sizeof(l)), (unsigned long long)st.transitions);
	}
	prom_family(f, "lbctl_health_last_check_seconds", "gauge",
		    "Wall-clock time of the last check.");
	for (i = 0; i < h->n; i++) {
		chk_target_status(h->hc[i]->t, &st);
		fprintf(f, "lbctl_health_last_check_seconds{%s} %lld\n",
			hc_labels(c, h->hc[i], l, sizeof(l)), (long long)st.last_check_realtime_s);
	}
}
