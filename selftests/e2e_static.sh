#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, static mode (issue 3): one balancer, no VRRP, driven only by
# `lbctl up`, `lbctl vip add` and `lbctl backend add|del|set`.
#
#            bridge (own namespace, xdp_pass on every port)
#      ┌──────────┬──────────┬─────────────┬─────────────┬─────────────┐
#   client       lb          rs1           rs2           rs3
#  10.100.0.1  10.100.0.2   10.100.0.11   10.100.0.12   10.100.0.13
#              +VIP on eth0  VIP on lo (arp_ignore=1, arp_announce=2),
#                            python3 http.server answering its own name
#
# The client reaches VIP 10.100.0.100 because the balancer holds it on its
# interface (as the operator would with LVS-DR); lbctl's XDP program sends
# each flow to a real server, which answers the client directly.
#
# Run as root: bash selftests/e2e_static.sh (TAP), or through prove.

# shellcheck source=selftests/lib.sh
. "$(dirname "$0")/lib.sh"

VIP=10.100.0.100
PORT=80
LB_IP=10.100.0.2
CLIENT_IP=10.100.0.1
declare -A RS_IP=([rs1]=10.100.0.11 [rs2]=10.100.0.12 [rs3]=10.100.0.13)
N_REQ=${N_REQ:-900}	# fresh connections per distribution check
N_SMALL=${N_SMALL:-300}	# fresh connections after a change
TOL=20			# percent of each server's share

# ---------------------------------------------------------------- helpers

# requests N FILE: N HTTP GETs from the client on fresh connections; FILE
# gets one line per request: "SERVER LOCAL_PORT" or "FAIL ...". Every line
# is also kept in HISTORY, to tell a reused source port when one matters.
HISTORY=
requests()
{
	http_fresh client "$1" "$VIP" "$PORT" >"$2"
	cat "$2" >>"$HISTORY"
}

# count WORD FILE: requests answered by WORD (or failed, for FAIL).
count()
{
	awk -v w="$1" '$1 == w { n++ } END { print n + 0 }' "$2"
}

# counts FILE: "rs1=N rs2=N rs3=N FAIL=N other=N" for diagnostics.
counts()
{
	local s out="" n
	for s in rs1 rs2 rs3 FAIL; do
		out+="$s=$(count "$s" "$1") "
	done
	n=$(awk '$1 !~ /^(rs[123]|FAIL)$/ { n++ } END { print n + 0 }' "$1")
	echo "${out}other=$n (of $(wc -l <"$1"))"
}

# all_succeeded FILE N NAME
all_succeeded()
{
	local got
	got=$(awk '$1 ~ /^rs[123]$/ { n++ } END { print n + 0 }' "$1")
	is "$got" "$2" "$3" || { diag "$(counts "$1")"; diag_lines "$(grep -m5 FAIL "$1")"; }
}

# reused_ports SERVER FILE: for each request of FILE that SERVER answered,
# whether its source port was used before, and what answered then.
reused_ports()
{
	local s=$1 f=$2 p prev before
	before=$(( $(wc -l <"$HISTORY") - $(wc -l <"$f") ))
	awk -v s="$s" '$1 == s { print $2 }' "$f" | while read -r p; do
		prev=$(head -n "$before" "$HISTORY" | awk -v p="$p" '$2 == p { print $1 }' |
			sort | uniq -c | tr -s ' \n' ' ')
		echo "port $p: earlier flows from it went to:${prev:- (none)}"
	done
}

