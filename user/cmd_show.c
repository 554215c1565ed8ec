// SPDX-License-Identifier: GPL-2.0
/* lbctl list | stats | status: looking inside a running balancer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmd.h"
#include "ctl.h"
#include "json.h"
#include "nl.h"
#include "stats_prom.h"

#define ACTIVE_WINDOW_NS	(60ull * 1000000000ull)
#define CONN_BATCH		4096

struct conn_count {
	uint32_t active, inactive;
};

/* ipvsadm's ActiveConn/InActConn, approximated from the connection table:
 * a flow seen in the last minute is active, an older one or one whose
 * client has sent FIN is not (XDP sees only the client's half of the
 * conversation), and one past its idle timeout is gone, as the data plane
 * treats it (the LRU only evicts it later). */
static struct conn_count *count_conns(struct lb_maps *m)
{
	struct conn_count *cc = calloc(m->max_backends, sizeof(*cc));
	struct lb_flow *keys = calloc(CONN_BATCH, sizeof(*keys));
	struct lb_conn *vals = calloc(CONN_BATCH, sizeof(*vals));
	struct lb_flow out;
	struct timespec ts;
	void *in = NULL;
	uint64_t now;
	uint32_t n, i;
	int err;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (!cc || !keys || !vals)
		goto out;
	do {
		n = CONN_BATCH;
		err = bpf_map_lookup_batch(m->fd[LB_M_CONNTRACK], in, &out, keys, vals, &n, NULL);
		for (i = 0; i < n; i++) {
			const struct lb_conn *v = &vals[i];
			const struct lb_backend *be;
			uint64_t t;

			if (v->backend_id >= m->max_backends ||
			    m->be[v->backend_id].gen != v->backend_gen)
				continue;
			be = &m->be[v->backend_id];
			t = be->svc_id < m->max_services ?
			    lb_conn_timeout_s(&m->svc[be->svc_id], v) : 0;
			/* affinity entries (port 0) are refreshed on every packet */
			if (t && now - v->last_seen_ns > t * 1000000000ull +
				 (keys[i].sport ? LB_LAST_SEEN_GRANULE_NS : 0))
				continue;
			if (now - v->last_seen_ns < ACTIVE_WINDOW_NS && !(v->flags & LB_CONN_F_FIN))
				cc[v->backend_id].active++;
			else
				cc[v->backend_id].inactive++;
		}
		in = &out;
	} while (!err);
out:
	free(keys);
	free(vals);
	return cc;
}

