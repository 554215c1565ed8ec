// SPDX-License-Identifier: GPL-2.0
/*
 * VRRP state machine: table-driven transitions with exact deadlines in
 * microseconds, then two machines wired to each other.
 *
 * Arithmetic used below (truncating division, as the code does):
 *   v3, 1 s:  prio 100  skew 156*1e6/256 = 609375    MDI 3609375
 *             prio 200  skew  56*1e6/256 = 218750    MDI 3218750
 *             prio 120  skew 136*1e6/256 = 531250
 *             prio  50  skew 206*1e6/256 = 804687    MDI 3804687
 *             prio 255  skew   1*1e6/256 =   3906   ("state MASTER" start)
 *   v3, 10 ms: prio 100 skew 156*1e4/256 = 6093      MDI 36093
 *             prio 254  skew   2*1e4/256 = 78        MDI 30078
 *             prio 255  skew   1*1e4/256 = 39
 *   v3 learned 500 ms, prio 100: skew 304687, MDI 1804687
 *   v3 learned 4 s,    prio 100: skew 2437500, MDI 14437500
 *   v3 learned 200 ms, prio 100: skew 121875, MDI 721875
 *   v2, 2 s, prio 100: skew 609375 (of one second), MDI 6609375
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "tap.h"
#include "vrrp_fsm.h"

#define T0	1000000ULL	/* "now" of relative time 0: any clock > 0 */
#define SEC	1000000

/* 0 is the end of a case's steps */
enum op { OP_START = 1, OP_STOP, OP_TIMER, OP_RX, OP_FAULT, OP_CLEAR, OP_PRIO };

#define NONE	(-1)		/* expected deadline: none armed */

struct step {
	enum op op;
	int64_t at;		/* relative to T0 */
	int prio;		/* RX: advert priority; PRIO: new effective priority */
	const char *src;	/* RX: sender; NULL = a higher address than ours */
	int int_cs;		/* RX: advert interval; 0 = the instance's own */
	unsigned int act;	/* expected actions */
	enum vrrp_state state;	/* expected state after */
	int64_t dl;		/* expected next deadline, relative; NONE */
	int adv_prio;		/* expected vrrp_fsm_priority() after; 0 = unchecked */
};

struct ccfg {
	int version;
	int prio;
	uint64_t int_us;
	bool nopreempt;
	uint64_t delay_us;
	bool want_master;
	bool v6;
	const char *primary;	/* NULL = 10.0.0.2 / fe80::2 */
};

struct fsm_case {
	const char *name;
	struct ccfg cfg;
	struct step steps[12];
};

#define ADV	VRRP_ACT_SEND_ADVERT
#define P0	VRRP_ACT_SEND_PRIO0
#define UP	VRRP_ACT_BECOME_MASTER
#define DOWN	VRRP_ACT_LEAVE_MASTER
#define CHG	VRRP_ACT_STATE_CHANGED
#define I	VRRP_INIT
#define B	VRRP_BACKUP
#define M	VRRP_MASTER
#define F	VRRP_FAULT

#define START(t, a, s, d)	{ .op = OP_START, .at = (t), .act = (a), .state = (s), .dl = (d) }
#define STOP(t, a, s, d)	{ .op = OP_STOP, .at = (t), .act = (a), .state = (s), .dl = (d) }
#define TIMER(t, a, s, d)	{ .op = OP_TIMER, .at = (t), .act = (a), .state = (s), .dl = (d) }
#define FAULT(t, a, s, d)	{ .op = OP_FAULT, .at = (t), .act = (a), .state = (s), .dl = (d) }
#define CLEAR(t, a, s, d)	{ .op = OP_CLEAR, .at = (t), .act = (a), .state = (s), .dl = (d) }
#define RX(t, p, a, s, d)	{ .op = OP_RX, .at = (t), .prio = (p), .act = (a), .state = (s), .dl = (d) }
#define RXF(t, p, from, a, s, d) { .op = OP_RX, .at = (t), .prio = (p), .src = (from), \
				   .act = (a), .state = (s), .dl = (d) }
