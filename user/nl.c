// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "lb_shared.h"
#include "nl.h"

struct nl_watch {
	struct nl_sock *sk;
	struct nl_watch_ops ops;
};

static int af(int family)
{
	return family == LB_AF_INET6 ? AF_INET6 : AF_INET;
}

static struct nl_addr *addr_build(int family, const void *addr)
{
	return nl_addr_build(af(family), addr, family == LB_AF_INET6 ? 16 : 4);
}

/* libnl returns its own error codes; callers want -errno. */
static int nlerr(int err)
{
	switch (-err) {
	case 0: return 0;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_NOACCESS: return -EACCES;
	case NLE_BUSY: return -EBUSY;
	default: return -EIO;
	}
}

static struct nl_sock *sock_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk)
		return NULL;
	if (nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int nl_link_get(const char *ifname, struct nl_link_info *out)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk = sock_open();
	struct nl_addr *ll;
	unsigned int flags;
	int err;

	if (!sk)
		return -ENOMEM;
	err = nlerr(rtnl_link_get_kernel(sk, 0, ifname, &link));
	if (err)
		goto out;
	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(link);
	flags = rtnl_link_get_flags(link);
	out->up = (flags & IFF_UP) && (flags & IFF_RUNNING);
	out->mtu = rtnl_link_get_mtu(link);
	ll = rtnl_link_get_addr(link);
	if (ll && nl_addr_get_len(ll) == 6)
		memcpy(out->mac, nl_addr_get_binary_addr(ll), 6);
	rtnl_link_put(link);
out:
	nl_socket_free(sk);
	return err;
}

static struct rtnl_addr *addr_obj(int ifindex, int family, const void *addr, int prefix)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local;

	if (!a)
		return NULL;
	local = addr_build(family, addr);
	if (!local) {
		rtnl_addr_put(a);
		return NULL;
	}
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	nl_addr_put(local);
	return a;
}

int nl_addr_add(int ifindex, int family, const void *addr, int prefix, const char *label)
{
	struct nl_sock *sk = sock_open();
	struct rtnl_addr *a;
	int err = -ENOMEM;

	if (!sk)
		return -ENOMEM;
	a = addr_obj(ifindex, family, addr, prefix);
	if (!a)
		goto out;
	if (label && *label)
		rtnl_addr_set_label(a, label);
	/* A VIP must not be used as a source by the node itself (its health
	 * checks would come from the VIP, and the real server holding the VIP
	 * too would answer itself): deprecated (preferred_lft 0, as keepalived
	 * users write it), it still takes traffic but is never picked as a
	 * source. Nor may it take part in DAD: it moves between nodes. */
	if (family == LB_AF_INET6) {
		rtnl_addr_set_flags(a, IFA_F_NODAD);
		rtnl_addr_set_valid_lifetime(a, 0xffffffffu);
		rtnl_addr_set_preferred_lifetime(a, 0);
	}
	err = nlerr(rtnl_addr_add(sk, a, 0));
	if (err == -EEXIST)
		err = 0;
	rtnl_addr_put(a);
out:
	nl_socket_free(sk);
	return err;
}

int nl_addr_del(int ifindex, int family, const void *addr, int prefix)
{
	struct nl_sock *sk = sock_open();
	struct rtnl_addr *a;
	int err = -ENOMEM;

	if (!sk)
		return -ENOMEM;
	a = addr_obj(ifindex, family, addr, prefix);
	if (!a)
		goto out;
	err = nlerr(rtnl_addr_delete(sk, a, 0));
	if (err == -EADDRNOTAVAIL || err == -ENOENT)
		err = 0;
	rtnl_addr_put(a);
out:
	nl_socket_free(sk);
	return err;
}

struct addr_match {
	int ifindex, family;
	const void *addr;
	bool found;
};

