// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_maps.h"
#include "maglev.h"
#include "log.h"

const char *const lb_map_names[LB_M_COUNT] = {
	[LB_M_SERVICES] = "services",
	[LB_M_SERVICE_INFO] = "service_info",
	[LB_M_BACKENDS] = "backends",
	[LB_M_VIPS] = "vips",
	[LB_M_CONNTRACK] = "conntrack",
	[LB_M_FRAGMENTS] = "fragments",
	[LB_M_MAGLEV] = "maglev",
	[LB_M_STATS] = "stats",
	[LB_M_SERVICE_STATS] = "service_stats",
	[LB_M_BACKEND_STATS] = "backend_stats",
};

static int addr_len(int family)
{
	return family == LB_AF_INET6 ? 16 : 4;
}

void lb_svc_key_make(struct lb_svc_key *k, int family, const void *addr,
		     uint16_t port, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, addr_len(family));
	k->port = htons(port);
	k->proto = proto;
	k->family = family;
}

static void vip_key_make(struct lb_vip_key *k, int family, const void *addr)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, addr_len(family));
	k->family = family;
}

/* Key and value sizes of each map as this build lays them out. */
static const struct { uint32_t key, value; } layout[LB_M_COUNT] = {
	[LB_M_SERVICES] = { sizeof(struct lb_svc_key), sizeof(struct lb_svc_ref) },
	[LB_M_SERVICE_INFO] = { sizeof(__u32), sizeof(struct lb_service) },
	[LB_M_BACKENDS] = { sizeof(__u32), sizeof(struct lb_backend) },
	[LB_M_VIPS] = { sizeof(struct lb_vip_key), sizeof(struct lb_vip) },
	[LB_M_CONNTRACK] = { sizeof(struct lb_flow), sizeof(struct lb_conn) },
	[LB_M_FRAGMENTS] = { sizeof(struct lb_frag_key), sizeof(struct lb_frag) },
	[LB_M_MAGLEV] = { sizeof(__u32), sizeof(__u32) },
	[LB_M_STATS] = { sizeof(__u32), sizeof(struct lb_global_stats) },
	[LB_M_SERVICE_STATS] = { sizeof(__u32), sizeof(struct lb_counters) },
	[LB_M_BACKEND_STATS] = { sizeof(__u32), sizeof(struct lb_counters) },
};

/* The map's max_entries, or -EPROTO when its entries are not laid out as
 * this build's: maps pinned by another lbctl version, still in use by its
 * controller, would be misread and, worse, rewritten. */
static int check_map(int i, int fd, uint32_t *max)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != layout[i].key || info.value_size != layout[i].value)
		return -EPROTO;
	*max = info.max_entries;
	return 0;
}

int lb_maps_open(struct lb_maps *m, const char *dir)
{
	char path[512];
	int i, err;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < LB_M_COUNT; i++)
		m->fd[i] = -1;
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	m->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dir_fd < 0) {
		err = -errno;
		goto err;
	}
	for (i = 0; i < LB_M_COUNT; i++) {
		uint32_t max = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, lb_map_names[i]);
		m->fd[i] = bpf_obj_get(path);
		if (m->fd[i] < 0) {
			err = -errno;
			goto err;
		}
		err = check_map(i, m->fd[i], &max);
		if (err)
			goto err;
		if (i == LB_M_SERVICE_INFO)
			m->max_services = max;
		else if (i == LB_M_BACKENDS)
			m->max_backends = max;
	}
	m->svc = calloc(m->max_services, sizeof(*m->svc));
	m->be = calloc(m->max_backends, sizeof(*m->be));
	m->dirty = calloc(m->max_services, 1);
	if (!m->svc || !m->be || !m->dirty) {
		err = -ENOMEM;
		goto err;
	}
	return 0;
err:
	lb_maps_close(m);
	return err;
}

void lb_maps_close(struct lb_maps *m)
{
	int i;

	lb_maps_unlock(m);
	for (i = 0; i < LB_M_COUNT; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	if (m->dir_fd > 0)
		close(m->dir_fd);
	free(m->svc);
	free(m->be);
	free(m->dirty);
	memset(m, 0, sizeof(*m));
	m->dir_fd = -1;
}

/* One batch read of a whole array; falls back to single lookups. */
static int read_array(int fd, void *vals, uint32_t n, size_t vsize)
{
	uint32_t *keys, out = 0, count = n, i;
	int err;

	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	err = bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &count, NULL);
	if (err && errno != ENOENT) {
		for (i = 0, err = 0; i < n && !err; i++)
			if (bpf_map_lookup_elem(fd, &i, (char *)vals + i * vsize))
				err = -errno;
	} else {
		err = 0;
	}
	free(keys);
	return err;
}