#define RXI(t, p, cs, a, s, d)	{ .op = OP_RX, .at = (t), .prio = (p), .int_cs = (cs), \
				  .act = (a), .state = (s), .dl = (d) }
#define PRIO(t, p, want, a, s, d) { .op = OP_PRIO, .at = (t), .prio = (p), .adv_prio = (want), \
				    .act = (a), .state = (s), .dl = (d) }

#define V3_1S_100	{ .version = 3, .prio = 100, .int_us = SEC }
#define V3_1S_200	{ .version = 3, .prio = 200, .int_us = SEC }
#define MASTER_AT_MDI	START(0, CHG, B, 3609375), TIMER(3609375, ADV | UP | CHG, M, 4609375)

static const struct fsm_case cases[] = {
	{ "backup start, no adverts: master after Master_Down_Interval", V3_1S_100, {
		START(0, CHG, B, 3609375),
		TIMER(3609374, 0, B, 3609375),
		TIMER(3609375, ADV | UP | CHG, M, 4609375),
		TIMER(4609375, ADV, M, 5609375),
		TIMER(5609400, ADV, M, 6609400),	/* called late: next from now */
	} },
	{ "owner (255): master at once", { .version = 3, .prio = 255, .int_us = SEC }, {
		START(0, ADV | UP | CHG, M, 1000000),
		RX(500000, 254, ADV, M, 1000000),
		PRIO(600000, 100, 255, 0, M, 1000000),	/* weights never unmake the owner */
		TIMER(1000000, ADV, M, 2000000),
	} },
	{ "backup hears higher priority: stays, timer reset", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RX(500000, 150, 0, B, 4109375),
		TIMER(3609375, 0, B, 4109375),		/* the old deadline is gone */
		RXF(1500000, 101, "10.0.0.1", 0, B, 5109375),	/* address plays no part */
		TIMER(5109375, ADV | UP | CHG, M, 6109375),	/* the master went quiet */
	} },
	{ "backup hears equal priority from a lower address: stays backup", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RXF(1000000, 100, "10.0.0.1", 0, B, 4609375),
	} },
	{ "master hears higher priority: to backup", V3_1S_100, {
		MASTER_AT_MDI,
		RXF(4000000, 200, "10.0.0.1", DOWN | CHG, B, 7609375),
	} },
	{ "master hears lower priority: answers, stays", V3_1S_100, {
		MASTER_AT_MDI,
		RX(4000000, 99, ADV, M, 4609375),	/* periodic timer untouched */
		RX(4100000, 1, ADV, M, 4609375),
	} },
	{ "master hears priority 0: advert at once, timer reset", V3_1S_100, {
		MASTER_AT_MDI,
		RX(4100000, 0, ADV, M, 5100000),
	} },
	{ "tie at equal priority: greater address wins", V3_1S_100, {
		MASTER_AT_MDI,
		RXF(4000000, 100, "10.0.0.1", ADV, M, 4609375),
		RXF(4100000, 100, "10.0.0.3", DOWN | CHG, B, 7709375),
	} },
	{ "tie compares unsigned: 192.168.0.2 beats 10.255.255.255",
	  { .version = 3, .prio = 100, .int_us = SEC, .primary = "192.168.0.2" }, {
		MASTER_AT_MDI,
		RXF(4000000, 100, "10.255.255.255", ADV, M, 4609375),
		RXF(4100000, 100, "192.168.1.1", DOWN | CHG, B, 7709375),
	} },
	{ "tie over IPv6", { .version = 3, .prio = 100, .int_us = SEC, .v6 = true }, {
		MASTER_AT_MDI,
		RXF(4000000, 100, "fe80::1", ADV, M, 4609375),
		RXF(4100000, 100, "fe80::1:0", DOWN | CHG, B, 7709375),
	} },
	{ "own advert looped back: ignored", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RXF(1000000, 200, "10.0.0.2", 0, B, 3609375),
		TIMER(3609375, ADV | UP | CHG, M, 4609375),
		RXF(4000000, 100, "10.0.0.2", 0, M, 4609375),
	} },
	{ "backup hears priority 0: master after Skew_Time", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RX(500000, 150, 0, B, 4109375),
		RX(1000000, 0, 0, B, 1609375),
		TIMER(1609374, 0, B, 1609375),
		TIMER(1609375, ADV | UP | CHG, M, 2609375),
	} },
	{ "stop as master: priority-0 advert, leave", V3_1S_100, {
		MASTER_AT_MDI,
		STOP(4000000, P0 | DOWN | CHG, I, NONE),
		TIMER(5000000, 0, I, NONE),
		RX(5000000, 200, 0, I, NONE),
		STOP(6000000, 0, I, NONE),
	} },
	{ "stop as backup: nothing to send", V3_1S_100, {
		START(0, CHG, B, 3609375),
		STOP(1, CHG, I, NONE),
		START(2, CHG, B, 3609377),		/* and it can start again */
	} },
	{ "preempt: lower-priority master discarded, taken over", V3_1S_200, {
		START(0, CHG, B, 3218750),
		RX(1000000, 100, 0, B, 3218750),
		RX(2000000, 100, 0, B, 3218750),
		TIMER(3218750, ADV | UP | CHG, M, 4218750),
		RX(3500000, 100, ADV, M, 4218750),	/* and the old one told so */
	} },
	{ "nopreempt: lower-priority master kept",
	  { .version = 3, .prio = 200, .int_us = SEC, .nopreempt = true }, {
		START(0, CHG, B, 3218750),
		RX(1000000, 100, 0, B, 4218750),
		RX(2000000, 100, 0, B, 5218750),
		RX(3000000, 0, 0, B, 3218750),		/* until it leaves: skew */
		TIMER(3218750, ADV | UP | CHG, M, 4218750),
	} },
	{ "preempt_delay 10 s: lower master kept until 10 s after start",
	  { .version = 3, .prio = 200, .int_us = SEC, .delay_us = 10 * SEC }, {
		START(0, CHG, B, 3218750),
		RX(1000000, 100, 0, B, 4218750),
		RX(4000000, 100, 0, B, 7218750),
		RX(7000000, 100, 0, B, 10218750),
		RX(9999999, 100, 0, B, 13218749),
		RX(10000000, 100, 0, B, 13218749),	/* delay over: discarded */
		RX(11000000, 100, 0, B, 13218749),
		TIMER(13218749, ADV | UP | CHG, M, 14218749),
	} },
	{ "preempt_delay restarts after a higher-priority master",
	  { .version = 3, .prio = 200, .int_us = SEC, .delay_us = 10 * SEC }, {
		START(0, CHG, B, 3218750),
		RX(1000000, 250, 0, B, 4218750),	/* ends the start delay */
		RX(3000000, 100, 0, B, 6218750),	/* new delay until 13 s */
		RX(6000000, 100, 0, B, 9218750),
		RX(9000000, 100, 0, B, 12218750),
		RX(12000000, 100, 0, B, 15218750),	/* past 10 s, still kept */
		RX(13000000, 100, 0, B, 15218750),	/* discarded */
		TIMER(15218750, ADV | UP | CHG, M, 16218750),
	} },
	{ "fault as master: priority 0, leave, deaf, back as backup", V3_1S_100, {
		MASTER_AT_MDI,
		FAULT(4000000, P0 | DOWN | CHG, F, NONE),
		RX(4500000, 50, 0, F, NONE),
		RX(4600000, 0, 0, F, NONE),
		TIMER(5000000, 0, F, NONE),
		FAULT(5500000, 0, F, NONE),
		CLEAR(6000000, CHG, B, 9609375),
		CLEAR(6500000, 0, B, 9609375),
	} },
	{ "fault before start and as backup", V3_1S_100, {
		FAULT(0, 0, I, NONE),
		START(1, CHG, F, NONE),
		CLEAR(2, CHG, B, 3609377),
		FAULT(3, CHG, F, NONE),
		STOP(4, CHG, I, NONE),
	} },
	{ "owner leaves fault as master", { .version = 3, .prio = 255, .int_us = SEC }, {
		START(0, ADV | UP | CHG, M, 1000000),
		FAULT(100000, P0 | DOWN | CHG, F, NONE),
		CLEAR(200000, ADV | UP | CHG, M, 1200000),
	} },
	{ "10 ms interval: exact deadlines", { .version = 3, .prio = 100, .int_us = 10000 }, {
		START(0, CHG, B, 36093),
		TIMER(36092, 0, B, 36093),
		TIMER(36093, ADV | UP | CHG, M, 46093),
		TIMER(46093, ADV, M, 56093),
		RXI(50000, 200, 1, DOWN | CHG, B, 86093),
		RXI(60000, 0, 1, 0, B, 66093),
		TIMER(66093, ADV | UP | CHG, M, 76093),
	} },
	{ "10 ms interval, priority 254", { .version = 3, .prio = 254, .int_us = 10000 }, {
		START(0, CHG, B, 30078),
		RXI(10000, 0, 1, 0, B, 10078),
	} },
	{ "10 ms interval, state MASTER wish",
	  { .version = 3, .prio = 100, .int_us = 10000, .want_master = true }, {
		START(0, CHG, B, 10039),
		TIMER(10039, ADV | UP | CHG, M, 20039),
	} },
	{ "state MASTER wish: backup for one interval + skew(255)",
	  { .version = 3, .prio = 100, .int_us = SEC, .want_master = true }, {
		START(0, CHG, B, 1003906),
		RX(500000, 150, 0, B, 4109375),		/* someone is there: full wait */
	} },
	{ "state MASTER wish, v2",
	  { .version = 2, .prio = 100, .int_us = SEC, .want_master = true }, {
		START(0, CHG, B, 1003906),
		TIMER(1003906, ADV | UP | CHG, M, 2003906),
	} },
	{ "v3 backup learns Master_Adver_Interval", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RXI(1000000, 200, 50, 0, B, 2804687),
		RXI(2000000, 200, 400, 0, B, 16437500),
		RXI(3000000, 0, 400, 0, B, 5437500),	/* skew of the learned 4 s */
		TIMER(5437500, ADV | UP | CHG, M, 6437500),	/* sends at its own 1 s */
	} },
	{ "v3 master yielding learns the new master's interval", V3_1S_100, {
		MASTER_AT_MDI,
		RXI(4000000, 200, 20, DOWN | CHG, B, 4721875),
	} },
	{ "v2: own interval kept, skew a fraction of one second",
	  { .version = 2, .prio = 100, .int_us = 2 * SEC }, {
		START(0, CHG, B, 6609375),
		RXI(1000000, 200, 200, 0, B, 7609375),
	} },
	{ "own priority rises above the master's: preempts on its next advert", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RX(1000000, 110, 0, B, 4609375),
		PRIO(1500000, 120, 120, 0, B, 4609375),	/* nothing happens now */
		RX(2000000, 110, 0, B, 4609375),	/* now it is discarded */
		RX(3000000, 0, 0, B, 3531250),		/* skew at 120 */
		TIMER(3531250, ADV | UP | CHG, M, 4531250),
	} },
	{ "master's priority drops below a peer's: loses to its preemption", V3_1S_100, {
		MASTER_AT_MDI,
		PRIO(4000000, 50, 50, 0, M, 4609375),
		TIMER(4609375, ADV, M, 5609375),	/* this advert says 50 */
		RX(4700000, 80, DOWN | CHG, B, 8504687),
	} },
	{ "peer master's priority drops below ours: we take over", V3_1S_100, {
		START(0, CHG, B, 3609375),
		RX(1000000, 150, 0, B, 4609375),
		RX(2000000, 50, 0, B, 4609375),
		TIMER(4609375, ADV | UP | CHG, M, 5609375),
	} },
	{ "effective priority is clamped to 1..254", V3_1S_100, {
		PRIO(0, 300, 254, 0, I, NONE),
		PRIO(0, 0, 1, 0, I, NONE),
		PRIO(0, -20, 1, 0, I, NONE),
		PRIO(0, 255, 254, 0, I, NONE),
		PRIO(0, 90, 90, 0, I, NONE),
	} },
};

