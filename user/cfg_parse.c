// SPDX-License-Identifier: GPL-2.0
/*
 * keepalived.conf parser and validator: turns the token stream of
 * cfg_lex.c into a struct cfg.
 *
 * A block is read statement by statement; a statement is a keyword and
 * the words after it on its line, perhaps followed by a { } block. Each
 * block kind has a keyword table (name -> handler, the number of values
 * it takes, whether it has a block); generic handlers store integers,
 * timers, flags, strings, addresses and commands at an offset in the
 * object being filled, so most keywords are one table line.
 *
 * Every problem is reported with its file and line and parsing goes on at
 * the next statement, so one run shows all of them (up to CFG_MAX_ERRORS).
 * What needs the whole file (names used before they are defined, defaults
 * set in global_defs after the instances, duplicates) is checked at the
 * end, in validate().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_lex.h"
#include "lb_addr.h"
#include "lb_shared.h"
#include "log.h"

#define SEC(s)		((uint64_t)(s) * 1000000)
#define MSEC(ms)	((uint64_t)(ms) * 1000)
#define UNSET64		UINT64_MAX	/* "not configured here": inherit */
#define UNSET_U		UINT_MAX
#define VRRP_MAX_VIPS	255		/* the advert's 8-bit address count */

struct parser;
struct stmt;

typedef void (*kw_fn)(struct parser *p, const struct stmt *st, void *obj);

enum { KW_BLOCK = 1, KW_MAYBLOCK = 2 };

struct kw {
	const char *name;
	kw_fn fn;
	int8_t min, max;	/* values after the keyword; max -1 = any number */
	uint8_t flags;		/* KW_BLOCK: needs { }, KW_MAYBLOCK: may have one */
	uint16_t off, size;	/* the field a generic handler writes, in OBJ */
	long long lo, hi;	/* its range; timers in microseconds */
	const char *note;	/* why ignored/unsupported, or what the values are */
};

/* One statement: KW ARG... [ { ] */
struct stmt {
	const struct cfg_tok *kw;
	const struct cfg_tok *arg;	/* nargs words, right after kw */
	int nargs;
	const struct cfg_tok *open;	/* the { of its block, or NULL */
	const struct kw *k;
};

/* Names that can only be checked once everything is read. */
enum pend_kind { PEND_TRACK_SCRIPT, PEND_SG_MEMBER, PEND_TRACK_VS };

struct pending {
	enum pend_kind kind;
	int owner;			/* instance or sync group index */
	int idx;			/* track_scripts / track_vs index */
	char *name;
	const struct cfg_tok *at;
};

/* virtual_server_group: the (VIP, port) pairs that share one definition. */
struct vsg_entry {
	struct cfg_addr addr;
	uint16_t port;
};

struct vsg {
	char name[CFG_NAME_MAX];
	struct vsg_entry *e;
	int n;
	const struct cfg_tok *at;
};

/* "virtual_server group NAME { ... }": read once per entry of the group
 * after the whole file, since the group may be defined after it. */
struct vsg_use {
	struct stmt st;
	int body;			/* token index of the block's first token */
};

/* What validate() needs to know about an instance beyond struct cfg's fields. */
struct inst_aux {
	const struct cfg_tok *at;	/* its name */
	const struct cfg_tok *version;	/* "version N", or NULL */
	const struct cfg_tok *advert;	/* "advert_int T", or NULL */
	const struct cfg_tok *v6_vip;	/* first IPv6 virtual_ipaddress */
};

struct parser {
	struct cfg_lex lx;
	int pos;
	struct cfg *cfg;
	struct pending *pend;
	int n_pend;
	struct inst_aux *aux;		/* parallel to cfg->instances */
	int n_aux;
	const struct cfg_tok **script_at, **sg_at, **vs_at;
	int n_script_at, n_sg_at, n_vs_at;
	const struct cfg_tok *global_version;
	struct vsg *vsgs;
	int n_vsgs;
	struct vsg_use *vsg_uses;
	int n_vsg_uses;
};

/* ---- helpers ---- */

