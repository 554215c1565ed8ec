#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, hostile network, faults and least privilege (issue 7).
#
#            bridge (own namespace, xdp_pass on every port)
#      ┌──────────┬──────────┬─────────────┬─────────────┬─────────────┐
#   client       lb          rs1           rs2           rs3
#  10.104.0.1  10.104.0.2   10.104.0.11   10.104.0.12   10.104.0.13
#              +VIP on eth0  VIP on lo; HTTP on :80 and a UDP echo on
#              (static mode) VIP:7000, both answering the server's name
#
#  1. SYN flood: 50 established TCP connections through the VIP, then
#     200,000 SYNs from random spoofed sources (selftests/synflood.c, a raw
#     socket): every connection keeps working and keeps its conntrack entry
#     (SYNs are forwarded by Maglev but not remembered). Then a UDP flood of
#     random sources with lbctl_conn_rate 1000: 20 long-lived UDP flows keep
#     their server, and the insert budget is what limited the flood.
#  3. faults: (a) the config file deleted, then `lbctl reload`; (b) the
#     interface deleted and made again with the same MAC; (c) a device
#     without native XDP (dummy, or a bridge device where the kernel has
#     no dummy driver): generic mode; (d) --bpffs pointing at an
#     empty directory: lbctl mounts bpffs there; (e) a full connection table
#     (lbctl_conn_max 64, 500 flows).
#  4. least privilege: the controller's capability sets, 0700 pin and state
#     directories, and a non-root user gets a clean permission error.
#
# (2, rogue VRRP speakers, is in e2e_vrrp.sh.)
# SYN_N / UDP_N set the flood sizes; CASES="syn udp reload iface ..." runs
# only those cases (in the order of the file).
# Run as root: bash selftests/e2e_faults.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"

NET=10.104.0
CLIENT_IP=$NET.1
LB_IP=$NET.2
VIP=$NET.100
UDP_PORT=7000
declare -A RS_IP=([rs1]=$NET.11 [rs2]=$NET.12 [rs3]=$NET.13)
SYN_N=${SYN_N:-200000}
UDP_N=${UDP_N:-200000}
N_HOLD=50
N_UDP=20
CASES=${CASES:-syn udp reload iface full caps dummy bpffs}

want()
{
	[[ " $CASES " == *" $1 "* ]]
}

# ---------------------------------------------------------------- configs

# conf NAME GLOBAL_LINES SERVICE...: a static-mode config (no vrrp_instance)
# with the given global_defs lines and services ("tcp" = VIP:80 over the
# three servers, "udp" = VIP:7000); prints its path.
conf()
{
	local name=$1 globals=$2 f svc s port proto; shift 2
	f=$(tmpdir)/$name.conf
	{
		echo "global_defs {"
		echo "    router_id lb"
		[ -n "$globals" ] && echo "$globals" | sed 's/^/    /'
		echo "}"
		for svc in "$@"; do
			port=80; proto=TCP
			[ "$svc" = udp ] && { port=$UDP_PORT; proto=UDP; }
			echo "virtual_server $VIP $port {"
			echo "    lb_algo mh"
			echo "    lb_kind DR"
			echo "    protocol $proto"
			for s in rs1 rs2 rs3; do
				echo "    real_server ${RS_IP[$s]} $port {"
				echo "        weight 1"
				echo "    }"
			done
			echo "}"
		done
	} >"$f"
	echo "$f"
}

# ---------------------------------------------------------------- helpers

node_log()
{
	echo "${LB_RUNDIR[lb]}/${1:-eth0}/log"
}

controller_pid()
{
	cat "${LB_RUNDIR[lb]}/eth0/pid" 2>/dev/null
}

show_lb()
{
	diag "---- lb: lbctl status -j"
	diag_lines "$(lbctl_in lb status -j 2>&1)"
	diag "---- lb: $(node_log) (last 25 lines)"
	diag_lines "$(tail -25 "$(node_log)" 2>/dev/null)"
	diag "---- lb: ip link show dev eth0"
	diag_lines "$(ip -n "$(ns lb)" link show dev eth0 2>&1)"
}

