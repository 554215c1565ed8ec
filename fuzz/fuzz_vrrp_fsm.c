// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the VRRP state machine (user/vrrp_fsm.h) under a
 * random sequence of events - adverts with any priority, interval and
 * source, timers (due and early), faults, priority changes, start and
 * stop, time jumps - checking after each event what must always hold.
 * In pair mode two machines hear each other's adverts; after a quiet
 * period with no events, exactly one of the running ones is Master.
 *
 * Input layout:
 *   0      mode: bit 0 pair; bit 1 IPv6; bit 2 VRRPv3
 *   then per node (1 or 2): priority, interval (2 bytes), flags
 *          (bit 0 nopreempt, bit 1 state MASTER, bits 2-3 preempt_delay
 *          none / 1 interval / 3 s / from the next byte), preempt byte,
 *          last byte of the primary address
 *   1      start time, in 2^20 µs
 *   then events, 4 bytes each: op, a, b, c
 *
 * Properties (each checked after every event):
 *  - the state is one of the four; INIT and FAULT arm no timer; a Master
 *    has its advert timer and no down timer, a Backup the reverse;
 *  - every armed deadline is in the future, a Master's next advert at
 *    most one Advertisement_Interval away, a Backup's down timer at most
 *    one Master_Down_Interval of the longest interval away;
 *  - vrrp_fsm_next_deadline() is the earliest armed timer;
 *  - the effective priority is 1..254, or 255 exactly for the owner;
 *  - a fault keeps a started machine in FAULT, and only a fault does;
 *  - the actions match the change: STATE_CHANGED iff the state changed,
 *    BECOME_MASTER iff it became Master, LEAVE_MASTER iff it stopped
 *    being one, SEND_PRIO0 only when leaving, a Master's first advert
 *    before its VIPs, no advert from a non-Master;
 *  - an advert never makes a Master (only the down timer or startup
 *    does), our own looped-back advert changes nothing, a higher
 *    priority from elsewhere always unseats a Master, a lower one never
 *    does, a tie goes to the higher address, and a preempting Backup
 *    ignores a lower-priority Master's advert (its down timer does not
 *    move);
 *  - a timer called before its deadline changes nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "vrrp_fsm.h"

FZ_REPORT_DEFINE;

#define USEC_PER_SEC	1000000ULL
#define MAX_EVENTS	2000
#define MAX_SETTLES	8

enum op {
	OP_ADVANCE,		/* time moves on; due timers fire */
	OP_RX,			/* an advert from somewhere */
	OP_TIMER,		/* a timer call, due or not */
	OP_FAULT,
	OP_RECOVER,
	OP_PRIO,
	OP_START,
	OP_STOP,
	OP_SETTLE,		/* pair: no events for a while */
	OP_COUNT,
};

struct node {
	struct vrrp_fsm f;
	int id;
};

static struct node nodes[2];
static int n_nodes;
static uint64_t now;

/* The longest Master_Down_Interval a Backup can be waiting. */
static uint64_t max_down(const struct vrrp_fsm *f)
{
	if (f->cfg.version == 2)
		return 3 * f->cfg.adver_int_us + USEC_PER_SEC;
	return 4 * VRRP_V3_MAX_INT_CS * 10000ULL;
}

/*
 * BEFORE is the machine before the call: a deadline the call armed must
 * be in the future and within bounds. One it left alone may be due right
 * now: another node's event at the same instant came first.
 */