# balanced FILE "rs1:W rs2:W rs3:W" NAME: each server's count is within
# TOL% of its weighted share of the successful requests.
balanced()
{
	local file=$1 spec=$2 name=$3 total=0 wsum=0 s w c exp bad="" sw
	for sw in $spec; do wsum=$((wsum + ${sw#*:})); done
	for sw in $spec; do total=$((total + $(count "${sw%:*}" "$file"))); done
	for sw in $spec; do
		s=${sw%:*}; w=${sw#*:}
		c=$(count "$s" "$file")
		exp=$((total * w / wsum))
		# |c - exp| <= TOL% of exp
		if [ $(( (c > exp ? c - exp : exp - c) * 100 )) -gt $((exp * TOL)) ]; then
			bad+=" $s=$c(want $exp±$((exp * TOL / 100)))"
		fi
	done
	[ -z "$bad" ]
	ok $? "$name" || diag "off share:$bad; $(counts "$file")"
	note "$name: $(counts "$file")"
}

# self_ok WHEN: the balancer's own address answers ping and TCP.
self_ok()
{
	local got
	nsx client ping -c 1 -W 2 -q "$LB_IP" >/dev/null 2>&1
	ok $? "ping to the balancer's own address works $1"
	got=$(tcp_read_from client "$LB_IP" 22)
	is "$got" lb-self "TCP to the balancer's own address ($LB_IP:22) works $1"
}

# snapshot: what the maps hold, without counters (for before/after).
snapshot()
{
	{
		lbctl_in lb vip list -j
		echo
		lbctl_in lb backend list -j
	} 2>&1 | "$PY" -c '
import json, sys
docs = sys.stdin.read().split("\n", 1)
try:
    vips = json.loads(docs[0])
    bes = json.loads(docs[1])
except Exception as e:
    print("unparsable listing: %s: %r" % (e, docs)); sys.exit(0)
for v in sorted(vips, key=lambda v: (v["vip"], v["port"], v["proto"])):
    print("vip", v["vip"], v["port"], v["proto"], v["active"], v["sched"], v["backends"])
for b in sorted(bes, key=lambda b: (b["vip"], b["port"], b["proto"], b["backend"])):
    print("backend", b["vip"], b["port"], b["proto"], b["backend"], b["weight"],
          b["state"], b["mac"], b["healthy"], b["sorry"])
'
}

# backends_state: "ADDR=STATE ..." from backend list -j, sorted.
backends_state()
{
	lbctl_in lb backend list -j 2>/dev/null | "$PY" -c '
import json, sys
print(" ".join(sorted("%s=%s" % (b["backend"], b["state"]) for b in json.load(sys.stdin))))'
}

# hold_report STATE: "rs1:ok,ok rs2:ok,broken ..." from tcp_hold's file.
hold_report()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for c in d["conns"]:
    by.setdefault(c["server"] or "none", []).append("ok" if c["ok"] else "broken")
print(" ".join("%s:%s" % (k, ",".join(v)) for k, v in sorted(by.items())))' "$1"
}

# hold_alive STATE SERVER...: number of connections to SERVERs that broke
# (0 is what we want) -- prints "broken/total", status 0 when none broke.
hold_alive()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
want = set(sys.argv[2:])
mine = [c for c in d["conns"] if c["server"] in want]
broken = [c for c in mine if not c["ok"]]
print("%d/%d broken" % (len(broken), len(mine)))
for c in broken:
    print("conn %d to %s: %s" % (c["id"], c["server"], c["error"]), file=sys.stderr)
sys.exit(1 if broken or not mine else 0)' "$@"
}

# hold_wait STATE: wait until two full probe rounds ran after now.
hold_wait()
{
	local r
	r=$(tcp_hold_round "$1")
	wait_until 10 tcp_hold_past "$1" $((r + 1))
}

# xdp_mode_on NODE: native | generic | none, as `ip link show` says.
xdp_mode_on()
{
	local l
	l=$(ip -n "$(ns "$1")" link show dev eth0)
	if ! grep -q 'prog/xdp' <<<"$l"; then
		echo none
	elif grep -q ' xdpgeneric ' <<<"$l"; then
		echo generic
	elif grep -q ' xdp ' <<<"$l"; then
		echo native
	else
		echo other
	fi
}

no_xdp()
{
	[ "$(xdp_mode_on "$1")" = none ]
}

has_xdp()
{
	[ "$(xdp_mode_on "$1")" != none ]
}

# left_behind NODE: whatever is left in the node's bpffs and run dir.
left_behind()
{
	bpffs_leftovers "${LB_BPFFS[$1]}"
	# the log stays, and the directory that holds it
	find "${LB_RUNDIR[$1]}" -mindepth 1 ! -name log ! -path "${LB_RUNDIR[$1]}/eth0" 2>/dev/null
}

nothing_left()
{
	local left
	left=$(left_behind lb)
	[ -z "$left" ]
	ok $? "nothing left in the node's bpffs nor its run dir $1" ||
		diag_lines "$left"
}

controller_pid()
{
	cat "${LB_RUNDIR[lb]}/eth0/pid" 2>/dev/null
}

# refused RC NAME ARGS...: lbctl ARGS is refused with exit status RC and
# one line on stderr, and the maps do not change.
refused()
{
	local want=$1 name=$2 before after out err rc; shift 2
	before=$(snapshot)
	out=$(lbctl_in lb "$@" 2>"$(tmpdir)/bad.err"); rc=$?
	err=$(cat "$(tmpdir)/bad.err")
	after=$(snapshot)
	is "$rc" "$want" "bad command: $name: exit status $want (lbctl $*)" ||
		diag "stderr: $err"
	[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == lbctl:* ]]
	ok $? "bad command: $name: one clear line on stderr" || diag "stderr: '$err'"
	note "lbctl $*: $err"
	is "$after" "$before" "bad command: $name: maps unchanged"
}

# bad_cmd NAME ARGS...: a usage error (exit 2); failed_cmd: a command that
# is well formed but cannot be done in the current state (exit 1).
bad_cmd() { refused 2 "$@"; }
failed_cmd() { refused 1 "$@"; }

# reuse_check SERVER WHAT: new connections from client source ports whose
# latest earlier flow went to SERVER (closed since; ports the client uses
# now left out: tcp_hold's, and any other connection's, TIME_WAIT included)
# must all succeed and avoid SERVER: a SYN opens a new connection even if
# the balancer still remembers the 5-tuple.
reuse_check()
{
	local s=$1 what=$2 ports held f n
	held=$(nsx client ss -Htan | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }')
	ports=$(awk -v s="$s" -v held=" $held " '
		$1 ~ /^rs[0-9]$/ { last[$2] = $1 }
		END { for (p in last) if (last[p] == s && index(held, " " p " ") == 0) print p }' \
		"$HISTORY" | head -40 | paste -sd, -)
	n=$(awk -F, '{ print NF }' <<<"$ports")
	[ "${n:-0}" -ge 10 ]
	ok $? "$what: $n source ports whose last flow went to $s, to open again" || return
	f=$(tmpdir)/reuse-$s.txt
	http_fresh client 1 --sports "$ports" "$VIP" "$PORT" >"$f"
	cat "$f" >>"$HISTORY"
	all_succeeded "$f" "$n" "$what: new connections on reused source ports all succeed"
	is "$(count "$s" "$f")" 0 "$what: new connections on reused source ports avoid $s" ||
		diag_lines "$(awk -v s="$s" '$1 == s { print "source port " $2 " went to " s " again" }' "$f" | head -10)"
	note "$what, reused ports: $(counts "$f")"
}

# ---------------------------------------------------------------- setup

need_root
need_cmd ip curl ethtool ping timeout find "$PY"
need_file "$LBCTL" "lbctl (make builds it)"

T0=$SECONDS
HISTORY=$(tmpdir)/history.txt
mk_bridge
mk_host client "$CLIENT_IP/24"
mk_lbnode lb "$LB_IP/24"
for s in rs1 rs2 rs3; do
	mk_realserver "$s" "${RS_IP[$s]}" "$VIP"
done
tcp_banner lb "$LB_IP" 22 lb-self
wait_until 5 tcp_read_from client "$LB_IP" 22 || bail "the TCP listener on $LB_IP:22 did not start"
# Static mode: the operator owns the VIP on the balancer's interface.
ip -n "$(ns lb)" addr add "$VIP/32" dev eth0 || bail "cannot add the VIP to the balancer"
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir))"