int lb_maps_lock(struct lb_maps *m)
{
	int err;

	if (m->locked)
		return 0;
	if (flock(m->dir_fd, LOCK_EX))
		return -errno;
	m->locked = true;
	err = read_array(m->fd[LB_M_SERVICE_INFO], m->svc, m->max_services, sizeof(*m->svc));
	err = err ?: read_array(m->fd[LB_M_BACKENDS], m->be, m->max_backends, sizeof(*m->be));
	if (err)
		lb_maps_unlock(m);
	return err;
}

void lb_maps_unlock(struct lb_maps *m)
{
	if (m->locked)
		flock(m->dir_fd, LOCK_UN);
	m->locked = false;
}

static int put_svc(struct lb_maps *m, uint32_t id)
{
	return bpf_map_update_elem(m->fd[LB_M_SERVICE_INFO], &id, &m->svc[id], BPF_ANY) ?
	       -errno : 0;
}

static int put_be(struct lb_maps *m, uint32_t id)
{
	return bpf_map_update_elem(m->fd[LB_M_BACKENDS], &id, &m->be[id], BPF_ANY) ?
	       -errno : 0;
}

/* A reused slot must not inherit the previous occupant's counters. */
static int zero_counters(struct lb_maps *m, enum lb_map_id map, uint32_t id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct lb_counters *z;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	z = calloc(ncpu, sizeof(*z));
	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(m->fd[map], &id, z, BPF_ANY))
		err = -errno;
	free(z);
	return err;
}

int lb_read_counters(struct lb_maps *m, enum lb_map_id map, uint32_t id,
		     struct lb_counters *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct lb_counters *v;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fd[map], &id, v)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < ncpu; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
		out->new_flows += v[i].new_flows;
		out->drops += v[i].drops;
	}
out:
	free(v);
	return err;
}

int lb_read_global(struct lb_maps *m, struct lb_global_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	const size_t nf = sizeof(*out) / sizeof(__u64);
	uint32_t zero = 0;
	__u64 *v, *o = (__u64 *)out;
	size_t f;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fd[LB_M_STATS], &zero, v))
		err = -errno;
	for (i = 0; !err && i < ncpu; i++)
		for (f = 0; f < nf; f++)
			o[f] += v[i * nf + f];
	free(v);
	return err;
}

int lb_svc_find(struct lb_maps *m, const struct lb_svc_key *k, uint32_t *id)
{
	struct lb_svc_ref ref;

	if (bpf_map_lookup_elem(m->fd[LB_M_SERVICES], k, &ref))
		return -errno;
	*id = ref.svc_id;
	return 0;
}

bool lb_vip_is_active(struct lb_maps *m, int family, const void *addr)
{
	struct lb_vip_key k;
	struct lb_vip v;

	vip_key_make(&k, family, addr);
	return !bpf_map_lookup_elem(m->fd[LB_M_VIPS], &k, &v) && (v.flags & LB_VIP_F_ACTIVE);
}

static int rebuild(struct lb_maps *m, uint32_t id, uint32_t size);

static uint32_t table_size(const struct lb_svc_opts *o)
{
	return o && o->table_size ? o->table_size : LB_MAGLEV_SIZE;
}

int lb_svc_set_opts(struct lb_maps *m, uint32_t id, const struct lb_svc_opts *o)
{
	struct lb_service *s = &m->svc[id];
	uint32_t size = table_size(o), old_size = s->table_size;
	int err;

	if (!maglev_is_prime(size) || size > LB_MAGLEV_SIZE_MAX)
		return -EINVAL;
	s->flags = (s->flags & (LB_SVC_F_USED | LB_SVC_F_ACTIVE | LB_SVC_F_SORRY_ONLY)) |
		   (o ? o->flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY) : 0);
	s->timeout_s = o ? o->timeout_s : 0;
	s->fin_timeout_s = o ? o->fin_timeout_s : 0;
	/* A smaller table is published first, a larger one after the size:
	 * either way a lookup never indexes past the table it sees. */
	if (size == old_size)
		return put_svc(m, id);
	s->table_size = size < old_size ? size : old_size;
	err = put_svc(m, id);
	err = err ?: rebuild(m, id, size);
	s->table_size = size;
	return err ?: put_svc(m, id);
}