static const char *op_name(enum op op)
{
	static const char *const n[] = { "start", "stop", "timer", "rx", "fault",
					 "fault clears", "set priority" };

	return n[op - OP_START];
}

static void act_str(unsigned int a, char *buf, size_t len)
{
	static const char *const n[] = { "prio0", "leave", "advert", "become", "changed" };
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < 5; i++)
		if (a & (1u << i))
			off += snprintf(buf + off, len - off, "%s%s", off ? "|" : "", n[i]);
	if (!off)
		snprintf(buf, len, "none");
}

static void parse_ip(int family, const char *s, union vrrp_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(family, s, ip) != 1) {
		tap_diag("bad test address %s", s);
		exit(1);
	}
}

static int make_fsm(struct vrrp_fsm *f, const struct ccfg *c)
{
	struct vrrp_fsm_config cfg = {
		.version = c->version,
		.priority = (uint8_t)c->prio,
		.adver_int_us = c->int_us,
		.nopreempt = c->nopreempt,
		.preempt_delay_us = c->delay_us,
		.want_master = c->want_master,
		.family = c->v6 ? AF_INET6 : AF_INET,
	};

	parse_ip(cfg.family, c->primary ? c->primary : c->v6 ? "fe80::2" : "10.0.0.2",
		 &cfg.primary);
	return vrrp_fsm_init(f, &cfg);
}

