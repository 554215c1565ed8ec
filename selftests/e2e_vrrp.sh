#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, VRRP (issue 4): two lbctl nodes speaking VRRPv3 to each other
# over a bridge, each with its own bpffs and run dir.
#
#            bridge (own namespace, xdp_pass on every port)
#   ┌─────────┬─────────┬─────────┬─────────┬─────────┬─────────┐
# client     lb1       lb2       rs1       rs2       rs3      evil
# .1         .2        .3        .11       .12       .13      .66
#           prio 150  prio 100   VIP1 and VIP2 on lo,       forges
#                                http.server answering      adverts
#                                its own name
#  (10.102.0.0/24; VIP1 10.102.0.100, VIP2 10.102.0.101)
#
#  1. election by priority: lb1 MASTER, lb2 BACKUP; VIP and XDP on lb1
#     only; HTTP through the VIP is forwarded by lb1.
#  2. SIGKILL of lb1's controller: lb2 MASTER within Master_Down_Interval,
#     with the VIP, XDP and working HTTP; `lbctl up` on lb1 again cleans
#     up and preempts back.
#  3. graceful `lbctl down` on the master: takeover in about Skew_Time.
#  4. nopreempt: lb1 (higher priority) coming back does not take over.
#  5. track_interface: a tracked interface (dummy; a veth where the kernel
#     has no dummy driver) going down faults lb1; up again, lb1 preempts.
#  6. dual master: two instances, each node forwards only its own VIP.
#  7. forged adverts: TTL 64 (bad_ttl), and a non-peer source with unicast
#     peers (not_peer), do not move the VIP; a well-formed forged advert
#     with TTL 255 does (so the forgeries are otherwise valid).
#  8. the same SIGKILL failover at advert_int 1 s.
#
# Takeover times are measured from just before the kill (or `lbctl down`)
# to the VIP appearing on the new master, stamped by `ip -ts monitor
# address` (so polling latency on a loaded machine does not count), and
# reported as TAP diagnostics.
#
# ADV (default 0.1) is the advert interval in seconds for cases 1-7;
# SLACK_MS (200) the scheduling slack allowed on top of
# Master_Down_Interval; CASES="election sigkill ..." runs only those cases.
# Run as root: bash selftests/e2e_vrrp.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vrrp_lib.sh"

ADV=${ADV:-0.1}
NET=10.102.0
CLIENT_IP=$NET.1
declare -A IP=([lb1]=$NET.2 [lb2]=$NET.3 [evil]=$NET.66)
declare -A RS_IP=([rs1]=$NET.11 [rs2]=$NET.12 [rs3]=$NET.13)
VIP1=$NET.100
VIP2=$NET.101
VRID1=51
VRID2=52
N_REQ=${N_REQ:-20}
LBS="lb1 lb2"
# Slack on a measured takeover for timer and scheduling latency (ms).
SLACK_MS=${SLACK_MS:-200}

read -r MDI_100 SKEW_100 < <(vrrp_timers 100 "$ADV")
ADV_MS=$(printf '%.0f' "$("$PY" -I -S -c "print($ADV*1000)")")
read -r MDI_150 SKEW_150 < <(vrrp_timers 150 "$ADV")

# ---------------------------------------------------------------- configs

# conf_global NODE
conf_global()
{
	cat <<EOF
global_defs {
    router_id $1
    vrrp_version 3
}
EOF
}

# conf_inst NAME VRID PRIO VIP ADV [EXTRA LINE...]
conf_inst()
{
	local name=$1 vrid=$2 prio=$3 vip=$4 adv=$5 l; shift 5
	echo "vrrp_instance $name {"
	echo "    state BACKUP"
	echo "    interface eth0"
	echo "    virtual_router_id $vrid"
	echo "    priority $prio"
	echo "    advert_int $adv"
	echo "    version 3"
	for l in "$@"; do echo "    $l"; done
	echo "    virtual_ipaddress {"
	echo "        $vip/32 dev eth0"
	echo "    }"
	echo "}"
}

# conf_vs VIP: HTTP over the three real servers, DR.
conf_vs()
{
	local s
	echo "virtual_server $1 80 {"
	echo "    lb_algo mh"
	echo "    lb_kind DR"
	echo "    protocol TCP"
	for s in rs1 rs2 rs3; do
		echo "    real_server ${RS_IP[$s]} 80 {"
		echo "        weight 1"
		echo "    }"
	done
	echo "}"
}

# conf_file NAME: the path for a generated config.
conf_file()
{
	echo "$(tmpdir)/$1.conf"
}

# simple_conf NODE PRIO ADV [EXTRA...]: one instance (VRID1, VIP1), one
# virtual_server; prints the file name.
simple_conf()
{
	local node=$1 prio=$2 adv=$3 tag f; shift 3
	tag=$node-$prio-${adv/./_}-$(echo "$*" | md5sum | cut -c1-6)
	f=$(conf_file "$tag")
	{
		conf_global "$node"
		conf_inst VI_1 "$VRID1" "$prio" "$VIP1" "$adv" "$@"
		conf_vs "$VIP1"
	} >"$f"
	echo "$f"
}

# ---------------------------------------------------------------- nodes

# lb_up NODE CONF: lbctl up (daemonised); a test of its own.
lb_up()
{
	local out rc
	out=$(lbctl_in "$1" up eth0 -c "$2" 2>&1); rc=$?
	is "$rc" 0 "$1: lbctl up eth0 -c $(basename "$2")" || {
		diag_lines "$out"
		diag_lines "$(cat "$2")"
		diag_lines "$(tail -20 "$(node_log "$1")" 2>/dev/null)"
	}
}

# lb_down NODE: lbctl down, quietly (for resetting between cases).
lb_down()
{
	keep_log "$1" down
	lbctl_in "$1" down eth0 >/dev/null 2>&1
	wait_until 5 eval "[ \"\$(vstate $1)\" = - ]"
}

