// SPDX-License-Identifier: GPL-2.0
/*
 * Small pieces of the config reader: value parsing (integers, keepalived
 * timers, booleans, addresses), shell-like splitting of script command
 * lines, and freeing a struct cfg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cfg_lex.h"
#include "log.h"

int cfg_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	unsigned long long v = 0;
	bool neg = false;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (unsigned long long)INT64_MAX / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
		if (v > (unsigned long long)INT64_MAX)
			return -ERANGE;
	}
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

/*
 * keepalived's <TIMER>: seconds with up to six decimals. Parsed by hand:
 * through a double, 0.01 would not come out as exactly 10000 us.
 */
int cfg_parse_timer(const char *s, uint64_t *us)
{
	uint64_t whole = 0, frac = 0;
	int nw = 0, nf = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, nw++) {
		if (nw >= 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
			if (nf >= 6)
				return -EINVAL;	/* finer than the microsecond */
			frac = frac * 10 + (*p - '0');
		}
	}
	if (*p || nw + nf == 0)
		return -EINVAL;
	for (; nf < 6; nf++)
		frac *= 10;
	*us = whole * 1000000 + frac;
	return 0;
}

const char *cfg_fmt_timer(uint64_t us, char *buf, size_t len)
{
	unsigned long long s = us / 1000000, f = us % 1000000;
	int digits = 6;

	if (!f) {
		snprintf(buf, len, "%llu", s);
		return buf;
	}
	while (f % 10 == 0) {
		f /= 10;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu", s, digits, f);
	return buf;
}

int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes" };
	static const char *const no[] = { "off", "false", "no" };
	int k;

	for (k = 0; k < 3; k++) {
		if (!strcasecmp(s, yes[k]) || !strcasecmp(s, no[k])) {
			*out = !strcasecmp(s, yes[k]);
			return 0;
		}
	}
	return -EINVAL;
}

int cfg_parse_addr(const char *s, struct cfg_addr *a)
{
	struct cfg_addr r = { 0 };

	if (inet_pton(AF_INET, s, &r.v4) == 1)
		r.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &r.v6) == 1)
		r.family = AF_INET6;
	else
		return -EINVAL;
	*a = r;
	return 0;
}

/* Calls fn on every command the config runs, with what runs it ("vrrp_instance
 * VI_1 notify_master"), until fn returns non-zero; returns that. */
int cfg_for_each_cmd(const struct cfg *c, cfg_cmd_fn fn, void *arg)
{
	char who[160], a[64];
	int i, j, k, r = 0;

#define VISIT(cmd, ...) do {						\
		if (!r && (cmd).argv) {					\
			snprintf(who, sizeof(who), __VA_ARGS__);	\
			r = fn(&(cmd), who, arg);			\
		}							\
	} while (0)
	for (i = 0; i < c->n_scripts; i++)
		VISIT(c->scripts[i].cmd, "vrrp_script %s script", c->scripts[i].name);
	for (i = 0; i < c->n_instances; i++) {
		const struct cfg_vrrp_instance *in = &c->instances[i];

		VISIT(in->notify_master, "vrrp_instance %s notify_master", in->name);
		VISIT(in->notify_backup, "vrrp_instance %s notify_backup", in->name);
		VISIT(in->notify_fault, "vrrp_instance %s notify_fault", in->name);
		VISIT(in->notify_stop, "vrrp_instance %s notify_stop", in->name);
		VISIT(in->notify, "vrrp_instance %s notify", in->name);
	}
	for (i = 0; i < c->n_sync_groups; i++) {
		const struct cfg_sync_group *g = &c->sync_groups[i];

		VISIT(g->notify_master, "vrrp_sync_group %s notify_master", g->name);
		VISIT(g->notify_backup, "vrrp_sync_group %s notify_backup", g->name);
		VISIT(g->notify_fault, "vrrp_sync_group %s notify_fault", g->name);
		VISIT(g->notify, "vrrp_sync_group %s notify", g->name);
	}
	for (i = 0; i < c->n_vs; i++) {
		const struct cfg_virtual_server *vs = &c->vs[i];

		cfg_addr_str(&vs->vip, a, sizeof(a));
		VISIT(vs->quorum_up, "virtual_server %s %u quorum_up", a, vs->port);
		VISIT(vs->quorum_down, "virtual_server %s %u quorum_down", a, vs->port);
		for (j = 0; j < vs->n_rs; j++) {
			const struct cfg_real_server *rs = &vs->rs[j];

			cfg_addr_str(&rs->addr, a, sizeof(a));
			VISIT(rs->notify_up, "real_server %s %u notify_up", a, rs->port);
			VISIT(rs->notify_down, "real_server %s %u notify_down", a, rs->port);
			for (k = 0; k < rs->n_checks; k++)
				VISIT(rs->checks[k].misc_path, "real_server %s %u misc_path", a,
				      rs->port);
		}
	}