static void check_state(const struct vrrp_fsm *f, const struct vrrp_fsm *before)
{
	uint64_t a = f->adver_timer, d = f->master_down_timer, next;

	FZ_ASSERT(f->state >= VRRP_INIT && f->state <= VRRP_FAULT, "state %d", f->state);
	switch (f->state) {
	case VRRP_INIT:
	case VRRP_FAULT:
		FZ_ASSERT(!a && !d, "%s with timers %llu %llu", vrrp_state_str(f->state),
			  (unsigned long long)a, (unsigned long long)d);
		break;
	case VRRP_MASTER:
		FZ_ASSERT(a && !d, "MASTER with timers %llu %llu",
			  (unsigned long long)a, (unsigned long long)d);
		if (a != before->adver_timer)
			FZ_ASSERT(a > now && a - now <= f->cfg.adver_int_us,
				  "MASTER advert due at %llu, now %llu, interval %llu",
				  (unsigned long long)a, (unsigned long long)now,
				  (unsigned long long)f->cfg.adver_int_us);
		break;
	case VRRP_BACKUP:
		FZ_ASSERT(!a && d, "BACKUP with timers %llu %llu",
			  (unsigned long long)a, (unsigned long long)d);
		if (d != before->master_down_timer)
			FZ_ASSERT(d > now && d - now <= max_down(f),
				  "BACKUP down timer %llu, now %llu", (unsigned long long)d,
				  (unsigned long long)now);
		break;
	}
	next = !a ? d : !d ? a : a < d ? a : d;
	FZ_ASSERT(vrrp_fsm_next_deadline(f) == next, "next deadline %llu, timers %llu %llu",
		  (unsigned long long)vrrp_fsm_next_deadline(f), (unsigned long long)a,
		  (unsigned long long)d);
	if (f->cfg.priority == VRRP_PRIO_OWNER)
		FZ_ASSERT(f->priority == VRRP_PRIO_OWNER, "owner at priority %u", f->priority);
	else
		FZ_ASSERT(f->priority >= 1 && f->priority <= 254, "priority %u", f->priority);
	FZ_ASSERT(vrrp_fsm_priority(f) == f->priority, "advert priority");
	if (f->state != VRRP_INIT)
		FZ_ASSERT(f->faulted == (f->state == VRRP_FAULT), "faulted %d in %s",
			  f->faulted, vrrp_state_str(f->state));
	FZ_ASSERT(f->master_adver_int_us >= 10000 &&
		  f->master_adver_int_us <= VRRP_V3_MAX_INT_CS * 10000ULL,
		  "Master_Adver_Interval %llu", (unsigned long long)f->master_adver_int_us);
	if (f->cfg.version == 2)
		FZ_ASSERT(f->master_adver_int_us == f->cfg.adver_int_us, "v2 learnt an interval");
}

static void check_actions(enum vrrp_state old, const struct vrrp_fsm *f, unsigned int act)
{
	bool was = old == VRRP_MASTER, is = f->state == VRRP_MASTER;

	FZ_ASSERT(!(act & ~0x1fu), "unknown action bits %#x", act);
	FZ_ASSERT(!!(act & VRRP_ACT_STATE_CHANGED) == (old != f->state),
		  "STATE_CHANGED %#x for %s -> %s", act, vrrp_state_str(old),
		  vrrp_state_str(f->state));
	FZ_ASSERT(!!(act & VRRP_ACT_BECOME_MASTER) == (!was && is),
		  "BECOME_MASTER %#x for %s -> %s", act, vrrp_state_str(old),
		  vrrp_state_str(f->state));
	FZ_ASSERT(!!(act & VRRP_ACT_LEAVE_MASTER) == (was && !is),
		  "LEAVE_MASTER %#x for %s -> %s", act, vrrp_state_str(old),
		  vrrp_state_str(f->state));
	if (act & VRRP_ACT_SEND_PRIO0)
		FZ_ASSERT(act & VRRP_ACT_LEAVE_MASTER, "priority 0 without leaving");
	if (act & VRRP_ACT_BECOME_MASTER)
		FZ_ASSERT(act & VRRP_ACT_SEND_ADVERT, "new Master without its first advert");
	if (act & VRRP_ACT_SEND_ADVERT)
		FZ_ASSERT(is, "advert from a %s", vrrp_state_str(f->state));
}

/* ---- two machines on one link ---- */

