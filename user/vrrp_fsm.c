// SPDX-License-Identifier: GPL-2.0
/*
 * VRRP state machine, RFC 5798 6.4 / RFC 9568 6.4 / RFC 3768 6.4. See
 * vrrp_fsm.h for the contract and for where keepalived's behaviour is
 * followed instead of the RFC's letter.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp_fsm.h"

#define USEC_PER_SEC	1000000ULL
#define USEC_PER_CS	10000ULL

static const char *const state_names[] = {
	[VRRP_INIT]	= "INIT",
	[VRRP_BACKUP]	= "BACKUP",
	[VRRP_MASTER]	= "MASTER",
	[VRRP_FAULT]	= "FAULT",
};

const char *vrrp_state_str(enum vrrp_state s)
{
	if ((unsigned int)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "UNKNOWN";
	return state_names[s];
}

/* 0 means "off", so a deadline that lands on 0 is moved to 1 µs. */
static uint64_t arm(uint64_t now, uint64_t after)
{
	uint64_t t = now + after;

	return t ? t : 1;
}

static bool is_owner(const struct vrrp_fsm *f)
{
	return f->cfg.priority == VRRP_PRIO_OWNER;
}

static uint64_t skew_at(const struct vrrp_fsm *f, unsigned int prio)
{
	/*
	 * RFC 3768 6.1 defines v2's skew as a fraction of a second; RFC 5798
	 * 6.1 scales it by Master_Adver_Interval so that short intervals get
	 * short skews. keepalived computes both the same way.
	 */
	if (f->cfg.version == 2)
		return ((256 - prio) * USEC_PER_SEC) / 256;
	return ((256 - prio) * f->master_adver_int_us) / 256;
}

uint64_t vrrp_fsm_skew_time(const struct vrrp_fsm *f)
{
	return skew_at(f, f->priority);
}

uint64_t vrrp_fsm_master_down_interval(const struct vrrp_fsm *f)
{
	return 3 * f->master_adver_int_us + vrrp_fsm_skew_time(f);
}

uint64_t vrrp_fsm_next_deadline(const struct vrrp_fsm *f)
{
	uint64_t a = f->adver_timer, b = f->master_down_timer;

	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

int vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_config *cfg)
{
	uint64_t iv = cfg->adver_int_us;

	if (cfg->version == 2) {
		/* one byte of whole seconds on the wire (RFC 3768 5.3.7) */
		if (iv % USEC_PER_SEC || iv < USEC_PER_SEC ||
		    iv > VRRP_V2_MAX_INT_S * USEC_PER_SEC)
			return -EINVAL;
		if (cfg->family != AF_INET)
			return -EINVAL;
	} else if (cfg->version == 3) {
		/* 12 bits of centiseconds (RFC 5798 5.2.7) */
		if (iv % USEC_PER_CS || iv < USEC_PER_CS ||
		    iv > VRRP_V3_MAX_INT_CS * USEC_PER_CS)
			return -EINVAL;
		if (cfg->family != AF_INET && cfg->family != AF_INET6)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (cfg->priority == VRRP_PRIO_STOP)
		return -EINVAL;

	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->state = VRRP_INIT;
	f->priority = cfg->priority;
	f->master_adver_int_us = cfg->adver_int_us;
	return 0;
}

void vrrp_fsm_config_from(struct vrrp_fsm_config *cfg, const struct cfg_vrrp_instance *ci,
			  const union vrrp_ip *primary)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = ci->version ? ci->version : 2;
	cfg->priority = ci->priority;
	cfg->adver_int_us = ci->advert_int_us;
	cfg->nopreempt = ci->nopreempt;
	cfg->preempt_delay_us = ci->preempt_delay_us;
	cfg->want_master = ci->state_master;
	cfg->family = ci->family;
	if (primary)
		cfg->primary = *primary;
}

/* RFC 5798 6.4.2 "If the Master_Down_Timer fires" and 6.4.1 for the owner. */
static unsigned int become_master(struct vrrp_fsm *f, uint64_t now)
{
	f->state = VRRP_MASTER;
	f->master_down_timer = 0;
	f->master_adver_int_us = f->cfg.adver_int_us;
	f->master_priority = 0;
	f->adver_timer = arm(now, f->cfg.adver_int_us);
	return VRRP_ACT_SEND_ADVERT | VRRP_ACT_BECOME_MASTER | VRRP_ACT_STATE_CHANGED;
}