static void *push_elem(struct parser *p, void **arr, int *n, size_t size)
{
	char *a = realloc(*arr, (*n + 1) * size);

	if (!a) {
		p->lx.oom = true;
		return NULL;
	}
	*arr = a;
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

#define PUSH(p, arr, n) push_elem(p, (void **)&(arr), &(n), sizeof(*(arr)))

static char *xstrdup(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->lx.oom = true;
	return d;
}

#define err(p, t, ...)	cfg_error(&(p)->lx, t, __VA_ARGS__)
#define warn(p, t, ...)	cfg_warn(&(p)->lx, t, __VA_ARGS__)

static bool stop(struct parser *p)
{
	return p->lx.gave_up || p->lx.oom;
}

static const struct cfg_tok *tok(struct parser *p)
{
	return &p->lx.toks[p->pos];
}

static void advance(struct parser *p)
{
	if (tok(p)->type != TOK_EOF)
		p->pos++;
}

/* "line 12", or "other.conf:12" when T is in another file than REF. */
static const char *where_str(struct parser *p, const struct cfg_tok *t,
			     const struct cfg_tok *ref, char *buf, size_t len)
{
	if (t->file == ref->file)
		snprintf(buf, len, "line %d", t->line);
	else
		snprintf(buf, len, "%s:%d", p->lx.files[t->file], t->line);
	return buf;
}

static const char *family_str(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static bool copy_name(struct parser *p, const struct cfg_tok *t, const char *what,
		      char *dst, size_t size)
{
	if (strlen(t->text) >= size) {
		err(p, t, "%s '%.40s...' is too long (at most %zu characters)",
		    what, t->text, size - 1);
		return false;
	}
	if (!t->text[0]) {
		err(p, t, "%s is empty", what);
		return false;
	}
	strcpy(dst, t->text);
	return true;
}

/* Integer value of T in [lo, hi], or an error naming WHAT. */
static bool get_int(struct parser *p, const struct cfg_tok *t, const char *what,
		    long long lo, long long hi, long long *v)
{
	int e = cfg_parse_ll(t->text, v);

	if (e == -EINVAL) {
		err(p, t, "%s '%s' is not a number", what, t->text);
		return false;
	}
	if (e || *v < lo || *v > hi) {
		err(p, t, "%s %s out of range %lld%s%lld", what, t->text, lo,
		    lo < 0 ? " to " : "-", hi);
		return false;
	}
	return true;
}

static bool get_port(struct parser *p, const struct cfg_tok *t, const char *what,
		     uint16_t *port)
{
	long long v;

	if (!get_int(p, t, what, 1, 65535, &v))
		return false;
	*port = v;
	return true;
}

static bool get_addr(struct parser *p, const struct cfg_tok *t, const char *what,
		     struct cfg_addr *a)
{
	if (!cfg_parse_addr(t->text, a))
		return true;
	err(p, t, "%s '%s' is not an IP address", what, t->text);
	return false;
}

/* A VIP or real server must be a unicast address of some host. */
static bool usable_addr(struct parser *p, const struct cfg_tok *t, const char *what,
			const struct cfg_addr *a)
{
	const char *why = lb_addr_unusable(a->family, a->bytes);

	if (!why)
		return true;
	err(p, t, "%s %s %s", what, t->text, why);
	return false;
}

/* ---- statements and blocks ---- */

static void skip_block(struct parser *p, const struct cfg_tok *open)
{
	int depth = 1;

	for (;;) {
		const struct cfg_tok *t = tok(p);

		if (t->type == TOK_EOF) {
			if (!p->lx.truncated)
				err(p, open, "this '{' is never closed");
			return;
		}
		advance(p);
		if (t->type == TOK_OPEN)
			depth++;
		else if (t->type == TOK_CLOSE && !--depth)
			return;
	}
}

/* Reads a statement; the current token is a word. */
static void read_stmt(struct parser *p, struct stmt *st)
{
	int save;

	*st = (struct stmt){ .kw = tok(p) };
	advance(p);
	st->arg = tok(p);
	while (tok(p)->type == TOK_WORD) {
		advance(p);
		st->nargs++;
	}
	if (tok(p)->type == TOK_OPEN) {
		st->open = tok(p);
		advance(p);
		return;
	}
	if (tok(p)->type != TOK_EOL)
		return;		/* '}' ends a one-line block: leave it */
	/* a block may open on the next line, as in "real_server A P\n{" */
	save = p->pos;
	while (tok(p)->type == TOK_EOL)
		advance(p);
	if (tok(p)->type == TOK_OPEN) {
		st->open = tok(p);
		advance(p);
	} else {
		p->pos = save + 1;
	}
}

static const struct kw *kw_find(const struct kw *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

static void unknown_kw(struct parser *p, const struct stmt *st, const char *where)
{
	const char *w = st->kw->text;

	if (!strcmp(w, "include"))
		err(p, st->kw, "include must be the first word of its line");
	else if ((w[0] == '@' || w[0] == '$' || w[0] == '~') && !st->kw->quoted)
		err(p, st->kw, "'%s': conditional configuration and parameter "
		    "substitution are not supported", w);
	else if (where)
		err(p, st->kw, "unknown keyword '%s' in %s", w, where);
	else
		err(p, st->kw, "unknown keyword '%s' at top level", w);
}

static bool check_arity(struct parser *p, const struct stmt *st, const struct kw *table)
{
	const struct kw *k = st->k;

	if (st->nargs < k->min) {
		if ((k->flags & KW_BLOCK) && k->note)
			err(p, st->kw, "%s needs %s", k->name, k->note);
		else if (k->min == 1)
			err(p, st->kw, "%s needs a value", k->name);
		else
			err(p, st->kw, "%s needs %d values", k->name, k->min);
		return false;
	}
	if (k->max >= 0 && st->nargs > k->max) {
		const struct cfg_tok *x = &st->arg[k->max];

		err(p, x, "unexpected '%s' after %s%s", x->text, k->name,
		    !x->quoted && kw_find(table, x->text) ?
		    " (one statement per line, as keepalived reads them)" : "");
		return false;
	}
	return true;
}

static void dispatch(struct parser *p, struct stmt *st, const struct kw *table,
		     const char *where, void *obj)
{
	const struct kw *k = kw_find(table, st->kw->text);
	bool ok;

	if (!k || st->kw->quoted) {
		unknown_kw(p, st, where);
		goto skip;
	}
	st->k = k;
	if ((k->flags & KW_BLOCK) && !st->open) {
		err(p, st->kw, "%s needs a { } block", k->name);
		return;
	}
	ok = check_arity(p, st, table);
	if (ok && !(k->flags & (KW_BLOCK | KW_MAYBLOCK)) && st->open) {
		err(p, st->open, "%s takes no { } block", k->name);
		goto skip;
	}
	if (!ok)
		goto skip;
	k->fn(p, st, obj);
	if (k->flags & KW_BLOCK)
		return;		/* the handler read it */
skip:
	if (st->open)
		skip_block(p, st->open);
}

/*
 * Statements up to the '}' matching OPEN, or to the end of input for the
 * top level (OPEN == NULL). WHERE names the block in messages.
 */
static void parse_block(struct parser *p, const struct cfg_tok *open,
			const struct kw *table, const char *where, void *obj)
{
	struct stmt st;

	while (!stop(p)) {
		const struct cfg_tok *t = tok(p);

		switch (t->type) {
		case TOK_EOL:
			advance(p);
			break;
		case TOK_EOF:
			if (open && !p->lx.truncated)
				err(p, open, "the '{' of %s is never closed", where);
			return;
		case TOK_CLOSE:
			advance(p);
			if (open)
				return;
			err(p, t, "unexpected '}'");
			break;
		case TOK_OPEN:
			err(p, t, "unexpected '{'");
			advance(p);
			skip_block(p, t);
			break;
		case TOK_WORD:
			read_stmt(p, &st);
			dispatch(p, &st, table, where, obj);
			break;
		}
	}
}

typedef void (*entry_fn)(struct parser *p, const struct stmt *st, void *obj);

/* A block of lines that are values rather than keywords (addresses, names). */
static void parse_list(struct parser *p, const struct cfg_tok *open,
		       const char *where, entry_fn fn, void *obj)
{
	struct stmt st;

	while (!stop(p)) {
		const struct cfg_tok *t = tok(p);

		if (t->type == TOK_EOL) {
			advance(p);
		} else if (t->type == TOK_EOF) {
			if (!p->lx.truncated)
				err(p, open, "the '{' of %s is never closed", where);
			return;
		} else if (t->type == TOK_CLOSE) {
			advance(p);
			return;
		} else if (t->type == TOK_OPEN) {
			err(p, t, "unexpected '{' in %s", where);
			advance(p);
			skip_block(p, t);
		} else {
			read_stmt(p, &st);
			if (st.open) {
				err(p, st.open, "unexpected '{' in %s", where);
				skip_block(p, st.open);
			}
			fn(p, &st, obj);
		}
	}
}

/* ---- generic handlers ---- */

static void *field(void *obj, const struct kw *k)
{
	return (char *)obj + k->off;
}

static void store_int(void *f, size_t size, long long v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;
	uint64_t u64 = v;

	switch (size) {
	case 1: memcpy(f, &u8, 1); break;
	case 2: memcpy(f, &u16, 2); break;
	case 4: memcpy(f, &u32, 4); break;
	default: memcpy(f, &u64, 8); break;
	}
}

static void h_int(struct parser *p, const struct stmt *st, void *obj)
{
	long long v;

	if (get_int(p, st->arg, st->k->name, st->k->lo, st->k->hi, &v))
		store_int(field(obj, st->k), st->k->size, v);
}

static bool get_timer(struct parser *p, const struct cfg_tok *t, const struct kw *k,
		      uint64_t *us)
{
	char lo[32], hi[32];
	int e = cfg_parse_timer(t->text, us);

	if (e == -EINVAL) {
		err(p, t, "%s '%s' is not a time in seconds", k->name, t->text);
		return false;
	}
	if (e || *us < (uint64_t)k->lo || *us > (uint64_t)k->hi) {
		err(p, t, "%s %s out of range %s-%s", k->name, t->text,
		    cfg_fmt_timer(k->lo, lo, sizeof(lo)),
		    cfg_fmt_timer(k->hi, hi, sizeof(hi)));
		return false;
	}
	return true;
}

static void h_timer(struct parser *p, const struct stmt *st, void *obj)
{
	uint64_t us;

	if (get_timer(p, st->arg, st->k, &us))
		memcpy(field(obj, st->k), &us, sizeof(us));
}

/* "keyword" or "keyword <BOOL>" */
static bool get_flag(struct parser *p, const struct stmt *st, bool *v)
{
	*v = true;
	if (st->nargs && cfg_parse_bool(st->arg->text, v)) {
		err(p, st->arg, "%s '%s' is not one of on|off|true|false|yes|no",
		    st->k->name, st->arg->text);
		return false;
	}
	return true;
}

static void h_flag(struct parser *p, const struct stmt *st, void *obj)
{
	bool v;

	if (get_flag(p, st, &v))
		*(bool *)field(obj, st->k) = v;
}

static void h_str(struct parser *p, const struct stmt *st, void *obj)
{
	copy_name(p, st->arg, st->k->name, field(obj, st->k), st->k->size);
}

static void h_addr(struct parser *p, const struct stmt *st, void *obj)
{
	get_addr(p, st->arg, st->k->name, field(obj, st->k));
}

static void set_cmd(struct parser *p, const struct stmt *st, struct cfg_cmd *cmd,
		    int nwords)
{
	bool shell = false;
	int k, e = 0;

	cfg_cmd_free(cmd);
	for (k = 0; k < nwords && !e; k++)
		e = cfg_cmd_append(cmd, st->arg[k].text, &shell);
	if (e == -ENOMEM)
		p->lx.oom = true;
	if (e == -EINVAL)
		err(p, st->arg, "%s: unbalanced quotes in '%s'", st->k->name,
		    st->arg[k - 1].text);
	else if (!e && !cmd->argc)
		err(p, st->kw, "%s needs a command", st->k->name);
	else if (!e && shell)
		warn(p, st->kw, "%s looks like shell syntax, but lbctl runs "
		     "commands without a shell: use \"/bin/sh -c '...'\"", st->k->name);
	if (e || !cmd->argc)
		cfg_cmd_free(cmd);
}

/* notify_* and quorum_*: "COMMAND" [user [group]] */
static void h_cmd(struct parser *p, const struct stmt *st, void *obj)
{
	set_cmd(p, st, field(obj, st->k), 1);
	if (st->nargs > 1)
		warn(p, &st->arg[1], "%s: running it as user '%s' is not supported, "
		     "scripts run as script_user", st->k->name, st->arg[1].text);
}

/* script, misc_path: every word is part of the command */
static void h_cmd_words(struct parser *p, const struct stmt *st, void *obj)
{
	set_cmd(p, st, field(obj, st->k), st->nargs);
}

static void h_ignore(struct parser *p, const struct stmt *st, void *obj)
{
	warn(p, st->kw, "'%s' ignored: %s", st->k->name, st->k->note);
}

static void h_unsupported(struct parser *p, const struct stmt *st, void *obj)
{
	err(p, st->kw, "%s is not supported: %s", st->k->name, st->k->note);
}

static void h_noop(struct parser *p, const struct stmt *st, void *obj)
{
}

#define FLD(type, m)	.off = offsetof(type, m), .size = sizeof(((type *)0)->m)
#define INT(n, type, m, l, h) \
	{ .name = n, .fn = h_int, .min = 1, .max = 1, FLD(type, m), .lo = l, .hi = h }
#define TIMER(n, type, m, l, h) \
	{ .name = n, .fn = h_timer, .min = 1, .max = 1, FLD(type, m), .lo = l, .hi = h }
#define FLAG(n, type, m) \
	{ .name = n, .fn = h_flag, .min = 0, .max = 1, FLD(type, m) }
#define STR(n, type, m) \
	{ .name = n, .fn = h_str, .min = 1, .max = 1, FLD(type, m) }
#define ADDR(n, type, m) \
	{ .name = n, .fn = h_addr, .min = 1, .max = 1, FLD(type, m) }
#define CMD(n, type, m) \
	{ .name = n, .fn = h_cmd, .min = 1, .max = 3, FLD(type, m) }
#define CMDW(n, type, m) \
	{ .name = n, .fn = h_cmd_words, .min = 1, .max = -1, FLD(type, m) }
#define FN(n, f, mn, mx) \
	{ .name = n, .fn = f, .min = mn, .max = mx }
#define BLOCK(n, f, mn, mx, usage) \
	{ .name = n, .fn = f, .min = mn, .max = mx, .flags = KW_BLOCK, .note = usage }
#define IGNORE(n, why) \
	{ .name = n, .fn = h_ignore, .min = 0, .max = -1, .flags = KW_MAYBLOCK, .note = why }
#define UNSUPP(n, why) \
	{ .name = n, .fn = h_unsupported, .min = 0, .max = -1, .flags = KW_MAYBLOCK, .note = why }

#define N_MAIL		"lbctl sends no mail"
#define N_SNMP		"lbctl has no SNMP agent"
#define N_DBUS		"lbctl has no D-Bus interface"
#define N_NONE		"it has no effect in lbctl"
#define N_IPVS		"lbctl does not use IPVS"
#define N_FIFO		"lbctl has no notify FIFOs, use notify scripts"
#define N_USER		"scripts run as the global script_user"
#define N_SCHED		"Maglev takes no scheduler flags"
#define N_TRACK		"track with a vrrp_script instead"

/* ---- global_defs ---- */

static void h_mcast4(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_global *g = obj;
	struct cfg_addr a;

	if (!get_addr(p, st->arg, st->k->name, &a))
		return;
	if (a.family != AF_INET || (a.bytes[0] & 0xf0) != 0xe0) {
		err(p, st->arg, "vrrp_mcast_group4 %s is not an IPv4 multicast address",
		    st->arg->text);
		return;
	}
	g->mcast_group4 = a.v4;
}

static void h_mcast6(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_global *g = obj;
	struct cfg_addr a;

	if (!get_addr(p, st->arg, st->k->name, &a))
		return;
	/* adverts never leave the link: ffX2::/16 only, as keepalived requires */
	if (a.family != AF_INET6 || a.bytes[0] != 0xff || (a.bytes[1] & 0x0f) != 2) {
		err(p, st->arg, "vrrp_mcast_group6 %s is not a link-local IPv6 "
		    "multicast address (ff02::/16)", st->arg->text);
		return;
	}
	g->mcast_group6 = a.v6;
}

static void h_script_user(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_global *g = obj;

	copy_name(p, st->arg, "script_user", g->script_user, sizeof(g->script_user));
	if (st->nargs > 1)
		copy_name(p, &st->arg[1], "script_user group", g->script_group,
			  sizeof(g->script_group));
}

static void h_vrrp_version(struct parser *p, const struct stmt *st, void *obj)
{
	h_int(p, st, obj);
	p->global_version = st->kw;
}

/* vrrp_strict: what keepalived's strict mode does to the adverts lbctl
 * does too (no authentication); its other checks are not made. */
static void h_vrrp_strict(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_global *g = obj;

	if (get_flag(p, st, &g->vrrp_strict) && g->vrrp_strict)
		warn(p, st->kw, "vrrp_strict: authentication is ignored, as in keepalived; "
		     "strict mode's other checks (address lists, unicast, VIP filtering) "
		     "are not made");
}

/* vrrp_garp_interval / vrrp_gna_interval: 0 (common in shipped configs) is
 * what lbctl does, a burst back to back; another gap is not kept. */
static void h_burst_interval(struct parser *p, const struct stmt *st, void *obj)
{
	if (strspn(st->arg->text, "0.") != strlen(st->arg->text))
		warn(p, st->kw, "'%s %s' ignored: lbctl sends a burst's gratuitous "
		     "ARPs/NAs back to back", st->k->name, st->arg->text);
}

/* vrrp_min_garp: one gratuitous ARP/NA, no second burst */
static void h_min_garp(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_global *g = obj;
	bool v;

	if (get_flag(p, st, &v) && v) {
		g->garp_master_repeat = 1;
		g->garp_master_delay_us = 0;
	}
}

/* lvs_timeouts [tcp N] [tcpfin N] [udp N], in any order, as keepalived */
static void h_lvs_timeouts(struct parser *p, const struct stmt *st, void *obj)
{
	static const char *const names[] = { "tcp", "tcpfin", "udp" };
	struct cfg_global *g = obj;
	uint32_t *vals[] = { &g->lvs_tcp_s, &g->lvs_tcpfin_s, &g->lvs_udp_s };
	char what[32];
	long long v;
	int i, k;

	for (i = 0; i < st->nargs; i += 2) {
		for (k = 0; k < 3 && strcmp(st->arg[i].text, names[k]); k++)
			;
		if (k == 3) {
			err(p, &st->arg[i], "lvs_timeouts: '%s' is not tcp, tcpfin or udp",
			    st->arg[i].text);
			return;
		}
		if (i + 1 == st->nargs) {
			err(p, &st->arg[i], "lvs_timeouts: %s needs a number of seconds",
			    names[k]);
			return;
		}
		snprintf(what, sizeof(what), "lvs_timeouts %s", names[k]);
		/* keepalived's bound: 31 days */
		if (!get_int(p, &st->arg[i + 1], what, 0, 31 * 86400, &v))
			return;
		*vals[k] = (uint32_t)v;
	}
}

#define G struct cfg_global
static const struct kw global_kw[] = {
	STR("router_id", G, router_id),
	FN("vrrp_mcast_group4", h_mcast4, 1, 1),
	FN("vrrp_mcast_group6", h_mcast6, 1, 1),
	FN("script_user", h_script_user, 1, 2),
	FLAG("enable_script_security", G, enable_script_security),
	{ .name = "vrrp_version", .fn = h_vrrp_version, .min = 1, .max = 1,
	  FLD(G, vrrp_version), .lo = 2, .hi = 3 },
	FN("vrrp_strict", h_vrrp_strict, 0, 1),
	TIMER("vrrp_garp_master_delay", G, garp_master_delay_us, 0, SEC(1000)),
	INT("vrrp_garp_master_repeat", G, garp_master_repeat, 1, 255),
	TIMER("vrrp_garp_master_refresh", G, garp_master_refresh_us, 0, SEC(86400)),
	INT("vrrp_garp_master_refresh_repeat", G, garp_master_refresh_repeat, 1, 255),
	FN("vrrp_min_garp", h_min_garp, 0, 1),
	STR("lbctl_textfile", G, textfile),
	TIMER("lbctl_textfile_interval", G, textfile_interval_us, MSEC(100), SEC(86400)),
	INT("lbctl_conn_max", G, conn_max, 1, 1 << 28),
	INT("lbctl_conn_rate", G, conn_rate, 0, 100000000),
	INT("lbctl_max_services", G, max_services, 1, 65536),
	INT("lbctl_max_backends", G, max_backends, 1, 1 << 20),

	IGNORE("notification_email", N_MAIL),
	IGNORE("notification_email_from", N_MAIL),
	IGNORE("smtp_server", N_MAIL),
	IGNORE("smtp_helo_name", N_MAIL),
	IGNORE("smtp_connect_timeout", N_MAIL),
	IGNORE("smtp_alert", N_MAIL),
	IGNORE("smtp_alert_vrrp", N_MAIL),
	IGNORE("smtp_alert_checker", N_MAIL),
	IGNORE("no_email_faults", N_MAIL),
	IGNORE("no_checker_emails", N_MAIL),
	IGNORE("email_faults", N_MAIL),
	IGNORE("snmp_socket", N_SNMP),
	IGNORE("enable_snmp_vrrp", N_SNMP),
	IGNORE("enable_snmp_checker", N_SNMP),
	IGNORE("enable_snmp_rfc", N_SNMP),
	IGNORE("enable_snmp_rfcv2", N_SNMP),
	IGNORE("enable_snmp_rfcv3", N_SNMP),
	IGNORE("enable_snmp_keepalived", N_SNMP),
	IGNORE("enable_traps", N_SNMP),
	IGNORE("enable_dbus", N_DBUS),
	IGNORE("dbus_service_name", N_DBUS),

	/* lbctl never compares advertised address lists: what this asks for */
	FN("vrrp_skip_check_adv_addr", h_noop, 0, 1),
	IGNORE("vrrp_check_unicast_src", N_NONE),
	FN("vrrp_garp_interval", h_burst_interval, 1, 1),
	FN("vrrp_gna_interval", h_burst_interval, 1, 1),
	IGNORE("vrrp_garp_lower_prio_delay", N_NONE),
	IGNORE("vrrp_garp_lower_prio_repeat", N_NONE),
	IGNORE("vrrp_garp_extra_if", N_NONE),
	IGNORE("vrrp_lower_prio_no_advert", N_NONE),
	IGNORE("vrrp_higher_prio_send_advert", N_NONE),
	IGNORE("vrrp_down_timer_adverts", N_NONE),
	IGNORE("vrrp_startup_delay", N_NONE),
	IGNORE("vrrp_notify_priority_changes", N_NONE),
	IGNORE("vrrp_iptables", N_NONE),
	IGNORE("vrrp_ipsets", N_NONE),
	IGNORE("nftables", N_NONE),
	IGNORE("nftables_priority", N_NONE),
	IGNORE("nftables_counters", N_NONE),
	IGNORE("nftables_ifindex", N_NONE),
	IGNORE("disable_local_igmp", N_NONE),
	IGNORE("max_auto_priority", N_NONE),
	IGNORE("min_auto_priority_delay", N_NONE),
	IGNORE("vrrp_no_swap", N_NONE),
	IGNORE("checker_no_swap", N_NONE),
	IGNORE("bfd_no_swap", N_NONE),
	IGNORE("vrrp_priority", N_NONE),
	IGNORE("checker_priority", N_NONE),
	IGNORE("bfd_priority", N_NONE),
	IGNORE("vrrp_rt_priority", N_NONE),
	IGNORE("checker_rt_priority", N_NONE),
	IGNORE("bfd_rt_priority", N_NONE),
	IGNORE("vrrp_cpu_affinity", N_NONE),
	IGNORE("checker_cpu_affinity", N_NONE),
	IGNORE("bfd_cpu_affinity", N_NONE),
	IGNORE("vrrp_rlimit_rttime", N_NONE),
	IGNORE("checker_rlimit_rttime", N_NONE),
	IGNORE("bfd_rlimit_rttime", N_NONE),
	IGNORE("vrrp_netlink_cmd_rcv_bufs", N_NONE),
	IGNORE("vrrp_netlink_cmd_rcv_bufs_force", N_NONE),
	IGNORE("vrrp_netlink_monitor_rcv_bufs", N_NONE),
	IGNORE("vrrp_netlink_monitor_rcv_bufs_force", N_NONE),
	IGNORE("vrrp_rx_bufs_policy", N_NONE),
	IGNORE("vrrp_rx_bufs_multiplier", N_NONE),
	IGNORE("process_monitor_rcv_bufs", N_NONE),
	IGNORE("process_monitor_rcv_bufs_force", N_NONE),
	IGNORE("process_names", N_NONE),
	IGNORE("process_name", N_NONE),
	IGNORE("vrrp_process_name", N_NONE),
	IGNORE("checker_process_name", N_NONE),
	IGNORE("bfd_process_name", N_NONE),
	IGNORE("checker_log_all_failures", N_NONE),
	IGNORE("rs_init_notifies", N_NONE),
	IGNORE("dynamic_interfaces", N_NONE),
	IGNORE("log_unknown_vrids", N_NONE),
	IGNORE("default_interface", N_NONE),
	IGNORE("linkbeat_use_polling", N_NONE),
	IGNORE("umask", N_NONE),
	IGNORE("child_wait_time", N_NONE),
	IGNORE("tmp_config_directory", N_NONE),
	IGNORE("config_save_dir", N_NONE),
	IGNORE("reload_check_config", N_NONE),
	IGNORE("reload_time_file", N_NONE),
	IGNORE("reload_repeat", N_NONE),
	IGNORE("reload_file", N_NONE),
	IGNORE("data_use_instance", N_NONE),
	IGNORE("random_seed", N_NONE),
	IGNORE("include_check", N_NONE),
	IGNORE("vmac_prefix", N_NONE),
	IGNORE("vmac_addr_prefix", N_NONE),
	IGNORE("startup_script", N_NONE),
	IGNORE("startup_script_timeout", N_NONE),
	IGNORE("shutdown_script", N_NONE),
	IGNORE("shutdown_script_timeout", N_NONE),
	IGNORE("fifo_write_vrrp_states_on_reload", N_FIFO),
	IGNORE("notify_fifo", N_FIFO),
	IGNORE("notify_fifo_script", N_FIFO),
	IGNORE("vrrp_notify_fifo", N_FIFO),
	IGNORE("vrrp_notify_fifo_script", N_FIFO),
	IGNORE("lvs_notify_fifo", N_FIFO),
	IGNORE("lvs_notify_fifo_script", N_FIFO),
	IGNORE("lvs_id", N_IPVS),
	IGNORE("lvs_flush", N_IPVS),
	IGNORE("lvs_flush_on_stop", N_IPVS),
	FN("lvs_timeouts", h_lvs_timeouts, 1, -1),
	IGNORE("lvs_sync_daemon", N_IPVS),
	IGNORE("lvs_netlink_cmd_rcv_bufs", N_IPVS),
	IGNORE("lvs_netlink_cmd_rcv_bufs_force", N_IPVS),
	IGNORE("lvs_netlink_monitor_rcv_bufs", N_IPVS),
	IGNORE("lvs_netlink_monitor_rcv_bufs_force", N_IPVS),
	IGNORE("nftables_ipvs", N_IPVS),
	IGNORE("nftables_ipvs_priority", N_IPVS),
	IGNORE("nftables_ipvs_start_fwmark", N_IPVS),
	UNSUPP("net_namespace", "run lbctl inside the namespace (ip netns exec)"),
	UNSUPP("net_namespace_ipvs", N_IPVS),
	{ 0 }
};
#undef G

/* ---- vrrp_script ---- */

/* weight N [reverse]: lbctl does not reverse */
static bool get_weight(struct parser *p, const struct cfg_tok *w, int n, int *i,
		       int *weight, const char *what)
{
	long long v;

	if (*i + 1 >= n) {
		err(p, &w[*i], "weight needs a value");
		*i = n;
		return false;
	}
	if (!get_int(p, &w[*i + 1], what, -253, 253, &v)) {
		*i += 2;
		return false;
	}
	*weight = v;
	*i += 2;
	if (*i < n && !strcmp(w[*i].text, "reverse")) {
		err(p, &w[*i], "%s: reverse is not supported", what);
		(*i)++;
		return false;
	}
	if (*i < n && (!strcmp(w[*i].text, "noreverse") || !strcmp(w[*i].text, "no_reverse")))
		(*i)++;
	return true;
}

static void h_script_weight(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_vrrp_script *s = obj;
	int i = 0;

	get_weight(p, st->kw, st->nargs + 1, &i, &s->weight, "weight");
}

#define S struct cfg_vrrp_script
static const struct kw script_kw[] = {
	CMDW("script", S, cmd),
	TIMER("interval", S, interval_us, MSEC(10), SEC(86400)),
	TIMER("timeout", S, timeout_us, MSEC(10), SEC(86400)),
	FN("weight", h_script_weight, 1, 2),
	INT("rise", S, rise, 1, 1000000),
	INT("fall", S, fall, 1, 1000000),
	IGNORE("user", N_USER),
	IGNORE("init_fail", N_NONE),
	{ 0 }
};
#undef S

static void h_vrrp_script(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg *c = p->cfg;
	struct cfg_vrrp_script s = {
		.interval_us = SEC(1), .timeout_us = UNSET64, .rise = 1, .fall = 1,
		.line = st->kw->line,
	};
	struct cfg_vrrp_script *slot = PUSH(p, c->scripts, c->n_scripts);
	const struct cfg_tok **at = PUSH(p, p->script_at, p->n_script_at);

	if (!slot || !at)
		return;
	*at = st->arg;
	copy_name(p, st->arg, "vrrp_script name", s.name, sizeof(s.name));
	parse_block(p, st->open, script_kw, "vrrp_script", &s);
	if (!s.cmd.argc)
		err(p, st->kw, "vrrp_script %s has no script", st->arg->text);
	if (s.timeout_us == UNSET64)
		s.timeout_us = s.interval_us;
	c->scripts[c->n_scripts - 1] = s;
}

/* ---- vrrp_instance ---- */

struct inst_ctx {
	struct cfg_vrrp_instance in;
	struct inst_aux aux;
	int idx;
	bool auth_pass_type;			/* auth_type PASS seen */
	const struct cfg_tok *auth_pass;	/* auth_pass seen */
	const struct cfg_tok *auth_type;
	bool has_if, has_vrid;			/* given, even if wrongly */
};

static void h_interface(struct parser *p, const struct stmt *st, void *obj)
{
	((struct inst_ctx *)obj)->has_if = true;
	h_str(p, st, obj);
}

static void h_vrid(struct parser *p, const struct stmt *st, void *obj)
{
	((struct inst_ctx *)obj)->has_vrid = true;
	h_int(p, st, obj);
}

static void h_state(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;

	if (!strcasecmp(st->arg->text, "MASTER"))
		c->in.state_master = true;
	else if (!strcasecmp(st->arg->text, "BACKUP"))
		c->in.state_master = false;
	else
		err(p, st->arg, "state %s: use MASTER or BACKUP", st->arg->text);
}

static void h_version(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;

	h_int(p, st, obj);
	c->aux.version = st->arg;
}

static void h_advert(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;

	h_timer(p, st, obj);
	c->aux.advert = st->arg;
}

static void h_checksum(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;

	if (!strcmp(st->arg->text, "pseudo"))
		c->in.cksum_form = VRRP_CKSUM_PSEUDO;
	else if (!strcmp(st->arg->text, "no_pseudo"))
		c->in.cksum_form = VRRP_CKSUM_NO_PSEUDO;
	else
		err(p, st->arg, "lbctl_checksum %s: use pseudo or no_pseudo",
		    st->arg->text);
}

static void h_auth_type(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;

	c->auth_type = st->arg;
	if (!strcmp(st->arg->text, "PASS"))
		c->auth_pass_type = true;
	else if (!strcmp(st->arg->text, "AH"))
		err(p, st->arg, "auth_type AH is not supported: use PASS, or none");
	else
		err(p, st->arg, "auth_type %s: use PASS", st->arg->text);
}

static void h_auth_pass(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;
	size_t max = sizeof(c->in.auth_pass) - 1;

	c->auth_pass = st->arg;
	if (!st->arg->text[0]) {
		err(p, st->arg, "auth_pass is empty");
		return;
	}
	/* VRRPv2 carries 8 bytes; keepalived cuts longer passwords the same way */
	if (strlen(st->arg->text) > max)
		warn(p, st->arg, "auth_pass is longer than %zu characters, "
		     "only the first %zu are used", max, max);
	snprintf(c->in.auth_pass, sizeof(c->in.auth_pass), "%s", st->arg->text);
}

static const struct kw auth_kw[] = {
	FN("auth_type", h_auth_type, 1, 1),
	FN("auth_pass", h_auth_pass, 1, 1),
	{ 0 }
};

static void h_auth(struct parser *p, const struct stmt *st, void *obj)
{
	parse_block(p, st->open, auth_kw, "authentication", obj);
}

/*
 * ADDR[/PREFIX] of a virtual_ipaddress line: 0 and *V filled, 1 if T is
 * not an address at all, -1 after reporting a bad prefix.
 */
static int parse_vip(struct parser *p, const struct cfg_tok *t, struct cfg_vip_addr *v)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(t->text, '/');
	size_t alen = slash ? (size_t)(slash - t->text) : strlen(t->text);
	long long pfx;
	int max;

	if (alen >= sizeof(buf))
		return 1;
	memcpy(buf, t->text, alen);
	buf[alen] = '\0';
	*v = (struct cfg_vip_addr){ 0 };
	if (cfg_parse_addr(buf, &v->addr))
		return 1;
	max = v->addr.family == AF_INET ? 32 : 128;
	v->prefix = max;
	if (!slash)
		return 0;
	if (cfg_parse_ll(slash + 1, &pfx) || pfx < 1 || pfx > max) {
		err(p, t, "prefix of %s out of range 1-%d", t->text, max);
		return -1;
	}
	v->prefix = pfx;
	return 0;
}

static struct cfg_vip_addr *add_vip(struct parser *p, struct inst_ctx *c,
				    const struct cfg_tok *t,
				    const struct cfg_vip_addr *v, bool excl)
{
	struct cfg_vip_addr *list = excl ? c->in.vips_excluded : c->in.vips;
	int n = excl ? c->in.n_vips_excluded : c->in.n_vips;
	const char *what = excl ? "virtual_ipaddress_excluded" : "virtual_ipaddress";
	char a[INET6_ADDRSTRLEN];
	int k;

	for (k = 0; k < c->in.n_vips + c->in.n_vips_excluded; k++) {
		const struct cfg_vip_addr *o = k < c->in.n_vips ? &c->in.vips[k] :
			&c->in.vips_excluded[k - c->in.n_vips];

		/* keepalived's own samples do this; the first one counts */
		if (cfg_addr_eq(&o->addr, &v->addr)) {
			warn(p, t, "%s %s is listed twice, the second is ignored", what,
			     cfg_addr_str(&v->addr, a, sizeof(a)));
			return NULL;
		}
	}
	if (!excl && n && list[0].addr.family != v->addr.family) {
		err(p, t, "virtual_ipaddress %s is %s but the first one is %s: one "
		    "family per vrrp_instance (put others in virtual_ipaddress_excluded)",
		    cfg_addr_str(&v->addr, a, sizeof(a)), family_str(v->addr.family),
		    family_str(list[0].addr.family));
		return NULL;
	}
	if (!excl && v->addr.family == AF_INET6 && !c->aux.v6_vip)
		c->aux.v6_vip = t;
	list = excl ? PUSH(p, c->in.vips_excluded, c->in.n_vips_excluded) :
		      PUSH(p, c->in.vips, c->in.n_vips);
	if (list)
		*list = *v;
	return list;
}

/* Options after an address: dev IF, label L; the rest of ip-address(8) is warned about. */
static bool vip_option(struct parser *p, const struct cfg_tok *w, int n, int *i,
		       struct cfg_vip_addr *v, const char *what)
{
	static const char *const with_value[] = { "brd", "broadcast", "scope",
						  "preferred_lft", NULL };
	static const char *const flags[] = { "no_track", "home", "-nodad", "nodad",
		"mngtmpaddr", "noprefixroute", "autojoin", "use_vmac", NULL };
	const char *o = w[*i].text;
	bool is_dev = !strcmp(o, "dev"), is_label = !strcmp(o, "label");
	int k;

	if (is_dev || is_label || !strcmp(o, "brd") || !strcmp(o, "broadcast") ||
	    !strcmp(o, "scope") || !strcmp(o, "preferred_lft") || !strcmp(o, "peer")) {
		if (*i + 1 >= n) {
			err(p, &w[*i], "%s in %s needs a value", o, what);
			*i = n;
			return false;
		}
	}
	if (is_dev || is_label) {
		if (v)
			copy_name(p, &w[*i + 1], is_dev ? "dev" : "label",
				  is_dev ? v->dev : v->label, CFG_IFNAME_MAX);
		*i += 2;
		return true;
	}
	if (!strcmp(o, "peer")) {
		err(p, &w[*i], "%s: peer addresses are not supported", what);
		*i += 2;
		return false;
	}
	for (k = 0; with_value[k]; k++) {
		if (!strcmp(o, with_value[k])) {
			warn(p, &w[*i], "%s option '%s %s' ignored", what, o, w[*i + 1].text);
			*i += 2;
			return true;
		}
	}
	for (k = 0; flags[k]; k++) {
		if (!strcmp(o, flags[k])) {
			warn(p, &w[*i], "%s option '%s' ignored", what, o);
			(*i)++;
			return true;
		}
	}
	err(p, &w[*i], "unknown option '%s' in %s", o, what);
	*i = n;
	return false;
}

/*
 * One line of virtual_ipaddress: ADDR[/PREFIX] [dev IF] [label L] ...
 * A further address on the same line starts another entry, so that
 * "virtual_ipaddress { 10.0.0.10 10.0.0.11 }" means two.
 */
static void vip_line(struct parser *p, const struct stmt *st, struct inst_ctx *c, bool excl)
{
	const char *what = excl ? "virtual_ipaddress_excluded" : "virtual_ipaddress";
	const struct cfg_tok *w = st->kw;
	struct cfg_vip_addr *cur = NULL;
	int n = st->nargs + 1, i = 0;

	while (i < n) {
		struct cfg_vip_addr v;
		int r = parse_vip(p, &w[i], &v);

		if (r == 0) {
			cur = usable_addr(p, &w[i], what, &v.addr) ?
			      add_vip(p, c, &w[i], &v, excl) : NULL;
			i++;
		} else if (r < 0) {
			cur = NULL;
			i++;
		} else if (i == 0) {
			err(p, &w[0], "%s: '%s' is not an IP address", what, w[0].text);
			return;
		} else if (!vip_option(p, w, n, &i, cur, what)) {
			return;
		}
	}
}

static void vip_entry(struct parser *p, const struct stmt *st, void *obj)
{
	vip_line(p, st, obj, false);
}

static void evip_entry(struct parser *p, const struct stmt *st, void *obj)
{
	vip_line(p, st, obj, true);
}

static void h_vips(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "virtual_ipaddress", vip_entry, obj);
}

static void h_evips(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "virtual_ipaddress_excluded", evip_entry, obj);
}

