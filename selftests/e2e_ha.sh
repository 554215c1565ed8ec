#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, high availability under traffic (issue 6): two lbctl nodes
# (VRRPv3, Maglev, HTTP_GET health checks) in front of three nginx real
# servers, while a client keeps a steady stream of fresh HTTP connections
# (one every 20 ms) and long-lived keep-alive connections (a request on
# each every 100 ms) going through the VIP (selftests/traffic.py).
#
#            bridge (own namespace, xdp_pass on every port)
#   ┌─────────┬─────────┬─────────┬─────────┬─────────┬─────────┐
# client     lb1       lb2       rs1       rs2       rs3       rs4
# .1         .2        .3        .11       .12       .13       .14
#           prio 150  prio 100   nginx, VIP on lo (arp_ignore=1,
#           MASTER    BACKUP     arp_announce=2); rs4 is not in the
#                                config (case 5 adds it by hand)
#  (10.106.0.0/24, VIP 10.106.0.100:80, advert_int $ADV s)
#
#  1. master SIGKILLed: new connections resume within Master_Down_Interval
#     (+ slack) and >= 90% of the long-lived connections survive (both
#     nodes make the same Maglev choice); lb1 comes back and preempts, and
#     they survive that too.
#  2. master's link cut (eth0 down inside lb1 until its checks mark every
#     server down; then the bridge-side port down, restored at once) and
#     restored: lb2 takes over, lb1 preempts back, traffic flows at the
#     end, the preemption costs new connections <= 300 ms; broken
#     connections are counted (>= 90% must survive).
#  3. master frozen (SIGSTOP of its controller, then SIGCONT): lb2 takes
#     over for a moment, lb1 stays MASTER and must announce the VIP again;
#     traffic flows again at once and established connections survive.
#  4. a real server killed mid-stream: only its connections break; new
#     connections avoid it once the health check marks it down.
#  5. under traffic: backend add (rs4), backend set weight 2, backend del,
#     config reload with a changed weight: no long-lived connection breaks.
#  6. the master's controller restarted (lbctl down + up; kill -TERM + up):
#     traffic keeps flowing or lb2 takes over cleanly; exactly one node
#     has both the VIP and xdp_lb, the other neither.
#  7. a connection from a source port that an earlier (closed) connection
#     used while the server set was different survives a failover: both
#     nodes have the same tables again, so lb2 must send it where Maglev
#     (and lb1) does; the earlier connection closed with a reset, then
#     (port-reuse-fin) with FIN, 12-13 s before the failover.
#
# Knobs (environment): CASES (which cases, in order; default all:
# "sigkill link-node link-bridge stall rs-kill changes restart-down
# restart-term port-reuse port-reuse-fin"), HA_KEEP (a directory to copy node logs and traffic
# records into at the end), ADV (advert_int, default 0.1 s), SLACK_MS (allowed
# on top of Master_Down_Interval for new connections to resume, default
# 300), SURVIVE_PCT (default 90), PREEMPT_MS (what a preemption back may
# cost new connections, default 300).
# Run as root: bash selftests/e2e_ha.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_lib.sh"

ADV=${ADV:-0.1}
SLACK_MS=${SLACK_MS:-300}
SURVIVE_PCT=${SURVIVE_PCT:-90}
PREEMPT_MS=${PREEMPT_MS:-300}
NET=10.106.0
VIP=$NET.100
HA_VIP=$VIP
declare -A RS_IP=([rs1]=$NET.11 [rs2]=$NET.12 [rs3]=$NET.13 [rs4]=$NET.14)
LBS="lb1 lb2"
PER=4				# long-lived connections per real server
ALL_CASES="sigkill link-node link-bridge stall rs-kill changes restart-down restart-term port-reuse port-reuse-fin"
CASES=${CASES:-$ALL_CASES}

need_root
need_cmd ip nginx ethtool curl
need_file "$LBCTL" "lbctl (make builds it)"

# Master_Down_Interval of lb2 (priority 100), RFC 5798: 3 * Advert + Skew.
MDI_MS=$("$PY" -c 'import sys; a = float(sys.argv[1]) * 1000; print(round(3 * a + (256 - 100) * a / 256))' "$ADV")

