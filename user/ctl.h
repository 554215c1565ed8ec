/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller: the long-running side of `lbctl up IFACE`. One process
 * per interface, one event loop, owning the XDP link (so that the program
 * leaves with the process, once its guardian has removed the VIPs), the
 * VRRP instances, the health checkers, the neighbour watch and the
 * periodic outputs.
 */
#ifndef LB_CTL_H
#define LB_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "cfg.h"
#include "lb_loader.h"
#include "lb_maps.h"

struct evloop;
struct ev_timer;
struct nl_watch;
struct vrrp_inst;
struct vrrp_io;
struct health;

struct ctl_opts {
	const char *ifname;
	const char *config;	/* NULL: no config, services come from the CLI */
	const char *textfile;	/* overrides the config's lbctl_textfile */
	bool foreground;
	char pin_dir[256];
	char state_dir[256];
};

struct ctl {
	struct ctl_opts opts;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	bool link_up;

	struct cfg *cfg;
	struct lb_prog prog;
	int attach_err;			/* the last attach's -errno, 0 if it worked */
	bool xdp_busy;			/* another program holds the XDP hook */
	bool have_services;		/* the maps hold a service (config or CLI) */
	struct lb_maps maps;
	struct evloop *loop;
	struct nl_watch *nlw;
	struct ev_timer *t_periodic;
	struct ev_timer *t_flush;	/* publishes deferred table rebuilds */
	struct ev_timer *t_retrack;	/* VRRP priorities again, after this event */

	struct vrrp_inst **vrrp;	/* one per vrrp_instance on this interface */
	int n_vrrp;
	struct vrrp_io *vrrp_io;	/* sockets, scripts, counters */
	struct health *health;		/* checkers of the config's real servers */
	struct textfile *textfile;	/* its writer, once there is one to write */

	bool stopping;
	bool keep_pins;			/* SIGTERM keeps maps for a restart; down does not */
	int status_fd;			/* to the parent while daemonising, else -1 */
	int guardian_fd;		/* hands XDP links to the guardian, or -1 */
};

/* Run the controller until stopped; takes ownership of cfg (may be NULL).
 * status_fd (or -1) receives one line, "ok: ..." or "error: ...", once
 * the node is up or has failed. Returns the exit status. */
int ctl_run_with(struct ctl_opts *o, struct cfg *cfg, int status_fd);

/* Attach when something should be forwarded (static mode, or at least one
 * instance MASTER), detach otherwise. Logs transitions. */
void ctl_update_attach(struct ctl *c);
/* Every service on vip with real servers has a usable one (healthy, MAC
 * known). */
bool ctl_vip_servable(struct ctl *c, const struct cfg_addr *vip);
/* Something may have marked a service's table for rebuild: publish it
 * shortly, together with whatever else changes meanwhile. */
void ctl_maps_changed(struct ctl *c);
/* Mark a VIP active/inactive in the maps (all its services). */
void ctl_vip_set_active(struct ctl *c, const struct cfg_addr *vip, bool active);
/* Delete from the interface the VIPs that RUNDIR/IFACE/vips names (a dead
 * controller's). */
void ctl_remove_stale_vips(const char *ifname, const char *state_dir);
/* The same VIPs, listed space-separated in LIST, left alone; how many. */
int ctl_list_stale_vips(const char *ifname, const char *state_dir, char *list, size_t len);
/* Rewrite RUNDIR/IFACE/vips and the status files. */
void ctl_write_state(struct ctl *c);
/* The maps' key of a config's virtual_server. */
void ctl_vs_key(const struct cfg_virtual_server *vs, struct lb_svc_key *k);
/* Apply the config's virtual servers to the maps: add what is new, change
 * what changed, remove what the previous config had and this one lacks. */
int ctl_apply_services(struct ctl *c, const struct cfg *old, const struct cfg *new);

/* VRRP side (ctl_vrrp.c): instances of the config on this interface. */
int ctl_vrrp_start(struct ctl *c);
void ctl_vrrp_stop(struct ctl *c);
int ctl_vrrp_reload(struct ctl *c, const struct cfg *new);
/* MASTER of an instance, or a Backup about to take over (attached ahead). */
bool ctl_vrrp_wants_xdp(const struct ctl *c);
/* -1: no instance carries vip; else 1 if this node is its MASTER. */
int ctl_vrrp_vip_state(const struct ctl *c, const struct cfg_addr *vip);
void ctl_vrrp_link_event(struct ctl *c, int ifindex, const char *name, bool up);
/* The interface was re-created: reopen sockets bound to the old one. */
int ctl_vrrp_reopen(struct ctl *c);
/* A tracked virtual server's quorum changed (health side calls this). */
void ctl_vrrp_quorum_changed(struct ctl *c);

/* Health side (ctl_health.c): checkers of the config's real servers. */
int ctl_health_start(struct ctl *c);
void ctl_health_stop(struct ctl *c);
int ctl_health_reload(struct ctl *c, const struct cfg *new);
/* Every real server checked again now (the link came back). */
void ctl_health_kick(struct ctl *c);
/* Is the quorum of virtual server "VIP PORT" met? true if unknown. */
bool ctl_health_quorum_ok(const struct ctl *c, const char *vs_spec);
/* Are the quorums of every virtual server on this VIP met? */
bool ctl_health_vip_ok(const struct ctl *c, const struct cfg_addr *vip);
/* Append health metric families to the Prometheus file. */
void ctl_health_metrics(const struct ctl *c, FILE *f);

struct json;
struct ctl_status_out {
	struct json *j;		/* JSON members go here */
	FILE *txt;		/* human lines here */
};
void ctl_vrrp_status(const struct ctl *c, struct ctl_status_out *o);
void ctl_vrrp_metrics(const struct ctl *c, FILE *f);
void ctl_health_status(const struct ctl *c, struct ctl_status_out *o);

#endif
