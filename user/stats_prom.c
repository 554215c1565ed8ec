// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "stats_prom.h"

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

const char *prom_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in; in++) {
		bool esc = *in == '\\' || *in == '"' || *in == '\n';

		if (o + esc + 2 > len)
			break;
		if (esc)
			out[o++] = '\\';
		out[o++] = *in == '\n' ? 'n' : *in;
	}
	out[o] = '\0';
	return out;
}

/* Global counters: one family per kind, a label per reason. */
static const struct {
	const char *family, *label, *value, *help;
	size_t off;
} global_metrics[] = {
#define G(fam, lbl, val, field, help) \
	{ fam, lbl, val, help, offsetof(struct lb_global_stats, field) }
	G("lbctl_packets_total", NULL, NULL, packets, "Packets seen by the XDP program."),
	G("lbctl_verdicts_total", "verdict", "pass", verdict_pass, "XDP verdicts by kind."),
	G("lbctl_verdicts_total", "verdict", "tx", verdict_tx, NULL),
	G("lbctl_verdicts_total", "verdict", "drop", verdict_drop, NULL),
	G("lbctl_passed_total", "reason", "not_local", pass_not_local,
	  "Packets passed to the kernel, by reason."),
	G("lbctl_passed_total", "reason", "not_vip", pass_not_vip, NULL),
	G("lbctl_passed_total", "reason", "inactive", pass_inactive, NULL),
	G("lbctl_dropped_total", "reason", "malformed", drop_malformed,
	  "Packets for a VIP dropped, by reason."),
	G("lbctl_dropped_total", "reason", "no_backend", drop_no_backend, NULL),
	G("lbctl_dropped_total", "reason", "frag_unknown", drop_frag_unknown, NULL),
	G("lbctl_conntrack_total", "result", "hit", conn_hit,
	  "Connection table lookups: hit, miss (new flow), resteer (backend gone), expired; closed: entries removed at a client's reset."),
	G("lbctl_conntrack_total", "result", "miss", conn_miss, NULL),
	G("lbctl_conntrack_total", "result", "resteer", conn_resteer, NULL),
	G("lbctl_conntrack_total", "result", "expired", conn_expired, NULL),
	G("lbctl_conntrack_total", "result", "closed", conn_closed, NULL),
	G("lbctl_icmp_steered_total", NULL, NULL, icmp_steered,
	  "ICMP errors sent to the backend of the flow they quote."),
	G("lbctl_fragments_total", NULL, NULL, fragments, "IP fragments for a service."),
	G("lbctl_conn_untracked_total", "reason", "syn", conn_syn_untracked,
	  "New flows forwarded without a conntrack entry: TCP SYNs (tracked from their ACK), rate limit."),
	G("lbctl_conn_untracked_total", "reason", "rate_limit", conn_rate_limited, NULL),
#undef G
};

static void write_global(FILE *f, const struct lb_global_stats *g, const char *raw_ifname)
{
	char ifname[3 * IFNAMSIZ];
	size_t i;

	prom_escape(raw_ifname, ifname, sizeof(ifname));
	for (i = 0; i < sizeof(global_metrics) / sizeof(global_metrics[0]); i++) {
		__u64 v = *(const __u64 *)((const char *)g + global_metrics[i].off);

		if (global_metrics[i].help)
			prom_family(f, global_metrics[i].family, "counter", global_metrics[i].help);
		if (global_metrics[i].label)
			fprintf(f, "%s{interface=\"%s\",%s=\"%s\"} %llu\n", global_metrics[i].family,
				ifname, global_metrics[i].label, global_metrics[i].value,
				(unsigned long long)v);
		else
			fprintf(f, "%s{interface=\"%s\"} %llu\n", global_metrics[i].family, ifname,
				(unsigned long long)v);
	}
}

void prom_svc_labels(char *buf, size_t len, const char *ifname, const struct lb_svc_key *k)
{
	char a[64], esc[3 * IFNAMSIZ];

	inet_ntop(k->family == LB_AF_INET6 ? AF_INET6 : AF_INET, k->addr, a, sizeof(a));
	snprintf(buf, len, "interface=\"%s\",vip=\"%s\",port=\"%u\",proto=\"%s\"",
		 prom_escape(ifname, esc, sizeof(esc)), a, ntohs(k->port),
		 k->proto == 17 ? "udp" : "tcp");
}

static const struct {
	const char *suffix, *help;
	size_t off;
} counter_metrics[] = {
	{ "packets_total", "Packets forwarded.", offsetof(struct lb_counters, packets) },
	{ "bytes_total", "Bytes forwarded (frame length).", offsetof(struct lb_counters, bytes) },
	{ "new_flows_total", "New flows assigned.", offsetof(struct lb_counters, new_flows) },
};