# ---------------------------------------------------------------- configs

# conf NODE STATE PRIO W1 W2 W3: the node's config (the weights of rs1-3).
conf()
{
	local node=$1 state=$2 prio=$3 i=0 w; shift 3
	cat <<EOF
global_defs {
    router_id $node
    vrrp_version 3
}

vrrp_instance VI_HA {
    state $state
    interface eth0
    virtual_router_id 61
    priority $prio
    advert_int $ADV
    version 3
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}

virtual_server $VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
EOF
	for w in "$@"; do
		i=$((i + 1))
		cat <<EOF

    real_server $NET.1$i 80 {
        weight $w
        HTTP_GET {
            url {
                path /healthz
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
	done
	echo "}"
}

CONF_lb1=$(tmpdir)/lb1.conf
CONF_lb2=$(tmpdir)/lb2.conf

write_confs()
{
	conf lb1 MASTER 150 "$@" >"$CONF_lb1"
	conf lb2 BACKUP 100 "$@" >"$CONF_lb2"
}

# up NODE: lbctl up eth0 with the node's config; output shown on failure.
up()
{
	local conf_var=CONF_$1 out rc
	out=$(lbctl_in "$1" up eth0 -c "${!conf_var}" 2>&1); rc=$?
	[ $rc = 0 ] || diag_lines "lbctl up on $1 failed ($rc): $out"
	return $rc
}

# all_up NODE...: every real server rs1-3 is up (healthy, MAC resolved) on
# each NODE.
all_up()
{
	local n a
	for n in "$@"; do
		for a in $NET.11 $NET.12 $NET.13; do
			ha_be_is "$n" "$a" state up || return 1
		done
	done
}

# settled: lb1 MASTER owning VIP and program, lb2 BACKUP owning neither,
# all real servers up on both.
settled()
{
	ha_is lb1 MASTER && ha_is lb2 BACKUP && ha_owner_is lb1 $LBS && all_up $LBS
}

# survive_ok: at least SURVIVE_PCT % of the long-lived connections survived.
survive_ok()
{
	[ "$LONG_N" -gt 0 ] && [ $((LONG_OK * 100)) -ge $((SURVIVE_PCT * LONG_N)) ]
}

# client_neigh: the client's neighbour entry for the VIP.
client_neigh()
{
	ip -n "$(ns client)" neigh show "$VIP" dev eth0
}

# fresh_neigh: a case starts with the client resolving the VIP afresh if
# its neighbour entry names a node that does not hold the VIP (left over
# from a failed case, it would fail the next one too).
fresh_neigh()
{
	local n entry
	entry=$(client_neigh)
	for n in $LBS; do
		if [[ $entry == *"lladdr $(mac_of "$n") "* ]] && ! ha_has_vip "$n"; then
			diag "before the next case: the client's entry for $VIP still names $n ($entry), which does not hold it; deleting it"
			ip -n "$(ns client)" neigh del "$VIP" dev eth0
		fi
	done
}

# ---------------------------------------------------------------- topology

T0=$SECONDS
mk_bridge
mk_host client $NET.1/24
mk_lbnode lb1 $NET.2/24
mk_lbnode lb2 $NET.3/24
for rs in rs1 rs2 rs3 rs4; do
	ha_nginx "$rs" "${RS_IP[$rs]}"
done
write_confs 1 1 1
check "check-config accepts the test's config" "$LBCTL" check-config "$CONF_lb1"
check "lbctl up on lb1 (MASTER, priority 150)" up lb1
check "lbctl up on lb2 (BACKUP, priority 100)" up lb2
wait_until 20 settled
ok $? "lb1 MASTER with VIP and xdp_lb, lb2 BACKUP with neither, rs1-3 up on both" ||
	{ ha_show $LBS; bail "the topology did not settle"; }
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir)); advert_int $ADV s," \
	"lb2's Master_Down_Interval $MDI_MS ms"

# ---------------------------------------------------------------- 1. SIGKILL

case_sigkill()
{
	local pid t_kill t_up ms
	traffic_start c1 --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "sigkill: traffic through the VIP before the kill"; return; }
	traffic_for 0.5
	pid=$(ha_pid lb1)
	t_kill=$(ha_now)
	kill -9 "$pid"
	ms=$(ha_wait_ms 5000 ha_is lb2 MASTER)
	ok $? "sigkill: lb2 MASTER $ms ms after kill -9 of lb1's controller (Master_Down_Interval $MDI_MS ms)" ||
		ha_show $LBS
	wait_until 5 ha_owner_is lb2 lb2
	ok $? "sigkill: lb2 holds the VIP and xdp_lb" || ha_show lb2
	diag "sigkill: lb1 after the kill: $(ha_owners lb1) (its guardian removes the VIP, then detaches the program)"
	traffic_wait 5 "$(ha_now)"
	traffic_for 1
	# lb1 comes back and preempts.
	ha_keep_log lb1 c1
	t_up=$(ha_now)
	up lb1
	ms=$(ha_wait_ms 10000 settled)
	ok $? "sigkill: lbctl up on lb1 cleans up and preempts back in $ms ms" || ha_show $LBS
	traffic_for 1
	traffic_stop

	traffic_report --mark "$t_kill" --to "$t_up" --split "$t_up"
	traffic_diag "sigkill (kill -9 to lbctl up)"
	diag "sigkill: new connections failed from +$FAIL_FIRST_MS to +$FAIL_LAST_MS ms after the kill and worked again at +$RESUME_MS ms;" \
		"long-lived broken by the failover: $LONG_BROKEN_BEFORE, by the preemption back: $LONG_BROKEN_AFTER"
	[ "$GAP_MS" -le $((MDI_MS + SLACK_MS)) ]
	ok $? "sigkill: new connections resume within Master_Down_Interval + $SLACK_MS ms (outage $GAP_MS ms <= $((MDI_MS + SLACK_MS)) ms)"
	local broken_kill=$LONG_BROKEN_BEFORE broken_back=$LONG_BROKEN_AFTER n=$LONG_N
	LONG_OK=$((n - broken_kill))
	survive_ok
	ok $? "sigkill: established connections survive the failover ($LONG_OK of $n, need $SURVIVE_PCT%)"
	is "$broken_back" 0 "sigkill: the preemption back to lb1 breaks none of the $((n - broken_kill)) connections that were still open"
	traffic_report --mark "$t_up" --from "$t_up"
	diag "sigkill: preemption back: fresh connections failed $FRESH_FAIL of $FRESH_N, longest outage $GAP_MS ms"
}

