/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's Prometheus textfile, written by a thread of its own:
 * a slow or stuck disk (the file lives where node_exporter looks, often
 * not on tmpfs) must not hold the event loop that sends VRRP adverts. The
 * loop renders the text (memory only) and hands it over; the writer puts
 * it in place. One write at a time; a newer text replaces one not yet
 * begun.
 */
#ifndef LB_TEXTFILE_H
#define LB_TEXTFILE_H

#include <stddef.h>

struct textfile;

/* The writer thread, at normal (not real-time) priority. NULL with errno. */
struct textfile *textfile_start(void);
/* Write text (malloc'd; taken, freed by the writer) to path (copied). */
void textfile_put(struct textfile *t, const char *path, char *text, size_t len);
/* Drop what is pending and stop; waits for a write in progress for up to
 * two seconds, then leaves it behind. NULL is fine. */
void textfile_stop(struct textfile *t);

#endif
