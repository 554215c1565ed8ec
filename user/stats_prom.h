/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus textfile (node_exporter textfile-collector format):
 * written to PATH.tmp, then renamed, so a scrape never sees half a file. */
#ifndef LB_STATS_PROM_H
#define LB_STATS_PROM_H

#include <stdio.h>
#include "lb_maps.h"

/* extra (may be NULL) appends the controller's own families (health,
 * VRRP) to the file before it is renamed into place. */
int prom_write(struct lb_maps *m, const char *ifname, const char *path,
	       void (*extra)(FILE *f, void *arg), void *arg);

/* Print "# HELP" and "# TYPE" lines of a family. */
void prom_family(FILE *f, const char *name, const char *type, const char *help);

#endif