int lb_svc_set_sorry_only(struct lb_maps *m, uint32_t id, bool on)
{
	struct lb_service *s = &m->svc[id];
	uint32_t flags = on ? s->flags | LB_SVC_F_SORRY_ONLY : s->flags & ~LB_SVC_F_SORRY_ONLY;
	int err;

	if (flags == s->flags)
		return 0;
	s->flags = flags;
	err = put_svc(m, id);
	return err ?: lb_svc_rebuild(m, id);
}

static int vip_ref(struct lb_maps *m, int family, const void *addr, int delta,
		   bool active_if_new, bool *active)
{
	struct lb_vip_key k;
	struct lb_vip v = {};
	bool exists;

	vip_key_make(&k, family, addr);
	exists = !bpf_map_lookup_elem(m->fd[LB_M_VIPS], &k, &v);
	if (!exists)
		v.flags = active_if_new ? LB_VIP_F_ACTIVE : 0;
	v.services += delta;
	if (active)
		*active = v.flags & LB_VIP_F_ACTIVE;
	if (exists && v.services == 0)
		return bpf_map_delete_elem(m->fd[LB_M_VIPS], &k) ? -errno : 0;
	return bpf_map_update_elem(m->fd[LB_M_VIPS], &k, &v, BPF_ANY) ? -errno : 0;
}

int lb_svc_add(struct lb_maps *m, const struct lb_svc_key *k,
	       const struct lb_svc_opts *o, bool active, uint32_t *idp)
{
	struct lb_svc_ref ref;
	uint32_t id, size = table_size(o);
	bool vip_active;
	int err;

	if (!lb_svc_find(m, k, &id))
		return -EEXIST;
	if (!maglev_is_prime(size) || size > LB_MAGLEV_SIZE_MAX)
		return -EINVAL;
	for (id = 0; id < m->max_services; id++)
		if (!(m->svc[id].flags & LB_SVC_F_USED))
			break;
	if (id == m->max_services)
		return -ENOSPC;

	err = vip_ref(m, k->family, k->addr, 1, active, &vip_active);
	if (err)
		return err;
	m->svc[id] = (struct lb_service) {
		.flags = LB_SVC_F_USED | (vip_active ? LB_SVC_F_ACTIVE : 0) |
			 (o ? o->flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY) : 0),
		.table_size = size,
		.timeout_s = o ? o->timeout_s : 0,
		.fin_timeout_s = o ? o->fin_timeout_s : 0,
		.gen = m->svc[id].gen + 1,
		.key = *k,
	};
	/* Table and counters first, the key last: the first packet that
	 * finds the service finds it complete. */
	err = zero_counters(m, LB_M_SERVICE_STATS, id);
	err = err ?: rebuild(m, id, size);
	err = err ?: put_svc(m, id);
	ref.svc_id = id;
	if (!err && bpf_map_update_elem(m->fd[LB_M_SERVICES], k, &ref, BPF_NOEXIST))
		err = -errno;
	if (err) {
		m->svc[id].flags = 0;
		put_svc(m, id);
		bpf_map_delete_elem(m->fd[LB_M_MAGLEV], &id);
		vip_ref(m, k->family, k->addr, -1, false, NULL);
		return err;
	}
	if (idp)
		*idp = id;
	return 0;
}

int lb_svc_del(struct lb_maps *m, uint32_t id)
{
	struct lb_service *s = &m->svc[id];
	uint32_t b;
	int err;

	if (id >= m->max_services || !(s->flags & LB_SVC_F_USED))
		return -ENOENT;
	/* The key goes first so no new flow can find a half-removed service;
	 * existing conntrack entries die with their backends' generations. */
	if (bpf_map_delete_elem(m->fd[LB_M_SERVICES], &s->key) && errno != ENOENT)
		return -errno;
	bpf_map_delete_elem(m->fd[LB_M_MAGLEV], &id);
	for (b = 0; b < m->max_backends; b++) {
		if (!(m->be[b].flags & LB_BE_F_USED) || m->be[b].svc_id != id)
			continue;
		m->be[b].flags = 0;
		m->be[b].gen++;
		put_be(m, b);
	}
	err = vip_ref(m, s->key.family, s->key.addr, -1, false, NULL);
	s->flags = 0;
	s->table_size = 0;
	m->dirty[id] = 0;
	return put_svc(m, id) ?: err;
}