static struct vrrp_advert adv;

static unsigned int run_step(struct vrrp_fsm *f, const struct step *s)
{
	uint64_t now = T0 + (uint64_t)s->at;
	union vrrp_ip src;

	switch (s->op) {
	case OP_START:
		return vrrp_fsm_start(f, now);
	case OP_STOP:
		return vrrp_fsm_stop(f, now);
	case OP_TIMER:
		return vrrp_fsm_timer(f, now);
	case OP_FAULT:
		return vrrp_fsm_fault(f, now, true);
	case OP_CLEAR:
		return vrrp_fsm_fault(f, now, false);
	case OP_PRIO:
		return vrrp_fsm_set_priority(f, now, s->prio);
	case OP_RX:
		memset(&adv, 0, sizeof(adv));
		adv.version = (uint8_t)f->cfg.version;
		adv.family = f->cfg.family;
		adv.vrid = 1;
		adv.priority = (uint8_t)s->prio;
		adv.adver_int_cs = (uint16_t)(s->int_cs ? (uint64_t)s->int_cs
							 : f->cfg.adver_int_us / 10000);
		parse_ip(f->cfg.family, s->src ? s->src :
			 f->cfg.family == AF_INET ? "10.0.0.9" : "fe80::9", &src);
		return vrrp_fsm_rx(f, now, &adv, &src);
	}
	return 0;
}