/* RFC 5798 6.4.1 Startup, also used when a fault clears. */
static unsigned int startup(struct vrrp_fsm *f, uint64_t now)
{
	uint64_t down;

	f->adver_timer = 0;
	f->master_down_timer = 0;
	f->master_priority = 0;
	f->heard_at = 0;
	f->master_resigned = false;
	f->preempting = false;
	if (f->faulted) {
		f->state = VRRP_FAULT;
		return VRRP_ACT_STATE_CHANGED;
	}
	if (is_owner(f))
		return become_master(f, now);

	f->state = VRRP_BACKUP;
	f->master_adver_int_us = f->cfg.adver_int_us;
	if (f->cfg.want_master)
		/* keepalived's "state MASTER": contend after about one interval */
		down = f->master_adver_int_us + skew_at(f, VRRP_PRIO_OWNER);
	else
		down = vrrp_fsm_master_down_interval(f);
	f->master_down_timer = arm(now, down);
	f->preempt_until = f->cfg.preempt_delay_us ? arm(now, f->cfg.preempt_delay_us) : 0;
	return VRRP_ACT_STATE_CHANGED;
}

unsigned int vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now)
{
	if (f->state != VRRP_INIT)
		return 0;
	return startup(f, now);
}

unsigned int vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now)
{
	unsigned int act = 0;

	if (f->state == VRRP_INIT)
		return 0;
	/* RFC 5798 6.4.3 Shutdown: tell the Backups not to wait the full
	 * Master_Down_Interval */
	if (f->state == VRRP_MASTER)
		act |= VRRP_ACT_SEND_PRIO0 | VRRP_ACT_LEAVE_MASTER;
	f->state = VRRP_INIT;
	f->adver_timer = 0;
	f->master_down_timer = 0;
	f->preempt_until = 0;
	return act | VRRP_ACT_STATE_CHANGED;
}

unsigned int vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now)
{
	if (f->state == VRRP_MASTER && f->adver_timer && now >= f->adver_timer) {
		/* RFC 5798 6.4.3 "If the Adver_Timer fires" */
		f->adver_timer = arm(now, f->cfg.adver_int_us);
		return VRRP_ACT_SEND_ADVERT;
	}
	if (f->state == VRRP_BACKUP && f->master_down_timer && now >= f->master_down_timer)
		return become_master(f, now);
	return 0;
}

/* VRRPv3 Backups adopt the Master's interval (RFC 5798 6.4.2); v2 has no
 * such thing, and vrrp_decode() refuses v2 adverts with another interval. */
static void learn_interval(struct vrrp_fsm *f, const struct vrrp_advert *a)
{
	if (f->cfg.version == 3 && a->adver_int_cs)
		f->master_adver_int_us = a->adver_int_cs * USEC_PER_CS;
}

static void heard_master(struct vrrp_fsm *f, uint64_t now, const struct vrrp_advert *a,
			 const union vrrp_ip *src)
{
	learn_interval(f, a);
	f->master_down_timer = arm(now, vrrp_fsm_master_down_interval(f));
	f->master_addr = *src;
	f->master_priority = a->priority;
	f->heard_at = now;
	f->master_resigned = false;
	f->preempting = false;
}

static bool preempt_delay_running(const struct vrrp_fsm *f, uint64_t now)
{
	return f->cfg.preempt_delay_us && (!f->preempt_until || now < f->preempt_until);
}