# lb_kill NODE: SIGKILL the controller, wait until it is gone.
# KILL_T0 is the time (ms) right before the kill.
lb_kill()
{
	local pid
	pid=$(controller_pid_of "$1")
	[ -n "$pid" ] || return 1
	mark_ms KILL_T0
	kill -9 "$pid" || return 1
	wait_until 5 eval "! pid_alive $pid"
}

# reset_nodes: no controller on either node, no VIP left anywhere.
reset_nodes()
{
	local n
	for n in $LBS; do
		lb_down "$n"
		ip -n "$(ns "$n")" link set dev eth0 xdp off 2>/dev/null	# test_busy's
		ip -n "$(ns "$n")" addr del "$VIP1/32" dev eth0 2>/dev/null
		ip -n "$(ns "$n")" addr del "$VIP2/32" dev eth0 2>/dev/null
		ip -n "$(ns "$n")" addr del "$VIP_R/32" dev eth0 2>/dev/null
		ip -n "$(ns "$n")" addr del "$VIP_X/32" dev eth0 2>/dev/null
	done
}

# log_lines NODE: how many lines NODE's log has now.
log_lines()
{
	wc -l < "$(node_log "$1")"
}

# guardian_order NODE WHAT FROM: after line FROM of its log, NODE's
# guardian logged the VIP's removal before the program's detach.
guardian_order()
{
	local log rm det
	log=$(node_log "$1")
	rm=$(tail -n +"$(($3 + 1))" "$log" | grep -n "removed VIP $VIP1 left by a controller that died" |
	     head -n 1 | cut -d: -f1)
	det=$(tail -n +"$(($3 + 1))" "$log" | grep -n "XDP program detached after the controller died" |
	      head -n 1 | cut -d: -f1)
	[ -n "$rm" ] && [ -n "$det" ] && [ "$rm" -lt "$det" ]
	ok $? "$2: $1's guardian removed the VIP (log line ${rm:-none}) before detaching the program (line ${det:-none})" ||
		diag_lines "$(tail -n 20 "$log")"
}

xdp_on()
{
	[ "$(xdp_prog_on "$1")" = xdp_lb ]
}

no_xdp_on()
{
	[ -z "$(xdp_prog_on "$1")" ]
}

# xdp_only_on NODE: only NODE (of lb1, lb2) has the program attached.
xdp_only_on()
{
	local n
	for n in $LBS; do
		if [ "$n" = "$1" ]; then
			xdp_on "$n" || return 1
		else
			no_xdp_on "$n" || return 1
		fi
	done
}

xdp_report()
{
	local n out=""
	for n in $LBS; do out+="$n=$(xdp_prog_on "$n") "; done
	echo "${out% }"
}

# ---------------------------------------------------------------- traffic

# requests VIP N FILE: N GETs on fresh connections; one line each: the
# body (the server's name) or FAIL.
requests()
{
	nsx client bash -c '
		for ((i = 0; i < $0; i++)); do
			if out=$(curl -s --max-time 2 "http://$1/"); then
				echo "$out"
			else
				echo FAIL
			fi
		done' "$2" "$1" >"$3"
}

# http_through VIP NODE WHEN: N_REQ requests through VIP all succeed, and
# NODE's service counter for VIP grows by at least N_REQ while the other
# node's stays; the client's ARP entry for VIP is NODE's MAC.
http_through()
{
	local vip=$1 via=$2 when=$3 other f good n b0 b1 o0 o1
	other=lb1; [ "$via" = lb1 ] && other=lb2
	b0=$(svc_packets "$via" "$vip")
	o0=$(svc_packets "$other" "$vip")
	f=$(tmpdir)/req.$$.$RANDOM
	requests "$vip" "$N_REQ" "$f"
	good=$(grep -cxE 'rs[123]' "$f")
	is "$good" "$N_REQ" "$when: $N_REQ HTTP requests to $vip all answered by a real server" ||
		diag "answers: $(sort "$f" | uniq -c | tr '\n' ' ')"
	n=$(sort -u "$f" | grep -cxE 'rs[123]')
	note "$when: answers: $(sort "$f" | uniq -c | tr -s ' \n' ' ')"
	b1=$(svc_packets "$via" "$vip")
	o1=$(svc_packets "$other" "$vip")
	[ $((b1 - b0)) -ge "$N_REQ" ]
	ok $? "$when: $via forwarded them (its packets for $vip: $b0 -> $b1)"
	is "$((o1 - o0))" 0 "$when: $other forwarded none of them (its packets for $vip: $o0 -> $o1)"
	is "$(neigh_mac client "$vip")" "$(mac_of "$via")" \
		"$when: the client's ARP entry for $vip is $via's MAC"
	[ "$n" -ge 2 ]
	ok $? "$when: more than one real server answered ($n)"
}

# ---------------------------------------------------------------- setup

need_root
need_cmd ip curl ethtool timeout md5sum date nft "$PY"
need_file "$LBCTL" "lbctl (make builds it)"

T0=$SECONDS
mk_bridge
mk_host client "$CLIENT_IP/24"
mk_host evil "${IP[evil]}/24"
mk_lbnode lb1 "${IP[lb1]}/24"
mk_lbnode lb2 "${IP[lb2]}/24"
addr_monitor lb1
addr_monitor lb2
for s in rs1 rs2 rs3; do
	mk_realserver "$s" "${RS_IP[$s]}" "$VIP1" "$VIP2"
done
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir)); advert_int $ADV s:" \
	"prio 100: Master_Down_Interval $MDI_100 ms, Skew_Time $SKEW_100 ms;" \
	"prio 150: $MDI_150 ms, $SKEW_150 ms"

CONF1=$(simple_conf lb1 150 "$ADV")
CONF2=$(simple_conf lb2 100 "$ADV")

# start_pair CONF1 CONF2 NAME: lb2 up, then lb1 right after; lb1 MASTER, lb2 BACKUP.
start_pair()
{
	local c1=$1 c2=$2 name=$3 st
	lb_up lb2 "$c2"
	lb_up lb1 "$c1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "$name: lb1 MASTER, lb2 BACKUP" || {
		diag "states: $(states_of "$LBS")"
		show_node lb1; show_node lb2
	}
}

# ---------------------------------------------------------------- 1. election

