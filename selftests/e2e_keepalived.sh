#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with keepalived (issue 4): one lbctl node and one
# keepalived node (Debian's package, VRRP only) in the same VRID.
#
#            bridge (own namespace, xdp_pass on every port)
#        ┌─────────────────┬─────────────────┐
#       lb                 ka              client
#   10.103.0.2          10.103.0.3        10.103.0.1
#   lbctl up eth0       keepalived -P
#                 VIP 10.103.0.100
#
# For VRRPv2 (advert_int 1, auth_type PASS) and VRRPv3 (advert_int 0.2),
# each both ways round (lbctl with the higher priority, then keepalived):
#   - they agree on one master: the VIP is on exactly one node, the right
#     one, and stays so; lbctl (VRRP only) never attaches XDP; neither
#     side discards the other's adverts;
#   - SIGKILL of the master: the other takes the VIP within
#     Master_Down_Interval;
#   - restarting it: preemption back, the VIP on exactly one node again.
#
# ROUNDS="2:1:lb 3:0.2:ka" (VERSION:ADVERT_INT:HIGHER) runs only those
# rounds; DEBUG=1 shows both nodes' logs after each round.
# Run as root: bash selftests/e2e_keepalived.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vrrp_lib.sh"

NET=10.103.0
VIP=$NET.100
VRID=61
PASS=s3cret
HI=150
LO=100
SLACK_MS=${SLACK_MS:-300}

# ---------------------------------------------------------------- configs

# lb_conf VERSION ADV PRIO: lbctl's config (VRRP only, no virtual_server).
lb_conf()
{
	local f
	f=$(tmpdir)/lb-v$1-$3.conf
	{
		echo "global_defs {"
		echo "    router_id lb"
		echo "}"
		echo "vrrp_instance VI_1 {"
		echo "    state BACKUP"
		echo "    interface eth0"
		echo "    virtual_router_id $VRID"
		echo "    priority $3"
		echo "    advert_int $2"
		echo "    version $1"
		if [ "$1" = 2 ]; then
			echo "    authentication {"
			echo "        auth_type PASS"
			echo "        auth_pass $PASS"
			echo "    }"
		fi
		echo "    virtual_ipaddress {"
		echo "        $VIP/32 dev eth0"
		echo "    }"
		echo "}"
	} >"$f"
	echo "$f"
}

# ka_conf VERSION ADV PRIO: keepalived's config for the same VRID.
ka_conf()
{
	local f
	f=$(tmpdir)/ka-v$1-$3.conf
	{
		echo "global_defs {"
		echo "    router_id ka"
		echo "    script_user root"
		echo "    vrrp_version $1"
		echo "}"
		echo "vrrp_instance VI_1 {"
		echo "    state BACKUP"
		echo "    interface eth0"
		echo "    virtual_router_id $VRID"
		echo "    priority $3"
		echo "    advert_int $2"
		echo "    version $1"
		if [ "$1" = 2 ]; then
			echo "    authentication {"
			echo "        auth_type PASS"
			echo "        auth_pass $PASS"
			echo "    }"
		fi
		echo "    virtual_ipaddress {"
		echo "        $VIP/32 dev eth0"
		echo "    }"
		echo "}"
	} >"$f"
	echo "$f"
}

# ---------------------------------------------------------------- nodes

lb_start()
{
	local out rc
	out=$(lbctl_in lb up eth0 -c "$1" 2>&1); rc=$?
	[ "$rc" = 0 ] && return 0
	diag "lbctl up eth0 -c $1: exit status $rc"
	diag_lines "$out"
	return 1
}

# lb_kill: SIGKILL lbctl's controller; KILL_T0 is the time right before.
lb_kill()
{
	local pid
	pid=$(controller_pid_of lb)
	[ -n "$pid" ] || return 1
	mark_ms KILL_T0
	kill -9 "$pid" || return 1
	wait_until 5 eval "! pid_alive $pid"
}

# ka_log: keepalived's console log.
ka_log()
{
	echo "$(tmpdir)/ka/ka/log"
}