self_ok "before lbctl up"

# ---------------------------------------------------------------- 1. up

test_up()
{
	local out rc pid mode

	out=$(lbctl_in lb up eth0 2>&1); rc=$?
	is "$rc" 0 "lbctl up eth0 (daemonised) succeeds" || diag_lines "$out"
	like "$out" "XDP attached in (native|generic) mode" "lbctl up says which XDP mode it used"
	mode=$(xdp_mode_on lb)
	like "$mode" '^(native|generic)$' "ip link show: an XDP program is on eth0 ($mode)"
	[[ $out == *"in $mode mode"* ]]
	ok $? "the mode lbctl reported is the one ip link shows ($mode)"
	is "$(xdp_prog_on lb)" xdp_lb "the program on eth0 is xdp_lb"
	pid=$(controller_pid)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
	ok $? "the controller runs (pid file: ${pid:-none})"

	out=$(lbctl_in lb up eth0 2>&1); rc=$?
	is "$rc" 1 "a second lbctl up eth0 fails with exit status 1"
	like "$out" "already up" "a second lbctl up says lbctl is already up" || diag_lines "$out"
	is "$(controller_pid)" "$pid" "the second up left the running controller alone"
	has_xdp lb
	ok $? "the second up left the XDP program attached"
}

# ---------------------------------------------------------------- 2. balance

test_balance()
{
	local s rc f i n_ok
	lbctl_in lb vip add "$VIP" "$PORT" tcp
	ok $? "lbctl vip add $VIP $PORT tcp"
	for s in rs1 rs2 rs3; do
		lbctl_in lb backend add "$VIP" "$PORT" tcp "${RS_IP[$s]}"
		ok $? "lbctl backend add $VIP $PORT tcp ${RS_IP[$s]}"
	done
	wait_until 10 eval '[ "$(backends_state)" = "10.100.0.11=up 10.100.0.12=up 10.100.0.13=up" ]'
	is "$(backends_state)" "10.100.0.11=up 10.100.0.12=up 10.100.0.13=up" \
		"all three backends resolved and up"

	n_ok=0
	for ((i = 0; i < 20; i++)); do
		http_from client "$VIP" && n_ok=$((n_ok + 1))
	done
	is "$n_ok" 20 "20 curl requests through the VIP succeed"

	f=$(tmpdir)/even.txt
	requests "$N_REQ" "$f"
	all_succeeded "$f" "$N_REQ" "$N_REQ requests on fresh connections all succeed"
	balanced "$f" "rs1:1 rs2:1 rs3:1" "weights 1:1:1: each server within ±$TOL% of its share"

	lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs2]}" weight 2
	ok $? "lbctl backend set ... ${RS_IP[rs2]} weight 2"
	f=$(tmpdir)/weighted.txt
	requests "$N_REQ" "$f"
	all_succeeded "$f" "$N_REQ" "$N_REQ requests with weights 1:2:1 all succeed"
	balanced "$f" "rs1:1 rs2:2 rs3:1" "weights 1:2:1: each server within ±$TOL% of its share"

	lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs2]}" weight 1
	ok $? "lbctl backend set ... ${RS_IP[rs2]} weight 1 (back to even)"
}

# ---------------------------------------------------------------- 3. del

HOLD=

test_del()
{
	local f

	HOLD=$(tmpdir)/hold.json
	tcp_hold_start client "$HOLD" --servers rs1,rs2,rs3 --per 2 --max 60 "$VIP" "$PORT"
	wait_until 20 tcp_hold_past "$HOLD" 1
	ok $? "tcp_hold: long-lived connections are open and probed" ||
		diag_lines "$(cat "$HOLD.log" 2>/dev/null)"
	hold_alive "$HOLD" rs1 >/dev/null 2>&1 && hold_alive "$HOLD" rs2 >/dev/null 2>&1 &&
		hold_alive "$HOLD" rs3 >/dev/null 2>&1
	ok $? "tcp_hold: every server holds working long-lived connections" ||
		diag "$(hold_report "$HOLD")"

	lbctl_in lb backend del "$VIP" "$PORT" tcp "${RS_IP[rs3]}"
	ok $? "lbctl backend del $VIP $PORT tcp ${RS_IP[rs3]}"
	is "$(backends_state)" "10.100.0.11=up 10.100.0.12=up" "backend list no longer shows rs3"
	f=$(tmpdir)/del.txt
	requests "$N_SMALL" "$f"
	all_succeeded "$f" "$N_SMALL" "after backend del: $N_SMALL new connections all succeed"
	is "$(count rs3 "$f")" 0 "after backend del: no new connection reaches rs3" ||
		diag_lines "$(reused_ports rs3 "$f" | head -10)"
	note "after del: $(counts "$f")"
	reuse_check rs3 "after backend del"
	hold_wait "$HOLD"
	check "after backend del: established connections to rs1 and rs2 keep working" \
		hold_alive "$HOLD" rs1 rs2 || diag "$(hold_report "$HOLD")"
	note "tcp_hold after del: $(hold_report "$HOLD")"

	lbctl_in lb backend add "$VIP" "$PORT" tcp "${RS_IP[rs3]}"
	ok $? "lbctl backend add ${RS_IP[rs3]} again"
	wait_until 10 eval '[ "$(backends_state)" = "10.100.0.11=up 10.100.0.12=up 10.100.0.13=up" ]'
	is "$(backends_state)" "10.100.0.11=up 10.100.0.12=up 10.100.0.13=up" \
		"rs3 is back and up"
	hold_wait "$HOLD"
	check "after re-adding rs3: established connections to rs1 and rs2 keep working" \
		hold_alive "$HOLD" rs1 rs2 || diag "$(hold_report "$HOLD")"
}