test_election()
{
	local st
	start_pair "$CONF1" "$CONF2" "election"
	is "$(vfield lb1 VI_1 effective_priority)/$(vfield lb2 VI_1 effective_priority)" \
		"150/100" "election: effective priorities 150 and 100"
	is "$(vfield lb2 VI_1 master)" "${IP[lb1]}" "election: lb2 sees lb1 (${IP[lb1]}) as master"
	is "$(vfield lb1 VI_1 advert_int_ms)" "$ADV_MS" \
		"election: advert_int_ms is the configured interval"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "election: $VIP1 is on lb1's eth0 only"
	wait_until 5 xdp_only_on lb1
	ok $? "election: XDP attached on lb1 only (ip link show: $(xdp_report))"
	is "$(svc_active lb1 "$VIP1")/$(svc_active lb2 "$VIP1")" "True/False" \
		"election: service $VIP1 active on lb1, standby on lb2"
	st=$(vfield lb1 VI_1 adverts_sent)
	wait_until 5 eval "[ \"\$(vfield lb2 VI_1 adverts_received)\" -gt 3 ]"
	ok $? "election: lb2 receives lb1's adverts (sent $st, received $(vfield lb2 VI_1 adverts_received))"
	http_through "$VIP1" lb1 "election"
}

# ---------------------------------------------------------------- 2. SIGKILL

test_sigkill()
{
	local t0 poll rc tl ta t1 del tr from
	from=$(log_lines lb1)
	lb_kill lb1
	ok $? "sigkill: kill -9 of lb1's controller"
	t0=$KILL_T0
	poll=$(wait_since "$t0" 10000 states_are "lb2=MASTER"); rc=$?
	ok $rc "sigkill: lb2 becomes MASTER" || { show_node lb2; return; }
	# Adding the VIP is the first thing a new master does; the log line
	# comes after the XDP attach too.
	wait_until 5 has_addr lb2 "$VIP1"
	ok $? "sigkill: lb2 holds $VIP1"
	ta=$(addr_event_ms lb2 "$VIP1" add "$t0")
	tl=$(since_log_ms "$t0" "$(node_log lb2)" "VI_1 .*-> MASTER")
	[ "$ta" -le $((MDI_100 + SLACK_MS)) ]
	ok $? "sigkill: lb2 took over within Master_Down_Interval ($MDI_100 ms) + $SLACK_MS ms ($ta ms)"
	diag "sigkill takeover at advert_int $ADV s: $VIP1 added on lb2 $ta ms after kill -9," \
		"MASTER in lb2's log (after the XDP attach) at $tl ms, in lbctl status at $poll ms;" \
		"Master_Down_Interval $MDI_100 ms"
	grep -Eq "VI_1: master ${IP[lb1]} \(priority 150\) silent for [0-9]+ ms, Master_Down_Interval $MDI_100 ms: taking over" "$(node_log lb2)"
	ok $? "sigkill: lb2's log says how long lb1 was silent" ||
		diag_lines "$(grep 'taking over' "$(node_log lb2)")"
	wait_until 5 xdp_on lb2
	ok $? "sigkill: XDP attached on lb2 ($(xdp_report))"
	tr=$(since_log_ms "$t0" "$(node_log lb2)" "VI_1: takeover due within one advert .*attaching XDP ahead")
	[ "$tr" -lt "$tl" ] && [ "$tr" -ge $((MDI_100 - 2 * ADV_MS - 5)) ]
	ok $? "sigkill: lb2 attached XDP ahead, one advert before Master_Down_Interval ($tr ms, MASTER at $tl ms)"
	wait_until 5 eval "! has_addr lb1 $VIP1"
	ok $? "sigkill: lb1's guardian deleted the $VIP1 its dead controller had added" ||
		diag_lines "$(cat "$(tmpdir)/lb1.addrmon")"
	wait_until 5 no_xdp_on lb1
	ok $? "sigkill: lb1's guardian detached the dead controller's program ($(xdp_report))"
	guardian_order lb1 "sigkill" "$from"
	is "$(vstate lb1)" - "sigkill: lbctl status on lb1 shows no running controller"
	http_through "$VIP1" lb2 "after sigkill"

	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "restart: lb1 preempts back: lb1 MASTER, lb2 BACKUP" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; show_node lb2; }
	grep -q "VI_1: master ${IP[lb2]} has priority 100, below our 150: preempting" "$(node_log lb1)"
	ok $? "restart: lb1's log says it preempted lb2" ||
		diag_lines "$(grep 'taking over\|preempting' "$(node_log lb1)")"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "restart: $VIP1 on lb1 only"
	wait_until 5 xdp_only_on lb1
	ok $? "restart: XDP on lb1 only ($(xdp_report))"
	http_through "$VIP1" lb1 "after preemption back"

	# The guardian holds the program until the VIPs are gone: stopped, it
	# leaves both in place, so the node never has a VIP without a program
	# (its kernel would reset the VIP's connections).
	local pid gpid out rc
	pid=$(controller_pid_of lb1)
	gpid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
	from=$(log_lines lb1)
	[ -n "$gpid" ] && kill -STOP "$gpid" && lb_kill lb1
	ok $? "hold: SIGSTOP of lb1's guardian ($gpid), then kill -9 of its controller"
	xdp_on lb1 && has_addr lb1 "$VIP1"
	ok $? "hold: with the controller dead and the guardian stopped, lb1 keeps $VIP1 and its program ($(xdp_report))"
	kill -CONT "$gpid"
	wait_until 5 eval "! has_addr lb1 $VIP1 && no_xdp_on lb1"
	ok $? "hold: the guardian, running again, removes $VIP1 and detaches the program ($(xdp_report))"
	guardian_order lb1 "hold" "$from"
	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "hold: lbctl up on lb1, lb1 preempts back" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }

	# The guardian killed with the controller (`pkill -9 lbctl`; the
	# controller stopped first, or it would start a new guardian): the VIP
	# stays behind, and the next lbctl up must remove it before it can
	# serve again.
	pid=$(controller_pid_of lb1)
	gpid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
	[ -n "$gpid" ] && kill -STOP "$pid" && kill -9 "$gpid" && lb_kill lb1
	ok $? "crash: kill -9 of lb1's guardian ($gpid) and its controller together"
	wait_until 10 states_are "lb2=MASTER"
	ok $? "crash: lb2 becomes MASTER" || { show_node lb2; return; }
	has_addr lb1 "$VIP1"
	ok $? "crash: with no guardian, $VIP1 is left on lb1's eth0"
	out=$(lbctl_in lb1 status 2>&1 >/dev/null); rc=$?
	is "$rc" 1 "crash: lbctl status on lb1 exits 1 (no controller)"
	like "$out" "warning: $VIP1 still on eth0 with no controller" \
		"crash: lbctl status names the VIP left behind" || diag_lines "$out"
	mark_ms t1
	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "crash: lbctl up on lb1, lb1 preempts back" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }
	wait_until 5 xdp_only_on lb1
	ok $? "crash: XDP on lb1 only ($(xdp_report))"
	del=$(addr_event_ms lb1 "$VIP1" del "$t1")
	ta=$(addr_event_ms lb1 "$VIP1" add "$t1")
	[ "$del" -lt "$ta" ]
	ok $? "crash: lbctl up removed the VIP the killed controller had left on lb1" \
		"before adding it again as MASTER (deleted at +$del ms, added at +$ta ms)" ||
		diag_lines "$(cat "$(tmpdir)/lb1.addrmon")"
	http_through "$VIP1" lb1 "after the crash and restart"
}