int lb_vip_set_active(struct lb_maps *m, int family, const void *addr, bool active)
{
	struct lb_vip_key k;
	struct lb_vip v;
	uint32_t id;
	int err = 0;

	vip_key_make(&k, family, addr);
	if (bpf_map_lookup_elem(m->fd[LB_M_VIPS], &k, &v))
		return -errno;
	for (id = 0; id < m->max_services; id++) {
		struct lb_service *s = &m->svc[id];

		if (!(s->flags & LB_SVC_F_USED) || s->key.family != family ||
		    memcmp(s->key.addr, k.addr, sizeof(k.addr)))
			continue;
		if (active)
			s->flags |= LB_SVC_F_ACTIVE;
		else
			s->flags &= ~LB_SVC_F_ACTIVE;
		err = err ?: put_svc(m, id);
	}
	v.flags = active ? v.flags | LB_VIP_F_ACTIVE : v.flags & ~LB_VIP_F_ACTIVE;
	if (bpf_map_update_elem(m->fd[LB_M_VIPS], &k, &v, BPF_ANY))
		err = err ?: -errno;
	return err;
}

int lb_be_find(struct lb_maps *m, uint32_t svc_id, int family, const void *addr,
	       uint32_t *idp)
{
	uint32_t id;

	for (id = 0; id < m->max_backends; id++) {
		struct lb_backend *b = &m->be[id];

		if ((b->flags & LB_BE_F_USED) && b->svc_id == svc_id &&
		    b->family == family && !memcmp(b->addr, addr, addr_len(family))) {
			*idp = id;
			return 0;
		}
	}
	return -ENOENT;
}

int lb_be_add(struct lb_maps *m, uint32_t svc_id, int family, const void *addr,
	      uint32_t weight, uint16_t flags, uint32_t *idp)
{
	uint32_t id;
	int err;

	if (svc_id >= m->max_services || !(m->svc[svc_id].flags & LB_SVC_F_USED))
		return -ENOENT;
	if (family != m->svc[svc_id].key.family)
		return -EAFNOSUPPORT;
	if (!lb_be_find(m, svc_id, family, addr, &id))
		return -EEXIST;
	for (id = 0; id < m->max_backends; id++)
		if (!(m->be[id].flags & LB_BE_F_USED))
			break;
	if (id == m->max_backends)
		return -ENOSPC;
	m->be[id] = (struct lb_backend) {
		.flags = LB_BE_F_USED | (flags & (LB_BE_F_UP | LB_BE_F_SORRY | LB_BE_F_MAC)),
		.gen = m->be[id].gen + 1,
		.svc_id = svc_id,
		.weight = weight,
		.family = family,
	};
	memcpy(m->be[id].addr, addr, addr_len(family));
	err = zero_counters(m, LB_M_BACKEND_STATS, id);
	err = err ?: put_be(m, id);
	if (err)
		return err;
	if (idp)
		*idp = id;
	return lb_svc_rebuild(m, svc_id);
}

int lb_be_del(struct lb_maps *m, uint32_t id)
{
	struct lb_backend *b = &m->be[id];
	uint32_t svc_id = b->svc_id;
	int err;

	if (id >= m->max_backends || !(b->flags & LB_BE_F_USED))
		return -ENOENT;
	/* Out of the table first, then the slot: flows remembered on it see
	 * the flags cleared and are steered anew. */
	b->flags &= ~LB_BE_F_UP;
	err = lb_svc_rebuild(m, svc_id);
	b->flags = 0;
	b->gen++;
	return put_be(m, id) ?: err;
}

int lb_be_set_weight(struct lb_maps *m, uint32_t id, uint32_t weight)
{
	int err;

	if (id >= m->max_backends || !(m->be[id].flags & LB_BE_F_USED))
		return -ENOENT;
	if (m->be[id].weight == weight)
		return 0;
	m->be[id].weight = weight;
	err = put_be(m, id);
	return err ?: lb_svc_rebuild(m, m->be[id].svc_id);
}

int lb_be_set_up(struct lb_maps *m, uint32_t id, bool up)
{
	struct lb_backend *b = &m->be[id];
	int err;

	if (id >= m->max_backends || !(b->flags & LB_BE_F_USED))
		return -ENOENT;
	if (!!(b->flags & LB_BE_F_UP) == up)
		return 0;
	b->flags = up ? b->flags | LB_BE_F_UP : b->flags & ~LB_BE_F_UP;
	err = put_be(m, id);
	return err ?: lb_svc_rebuild(m, b->svc_id);
}