# ka_state: keepalived's last "Entering X STATE" for VI_1, or "-".
ka_state()
{
	local s
	ka_running ka || { echo -; return; }
	s=$(grep -oE '\(VI_1\) Entering [A-Z]+ STATE' "$(ka_log)" 2>/dev/null | tail -1)
	s=${s#*Entering }
	echo "${s% STATE}"
}

# master_is NODE: NODE is master by its own account and holds the VIP; the
# other is BACKUP and does not hold it; lbctl's config is VRRP only, so its
# XDP program is never attached (the node's own stack serves the VIP).
master_is()
{
	local m=$1
	only_on "$VIP" "$m" lb ka || return 1
	if [ "$m" = lb ]; then
		[ "$(vstate lb)" = MASTER ] && [ "$(ka_state)" = BACKUP ] && ! xdp_is_on
	else
		[ "$(ka_state)" = MASTER ] && [ "$(vstate lb)" = BACKUP ] && ! xdp_is_on
	fi
}

xdp_is_on()
{
	[ "$(xdp_prog_on lb)" = xdp_lb ]
}

report()
{
	echo "VIP on: '$(vip_holders "$VIP" lb ka)'; lbctl $(vstate lb), XDP '$(xdp_prog_on lb)';" \
		"keepalived $(ka_state)"
}

show_ka()
{
	diag "---- keepalived log (last 20 lines)"
	diag_lines "$(tail -20 "$(ka_log)" 2>/dev/null)"
}

stop_all()
{
	keep_log lb stop
	lbctl_in lb down eth0 >/dev/null 2>&1
	ka_stop ka
	ip -n "$(ns lb)" addr del "$VIP/32" dev eth0 2>/dev/null
	ip -n "$(ns ka)" addr del "$VIP/32" dev eth0 2>/dev/null
}

# ---------------------------------------------------------------- setup

need_root
need_cmd ip keepalived date "$PY"
need_file "$LBCTL" "lbctl (make builds it)"

T0=$SECONDS
mk_bridge
mk_host client "$NET.1/24"
mk_lbnode lb "$NET.2/24"
mk_host ka "$NET.3/24"
addr_monitor lb
addr_monitor ka
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir)); $(keepalived --version 2>&1 | head -1)"

# ---------------------------------------------------------------- one round