# ---------------------------------------------------------------- 2. link cut

# cut_link HOW up|down: eth0 inside lb1, or the bridge's port b-lb1.
cut_link()
{
	case $1 in
	node)   ip -n "$(ns lb1)" link set eth0 "$2" ;;
	bridge) ip -n "$BR_NS" link set b-lb1 "$2" ;;
	esac
}

# lb1_all_down: lb1's own checks have marked every real server down.
lb1_all_down()
{
	local a
	for a in $NET.11 $NET.12 $NET.13; do
		ha_be_is lb1 "$a" state down || return 1
	done
}

# case_link node|bridge: cut lb1's link (eth0 down inside lb1, or the
# bridge's port b-lb1 down), then restore it. "node" keeps it cut until
# lb1's own health checks have marked every real server down (they cannot
# reach them), "bridge" restores it as soon as traffic flows through lb2
# (before any check fails; the kernel has flushed lb1's neighbour entries
# all the same). Either way lb1 must not take the VIP back before it can
# forward to the servers its peer was forwarding to.
case_link()
{
	local how=$1 t_cut t_back ms what
	what="link cut ($([ "$how" = node ] && echo "eth0 down inside lb1" || echo "bridge port b-lb1 down"))"
	wait_until 10 settled || ha_show $LBS
	traffic_start "c2$how" --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "$what: traffic through the VIP before the cut"; return; }
	traffic_for 0.5
	t_cut=$(ha_now)
	cut_link "$how" down
	ms=$(ha_wait_ms 5000 ha_is lb2 MASTER)
	ok $? "$what: lb2 takes over: MASTER after $ms ms" || ha_show $LBS
	wait_until 5 ha_has_vip lb2 && wait_until 5 ha_has_prog lb2
	ok $? "$what: lb2 holds the VIP and xdp_lb" || ha_show lb2
	traffic_wait 5 "$(ha_now)"
	ok $? "$what: traffic flows through lb2 while lb1 is cut off"
	if [ "$how" = node ]; then
		ms=$(ha_wait_ms 10000 lb1_all_down)
		diag "$what: lb1's checks marked every real server down $ms ms after lb2 took over (they cannot reach them)"
	fi
	diag "$what: lb1 while cut off: state $(ha_vstate lb1), $(ha_owners lb1)"
	t_back=$(ha_now)
	cut_link "$how" up
	ms=$(ha_wait_ms 10000 settled)
	ok $? "$what: link restored: lb1 preempts back (MASTER with VIP and xdp_lb, lb2 BACKUP with neither) in $ms ms" ||
		ha_show $LBS
	traffic_wait 5 "$(ha_now)"
	traffic_for 1.5
	traffic_stop

	traffic_report --mark "$t_cut" --split "$t_back" --tail 0.5
	traffic_diag "$what"
	diag "$what: longest outage for new connections $GAP_MS ms; long-lived broken by the cut: $LONG_BROKEN_BEFORE," \
		"by the restore and preemption: $LONG_BROKEN_AFTER"
	[ "$TAIL_N" -gt 0 ] && [ "$TAIL_FAIL" = 0 ]
	ok $? "$what: traffic flows at the end (last 0.5 s: $TAIL_N fresh connections, $TAIL_FAIL failed)"
	survive_ok
	ok $? "$what: established connections survive the cut and the preemption back ($LONG_OK of $LONG_N, need $SURVIVE_PCT%)"
	traffic_report --mark "$t_back" --from "$t_back"
	[ "$GAP_MS" -le "$PREEMPT_MS" ]
	ok $? "$what: the preemption back costs new connections at most $PREEMPT_MS ms (longest outage $GAP_MS ms, $FRESH_FAIL of $FRESH_N failed; lb2 was serving meanwhile)"
}