/* RFC 5798 6.4.2 Backup, "If an ADVERTISEMENT is received". */
static unsigned int backup_rx(struct vrrp_fsm *f, uint64_t now, const struct vrrp_advert *a,
			      const union vrrp_ip *src)
{
	if (a->priority == VRRP_PRIO_STOP) {
		/* the Master is leaving: the best Backup (smallest skew) wins */
		f->master_down_timer = arm(now, vrrp_fsm_skew_time(f));
		f->master_resigned = true;
		return 0;
	}
	if (f->cfg.nopreempt || a->priority >= f->priority || preempt_delay_running(f, now)) {
		heard_master(f, now, a, src);
		if (f->cfg.preempt_delay_us) {
			if (a->priority >= f->priority)
				f->preempt_until = 0;
			else if (!f->preempt_until)
				f->preempt_until = arm(now, f->cfg.preempt_delay_us);
		}
		return 0;
	}
	/*
	 * Preempting a lower-priority Master: discard its advert and let the
	 * Master_Down_Timer run out; then we take over (RFC 5798 6.4.2).
	 */
	f->master_addr = *src;
	f->master_priority = a->priority;
	f->heard_at = now;
	f->preempting = true;
	return 0;
}

/* RFC 5798 6.4.3 Master, "If an ADVERTISEMENT is received". */
static unsigned int master_rx(struct vrrp_fsm *f, uint64_t now, const struct vrrp_advert *a,
			      const union vrrp_ip *src, int addr_cmp)
{
	if (a->priority == VRRP_PRIO_STOP) {
		/* another Master is leaving: make sure the Backups know us */
		f->adver_timer = arm(now, f->cfg.adver_int_us);
		return VRRP_ACT_SEND_ADVERT;
	}
	if (a->priority > f->priority || (a->priority == f->priority && addr_cmp > 0)) {
		f->state = VRRP_BACKUP;
		f->adver_timer = 0;
		heard_master(f, now, a, src);
		return VRRP_ACT_LEAVE_MASTER | VRRP_ACT_STATE_CHANGED;
	}
	/*
	 * A lower priority, or ours from a lower address: the RFC discards
	 * it; keepalived answers at once so the other side backs off now.
	 * The periodic Adver_Timer is left as it is.
	 */
	return VRRP_ACT_SEND_ADVERT;
}

unsigned int vrrp_fsm_rx(struct vrrp_fsm *f, uint64_t now, const struct vrrp_advert *a,
			 const union vrrp_ip *src)
{
	size_t alen = f->cfg.family == AF_INET ? 4 : 16;
	int cmp;

	/* in FAULT (and INIT) no advert takes part in an election */
	if (f->state != VRRP_BACKUP && f->state != VRRP_MASTER)
		return 0;
	if (a->family != f->cfg.family)
		return 0;
	/*
	 * Primary addresses compare as unsigned integers in network order
	 * (RFC 5798 6.4.3), which is memcmp on the bytes. Equal means it is
	 * our own advert, looped back: not an election event.
	 */
	cmp = memcmp(src->bytes, f->cfg.primary.bytes, alen);
	if (!cmp)
		return 0;
	if (f->state == VRRP_BACKUP)
		return backup_rx(f, now, a, src);
	return master_rx(f, now, a, src, cmp);
}

unsigned int vrrp_fsm_fault(struct vrrp_fsm *f, uint64_t now, bool faulted)
{
	unsigned int act = 0;

	if (f->faulted == faulted)
		return 0;
	f->faulted = faulted;
	if (f->state == VRRP_INIT)
		return 0;
	if (!faulted)
		return f->state == VRRP_FAULT ? startup(f, now) : 0;

	/* like Shutdown for a Master: priority 0 lets a Backup take over now */
	if (f->state == VRRP_MASTER)
		act |= VRRP_ACT_SEND_PRIO0 | VRRP_ACT_LEAVE_MASTER;
	f->state = VRRP_FAULT;
	f->adver_timer = 0;
	f->master_down_timer = 0;
	f->master_priority = 0;
	return act | VRRP_ACT_STATE_CHANGED;
}

unsigned int vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now, int prio)
{
	/* weights never make or unmake the owner (keepalived clamps the same) */
	if (is_owner(f))
		return 0;
	if (prio < 1)
		prio = 1;
	if (prio > VRRP_PRIO_OWNER - 1)
		prio = VRRP_PRIO_OWNER - 1;
	/*
	 * No advert now: the next periodic one carries it, and a Backup uses
	 * it from its next election decision (RFC 5798 leaves this open;
	 * keepalived behaves alike).
	 */
	f->priority = (uint8_t)prio;
	return 0;
}