/* unicast_peer { ADDR [min_ttl N] [max_ttl N] ... } */
static void peer_entry(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;
	const struct cfg_tok *w = st->kw;
	int n = st->nargs + 1, i, k;
	struct cfg_addr a, *slot;

	for (i = 0; i < n; i++) {
		if (!strcmp(w[i].text, "min_ttl") || !strcmp(w[i].text, "max_ttl")) {
			warn(p, &w[i], "unicast_peer option '%s' ignored", w[i].text);
			i++;
			continue;
		}
		if (!get_addr(p, &w[i], "unicast_peer", &a))
			return;
		for (k = 0; k < c->in.n_unicast_peers; k++)
			if (cfg_addr_eq(&c->in.unicast_peers[k], &a))
				break;
		if (k < c->in.n_unicast_peers) {
			warn(p, &w[i], "unicast_peer %s is listed twice", w[i].text);
			continue;
		}
		if (cfg_addr_eq(&c->in.unicast_src_ip, &a)) {
			warn(p, &w[i], "unicast_peer %s is this node's own unicast_src_ip, ignored",
			     w[i].text);
			continue;
		}
		slot = PUSH(p, c->in.unicast_peers, c->in.n_unicast_peers);
		if (slot)
			*slot = a;
	}
}

static void h_peers(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "unicast_peer", peer_entry, obj);
}