static void addr_match_cb(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_match *m = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);

	if ((!m->ifindex || rtnl_addr_get_ifindex(a) == m->ifindex) && local &&
	    nl_addr_get_family(local) == af(m->family) &&
	    !memcmp(nl_addr_get_binary_addr(local), m->addr, m->family == LB_AF_INET6 ? 16 : 4))
		m->found = true;
}

bool nl_addr_present(int ifindex, int family, const void *addr)
{
	struct addr_match m = { ifindex, family, addr, false };
	struct nl_sock *sk = sock_open();
	struct nl_cache *cache;

	if (!sk)
		return false;
	if (!rtnl_addr_alloc_cache(sk, &cache)) {
		nl_cache_foreach(cache, addr_match_cb, &m);
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	return m.found;
}

struct addr_list {
	int ifindex, family, n, max;
	bool link_local;
	uint8_t (*out)[16];
};

static void addr_list_cb(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_list *l = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);
	const uint8_t *b;
	bool ll;

	if (l->n >= l->max || rtnl_addr_get_ifindex(a) != l->ifindex || !local ||
	    nl_addr_get_family(local) != af(l->family))
		return;
	b = nl_addr_get_binary_addr(local);
	ll = l->family == LB_AF_INET6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
	if (l->family == LB_AF_INET6 && ll != l->link_local)
		return;
	memset(l->out[l->n], 0, 16);
	memcpy(l->out[l->n++], b, l->family == LB_AF_INET6 ? 16 : 4);
}

int nl_addr_list(int ifindex, int family, bool link_local, uint8_t (*out)[16], int max)
{
	struct addr_list l = { ifindex, family, 0, max, link_local, out };
	struct nl_sock *sk = sock_open();
	struct nl_cache *cache;
	int err;

	if (!sk)
		return -ENOMEM;
	err = nlerr(rtnl_addr_alloc_cache(sk, &cache));
	if (!err) {
		nl_cache_foreach(cache, addr_list_cb, &l);
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	return err ?: l.n;
}

/* Entries we can send to: the kernel may still be re-probing a STALE one,
 * but its MAC is the last one the server answered with. */
static bool neigh_usable(int state)
{
	return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			NUD_PERMANENT | NUD_NOARP);
}

/* An operator's entry (`nud permanent`, or NOARP): never probed, since
 * NTF_USE would turn it into an ordinary one. */
static bool neigh_static(int state)
{
	return state & (NUD_PERMANENT | NUD_NOARP);
}