# ---------------------------------------------------------------- 3. master frozen

case_stall()
{
	local pid t_cont ms rc what="master frozen"
	wait_until 10 settled || ha_show $LBS
	traffic_start c2stall --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "$what: traffic through the VIP before the freeze"; return; }
	traffic_for 0.5
	# Past the second burst of gratuitous ARPs after lb1 became MASTER
	# (garp_master_delay, 5 s by default as in keepalived): what follows
	# must not depend on when that burst happens to come.
	local wait
	wait=$("$PY" -c 'import sys; print(max(0.0, 6.0 - float(sys.argv[1])))' "$(ha_master_for lb1)")
	[ "$wait" = 0.0 ] || traffic_for "$wait"
	# SIGSTOP: lb1's program keeps forwarding but its adverts stop, as when
	# a loaded machine does not schedule the controller for a while.
	pid=$(ha_pid lb1)
	kill -STOP "$pid"
	ms=$(ha_wait_ms 3000 ha_is lb2 MASTER); rc=$?
	# Both are MASTER for a moment; lb2 has announced the VIP.
	sleep 0.2
	kill -CONT "$pid"
	t_cont=$(ha_now)
	ok $rc "$what: lb2 takes over while lb1's controller is stopped (SIGSTOP; lb2 MASTER after $ms ms)" ||
		ha_show lb2
	ms=$(ha_wait_ms 5000 settled)
	ok $? "$what: after SIGCONT lb1 stays MASTER with VIP and xdp_lb, lb2 steps back to BACKUP with neither ($ms ms)" ||
		ha_show $LBS
	if traffic_wait 5 "$(ha_now)"; then
		ok 0 "$what: traffic flows again within 5 s"
		traffic_for 1
	else
		ok 1 "$what: traffic flows again within 5 s (lb1 must announce the VIP again: the client still sends to lb2)"
		diag "$what: the client's neighbour entry: $(client_neigh); lb1 is $(mac_of lb1), lb2 $(mac_of lb2)"
	fi
	traffic_stop

	traffic_report --mark "$t_cont" --from "$t_cont" --tail 0.5
	traffic_diag "$what (from SIGCONT on)"
	[ "$GAP_MS" -le $((MDI_MS + SLACK_MS)) ] && [ "$TAIL_N" -gt 0 ] && [ "$TAIL_FAIL" = 0 ]
	ok $? "$what: new connections work again at once when lb1 resumes (longest outage $GAP_MS ms, last 0.5 s: $TAIL_FAIL of $TAIL_N failed)"
	survive_ok
	ok $? "$what: established connections survive the brief dual master ($LONG_OK of $LONG_N, need $SURVIVE_PCT%)"
}