/* track_interface { IF [weight N] ... } */
static void track_if_entry(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;
	const struct cfg_tok *w = st->kw;
	int n = st->nargs + 1, i = 0, k;

	while (i < n) {
		struct cfg_track_if t = { 0 }, *slot;
		const struct cfg_tok *name = &w[i++];

		if (!copy_name(p, name, "track_interface", t.name, sizeof(t.name)))
			return;
		if (i < n && !strcmp(w[i].text, "weight") &&
		    !get_weight(p, w, n, &i, &t.weight, "track_interface weight"))
			return;
		for (k = 0; k < c->in.n_track_if; k++)
			if (!strcmp(c->in.track_if[k].name, t.name))
				break;
		if (k < c->in.n_track_if) {
			err(p, name, "track_interface %s is listed twice", t.name);
			continue;
		}
		slot = PUSH(p, c->in.track_if, c->in.n_track_if);
		if (slot)
			*slot = t;
	}
}

static void h_track_if(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "track_interface", track_if_entry, obj);
}

static void add_pending(struct parser *p, enum pend_kind kind, int owner, int idx,
			const struct cfg_tok *at)
{
	struct pending *pd = PUSH(p, p->pend, p->n_pend);

	if (!pd)
		return;
	*pd = (struct pending){ .kind = kind, .owner = owner, .idx = idx, .at = at,
				.name = xstrdup(p, at->text) };
}

static bool tracked_already(const struct parser *p, int owner, const char *name)
{
	int k;

	for (k = 0; k < p->n_pend; k++)
		if (p->pend[k].kind == PEND_TRACK_SCRIPT && p->pend[k].owner == owner &&
		    !strcmp(p->pend[k].name, name))
			return true;
	return false;
}

/* track_script { NAME [weight N] ... }: names resolved in validate() */
static void track_script_entry(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;
	const struct cfg_tok *w = st->kw;
	int n = st->nargs + 1, i = 0;

	while (i < n) {
		struct cfg_track_script t = { .script = -1 }, *slot;
		const struct cfg_tok *name = &w[i++];

		if (i < n && !strcmp(w[i].text, "weight")) {
			if (!get_weight(p, w, n, &i, &t.weight, "track_script weight"))
				return;
			t.weight_set = true;
		}
		if (tracked_already(p, c->idx, name->text)) {
			/* as keepalived: its weight would count twice */
			warn(p, name, "track_script %s is listed twice, the second is ignored",
			     name->text);
			continue;
		}
		slot = PUSH(p, c->in.track_scripts, c->in.n_track_scripts);
		if (!slot)
			return;
		*slot = t;
		add_pending(p, PEND_TRACK_SCRIPT, c->idx, c->in.n_track_scripts - 1, name);
	}
}

static void h_track_script(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "track_script", track_script_entry, obj);
}

/* track_vs { VIP PORT ... }: the instance fails when that service loses quorum */
static void track_vs_entry(struct parser *p, const struct stmt *st, void *obj)
{
	struct inst_ctx *c = obj;
	const struct cfg_tok *w = st->kw;
	int n = st->nargs + 1, i;

	for (i = 0; i < n; i += 2) {
		char a[INET6_ADDRSTRLEN], **slot;
		struct cfg_addr addr;
		uint16_t port;

		if (!get_addr(p, &w[i], "track_vs", &addr))
			return;
		if (i + 1 >= n) {
			err(p, &w[i], "track_vs %s needs a port", w[i].text);
			return;
		}
		if (!get_port(p, &w[i + 1], "track_vs port", &port))
			return;
		slot = PUSH(p, c->in.track_vs, c->in.n_track_vs);
		if (!slot)
			return;
		if (asprintf(slot, "%s %u", cfg_addr_str(&addr, a, sizeof(a)), port) < 0) {
			*slot = NULL;
			c->in.n_track_vs--;
			p->lx.oom = true;
			return;
		}
		add_pending(p, PEND_TRACK_VS, c->idx, c->in.n_track_vs - 1, &w[i]);
	}
}

static void h_track_vs(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "track_vs", track_vs_entry, obj);
}

#define I struct inst_ctx
static const struct kw instance_kw[] = {
	FN("state", h_state, 1, 1),
	{ .name = "interface", .fn = h_interface, .min = 1, .max = 1,
	  FLD(I, in.ifname) },
	{ .name = "virtual_router_id", .fn = h_vrid, .min = 1, .max = 1,
	  FLD(I, in.vrid), .lo = 1, .hi = 255 },
	INT("priority", I, in.priority, 1, 255),
	{ .name = "advert_int", .fn = h_advert, .min = 1, .max = 1,
	  FLD(I, in.advert_int_us), .lo = MSEC(10), .hi = SEC(255) },
	FLAG("nopreempt", I, in.nopreempt),
	FN("preempt", h_noop, 0, 0),
	TIMER("preempt_delay", I, in.preempt_delay_us, 0, SEC(1000)),
	BLOCK("authentication", h_auth, 0, 0, NULL),
	BLOCK("virtual_ipaddress", h_vips, 0, 0, NULL),
	BLOCK("virtual_ipaddress_excluded", h_evips, 0, 0, NULL),
	ADDR("mcast_src_ip", I, in.mcast_src_ip),
	ADDR("unicast_src_ip", I, in.unicast_src_ip),
	BLOCK("unicast_peer", h_peers, 0, 0, NULL),
	BLOCK("track_interface", h_track_if, 0, 0, NULL),
	BLOCK("track_script", h_track_script, 0, 0, NULL),
	BLOCK("track_vs", h_track_vs, 0, 0, NULL),
	BLOCK("lbctl_track_vs", h_track_vs, 0, 0, NULL),
	CMD("notify_master", I, in.notify_master),
	CMD("notify_backup", I, in.notify_backup),
	CMD("notify_fault", I, in.notify_fault),
	CMD("notify_stop", I, in.notify_stop),
	CMD("notify", I, in.notify),
	{ .name = "version", .fn = h_version, .min = 1, .max = 1,
	  FLD(I, in.version), .lo = 2, .hi = 3 },
	TIMER("garp_master_delay", I, in.garp_master_delay_us, 0, SEC(1000)),
	INT("garp_master_repeat", I, in.garp_master_repeat, 1, 255),
	TIMER("garp_master_refresh", I, in.garp_master_refresh_us, 0, SEC(86400)),
	INT("garp_master_refresh_repeat", I, in.garp_master_refresh_repeat, 1, 255),
	FN("lbctl_checksum", h_checksum, 1, 1),
	IGNORE("smtp_alert", N_MAIL),
	IGNORE("dont_track_primary", "lbctl always tracks the instance's interface"),
	IGNORE("use_vmac", "the VIPs use the interface's own MAC address"),
	IGNORE("vmac_xmit_base", "the VIPs use the interface's own MAC address"),
	IGNORE("use_vmac_addr", "the VIPs use the interface's own MAC address"),
	IGNORE("accept", N_NONE),
	IGNORE("no_accept", N_NONE),
	IGNORE("strict_mode", N_NONE),
	IGNORE("skip_check_adv_addr", N_NONE),
	IGNORE("check_unicast_src", "lbctl accepts adverts only from the unicast_peer list"),
	IGNORE("debug", N_NONE),
	IGNORE("native_ipv6", "the family comes from the virtual_ipaddress"),
	IGNORE("promote_secondaries", N_NONE),
	IGNORE("linkbeat_use_polling", N_NONE),
	IGNORE("kernel_rx_buf_size", N_NONE),
	IGNORE("notify_priority_changes", N_FIFO),
	IGNORE("notify_master_rx_lower_pri", N_NONE),
	IGNORE("notify_deleted", N_NONE),
	IGNORE("down_timer_adverts", N_NONE),
	IGNORE("garp_lower_prio_delay", N_NONE),
	IGNORE("garp_lower_prio_repeat", N_NONE),
	IGNORE("garp_extra_if", N_NONE),
	IGNORE("lower_prio_no_advert", N_NONE),
	IGNORE("higher_prio_send_advert", N_NONE),
	IGNORE("track_src_ip", N_NONE),
	IGNORE("unicast_ttl", N_NONE),
	IGNORE("unicast_fault_no_peer", N_NONE),
	IGNORE("old_unicast_checksum", "see lbctl_checksum"),
	IGNORE("lvs_sync_daemon_interface", N_IPVS),
	UNSUPP("use_ipvlan", "the VIPs go on the instance's interface"),
	UNSUPP("vrf", "lbctl runs in the default VRF"),
	UNSUPP("mcast_dst_ip", "adverts go to vrrp_mcast_group4/vrrp_mcast_group6"),
	UNSUPP("virtual_routes", "lbctl moves addresses, not routes"),
	UNSUPP("virtual_rules", "lbctl moves addresses, not rules"),
	UNSUPP("track_file", N_TRACK),
	UNSUPP("track_process", N_TRACK),
	UNSUPP("track_bfd", N_TRACK),
	{ 0 }
};
#undef I