# round VERSION ADV HIGH: HIGH (lb or ka) has the higher priority.
round()
{
	local v=$1 adv=$2 high=$3 low name lbp kap lbc kac mdi skew t0 ms rc hold d r poll del
	name="VRRPv$v, advert_int $adv, $([ "$high" = lb ] && echo "lbctl" || echo "keepalived") higher"
	if [ "$high" = lb ]; then
		low=ka; lbp=$HI; kap=$LO
	else
		low=lb; lbp=$LO; kap=$HI
	fi
	lbc=$(lb_conf "$v" "$adv" "$lbp")
	kac=$(ka_conf "$v" "$adv" "$kap")
	read -r mdi skew < <(vrrp_timers "$LO" "$adv")

	# Both start at once.
	lb_start "$lbc"
	ok $? "$name: lbctl up"
	ka_start ka "$kac"
	ok $? "$name: keepalived started" || show_ka

	wait_until $((mdi / 1000 + 10)) master_is "$high"
	ok $? "$name: they agree: $high is master, the VIP is on $high only" ||
		{ diag "$(report)"; show_node lb; show_ka; }
	# ... and stay agreed (each accepts the other's adverts).
	hold=$(hold_for $((mdi + 1000)) master_is "$high")
	ok $? "$name: still so after $((mdi + 1000)) ms" || { diag "$hold: $(report)"; show_ka; }
	r=$(vfield lb VI_1 adverts_received)
	d=$(vpy lb "sum(inst('VI_1')['discarded'].values())")
	is "$d" 0 "$name: lbctl discarded none of keepalived's adverts" ||
		diag "$(vpy lb "inst('VI_1')['discarded']")"
	if [ "$high" = ka ]; then
		[ "${r:-0}" -gt 0 ] 2>/dev/null
		ok $? "$name: lbctl (BACKUP) receives keepalived's adverts ($r)"
	else
		! grep -qiE 'invalid|bad|bogus|mismatch|ignor' "$(ka_log)"
		ok $? "$name: keepalived's log shows no complaint about lbctl's adverts" ||
			diag_lines "$(grep -iE 'invalid|bad|bogus|mismatch|ignor' "$(ka_log)" | tail -5)"
	fi

	# SIGKILL of the master: the other takes the VIP.
	if [ "$high" = lb ]; then
		lb_kill
	else
		ka_kill ka
	fi
	ok $? "$name: kill -9 of the master ($high)"
	t0=$KILL_T0
	poll=$(wait_since "$t0" $((mdi + 5000)) has_addr "$low" "$VIP"); rc=$?
	ok $rc "$name: $low takes the VIP over" || { diag "$(report)"; show_node lb; show_ka; }
	if [ "$rc" = 0 ]; then
		ms=$(addr_event_ms "$low" "$VIP" add "$t0")
		[ "$ms" -le $((mdi + SLACK_MS)) ]
		ok $? "$name: within Master_Down_Interval ($mdi ms) + $SLACK_MS ms ($ms ms)"
		diag "$name: SIGKILL of $high -> VIP added on $low after $ms ms" \
			"(ip monitor; $poll ms by polling); Master_Down_Interval $mdi ms"
	fi
	if [ "$low" = lb ]; then
		wait_until 5 eval '[ "$(vstate lb)" = MASTER ] && ! xdp_is_on'
		ok $? "$name: lbctl is MASTER, with no XDP program (VRRP only)" || diag "$(report)"
	else
		wait_until 5 eval '[ "$(ka_state)" = MASTER ]'
		ok $? "$name: keepalived is MASTER" || { diag "$(report)"; show_ka; }
	fi
	diag "$name: after SIGKILL the VIP on $high's eth0 is" \
		"$(has_addr "$high" "$VIP" && echo "still there (expected: a killed process cannot remove it)" || echo gone)"

	# Restart the killed master: it preempts back.
	if [ "$high" = lb ]; then
		lb_start "$lbc"
		ok $? "$name: lbctl up again"
	else
		ka_start ka "$kac"
		ok $? "$name: keepalived started again" || show_ka
	fi
	wait_until $((mdi / 1000 + 10)) master_is "$high"
	ok $? "$name: preemption back: $high is master, the VIP is on $high only" ||
		{ diag "$(report)"; show_node lb; show_ka; }

	# A graceful stop of the master: its priority-0 advert makes the other
	# take over after Skew_Time, well before Master_Down_Interval.
	if [ "$high" = lb ]; then
		keep_log lb down
		mark_ms t0
		lbctl_in lb down eth0 >/dev/null 2>&1
	else
		ka_stop ka
		t0=$STOP_T0
	fi
	poll=$(wait_since "$t0" $((mdi + 5000)) eval "only_on $VIP $low lb ka"); rc=$?
	ok $rc "$name: graceful stop of $high: the VIP moves to $low only" ||
		{ diag "$(report)"; show_node lb; show_ka; }
	if [ "$rc" = 0 ]; then
		ms=$(addr_event_ms "$low" "$VIP" add "$t0")
		del=$(addr_event_ms "$high" "$VIP" del "$t0")
		[ "$ms" -lt "$("$PY" -I -S -c "print(int($mdi - $adv * 1000))")" ]
		ok $? "$name: graceful stop of $high: takeover on the priority-0 advert," \
			"before Master_Down_Interval - advert_int ($ms ms)"
		diag "$name: graceful stop of $high -> VIP added on $low after $ms ms," \
			"removed from $high after $del ms (ip monitor; both only after $poll ms by" \
			"polling); Skew_Time $skew ms, Master_Down_Interval $mdi ms"
	fi
	[ -n "$DEBUG" ] && { show_node lb; show_ka; }
	stop_all
}

for r in ${ROUNDS:-2:1:lb 2:1:ka 3:0.2:lb 3:0.2:ka}; do
	IFS=: read -r v a h <<<"$r"
	round "$v" "$a" "$h"
done
note "done in $((SECONDS - T0)) s"
done_testing
