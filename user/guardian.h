/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GUARDIAN_H
#define GUARDIAN_H

#include "ctl.h"

/*
 * Start the guardian of the controller o describes. Call it before any BPF
 * object exists. Returns the socket to hand it XDP links on, or -1 when no
 * guardian could be started (the controller runs without one).
 */
int guardian_start(const struct ctl_opts *o);

/* Give the guardian a reference to the newly attached XDP link, so that a
 * controller's death does not detach it before the VIPs are gone.
 * Returns 0 or -errno. */
int guardian_hold(int sock, int link_fd);

#endif