# ---------------------------------------------------------------- 2b. guardian

# The guardian killed alone: the controller starts a new one, which does
# the old one's job when the controller dies in turn.
test_guardian()
{
	local pid gpid gpid2
	reset_nodes
	start_pair "$CONF1" "$CONF2" "guardian"
	pid=$(controller_pid_of lb1)
	gpid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
	[ -n "$gpid" ] && kill -9 "$gpid"
	ok $? "guardian: kill -9 of lb1's guardian ($gpid) alone"
	wait_until 5 eval 'gpid2=$(pgrep -P '"$pid"' | head -n 1); [ -n "$gpid2" ] && [ "$gpid2" != '"$gpid"' ]'
	ok $? "guardian: lb1's controller starts a new one (${gpid2:-none})" || show_node lb1
	grep -q "the guardian .* is gone; starting a new one" "$(node_log lb1)"
	ok $? "guardian: lb1's log says so"
	lb_kill lb1
	wait_until 5 eval "! has_addr lb1 $VIP1 && no_xdp_on lb1"
	ok $? "guardian: kill -9 of lb1's controller: the new guardian removes $VIP1 and the program ($(xdp_report))"
	wait_until 10 states_are "lb2=MASTER"
	ok $? "guardian: lb2 takes over" || diag "states: $(states_of "$LBS")"
	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "guardian: lb1 back up preempts again" || diag "states: $(states_of "$LBS")"

	# A controller stopped (or hung) keeps a state file that says MASTER:
	# status must not pass it off as current.
	pid=$(controller_pid_of lb1)
	kill -STOP "$pid"
	wait_until 10 eval '! lbctl_in lb1 status >/dev/null 2>&1'
	ok $? "stopped: lbctl status on lb1 exits 1 once its controller ($pid) stops writing its state"
	like "$(lbctl_in lb1 status 2>&1 >/dev/null)" "has not written its state for [0-9]+ s: stopped or hung" \
		"stopped: ... and says why"
	kill -CONT "$pid"
	wait_until 10 eval 'states_are "lb1=MASTER lb2=BACKUP" && lbctl_in lb1 status >/dev/null 2>&1'
	ok $? "stopped: once continued, lb1 is MASTER again and its status exits 0" ||
		diag "states: $(states_of "$LBS")"
}

# ---------------------------------------------------------------- 3. graceful down

test_down()
{
	local t0 poll rc tl ta del bound
	mark_ms t0
	lbctl_in lb1 down eth0 >/dev/null 2>"$(tmpdir)/down.err"
	ok $? "down: lbctl down eth0 on the master (lb1)" || diag_lines "$(cat "$(tmpdir)/down.err")"
	poll=$(wait_since "$t0" 10000 states_are "lb2=MASTER"); rc=$?
	ok $rc "down: lb2 becomes MASTER" || { show_node lb2; return; }
	wait_until 5 eval "has_addr lb2 $VIP1 && ! has_addr lb1 $VIP1"
	is "$(vip_holders "$VIP1" lb1 lb2)" lb2 "down: $VIP1 gone from lb1, on lb2"
	# lb1 deletes its VIP right after sending priority 0: count from there
	# (not from the start of `lbctl down`, which a loaded machine delays).
	del=$(addr_event_ms lb1 "$VIP1" del "$t0")
	ta=$(addr_event_ms lb2 "$VIP1" add "$t0")
	tl=$(since_log_ms "$t0" "$(node_log lb2)" "VI_1 .*-> MASTER")
	# Without the priority-0 advert the takeover could not come before
	# Master_Down_Interval minus one interval after the last advert.
	bound=$("$PY" -I -S -c "print(int($MDI_100 - $ADV * 1000))")
	[ $((ta - del)) -lt "$bound" ]
	ok $? "down: takeover on the priority-0 advert: $((ta - del)) ms from lb1 dropping" \
		"$VIP1 to lb2 adding it (< $bound ms = Master_Down_Interval - advert_int)"
	diag "graceful takeover at advert_int $ADV s: $((ta - del)) ms from lb1's priority 0" \
		"(VIP deleted) to lb2 adding the VIP; from the start of lbctl down: lb1 deleted it at" \
		"$del ms, lb2 added it at $ta ms, lb2 logged MASTER at $tl ms, lbctl status showed it" \
		"at $poll ms; Skew_Time $SKEW_100 ms, Master_Down_Interval $MDI_100 ms"
	grep -q "VI_1: master ${IP[lb1]} resigned (priority 0 advert): taking over" "$(node_log lb2)"
	ok $? "down: lb2's log says lb1 resigned" || diag_lines "$(grep 'taking over' "$(node_log lb2)")"
	wait_until 5 xdp_only_on lb2
	ok $? "down: XDP on lb2 only ($(xdp_report))"
	is "$(vstate lb1)" - "down: lbctl status on lb1 shows no running controller"
	http_through "$VIP1" lb2 "after down"
	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "down: lb1 back up preempts again" || diag "states: $(states_of "$LBS")"
}