struct msg {
	int to;
	uint8_t prio;
	uint16_t int_cs;
	union vrrp_ip src;
};

static struct msg queue[64];
static int q_head, q_tail;

static void emit(int from, unsigned int act)
{
	const struct vrrp_fsm *f = &nodes[from].f;
	int k;

	if (n_nodes < 2 || !(act & (VRRP_ACT_SEND_ADVERT | VRRP_ACT_SEND_PRIO0)))
		return;
	/* in the order the caller performs them: prio 0 first, then an advert */
	for (k = 0; k < 2; k++) {
		unsigned int bit = k ? VRRP_ACT_SEND_ADVERT : VRRP_ACT_SEND_PRIO0;

		if (!(act & bit) || q_tail - q_head >= (int)(sizeof(queue) / sizeof(queue[0])))
			continue;
		queue[q_tail % 64] = (struct msg){
			.to = !from,
			.prio = bit == VRRP_ACT_SEND_PRIO0 ? 0 : vrrp_fsm_priority(f),
			.int_cs = (uint16_t)(f->cfg.adver_int_us / 10000),
			.src = f->cfg.primary,
		};
		q_tail++;
	}
}

static unsigned int rx(int n, const struct vrrp_advert *a, const union vrrp_ip *src);

static void deliver(void)
{
	struct vrrp_advert a;
	int guard = 0;

	while (q_head < q_tail && guard++ < 1000) {
		struct msg m = queue[q_head % 64];

		q_head++;
		memset(&a, 0, sizeof(a));
		a.version = (uint8_t)nodes[m.to].f.cfg.version;
		a.vrid = 1;
		a.priority = m.prio;
		a.n_addrs = 1;
		a.adver_int_cs = m.int_cs;
		a.family = nodes[m.to].f.cfg.family;
		emit(m.to, rx(m.to, &a, &m.src));
	}
	FZ_ASSERT(guard < 1000, "adverts bounce for ever");
}

/* ---- events, each followed by the checks ---- */

static unsigned int rx(int n, const struct vrrp_advert *a, const union vrrp_ip *src)
{
	struct vrrp_fsm *f = &nodes[n].f, before = *f;
	size_t alen = f->cfg.family == AF_INET ? 4 : 16;
	bool own = !memcmp(src->bytes, f->cfg.primary.bytes, alen);
	unsigned int act;

	act = vrrp_fsm_rx(f, now, a, src);
	check_state(f, &before);
	check_actions(before.state, f, act);
	FZ_ASSERT(!(act & VRRP_ACT_BECOME_MASTER), "an advert made a Master");
	if (own || a->family != f->cfg.family ||
	    (before.state != VRRP_BACKUP && before.state != VRRP_MASTER)) {
		FZ_ASSERT(!act && !memcmp(&before, f, sizeof(before)),
			  "ignored advert changed something (own %d, %s)", own,
			  vrrp_state_str(before.state));
		return act;
	}
	if (before.state == VRRP_MASTER && a->priority > before.priority)
		FZ_ASSERT(f->state == VRRP_BACKUP, "Master kept its place against priority %u > %u",
			  a->priority, before.priority);
	if (before.state == VRRP_MASTER && a->priority < before.priority)
		FZ_ASSERT(f->state == VRRP_MASTER, "Master unseated by priority %u < %u",
			  a->priority, before.priority);
	/* a tie goes to the higher primary address (RFC 5798 6.4.3) */
	if (before.state == VRRP_MASTER && a->priority == before.priority)
		FZ_ASSERT((f->state == VRRP_MASTER) ==
			  (memcmp(src->bytes, f->cfg.primary.bytes, alen) < 0),
			  "tie at priority %u: %s", a->priority, vrrp_state_str(f->state));
	if (before.state == VRRP_BACKUP && a->priority && a->priority < before.priority &&
	    !f->cfg.nopreempt && !f->cfg.preempt_delay_us)
		FZ_ASSERT(f->master_down_timer == before.master_down_timer,
			  "preempting Backup listened to priority %u < %u",
			  a->priority, before.priority);
	if (before.state == VRRP_BACKUP && a->priority == VRRP_PRIO_STOP)
		FZ_ASSERT(f->master_down_timer - now == vrrp_fsm_skew_time(f),
			  "priority 0: down timer in %llu, skew %llu",
			  (unsigned long long)(f->master_down_timer - now),
			  (unsigned long long)vrrp_fsm_skew_time(f));
	if (before.state == VRRP_BACKUP && a->priority >= before.priority)
		FZ_ASSERT(f->master_down_timer - now == vrrp_fsm_master_down_interval(f),
			  "heard Master: down timer in %llu, interval %llu",
			  (unsigned long long)(f->master_down_timer - now),
			  (unsigned long long)vrrp_fsm_master_down_interval(f));
	return act;
}