static void test_cases(void)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fsm_case *c = &cases[i];
		struct vrrp_fsm f;

		if (!tap_ok(make_fsm(&f, &c->cfg) == 0, "%s: config accepted", c->name))
			continue;
		for (j = 0; j < 12 && c->steps[j].op; j++) {
			const struct step *s = &c->steps[j];
			unsigned int act = run_step(&f, s);
			uint64_t dl = vrrp_fsm_next_deadline(&f);
			uint64_t want_dl = s->dl == NONE ? 0 : T0 + (uint64_t)s->dl;
			char a1[64], a2[64], what[48], when[32];
			bool ok;

			if (s->op == OP_RX)
				snprintf(what, sizeof(what), "rx prio %d", s->prio);
			else if (s->op == OP_PRIO)
				snprintf(what, sizeof(what), "set priority %d", s->prio);
			else
				snprintf(what, sizeof(what), "%s", op_name(s->op));
			act_str(s->act, a1, sizeof(a1));
			if (s->dl == NONE)
				snprintf(when, sizeof(when), "none");
			else
				snprintf(when, sizeof(when), "+%lld", (long long)s->dl);
			ok = act == s->act && f.state == s->state && dl == want_dl &&
			     (!s->adv_prio || vrrp_fsm_priority(&f) == s->adv_prio);
			tap_ok(ok, "%s: %s at +%lld us -> %s, %s, deadline %s",
			       c->name, what, (long long)s->at, vrrp_state_str(s->state), a1, when);
			if (!ok) {
				act_str(act, a2, sizeof(a2));
				tap_diag("  got %s, %s, deadline %lld, priority %d",
					 vrrp_state_str(f.state), a2,
					 dl ? (long long)(dl - T0) : -1LL, vrrp_fsm_priority(&f));
			}
		}
	}
}