static void auth_done(struct parser *p, struct inst_ctx *c)
{
	if (c->auth_pass_type && !c->auth_pass) {
		err(p, c->auth_type, "auth_type PASS needs an auth_pass");
	} else if (c->auth_pass && !c->auth_pass_type && !c->auth_type) {
		/* keepalived sends no password then either */
		warn(p, c->auth_pass, "auth_pass without auth_type PASS is ignored");
		c->in.auth_pass[0] = '\0';
	}
}

/* The instance's family: its VIPs', else its unicast or source addresses'. */
static int instance_family(const struct cfg_vrrp_instance *in)
{
	if (in->n_vips)
		return in->vips[0].addr.family;
	if (in->n_unicast_peers)
		return in->unicast_peers[0].family;
	if (in->unicast_src_ip.family)
		return in->unicast_src_ip.family;
	if (in->mcast_src_ip.family)
		return in->mcast_src_ip.family;
	return AF_INET;
}

static void check_family(struct parser *p, struct inst_ctx *c, const char *what,
			 const struct cfg_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family && a->family != c->in.family)
		err(p, c->aux.at, "vrrp_instance %s: %s %s is %s but the instance is %s",
		    c->in.name, what, cfg_addr_str(a, buf, sizeof(buf)),
		    family_str(a->family), family_str(c->in.family));
}

static void instance_done(struct parser *p, struct inst_ctx *c)
{
	struct cfg_vrrp_instance *in = &c->in;
	int k;

	auth_done(p, c);
	in->family = instance_family(in);
	check_family(p, c, "mcast_src_ip", &in->mcast_src_ip);
	check_family(p, c, "unicast_src_ip", &in->unicast_src_ip);
	for (k = 0; k < in->n_unicast_peers; k++)
		check_family(p, c, "unicast_peer", &in->unicast_peers[k]);
	if (!c->has_if)
		err(p, c->aux.at, "vrrp_instance %s has no interface", in->name);
	if (!c->has_vrid)
		err(p, c->aux.at, "vrrp_instance %s has no virtual_router_id", in->name);
	if (in->n_vips > VRRP_MAX_VIPS)
		err(p, c->aux.at, "vrrp_instance %s has %d virtual_ipaddress, an advert "
		    "carries at most %d (put the rest in virtual_ipaddress_excluded)",
		    in->name, in->n_vips, VRRP_MAX_VIPS);
	if (!in->n_vips)
		warn(p, c->aux.at, "vrrp_instance %s has no virtual_ipaddress", in->name);
	if (in->version == 2 && c->aux.v6_vip)
		err(p, c->aux.v6_vip, "IPv6 virtual_ipaddress %s needs VRRP version 3 "
		    "(vrrp_instance %s has version 2)", c->aux.v6_vip->text, in->name);
}

static void h_vrrp_instance(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg *cfg = p->cfg;
	struct inst_ctx c = {
		.in = {
			.priority = 100, .advert_int_us = SEC(1),
			.garp_master_delay_us = UNSET64, .garp_master_repeat = UNSET_U,
			.garp_master_refresh_us = UNSET64,
			.garp_master_refresh_repeat = UNSET_U,
			.cksum_form = VRRP_CKSUM_PSEUDO, .sync_group = -1,
			.line = st->kw->line,
		},
		.aux.at = st->arg,
		.idx = cfg->n_instances,
	};
	struct inst_aux *aux;

	if (!PUSH(p, cfg->instances, cfg->n_instances))
		return;
	aux = PUSH(p, p->aux, p->n_aux);
	if (!aux) {
		cfg->n_instances--;
		return;
	}
	copy_name(p, st->arg, "vrrp_instance name", c.in.name, sizeof(c.in.name));
	parse_block(p, st->open, instance_kw, "vrrp_instance", &c);
	instance_done(p, &c);
	cfg->instances[c.idx] = c.in;
	p->aux[c.idx] = c.aux;
}

/* ---- vrrp_sync_group ---- */

struct sg_ctx {
	struct cfg_sync_group g;
	int idx;
};

static void group_entry(struct parser *p, const struct stmt *st, void *obj)
{
	struct sg_ctx *c = obj;
	int k;

	for (k = 0; k <= st->nargs; k++)
		add_pending(p, PEND_SG_MEMBER, c->idx, 0, &st->kw[k]);
}

static void h_group(struct parser *p, const struct stmt *st, void *obj)
{
	parse_list(p, st->open, "group", group_entry, obj);
}

#define SG struct sg_ctx
static const struct kw sync_group_kw[] = {
	BLOCK("group", h_group, 0, 0, NULL),
	CMD("notify_master", SG, g.notify_master),
	CMD("notify_backup", SG, g.notify_backup),
	CMD("notify_fault", SG, g.notify_fault),
	CMD("notify", SG, g.notify),
	IGNORE("notify_stop", "put notify_stop in each vrrp_instance"),
	IGNORE("notify_deleted", N_NONE),
	IGNORE("notify_priority_changes", N_FIFO),
	IGNORE("smtp_alert", N_MAIL),
	IGNORE("global_tracking", N_NONE),
	IGNORE("sync_group_tracking_weight", N_NONE),
	UNSUPP("track_interface", "track in each vrrp_instance"),
	UNSUPP("track_script", "track in each vrrp_instance"),
	UNSUPP("track_file", N_TRACK),
	UNSUPP("track_process", N_TRACK),
	UNSUPP("track_bfd", N_TRACK),
	{ 0 }
};
#undef SG

static void h_sync_group(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg *cfg = p->cfg;
	struct sg_ctx c = { .g.line = st->kw->line, .idx = cfg->n_sync_groups };
	const struct cfg_tok **at;

	if (!PUSH(p, cfg->sync_groups, cfg->n_sync_groups))
		return;
	at = PUSH(p, p->sg_at, p->n_sg_at);
	if (!at) {
		cfg->n_sync_groups--;
		return;
	}
	*at = st->arg;
	copy_name(p, st->arg, "vrrp_sync_group name", c.g.name, sizeof(c.g.name));
	parse_block(p, st->open, sync_group_kw, "vrrp_sync_group", &c);
	cfg->sync_groups[c.idx] = c.g;
}

/* ---- health checkers ---- */

/* Checker settings a real_server or virtual_server gives its checkers. */
struct chk_defaults {
	uint64_t connect_timeout_us, delay_before_retry_us, delay_loop_us;
	unsigned int retry;
	char *virtualhost;
};

#define CHK_DEFAULTS_UNSET { UNSET64, UNSET64, UNSET64, UNSET_U, NULL }

static void chk_inherit(struct parser *p, struct cfg_check *ck, const struct chk_defaults *d)
{
	if (ck->connect_timeout_us == UNSET64)
		ck->connect_timeout_us = d->connect_timeout_us;
	if (ck->delay_before_retry_us == UNSET64)
		ck->delay_before_retry_us = d->delay_before_retry_us;
	if (ck->delay_loop_us == UNSET64)
		ck->delay_loop_us = d->delay_loop_us;
	if (ck->retry == UNSET_U)
		ck->retry = d->retry;
	if (!ck->virtualhost && d->virtualhost && ck->type == CHK_HTTP)
		ck->virtualhost = xstrdup(p, d->virtualhost);
}

/* Built-in defaults, as cfg.h documents them. */
/* keepalived's defaults: retry 1 (MISC_CHECK: 0), delay_before_retry 1 s
 * (HTTP_GET: 3 s), connect_timeout 5 s, delay_loop the virtual server's. */
static void chk_finish(struct cfg_check *ck, uint64_t vs_delay_loop)
{
	if (ck->connect_timeout_us == UNSET64)
		ck->connect_timeout_us = SEC(5);
	if (ck->delay_before_retry_us == UNSET64)
		ck->delay_before_retry_us = ck->type == CHK_HTTP ? SEC(3) : SEC(1);
	if (ck->delay_loop_us == UNSET64)
		ck->delay_loop_us = vs_delay_loop;
	if (ck->retry == UNSET_U)
		ck->retry = ck->type == CHK_MISC ? 0 : 1;
	if (ck->misc_timeout_us == UNSET64)
		ck->misc_timeout_us = ck->delay_loop_us;
}

struct url_ctx {
	struct cfg_url url;
	struct cfg_check *ck;
	bool has_path;		/* even a bad one: one message is enough */
};

static void h_url_path(struct parser *p, const struct stmt *st, void *obj)
{
	struct url_ctx *u = obj;

	u->has_path = true;
	if (st->arg->text[0] != '/') {
		err(p, st->arg, "url path '%s' must start with '/'", st->arg->text);
		return;
	}
	free(u->url.path);
	u->url.path = xstrdup(p, st->arg->text);
}

/* status_code 200-299 400-499 503 505: codes and ranges, as keepalived;
 * a second status_code line adds to the first. */
static void h_status_code(struct parser *p, const struct stmt *st, void *obj)
{
	struct url_ctx *u = obj;
	long long lo, hi;
	char word[32], *dash;
	int i;

	for (i = 0; i < st->nargs; i++) {
		const struct cfg_tok *t = &st->arg[i];
		struct cfg_tok part = *t;

		if (u->url.n_status == CFG_STATUS_MAX) {
			err(p, t, "status_code: more than %d codes and ranges", CFG_STATUS_MAX);
			return;
		}
		snprintf(word, sizeof(word), "%s", t->text);
		dash = strchr(word, '-');
		if (dash)
			*dash = '\0';
		part.text = word;
		if (!get_int(p, &part, "status_code", 100, 599, &lo))
			return;
		hi = lo;
		if (dash) {
			part.text = dash + 1;
			if (!get_int(p, &part, "status_code", 100, 599, &hi))
				return;
			if (hi < lo) {
				err(p, t, "status_code %s: the range ends before it starts", t->text);
				return;
			}
		}
		u->url.status[u->url.n_status++] = (struct cfg_status){ lo, hi };
	}
}

static void h_digest(struct parser *p, const struct stmt *st, void *obj)
{
	struct url_ctx *u = obj;
	const char *s = st->arg->text;
	char *d;
	int k;

	for (k = 0; s[k]; k++)
		if (!strchr("0123456789abcdefABCDEF", s[k]))
			break;
	if (k != 32 || s[k]) {
		err(p, st->arg, "digest '%s' is not an MD5 digest (32 hex digits)", s);
		return;
	}
	d = xstrdup(p, s);
	if (!d)
		return;
	for (k = 0; d[k]; k++)
		if (d[k] >= 'A' && d[k] <= 'F')
			d[k] += 'a' - 'A';
	free(u->url.digest);
	u->url.digest = d;
}

static void h_url_vhost(struct parser *p, const struct stmt *st, void *obj)
{
	struct url_ctx *u = obj;

	/* one Host: header per checker here */
	if (u->ck->virtualhost && strcmp(u->ck->virtualhost, st->arg->text)) {
		err(p, st->arg, "virtualhost %s differs from this HTTP_GET's %s: "
		    "use one HTTP_GET per virtual host", st->arg->text, u->ck->virtualhost);
		return;
	}
	if (!u->ck->virtualhost)
		u->ck->virtualhost = xstrdup(p, st->arg->text);
}

static const struct kw url_kw[] = {
	FN("path", h_url_path, 1, 1),
	FN("status_code", h_status_code, 1, -1),
	FN("digest", h_digest, 1, 1),
	FN("virtualhost", h_url_vhost, 1, 1),
	UNSUPP("regex", "check with status_code or digest"),
	UNSUPP("regex_no_match", "check with status_code or digest"),
	UNSUPP("regex_options", "check with status_code or digest"),
	UNSUPP("regex_stack", "check with status_code or digest"),
	UNSUPP("regex_min_offset", "check with status_code or digest"),
	UNSUPP("regex_max_offset", "check with status_code or digest"),
	{ 0 }
};

static void h_url(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_check *ck = obj;
	struct url_ctx u = { .ck = ck };
	int idx = ck->n_urls;

	if (!PUSH(p, ck->urls, ck->n_urls))
		return;
	parse_block(p, st->open, url_kw, "url", &u);
	if (!u.has_path)
		err(p, st->kw, "url needs a path");
	ck->urls[idx] = u.url;
}

static void h_check_vhost(struct parser *p, const struct stmt *st, void *obj)
{
	struct cfg_check *ck = obj;

	free(ck->virtualhost);
	ck->virtualhost = xstrdup(p, st->arg->text);
}

#define C struct cfg_check
#define CHECK_TIMING \
	TIMER("connect_timeout", C, connect_timeout_us, MSEC(1), SEC(3600)), \
	INT("retry", C, retry, 0, 1000), \
	INT("nb_get_retry", C, retry, 0, 1000), \
	TIMER("delay_before_retry", C, delay_before_retry_us, 0, SEC(3600)), \
	TIMER("delay_loop", C, delay_loop_us, MSEC(1), SEC(86400)), \
	IGNORE("warmup", N_NONE), \
	IGNORE("alpha", "use alpha in virtual_server"), \
	IGNORE("log_all_failures", N_NONE)
#define CHECK_CONNECT \
	ADDR("connect_ip", C, connect_ip), \
	{ .name = "connect_port", .fn = h_int, .min = 1, .max = 1, \
	  FLD(C, connect_port), .lo = 1, .hi = 65535 }, \
	ADDR("bindto", C, bindto), \
	IGNORE("bind_port", N_NONE), \
	IGNORE("bind_if", N_NONE), \
	IGNORE("fwmark", N_NONE)

static const struct kw tcp_kw[] = {
	CHECK_CONNECT,
	CHECK_TIMING,
	{ 0 }
};

static const struct kw http_kw[] = {
	CHECK_CONNECT,
	CHECK_TIMING,
	BLOCK("url", h_url, 0, 0, NULL),
	FN("virtualhost", h_check_vhost, 1, 1),
	IGNORE("http_protocol", N_NONE),
	IGNORE("fast_recovery", N_NONE),
	{ 0 }
};

