#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VRRPv3 at advert_int 0.01 (10 ms), case 3 of e2e_ipv6.sh: 20 s idle
# without a false failover, then SIGKILL of the master and a takeover in
# well under a second. The promise is for an idle machine: `make test`
# runs idle_*.sh alone, after the tests that run two at a time, because a
# neighbour test's traffic on the same two CPUs can delay the bridge's
# softirq past the 36 ms Master_Down_Interval.
CASES=fast exec bash "$(dirname "$0")/e2e_ipv6.sh"