# ---------------------------------------------------------------- 3b. reload

# A Master kept across a reload takes a new virtual_ipaddress at once and
# gives up one that went; the backup never holds it.
VIP_R=$NET.120
VIP_X=$NET.121
test_reload()
{
	local orig out
	orig=$(tmpdir)/conf1.orig
	cp "$CONF1" "$orig"
	sed "s|^\(        $VIP1/32 dev eth0\)$|\1\n        $VIP_R/32 dev eth0|
	     s|^\(    virtual_ipaddress {\)$|    virtual_ipaddress_excluded {\n        $VIP_X/32\n    }\n\1|" \
		"$orig" >"$CONF1"
	out=$(lbctl_in lb1 reload 2>&1)
	ok $? "reload: lbctl reload on the master with $VIP_R added to VI_1 and $VIP_X excluded" ||
		diag_lines "$out"
	wait_until 5 eval "has_addr lb1 $VIP_R && has_addr lb1 $VIP_X"
	ok $? "reload: lb1 (MASTER) holds the new $VIP_R and the excluded $VIP_X"
	is "$(vip_holders "$VIP_R" lb1 lb2)" lb1 "reload: $VIP_R on lb1 only"
	is "$(vip_holders "$VIP_X" lb1 lb2)" lb1 "reload: $VIP_X on lb1 only"
	nsx client ping -c 1 -W 2 -q "$VIP_R" >/dev/null 2>&1 &&
		nsx client ping -c 1 -W 2 -q "$VIP_X" >/dev/null 2>&1
	ok $? "reload: the client reaches $VIP_R and $VIP_X"
	cp "$orig" "$CONF1"
	out=$(lbctl_in lb1 reload 2>&1)
	ok $? "reload: lbctl reload with $VIP_R and $VIP_X removed again" || diag_lines "$out"
	wait_until 5 eval "! has_addr lb1 $VIP_R && ! has_addr lb1 $VIP_X"
	ok $? "reload: lb1 gave $VIP_R and $VIP_X up"
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "reload: $VIP1 stayed on lb1 throughout"
	is "$(states_of "$LBS")" "lb1=MASTER lb2=BACKUP" "reload: lb1 stayed MASTER"

	# A second instance added to the master's file, then taken out again:
	# VI_1 runs on, VI_2 starts (MASTER: nobody else has it) and stops.
	conf_inst VI_2 "$VRID2" 150 "$VIP2" "$ADV" >>"$CONF1"
	out=$(lbctl_in lb1 reload 2>&1)
	ok $? "reload: lbctl reload on the master with a vrrp_instance VI_2 added" ||
		diag_lines "$out"
	wait_until 5 eval '[ "$(vstate lb1 VI_2)" = MASTER ] && has_addr lb1 '"$VIP2"
	ok $? "reload: VI_2 runs on lb1 and takes $VIP2 ($(vstate lb1 VI_2))" || show_node lb1
	cp "$orig" "$CONF1"
	out=$(lbctl_in lb1 reload 2>&1)
	ok $? "reload: lbctl reload with VI_2 taken out again" || diag_lines "$out"
	wait_until 5 eval "! has_addr lb1 $VIP2"
	ok $? "reload: lb1 gave $VIP2 up with VI_2"
	is "$(states_of "$LBS")" "lb1=MASTER lb2=BACKUP" "reload: lb1's controller ran on, VI_1 MASTER throughout" ||
		show_node lb1

	# On the backup, a VIP and service the reload adds stay standby.
	cp "$CONF2" "$orig"
	{
		sed "s|^\(        $VIP1/32 dev eth0\)$|\1\n        $VIP_R/32 dev eth0|" "$orig"
		conf_vs "$VIP_R"
	} >"$CONF2"
	out=$(lbctl_in lb2 reload 2>&1)
	ok $? "reload: lbctl reload on the backup with $VIP_R and its virtual_server added" ||
		diag_lines "$out"
	is "$(svc_active lb2 "$VIP_R")" False "reload: on the backup the new service is standby" ||
		diag_lines "$(lbctl_in lb2 vip list 2>&1)"
	is "$(vip_holders "$VIP_R" lb1 lb2)" "" "reload: nobody holds $VIP_R (lb1's file lacks it)"
	cp "$orig" "$CONF2"
	out=$(lbctl_in lb2 reload 2>&1)
	ok $? "reload: the backup's file restored" || diag_lines "$out"
}

# ---------------------------------------------------------------- 4. nopreempt

# ---------------------------------------------------------------- 4a. hook busy

# Another XDP program on lb1's eth0: lb1 cannot forward, so it must not
# take the VIP, however high its priority; when the hook frees, it does.
test_busy()
{
	local out rc
	reset_nodes
	lb_up lb2 "$CONF2"
	wait_until 10 states_are "lb2=MASTER"
	ok $? "busy: lb2 alone becomes MASTER" || show_node lb2
	attach_xdp_pass "$(ns lb1)" eth0
	lb_up lb1 "$CONF1"
	wait_until 10 states_are "lb1=FAULT"
	ok $? "busy: lb1 (priority 150) goes to FAULT with another program on its eth0" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }
	is "$(vip_holders "$VIP1" lb1 lb2)" lb2 "busy: $VIP1 stays on lb2"
	http_through "$VIP1" lb2 "while lb1's hook is busy"
	out=$(lbctl_in lb1 status 2>&1); rc=$?
	is "$rc" 1 "busy: lbctl status on lb1 exits 1"
	like "$out" "XDP held by another program" "busy: lbctl status says who holds the hook" ||
		diag_lines "$out"
	ip -n "$(ns lb1)" link set dev eth0 xdp off
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "busy: once the program is gone, lb1 leaves FAULT and preempts" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }
	wait_until 5 xdp_only_on lb1
	ok $? "busy: lbctl's program on lb1 only ($(xdp_report))"
	http_through "$VIP1" lb1 "after lb1's hook freed"
}