static const struct kw misc_kw[] = {
	CMDW("misc_path", C, misc_path),
	TIMER("misc_timeout", C, misc_timeout_us, MSEC(1), SEC(3600)),
	FLAG("misc_dynamic", C, misc_dynamic),
	IGNORE("user", N_USER),
	CHECK_TIMING,
	{ 0 }
};
#undef C

struct rs_ctx {
	struct cfg_real_server rs;
	struct chk_defaults d;
	int inhibit;			/* -1: the virtual_server's */
	uint16_t check_port;		/* its own port, in a group of other ports */
	struct vs_ctx *vs;
};

static void check_done(struct parser *p, const struct stmt *st, struct cfg_check *ck)
{
	if (ck->type == CHK_HTTP && !ck->n_urls)
		err(p, st->kw, "HTTP_GET needs a url { path ... } block");
	if (ck->type == CHK_MISC && !ck->misc_path.argc)
		err(p, st->kw, "MISC_CHECK needs a misc_path");
	if (ck->connect_ip.family && ck->bindto.family &&
	    ck->connect_ip.family != ck->bindto.family)
		err(p, st->kw, "%s: bindto and connect_ip are of different families",
		    st->k->name);
}

/* TCP_CHECK, HTTP_GET, MISC_CHECK: the kind is in the table entry's lo */
static void h_check(struct parser *p, const struct stmt *st, void *obj)
{
	static const struct kw *const tables[] = {
		[CHK_TCP] = tcp_kw, [CHK_HTTP] = http_kw, [CHK_MISC] = misc_kw,
	};
	struct rs_ctx *r = obj;
	struct cfg_check ck = {
		.type = st->k->lo, .connect_timeout_us = UNSET64,
		.delay_loop_us = UNSET64, .retry = UNSET_U,
		.delay_before_retry_us = UNSET64, .misc_timeout_us = UNSET64,
		.line = st->kw->line,
	};
	int idx = r->rs.n_checks;

	if (!PUSH(p, r->rs.checks, r->rs.n_checks))
		return;
	parse_block(p, st->open, tables[ck.type], st->k->name, &ck);
	check_done(p, st, &ck);
	r->rs.checks[idx] = ck;
}

/* ---- virtual_server and real_server ---- */

struct vs_ctx {
	struct cfg_virtual_server vs;
	struct chk_defaults d;
	bool *rs_inherit;		/* real server i takes vs.inhibit_on_failure */
	const struct cfg_tok *sorry;
	int idx;
	const char *group;		/* its virtual_server_group, or NULL */
};

static void h_inhibit_rs(struct parser *p, const struct stmt *st, void *obj)
{
	struct rs_ctx *r = obj;
	bool v;

	if (get_flag(p, st, &v))
		r->inhibit = v;
}

/* lb_kind / lvs_method / sorry_server_lvs_method: DR or an error */
static void h_lb_kind(struct parser *p, const struct stmt *st, void *obj)
{
	const char *v = st->arg->text;

	if (!strcasecmp(v, "NAT") || !strcasecmp(v, "TUN")) {
		err(p, st->arg, "%s %s is not supported: lbctl forwards in DR mode only",
		    st->k->name, v);
		return;
	}
	if (strcasecmp(v, "DR")) {
		err(p, st->arg, "unknown %s '%s' (lbctl forwards in DR mode)",
		    st->k->name, v);
		return;
	}
	if (st->nargs > 1)
		err(p, &st->arg[1], "unexpected '%s' after %s DR", st->arg[1].text,
		    st->k->name);
}

static void h_chk_vhost(struct parser *p, const struct stmt *st, void *obj)
{
	struct chk_defaults *d = obj;

	free(d->virtualhost);
	d->virtualhost = xstrdup(p, st->arg->text);
}

/*
 * Keywords that real_server and virtual_server pass down to checkers. OBJ
 * is the chk_defaults at offset OFF of the context, given by the macro.
 */
#define DEF_TIMING(ctx) \
	TIMER("connect_timeout", ctx, d.connect_timeout_us, MSEC(1), SEC(3600)), \
	INT("retry", ctx, d.retry, 0, 1000), \
	INT("nb_get_retry", ctx, d.retry, 0, 1000), \
	TIMER("delay_before_retry", ctx, d.delay_before_retry_us, 0, SEC(3600)), \
	{ .name = "virtualhost", .fn = h_defaults_vhost, .min = 1, .max = 1, \
	  FLD(ctx, d) }, \
	IGNORE("warmup", N_NONE)

static void h_defaults_vhost(struct parser *p, const struct stmt *st, void *obj)
{
	h_chk_vhost(p, st, field(obj, st->k));
}

#define CHECK(n, type) \
	{ .name = n, .fn = h_check, .min = 0, .max = 0, .flags = KW_BLOCK, .lo = type }
#define N_CHECKS "lbctl checks with TCP_CHECK, HTTP_GET and MISC_CHECK"

#define R struct rs_ctx
static const struct kw rs_kw[] = {
	INT("weight", R, rs.weight, 0, 65535),
	FN("inhibit_on_failure", h_inhibit_rs, 0, 1),
	CMD("notify_up", R, rs.notify_up),
	CMD("notify_down", R, rs.notify_down),
	CHECK("TCP_CHECK", CHK_TCP),
	CHECK("HTTP_GET", CHK_HTTP),
	CHECK("MISC_CHECK", CHK_MISC),
	FN("lb_kind", h_lb_kind, 1, -1),
	FN("lvs_method", h_lb_kind, 1, -1),
	DEF_TIMING(R),
	TIMER("delay_loop", R, d.delay_loop_us, MSEC(1), SEC(86400)),
	IGNORE("alpha", "use alpha in virtual_server"),
	IGNORE("uthreshold", N_IPVS),
	IGNORE("lthreshold", N_IPVS),
	IGNORE("smtp_alert", N_MAIL),
	IGNORE("snmp_name", N_SNMP),
	UNSUPP("SSL_GET", N_CHECKS),
	UNSUPP("SMTP_CHECK", N_CHECKS),
	UNSUPP("DNS_CHECK", N_CHECKS),
	UNSUPP("UDP_CHECK", N_CHECKS),
	UNSUPP("PING_CHECK", N_CHECKS),
	UNSUPP("BFD_CHECK", N_CHECKS),
	UNSUPP("FILE_CHECK", N_CHECKS),
	UNSUPP("track_file", N_CHECKS),
	{ 0 }
};
#undef R

static void rs_header(struct parser *p, const struct stmt *st, struct rs_ctx *r)
{
	const struct cfg_virtual_server *vs = &r->vs->vs;
	char a[INET6_ADDRSTRLEN];

	if (!get_addr(p, st->arg, "real_server", &r->rs.addr))
		return;
	if (!usable_addr(p, st->arg, "real_server", &r->rs.addr))
		return;
	if (cfg_addr_eq(&r->rs.addr, &vs->vip)) {
		err(p, st->arg, "real_server %s is the virtual_server address itself: a real "
		    "server holds the VIP on its loopback but has its own address", st->arg->text);
		return;
	}
	r->rs.port = vs->port;
	if (st->nargs > 1 && !get_port(p, &st->arg[1], "real_server port", &r->rs.port))
		return;
	if (vs->vip.family && vs->vip.family != r->rs.addr.family && r->vs->group)
		err(p, st->arg, "real_server %s is %s but virtual_server_group %s has %s "
		    "entries (DR cannot change the address family)", st->arg->text,
		    family_str(r->rs.addr.family), r->vs->group, family_str(vs->vip.family));
	else if (vs->vip.family && vs->vip.family != r->rs.addr.family)
		err(p, st->arg, "real_server %s is %s but virtual_server %s is %s "
		    "(DR cannot change the address family)", st->arg->text,
		    family_str(r->rs.addr.family), cfg_addr_str(&vs->vip, a, sizeof(a)),
		    family_str(vs->vip.family));
	else if (vs->port && r->rs.port != vs->port && r->vs->group) {
		/* A group's entries have other ports: DR forwards each to the
		 * same port, and the real server's own is where it is checked. */
		r->check_port = r->rs.port;
		r->rs.port = vs->port;
	} else if (vs->port && r->rs.port != vs->port)
		err(p, &st->arg[1], "real_server %s port %u differs from virtual_server "
		    "port %u (DR cannot change ports)", st->arg->text, r->rs.port, vs->port);
}

static void rs_done(struct parser *p, const struct stmt *st, struct rs_ctx *r)
{
	const struct cfg_virtual_server *vs = &r->vs->vs;
	int k;

	for (k = 0; k < r->rs.n_checks; k++) {
		chk_inherit(p, &r->rs.checks[k], &r->d);
		if (!r->rs.checks[k].connect_port)
			r->rs.checks[k].connect_port = r->check_port;
	}
	free(r->d.virtualhost);
	if (!r->rs.addr.family)
		return;
	for (k = 0; k < vs->n_rs - 1; k++) {
		if (cfg_addr_eq(&vs->rs[k].addr, &r->rs.addr)) {
			err(p, st->arg, "real_server %s is already in this virtual_server "
			    "(line %d)", st->arg->text, vs->rs[k].line);
			return;
		}
	}
}

static void h_real_server(struct parser *p, const struct stmt *st, void *obj)
{
	struct vs_ctx *v = obj;
	struct rs_ctx r = {
		.rs = { .weight = 1, .line = st->kw->line },
		.d = CHK_DEFAULTS_UNSET, .inhibit = -1, .vs = v,
	};
	int idx = v->vs.n_rs, n = idx;
	bool *inh;

	if (!PUSH(p, v->vs.rs, v->vs.n_rs))
		return;
	inh = PUSH(p, v->rs_inherit, n);
	if (!inh) {
		v->vs.n_rs--;
		return;
	}
	rs_header(p, st, &r);
	parse_block(p, st->open, rs_kw, "real_server", &r);
	rs_done(p, st, &r);
	*inh = r.inhibit < 0;
	r.rs.inhibit_on_failure = r.inhibit > 0;
	v->vs.rs[idx] = r.rs;
}

static void h_lb_algo(struct parser *p, const struct stmt *st, void *obj)
{
	static const char *const others[] = { "rr", "wrr", "lc", "wlc", "lblc",
		"lblcr", "dh", "sed", "nq", "fo", "ovf", "twos", NULL };
	struct vs_ctx *v = obj;
	const char *a = st->arg->text;
	int k;

	if (!strcmp(a, "mh")) {
		v->vs.sched = SCHED_MH;
		return;
	}
	if (!strcmp(a, "sh")) {
		v->vs.sched = SCHED_SH;
		return;
	}
	for (k = 0; others[k]; k++) {
		if (!strcmp(a, others[k])) {
			v->vs.sched = SCHED_MH;
			warn(p, st->arg, "%s %s runs as weighted Maglev", st->k->name, a);
			return;
		}
	}
	err(p, st->arg, "unknown %s '%s'", st->k->name, a);
}

static void h_protocol(struct parser *p, const struct stmt *st, void *obj)
{
	struct vs_ctx *v = obj;
	const char *a = st->arg->text;

	if (!strcasecmp(a, "TCP"))
		v->vs.proto = IPPROTO_TCP;
	else if (!strcasecmp(a, "UDP"))
		v->vs.proto = IPPROTO_UDP;
	else if (!strcasecmp(a, "SCTP"))
		err(p, st->arg, "protocol SCTP is not supported: lbctl balances TCP and UDP");
	else
		err(p, st->arg, "unknown protocol '%s': use TCP or UDP", a);
}

static void h_persistence(struct parser *p, const struct stmt *st, void *obj)
{
	struct vs_ctx *v = obj;
	long long s;

	if (!st->nargs) {
		v->vs.persistence_timeout_s = 360;	/* keepalived's and ipvsadm's */
		return;
	}
	if (get_int(p, st->arg, "persistence_timeout", 0, 31536000, &s))
		v->vs.persistence_timeout_s = s;
}

static void h_sorry(struct parser *p, const struct stmt *st, void *obj)
{
	struct vs_ctx *v = obj;

	if (!get_addr(p, st->arg, "sorry_server", &v->vs.sorry_addr))
		return;
	v->sorry = st->arg;
	v->vs.sorry_port = 0;
	if (st->nargs > 1 && !get_port(p, &st->arg[1], "sorry_server port",
				       &v->vs.sorry_port))
		v->vs.sorry_addr.family = 0;
}

static void h_table_size(struct parser *p, const struct stmt *st, void *obj)
{
	struct vs_ctx *v = obj;
	long long n;

	if (!get_int(p, st->arg, "lbctl_table_size", 3, LB_MAGLEV_SIZE_MAX, &n))
		return;
	if (!cfg_is_prime(n)) {
		err(p, st->arg, "lbctl_table_size %lld is not a prime number", n);
		return;
	}
	v->vs.table_size = n;
}