# ---------------------------------------------------------------- 4. real server dies

case_rs_kill()
{
	local t_kill t_down ms
	wait_until 10 settled || ha_show $LBS
	traffic_start c3 --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "rs killed: traffic through the VIP before the kill"; return; }
	traffic_for 0.5
	t_kill=$(ha_now)
	ha_nginx_kill rs2
	ok $? "rs killed: kill -9 of nginx (master and worker) on rs2"
	ms=$(ha_wait_ms 10000 ha_be_is lb1 $NET.12 state down)
	ok $? "rs killed: lb1's HTTP_GET check marks rs2 down after $ms ms" || ha_show lb1
	t_down=$(ha_now)
	wait_until 10 ha_be_is lb2 $NET.12 state down
	ok $? "rs killed: lb2's check marks rs2 down too" || ha_show lb2
	traffic_for 1.5
	traffic_stop

	traffic_report --mark "$t_kill" --after "$t_down"
	traffic_diag "rs killed"
	diag "rs killed: fresh connections failed between the kill and the health check: $((FRESH_FAIL - AFTER_FAIL))" \
		"(first +$FAIL_FIRST_MS ms, last +$FAIL_LAST_MS ms); after it: $AFTER_FAIL of $AFTER_N, answered by: $AFTER_SERVERS"
	diag "rs killed: long-lived connections to rs2 broken: ${LONG_BROKEN_rs2:-0} of ${LONG_N_rs2:-0} (expected: its server died)"
	[ "${LONG_BROKEN_rs1:-x}" = 0 ] && [ "${LONG_BROKEN_rs3:-x}" = 0 ] &&
		[ "${LONG_N_rs1:-0}" -gt 0 ] && [ "${LONG_N_rs3:-0}" -gt 0 ]
	ok $? "rs killed: every connection to rs1 and rs3 keeps working (rs1 ${LONG_N_rs1:-0}, broken ${LONG_BROKEN_rs1:-?}; rs3 ${LONG_N_rs3:-0}, broken ${LONG_BROKEN_rs3:-?})"
	[ "$AFTER_N" -gt 0 ] && [ "$AFTER_FAIL" = 0 ] && [[ " $AFTER_SERVERS" != *" rs2="* ]]
	ok $? "rs killed: new connections avoid rs2 after the health check ($AFTER_N started, $AFTER_FAIL failed; $AFTER_SERVERS)"

	ha_nginx_start rs2
	ok $? "rs killed: nginx on rs2 started again"
	wait_until 15 all_up $LBS
	ok $? "rs killed: rs2 back up on both nodes" || ha_show $LBS
}

# ---------------------------------------------------------------- 5. changes under traffic

# on_both ARGS...: the same lbctl command on both nodes, as an operator
# would run it (so that both nodes keep computing the same Maglev tables).
on_both()
{
	local n rc=0 out
	for n in $LBS; do
		out=$(lbctl_in "$n" "$@" 2>&1) || { rc=1; diag "lbctl $* on $n: $out"; }
	done
	return $rc
}