/* Facts read off the struct that the table does not show. */
static void test_details(void)
{
	struct ccfg c = V3_1S_100;
	struct vrrp_fsm f;
	union vrrp_ip src;

	make_fsm(&f, &c);
	ASSERT_EQ(vrrp_fsm_skew_time(&f), 609375, "skew v3 1 s prio 100");
	ASSERT_EQ(vrrp_fsm_master_down_interval(&f), 3609375, "Master_Down_Interval v3 1 s prio 100");
	vrrp_fsm_start(&f, T0);
	ASSERT_EQ(f.heard_at, 0, "backup: no master heard at startup");
	memset(&adv, 0, sizeof(adv));
	adv.version = 3;
	adv.family = AF_INET;
	adv.priority = 150;
	adv.adver_int_cs = 50;
	parse_ip(AF_INET, "10.0.0.7", &src);
	vrrp_fsm_rx(&f, T0 + 1, &adv, &src);
	ASSERT_EQ(f.master_adver_int_us, 500000, "v3 backup: Master_Adver_Interval learned");
	ASSERT_EQ(f.master_priority, 150, "backup: master priority remembered");
	ASSERT_EQ(f.heard_at, T0 + 1, "backup: when the master was heard remembered");
	ASSERT_MEMEQ(&f.master_addr, &src, 4, "backup: master address remembered");
	ASSERT_EQ(vrrp_fsm_master_down_interval(&f), 1804687, "Master_Down_Interval from learned 500 ms");

	adv.family = AF_INET6;
	ASSERT_EQ(vrrp_fsm_rx(&f, T0 + 2, &adv, &src), 0, "advert of the other family ignored");
	ASSERT_EQ(vrrp_fsm_next_deadline(&f), T0 + 1 + 1804687, "... and the timer untouched");

	c = (struct ccfg){ .version = 3, .prio = 100, .int_us = 10000 };
	make_fsm(&f, &c);
	ASSERT_EQ(vrrp_fsm_skew_time(&f), 6093, "skew v3 10 ms prio 100 (6093.75 truncated)");
	ASSERT_EQ(vrrp_fsm_master_down_interval(&f), 36093, "Master_Down_Interval v3 10 ms prio 100");
	c = (struct ccfg){ .version = 2, .prio = 100, .int_us = 3 * SEC };
	make_fsm(&f, &c);
	ASSERT_EQ(vrrp_fsm_skew_time(&f), 609375, "skew v2 is (256-prio)/256 s whatever the interval");
	ASSERT_EQ(vrrp_fsm_master_down_interval(&f), 9609375, "Master_Down_Interval v2 3 s prio 100");

	c = (struct ccfg){ .version = 3, .prio = 1, .int_us = SEC };
	make_fsm(&f, &c);
	ASSERT_EQ(vrrp_fsm_start(&f, 0), CHG, "start at time 0");
	ASSERT_TRUE(vrrp_fsm_next_deadline(&f) > 0, "a deadline at time 0 + 0 is still armed");
	ASSERT_EQ(vrrp_fsm_start(&f, 5), 0, "start twice does nothing");

	ASSERT_TRUE(!strcmp(vrrp_state_str(VRRP_MASTER), "MASTER"), "state name MASTER");
	ASSERT_TRUE(!strcmp(vrrp_state_str(VRRP_FAULT), "FAULT"), "state name FAULT");
}