# ---------------------------------------------------------------- 4. drain

test_drain()
{
	local f

	lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs2]}" weight 0
	ok $? "lbctl backend set ... ${RS_IP[rs2]} weight 0"
	is "$(backends_state)" "10.100.0.11=up 10.100.0.12=drain 10.100.0.13=up" \
		"backend list shows rs2 draining"
	hold_wait "$HOLD"
	check "weight 0: established connections to rs2 keep working" \
		hold_alive "$HOLD" rs2 || diag "$(hold_report "$HOLD")"
	f=$(tmpdir)/drain.txt
	requests "$N_SMALL" "$f"
	all_succeeded "$f" "$N_SMALL" "weight 0: $N_SMALL new connections all succeed"
	is "$(count rs2 "$f")" 0 "weight 0: no new connection reaches rs2" ||
		diag_lines "$(reused_ports rs2 "$f" | head -10)"
	note "while rs2 drains: $(counts "$f")"
	reuse_check rs2 "weight 0"
	hold_wait "$HOLD"
	check "weight 0: established connections to rs2 still work after new traffic" \
		hold_alive "$HOLD" rs2 || diag "$(hold_report "$HOLD")"
	check "established connections to rs1 still work" \
		hold_alive "$HOLD" rs1 || diag "$(hold_report "$HOLD")"
	kill "$TCP_HOLD_PID" 2>/dev/null
	wait "$TCP_HOLD_PID" 2>/dev/null

	lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs2]}" weight 1
	ok $? "lbctl backend set ... ${RS_IP[rs2]} weight 1 (undrain)"
}

# ---------------------------------------------------------------- 6. listings

# json_cmd NAME ARGS...: lbctl ARGS exits 0 and prints one JSON document.
json_cmd()
{
	local name=$1 out rc; shift
	out=$(lbctl_in lb "$@" 2>"$(tmpdir)/json.err"); rc=$?
	is "$rc" 0 "lbctl $* exits 0" || diag_lines "$(cat "$(tmpdir)/json.err")"
	json_ok <<<"$out"
	ok $? "lbctl $* is valid JSON" || diag_lines "$out"
	printf '%s' "$out" >"$(tmpdir)/$name.json"
}

# jq_py_str DOC EXPR: evaluate a python expression over the document d.
jq_py_str()
{
	"$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>&1
}

# jq_py NAME EXPR: evaluate a python expression over the saved document d.
jq_py()
{
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$(tmpdir)/$1.json" "$2" 2>&1
}