case_changes()
{
	local t_add t_del t_del_end t_reload
	wait_until 10 settled || ha_show $LBS
	traffic_start c4 --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "changes: traffic through the VIP before the changes"; return; }
	traffic_for 0.5
	t_add=$(ha_now)
	check "changes: backend add $NET.14 (rs4) on both nodes" on_both backend add $VIP 80 tcp $NET.14
	wait_until 10 ha_be_is lb1 $NET.14 state up
	ok $? "changes: rs4 resolved and up on lb1 ($(ha_be_field lb1 $NET.14 state))" || ha_show lb1
	wait_until 10 eval 'traffic_report --after '"$t_add"' >/dev/null && [[ " $AFTER_SERVERS" == *" rs4="* ]]'
	ok $? "changes: new connections reach rs4 ($(traffic_report --after "$t_add"; echo "$AFTER_SERVERS"))"
	check "changes: backend set $NET.11 weight 2 on both nodes" on_both backend set $VIP 80 tcp $NET.11 weight 2
	is "$(ha_be_field lb1 $NET.11 weight)" 2 "changes: rs1's weight is 2"
	traffic_for 0.5
	t_del=$(ha_now)
	check "changes: backend del $NET.14 (rs4) on both nodes" on_both backend del $VIP 80 tcp $NET.14
	t_del_end=$(ha_now)
	is "$(ha_be_field lb1 $NET.14 state)" - "changes: rs4 is gone from lb1's backends"
	traffic_for 0.5
	# Reload: rs3's weight 1 -> 3 in both files.
	write_confs 1 1 3
	t_reload=$(ha_now)
	check "changes: lbctl reload on both nodes (rs3 weight 1 -> 3 in the file)" on_both reload eth0
	wait_until 5 ha_be_is lb1 $NET.13 weight 3 && wait_until 5 ha_be_is lb2 $NET.13 weight 3
	ok $? "changes: the reload set rs3's weight to 3 on both nodes (lb1: $(ha_be_field lb1 $NET.13 weight), lb2: $(ha_be_field lb2 $NET.13 weight))"
	# The reload left rs1's weight (set by hand) alone; put it back to the
	# file's, under traffic too, so that a restarted node builds the same
	# tables as its peer.
	check "changes: backend set $NET.11 weight 1 on both nodes" on_both backend set $VIP 80 tcp $NET.11 weight 1
	traffic_for 1
	local s1 s2
	s1=$(ha_vstate lb1) s2=$(ha_vstate lb2)
	[ "$s1" = MASTER ] && [ "$s2" = BACKUP ]
	ok $? "changes: VRRP untouched by the reload (lb1 $s1, lb2 $s2)" || {
		for n in $LBS; do
			diag "lbctl status -j on $n: $(lbctl_in "$n" status -j 2>&1 | head -c 600; echo " (exit ${PIPESTATUS[0]})")"
		done
	}
	traffic_stop

	# A fresh connection caught in its handshake on rs4 when rs4 was
	# deleted may fail (rs4 is the affected server); nothing else may.
	traffic_report --mark "$t_add" --quiet-from "$("$PY" -c 'import sys; print(float(sys.argv[1]) - 0.1)' "$t_del")" \
		--quiet-to "$("$PY" -c 'import sys; print(float(sys.argv[1]) + 0.5)' "$t_del_end")"
	traffic_diag "changes"
	diag "changes: fresh connections answered by: $FRESH_SERVERS"
	[ "$LONG_N" -gt 0 ] && [ "$LONG_BROKEN" = 0 ]
	ok $? "changes: no long-lived connection breaks ($LONG_N, broken $LONG_BROKEN: $LONG_SERVERS)"
	is "$OUTSIDE_FAIL" 0 "changes: no fresh connection fails (but those caught on rs4 as it is deleted: $((FRESH_FAIL - OUTSIDE_FAIL)))"
}

# ---------------------------------------------------------------- 6. controller restart