static void test_init_checks(void)
{
	static const struct { struct ccfg c; int want; const char *name; } t[] = {
		{ { .version = 3, .prio = 100, .int_us = 10000 }, 0, "init: v3 10 ms ok" },
		{ { .version = 3, .prio = 100, .int_us = 40950000 }, 0, "init: v3 40.95 s ok" },
		{ { .version = 3, .prio = 100, .int_us = 40960000 }, -EINVAL, "init: v3 40.96 s refused" },
		{ { .version = 3, .prio = 100, .int_us = 15000 }, -EINVAL, "init: v3 15 ms refused" },
		{ { .version = 3, .prio = 100, .int_us = 0 }, -EINVAL, "init: zero interval refused" },
		{ { .version = 2, .prio = 100, .int_us = 255 * SEC }, 0, "init: v2 255 s ok" },
		{ { .version = 2, .prio = 100, .int_us = 1500000 }, -EINVAL, "init: v2 1.5 s refused" },
		{ { .version = 2, .prio = 100, .int_us = SEC, .v6 = true }, -EINVAL,
		  "init: v2 over IPv6 refused" },
		{ { .version = 4, .prio = 100, .int_us = SEC }, -EINVAL, "init: version 4 refused" },
		{ { .version = 3, .prio = 0, .int_us = SEC }, -EINVAL, "init: priority 0 refused" },
	};
	struct cfg_vrrp_instance ci = {
		.state_master = true, .priority = 150, .version = 3, .family = AF_INET6,
		.advert_int_us = 20000, .nopreempt = true, .preempt_delay_us = 5 * SEC,
	};
	struct vrrp_fsm_config cfg;
	union vrrp_ip me;
	struct vrrp_fsm f;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ASSERT_EQ(make_fsm(&f, &t[i].c), t[i].want, t[i].name);

	parse_ip(AF_INET6, "fe80::5", &me);
	vrrp_fsm_config_from(&cfg, &ci, &me);
	ASSERT_TRUE(cfg.version == 3 && cfg.priority == 150 && cfg.adver_int_us == 20000 &&
		    cfg.nopreempt && cfg.preempt_delay_us == 5 * SEC && cfg.want_master &&
		    cfg.family == AF_INET6 && !memcmp(&cfg.primary, &me, 16),
		    "config_from: every field from the vrrp_instance");
	ASSERT_OK(vrrp_fsm_init(&f, &cfg), "config_from: result initialises");
	ci.version = 0;
	ci.family = AF_INET;
	ci.advert_int_us = SEC;
	vrrp_fsm_config_from(&cfg, &ci, &me);
	ASSERT_EQ(cfg.version, 2, "config_from: version unset means 2 (keepalived's default)");
}

/*
 * Two machines on one wire: every advert one sends, the other receives
 * at the same instant. Runs until UNTIL (absolute), a step at a time.
 */
struct node {
	struct vrrp_fsm f;
	union vrrp_ip addr;
	unsigned int masters, adverts;	/* how often it became master / sent */
};

static void deliver(struct node *from, struct node *to, uint64_t now, unsigned int act);

static void perform(struct node *n, struct node *peer, uint64_t now, unsigned int act)
{
	if (act & VRRP_ACT_BECOME_MASTER)
		n->masters++;
	deliver(n, peer, now, act);
}