#undef VISIT
	return r;
}

static int any_cmd(const struct cfg_cmd *cmd, const char *who, void *arg)
{
	return 1;
}

bool cfg_has_scripts(const struct cfg *c)
{
	return cfg_for_each_cmd(c, any_cmd, NULL);
}

/* A command named by its path must be there to run: say so now rather
 * than at its first failure (keepalived warns too). PATH lookups are left
 * to run time, and so is a path we may not look into (the script user
 * may). */
static int check_cmd(const struct cfg_cmd *cmd, const char *who, void *arg)
{
	const char *why = NULL;
	struct cfg *c = arg;
	struct stat st;

	if (!strchr(cmd->argv[0], '/'))
		return 0;
	if (stat(cmd->argv[0], &st))
		why = errno == EACCES ? NULL : strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (!(st.st_mode & 0111))
		why = "not executable";
	if (why) {
		pr_warn("%s: %s: %s (it fails until that changes)", who, cmd->argv[0], why);
		c->n_warnings++;
	}
	return 0;
}

void cfg_check_commands(struct cfg *c)
{
	cfg_for_each_cmd(c, check_cmd, c);
}

bool cfg_inst_owns(const struct cfg_vrrp_instance *in, const struct cfg_addr *vip)
{
	int i;

	for (i = 0; i < cfg_inst_n_addrs(in); i++)
		if (cfg_addr_eq(&cfg_inst_addr(in, i)->addr, vip))
			return true;
	return false;
}

bool cfg_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	if (a->family != b->family)
		return false;
	return !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

bool cfg_url_status_ok(const struct cfg_url *u, int status)
{
	int i;

	if (!u->n_status)
		return status >= 200 && status < 300;
	for (i = 0; i < u->n_status; i++)
		if (status >= u->status[i].lo && status <= u->status[i].hi)
			return true;
	return false;
}

const char *cfg_url_status_str(const struct cfg_url *u, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	snprintf(buf, len, "%s", u->n_status ? "" : "2xx");
	for (i = 0; i < u->n_status && off < len; i++)
		off += snprintf(buf + off, len - off, u->status[i].lo == u->status[i].hi ?
				"%s%u" : "%s%u-%u", i ? " " : "", u->status[i].lo,
				u->status[i].hi);
	return buf;
}

const char *cfg_addr_str(const struct cfg_addr *a, char *buf, size_t len)
{
	if (!len)
		return "";
	if (a->family != AF_INET && a->family != AF_INET6)
		snprintf(buf, len, "-");
	else if (!inet_ntop(a->family, a->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

bool cfg_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* ---- command lines ---- */

static int cmd_push(struct cfg_cmd *c, const char *w, size_t len)
{
	char **argv = realloc(c->argv, (c->argc + 2) * sizeof(*argv));

	if (!argv)
		return -ENOMEM;
	c->argv = argv;
	argv[c->argc] = strndup(w, len);
	if (!argv[c->argc])
		return -ENOMEM;
	argv[++c->argc] = NULL;
	return 0;
}

static bool cmd_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One word from *pp into W (which has room for all of the input). */
static int cmd_word(const char **pp, char *w, size_t *wl, bool *shell)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p && !cmd_blank(*p)) {
		char c = *p++;

		if (c == '\'') {
			while (*p && *p != '\'')
				w[n++] = *p++;
			if (!*p++)
				return -EINVAL;
		} else if (c == '"') {
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
					p++;
				w[n++] = *p++;
			}
			if (!*p++)
				return -EINVAL;
		} else if (c == '\\') {
			if (*p)
				w[n++] = *p++;
		} else {
			if (strchr("|&;<>()$`", c))
				*shell = true;
			w[n++] = c;
		}
	}
	*pp = p;
	*wl = n;
	return 0;
}

