/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pinned maps seen from userspace, and every change made to them.
 * lbctl's map commands and the controller both come through here, each
 * holding the lock (an flock on the pin directory) for the whole
 * read-modify-write, so that two shells and the health checker never lose
 * each other's updates. Under the lock the service and backend arrays are
 * mirrored in memory (read in one batch); changes write through.
 */
#ifndef LB_MAPS_H_USER
#define LB_MAPS_H_USER

#include <stdbool.h>
#include <stdint.h>
#include "lb_addr.h"
#include "lb_shared.h"

enum lb_map_id {
	LB_M_SERVICES, LB_M_SERVICE_INFO, LB_M_BACKENDS, LB_M_VIPS,
	LB_M_CONNTRACK, LB_M_FRAGMENTS, LB_M_MAGLEV, LB_M_STATS,
	LB_M_SERVICE_STATS, LB_M_BACKEND_STATS, LB_M_COUNT
};
extern const char *const lb_map_names[LB_M_COUNT];

struct lb_maps {
	int fd[LB_M_COUNT];
	int dir_fd;			/* the pin directory; flock'd while locked */
	bool locked;
	uint32_t max_services, max_backends;
	struct lb_service *svc;		/* mirrors, valid while locked */
	struct lb_backend *be;
	/* Deferred publishing (the controller): table rebuilds are only
	 * marked, and lb_maps_flush() publishes each marked service once, so
	 * a burst of changes (a thousand MACs resolving) costs one rebuild
	 * per service instead of one per change. */
	bool defer;
	uint8_t *dirty;			/* per service */
	char dir[256];
};

struct lb_svc_opts {
	uint32_t flags;			/* LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY */
	uint32_t timeout_s;		/* idle timeout of flows / affinity */
	uint32_t fin_timeout_s;		/* ... after the client's FIN, 0 = default */
	uint32_t table_size;		/* 0 = LB_MAGLEV_SIZE */
};

/* Open the maps pinned in dir. -ENOENT when nothing is pinned there,
 * -EPROTO when they are laid out for another version of lbctl. */
int lb_maps_open(struct lb_maps *m, const char *dir);
void lb_maps_close(struct lb_maps *m);
/* Take the lock (waits) and refresh the mirrors. */
int lb_maps_lock(struct lb_maps *m);
void lb_maps_unlock(struct lb_maps *m);

/* Build keys from family + 4/16 address bytes (network order). */
void lb_svc_key_make(struct lb_svc_key *k, int family, const void *addr,
		     uint16_t port, uint8_t proto);

/* Services. Ids are slots in service_info. New services start active only
 * if their VIP is already active (another service on it). */
int lb_svc_find(struct lb_maps *m, const struct lb_svc_key *k, uint32_t *id);
int lb_svc_add(struct lb_maps *m, const struct lb_svc_key *k,
	       const struct lb_svc_opts *o, bool active, uint32_t *id);
int lb_svc_set_opts(struct lb_maps *m, uint32_t id, const struct lb_svc_opts *o);
int lb_svc_del(struct lb_maps *m, uint32_t id);
/* keepalived's quorum loss: new flows go to the service's sorry server (if
 * it has a usable one) instead of its real servers; established ones stay. */
int lb_svc_set_sorry_only(struct lb_maps *m, uint32_t id, bool on);
/* Mark every service on this VIP (and the VIP) active or not. */
int lb_vip_set_active(struct lb_maps *m, int family, const void *addr, bool active);
bool lb_vip_is_active(struct lb_maps *m, int family, const void *addr);

/* Backends of a service. flags: LB_BE_F_UP (health), LB_BE_F_SORRY. */
int lb_be_find(struct lb_maps *m, uint32_t svc_id, int family, const void *addr,
	       uint32_t *id);
int lb_be_add(struct lb_maps *m, uint32_t svc_id, int family, const void *addr,
	      uint32_t weight, uint16_t flags, uint32_t *id);
int lb_be_del(struct lb_maps *m, uint32_t id);
int lb_be_set_weight(struct lb_maps *m, uint32_t id, uint32_t weight);
int lb_be_set_up(struct lb_maps *m, uint32_t id, bool up);
/* Set (mac != NULL) or clear the MAC of every backend with this address;
 * rebuilds the services whose usable set changed. Returns how many changed. */
int lb_be_set_mac(struct lb_maps *m, int family, const void *addr, const uint8_t *mac);

/* Recompute and publish a service's Maglev table from its usable backends
 * (sorry server when none is usable; empty when there is no sorry server).
 * With m->defer, only marks it for lb_maps_flush. */
int lb_svc_rebuild(struct lb_maps *m, uint32_t id);
/* Publish every marked service (lock held). Returns how many. */
int lb_maps_flush(struct lb_maps *m);

/* Counters summed over CPUs. */
int lb_read_global(struct lb_maps *m, struct lb_global_stats *out);
int lb_read_counters(struct lb_maps *m, enum lb_map_id map, uint32_t id,
		     struct lb_counters *out);


#endif