/* [-j] [-n] [--textfile PATH] [IFACE | dev IFACE], as the object takes them. */
static int open_for_show(struct ctx *c, const char *object, int argc, char **argv,
			 struct lb_maps *m, char *ifname, const char **textfile, bool *numeric)
{
	const char *dev = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (streq(argv[i], "-j")) {
			c->json = true;
		} else if (numeric && streq(argv[i], "-n")) {
			*numeric = true;
		} else if (streq(argv[i], "dev")) {
			if (!(dev = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (textfile && streq(argv[i], "--textfile")) {
			if (!(*textfile = opt_value(c, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!dev && argv[i][0] != '-') {
			dev = argv[i];	/* anywhere among the options, as ip(8) takes it */
		} else {
			return usage_err(c, "unexpected argument '%s' (try '%s %s help')", argv[i],
					 c->prog, object);
		}
	}
	return pick_iface(c, dev, ifname) ?: open_maps(c, ifname, m);
}

/*
 * How XDP is attached to IFNAME ("none", "native", "generic", ...) and
 * whether the program is lbctl's: another one may hold the hook, and then
 * nothing is forwarded however the mode reads.
 */
static bool xdp_state(const char *ifname, char *mode, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct nl_link_info li;
	int fd;

	snprintf(mode, len, "none");
	if (nl_link_get(ifname, &li) || bpf_xdp_query(li.ifindex, 0, &q))
		return false;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		snprintf(mode, len, "native");
	else if (q.attach_mode == XDP_ATTACHED_SKB)
		snprintf(mode, len, "generic");
	else if (q.attach_mode == XDP_ATTACHED_HW)
		snprintf(mode, len, "offload");
	else if (q.attach_mode == XDP_ATTACHED_MULTI)
		snprintf(mode, len, "multi");
	fd = q.prog_id ? bpf_prog_get_fd_by_id(q.prog_id) : -1;
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &ilen) && strcmp(info.name, "xdp_lb"))
		snprintf(mode, len, "foreign");
	if (fd >= 0)
		close(fd);
	return strcmp(mode, "none") && strcmp(mode, "foreign");
}

static const char *xdp_words(const char *mode)
{
	if (!strcmp(mode, "none"))
		return "not attached";
	if (!strcmp(mode, "foreign"))
		return "held by another program (lbctl forwards nothing)";
	return mode;
}

const char list_usage[] =
	"Usage: lbctl list [-n] [-j] [IFACE | dev IFACE]\n"
	"Services and their real servers laid out like 'ipvsadm -Ln', with health,\n"
	"MAC and packets. Addresses are always numeric; -n is accepted for habit.\n"
	"ActiveConn counts flows seen in the last minute, InActConn older ones and those\n"
	"whose client has sent FIN; flows past their idle timeout are not counted.\n";
const char stats_usage[] =
	"Usage: lbctl stats [-j] [--textfile PATH] [IFACE | dev IFACE]\n"
	"Global, per-service and per-backend counters. --textfile writes them as a\n"
	"Prometheus textfile (written to a temporary file, then renamed).\n";
const char status_usage[] =
	"Usage: lbctl status [-j] [IFACE | dev IFACE]\n"
	"Controller, XDP attach mode, VRRP state and backend health.\n";

static void list_service(struct json *j, bool json, const struct lb_service *sv)
{
	char a[64], ep[80];

	lb_addr_str(sv->key.family, sv->key.addr, a, sizeof(a));
	if (json) {
		json_str(j, "vip", a);
		json_u64(j, "port", ntohs(sv->key.port));
		json_str(j, "proto", proto_str(sv->key.proto));
		json_str(j, "sched", sv->flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY) ? "sh" : "mh");
		json_u64(j, "persistence_s", sv->flags & LB_SVC_F_AFFINITY ? sv->timeout_s : 0);
		json_bool(j, "active", sv->flags & LB_SVC_F_ACTIVE);
		json_bool(j, "sorry_only", sv->flags & LB_SVC_F_SORRY_ONLY);
		return;
	}
	snprintf(ep, sizeof(ep), sv->key.family == LB_AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 ntohs(sv->key.port));
	printf("%-4s %s %s", sv->key.proto == 17 ? "UDP" : "TCP", ep,
	       sv->flags & (LB_SVC_F_HASH_SRC | LB_SVC_F_AFFINITY) ? "sh" : "mh");
	if (sv->flags & LB_SVC_F_AFFINITY)
		printf(" persistent %u", sv->timeout_s);
	if (sv->flags & LB_SVC_F_SORRY_ONLY)
		printf(" (quorum lost: new connections to the sorry server)");
	printf("%s\n", sv->flags & LB_SVC_F_ACTIVE ? "" : " (standby: VIP held elsewhere)");
}

static void list_backend(struct json *j, bool json, const struct lb_backend *be, int ifindex,
			 uint16_t port, const struct conn_count *cc, uint64_t packets)
{
	const char *state = be_state_str(be, ifindex);
	char a[64], mac[20], ep[80];

	lb_addr_str(be->family, be->addr, a, sizeof(a));
	mac_str(be, mac, sizeof(mac));
	if (json) {
		json_obj_open(j, NULL);
		json_str(j, "backend", a);
		json_u64(j, "port", port);
		json_str(j, "forward", "route");
		json_u64(j, "weight", be->weight);
		json_u64(j, "active_conn", cc->active);
		json_u64(j, "inactive_conn", cc->inactive);
		json_str(j, "state", state);
		if (be->flags & LB_BE_F_MAC)
			json_str(j, "mac", mac);
		else
			json_null(j, "mac");
		json_u64(j, "packets", packets);
		json_obj_close(j);
		return;
	}
	snprintf(ep, sizeof(ep), be->family == LB_AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	printf("  -> %-28s %-7s %-6u %-10u %-9u %-10s %-17s %llu\n", ep, "Route", be->weight,
	       cc->active, cc->inactive, state, mac, (unsigned long long)packets);
}

int do_list(struct ctx *c, int argc, char **argv)
{
	static const struct conn_count none;
	char ifname[IFNAMSIZ], mode[16];
	struct conn_count *cc;
	struct lb_counters ctr;
	struct lb_maps m;
	bool numeric = false;
	struct json j;
	uint32_t s, b;
	int err, ifindex;

	err = open_for_show(c, "list", argc, argv, &m, ifname, NULL, &numeric);
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	cc = count_conns(&m);
	xdp_state(ifname, mode, sizeof(mode));
	json_init(&j, stdout);
	if (c->json) {
		json_obj_open(&j, NULL);
		json_str(&j, "interface", ifname);
		json_str(&j, "xdp_mode", mode);
		json_arr_open(&j, "services");
	} else {
		printf("IP Virtual Server (lbctl XDP, direct routing) on %s, XDP %s\n", ifname,
		       xdp_words(mode));
		printf("Prot LocalAddress:Port Scheduler Flags\n");
		printf("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn "
		       "Health     MAC               Packets\n");
	}
	for (s = 0; s < m.max_services; s++) {
		const struct lb_service *sv = &m.svc[s];

		if (!(sv->flags & LB_SVC_F_USED))
			continue;
		if (c->json)
			json_obj_open(&j, NULL);
		list_service(&j, c->json, sv);
		if (c->json)
			json_arr_open(&j, "backends");
		for (b = 0; b < m.max_backends; b++) {
			const struct lb_backend *be = &m.be[b];

			if (!(be->flags & LB_BE_F_USED) || be->svc_id != s)
				continue;
			lb_read_counters(&m, LB_M_BACKEND_STATS, b, &ctr);
			list_backend(&j, c->json, be, ifindex, ntohs(sv->key.port),
				     cc ? &cc[b] : &none, ctr.packets);
		}
		if (c->json) {
			json_arr_close(&j);
			json_obj_close(&j);
		}
	}
	if (c->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	free(cc);
	lb_maps_close(&m);
	return 0;
}

#define GLOBAL_FIELDS(X) \
	X(packets) X(verdict_pass) X(verdict_tx) X(verdict_drop) X(pass_not_local) \
	X(pass_not_vip) X(pass_inactive) X(drop_malformed) X(drop_no_backend) \
	X(drop_frag_unknown) X(conn_hit) X(conn_miss) X(conn_resteer) X(conn_expired) \
	X(icmp_steered) X(fragments) X(conn_syn_untracked) X(conn_rate_limited) \
	X(conn_closed)

static void print_counters(struct json *j, bool json, const char *label,
			   const struct lb_counters *ctr)
{
	if (json) {
		json_u64(j, "packets", ctr->packets);
		json_u64(j, "bytes", ctr->bytes);
		json_u64(j, "new_flows", ctr->new_flows);
		json_u64(j, "drops", ctr->drops);
	} else {
		printf("  %-44s packets %-12llu bytes %-14llu new_flows %-10llu drops %llu\n", label,
		       (unsigned long long)ctr->packets, (unsigned long long)ctr->bytes,
		       (unsigned long long)ctr->new_flows, (unsigned long long)ctr->drops);
	}
}

int do_stats(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], s[80], a[64], label[160];
	const char *textfile = NULL;
	struct lb_global_stats g;
	struct lb_counters ctr;
	struct lb_maps m;
	struct json j;
	uint32_t id;
	int err;

	err = open_for_show(c, "stats", argc, argv, &m, ifname, &textfile, NULL);
	if (err)
		return err;
	if (textfile) {
		err = prom_write(&m, ifname, textfile, NULL, NULL);
		lb_maps_close(&m);
		if (err)
			return run_err(c, "textfile %s: %s", textfile, strerror(-err));
		if (c->json) {
			json_init(&j, stdout);
			json_obj_open(&j, NULL);
			json_str(&j, "interface", ifname);
			json_str(&j, "textfile", textfile);
			json_bool(&j, "written", true);
			json_obj_close(&j);
			json_end(&j);
		}
		return 0;
	}
	err = lb_read_global(&m, &g);
	if (err) {
		lb_maps_close(&m);
		return run_err(c, "%s: cannot read counters: %s", ifname, strerror(-err));
	}
	json_init(&j, stdout);
	if (c->json) {
		json_obj_open(&j, NULL);
		json_str(&j, "interface", ifname);
		json_obj_open(&j, "global");
#define X(f) json_u64(&j, #f, g.f);
		GLOBAL_FIELDS(X)
#undef X
		json_obj_close(&j);
		json_arr_open(&j, "services");
	} else {
		printf("%s global:\n", ifname);
#define X(f) printf("  %-20s %llu\n", #f, (unsigned long long)g.f);
		GLOBAL_FIELDS(X)
#undef X
		printf("services:\n");
	}
	for (id = 0; id < m.max_services; id++) {
		const struct lb_svc_key *k = &m.svc[id].key;

		if (!(m.svc[id].flags & LB_SVC_F_USED))
			continue;
		lb_read_counters(&m, LB_M_SERVICE_STATS, id, &ctr);
		if (c->json) {
			json_obj_open(&j, NULL);
			json_str(&j, "vip", lb_addr_str(k->family, k->addr, a, sizeof(a)));
			json_u64(&j, "port", ntohs(k->port));
			json_str(&j, "proto", proto_str(k->proto));
		}
		print_counters(&j, c->json, svc_str(k, s, sizeof(s)), &ctr);
		if (c->json)
			json_obj_close(&j);
	}
	if (c->json) {
		json_arr_close(&j);
		json_arr_open(&j, "backends");
	} else {
		printf("backends:\n");
	}
	for (id = 0; id < m.max_backends; id++) {
		const struct lb_backend *be = &m.be[id];
		const struct lb_svc_key *k = &m.svc[be->svc_id].key;

		if (!(be->flags & LB_BE_F_USED))
			continue;
		lb_read_counters(&m, LB_M_BACKEND_STATS, id, &ctr);
		lb_addr_str(be->family, be->addr, a, sizeof(a));
		if (c->json) {
			char v[64];

			json_obj_open(&j, NULL);
			json_str(&j, "vip", lb_addr_str(k->family, k->addr, v, sizeof(v)));
			json_u64(&j, "port", ntohs(k->port));
			json_str(&j, "proto", proto_str(k->proto));
			json_str(&j, "backend", a);
		}
		snprintf(label, sizeof(label), "%s -> %s", svc_str(k, s, sizeof(s)), a);
		print_counters(&j, c->json, label, &ctr);
		if (c->json)
			json_obj_close(&j);
	}
	if (c->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	lb_maps_close(&m);
	return 0;
}

/* A running controller holds its lock; the pid file alone may be stale. */
static pid_t controller_pid(const char *sdir)
{
	char path[300];
	long pid = 0;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/lock", sdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return 0;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/pid", sdir);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Copy a file; chomp drops its final newline (a JSON document embedded
 * in another). */
static void cat_file(const char *path, FILE *to, bool chomp)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (chomp && n < sizeof(buf) && buf[n - 1] == '\n')
			n--;
		fwrite(buf, 1, n, to);
	}
	fclose(f);
}

/* The controller renames status.json into place whole; still, what is
 * embedded unparsed must at least open an object, or -j prints no JSON. */
static bool json_file_is_object(const char *path)
{
	FILE *f = fopen(path, "re");
	int ch = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return ch == '{';
}

#define STATE_STALE_S	3	/* the controller writes its state every second */

/* Seconds since the controller last wrote its state (0 if none). */
static int64_t state_age(const char *sdir)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/status.json", sdir);
	if (stat(path, &st))
		return 0;
	return (int64_t)time(NULL) - (int64_t)st.st_mtime;
}

int do_status(struct ctx *c, int argc, char **argv)
{
	char ifname[IFNAMSIZ], sdir[256], path[300], mode[16], s[80], a[64], stale[256];
	struct lb_maps m;
	struct json j;
	uint32_t id, b;
	int64_t age;
	bool ours;
	pid_t pid;
	int err, ifindex;

	err = open_for_show(c, "status", argc, argv, &m, ifname, NULL, NULL);
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	state_dir(c, ifname, sdir, sizeof(sdir));
	pid = controller_pid(sdir);
	ours = xdp_state(ifname, mode, sizeof(mode));
	age = pid > 0 ? state_age(sdir) : 0;
	json_init(&j, stdout);
	if (c->json) {
		json_obj_open(&j, NULL);
		json_str(&j, "interface", ifname);
		json_bool(&j, "running", pid > 0);
		json_bool(&j, "responding", pid > 0 && age <= STATE_STALE_S);
		json_i64(&j, "state_age_s", age);
		json_bool(&j, "xdp_attached", ours);
		json_str(&j, "xdp_mode", mode);
		snprintf(path, sizeof(path), "%s/status.json", sdir);
		if (pid > 0 && json_file_is_object(path)) {
			/* The controller's own document, embedded as is. */
			fputs(",\"controller\":", stdout);
			fflush(stdout);
			cat_file(path, stdout, true);
		} else {
			json_null(&j, "controller");
		}
		json_arr_open(&j, "services");
	} else {
		printf("interface %s: controller %s", ifname, pid > 0 ? "running" : "not running");
		if (pid > 0)
			printf(" (pid %d)", pid);
		printf(", XDP %s\n", xdp_words(mode));
		snprintf(path, sizeof(path), "%s/status.txt", sdir);
		if (pid > 0)
			cat_file(path, stdout, false);
	}
	/* The state is rewritten every second: an old one is a controller
	 * stopped or hung, whose MASTER may be a peer's too by now. */
	if (age > STATE_STALE_S)
		fprintf(stderr, "%s: warning: the controller (pid %d) has not written its state "
			"for %lld s: stopped or hung? What it says is that old\n", c->prog, pid,
			(long long)age);
	/* A controller killed together with its guardian leaves its VIPs:
	 * the node then answers the VIPs' clients itself, with resets. */
	if (pid <= 0 && ctl_list_stale_vips(ifname, sdir, stale, sizeof(stale)))
		fprintf(stderr, "%s: warning: %s still on %s with no controller: 'lbctl up %s' "
			"takes over again, 'lbctl down %s' removes them\n", c->prog, stale,
			ifname, ifname, ifname);
	for (id = 0; id < m.max_services; id++) {
		const struct lb_service *sv = &m.svc[id];

		if (!(sv->flags & LB_SVC_F_USED))
			continue;
		if (c->json) {
			json_obj_open(&j, NULL);
			json_str(&j, "vip", lb_addr_str(sv->key.family, sv->key.addr, a, sizeof(a)));
			json_u64(&j, "port", ntohs(sv->key.port));
			json_str(&j, "proto", proto_str(sv->key.proto));
			json_bool(&j, "active", sv->flags & LB_SVC_F_ACTIVE);
			/* the flag is the maps'; forwarding needs a program too */
			json_bool(&j, "forwarding", (sv->flags & LB_SVC_F_ACTIVE) && ours);
			json_bool(&j, "sorry_only", sv->flags & LB_SVC_F_SORRY_ONLY);
			json_arr_open(&j, "backends");
		} else {
			printf("service %s %s%s\n", svc_str(&sv->key, s, sizeof(s)),
			       !(sv->flags & LB_SVC_F_ACTIVE) ? "standby" :
			       ours ? "active" : "active, but not forwarding (no lbctl program)",
			       sv->flags & LB_SVC_F_SORRY_ONLY ?
			       ", quorum lost: new connections to the sorry server" : "");
		}
		for (b = 0; b < m.max_backends; b++) {
			const struct lb_backend *be = &m.be[b];

			if (!(be->flags & LB_BE_F_USED) || be->svc_id != id)
				continue;
			lb_addr_str(be->family, be->addr, a, sizeof(a));
			if (c->json) {
				json_obj_open(&j, NULL);
				json_str(&j, "backend", a);
				json_str(&j, "state", be_state_str(be, ifindex));
				json_u64(&j, "weight", be->weight);
				json_obj_close(&j);
			} else {
				printf("  backend %-39s %-10s weight %u\n", a,
				       be_state_str(be, ifindex), be->weight);
			}
		}
		if (c->json) {
			json_arr_close(&j);
			json_obj_close(&j);
		}
	}
	if (c->json) {
		json_arr_close(&j);
		json_obj_close(&j);
		json_end(&j);
	}
	lb_maps_close(&m);
	/* a monitor can probe with it */
	return pid > 0 && age <= STATE_STALE_S && strcmp(mode, "foreign") ? 0 : EXIT_RUNTIME;
}