#define V struct vs_ctx
static const struct kw vs_kw[] = {
	BLOCK("real_server", h_real_server, 1, 2, "an address and a port"),
	TIMER("delay_loop", V, vs.delay_loop_us, MSEC(1), SEC(86400)),
	FN("lb_algo", h_lb_algo, 1, 1),
	FN("lvs_sched", h_lb_algo, 1, 1),
	FN("lb_kind", h_lb_kind, 1, -1),
	FN("lvs_method", h_lb_kind, 1, -1),
	FN("protocol", h_protocol, 1, 1),
	FN("persistence_timeout", h_persistence, 0, 1),
	FN("sorry_server", h_sorry, 1, 2),
	FN("sorry_server_lvs_method", h_lb_kind, 1, -1),
	INT("quorum", V, vs.quorum, 1, INT32_MAX),
	INT("hysteresis", V, vs.hysteresis, 0, INT32_MAX),
	FLAG("alpha", V, vs.alpha),
	FLAG("omega", V, vs.omega),
	FLAG("inhibit_on_failure", V, vs.inhibit_on_failure),
	CMD("quorum_up", V, vs.quorum_up),
	CMD("quorum_down", V, vs.quorum_down),
	FN("lbctl_table_size", h_table_size, 1, 1),
	DEF_TIMING(V),
	IGNORE("nat_mask", "lbctl forwards in DR mode only"),
	IGNORE("persistence_granularity", "affinity is per client address"),
	IGNORE("sorry_server_inhibit", N_NONE),
	IGNORE("ha_suspend", N_NONE),
	IGNORE("smtp_alert", N_MAIL),
	IGNORE("snmp_name", N_SNMP),
	IGNORE("ip_family", "the family comes from the address"),
	IGNORE("ops", N_SCHED),
	IGNORE("flag-1", N_SCHED),
	IGNORE("flag-2", N_SCHED),
	IGNORE("flag-3", N_SCHED),
	IGNORE("sh-port", N_SCHED),
	IGNORE("sh-fallback", N_SCHED),
	IGNORE("mh-port", N_SCHED),
	IGNORE("mh-fallback", N_SCHED),
	UNSUPP("persistence_engine", "affinity is per client address"),
	{ 0 }
};
#undef V

static void vs_header(struct parser *p, const struct stmt *st, struct vs_ctx *v)
{
	const char *a = st->arg->text;

	if (!strcmp(a, "fwmark")) {
		err(p, st->arg, "virtual_server %s is not supported: lbctl matches "
		    "services by address and port", a);
		return;
	}
	if (!get_addr(p, st->arg, "virtual_server", &v->vs.vip) ||
	    !usable_addr(p, st->arg, "virtual_server", &v->vs.vip)) {
		v->vs.vip.family = 0;
		return;
	}
	if (st->nargs < 2) {
		err(p, st->arg, "virtual_server %s needs a port (lbctl has no "
		    "all-ports services)", a);
		v->vs.vip.family = 0;
		return;
	}
	if (!get_port(p, &st->arg[1], "virtual_server port", &v->vs.port))
		v->vs.vip.family = 0;
}

static void vs_done(struct parser *p, const struct stmt *st, struct vs_ctx *v)
{
	struct cfg_virtual_server *vs = &v->vs;
	char a[INET6_ADDRSTRLEN];
	int k, j;

	for (k = 0; k < vs->n_rs; k++) {
		struct cfg_real_server *rs = &vs->rs[k];

		if (v->rs_inherit[k])
			rs->inhibit_on_failure = vs->inhibit_on_failure;
		for (j = 0; j < rs->n_checks; j++) {
			chk_inherit(p, &rs->checks[j], &v->d);
			chk_finish(&rs->checks[j], vs->delay_loop_us);
		}
	}
	free(v->d.virtualhost);
	free(v->rs_inherit);
	if (v->sorry) {
		if (!vs->sorry_port || v->group)
			vs->sorry_port = vs->port;
		if (vs->vip.family && vs->sorry_addr.family != vs->vip.family && v->group)
			err(p, v->sorry, "sorry_server %s is %s but virtual_server_group %s "
			    "has %s entries", v->sorry->text, family_str(vs->sorry_addr.family),
			    v->group, family_str(vs->vip.family));
		else if (vs->vip.family && vs->sorry_addr.family != vs->vip.family)
			err(p, v->sorry, "sorry_server %s is %s but virtual_server %s is %s",
			    v->sorry->text, family_str(vs->sorry_addr.family),
			    cfg_addr_str(&vs->vip, a, sizeof(a)), family_str(vs->vip.family));
		else if (vs->port && vs->sorry_port != vs->port)
			err(p, v->sorry, "sorry_server %s port %u differs from virtual_server "
			    "port %u (DR cannot change ports)", v->sorry->text,
			    vs->sorry_port, vs->port);
		for (k = 0; k < vs->n_rs; k++)
			if (cfg_addr_eq(&vs->rs[k].addr, &vs->sorry_addr))
				err(p, v->sorry, "sorry_server %s is also a real_server of this "
				    "virtual_server (one backend cannot be both)", v->sorry->text);
	}
	if (vs->table_size && (uint32_t)vs->n_rs > vs->table_size)
		err(p, st->kw, "lbctl_table_size %u is too small for %d real servers",
		    vs->table_size, vs->n_rs);
	if (vs->vip.family && !vs->n_rs)
		warn(p, st->kw, "virtual_server %s %u has no real_server",
		     cfg_addr_str(&vs->vip, a, sizeof(a)), vs->port);
}

/* One virtual_server: ST's own (VIP, port), or entry GE of its group. */
static void parse_vs(struct parser *p, const struct stmt *st, const struct vsg_entry *ge)
{
	struct cfg *cfg = p->cfg;
	struct vs_ctx v = {
		.vs = {
			.proto = IPPROTO_TCP, .sched = SCHED_MH,
			.delay_loop_us = SEC(60), .quorum = 1, .line = st->kw->line,
		},
		.d = CHK_DEFAULTS_UNSET,
		.idx = cfg->n_vs,
		.group = ge ? st->arg[1].text : NULL,
	};
	const struct cfg_tok **at;

	if (!PUSH(p, cfg->vs, cfg->n_vs))
		return;
	at = PUSH(p, p->vs_at, p->n_vs_at);
	if (!at) {
		cfg->n_vs--;
		return;
	}
	*at = st->kw;
	if (ge) {
		v.vs.vip = ge->addr;
		v.vs.port = ge->port;
	} else {
		vs_header(p, st, &v);
	}
	parse_block(p, st->open, vs_kw, "virtual_server", &v);
	vs_done(p, st, &v);
	cfg->vs[v.idx] = v.vs;
}

static void h_virtual_server(struct parser *p, const struct stmt *st, void *obj)
{
	struct vsg_use *u;

	if (strcmp(st->arg->text, "group") || st->arg->quoted) {
		parse_vs(p, st, NULL);
		return;
	}
	if (st->nargs < 2)
		err(p, st->arg, "virtual_server group needs the name of a virtual_server_group");
	else if ((u = PUSH(p, p->vsg_uses, p->n_vsg_uses)))
		*u = (struct vsg_use){ .st = *st, .body = p->pos };
	skip_block(p, st->open);
}

/* ---- virtual_server_group ---- */

#define VSG_RANGE_MAX	256	/* addresses one "A-B PORT" entry may name */

/* "ADDR" or "ADDR-LAST": LAST replaces the address's last byte (IPv4,
 * decimal) or last 16 bits (IPv6, hex), as keepalived reads ranges.
 * Returns how many addresses, 0 after an error. */
static int vsg_range(struct parser *p, const struct cfg_tok *t, struct cfg_addr *first)
{
	char buf[INET6_ADDRSTRLEN + 8], *dash, *end;
	unsigned long last, lo;
	int is6;

	snprintf(buf, sizeof(buf), "%s", t->text);
	dash = strrchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (strlen(t->text) >= sizeof(buf) || cfg_parse_addr(buf, first)) {
		err(p, t, "virtual_server_group entry '%s' is not an IP address or range", t->text);
		return 0;
	}
	if (!usable_addr(p, t, "virtual_server_group entry", first))
		return 0;
	if (!dash)
		return 1;
	is6 = first->family == AF_INET6;
	lo = is6 ? (first->bytes[14] << 8 | first->bytes[15]) : first->bytes[3];
	errno = 0;
	last = strtoul(dash + 1, &end, is6 ? 16 : 10);
	if (errno || end == dash + 1 || *end || last > (is6 ? 0xffffu : 255u) || last < lo) {
		err(p, t, is6 ? "virtual_server_group range %s: '%s' is not last 16 bits (hex) "
		    "from %lx up to ffff" : "virtual_server_group range %s: '%s' is not a last "
		    "byte from %lu up to 255", t->text, dash + 1, lo);
		return 0;
	}
	if (last - lo + 1 > VSG_RANGE_MAX) {
		err(p, t, "virtual_server_group range %s names %lu addresses, more than %d",
		    t->text, last - lo + 1, VSG_RANGE_MAX);
		return 0;
	}
	return last - lo + 1;
}

static void vsg_line(struct parser *p, const struct stmt *st, void *obj)
{
	struct vsg *g = obj;
	struct cfg_addr a;
	struct vsg_entry *e;
	uint16_t port;
	int n, k;

	if (!strcmp(st->kw->text, "fwmark")) {
		err(p, st->kw, "virtual_server_group %s: fwmark entries are not supported: "
		    "lbctl matches services by address and port", g->name);
		return;
	}
	if (st->nargs != 1) {
		if (st->nargs)
			err(p, &st->arg[1], "unexpected '%s' after virtual_server_group entry %s %s",
			    st->arg[1].text, st->kw->text, st->arg->text);
		else
			err(p, st->kw, "virtual_server_group entry %s needs a port (lbctl has "
			    "no all-ports services)", st->kw->text);
		return;
	}
	n = vsg_range(p, st->kw, &a);
	if (!n || !get_port(p, st->arg, "virtual_server_group port", &port))
		return;
	for (k = 0; k < n; k++) {
		e = PUSH(p, g->e, g->n);
		if (!e)
			return;
		e->addr = a;
		e->port = port;
		if (a.family == AF_INET6 && !++a.bytes[15])
			a.bytes[14]++;
		else if (a.family == AF_INET)
			a.bytes[3]++;
	}
}

static struct vsg *find_vsg(struct parser *p, const char *name)
{
	int k;

	for (k = 0; k < p->n_vsgs; k++)
		if (!strcmp(p->vsgs[k].name, name))
			return &p->vsgs[k];
	return NULL;
}

static void h_vs_group(struct parser *p, const struct stmt *st, void *obj)
{
	struct vsg g = { .at = st->kw }, *dup, *slot;
	int errors = p->lx.n_errors;
	char w[64];

	if (!copy_name(p, st->arg, "virtual_server_group name", g.name, sizeof(g.name))) {
		skip_block(p, st->open);
		return;
	}
	parse_list(p, st->open, "virtual_server_group", vsg_line, &g);
	dup = find_vsg(p, g.name);
	if (dup)
		err(p, st->arg, "virtual_server_group %s is already defined at %s",
		    g.name, where_str(p, dup->at, st->kw, w, sizeof(w)));
	else if (!g.n && p->lx.n_errors == errors)
		err(p, st->arg, "virtual_server_group %s has no VIP PORT entry", g.name);
	if (dup || !(slot = PUSH(p, p->vsgs, p->n_vsgs))) {
		free(g.e);
		return;
	}
	*slot = g;
}

/* Each "virtual_server group NAME" becomes one virtual_server per entry. */
static void expand_vs_groups(struct parser *p)
{
	int save = p->pos, k, j;

	for (k = 0; k < p->n_vsg_uses && !stop(p); k++) {
		const struct vsg_use *u = &p->vsg_uses[k];
		const struct vsg *g = find_vsg(p, u->st.arg[1].text);

		if (!g) {
			err(p, &u->st.arg[1], "virtual_server group %s: no virtual_server_group "
			    "of that name", u->st.arg[1].text);
			continue;
		}
		for (j = 0; j < g->n && !stop(p); j++) {
			p->pos = u->body;
			parse_vs(p, &u->st, &g->e[j]);
		}
	}
	p->pos = save;
}

/* ---- top level ---- */

static void h_global_defs(struct parser *p, const struct stmt *st, void *obj)
{
	parse_block(p, st->open, global_kw, "global_defs", &p->cfg->global);
}

static const struct kw top_kw[] = {
	BLOCK("global_defs", h_global_defs, 0, 0, NULL),
	BLOCK("vrrp_script", h_vrrp_script, 1, 1, "a name"),
	BLOCK("vrrp_instance", h_vrrp_instance, 1, 1, "a name"),
	BLOCK("vrrp_sync_group", h_sync_group, 1, 1, "a name"),
	BLOCK("virtual_server", h_virtual_server, 1, 2, "an address and a port"),
	BLOCK("virtual_server_group", h_vs_group, 1, 1, "a name"),
	UNSUPP("static_ipaddress", "lbctl does not configure static addresses"),
	UNSUPP("static_routes", "lbctl does not configure static routes"),
	UNSUPP("static_rules", "lbctl does not configure static rules"),
	UNSUPP("track_group", "lbctl does not configure static addresses"),
	UNSUPP("track_file", N_TRACK),
	UNSUPP("vrrp_track_file", N_TRACK),
	UNSUPP("vrrp_track_process", N_TRACK),
	UNSUPP("bfd_instance", "lbctl has no BFD"),
	UNSUPP("net_namespace", "run lbctl inside the namespace (ip netns exec)"),
	UNSUPP("net_namespace_ipvs", N_IPVS),
	IGNORE("linkbeat_interfaces", N_NONE),
	IGNORE("interface_up_down_delays", N_NONE),
	IGNORE("garp_group", N_NONE),
	IGNORE("SSL", "SSL_GET is not supported"),
	IGNORE("namespace_with_ipsets", N_NONE),
	IGNORE("instance", N_NONE),
	IGNORE("use_pid_dir", N_NONE),
	IGNORE("linkbeat_use_polling", N_NONE),
	IGNORE("child_wait_time", N_NONE),
	{ 0 }
};

/* ---- whole-file checks ---- */