case_restart()
{
	local how=$1 what t_stop t_up ms pid
	[ "$how" = down ] && what="restart (lbctl down + up)" || what="restart (kill -TERM + up)"
	wait_until 10 settled || ha_show $LBS
	traffic_start "c5$how" --servers rs1,rs2,rs3 --per $PER ||
		{ ok 1 "$what: traffic through the VIP before the restart"; return; }
	traffic_for 0.5
	ha_keep_log lb1 "c5$how"
	t_stop=$(ha_now)
	if [ "$how" = down ]; then
		check "$what: lbctl down eth0 on lb1" lbctl_in lb1 down eth0
	else
		pid=$(ha_pid lb1)
		kill -TERM "$pid"
		wait_until 10 eval "! pid_alive $pid"
		ok $? "$what: lb1's controller exits on SIGTERM"
	fi
	wait_until 5 eval '! ha_has_vip lb1 && ! ha_has_prog lb1'
	ok $? "$what: stopped lb1 has neither the VIP nor the program ($(ha_owners lb1))" || ha_show lb1
	ms=$(ha_wait_ms 5000 ha_owner_is lb2 $LBS)
	ok $? "$what: lb2 takes over cleanly: VIP and xdp_lb on lb2 only, $ms ms after the stop" || ha_show $LBS
	traffic_wait 5 "$(ha_now)"
	t_up=$(ha_now)
	check "$what: lbctl up on lb1 again" up lb1
	ms=$(ha_wait_ms 10000 settled)
	ok $? "$what: lb1 preempts back in $ms ms; exactly one owner: $(ha_owners $LBS)" || ha_show $LBS
	wait_until 5 ha_same_backends lb1 lb2
	ok $? "$what: the restarted lb1 has lb2's backends, weights and states (the same Maglev table)" ||
		diag_lines "$(ha_backends lb1; echo ---; ha_backends lb2)"
	traffic_for 1
	traffic_stop

	traffic_report --mark "$t_stop" --split "$t_up" --tail 0.5
	traffic_diag "$what"
	diag "$what: longest outage for new connections $GAP_MS ms; long-lived broken by the stop: $LONG_BROKEN_BEFORE," \
		"by the restart and preemption: $LONG_BROKEN_AFTER"
	[ "$GAP_MS" -le $((MDI_MS + SLACK_MS)) ]
	ok $? "$what: new connections never wait longer than Master_Down_Interval + $SLACK_MS ms (longest outage $GAP_MS ms)"
	[ "$TAIL_N" -gt 0 ] && [ "$TAIL_FAIL" = 0 ]
	ok $? "$what: traffic flows at the end (last 0.5 s: $TAIL_N fresh connections, $TAIL_FAIL failed)"
	survive_ok
	ok $? "$what: established connections survive ($LONG_OK of $LONG_N, need $SURVIVE_PCT%)"
}

# ---------------------------------------------------------------- 7. port reuse

# once SPORT [--fin]: one request from the client through the VIP from
# source port SPORT, closed with a reset, or with --fin by the server and
# then the client's FIN (either way the 5-tuple is free again at once);
# prints the server that answered.
once()
{
	nsx client "$PY" "$TRAFFIC_PY" once --sport "$@" "$VIP" 80
}

# stop_lb1: kill -TERM lb1's controller (a clean stop that keeps its maps)
# and wait until lb2 owns the VIP and the program.
stop_lb1()
{
	local pid
	pid=$(ha_pid lb1)
	[ -n "$pid" ] && kill -TERM "$pid" && wait_until 10 eval "! pid_alive $pid" &&
		wait_until 5 ha_owner_is lb2 $LBS
}