int nl_on_link(int ifindex, int family, const void *addr, char *why, size_t len)
{
	const uint8_t *b = addr;
	struct nl_sock *sk;
	struct nl_addr *dst = NULL;
	struct rtnl_route *r = NULL;
	struct rtnl_nexthop *nh;
	char other[IF_NAMESIZE];
	int ret = -ENOMEM;

	/* fe80::/10 is on every link; a lookup without one picks any */
	if (family == LB_AF_INET6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return 1;
	sk = sock_open();
	dst = sk ? addr_build(family, addr) : NULL;
	if (!dst)
		goto out;
	ret = 0;
	if (rtnl_route_lookup(sk, dst, &r) || !(nh = rtnl_route_nexthop_n(r, 0)))
		snprintf(why, len, "this node has no route to it");
	else if (rtnl_route_nh_get_gateway(nh))
		snprintf(why, len, "it is reached through a gateway");
	else if (rtnl_route_nh_get_ifindex(nh) != ifindex)
		snprintf(why, len, "it is reached through %s",
			 if_indextoname(rtnl_route_nh_get_ifindex(nh), other) ?:
			 "another interface");
	else
		ret = 1;
out:
	if (r)
		rtnl_route_put(r);
	if (dst)
		nl_addr_put(dst);
	if (sk)
		nl_socket_free(sk);
	return ret;
}

/* The cache's entry for addr on ifindex (rtnl_neigh_put it), or NULL. */
static struct rtnl_neigh *neigh_find(struct nl_cache *cache, int ifindex, int family,
				     const void *addr)
{
	struct nl_addr *dst = addr_build(family, addr);
	struct rtnl_neigh *n = dst ? rtnl_neigh_get(cache, ifindex, dst) : NULL;

	if (dst)
		nl_addr_put(dst);
	return n;
}

int nl_neigh_get(int ifindex, int family, const void *addr, uint8_t mac[6])
{
	struct nl_sock *sk = sock_open();
	struct nl_cache *cache = NULL;
	struct rtnl_neigh *n;
	struct nl_addr *ll;
	int err;

	if (!sk)
		return -ENOMEM;
	err = nlerr(rtnl_neigh_alloc_cache(sk, &cache));
	if (err)
		goto out;
	n = neigh_find(cache, ifindex, family, addr);
	err = -ENOENT;
	if (n && neigh_usable(rtnl_neigh_get_state(n))) {
		ll = rtnl_neigh_get_lladdr(n);
		if (ll && nl_addr_get_len(ll) == 6) {
			memcpy(mac, nl_addr_get_binary_addr(ll), 6);
			err = 0;
		}
	}
	if (n)
		rtnl_neigh_put(n);
	nl_cache_free(cache);
out:
	nl_socket_free(sk);
	return err;
}

/* NTF_USE: the kernel creates the entry if needed and starts resolution
 * as if a packet were waiting; state is ignored. */
static int neigh_use(struct nl_sock *sk, int ifindex, int family, const void *addr)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = addr_build(family, addr);
	int err = -ENOMEM;

	if (!n || !dst)
		goto out;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_family(n, af(family));
	rtnl_neigh_set_flags(n, NTF_USE);
	rtnl_neigh_set_state(n, NUD_NONE);
	err = nlerr(rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE));
out:
	if (dst)
		nl_addr_put(dst);
	if (n)
		rtnl_neigh_put(n);
	return err;
}

static int got_state(struct nl_msg *msg, void *arg)
{
	const struct ndmsg *nd = nlmsg_data(nlmsg_hdr(msg));

	*(int *)arg = nd->ndm_state;
	return NL_OK;
}

/* One entry's NUD state, by a get (RTM_GETNEIGH for one address), not a
 * dump of the whole table; -ENOENT when there is none. */
static int neigh_state(int ifindex, int family, const void *addr)
{
	struct ndmsg nd = { .ndm_family = af(family), .ndm_ifindex = ifindex };
	struct nl_sock *sk = sock_open();
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
	int err = -ENOMEM, state = -ENOENT;

	if (!sk || !msg)
		goto out;
	/* the answer is the entry or an error: no ack to wait for */
	nl_socket_disable_auto_ack(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, got_state, &state);
	if (nlmsg_append(msg, &nd, sizeof(nd), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, family == LB_AF_INET6 ? 16 : 4, addr) < 0)
		goto out;
	err = nl_send_auto(sk, msg);
	err = err < 0 ? nlerr(err) : nlerr(nl_recvmsgs_default(sk));
	if (!err)
		err = state;
out:
	if (msg)
		nlmsg_free(msg);
	if (sk)
		nl_socket_free(sk);
	return err;
}

int nl_neigh_resolve(int ifindex, int family, const void *addr)
{
	struct nl_sock *sk;
	int err, state = neigh_state(ifindex, family, addr);

	if (state >= 0 && neigh_static(state))
		return 0;
	sk = sock_open();
	if (!sk)
		return -ENOMEM;
	err = neigh_use(sk, ifindex, family, addr);
	nl_socket_free(sk);
	return err;
}