test_listings()
{
	local out rc s tf

	json_cmd vips vip list -j
	json_cmd vips_g -j vip list
	json_cmd backends backend list -j
	json_cmd stats stats -j
	json_cmd stats_if stats eth0 -j
	json_cmd vips_if vip list eth0 -j
	json_cmd backends_if backend list "$VIP" "$PORT" tcp eth0 -j
	json_cmd status status -j
	json_cmd list list -j
	is "$(jq_py vips '[(v["vip"], v["port"], v["proto"], v["active"]) for v in d]')" \
		"[('$VIP', 80, 'tcp', True)]" "vip list -j: the one service, active"
	is "$(jq_py backends 'sorted((b["backend"], b["weight"], b["state"]) for b in d)')" \
		"[('10.100.0.11', 1, 'up'), ('10.100.0.12', 1, 'up'), ('10.100.0.13', 1, 'up')]" \
		"backend list -j: the three servers, weight 1, up"
	is "$(jq_py status '(d["interface"], d["running"], d["xdp_attached"])')" \
		"('eth0', True, True)" "status -j: eth0, controller running, XDP attached"
	is "$(jq_py stats 'all(b["packets"] > 0 for b in d["backends"]) and len(d["backends"]) == 3')" \
		True "stats -j: every backend has forwarded packets"
	is "$(jq_py list '[(s["vip"], s["port"], s["proto"], s["sched"], s["active"], sorted((b["backend"], b["forward"], b["weight"], b["state"], b["packets"] > 0) for b in s["backends"])) for s in d["services"]]')" \
		"[('$VIP', 80, 'tcp', 'mh', True, [('10.100.0.11', 'route', 1, 'up', True), ('10.100.0.12', 'route', 1, 'up', True), ('10.100.0.13', 'route', 1, 'up', True)])]" \
		"list -j: the service, its three servers routed, up, forwarding"

	out=$(lbctl_in lb list 2>&1); rc=$?
	is "$rc" 0 "lbctl list exits 0"
	note "lbctl list:"; while IFS= read -r s; do note "  $s"; done <<<"$out"
	grep -q '^Prot LocalAddress:Port Scheduler Flags' <<<"$out"
	ok $? "lbctl list: ipvsadm's header line"
	grep -q -- '->  *RemoteAddress:Port  *Forward  *Weight  *ActiveConn  *InActConn' <<<"$out"
	ok $? "lbctl list: ipvsadm's column header"
	grep -qE "^TCP +$VIP:$PORT +" <<<"$out"
	ok $? "lbctl list: the service line TCP $VIP:$PORT"
	for s in rs1 rs2 rs3; do
		grep -qE "^  -> ${RS_IP[$s]}:$PORT +Route +1 " <<<"$out"
		ok $? "lbctl list: -> ${RS_IP[$s]}:$PORT Route 1"
	done

	tf=$(tmpdir)/textfile/lbctl.prom
	mkdir -p "${tf%/*}"
	out=$(lbctl_in lb stats --textfile "$tf" 2>&1); rc=$?
	is "$rc" 0 "lbctl stats --textfile exits 0" || diag_lines "$out"
	test -s "$tf"
	ok $? "lbctl stats --textfile wrote the file"
	is "$(ls "${tf%/*}")" lbctl.prom "no temp file left next to it"
	out=$(prom_check --ungrouped-ok "$tf" lbctl_backend_packets_total:backend \
		lbctl_service_packets_total:vip lbctl_service_packets_total:port \
		lbctl_service_packets_total:proto 2>&1)
	ok $? "the textfile parses as Prometheus text (HELP/TYPE, _total, labels, backend label)" ||
		diag_lines "$out"
	out=$(prom_check "$tf" 2>&1)
	ok $? "the textfile keeps each metric family's lines in one group, as the format requires" ||
		diag_lines "$out"
}

# ---------------------------------------------------------------- 7. bad commands

test_bad_commands()
{
	local snap
	snap=$(snapshot)
	is "$(grep -c '^vip ' <<<"$snap") $(grep -c '^backend ' <<<"$snap")" "1 3" \
		"the snapshot that bad commands are compared against holds 1 service and 3 backends" ||
		diag_lines "$snap"
	failed_cmd "VIP that does not exist" backend add 10.100.0.200 "$PORT" tcp 10.100.0.14
	failed_cmd "service port that does not exist" backend add "$VIP" 81 tcp 10.100.0.14
	failed_cmd "service that exists already" vip add "$VIP" "$PORT" tcp
	failed_cmd "backend that is already in the service" backend add "$VIP" "$PORT" tcp 10.100.0.11
	failed_cmd "backend that is not in the service" backend del "$VIP" "$PORT" tcp 10.100.0.99
	failed_cmd "backend with no route to it" backend add "$VIP" "$PORT" tcp 10.200.0.5
	like "$(cat "$(tmpdir)/bad.err")" "this node has no route to it" \
		"bad command: the unroutable backend's message says why"
	ip -n "$(ns lb)" route add 10.201.0.0/24 via "${RS_IP[rs1]}"
	ok $? "a route to 10.201.0.0/24 through rs1"
	failed_cmd "backend behind a gateway" backend add "$VIP" "$PORT" tcp 10.201.0.5
	like "$(cat "$(tmpdir)/bad.err")" "it is reached through a gateway" \
		"bad command: the routed backend's message says why"
	ip -n "$(ns lb)" route del 10.201.0.0/24
	bad_cmd "persistence and timeout together" vip add 10.100.0.201 "$PORT" tcp persistence 60 timeout 30
	bad_cmd "an option given twice" vip add 10.100.0.201 "$PORT" tcp sched sh sched mh
	bad_cmd "weight given twice" backend add "$VIP" "$PORT" tcp 10.100.0.14 weight 1 weight 2
	bad_cmd "bad backend address" backend add "$VIP" "$PORT" tcp 10.0.0.300
	bad_cmd "backend port differs from the service's" backend add "$VIP" "$PORT" tcp 10.100.0.14:8080
	bad_cmd "weight 70000" backend add "$VIP" "$PORT" tcp 10.100.0.14 weight 70000
	bad_cmd "weight -1" backend add "$VIP" "$PORT" tcp 10.100.0.14 weight -1
	bad_cmd "set weight 70000" backend set "$VIP" "$PORT" tcp 10.100.0.11 weight 70000
	bad_cmd "set weight -1" backend set "$VIP" "$PORT" tcp 10.100.0.11 weight -1
	bad_cmd "bad protocol" backend add "$VIP" "$PORT" sctp 10.100.0.14
	bad_cmd "bad VIP address" vip add 10.100.0.300 "$PORT" tcp
	bad_cmd "unknown object" frobnicate list
	bad_cmd "unknown verb" backend frobnicate
	bad_cmd "missing ADDR" backend add "$VIP" "$PORT" tcp
	bad_cmd "missing weight" backend set "$VIP" "$PORT" tcp 10.100.0.11
	bad_cmd "missing weight value" backend set "$VIP" "$PORT" tcp 10.100.0.11 weight
	bad_cmd "missing PORT and protocol" vip add "$VIP"
	bad_cmd "backend 0.0.0.0" backend add "$VIP" "$PORT" tcp 0.0.0.0
	bad_cmd "loopback backend" backend add "$VIP" "$PORT" tcp 127.0.0.1
	bad_cmd "multicast backend" backend add "$VIP" "$PORT" tcp 224.0.0.1
	bad_cmd "broadcast backend" backend add "$VIP" "$PORT" tcp 255.255.255.255
	bad_cmd "backend that is the VIP" backend add "$VIP" "$PORT" tcp "$VIP"
	bad_cmd "backend that is the balancer itself" backend add "$VIP" "$PORT" tcp "$LB_IP"
	bad_cmd "VIP 0.0.0.0" vip add 0.0.0.0 "$PORT" tcp
	bad_cmd "broadcast VIP" vip add 255.255.255.255 "$PORT" tcp
	bad_cmd "multicast VIP" vip add 224.0.0.1 "$PORT" tcp
	bad_cmd "vip add option without value" vip add 10.100.0.101 "$PORT" tcp sched
	bad_cmd "backend dev without value" backend add "$VIP" "$PORT" tcp 10.100.0.14 dev
	bad_cmd "interface name with a slash" list ../eth0
	bad_cmd "reload with an extra argument" reload eth0 extra
	bad_cmd "--bpffs without a value" --bpffs
	bad_cmd "no object" -j
	bad_cmd "verb missing" vip
	bad_cmd "the subnet's broadcast address as a backend" backend add "$VIP" "$PORT" tcp 10.100.0.255
	bad_cmd "up on loopback" up lo
}

# help_cmd ARGS...: lbctl ARGS prints the grammar on stdout and exits 0.
help_cmd()
{
	local out rc
	out=$(lbctl_in lb "$@" 2>/dev/null); rc=$?
	is "$rc" 0 "lbctl $* exits 0"
	grep -q "^Usage: lbctl " <<<"$out"
	ok $? "lbctl $* prints the grammar on stdout" || diag_lines "$out"
}

test_help()
{
	local o out
	help_cmd help
	for o in up down reload check-config vip backend list status stats; do
		help_cmd "$o" help
	done
	help_cmd backend --help
	out=$(lbctl_in lb -j backend 2>/dev/null)
	is "$(json_ok <<<"$out" && jq_py_str "$out" 'd["error"]')" \
		"backend needs a command (try 'lbctl backend help')" \
		"-j and a usage error: the error is a JSON document on stdout"
}

# ---------------------------------------------------------------- 7b. concurrent writers

# Two shells add ten backends each to one service while a third keeps
# changing a weight in another: with the pin-directory lock no update is
# lost, and the Maglev table holds all twenty (each gets some of 400 new
# SYNs). The twenty addresses live on rs1, which refuses port 8080: every
# SYN still reaches XDP and is counted for the backend it was sent to (as a
# packet: a flow that never completes its handshake is no new flow).
C_PORT=8080
test_concurrent()
{
	local a rc_a rc_b rc_c want got out i
	for a in $(seq 21 40); do
		ip -n "$(ns rs1)" addr add "10.100.0.$a/24" dev eth0 || bail "cannot add 10.100.0.$a to rs1"
	done
	lbctl_in lb vip add "$VIP" "$C_PORT" tcp
	ok $? "concurrent: vip add $VIP $C_PORT tcp"
	adder() { local a; for a in $(seq "$1" "$2"); do
		lbctl_in lb backend add "$VIP" "$C_PORT" tcp "10.100.0.$a" weight "$a" || return 1
	done; }
	setter() { local i; for i in $(seq 1 30); do
		lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs1]}" weight $((i % 4 + 1)) || return 1
	done; }
	adder 21 30 & rc_a=$!
	adder 31 40 & rc_b=$!
	setter & rc_c=$!
	wait "$rc_a"; rc_a=$?
	wait "$rc_b"; rc_b=$?
	wait "$rc_c"; rc_c=$?
	is "$rc_a $rc_b $rc_c" "0 0 0" "concurrent: two shells adding and one setting weights all succeed"
	want=$(for a in $(seq 21 40); do echo "10.100.0.$a $a"; done | sort)
	got=$(lbctl_in lb -j backend list "$VIP" "$C_PORT" tcp | "$PY" -c '
import json, sys
for b in json.load(sys.stdin):
    print(b["backend"], b["weight"])' | sort)
	is "$got" "$want" "concurrent: all twenty backends are there, each with its weight" ||
		diag_lines "$(diff <(echo "$want") <(echo "$got"))"
	is "$(lbctl_in lb -j backend list "$VIP" "$PORT" tcp | "$PY" -c '
import json, sys
print([b["weight"] for b in json.load(sys.stdin) if b["backend"] == sys.argv[1]])' "${RS_IP[rs1]}")" \
		"[3]" "concurrent: the weight set last (3) is the one kept"
	wait_until 10 eval '[ "$(lbctl_in lb -j backend list "$VIP" "$C_PORT" tcp | "$PY" -c "
import json, sys
print(sum(b[\"state\"] == \"up\" for b in json.load(sys.stdin)))")" = 20 ]'
	ok $? "concurrent: all twenty resolved and up"
	nsx client "$PY" -c '
import socket, sys
for i in range(400):
    s = socket.socket(); s.settimeout(1)
    try: s.connect((sys.argv[1], int(sys.argv[2])))
    except OSError: pass
    s.close()' "$VIP" "$C_PORT"
	out=$(lbctl_in lb -j stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(b["backend"] for b in d["backends"]
               if b["port"] == int(sys.argv[1]) and b["packets"] == 0))' "$C_PORT")
	is "$out" "" "concurrent: 400 SYNs reach every one of the twenty (the Maglev table has them all)" ||
		diag_lines "$(lbctl_in lb stats 2>&1)"
	lbctl_in lb backend set "$VIP" "$PORT" tcp "${RS_IP[rs1]}" weight 1 &&
		lbctl_in lb vip del "$VIP" "$C_PORT" tcp
	ok $? "concurrent: the test service removed, rs1 back to weight 1"
}

# ---------------------------------------------------------------- 7c. MACs

# A backend with no neighbour entry is unresolved and gets no traffic; when
# the host appears it comes up by itself; when another host takes its
# address (a server replaced) and announces it, traffic follows the new MAC.
VIP2=10.100.0.101
NEW_RS=10.100.0.50
state_of() # ADDR: the state of backend ADDR of $VIP2:$PORT
{
	lbctl_in lb -j backend list "$VIP2" "$PORT" tcp 2>/dev/null | "$PY" -c '
import json, sys
print(" ".join(b["state"] + " " + (b["mac"] or "-") for b in json.load(sys.stdin)
               if b["backend"] == sys.argv[1]))' "$1"
}
test_mac()
{
	local out rc f n
	ip -n "$(ns lb)" addr add "$VIP2/32" dev eth0 &&
		ip -n "$(ns rs2)" addr add "$VIP2/32" dev lo &&
		ip -n "$(ns rs3)" addr add "$VIP2/32" dev lo &&
		lbctl_in lb vip add "$VIP2" "$PORT" tcp
	ok $? "mac: a second service $VIP2:$PORT, its VIP on the balancer and on rs2 and rs3"
	out=$(lbctl_in lb backend add "$VIP2" "$PORT" tcp "$NEW_RS" 2>&1); rc=$?
	is "$rc" 0 "mac: backend add of $NEW_RS, which no host has yet, succeeds" || diag_lines "$out"
	is "$(state_of "$NEW_RS")" "unresolved -" "mac: $NEW_RS is shown as unresolved, no MAC"
	f=$(tmpdir)/mac0.txt
	http_fresh client 20 "$VIP2" "$PORT" --timeout 0.5 >"$f" 2>&1
	is "$(count FAIL "$f")" 20 "mac: all 20 requests to $VIP2 fail while its only server is unresolved" ||
		diag_lines "$(counts "$f")"

	ip -n "$(ns rs2)" addr add "$NEW_RS/24" dev eth0
	wait_until 10 eval '[ "$(state_of "$NEW_RS")" = "up $(mac_of rs2)" ]'
	ok $? "mac: once rs2 takes $NEW_RS it comes up with rs2's MAC, by itself" ||
		diag "state: $(state_of "$NEW_RS")"
	f=$(tmpdir)/mac1.txt
	http_fresh client 20 "$VIP2" "$PORT" >"$f"
	is "$(count rs2 "$f")" 20 "mac: all 20 requests to $VIP2 are answered by rs2" ||
		diag_lines "$(counts "$f")"

	ip -n "$(ns rs2)" addr del "$NEW_RS/24" dev eth0 &&
		ip -n "$(ns rs3)" addr add "$NEW_RS/24" dev eth0 && garp rs3 "$NEW_RS"
	ok $? "mac: $NEW_RS moved from rs2 to rs3, which announces it"
	wait_until 10 eval '[ "$(state_of "$NEW_RS")" = "up $(mac_of rs3)" ]'
	ok $? "mac: the balancer picks up rs3's MAC for $NEW_RS" ||
		diag "state: $(state_of "$NEW_RS")"
	f=$(tmpdir)/mac2.txt
	http_fresh client 20 "$VIP2" "$PORT" >"$f"
	is "$(count rs3 "$f")" 20 "mac: all 20 requests to $VIP2 are now answered by rs3" ||
		diag_lines "$(counts "$f")"

	# Known MACs are re-probed every 10 s; an operator's static entry
	# must come out of that as it went in.
	ip -n "$(ns lb)" neigh replace "$NEW_RS" lladdr "$(mac_of rs3)" dev eth0 nud permanent
	ok $? "mac: $NEW_RS pinned to rs3's MAC with a permanent neighbour entry"
	! wait_until 12 eval '! ip -n "$(ns lb)" neigh show "$NEW_RS" dev eth0 | grep -q PERMANENT'
	ok $? "mac: the permanent entry is still permanent after 12 s (a re-probe round)" ||
		diag "$(ip -n "$(ns lb)" neigh show "$NEW_RS" dev eth0)"
	is "$(state_of "$NEW_RS")" "up $(mac_of rs3)" "mac: $NEW_RS is still up with the pinned MAC"
	# A static entry with a MAC no server has (broadcast): the backend
	# loses its MAC, gets no traffic, and lbctl's probes of unknown MACs
	# (every second) leave the operator's entry alone.
	ip -n "$(ns lb)" neigh replace "$NEW_RS" lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent
	wait_until 5 eval '[ "$(state_of "$NEW_RS")" = "unresolved -" ]'
	ok $? "mac: $NEW_RS pinned to the broadcast MAC is unresolved" || diag "state: $(state_of "$NEW_RS")"
	! wait_until 3 eval '! ip -n "$(ns lb)" neigh show "$NEW_RS" dev eth0 | grep -q "ff:ff:ff:ff:ff:ff PERMANENT"'
	ok $? "mac: the broadcast entry is left as the operator set it after 3 s of probes" ||
		diag "$(ip -n "$(ns lb)" neigh show "$NEW_RS" dev eth0)"
	f=$(tmpdir)/mac3.txt
	http_fresh client 10 "$VIP2" "$PORT" --timeout 0.5 >"$f" 2>&1
	is "$(count FAIL "$f")" 10 "mac: all 10 requests to $VIP2 fail meanwhile (its only server has no usable MAC)" ||
		diag_lines "$(counts "$f")"
	ip -n "$(ns lb)" neigh del "$NEW_RS" dev eth0
	lbctl_in lb vip del "$VIP2" "$PORT" tcp &&
		ip -n "$(ns lb)" addr del "$VIP2/32" dev eth0
	ok $? "mac: the second service removed"
}

# ---------------------------------------------------------------- 8. down

test_down()
{
	local out rc pid=$1

	out=$(lbctl_in lb down eth0 2>&1); rc=$?
	is "$rc" 0 "lbctl down eth0 exits 0" || diag_lines "$out"
	no_xdp lb
	ok $? "after down: no XDP program on eth0 (ip link show)" ||
		diag_lines "$(ip -n "$(ns lb)" link show dev eth0)"
	nothing_left "after down"
	if [ -n "$pid" ]; then
		wait_until 5 eval "! pid_alive $pid"
		ok $? "after down: the controller (pid $pid) has exited"
	fi
}

# ---------------------------------------------------------------- foreground

test_foreground()
{
	local pid rc log f
	log=$(tmpdir)/fg.log

	lbctl_in lb up eth0 -f >"$log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_until 10 has_xdp lb
	ok $? "lbctl up eth0 -f: XDP attached while it runs in the foreground" ||
		diag_lines "$(cat "$log")"
	pid_alive "$pid"
	ok $? "lbctl up -f stays in the foreground (pid $pid still running)"
	like "$(cat "$log")" "(native|generic)" "lbctl up -f says which XDP mode it used"
	lbctl_in lb vip add "$VIP" "$PORT" tcp &&
		lbctl_in lb backend add "$VIP" "$PORT" tcp "${RS_IP[rs1]}" &&
		lbctl_in lb backend add "$VIP" "$PORT" tcp "${RS_IP[rs2]}"
	ok $? "under lbctl up -f: vip add and backend add work"
	wait_until 10 eval '[ "$(backends_state)" = "10.100.0.11=up 10.100.0.12=up" ]'
	f=$(tmpdir)/fg.txt
	requests 50 "$f"
	all_succeeded "$f" 50 "under lbctl up -f: 50 requests through the VIP succeed"
	like "$(nsx client curl -s --max-time 2 "http://$VIP/")" '^rs[12]$' \
		"under lbctl up -f: curl through the VIP works"
	test_down "$pid"
	wait_until 5 eval "! pid_alive $pid"
	wait "$pid"; rc=$?
	is "$rc" 0 "lbctl up -f exits 0 after lbctl down" || diag_lines "$(cat "$log")"
}

# ---------------------------------------------------------------- 9. crash

test_crash()
{
	local out rc pid

	out=$(lbctl_in lb up eth0 2>&1); rc=$?
	is "$rc" 0 "lbctl up eth0 before the crash" || diag_lines "$out"
	lbctl_in lb vip add "$VIP" "$PORT" tcp &&
		lbctl_in lb backend add "$VIP" "$PORT" tcp "${RS_IP[rs1]}"
	ok $? "services added before the crash"
	pid=$(controller_pid)
	[ -n "$pid" ] && has_xdp lb
	ok $? "controller (pid ${pid:-none}) running with XDP attached"
	[ -n "$pid" ] && kill -9 "$pid"
	wait_until 5 no_xdp lb
	ok $? "after kill -9 of the controller: no XDP program on eth0" ||
		diag_lines "$(ip -n "$(ns lb)" link show dev eth0)"
	self_ok "after the controller was killed"

	out=$(lbctl_in lb up eth0 2>&1); rc=$?
	is "$rc" 0 "lbctl up eth0 after the crash succeeds" ||
		{ diag_lines "$out"; diag_lines "$(cat "${LB_RUNDIR[lb]}/eth0/log" 2>/dev/null)"; }
	like "$out" "XDP attached in (native|generic) mode" "lbctl up after the crash attaches XDP"
	has_xdp lb
	ok $? "after the restart: XDP on eth0"
	note "status after restart: $(lbctl_in lb status 2>&1 | head -5 | tr '\n' '|')"
	test_down "$(controller_pid)"
}

# ---------------------------------------------------------------- 10. busy interface

# Static mode promises forwarding at once: when another XDP program holds
# eth0, up fails with the reason and leaves nothing running or pinned.
test_busy()
{
	local out rc
	attach_xdp_pass "$(ns lb)" eth0
	out=$(lbctl_in lb up eth0 2>&1); rc=$?
	is "$rc" 1 "up with another XDP program on eth0 fails with exit status 1" ||
		diag_lines "$out"
	like "$out" "cannot attach XDP program: .*another XDP program is attached" \
		"up says why (another XDP program is attached)"
	is "$(controller_pid)" "" "no controller left running"
	like "$out" "\(log: .*/eth0/log\)$" "up names the log it kept, on the same line"
	is "$(left_behind lb | grep -v "/run/eth0")" "" "nothing left in bpffs after the failed up"
	rm -rf "${LB_RUNDIR[lb]}/eth0"
	is "$(xdp_prog_on lb)" xdp_pass "the other program is left alone"
	ip -n "$(ns lb)" link set dev eth0 xdpdrv off
}

# ---------------------------------------------------------------- run

test_up
PING_LOG=$(tmpdir)/ping.log
nsx_bg client "$PING_LOG" ping -i 0.2 -q "$LB_IP"
PING_PID=$BG_PID
self_ok "after lbctl up"
test_balance
self_ok "after balancing traffic"
test_del
self_ok "after backend del"
test_drain
self_ok "after weight 0"
test_listings
test_bad_commands
test_help
test_concurrent
test_mac
kill -INT "$PING_PID"
wait_until 5 eval "! pid_alive $PING_PID" || kill "$PING_PID"
wait "$PING_PID"
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$PING_LOG")
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$PING_LOG")
[ -n "$tx" ] && [ -n "$rx" ] && [ "$tx" -gt 10 ] && [ $((tx - rx)) -le 1 ]
ok $? "a ping to the balancer every 0.2 s while it ran lost nothing (sent ${tx:-?}, got ${rx:-?})" ||
	diag_lines "$(cat "$PING_LOG")"
test_down "$(controller_pid)"
self_ok "after lbctl down"
test_foreground
test_crash
test_busy
self_ok "at the end"
note "took $((SECONDS - T0)) s"
done_testing