int lb_be_set_mac(struct lb_maps *m, int family, const void *addr, const uint8_t *mac)
{
	static const uint8_t zero[6];
	int changed = 0, err = 0;
	uint32_t id;

	/* A broadcast or multicast neighbour (a subnet's broadcast address
	 * added as a server) would flood every frame to the segment. */
	if (mac && (mac[0] & 1))
		mac = NULL;
	for (id = 0; id < m->max_backends; id++) {
		struct lb_backend *b = &m->be[id];
		uint16_t flags;

		if (!(b->flags & LB_BE_F_USED) || b->family != family ||
		    memcmp(b->addr, addr, addr_len(family)))
			continue;
		flags = mac ? b->flags | LB_BE_F_MAC : b->flags & ~LB_BE_F_MAC;
		if (flags == b->flags && !memcmp(b->mac, mac ?: zero, 6))
			continue;
		memcpy(b->mac, mac ?: zero, 6);
		changed++;
		if (flags != b->flags) {
			b->flags = flags;
			err = err ?: put_be(m, id);
			err = err ?: lb_svc_rebuild(m, b->svc_id);
		} else {
			err = err ?: put_be(m, id);
		}
	}
	return err ?: changed;
}

static bool be_takes_new(const struct lb_backend *b, uint32_t svc_id)
{
	return (b->flags & LB_BE_F_USABLE) == LB_BE_F_USABLE &&
	       !(b->flags & LB_BE_F_SORRY) && b->svc_id == svc_id && b->weight > 0;
}

/* Build the table for `size` slots and swap it in with one map update. */
static int rebuild(struct lb_maps *m, uint32_t id, uint32_t size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	struct lb_service *s = &m->svc[id];
	struct maglev_backend *mb = NULL;
	uint32_t *table = NULL, *keys = NULL, count = size, b, sorry = LB_BACKEND_NONE;
	size_t n = 0;
	char name[16];
	int fd = -1, err;

	mb = calloc(m->max_backends, sizeof(*mb));
	table = calloc(size, sizeof(*table));
	keys = calloc(size, sizeof(*keys));
	if (!mb || !table || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (b = 0; b < m->max_backends; b++) {
		const struct lb_backend *be = &m->be[b];

		if ((be->flags & LB_BE_F_SORRY) && be->svc_id == id &&
		    (be->flags & LB_BE_F_USABLE) == LB_BE_F_USABLE)
			sorry = b;
		if (!be_takes_new(be, id))
			continue;
		mb[n].id = b;
		mb[n].weight = be->weight;
		maglev_ident(mb[n].ident, be->family, be->addr, s->key.port);
		n++;
	}
	if (sorry != LB_BACKEND_NONE && (s->flags & LB_SVC_F_SORRY_ONLY))
		n = 0;
	if (n) {
		err = maglev_build(mb, n, table, size);
		if (err)
			goto out;
	} else {
		for (b = 0; b < size; b++)
			table[b] = sorry;
	}
	for (b = 0; b < size; b++)
		keys[b] = b;

	snprintf(name, sizeof(name), "maglev_%u", id);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), sizeof(__u32), size, &opts);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (bpf_map_update_batch(fd, keys, table, &count, NULL)) {
		err = -errno;
		goto out;
	}
	err = bpf_map_update_elem(m->fd[LB_M_MAGLEV], &id, &fd, BPF_ANY) ? -errno : 0;
out:
	if (fd >= 0)
		close(fd);
	free(mb);
	free(table);
	free(keys);
	return err;
}

int lb_svc_rebuild(struct lb_maps *m, uint32_t id)
{
	if (id >= m->max_services || !(m->svc[id].flags & LB_SVC_F_USED))
		return -ENOENT;
	if (m->defer) {
		m->dirty[id] = 1;
		return 0;
	}
	return rebuild(m, id, m->svc[id].table_size);
}

int lb_maps_flush(struct lb_maps *m)
{
	int n = 0, err = 0;
	uint32_t id;

	for (id = 0; id < m->max_services; id++) {
		if (!m->dirty[id])
			continue;
		m->dirty[id] = 0;
		if (!(m->svc[id].flags & LB_SVC_F_USED))
			continue;
		err = err ?: rebuild(m, id, m->svc[id].table_size);
		n++;
	}
	return err ?: n;
}