# nopreempt is about what a Backup does with a lower-priority Master it
# hears, not about speed: 1 s adverts, so that a loaded machine delaying one
# 100 ms advert past Master_Down_Interval (a takeover VRRP demands) cannot
# pass for preemption.
test_nopreempt()
{
	local c1 c2 bm hold mdi _
	reset_nodes
	read -r mdi _ < <(vrrp_timers 150 1)
	# nopreempt on the higher-priority node; both start as BACKUP.
	c1=$(simple_conf lb1 150 1 nopreempt)
	c2=$(simple_conf lb2 100 1)
	if ! grep -q 'state BACKUP' "$c1" || ! grep -q 'state BACKUP' "$c2"; then
		bail "the nopreempt configs must say state BACKUP"
	fi
	lb_up lb2 "$c2"
	wait_until 10 states_are "lb2=MASTER"
	ok $? "nopreempt: lb2 alone becomes MASTER" || show_node lb2
	lb_up lb1 "$c1"
	wait_until 10 eval "[ \"\$(vfield lb1 VI_1 adverts_received)\" -gt 1 ]"
	ok $? "nopreempt: lb1 (priority 150, nopreempt) hears lb2's adverts"
	bm=$(vfield lb2 VI_1 became_master)
	hold=$(hold_for $((2 * mdi + 1000)) states_are "lb1=BACKUP lb2=MASTER")
	ok $? "nopreempt: lb1 does not take over (lb1 BACKUP, lb2 MASTER for $((2 * mdi + 1000)) ms)" ||
		{ diag "$hold: $(states_of "$LBS")"; show_node lb1; show_node lb2; }
	is "$(vfield lb2 VI_1 became_master)" "$bm" "nopreempt: lb2 stayed MASTER throughout (became_master $bm)"
	is "$(vip_holders "$VIP1" lb1 lb2)" lb2 "nopreempt: $VIP1 stays on lb2"
	xdp_only_on lb2
	ok $? "nopreempt: XDP on lb2 only ($(xdp_report))"
	# And when lb2 leaves, lb1 takes over.
	lb_down lb2
	wait_until 10 states_are "lb1=MASTER"
	ok $? "nopreempt: lb1 takes over when lb2 goes down" || show_node lb1
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "nopreempt: $VIP1 moved to lb1"
}

# ---------------------------------------------------------------- 5. track_interface

test_track()
{
	local c1
	reset_nodes
	# A dummy device if the kernel has the driver, else one end of a veth
	# pair inside lb1's namespace (its link follows `ip link set`, too).
	if ! ip -n "$(ns lb1)" link show trk0 >/dev/null 2>&1; then
		ip -n "$(ns lb1)" link add trk0 type dummy 2>/dev/null ||
			ip -n "$(ns lb1)" link add trk0 type veth peer name trk0p ||
			bail "cannot create a device for lb1 to track"
		ip -n "$(ns lb1)" link set trk0p up 2>/dev/null
		note "track: trk0 is a $(ip -n "$(ns lb1)" -d link show trk0 | sed -n '3s/^ *\([a-z]*\).*/\1/p') device"
	fi
	ip -n "$(ns lb1)" link set trk0 up
	wait_until 5 eval "ip -n $(ns lb1) link show trk0 | grep -q LOWER_UP"
	c1=$(simple_conf lb1 150 "$ADV" "track_interface {" "    trk0" "}")
	start_pair "$c1" "$CONF2" "track"
	ip -n "$(ns lb1)" link set trk0 down
	wait_until 10 states_are "lb1=FAULT lb2=MASTER"
	ok $? "track: trk0 down: lb1 FAULT, lb2 MASTER" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }
	wait_until 5 only_on "$VIP1" lb2 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb2 "track: $VIP1 moved to lb2"
	wait_until 5 xdp_only_on lb2
	ok $? "track: XDP on lb2 only ($(xdp_report))"
	http_through "$VIP1" lb2 "track: while lb1 is FAULT"
	ip -n "$(ns lb1)" link set trk0 up
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "track: trk0 up: lb1 MASTER again (preempt), lb2 BACKUP" ||
		{ diag "states: $(states_of "$LBS")"; show_node lb1; }
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "track: $VIP1 back on lb1"
	wait_until 5 xdp_only_on lb1
	ok $? "track: XDP on lb1 only ($(xdp_report))"
}

# ---------------------------------------------------------------- 6. dual master

test_dual()
{
	local c1 c2
	reset_nodes
	c1=$(conf_file dual-lb1)
	c2=$(conf_file dual-lb2)
	{
		conf_global lb1
		conf_inst VI_1 "$VRID1" 150 "$VIP1" "$ADV"
		conf_inst VI_2 "$VRID2" 100 "$VIP2" "$ADV"
		conf_vs "$VIP1"; conf_vs "$VIP2"
	} >"$c1"
	{
		conf_global lb2
		conf_inst VI_1 "$VRID1" 100 "$VIP1" "$ADV"
		conf_inst VI_2 "$VRID2" 150 "$VIP2" "$ADV"
		conf_vs "$VIP1"; conf_vs "$VIP2"
	} >"$c2"
	lb_up lb1 "$c1"
	lb_up lb2 "$c2"
	wait_until 10 eval 'states_are "lb1=MASTER lb2=BACKUP" VI_1 && states_are "lb1=BACKUP lb2=MASTER" VI_2'
	ok $? "dual: VI_1: lb1 MASTER, lb2 BACKUP; VI_2: lb1 BACKUP, lb2 MASTER" ||
		diag "VI_1: $(states_of "$LBS" VI_1); VI_2: $(states_of "$LBS" VI_2)"
	wait_until 5 eval "only_on $VIP1 lb1 lb1 lb2 && only_on $VIP2 lb2 lb1 lb2"
	is "$(vip_holders "$VIP1" lb1 lb2)/$(vip_holders "$VIP2" lb1 lb2)" "lb1/lb2" \
		"dual: $VIP1 on lb1 only, $VIP2 on lb2 only"
	wait_until 5 eval "xdp_on lb1 && xdp_on lb2"
	ok $? "dual: XDP attached on both nodes ($(xdp_report))"
	is "$(svc_active lb1 "$VIP1") $(svc_active lb1 "$VIP2")" "True False" \
		"dual: lb1's services: $VIP1 active, $VIP2 not"
	is "$(svc_active lb2 "$VIP1") $(svc_active lb2 "$VIP2")" "False True" \
		"dual: lb2's services: $VIP1 not active, $VIP2 active"
	http_through "$VIP1" lb1 "dual: $VIP1"
	http_through "$VIP2" lb2 "dual: $VIP2"
}