# backends_up N [PROTO]: N backends, all up (MACs resolved).
backends_up()
{
	local got
	got=$(lbctl_in lb backend list -j 2>/dev/null | "$PY" -c '
import json, sys
print(sum(1 for b in json.load(sys.stdin) if b["state"] == "up"))' 2>/dev/null)
	[ "${got:-0}" -ge "$1" ]
}

# lb_up NAME CONF NBACKENDS: lbctl up eth0 -c CONF (a test), then wait for
# NBACKENDS backends to be up.
lb_up()
{
	local name=$1 conf=$2 nb=$3 out rc
	out=$(lbctl_in lb up eth0 -c "$conf" 2>&1); rc=$?
	is "$rc" 0 "$name: lbctl up eth0 -c $(basename "$conf")" || {
		diag_lines "$out"; diag_lines "$(cat "$conf")"; show_lb
	}
	wait_until 15 backends_up "$nb"
	ok $? "$name: the $nb backends are resolved and up" ||
		diag_lines "$(lbctl_in lb backend list 2>&1)"
}

lb_down()
{
	lbctl_in lb down eth0 >/dev/null 2>&1
	wait_until 5 eval "[ -z \"\$(xdp_prog_on lb)\" ]"
}

# requests N FILE [URL]: N GETs on fresh connections from the client; one
# line each: the body or FAIL.
requests()
{
	nsx client bash -c '
		for ((i = 0; i < $0; i++)); do
			if out=$(curl -s --max-time 2 "$1"); then
				echo "$out"
			else
				echo FAIL
			fi
		done' "$1" "${3:-http://$VIP/}" >"$2"
}

# traffic_ok NAME [N]: N (20) fresh HTTP requests through the VIP succeed.
traffic_ok()
{
	local f good n=${2:-20}
	f=$(tmpdir)/req.$RANDOM
	requests "$n" "$f"
	good=$(grep -cxE 'rs[123]' "$f")
	is "$good" "$n" "$1: $n fresh HTTP requests through the VIP all answered" ||
		diag "answers: $(sort "$f" | uniq -c | tr -s ' \n' ' ')"
}

# hold_report STATE: "ok=N broken=N rs1:N rs2:N rs3:N" from tcp_hold's file.
hold_report()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = sum(1 for c in d["conns"] if c["ok"])
by = {}
for c in d["conns"]:
    by[c["server"] or "none"] = by.get(c["server"] or "none", 0) + 1
print("ok=%d broken=%d %s" % (ok, len(d["conns"]) - ok,
      " ".join("%s:%d" % kv for kv in sorted(by.items()))))
for c in d["conns"]:
    if not c["ok"]:
        print("conn %d to %s: %s" % (c["id"], c["server"], c["error"]), file=sys.stderr)' "$1"
}

# hold_ok STATE N: all N connections exist and are ok.
hold_ok()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d["conns"]) == int(sys.argv[2]) and all(c["ok"] for c in d["conns"]) else 1)' "$1" "$2"
}

# hold_wait STATE [TIMEOUT]: two full probe rounds after now.
hold_wait()
{
	local r
	r=$(tcp_hold_round "$1")
	wait_until "${2:-15}" tcp_hold_past "$1" $((r + 1))
}