static unsigned int timer(int n)
{
	struct vrrp_fsm *f = &nodes[n].f, before = *f;
	uint64_t due = vrrp_fsm_next_deadline(f);
	unsigned int act = vrrp_fsm_timer(f, now);

	check_state(f, &before);
	check_actions(before.state, f, act);
	if (!due || now < due)
		FZ_ASSERT(!act && !memcmp(&before, f, sizeof(before)),
			  "early timer call changed something");
	return act;
}

/* Fire what is due on every node, as the event loop would. */
static void run_timers(void)
{
	int n, guard;

	for (n = 0; n < n_nodes; n++) {
		for (guard = 0; guard < 4; guard++) {
			uint64_t due = vrrp_fsm_next_deadline(&nodes[n].f);

			if (!due || due > now)
				break;
			emit(n, timer(n));
			deliver();
		}
		FZ_ASSERT(guard < 4, "a timer stays due after firing");
	}
	/* all caught up: nothing is due any more */
	for (n = 0; n < n_nodes; n++) {
		uint64_t due = vrrp_fsm_next_deadline(&nodes[n].f);

		FZ_ASSERT(!due || due > now, "node %d: deadline %llu not after now %llu", n,
			  (unsigned long long)due, (unsigned long long)now);
	}
}

static void advance(uint64_t us)
{
	uint64_t end = now + us;

	/* step through each deadline on the way, as the event loop would */
	for (;;) {
		uint64_t next = 0;
		int n;

		for (n = 0; n < n_nodes; n++) {
			uint64_t d = vrrp_fsm_next_deadline(&nodes[n].f);

			if (d && (!next || d < next))
				next = d;
		}
		if (!next || next > end)
			break;
		if (next > now)
			now = next;
		run_timers();
	}
	now = end;
	run_timers();
}

static void call(int n, enum op op, int arg)
{
	struct vrrp_fsm *f = &nodes[n].f, before = *f;
	enum vrrp_state old = f->state;
	bool was_faulted = f->faulted;
	unsigned int act = 0;

	switch (op) {
	case OP_FAULT:
		act = vrrp_fsm_fault(f, now, true);
		FZ_ASSERT(f->state == VRRP_INIT || f->state == VRRP_FAULT, "fault left %s",
			  vrrp_state_str(f->state));
		break;
	case OP_RECOVER:
		act = vrrp_fsm_fault(f, now, false);
		if (was_faulted && old == VRRP_FAULT)
			FZ_ASSERT(f->state == VRRP_BACKUP || f->state == VRRP_MASTER,
				  "recovery left %s", vrrp_state_str(f->state));
		break;
	case OP_PRIO:
		act = vrrp_fsm_set_priority(f, now, arg);
		FZ_ASSERT(act == 0 && f->state == old, "priority change acted: %#x", act);
		if (f->cfg.priority != VRRP_PRIO_OWNER)
			FZ_ASSERT(f->priority == (arg < 1 ? 1 : arg > 254 ? 254 : arg),
				  "priority %d became %u", arg, f->priority);
		break;
	case OP_START:
		act = vrrp_fsm_start(f, now);
		if (old == VRRP_INIT)
			FZ_ASSERT(f->state != VRRP_INIT, "start stayed in INIT");
		else
			FZ_ASSERT(!act && f->state == old, "second start acted");
		if (old == VRRP_INIT && f->cfg.priority == VRRP_PRIO_OWNER && !f->faulted)
			FZ_ASSERT(f->state == VRRP_MASTER, "owner started as %s",
				  vrrp_state_str(f->state));
		break;
	case OP_STOP:
		act = vrrp_fsm_stop(f, now);
		FZ_ASSERT(f->state == VRRP_INIT, "stop left %s", vrrp_state_str(f->state));
		if (old == VRRP_MASTER)
			FZ_ASSERT(act & VRRP_ACT_SEND_PRIO0, "Master stopped without priority 0");
		break;
	default:
		return;
	}
	check_state(f, &before);
	check_actions(old, f, act);
	emit(n, act);
	deliver();
}

