/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane's maps. Sizes here are defaults: the loader sets
 * max_entries from the configuration before loading. Every map is pinned
 * under BPFFS/lbctl/IFACE/ by name, with BTF, for lbctl and bpftool.
 */
#ifndef LB_MAPS_H
#define LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"

/* (VIP, port, proto) -> service id. Consulted only on a conntrack miss. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, struct lb_svc_key);
	__type(value, struct lb_svc_ref);
} services SEC(".maps");

/* Service state by id: an array so the established path reaches it by
 * index from the backend, without a hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_service);
} service_info SEC(".maps");

/* Backend state by id (MAC, health, generation). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_backend);
} backends SEC(".maps");

/* VIP address -> active. Only for telling malformed VIP traffic (dropped)
 * from other traffic (passed). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, struct lb_vip_key);
	__type(value, struct lb_vip);
} vips SEC(".maps");

/* The connection table. LRU so that a full table evicts the coldest flow
 * rather than refusing new ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_CONN_MAX);
	__type(key, struct lb_flow);
	__type(value, struct lb_conn);
} conntrack SEC(".maps");

/* TCP handshakes: a SYN's backend until its ACK is remembered in
 * conntrack. Its own small LRU, so that a flood of spoofed SYNs churns
 * this table and never the established flows; and a Maglev table that
 * changes between a SYN and its ACK cannot split the handshake over two
 * servers (the second would answer with a reset). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_HANDSHAKE_MAX);
	__type(key, struct lb_flow);
	__type(value, struct lb_conn);
} handshakes SEC(".maps");

/* First fragment's ports by datagram, for the fragments that follow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_FRAG_MAX);
	__type(key, struct lb_frag_key);
	__type(value, struct lb_frag);
} fragments SEC(".maps");

/* Maglev tables: one inner array per service, slot -> backend id.
 * BPF_F_INNER_MAP lets each service have its own table size; userspace
 * builds a new inner map and swaps it in with one update, so a packet sees
 * either the old table or the new one, never a mix. */
struct maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAGLEV_SIZE);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct maglev_inner);
} maglev SEC(".maps");

/* Per-CPU budget of new conntrack entries: a flood of new flows (spoofed
 * UDP, say) is still forwarded by Maglev but cannot churn established
 * flows out of the LRU faster than the budget allows. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_conn_rate);
} conn_rate SEC(".maps");

/* Counters, per CPU so that no packet contends on a cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_global_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counters);
} service_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_counters);
} backend_stats SEC(".maps");

#endif