# ---------------------------------------------------------------- 6b. VRRP only

# keepalived + nginx or haproxy users bring configs without virtual_server:
# the master takes the VIP and leaves the XDP hook alone (the node's own
# stack serves the VIP); a service added from the CLI attaches the program,
# and removing the last one detaches it.
test_vrrponly()
{
	local c1 c2 n hold out
	reset_nodes
	for n in lb1 lb2; do
		eval "c${n#lb}=\$(conf_file vrrponly-$n)"
	done
	{ conf_global lb1; conf_inst VI_1 "$VRID1" 150 "$VIP1" "$ADV"; } >"$c1"
	{ conf_global lb2; conf_inst VI_1 "$VRID1" 100 "$VIP1" "$ADV"; } >"$c2"
	start_pair "$c1" "$c2" "vrrp-only"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "vrrp-only: $VIP1 on lb1 only"
	hold=$(hold_for 1500 eval 'no_xdp_on lb1 && no_xdp_on lb2')
	ok $? "vrrp-only: no XDP program on either node ($(xdp_report))" || diag "$hold"
	out=$(lbctl_in lb1 vip add "$VIP1" 80 tcp 2>&1) &&
		for n in rs1 rs2 rs3; do
			out+=$(lbctl_in lb1 backend add "$VIP1" 80 tcp "${RS_IP[$n]}" 2>&1) || break
		done
	ok $? "vrrp-only: lbctl vip add $VIP1 80 tcp and three backends on the master" ||
		diag_lines "$out"
	wait_until 5 xdp_only_on lb1
	ok $? "vrrp-only: the service from the CLI attaches the program on lb1 ($(xdp_report))"
	http_through "$VIP1" lb1 "vrrp-only + a CLI service"
	out=$(lbctl_in lb1 vip del "$VIP1" 80 tcp 2>&1)
	ok $? "vrrp-only: lbctl vip del $VIP1 80 tcp" || diag_lines "$out"
	wait_until 5 eval 'no_xdp_on lb1 && no_xdp_on lb2'
	ok $? "vrrp-only: the last service gone, the program is detached ($(xdp_report))"
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "vrrp-only: $VIP1 still on lb1"
}

# ---------------------------------------------------------------- 6c. partition

# VRRP cut between the nodes: both become MASTER, and lb2, the later one,
# has the client's ARP entry. When the cut heals, lb2 steps down and the
# client must be sent back to lb1, whichever node hears the other first:
# lb2 advertises every second (VRRPv3 allows it), lb1 every 100 ms, so lb2
# mostly hears lb1 before lb1 hears lb2.
vrrp_cut() # add|del: lb2 neither sends nor hears VRRP (ARP still flows)
{
	if [ "$1" = add ]; then
		ip netns exec "$(ns lb2)" nft -f - <<-EOF
		table inet lbt_cut {
			chain in { type filter hook input priority 0; ip protocol 112 drop; }
			chain out { type filter hook output priority 0; ip protocol 112 drop; }
		}
		EOF
	else
		ip netns exec "$(ns lb2)" nft delete table inet lbt_cut
	fi
}
test_partition()
{
	local k c2
	c2=$(simple_conf lb2 100 1)
	for k in 1 2 3; do
		reset_nodes
		start_pair "$CONF1" "$c2" "partition $k"
		# the client knows the VIP (a gratuitous ARP only updates an
		# entry, and not within a second of the last update)
		nsx client ping -c 1 -W 2 -q "$VIP1" >/dev/null 2>&1
		sleep 1
		vrrp_cut add
		ok $? "partition $k: VRRP dropped at lb2's eth0"
		wait_until 8 states_are "lb1=MASTER lb2=MASTER"
		ok $? "partition $k: both nodes MASTER" || diag "states: $(states_of "$LBS")"
		wait_until 8 eval '[ "$(neigh_mac client '"$VIP1"')" = "$(mac_of lb2)" ]'
		ok $? "partition $k: the client's ARP entry for $VIP1 is lb2's (its announcement came last)"
		vrrp_cut del
		wait_until 5 states_are "lb1=MASTER lb2=BACKUP"
		ok $? "partition $k healed: lb1 MASTER, lb2 BACKUP" || diag "states: $(states_of "$LBS")"
		grep -q "VI_1: master ${IP[lb1]} has priority 150, above our 100 .*: stepping down" "$(node_log lb2)"
		ok $? "partition $k healed: lb2's log says why it stepped down"
		wait_until 8 eval '[ "$(neigh_mac client '"$VIP1"')" = "$(mac_of lb1)" ]'
		ok $? "partition $k healed: the client is sent back to lb1 ($(neigh_mac client "$VIP1"))" ||
			{ show_node lb1; show_node lb2; }
	done
	http_through "$VIP1" lb1 "after the partition"
}

# ---------------------------------------------------------------- 7. forged adverts

# On 1 s adverts, as nopreempt: what is tested is which adverts count, and a
# loaded host delaying a 100 ms advert would move the master on its own.