stop_pid()
{
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# snapshot: the maps' content without counters, and the controller's
# running/attached state (for "unchanged" checks).
snapshot()
{
	local d
	d=$(tmpdir)/snap.$RANDOM
	lbctl_in lb vip list -j >"$d.vips" 2>&1
	lbctl_in lb backend list -j >"$d.bes" 2>&1
	lbctl_in lb status -j >"$d.st" 2>&1
	"$PY" - "$d" <<'EOF2'
import json, sys
d = sys.argv[1]
try:
    vips, bes, st = (json.load(open(d + x)) for x in (".vips", ".bes", ".st"))
except Exception as e:
    print("unparsable: %s" % e); sys.exit(0)
for v in sorted(vips, key=lambda v: (v["vip"], v["port"], v["proto"])):
    print("vip", v["vip"], v["port"], v["proto"], v["active"], v["sched"], v["backends"])
for b in sorted(bes, key=lambda b: (b["vip"], b["port"], b["proto"], b["backend"])):
    print("backend", b["vip"], b["port"], b["proto"], b["backend"], b["weight"], b["state"], b["mac"])
c = st.get("controller") or {}
print("running", st["running"], "xdp", st["xdp_attached"], st["xdp_mode"], "mode", c.get("mode"))
EOF2
}

# log_has REGEX [IFACE]: the controller's log has a line matching REGEX.
log_has()
{
	grep -qE -- "$1" "$(node_log "${2:-eth0}")" 2>/dev/null
}

# log_since LINES: the log from line LINES+1 on.
log_since()
{
	tail -n +"$(($1 + 1))" "$(node_log)" 2>/dev/null
}

log_lines()
{
	wc -l <"$(node_log)" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- setup

need_root
need_cmd ip curl ethtool timeout gcc bpftool nsenter setpriv mountpoint stat "$PY"
need_file "$LBCTL" "lbctl (make builds it)"

T0=$SECONDS
FLOOD=$(tmpdir)/synflood
gcc -O2 -Wall -o "$FLOOD" "$LIB_DIR/synflood.c" || bail "cannot build selftests/synflood.c"
mk_bridge
mk_host client "$CLIENT_IP/24"
mk_lbnode lb "$LB_IP/24"
for s in rs1 rs2 rs3; do
	mk_realserver "$s" "${RS_IP[$s]}" "$VIP"
	udp_echo_start "$s" "$VIP" "$UDP_PORT" "$s" "$NET."
done
# Static mode: the operator owns the VIP on the balancer's interface.
ip -n "$(ns lb)" addr add "$VIP/32" dev eth0 || bail "cannot add the VIP to the balancer"
LB_MAC=$(mac_of lb)
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir)), lb's MAC $LB_MAC"

# ---------------------------------------------------------------- 1. SYN flood