static void write_services(FILE *f, struct lb_maps *m, const char *ifname)
{
	struct lb_counters c;
	char name[80], labels[200];
	size_t i;
	uint32_t id;

	for (i = 0; i < sizeof(counter_metrics) / sizeof(counter_metrics[0]); i++) {
		snprintf(name, sizeof(name), "lbctl_service_%s", counter_metrics[i].suffix);
		prom_family(f, name, "counter", counter_metrics[i].help);
		for (id = 0; id < m->max_services; id++) {
			if (!(m->svc[id].flags & LB_SVC_F_USED))
				continue;
			lb_read_counters(m, LB_M_SERVICE_STATS, id, &c);
			prom_svc_labels(labels, sizeof(labels), ifname, &m->svc[id].key);
			fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)
				*(const __u64 *)((const char *)&c + counter_metrics[i].off));
		}
	}
	prom_family(f, "lbctl_service_drops_total", "counter",
		    "Packets for the service dropped (no usable backend).");
	for (id = 0; id < m->max_services; id++) {
		if (!(m->svc[id].flags & LB_SVC_F_USED))
			continue;
		lb_read_counters(m, LB_M_SERVICE_STATS, id, &c);
		prom_svc_labels(labels, sizeof(labels), ifname, &m->svc[id].key);
		fprintf(f, "lbctl_service_drops_total{%s} %llu\n", labels,
			(unsigned long long)c.drops);
	}
	prom_family(f, "lbctl_service_active", "gauge",
		    "1 when this node forwards for the service's VIP.");
	for (id = 0; id < m->max_services; id++) {
		if (!(m->svc[id].flags & LB_SVC_F_USED))
			continue;
		prom_svc_labels(labels, sizeof(labels), ifname, &m->svc[id].key);
		fprintf(f, "lbctl_service_active{%s} %d\n", labels,
			!!(m->svc[id].flags & LB_SVC_F_ACTIVE));
	}
}

void prom_backend_labels(char *buf, size_t len, const char *ifname, const struct lb_svc_key *k,
			 int family, const void *addr)
{
	char svc[256], a[64];

	prom_svc_labels(svc, sizeof(svc), ifname, k);
	inet_ntop(family == LB_AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, "%s,backend=\"%s\"", svc, a);
}

static void be_labels(char *buf, size_t len, struct lb_maps *m, const char *ifname, uint32_t id)
{
	const struct lb_backend *b = &m->be[id];

	prom_backend_labels(buf, len, ifname, &m->svc[b->svc_id].key, b->family, b->addr);
}

static void write_backends(FILE *f, struct lb_maps *m, const char *ifname)
{
	struct lb_counters c;
	char name[80], labels[400];
	size_t i;
	uint32_t id;

	for (i = 0; i < sizeof(counter_metrics) / sizeof(counter_metrics[0]); i++) {
		snprintf(name, sizeof(name), "lbctl_backend_%s", counter_metrics[i].suffix);
		prom_family(f, name, "counter", counter_metrics[i].help);
		for (id = 0; id < m->max_backends; id++) {
			if (!(m->be[id].flags & LB_BE_F_USED))
				continue;
			lb_read_counters(m, LB_M_BACKEND_STATS, id, &c);
			be_labels(labels, sizeof(labels), m, ifname, id);
			fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)
				*(const __u64 *)((const char *)&c + counter_metrics[i].off));
		}
	}
	prom_family(f, "lbctl_backend_up", "gauge",
		    "1 when the backend is in service: its checks pass (or it has none), "
		    "or inhibit_on_failure holds it at weight 0.");
	for (id = 0; id < m->max_backends; id++)
		if (m->be[id].flags & LB_BE_F_USED) {
			be_labels(labels, sizeof(labels), m, ifname, id);
			fprintf(f, "lbctl_backend_up{%s} %d\n", labels,
				!!(m->be[id].flags & LB_BE_F_UP));
		}
	prom_family(f, "lbctl_backend_resolved", "gauge",
		    "1 when the backend's MAC address is known.");
	for (id = 0; id < m->max_backends; id++)
		if (m->be[id].flags & LB_BE_F_USED) {
			be_labels(labels, sizeof(labels), m, ifname, id);
			fprintf(f, "lbctl_backend_resolved{%s} %d\n", labels,
				!!(m->be[id].flags & LB_BE_F_MAC));
		}
	prom_family(f, "lbctl_backend_weight", "gauge", "Maglev weight (0 = draining).");
	for (id = 0; id < m->max_backends; id++)
		if (m->be[id].flags & LB_BE_F_USED) {
			be_labels(labels, sizeof(labels), m, ifname, id);
			fprintf(f, "lbctl_backend_weight{%s} %u\n", labels, m->be[id].weight);
		}
}

static int prom_render(FILE *f, struct lb_maps *m, const char *ifname,
		       void (*extra)(FILE *f, void *arg), void *arg)
{
	struct lb_global_stats g;
	bool locked = m->locked;
	int err;

	err = locked ? 0 : lb_maps_lock(m);
	if (!err) {
		err = lb_read_global(m, &g);
		if (!err) {
			write_global(f, &g, ifname);
			write_services(f, m, ifname);
			write_backends(f, m, ifname);
		}
		if (!locked)
			lb_maps_unlock(m);
	}
	if (!err && extra)
		extra(f, arg);
	return err;
}

int prom_write_text(const char *path, const char *text, size_t len)
{
	char tmp[512];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	/* node_exporter runs as its own user: counters are not secret. */
	fchmod(fileno(f), 0644);
	if (fwrite(text, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int prom_render_text(struct lb_maps *m, const char *ifname,
		     void (*extra)(FILE *f, void *arg), void *arg, char **text, size_t *len)
{
	FILE *f;
	int err;

	*text = NULL;
	*len = 0;
	f = open_memstream(text, len);
	if (!f)
		return -ENOMEM;
	err = prom_render(f, m, ifname, extra, arg);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

int prom_write(struct lb_maps *m, const char *ifname, const char *path,
	       void (*extra)(FILE *f, void *arg), void *arg)
{
	char *text;
	size_t len;
	int err = prom_render_text(m, ifname, extra, arg, &text, &len);

	if (!err)
		err = prom_write_text(path, text, len);
	free(text);
	return err;
}