# case_port_reuse rst|fin: how the earlier connection through lb2 closes.
# A reset removes lb2's entry at once; after a FIN it lives
# LB_CONN_FIN_TIMEOUT_S (10 s) more, and the failover comes after that.
# Left in place, the entry would send the new connection to the old
# server, which holds the old one in TIME_WAIT and answers with bare ACKs:
# a hang, not a reset.
case_port_reuse()
{
	local how=$1 sport=61234 x y w t_fail t_closed left why what="port reuse" fin=
	[ "$how" = fin ] && sport=61236 what="port reuse after FIN" fin=--fin
	wait_until 10 settled || ha_show $LBS
	# An earlier connection with the same 5-tuple went through lb2 while
	# the server lb1 chose for it was drained; since then both nodes have
	# the same servers and weights again, so the same Maglev tables.
	x=$(once $sport) && [ -n "$x" ] && [ -n "${RS_IP[$x]:-}" ]
	ok $? "$what: a connection from source port $sport through lb1 is answered by a real server ('$x')" ||
		return
	stop_lb1
	ok $? "$what: kill -TERM of lb1's controller; lb2 takes over" || ha_show $LBS
	w=$(ha_be_field lb2 "${RS_IP[$x]}" weight)
	check "$what: drain $x (weight 0) on both nodes" on_both backend set $VIP 80 tcp "${RS_IP[$x]}" weight 0
	y=$(once $sport $fin) || y=
	[ -n "$y" ] && [ "$y" != "$x" ]
	ok $? "$what: with $x drained, the same 5-tuple through lb2 goes to another server ('$y')"
	t_closed=$SECONDS
	# Its weight as the file has it: a restarted lb1 builds from the file.
	check "$what: $x back to weight $w on both nodes" on_both backend set $VIP 80 tcp "${RS_IP[$x]}" weight "$w"
	check "$what: lbctl up on lb1 again" up lb1
	wait_until 10 eval 'settled && ha_same_backends lb1 lb2'
	ok $? "$what: lb1 MASTER again; both nodes have the same servers and weights" ||
		{ ha_show $LBS; diag_lines "$(ha_backends lb1; echo ---; ha_backends lb2)"; }
	# A new long-lived connection from the same source port, then a failover.
	traffic_start c6 -n 1 --sport $sport ||
		{ ok 1 "$what: a long-lived connection from port $sport"; return; }
	traffic_for 0.5
	# 10 s after the FIN, plus the ~1 s granule of last-seen times, plus
	# the second SECONDS may lose
	left=$((t_closed + 13 - SECONDS))
	[ -z "$fin" ] || [ "$left" -le 0 ] || sleep "$left"
	diag "$what: before the failover, lb1's connection table sends the flow from port $sport to" \
		"$(ha_conn_to lb1 $sport), lb2's to $(ha_conn_to lb2 $sport) (rs: ${RS_IP[$x]} $x, ${RS_IP[${y:-none}]:-} $y)"
	t_fail=$(ha_now)
	stop_lb1
	ok $? "$what: kill -TERM of lb1's controller under traffic; lb2 takes over" || ha_show $LBS
	traffic_for 1
	check "$what: lbctl up on lb1 again" up lb1
	wait_until 10 settled || ha_show $LBS
	traffic_for 0.5
	traffic_stop
	traffic_report --mark "$t_fail"
	traffic_diag "$what"
	[ "$how" = rst ] && why="removed the old connection's entry at its reset" ||
		why="let the old connection's entry expire 10 s after its FIN"
	[ "$LONG_N" = 1 ] && [ "$LONG_BROKEN" = 0 ]
	ok $? "$what: a new connection from a reused source port survives the failover (lb2 $why, so it follows Maglev like lb1)"
}

for c in $CASES; do
	fresh_neigh
	failed=$T_FAILED
	declare -A log_at=()
	for n in $LBS; do log_at[$n]=$(ha_log_lines "$n"); done
	case $c in
	sigkill) case_sigkill ;;
	link-node) case_link node ;;
	link-bridge) case_link bridge ;;
	stall) case_stall ;;
	rs-kill) case_rs_kill ;;
	changes) case_changes ;;
	restart-down) case_restart down ;;
	restart-term) case_restart term ;;
	port-reuse) case_port_reuse rst ;;
	port-reuse-fin) case_port_reuse fin ;;
	*) bail "unknown case '$c' in CASES" ;;
	esac
	# Something failed: what the nodes logged meanwhile, for the report.
	if [ "$T_FAILED" != "$failed" ]; then
		for n in $LBS; do ha_log_since "$n" "${log_at[$n]}"; done
	fi
done

wait_until 5 ha_one_owner $LBS
ok $? "end: exactly one node has both the VIP and xdp_lb, the other neither ($(ha_owners $LBS))"
wait_until 5 http_from client "$VIP"
ok $? "end: HTTP through the VIP works"
note "total $((SECONDS - T0)) s"
if [ -n "${HA_KEEP:-}" ]; then
	for n in $LBS; do ha_keep_log "$n" end; done
	mkdir -p "$HA_KEEP" && cp -r "$(tmpdir)"/*.json "$(tmpdir)"/*.log.* "$(tmpdir)"/*.conf "$HA_KEEP"/ 2>/dev/null
	note "logs and traffic records kept in $HA_KEEP"
fi
done_testing
