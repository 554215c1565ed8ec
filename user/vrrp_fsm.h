/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VRRP state machine of RFC 5798 6.4, with RFC 9568's clarifications
 * and RFC 3768's timers for VRRPv2, as pure code: no sockets, no clock.
 * Every call takes "now", a monotonic time in microseconds (> 0), and
 * returns the actions the caller performs (a mask of enum vrrp_action).
 * Timers are absolute deadlines in the same clock, 0 meaning off; after
 * any call the caller re-arms its one timer at vrrp_fsm_next_deadline()
 * and calls vrrp_fsm_timer() once that time has passed.
 *
 * Where keepalived (2.2) and the RFC part ways, this follows keepalived,
 * because that is what the peers on the wire run:
 *  - "state MASTER" is only a wish. A non-owner starts as Backup with a
 *    short Master_Down_Timer of Master_Adver_Interval + the skew of
 *    priority 255 (keepalived's vrrp_init_state), so it becomes Master
 *    after about one interval unless someone is already advertising;
 *    "state BACKUP" waits the full Master_Down_Interval.
 *  - A Master that hears a lower priority (or an equal one from a lower
 *    address) answers at once with its own advert, so that a peer that
 *    wrongly thinks itself Master backs off now rather than after its
 *    next interval; RFC 5798 only discards it.
 *  - preempt_delay: a preempting Backup keeps accepting a lower-priority
 *    Master's adverts (so does not take over) until preempt_delay has
 *    passed since start or since leaving FAULT. Hearing an equal or higher
 *    priority ends that period, and the next lower-priority advert starts
 *    a new one. Once it is over, lower-priority adverts are discarded and
 *    the Backup takes over when its Master_Down_Timer runs out.
 *  - The owner (priority 255) leaving FAULT becomes Master at once, as at
 *    start (RFC 5798 6.4.1); any other instance goes to Backup.
 */
#ifndef LB_VRRP_FSM_H
#define LB_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "vrrp_codec.h"

enum vrrp_state {
	VRRP_INIT,		/* not started, or stopped */
	VRRP_BACKUP,
	VRRP_MASTER,
	VRRP_FAULT,		/* a tracked interface/script failed: no part in elections */
};

/*
 * Actions, to be performed in increasing bit order when several are set:
 * the priority-0 advert leaves before the VIPs go, and the first advert
 * of a new Master goes out before its VIPs and GARPs (RFC 5798 6.4.2).
 */
enum vrrp_action {
	VRRP_ACT_SEND_PRIO0	= 1u << 0,	/* send an advert with priority 0 */
	VRRP_ACT_LEAVE_MASTER	= 1u << 1,	/* delete the VIPs, detach XDP */
	VRRP_ACT_SEND_ADVERT	= 1u << 2,	/* send an advert, vrrp_fsm_priority() */
	VRRP_ACT_BECOME_MASTER	= 1u << 3,	/* add VIPs, GARP / unsolicited NA, attach */
	VRRP_ACT_STATE_CHANGED	= 1u << 4,	/* f->state changed: log, notify scripts */
};

struct vrrp_fsm_config {
	int version;			/* 2 or 3 */
	uint8_t priority;		/* 1..255; 255 = owns the addresses */
	/*
	 * Advertisement_Interval: VRRPv2 whole seconds, 1..255 s; VRRPv3 a
	 * multiple of 10 ms, 10 ms..40.95 s.
	 */
	uint64_t adver_int_us;
	bool nopreempt;			/* Preempt_Mode False */
	uint64_t preempt_delay_us;	/* keepalived's preempt_delay, 0 = none */
	bool want_master;		/* keepalived's "state MASTER" */
	int family;			/* AF_INET or AF_INET6 */
	union vrrp_ip primary;		/* our advert source, for tie-breaks */
};

struct vrrp_fsm {
	struct vrrp_fsm_config cfg;
	enum vrrp_state state;
	uint8_t priority;		/* effective: base + track weights */
	bool faulted;			/* a fault is being reported */
	uint64_t master_adver_int_us;	/* Master_Adver_Interval */
	uint64_t adver_timer;		/* Master: next advert due; 0 = off */
	uint64_t master_down_timer;	/* Backup: Master presumed down; 0 = off */
	uint64_t preempt_until;		/* Backup: end of preempt_delay; 0 = none */
	union vrrp_ip master_addr;	/* Backup: the Master last heard (status) */
	uint8_t master_priority;	/* ... and its priority; 0 = none yet */
	uint64_t heard_at;		/* ... and when; 0 = not since startup */
	bool master_resigned;		/* ... its last advert had priority 0 */
	bool preempting;		/* ... its priority is below ours, preempt on */
};

/*
 * Set F up in VRRP_INIT from CFG. -EINVAL if a setting is out of range
 * (version, priority 0, interval not representable in the version,
 * family).
 */
int vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_config *cfg);