static int find_instance(const struct cfg *c, const char *name)
{
	int k;

	for (k = 0; k < c->n_instances; k++)
		if (!strcmp(c->instances[k].name, name))
			return k;
	return -1;
}

static int find_script(const struct cfg *c, const char *name)
{
	int k;

	for (k = 0; k < c->n_scripts; k++)
		if (!strcmp(c->scripts[k].name, name))
			return k;
	return -1;
}

static void resolve_sg_member(struct parser *p, const struct pending *pd)
{
	struct cfg *c = p->cfg;
	struct cfg_sync_group *g = &c->sync_groups[pd->owner];
	int i = find_instance(c, pd->name), *m;

	if (i < 0) {
		err(p, pd->at, "vrrp_sync_group %s names unknown vrrp_instance '%s'",
		    g->name, pd->name);
		return;
	}
	if (c->instances[i].sync_group == pd->owner) {
		warn(p, pd->at, "vrrp_instance %s is listed twice in vrrp_sync_group %s",
		     pd->name, g->name);
		return;
	}
	if (c->instances[i].sync_group >= 0) {
		err(p, pd->at, "vrrp_instance %s is already in vrrp_sync_group %s",
		    pd->name, c->sync_groups[c->instances[i].sync_group].name);
		return;
	}
	m = PUSH(p, g->members, g->n_members);
	if (!m)
		return;
	*m = i;
	c->instances[i].sync_group = pd->owner;
}

static bool vs_matches(const struct cfg_virtual_server *vs, const char *key)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	snprintf(buf, sizeof(buf), "%s %u", cfg_addr_str(&vs->vip, a, sizeof(a)), vs->port);
	return vs->vip.family && !strcmp(buf, key);
}

static void resolve_pending(struct parser *p)
{
	struct cfg *c = p->cfg;
	int k, j;

	for (k = 0; k < p->n_pend && !stop(p); k++) {
		const struct pending *pd = &p->pend[k];
		struct cfg_vrrp_instance *in = NULL;

		if (!pd->name)
			continue;
		if (pd->kind != PEND_SG_MEMBER)
			in = &c->instances[pd->owner];
		switch (pd->kind) {
		case PEND_TRACK_SCRIPT:
			in->track_scripts[pd->idx].script = find_script(c, pd->name);
			if (in->track_scripts[pd->idx].script < 0)
				err(p, pd->at, "track_script names unknown vrrp_script '%s'",
				    pd->name);
			break;
		case PEND_SG_MEMBER:
			resolve_sg_member(p, pd);
			break;
		case PEND_TRACK_VS:
			for (j = 0; j < c->n_vs; j++)
				if (vs_matches(&c->vs[j], in->track_vs[pd->idx]))
					break;
			if (j == c->n_vs)
				err(p, pd->at, "track_vs names no virtual_server: %s",
				    in->track_vs[pd->idx]);
			break;
		}
	}
}

static void check_scripts(struct parser *p)
{
	const struct cfg *c = p->cfg;
	char w[64];
	int k, j;

	for (k = 0; k < c->n_scripts; k++)
		for (j = 0; j < k; j++)
			if (c->scripts[k].name[0] &&
			    !strcmp(c->scripts[k].name, c->scripts[j].name))
				err(p, p->script_at[k], "vrrp_script %s is already defined at %s",
				    c->scripts[k].name,
				    where_str(p, p->script_at[j], p->script_at[k], w, sizeof(w)));
}

/* The version and the timing that depends on it, once global_defs is known. */
static void instance_version(struct parser *p, int idx)
{
	struct cfg_vrrp_instance *in = &p->cfg->instances[idx];
	const struct inst_aux *aux = &p->aux[idx];
	const struct cfg_tok *at = aux->advert ? aux->advert : aux->at;
	uint64_t adv = in->advert_int_us;
	char t[32];

	if (!in->version && in->family == AF_INET6) {
		/* VRRPv2 has no IPv6: keepalived runs such instances as v3 too */
		in->version = 3;
		if (p->global_version && p->cfg->global.vrrp_version == 2)
			warn(p, aux->at, "vrrp_instance %s is IPv6 and runs VRRP version 3 "
			     "(vrrp_version 2 applies to IPv4 only)", in->name);
	} else if (!in->version) {
		in->version = p->cfg->global.vrrp_version;
	}
	cfg_fmt_timer(adv, t, sizeof(t));
	if (in->version == 2 && adv % SEC(1))
		err(p, at, "advert_int %s is not a whole number of seconds, which "
		    "VRRP version 2 needs", t);
	else if (in->version == 3 && adv % MSEC(10))
		err(p, at, "advert_int %s is not a multiple of 0.01 s (VRRP version 3 "
		    "counts centiseconds)", t);
	else if (in->version == 3 && adv > MSEC(40950))
		err(p, at, "advert_int %s out of range 0.01-40.95 for VRRP version 3", t);
	if (in->version == 3 && in->auth_pass[0]) {
		warn(p, aux->at, "vrrp_instance %s: authentication is ignored with "
		     "VRRP version 3", in->name);
		in->auth_pass[0] = '\0';
	} else if (p->cfg->global.vrrp_strict && in->auth_pass[0]) {
		/* a keepalived peer in strict mode sends none and wants none */
		warn(p, aux->at, "vrrp_instance %s: authentication is ignored with "
		     "vrrp_strict, as keepalived does", in->name);
		in->auth_pass[0] = '\0';
	}
}

static void instance_defaults(struct cfg *c, struct cfg_vrrp_instance *in)
{
	if (in->garp_master_delay_us == UNSET64)
		in->garp_master_delay_us = c->global.garp_master_delay_us;
	if (in->garp_master_repeat == UNSET_U)
		in->garp_master_repeat = c->global.garp_master_repeat;
	if (in->garp_master_refresh_us == UNSET64)
		in->garp_master_refresh_us = c->global.garp_master_refresh_us;
	if (in->garp_master_refresh_repeat == UNSET_U)
		in->garp_master_refresh_repeat = c->global.garp_master_refresh_repeat;
}

static bool vip_clash(const struct cfg_vrrp_instance *a, const struct cfg_vrrp_instance *b,
		      char *buf, size_t len)
{
	int x, y;

	for (x = 0; x < a->n_vips; x++)
		for (y = 0; y < b->n_vips; y++)
			if (cfg_addr_eq(&a->vips[x].addr, &b->vips[y].addr)) {
				cfg_addr_str(&a->vips[x].addr, buf, len);
				return true;
			}
	return false;
}

static void instance_pair(struct parser *p, int k, int j)
{
	const struct cfg_vrrp_instance *a = &p->cfg->instances[k], *b = &p->cfg->instances[j];
	const struct cfg_tok *at = p->aux[k].at;
	char w[64], addr[INET6_ADDRSTRLEN];

	if (!a->name[0] || !b->name[0])
		return;
	where_str(p, p->aux[j].at, at, w, sizeof(w));
	if (!strcmp(a->name, b->name)) {
		err(p, at, "vrrp_instance %s is already defined at %s", a->name, w);
		return;
	}
	if (a->vrid && a->vrid == b->vrid && a->family == b->family &&
	    !strcmp(a->ifname, b->ifname))
		err(p, at, "vrrp_instance %s: virtual_router_id %u on %s (%s) is "
		    "already used by vrrp_instance %s at %s", a->name, a->vrid,
		    a->ifname, family_str(a->family), b->name, w);
	if (vip_clash(a, b, addr, sizeof(addr)))
		err(p, at, "vrrp_instance %s: virtual_ipaddress %s is also in "
		    "vrrp_instance %s at %s", a->name, addr, b->name, w);
}

static void check_instances(struct parser *p)
{
	struct cfg *c = p->cfg;
	int k, j;

	for (k = 0; k < c->n_instances && !stop(p); k++) {
		instance_version(p, k);
		instance_defaults(c, &c->instances[k]);
		for (j = 0; j < k; j++)
			instance_pair(p, k, j);
	}
}

/* Names listed in group { }, valid or not: an empty group is its own error. */
static bool sg_listed(const struct parser *p, int group)
{
	int k;

	for (k = 0; k < p->n_pend; k++)
		if (p->pend[k].kind == PEND_SG_MEMBER && p->pend[k].owner == group)
			return true;
	return false;
}

static void check_sync_groups(struct parser *p)
{
	const struct cfg *c = p->cfg;
	char w[64];
	int k, j;

	for (k = 0; k < c->n_sync_groups; k++) {
		const struct cfg_sync_group *g = &c->sync_groups[k];

		for (j = 0; j < k; j++)
			if (g->name[0] && !strcmp(g->name, c->sync_groups[j].name))
				err(p, p->sg_at[k], "vrrp_sync_group %s is already defined at %s",
				    g->name, where_str(p, p->sg_at[j], p->sg_at[k], w, sizeof(w)));
		if (!sg_listed(p, k))
			err(p, p->sg_at[k], "vrrp_sync_group %s has no instances "
			    "(group { NAME ... })", g->name);
	}
}

static void check_services(struct parser *p)
{
	const struct cfg *c = p->cfg;
	char w[64], a[INET6_ADDRSTRLEN];
	long backends = 0;
	int k, j;

	for (k = 0; k < c->n_vs; k++) {
		const struct cfg_virtual_server *vs = &c->vs[k];

		backends += vs->n_rs + (vs->sorry_addr.family ? 1 : 0);
		for (j = 0; j < k && vs->vip.family; j++) {
			const struct cfg_virtual_server *o = &c->vs[j];

			if (cfg_addr_eq(&vs->vip, &o->vip) && vs->port == o->port &&
			    vs->proto == o->proto) {
				err(p, p->vs_at[k], "virtual_server %s %u %s is already "
				    "defined at %s", cfg_addr_str(&vs->vip, a, sizeof(a)),
				    vs->port, vs->proto == IPPROTO_UDP ? "UDP" : "TCP",
				    where_str(p, p->vs_at[j], p->vs_at[k], w, sizeof(w)));
				break;
			}
		}
	}
	/* With VRRP, a service on no instance's address is static: forwarded
	 * by every node that runs, master or not; most likely a typo. */
	for (k = 0; k < c->n_vs && c->n_instances; k++) {
		for (j = 0; j < k; j++)		/* once per address */
			if (cfg_addr_eq(&c->vs[j].vip, &c->vs[k].vip))
				break;
		if (j < k || !c->vs[k].vip.family)
			continue;
		for (j = 0; j < c->n_instances; j++)
			if (cfg_inst_owns(&c->instances[j], &c->vs[k].vip))
				break;
		if (j == c->n_instances)
			warn(p, p->vs_at[k], "virtual_server %s is in no vrrp_instance's "
			     "virtual_ipaddress: every node running this file forwards for it, "
			     "master or not (static, as without VRRP)",
			     cfg_addr_str(&c->vs[k].vip, a, sizeof(a)));
	}
	if (c->n_vs > (int)c->global.max_services)
		err(p, p->vs_at[c->global.max_services], "more than %u virtual_server "
		    "(raise lbctl_max_services)", c->global.max_services);
	if (c->n_vs && backends > c->global.max_backends)
		err(p, p->vs_at[c->n_vs - 1], "%ld real and sorry servers, more than "
		    "lbctl_max_backends %u", backends, c->global.max_backends);
}

static void validate(struct parser *p)
{
	const struct cfg_tok *end = &p->lx.toks[p->lx.n_toks - 1];

	expand_vs_groups(p);
	resolve_pending(p);
	check_scripts(p);
	check_instances(p);
	check_sync_groups(p);
	check_services(p);
	if (!p->cfg->n_instances && !p->cfg->n_vs && !p->lx.n_errors)
		warn(p, end, "no vrrp_instance and no virtual_server: nothing to do");
}

/* ---- entry points ---- */

static void global_defaults(struct cfg_global *g)
{
	inet_pton(AF_INET, "224.0.0.18", &g->mcast_group4);
	inet_pton(AF_INET6, "ff02::12", &g->mcast_group6);
	g->vrrp_version = 2;
	g->garp_master_delay_us = SEC(5);
	g->garp_master_repeat = 5;
	g->garp_master_refresh_us = 0;
	g->garp_master_refresh_repeat = 1;
	g->textfile_interval_us = SEC(5);
	g->conn_max = LB_CONN_MAX;
	g->conn_rate = LB_CONN_RATE;
	g->max_services = LB_MAX_SERVICES;
	g->max_backends = LB_MAX_BACKENDS;
}

static void parser_free(struct parser *p)
{
	int k;

	for (k = 0; k < p->n_pend; k++)
		free(p->pend[k].name);
	free(p->pend);
	free(p->aux);
	free(p->script_at);
	free(p->sg_at);
	free(p->vs_at);
	for (k = 0; k < p->n_vsgs; k++)
		free(p->vsgs[k].e);
	free(p->vsgs);
	free(p->vsg_uses);
	cfg_lex_free(&p->lx);
}

int cfg_load(const char *path, struct cfg **out)
{
	struct parser p = { 0 };
	int ret;

	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return -ENOMEM;
	global_defaults(&p.cfg->global);
	p.cfg->path = strdup(path);
	ret = p.cfg->path ? cfg_lex_file(&p.lx, path) : -ENOMEM;
	if (!ret && !p.lx.oom) {
		parse_block(&p, NULL, top_kw, NULL, NULL);
		if (!stop(&p))
			validate(&p);
	}
	if (!ret)
		ret = p.lx.oom ? -ENOMEM : p.lx.n_errors ? -EINVAL : 0;
	p.cfg->n_warnings = p.lx.n_warnings;
	parser_free(&p);
	if (ret) {
		cfg_free(p.cfg);
		return ret;
	}
	*out = p.cfg;
	return 0;
}