/* Pair: with no more events, the running nodes end with one Master. */
static void settle(void)
{
	uint64_t longest = 0;
	int n, running = 0, masters = 0;

	/* long enough for every down timer and preempt_delay to run out */
	for (n = 0; n < n_nodes; n++) {
		const struct vrrp_fsm *f = &nodes[n].f;
		uint64_t iv = f->master_adver_int_us > f->cfg.adver_int_us ?
			      f->master_adver_int_us : f->cfg.adver_int_us;
		uint64_t d = 4 * iv + USEC_PER_SEC + f->cfg.preempt_delay_us;

		if (d > longest)
			longest = d;
	}
	advance(2 * longest);
	for (n = 0; n < n_nodes; n++) {
		enum vrrp_state s = nodes[n].f.state;

		running += s == VRRP_BACKUP || s == VRRP_MASTER;
		masters += s == VRRP_MASTER;
	}
	FZ_ASSERT(!running || masters == 1, "%d running, %d Masters after settling",
		  running, masters);
}

static bool setup(struct fz *in, uint8_t mode)
{
	int n;

	n_nodes = mode & 1 ? 2 : 1;
	for (n = 0; n < n_nodes; n++) {
		struct vrrp_fsm_config cfg = { 0 };
		uint8_t prio = fz_u8(in), flags;
		uint16_t iv = fz_u16(in);
		uint8_t pd, last;

		flags = fz_u8(in);
		pd = fz_u8(in);
		last = fz_u8(in);
		cfg.version = mode & 4 ? 3 : 2;
		cfg.family = mode & 2 ? AF_INET6 : AF_INET;
		if (cfg.family == AF_INET6)
			cfg.version = 3;
		cfg.priority = prio ? prio : 100;
		if (cfg.version == 2)
			cfg.adver_int_us = (1 + iv % 5) * USEC_PER_SEC;
		else
			cfg.adver_int_us = (1 + iv % VRRP_V3_MAX_INT_CS) * 10000ULL;
		if (n == 1)	/* peers agree on the interval, as configured */
			cfg.adver_int_us = nodes[0].f.cfg.adver_int_us;
		cfg.nopreempt = flags & 1;
		cfg.want_master = flags & 2;
		switch ((flags >> 2) & 3) {
		case 0: cfg.preempt_delay_us = 0; break;
		case 1: cfg.preempt_delay_us = cfg.adver_int_us; break;
		case 2: cfg.preempt_delay_us = 3 * USEC_PER_SEC; break;
		case 3: cfg.preempt_delay_us = pd * 100000ULL; break;
		}
		if (cfg.family == AF_INET) {
			cfg.primary.bytes[0] = 10;
			cfg.primary.bytes[3] = last;
		} else {
			cfg.primary.bytes[0] = 0xfe;
			cfg.primary.bytes[1] = 0x80;
			cfg.primary.bytes[15] = last;
		}
		if (n == 1 && !memcmp(&cfg.primary, &nodes[0].f.cfg.primary, sizeof(cfg.primary)))
			cfg.primary.bytes[cfg.family == AF_INET ? 3 : 15] ^= 1;
		FZ_ASSERT(vrrp_fsm_init(&nodes[n].f, &cfg) == 0, "init refused a valid config");
		nodes[n].id = n;
		check_state(&nodes[n].f, &nodes[n].f);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct vrrp_fsm_config bad;
	uint8_t mode;
	int k, settles = 0;

	fz_init();
	mode = fz_u8(&in);
	q_head = q_tail = 0;
	if (!setup(&in, mode))
		return 0;
	now = 1 + ((uint64_t)fz_u8(&in) << 20);

	/* settings out of range are refused, whatever the rest */
	bad = nodes[0].f.cfg;
	bad.priority = 0;
	FZ_ASSERT(vrrp_fsm_init(&(struct vrrp_fsm){ 0 }, &bad) == -EINVAL, "priority 0 taken");
	bad = nodes[0].f.cfg;
	bad.adver_int_us += 1;
	FZ_ASSERT(vrrp_fsm_init(&(struct vrrp_fsm){ 0 }, &bad) == -EINVAL, "interval %llu taken",
		  (unsigned long long)bad.adver_int_us);

	for (k = 0; k < MAX_EVENTS && in.n; k++) {
		uint8_t op = fz_u8(&in), a = fz_u8(&in), b = fz_u8(&in), c = fz_u8(&in);
		int n = n_nodes > 1 ? (op >> 7) & 1 : 0;
		struct vrrp_fsm *f = &nodes[n].f;

		switch ((op & 0x7f) % OP_COUNT) {
		case OP_ADVANCE:
			/* mostly small steps, sometimes seconds, rarely minutes */
			advance(c & 0x80 ? ((uint64_t)a << 16 | (uint64_t)b << 8) :
				(uint64_t)(a << 8 | b) * (1 + (c & 0x7f)));
			break;
		case OP_RX: {
			struct vrrp_advert adv = { 0 };
			union vrrp_ip src = f->cfg.primary;
			size_t alen = f->cfg.family == AF_INET ? 4 : 16;

			adv.version = (uint8_t)f->cfg.version;
			adv.vrid = 1;
			adv.priority = a;
			adv.n_addrs = 1;
			adv.family = c & 0x40 ? (f->cfg.family == AF_INET ? AF_INET6 : AF_INET) :
				     f->cfg.family;
			/* the interval: ours, or any a v3 decoder lets through */
			adv.adver_int_cs = f->cfg.version == 3 && (c & 0x80) ?
					   (uint16_t)(1 + ((b << 4 | (c & 0x0f)) % VRRP_V3_MAX_INT_CS)) :
					   (uint16_t)(f->cfg.adver_int_us / 10000);
			/* the source: ours (looped back), just below or above, or any */
			switch ((c >> 4) & 3) {
			case 0: break;
			case 1: src.bytes[alen - 1]--; break;
			case 2: src.bytes[alen - 1]++; break;
			case 3: src.bytes[alen - 1] = b; src.bytes[alen - 2] ^= a & 1; break;
			}
			emit(n, rx(n, &adv, &src));
			deliver();
			break;
		}
		case OP_TIMER:
			emit(n, timer(n));
			deliver();
			break;
		case OP_PRIO:
			call(n, OP_PRIO, (int)(int8_t)b * 3 + a);
			break;
		case OP_SETTLE:
			if (n_nodes > 1 && settles++ < MAX_SETTLES)
				settle();
			break;
		default:
			call(n, (enum op)((op & 0x7f) % OP_COUNT), 0);
			break;
		}
	}
	if (n_nodes > 1)
		settle();
	return 0;
}