test_syn_flood()
{
	local c hold r s0 s1 ct0 ct1 tot out st_ms rc

	c=$(conf syn "lbctl_conn_max 4096" tcp)
	lb_up "syn flood" "$c" 3
	hold=$(tmpdir)/hold50.json
	tcp_hold_start client "$hold" -n "$N_HOLD" --interval 0.5 "$VIP" 80
	wait_until 20 tcp_hold_past "$hold" 0
	hold_ok "$hold" "$N_HOLD"
	ok $? "syn flood: $N_HOLD long-lived TCP connections through the VIP are open and working" ||
		{ diag "$(hold_report "$hold" 2>&1)"; diag_lines "$(cat "$hold.log")"; }
	note "syn flood: before: $(hold_report "$hold" 2>/dev/null)"
	ct0=$(conntrack_flows_from lb "$CLIENT_IP" 6)
	is "$ct0" "$N_HOLD" "syn flood: the connection table remembers the $N_HOLD client flows"

	s0=$(gstat lb conn_syn_untracked)
	nsx client "$FLOOD" -d "$VIP" -p 80 -t tcp -n "$SYN_N" >"$(tmpdir)/syn.out" 2>&1 &
	r=$!
	track_pid "$r"
	# The controller is not in the packet path; it must stay responsive.
	st_ms=$(date +%s%N)
	lbctl_in lb status -j >/dev/null 2>&1
	st_ms=$(( ($(date +%s%N) - st_ms) / 1000000 ))
	wait "$r"; rc=$?
	out=$(cat "$(tmpdir)/syn.out")
	is "$rc" 0 "syn flood: $SYN_N SYNs from random spoofed sources sent to $VIP:80" ||
		diag_lines "$out"
	s1=$(gstat lb conn_syn_untracked)
	ct1=$(conntrack_flows_from lb "$CLIENT_IP" 6)
	tot=$(bpftool -j map dump pinned "${LB_BPFFS[lb]}/lbctl/eth0/conntrack" 2>/dev/null |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	diag "syn flood: flooder: $out"
	diag "syn flood: conn_syn_untracked $s0 -> $s1 (+$((s1 - s0)) SYNs reached XDP and" \
		"were forwarded without a conntrack entry); conntrack now holds $tot entries" \
		"(lbctl_conn_max 4096), $ct1 of them the client's; 'lbctl status' during the" \
		"flood took ${st_ms} ms"
	[ "$((s1 - s0))" -gt 0 ]
	ok $? "syn flood: conn_syn_untracked counted the SYNs (+$((s1 - s0)))"
	is "$ct1" "$N_HOLD" "syn flood: all $N_HOLD established flows are still in the connection table"
	[ -n "$tot" ] && [ "$tot" -lt 4096 ]
	ok $? "syn flood: the flood did not fill the connection table ($tot of 4096 entries)"
	hold_wait "$hold"
	hold_ok "$hold" "$N_HOLD"
	ok $? "syn flood: all $N_HOLD established connections still work, each on its server" ||
		diag "$(hold_report "$hold" 2>&1)"
	note "syn flood: after: $(hold_report "$hold" 2>/dev/null)"
	pid_alive "$(controller_pid)"
	ok $? "syn flood: the controller is still running"
	stop_pid "$TCP_HOLD_PID"
	traffic_ok "syn flood: after the flood"
	lb_down
}

# ---------------------------------------------------------------- 1b. UDP flood

UDP_CONF=

test_udp_flood()
{
	local c flows before r0 l0 l1 d0 d1 out rep ct tot rc

	c=$(conf udp "lbctl_conn_max 4096
lbctl_conn_rate 1000" tcp udp)
	UDP_CONF=$(tmpdir)/running.conf
	cp "$c" "$UDP_CONF"
	lb_up "udp flood" "$UDP_CONF" 6
	flows=$(tmpdir)/udpflows.json
	udp_flows_start client "$flows" "$VIP" "$UDP_PORT" "$N_UDP" 0.05
	wait_until 10 udp_flows_past "$flows" 10
	rep=$(udp_flows_report "$flows")
	like "$rep" "flows=$N_UDP answered=$N_UDP sticky=$N_UDP " \
		"udp flood: $N_UDP UDP flows through the VIP get answers, each from one server" ||
		diag_lines "$(cat "$flows.log")"
	note "udp flood: before: $rep"
	before=$(tmpdir)/udpflows.before.json
	udp_flows_snapshot "$flows" "$before"
	l0=$(gstat lb conn_rate_limited)
	d0=$(gstat lb verdict_drop)

	out=$(nsx client "$FLOOD" -d "$VIP" -p "$UDP_PORT" -t udp -n "$UDP_N" 2>&1); rc=$?
	is "$rc" 0 "udp flood: $UDP_N datagrams from random spoofed sources sent to $VIP:$UDP_PORT" ||
		diag_lines "$out"
	r0=$(udp_flows_round "$flows")
	wait_until 10 udp_flows_past "$flows" $((r0 + 10))
	l1=$(gstat lb conn_rate_limited)
	d1=$(gstat lb verdict_drop)
	ct=$(conntrack_flows_from lb "$CLIENT_IP" 17)
	tot=$(bpftool -j map dump pinned "${LB_BPFFS[lb]}/lbctl/eth0/conntrack" 2>/dev/null |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	rep=$(udp_flows_report "$flows" "$before")
	diag "udp flood: flooder: $out"
	diag "udp flood: conn_rate_limited $l0 -> $l1 (+$((l1 - l0)) new flows forwarded but" \
		"not remembered, lbctl_conn_rate 1000/s per CPU); conntrack holds $tot entries" \
		"(of 4096), $ct of the $N_UDP client flows still remembered"
	diag "udp flood: the $N_UDP established flows since the flood: $rep"
	[ "$((l1 - l0))" -gt 0 ]
	ok $? "udp flood: the insert budget limited the flood (conn_rate_limited +$((l1 - l0)))"
	like "$rep" "flows=$N_UDP answered=$N_UDP sticky=$N_UDP " \
		"udp flood: all $N_UDP established UDP flows still answered, each by the same server"
	is "$((d1 - d0))" 0 "udp flood: nothing dropped by the balancer (verdict_drop $d0 -> $d1)"
	pid_alive "$(controller_pid)"
	ok $? "udp flood: the controller is still running"
	# The flows keep running: 3a and 3b check they survive too.
}

# ---------------------------------------------------------------- 3a. config vanishes

test_reload_gone()
{
	local before after n0 out rc flows snap r0
	flows=$(tmpdir)/udpflows.json

	if [ -z "$UDP_CONF" ]; then
		UDP_CONF=$(conf reload "" tcp udp)
		lb_up "reload" "$UDP_CONF" 6
	fi
	before=$(snapshot)
	n0=$(log_lines)
	rm -f "$UDP_CONF"
	out=$(lbctl_in lb reload eth0 2>&1); rc=$?
	# A reload that fails is a runtime failure: exit 1, one clear line.
	is "$rc" 1 "reload: lbctl reload eth0 with the config file deleted exits 1" ||
		diag_lines "$out"
	like "$out" "No such file|cannot read|could not read" \
		"reload: lbctl reload says the config file could not be read"
	note "reload: lbctl reload eth0: $out"
	wait_until 5 eval "log_since $n0 | grep -qE 'reload: (done|.*keeping)'"
	out=$(log_since "$n0")
	like "$out" "(cannot|could not|can't|unable to) (read|open).*$(basename "$UDP_CONF")|$(basename "$UDP_CONF").*(No such file|cannot read|could not read|cannot open)" \
		"reload: the log says the config file could not be read" || {
		diag "log since the reload:"; diag_lines "$out"; }
	like "$out" "keeping the running configuration" \
		"reload: the log says the running configuration is kept"
	note "reload: log: $(tr '\n' '|' <<<"$out")"
	after=$(snapshot)
	is "$after" "$before" "reload: services, backends and attachment unchanged"
	pid_alive "$(controller_pid)"
	ok $? "reload: the controller still runs"
	traffic_ok "reload: after the failed reload"
	if [ -s "$flows" ]; then
		snap=$(tmpdir)/udpflows.reload.json
		udp_flows_snapshot "$flows" "$snap"
		r0=$(udp_flows_round "$flows")
		wait_until 10 udp_flows_past "$flows" $((r0 + 5))
		like "$(udp_flows_report "$flows" "$snap")" "answered=$N_UDP sticky=$N_UDP " \
			"reload: the UDP flows are still answered by their servers"
	fi
}

# ---------------------------------------------------------------- 3b. interface goes and comes back

test_iface()
{
	local n0 out pid

	pid=$(controller_pid)
	[ -n "$pid" ] || lb_up "iface" "$(conf iface "" tcp)" 3
	pid=$(controller_pid)
	n0=$(log_lines)
	ip -n "$(ns lb)" link del eth0
	ok $? "iface: ip link del eth0 (the balancer's interface, with its veth peer)"
	wait_until 5 eval "log_since $n0 | grep -q 'interface disappeared'"
	ok $? "iface: the controller logs that the interface disappeared" ||
		{ diag_lines "$(log_since "$n0")"; }
	pid_alive "$pid"
	ok $? "iface: the controller keeps running without its interface"
	out=$(lbctl_in lb status -j 2>&1)
	json_ok <<<"$out"
	ok $? "iface: lbctl status -j works while the interface is gone" || diag_lines "$out"

	recreate_eth0 lb "$LB_MAC" "$LB_IP/24" "$VIP/32"
	ok $? "iface: eth0 made again with the same MAC ($LB_MAC), plugged in, addresses back"
	wait_until 10 eval "log_since $n0 | grep -q 'interface is back'"
	ok $? "iface: the controller logs that the interface is back" ||
		diag_lines "$(log_since "$n0")"
	wait_until 10 eval "[ \"\$(xdp_prog_on lb)\" = xdp_lb ]"
	is "$(xdp_prog_on lb)" xdp_lb "iface: ip link show: xdp_lb is attached to the new eth0 again" ||
		show_lb
	note "iface: log: $(log_since "$n0" | tr '\n' '|')"
	traffic_ok "iface: after the interface came back" 30
	pid_alive "$pid"
	ok $? "iface: the same controller (pid $pid) still runs"
}

# ---------------------------------------------------------------- 3e. full connection table

test_full_table()
{
	local c hold d0 d1 tot from

	lb_down
	c=$(conf full "lbctl_conn_max 64" tcp)
	# the log outlives lbctl down: read this run's lines only
	from=$(($(cat "$(node_log)" 2>/dev/null | wc -l) + 1))
	lb_up "full table" "$c" 3
	d0=$(gstat lb verdict_drop)
	hold=$(tmpdir)/hold500.json
	tcp_hold_start client "$hold" -n 500 --interval 1 --timeout 5 "$VIP" 80
	wait_until 60 tcp_hold_past "$hold" 1
	ok $? "full table: 500 long-lived TCP connections opened through a 64-entry table" ||
		diag_lines "$(tail -5 "$hold.log")"
	hold_wait "$hold" 30
	hold_ok "$hold" 500
	ok $? "full table: all 500 keep working, each on its first server (LRU evicts; Maglev re-picks the same)" ||
		diag "$(hold_report "$hold" 2>&1)"
	note "full table: $(hold_report "$hold" 2>/dev/null)"
	tot=$(bpftool -j map dump pinned "${LB_BPFFS[lb]}/lbctl/eth0/conntrack" 2>/dev/null |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ -n "$tot" ] && [ "$tot" -le 64 ]
	ok $? "full table: the connection table holds at most 64 entries ($tot)"
	d1=$(gstat lb verdict_drop)
	is "$((d1 - d0))" 0 "full table: nothing dropped (verdict_drop $d0 -> $d1)"
	diag "full table: conn_hit $(gstat lb conn_hit), conn_miss $(gstat lb conn_miss) (misses" \
		"are flows re-picked by Maglev after the LRU evicted them)"
	stop_pid "$TCP_HOLD_PID"
	traffic_ok "full table: new connections too"
	! tail -n "+$from" "$(node_log)" | grep -qiE 'error|fail'
	ok $? "full table: no error in the controller's log" ||
		diag_lines "$(tail -n "+$from" "$(node_log)" | grep -iE 'error|fail')"
}

# ---------------------------------------------------------------- 4. least privilege

# as_nobody ARGS...: lbctl ARGS as uid/gid 65534 without capabilities, in
# lb's namespace; prints "RC|STDERR".
as_nobody()
{
	local err rc
	err=$(ip netns exec "$(ns lb)" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$LBCTL" --bpffs "${LB_BPFFS[lb]}" --rundir "${LB_RUNDIR[lb]}" \
		"$@" 2>&1 >/dev/null); rc=$?
	echo "$rc|$err"
}

test_caps()
{
	local pid eff bnd prm want pdir sdir bad r cmd

	pid=$(controller_pid)
	[ -n "$pid" ] || lb_up "caps" "$(conf caps "" tcp)" 3
	pid=$(controller_pid)
	want="cap_bpf cap_kill cap_net_admin cap_net_raw cap_setgid cap_setuid"
	eff=$(cap_field "$pid" CapEff)
	prm=$(cap_field "$pid" CapPrm)
	bnd=$(cap_field "$pid" CapBnd)
	is "$(cap_names "$eff")" "$want" "caps: the controller's CapEff ($eff) is exactly the kept set"
	is "$(cap_names "$prm")" "$want" "caps: its CapPrm ($prm) too"
	is "$(cap_names "$bnd")" "$want" "caps: its bounding set ($bnd) too, so scripts cannot regain more"
	is "$(cap_field "$pid" CapAmb)" 0000000000000000 "caps: no ambient capabilities"
	note "caps: controller pid $pid: CapEff $eff = $(cap_names "$eff")"

	pdir=${LB_BPFFS[lb]}/lbctl/eth0
	sdir=${LB_RUNDIR[lb]}/eth0
	is "$(stat -c %a "$pdir")" 700 "caps: the pin directory $pdir is 0700"
	is "$(stat -c %a "$sdir")" 700 "caps: the state directory $sdir is 0700"
	bad=$(find "$pdir" -mindepth 1 -perm /077 -printf '%m %p\n' 2>/dev/null)
	[ -z "$bad" ]
	ok $? "caps: no pinned map is open to group or others" || diag_lines "$bad"
	note "caps: modes: $(stat -c '%a %n' "${LB_BPFFS[lb]}/lbctl" "$pdir" "$sdir" | tr '\n' ' ')"
	note "caps: state files (behind the 0700 directory): $(find "$sdir" -mindepth 1 -printf '%m %f, ')"
	# Let uid 65534 walk the test's private temp dir down to the bpffs and
	# run dir (0711: traverse, no listing), so that lbctl's own permissions
	# are what it runs into.
	chmod 0711 "$(tmpdir)" "$(tmpdir)/lb"
	for cmd in "vip list" "backend list" "status" "status -j" "stats" "list" \
		   "vip add $VIP 81 tcp" "backend set $VIP 80 tcp ${RS_IP[rs1]} weight 0" \
		   "reload eth0"; do
		# shellcheck disable=SC2086
		r=$(as_nobody $cmd)
		is "${r%%|*}" 1 "caps: '$cmd' as an unprivileged user exits 1 (not a crash)" ||
			diag "stderr: ${r#*|}"
		like "${r#*|}" "[Pp]ermission denied|needs root|[Oo]peration not permitted" \
			"caps: '$cmd' as an unprivileged user says it lacks permission"
		note "caps: nobody: lbctl $cmd: ${r#*|}"
	done
	r=$(as_nobody up eth0)
	is "${r%%|*}" 1 "caps: 'up eth0' as an unprivileged user exits 1"
	like "${r#*|}" "needs root|[Pp]ermission denied" "caps: 'up eth0' as an unprivileged user says it needs root"
	note "caps: nobody: lbctl up eth0: ${r#*|}"
	r=$(as_nobody down eth0)
	is "${r%%|*}" 1 "caps: 'down eth0' as an unprivileged user exits 1" || diag "stderr: ${r#*|}"
	like "${r#*|}" "[Pp]ermission denied|needs root" \
		"caps: 'down eth0' as an unprivileged user says it lacks permission"
	note "caps: nobody: lbctl down eth0: exit ${r%%|*}: ${r#*|}"
	test -d "$pdir" && test -f "$sdir/lock"
	ok $? "caps: the unprivileged 'down' left the pins and the state in place"
	pid_alive "$pid"
	ok $? "caps: the controller is untouched by the unprivileged attempts"
	chmod 0700 "$(tmpdir)" "$(tmpdir)/lb"
	lb_down
}

# ---------------------------------------------------------------- 3c. no native XDP

# A device without native XDP: dummy; where the kernel has no dummy
# driver, a bridge device (no ndo_bpf either, so generic only).
test_dummy()
{
	local out rc l kind=dummy
	lb_down
	if ! ip -n "$(ns lb)" link add dum0 type dummy 2>/dev/null; then
		kind=bridge
		ip -n "$(ns lb)" link add dum0 type bridge ||
			{ ok 1 "no-native: a device without native XDP (dummy or bridge)"; return; }
		note "no-native: this kernel has no dummy driver; dum0 is a bridge device instead"
	fi
	ip -n "$(ns lb)" link set dum0 up
	ok $? "no-native: a $kind device dum0 (no native XDP)"
	out=$(lbctl_in lb up dum0 2>&1); rc=$?
	is "$rc" 0 "no-native: lbctl up dum0 succeeds" ||
		{ diag_lines "$out"; diag_lines "$(cat "$(node_log dum0)" 2>/dev/null)"; }
	like "$out" "generic" "no-native: lbctl up reports generic mode" || diag_lines "$out"
	note "no-native: lbctl up dum0 said: $out"
	l=$(ip -n "$(ns lb)" link show dev dum0)
	[[ $l == *xdpgeneric* && $l == *"name xdp_lb "* ]]
	ok $? "no-native: ip link show: xdp_lb attached as xdpgeneric" || diag_lines "$l"
	out=$(lbctl_in lb status -j 2>&1)
	like "$out" '"xdp_mode": ?"generic"' "no-native: lbctl status -j says generic" || diag_lines "$out"
	lbctl_in lb down dum0
	ok $? "no-native: lbctl down dum0"
	ip -n "$(ns lb)" link del dum0
}

# ---------------------------------------------------------------- 3d. bpffs not mounted

test_bpffs()
{
	local dir rd out rc t

	lb_down
	dir=$(tmpdir)/lb/fresh-bpffs
	rd=$(tmpdir)/lb/fresh-run
	mkdir -p "$dir"
	mountpoint -q "$dir"
	ok $((!$?)) "bpffs: $dir is an empty directory, not a mount point"
	T_MOUNTS+=("$dir")
	out=$(nsx_net lb "$LBCTL" --bpffs "$dir" --rundir "$rd" up eth0 2>&1); rc=$?
	is "$rc" 0 "bpffs: lbctl --bpffs $dir up eth0 succeeds" || {
		diag_lines "$out"; diag_lines "$(cat "$rd/eth0/log" 2>/dev/null)"; }
	t=$(stat -f -c %T "$dir" 2>/dev/null)
	is "$t" bpf_fs "bpffs: lbctl mounted bpffs on $dir"
	test -d "$dir/lbctl/eth0"
	ok $? "bpffs: the maps are pinned there"
	is "$(xdp_prog_on lb)" xdp_lb "bpffs: xdp_lb attached to eth0"
	nsx_net lb "$LBCTL" --bpffs "$dir" --rundir "$rd" vip add "$VIP" 80 tcp &&
		for s in rs1 rs2 rs3; do
			nsx_net lb "$LBCTL" --bpffs "$dir" --rundir "$rd" backend add "$VIP" 80 tcp \
				"${RS_IP[$s]}" || break
		done
	ok $? "bpffs: vip add and backend add through that bpffs"
	wait_until 15 eval "[ \$(nsx_net lb $LBCTL --bpffs $dir --rundir $rd backend list -j |
		grep -o '\"up\"' | wc -l) -ge 3 ]"
	traffic_ok "bpffs: traffic through the VIP"
	out=$(nsx_net lb "$LBCTL" --bpffs "$dir" --rundir "$rd" down eth0 2>&1)
	ok $? "bpffs: lbctl down eth0" || diag_lines "$out"
}

# ---------------------------------------------------------------- run

want syn && test_syn_flood
want udp && test_udp_flood
want reload && test_reload_gone
want iface && test_iface
[ -n "$UDP_FLOWS_PID" ] && stop_pid "$UDP_FLOWS_PID"
want full && test_full_table
want caps && test_caps
want dummy && test_dummy
want bpffs && test_bpffs
note "took $((SECONDS - T0)) s"
done_testing
