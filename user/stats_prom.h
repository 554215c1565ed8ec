/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus textfile (node_exporter textfile-collector format):
 * written to PATH.tmp, then renamed, so a scrape never sees half a file. */
#ifndef LB_STATS_PROM_H
#define LB_STATS_PROM_H

#include <stdio.h>
#include "lb_maps.h"

/* The whole text in memory (*text malloc'd, the caller frees it); extra
 * (may be NULL) appends the controller's own families (health, VRRP). */
int prom_render_text(struct lb_maps *m, const char *ifname,
		     void (*extra)(FILE *f, void *arg), void *arg, char **text, size_t *len);
/* text to PATH.tmp (mode 0644), renamed to PATH. */
int prom_write_text(const char *path, const char *text, size_t len);
/* Both in one go. */
int prom_write(struct lb_maps *m, const char *ifname, const char *path,
	       void (*extra)(FILE *f, void *arg), void *arg);

/* Print "# HELP" and "# TYPE" lines of a family. */
void prom_family(FILE *f, const char *name, const char *type, const char *help);

/* IN as a label value: backslash, double quote and newline escaped (an
 * interface or instance name may hold any of them); cut to fit OUT. */
const char *prom_escape(const char *in, char *out, size_t len);

/* interface="IFNAME",vip="...",port="...",proto="..." for service K;
 * IFNAME raw, escaped here. */
void prom_svc_labels(char *buf, size_t len, const char *ifname, const struct lb_svc_key *k);
/* The same and backend="ADDR" (family LB_AF_*). */
void prom_backend_labels(char *buf, size_t len, const char *ifname, const struct lb_svc_key *k,
			 int family, const void *addr);

#endif