int nl_neigh_refresh(int ifindex, const struct nl_neigh_addr *a, int n)
{
	struct nl_sock *sk = sock_open();
	struct nl_cache *cache = NULL;
	int i;

	if (!sk)
		return -ENOMEM;
	/* without the table, probe everything rather than nothing */
	if (rtnl_neigh_alloc_cache(sk, &cache))
		cache = NULL;
	for (i = 0; i < n; i++) {
		struct rtnl_neigh *e = cache ? neigh_find(cache, ifindex, a[i].family, a[i].addr) :
					       NULL;
		bool is_static = e && neigh_static(rtnl_neigh_get_state(e));

		if (e)
			rtnl_neigh_put(e);
		if (!is_static)
			neigh_use(sk, ifindex, a[i].family, a[i].addr);
	}
	if (cache)
		nl_cache_free(cache);
	nl_socket_free(sk);
	return 0;
}

static void watch_obj(struct nl_object *obj, void *arg)
{
	struct nl_watch *w = arg;
	const char *type = nl_object_get_type(obj);

	if (!strcmp(type, "route/neigh") && w->ops.neigh) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
		struct nl_addr *dst = rtnl_neigh_get_dst(n), *ll = rtnl_neigh_get_lladdr(n);
		int family = rtnl_neigh_get_family(n);
		bool del = nl_object_get_msgtype(obj) == RTM_DELNEIGH;
		const uint8_t *mac = NULL;

		if (!dst || (family != AF_INET && family != AF_INET6))
			return;
		if (!del && ll && nl_addr_get_len(ll) == 6 &&
		    neigh_usable(rtnl_neigh_get_state(n)))
			mac = nl_addr_get_binary_addr(ll);
		/* INCOMPLETE/FAILED carry no MAC; a deleted entry may return
		 * on the next probe, so only FAILED and deletion clear it. */
		if (!mac && !del && !(rtnl_neigh_get_state(n) & NUD_FAILED))
			return;
		w->ops.neigh(w->ops.arg, rtnl_neigh_get_ifindex(n),
			     family == AF_INET6 ? LB_AF_INET6 : LB_AF_INET,
			     nl_addr_get_binary_addr(dst), mac);
	} else if (!strcmp(type, "route/link") && w->ops.link) {
		struct rtnl_link *l = (struct rtnl_link *)obj;
		unsigned int flags = rtnl_link_get_flags(l);
		bool del = nl_object_get_msgtype(obj) == RTM_DELLINK;

		w->ops.link(w->ops.arg, rtnl_link_get_ifindex(l), rtnl_link_get_name(l),
			    !del && (flags & IFF_UP) && (flags & IFF_RUNNING));
	}
}

static int watch_msg(struct nl_msg *msg, void *arg)
{
	nl_msg_parse(msg, watch_obj, arg);
	return NL_OK;
}

struct nl_watch *nl_watch_open(const struct nl_watch_ops *ops)
{
	struct nl_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ops = *ops;
	w->sk = nl_socket_alloc();
	if (!w->sk)
		goto err;
	nl_socket_disable_seq_check(w->sk);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, watch_msg, w);
	if (nl_connect(w->sk, NETLINK_ROUTE) ||
	    nl_socket_add_memberships(w->sk, RTNLGRP_NEIGH, RTNLGRP_LINK, 0) ||
	    nl_socket_set_nonblocking(w->sk))
		goto err;
	/* Bursts of neighbour events must not overflow into lost updates. */
	nl_socket_set_buffer_size(w->sk, 4 << 20, 0);
	return w;
err:
	nl_watch_close(w);
	return NULL;
}

int nl_watch_fd(struct nl_watch *w)
{
	return nl_socket_get_fd(w->sk);
}

int nl_watch_read(struct nl_watch *w)
{
	int err = nl_recvmsgs_default(w->sk);

	if (err == -NLE_AGAIN)
		return 0;
	/* An overrun loses events: the caller must resynchronise. */
	if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW)
		return -ENOBUFS;
	return err < 0 ? nlerr(err) : 0;
}

void nl_watch_close(struct nl_watch *w)
{
	if (!w)
		return;
	if (w->sk)
		nl_socket_free(w->sk);
	free(w);
}