int cfg_cmd_append(struct cfg_cmd *c, const char *s, bool *shell)
{
	char *w = malloc(strlen(s) + 1);
	const char *p = s;
	int err = 0;
	size_t wl;

	if (!w)
		return -ENOMEM;
	for (;;) {
		while (cmd_blank(*p))
			p++;
		if (!*p)
			break;
		err = cmd_word(&p, w, &wl, shell);
		if (!err)
			err = cmd_push(c, w, wl);
		if (err)
			break;
	}
	free(w);
	return err;
}

void cfg_cmd_free(struct cfg_cmd *c)
{
	int k;

	for (k = 0; k < c->argc; k++)
		free(c->argv[k]);
	free(c->argv);
	c->argv = NULL;
	c->argc = 0;
}

/* ---- freeing ---- */

static void check_free(struct cfg_check *ck)
{
	int k;

	for (k = 0; k < ck->n_urls; k++) {
		free(ck->urls[k].path);
		free(ck->urls[k].digest);
	}
	free(ck->urls);
	free(ck->virtualhost);
	cfg_cmd_free(&ck->misc_path);
}

static void rs_free(struct cfg_real_server *rs)
{
	int k;

	cfg_cmd_free(&rs->notify_up);
	cfg_cmd_free(&rs->notify_down);
	for (k = 0; k < rs->n_checks; k++)
		check_free(&rs->checks[k]);
	free(rs->checks);
}

static void vs_free(struct cfg_virtual_server *vs)
{
	int k;

	cfg_cmd_free(&vs->quorum_up);
	cfg_cmd_free(&vs->quorum_down);
	for (k = 0; k < vs->n_rs; k++)
		rs_free(&vs->rs[k]);
	free(vs->rs);
}

static void instance_free(struct cfg_vrrp_instance *in)
{
	int k;

	free(in->vips);
	free(in->vips_excluded);
	free(in->unicast_peers);
	free(in->track_if);
	free(in->track_scripts);
	for (k = 0; k < in->n_track_vs; k++)
		free(in->track_vs[k]);
	free(in->track_vs);
	cfg_cmd_free(&in->notify_master);
	cfg_cmd_free(&in->notify_backup);
	cfg_cmd_free(&in->notify_fault);
	cfg_cmd_free(&in->notify_stop);
	cfg_cmd_free(&in->notify);
}

static void sync_group_free(struct cfg_sync_group *g)
{
	free(g->members);
	cfg_cmd_free(&g->notify_master);
	cfg_cmd_free(&g->notify_backup);
	cfg_cmd_free(&g->notify_fault);
	cfg_cmd_free(&g->notify);
}

void cfg_free(struct cfg *c)
{
	int k;

	if (!c)
		return;
	for (k = 0; k < c->n_scripts; k++)
		cfg_cmd_free(&c->scripts[k].cmd);
	free(c->scripts);
	for (k = 0; k < c->n_instances; k++)
		instance_free(&c->instances[k]);
	free(c->instances);
	for (k = 0; k < c->n_sync_groups; k++)
		sync_group_free(&c->sync_groups[k]);
	free(c->sync_groups);
	for (k = 0; k < c->n_vs; k++)
		vs_free(&c->vs[k]);
	free(c->vs);
	free(c->path);
	free(c);
}