static void deliver(struct node *from, struct node *to, uint64_t now, unsigned int act)
{
	struct vrrp_advert a = { 0 };

	if (!(act & (VRRP_ACT_SEND_ADVERT | VRRP_ACT_SEND_PRIO0)))
		return;
	from->adverts++;
	a.version = 3;
	a.family = AF_INET;
	a.vrid = 7;
	a.adver_int_cs = (uint16_t)(from->f.cfg.adver_int_us / 10000);
	a.priority = act & VRRP_ACT_SEND_PRIO0 ? 0 : vrrp_fsm_priority(&from->f);
	perform(to, from, now, vrrp_fsm_rx(&to->f, now, &a, &from->addr));
}

static void run_until(struct node *x, struct node *y, uint64_t until)
{
	for (;;) {
		uint64_t dx = vrrp_fsm_next_deadline(&x->f), dy = vrrp_fsm_next_deadline(&y->f);
		struct node *n = x, *peer = y;
		uint64_t d = dx;

		if (!dx || (dy && dy < dx)) {
			n = y;
			peer = x;
			d = dy;
		}
		if (!d || d > until)
			return;
		perform(n, peer, d, vrrp_fsm_timer(&n->f, d));
	}
}

static void test_pair(void)
{
	struct ccfg ca = { .version = 3, .prio = 150, .int_us = 100000, .primary = "10.0.0.1" };
	struct ccfg cb = { .version = 3, .prio = 100, .int_us = 100000, .primary = "10.0.0.2",
			   .want_master = true };
	struct node a = { 0 }, b = { 0 };
	uint64_t t = T0;

	make_fsm(&a.f, &ca);
	make_fsm(&b.f, &cb);
	a.addr = a.f.cfg.primary;
	b.addr = b.f.cfg.primary;

	/* b ("state MASTER", lower priority) starts first and takes the VIPs */
	perform(&b, &a, t, vrrp_fsm_start(&b.f, t));
	run_until(&a, &b, t + 500000);
	ASSERT_EQ(b.f.state, VRRP_MASTER, "pair: b alone becomes master");
	t += 500000;
	perform(&a, &b, t, vrrp_fsm_start(&a.f, t));
	run_until(&a, &b, t + 2 * SEC);
	ASSERT_EQ(a.f.state, VRRP_MASTER, "pair: a (150) preempts b (100)");
	ASSERT_EQ(b.f.state, VRRP_BACKUP, "pair: b backs off");
	ASSERT_EQ(a.masters, 1, "pair: a became master once");
	t += 2 * SEC;

	/* a's track script fails, weight -60: b preempts on a's next adverts */
	vrrp_fsm_set_priority(&a.f, t, 90);
	run_until(&a, &b, t + 2 * SEC);
	ASSERT_EQ(b.f.state, VRRP_MASTER, "pair: a at 90 loses to b at 100");
	ASSERT_EQ(a.f.state, VRRP_BACKUP, "pair: a yields to the higher priority");
	t += 2 * SEC;

	/* script recovers; a preempts again */
	vrrp_fsm_set_priority(&a.f, t, 150);
	run_until(&a, &b, t + 2 * SEC);
	ASSERT_EQ(a.f.state, VRRP_MASTER, "pair: a back at 150 takes over again");
	ASSERT_EQ(b.f.state, VRRP_BACKUP, "pair: b backup again");
	t += 2 * SEC;

	/* a stops: its priority-0 advert makes b master after b's skew only */
	perform(&a, &b, t, vrrp_fsm_stop(&a.f, t));
	ASSERT_EQ(vrrp_fsm_next_deadline(&b.f), t + 60937,
		  "pair: after a's priority 0, b waits Skew_Time (156*100000/256)");
	run_until(&a, &b, t + 60937);
	ASSERT_EQ(b.f.state, VRRP_MASTER, "pair: b master at exactly Skew_Time");
	ASSERT_EQ(a.f.state, VRRP_INIT, "pair: a stopped");
}

int main(void)
{
	test_cases();
	test_details();
	test_init_checks();
	test_pair();
	return tap_done();
}
