/* SPDX-License-Identifier: GPL-2.0 */
/* Least privilege for the controller: once the program is loaded and its
 * sockets are open, keep only the capabilities the event loop uses. */
#ifndef LB_CAPS_H
#define LB_CAPS_H

#include <stdbool.h>

/* Drop every capability but those named in caps.c, from the effective,
 * permitted, inheritable and bounding sets. 0 or -errno. */
int caps_drop(void);
/* Does this process have what `lbctl up` needs (CAP_BPF, CAP_NET_ADMIN)? */
bool caps_can_run_controller(void);

#endif