/*
 * Fill CFG from a parsed vrrp_instance and our PRIMARY address (the
 * interface's, or mcast_src_ip/unicast_src_ip). Does not validate: pass
 * the result to vrrp_fsm_init().
 */
void vrrp_fsm_config_from(struct vrrp_fsm_config *cfg, const struct cfg_vrrp_instance *ci,
			  const union vrrp_ip *primary);

/* RFC 5798 6.4.1 Startup: the owner becomes Master, others Backup. */
unsigned int vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now);

/* Shutdown: a Master sends priority 0 (RFC 5798 6.4.3) and leaves. To INIT. */
unsigned int vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now);

/* The deadline from vrrp_fsm_next_deadline() has passed. */
unsigned int vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now);

/*
 * An advert A, already through vrrp_decode() and for our VRID, arrived
 * from SRC (its IP source). Ignored in INIT and FAULT, and when SRC is
 * our own primary address (our own advert looped back).
 */
unsigned int vrrp_fsm_rx(struct vrrp_fsm *f, uint64_t now, const struct vrrp_advert *a,
			 const union vrrp_ip *src);

/*
 * A tracked interface or script (weight 0) failed (FAULTED true) or
 * recovered. A Master sends priority 0 and leaves; a Backup stops its
 * timers. On recovery the instance starts again as at vrrp_fsm_start().
 * Before start, the fault is remembered and start goes to FAULT.
 */
unsigned int vrrp_fsm_fault(struct vrrp_fsm *f, uint64_t now, bool faulted);

/*
 * The effective priority changed (track_script / track_interface
 * weights): PRIO is clamped to 1..254; the owner stays 255. It takes
 * effect from the next advert and election; nothing is sent now.
 */
unsigned int vrrp_fsm_set_priority(struct vrrp_fsm *f, uint64_t now, int prio);

/* The earliest armed deadline, 0 if none (INIT, FAULT). */
uint64_t vrrp_fsm_next_deadline(const struct vrrp_fsm *f);

/*
 * Skew_Time and Master_Down_Interval at the current effective priority
 * and Master_Adver_Interval, in µs, truncated. VRRPv3 (RFC 5798 6.1):
 * ((256 - Priority) * Master_Adver_Interval) / 256. VRRPv2 (RFC 3768
 * 6.1): (256 - Priority) / 256 of a second, whatever the interval.
 * Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
 */
uint64_t vrrp_fsm_skew_time(const struct vrrp_fsm *f);
uint64_t vrrp_fsm_master_down_interval(const struct vrrp_fsm *f);

/* The priority to put in a VRRP_ACT_SEND_ADVERT advert. */
static inline uint8_t vrrp_fsm_priority(const struct vrrp_fsm *f)
{
	return f->priority;
}

/* "INIT", "BACKUP", "MASTER", "FAULT": keepalived's names. */
const char *vrrp_state_str(enum vrrp_state s);

#endif /* LB_VRRP_FSM_H */