test_forged()
{
	local b0 b1 hold fpid c1 c2 r0
	reset_nodes
	c1=$(simple_conf lb1 150 1)
	c2=$(simple_conf lb2 100 1)
	start_pair "$c1" "$c2" "forged"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2

	# TTL 64: must be discarded (bad_ttl) by both nodes.
	b0=$(vdisc lb1 VI_1 bad_ttl)
	forge_adverts evil "${IP[evil]}" 224.0.0.18 64 "$VRID1" 254 40 0.05 "$VIP1" &
	fpid=$!
	track_pid "$fpid"
	hold=$(hold_for 2500 eval 'states_are "lb1=MASTER lb2=BACKUP" && only_on '"$VIP1"' lb1 lb1 lb2')
	ok $? "forged TTL 64, priority 254: lb1 stays MASTER, $VIP1 stays on lb1" ||
		{ diag "$hold: $(states_of "$LBS")"; show_node lb1; }
	wait "$fpid"
	wait_until 5 eval "[ \"\$(vdisc lb1 VI_1 bad_ttl)\" -gt \"$b0\" ]"
	b1=$(vdisc lb1 VI_1 bad_ttl)
	ok $? "forged TTL 64: lb1's discarded.bad_ttl grows ($b0 -> $b1)" || show_node lb1
	[ "$(vdisc lb2 VI_1 bad_ttl)" -gt 0 ] 2>/dev/null
	ok $? "forged TTL 64: lb2's discarded.bad_ttl grows too ($(vdisc lb2 VI_1 bad_ttl))"

	# Control: the same advert with TTL 255 is accepted, so the forgery is
	# otherwise well formed (checksum included) and does move the master.
	r0=$(vfield lb1 VI_1 adverts_received)
	forge_adverts evil "${IP[evil]}" 224.0.0.18 255 "$VRID1" 254 20 0.05 "$VIP1" &
	fpid=$!
	track_pid "$fpid"
	wait_until 5 states_are "lb1=BACKUP"
	ok $? "control: a forged advert with TTL 255, priority 254 is accepted (lb1 BACKUP)" ||
		{ diag "states: $(states_of "$LBS"); lb1 received $r0 -> $(vfield lb1 VI_1 adverts_received)"; show_node lb1; }
	wait "$fpid"
	wait_until 10 states_are "lb1=MASTER lb2=BACKUP"
	ok $? "control: once the forger stops, lb1 is MASTER again" || diag "states: $(states_of "$LBS")"

	# Unicast peers: only lb1 and lb2 may speak for the VRID.
	reset_nodes
	c1=$(simple_conf lb1 150 1 "unicast_src_ip ${IP[lb1]}" "unicast_peer {" "    ${IP[lb2]}" "}")
	c2=$(simple_conf lb2 100 1 "unicast_src_ip ${IP[lb2]}" "unicast_peer {" "    ${IP[lb1]}" "}")
	start_pair "$c1" "$c2" "unicast"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "unicast: $VIP1 on lb1 only"
	b0=$(vdisc lb1 VI_1 not_peer)
	{
		forge_adverts evil "${IP[evil]}" "${IP[lb1]}" 255 "$VRID1" 254 40 0.05 "$VIP1" &
		forge_adverts evil "${IP[evil]}" 224.0.0.18 255 "$VRID1" 254 40 0.05 "$VIP1" &
		wait
	} &
	fpid=$!
	track_pid "$fpid"
	hold=$(hold_for 2500 eval 'states_are "lb1=MASTER lb2=BACKUP" && only_on '"$VIP1"' lb1 lb1 lb2')
	ok $? "unicast: forged TTL 255 adverts from a non-peer (unicast and multicast) do not move $VIP1" ||
		{ diag "$hold: $(states_of "$LBS")"; show_node lb1; }
	wait "$fpid"
	wait_until 5 eval "[ \"\$(vdisc lb1 VI_1 not_peer)\" -gt \"$b0\" ]"
	ok $? "unicast: lb1's discarded.not_peer grows ($b0 -> $(vdisc lb1 VI_1 not_peer))" ||
		show_node lb1
	[ "$(vfield lb2 VI_1 adverts_received)" -gt 0 ] 2>/dev/null
	ok $? "unicast: lb2 receives lb1's unicast adverts ($(vfield lb2 VI_1 adverts_received))"
	http_through "$VIP1" lb1 "unicast"
}

# ---------------------------------------------------------------- 8. 1 s adverts

test_slow()
{
	local c1 c2 t0 poll rc tl ta mdi
	read -r mdi _ < <(vrrp_timers 100 1)
	reset_nodes
	c1=$(simple_conf lb1 150 1)
	c2=$(simple_conf lb2 100 1)
	start_pair "$c1" "$c2" "advert_int 1"
	wait_until 5 only_on "$VIP1" lb1 lb1 lb2
	is "$(vip_holders "$VIP1" lb1 lb2)" lb1 "advert_int 1: $VIP1 on lb1 only"
	lb_kill lb1
	t0=$KILL_T0
	poll=$(wait_since "$t0" 10000 states_are "lb2=MASTER"); rc=$?
	ok $rc "advert_int 1: lb2 becomes MASTER after kill -9 of lb1" || { show_node lb2; return; }
	wait_until 5 has_addr lb2 "$VIP1"
	ok $? "advert_int 1: lb2 holds $VIP1"
	ta=$(addr_event_ms lb2 "$VIP1" add "$t0")
	tl=$(since_log_ms "$t0" "$(node_log lb2)" "VI_1 .*-> MASTER")
	[ "$ta" -le $((mdi + SLACK_MS)) ]
	ok $? "advert_int 1: takeover within Master_Down_Interval ($mdi ms) + $SLACK_MS ms ($ta ms)"
	diag "sigkill takeover at advert_int 1 s: VIP added on lb2 after $ta ms, MASTER in its" \
		"log at $tl ms, in lbctl status at $poll ms; Master_Down_Interval $mdi ms"
	http_through "$VIP1" lb2 "advert_int 1: after sigkill"
}

# CASES: a subset, for debugging (sigkill and down follow election).
for c in ${CASES:-election sigkill guardian down reload busy nopreempt track dual vrrponly partition forged slow}; do
	"test_$c"
done
reset_nodes
note "done in $((SECONDS - T0)) s"
done_testing
