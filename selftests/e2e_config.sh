#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, configuration and reload (issue 5).
#
#  1. `lbctl check-config` accepts every example in configs/ (and there must
#     be some) and refuses bad files with FILE:LINE messages: an unknown
#     keyword, lb_kind NAT, lvs_method TUN, a real_server port that differs
#     from the virtual_server's.
#  2. `lbctl up -c BADFILE` refuses to start and leaves nothing behind: no
#     pins, no run dir files, no XDP program, no process.
#  3. Reload, in a namespace topology (static mode):
#
#            bridge (own namespace, xdp_pass on every port)
#      ┌──────────┬───────────┬────────────┬────────────┬────────────┐
#   client       lb          rs1          rs2          rs3          rs4
#  10.102.0.1  10.102.0.2  10.102.0.11  10.102.0.12  10.102.0.13  10.102.0.14
#              +VIP on eth0  VIP 10.102.0.100 on lo, selftests/httpd.py on
#                            ports 80 and 8080 answering its own name
#
#     a. up with VIP:80 -> rs1 rs2 rs3; tcp_hold.py holds keep-alive
#        connections to each of them
#     b. add rs4 to VIP:80 and a second virtual_server VIP:8080, reload:
#        both appear and carry traffic, every held connection still works,
#        the unchanged backends' counters and health state did not reset
#     c. reload a file with an error: refused, logged, services unchanged,
#        connections unaffected
#     d. remove rs3 from VIP:80, reload: it is gone from VIP:80 and gets no
#        new request; its held connections break, and only those
#     e. reload a virtual_server_group of VIP:80 and VIP:8080 sharing one
#        block of real servers: both services exist and carry traffic
#
# Run as root: bash selftests/e2e_config.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/health_lib.sh"

VIP=10.102.0.100
LB_IP=10.102.0.2
CLIENT_IP=10.102.0.1
declare -A RS_IP=([rs1]=10.102.0.11 [rs2]=10.102.0.12 [rs3]=10.102.0.13 [rs4]=10.102.0.14)
CONFIGS_DIR=$TOP/configs

# ---------------------------------------------------------------- helpers

# check_config_ok FILE: check-config exits 0.
check_config_ok()
{
	local f=$1 out rc
	out=$("$LBCTL" check-config "$f" 2>&1); rc=$?
	is "$rc" 0 "check-config ${f#"$TOP"/}: exit status 0" || diag_lines "$out"
	note "check-config ${f#"$TOP"/}: $(tail -1 <<<"$out")"
	out=$("$LBCTL" -j check-config "$f" 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(d["ok"], d["virtual_servers"] >= 0, d["warnings"] >= 0)' 2>&1)
	is "$out" "True True True" "check-config -j ${f#"$TOP"/}: one JSON object, ok" ||
		diag_lines "$out"
}

# check_config_bad NAME FILE LINE REGEX: check-config exits 1 and stderr has
# a line "FILE:LINE: MESSAGE" with MESSAGE matching REGEX; nothing on stdout.
check_config_bad()
{
	local name=$1 f=$2 line=$3 re=$4 out err rc
	out=$("$LBCTL" check-config "$f" 2>"$(tmpdir)/cc.err"); rc=$?
	err=$(cat "$(tmpdir)/cc.err")
	is "$rc" 1 "check-config, $name: exit status 1" || diag_lines "$err"
	grep -E -- "^$(re_quote "$f"):$line: $re\$" <<<"$err" >/dev/null
	ok $? "check-config, $name: stderr says '$f:$line: $re'" || diag_lines "$err"
	note "check-config, $name: $(head -1 <<<"$err")"
	is "$out" "" "check-config, $name: nothing on stdout"
}

# re_quote STR: STR with ERE metacharacters escaped.
re_quote()
{
	# shellcheck disable=SC2001
	sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"
}

# vs_block PORT RS...: a virtual_server VIP PORT block with a TCP_CHECK real
# server for each name in RS (each checked on its own address and PORT).
vs_block()
{
	local port=$1 s; shift
	cat <<EOF
virtual_server $VIP $port {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
EOF
	for s in "$@"; do
		cat <<EOF
    real_server ${RS_IP[$s]} $port {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
	done
	echo "}"
}

# write_conf FILE [EXTRA_LINE] -- PORT:RS,RS,... ...: a config of one
# virtual_server per PORT:RS list; EXTRA_LINE (if not empty) is inserted in
# the first real_server block (to make a bad file).
write_conf()
{
	local f=$1 extra=$2 spec; shift 2
	{
		echo "! written by e2e_config.sh"
		echo "global_defs {"
		echo "    router_id lbt-config"
		[ -z "${GLOBAL_EXTRA:-}" ] || echo "    $GLOBAL_EXTRA"
		echo "}"
		for spec in "$@"; do
			# shellcheck disable=SC2046
			vs_block "${spec%%:*}" $(tr , ' ' <<<"${spec#*:}")
		done
	} >"$f.tmp"
	if [ -n "$extra" ]; then
		awk -v x="$extra" '{ print } /real_server/ && !done { print "        " x; done = 1 }' \
			"$f.tmp" >"$f"
		rm -f "$f.tmp"
	else
		mv "$f.tmp" "$f"
	fi
}

# services: the services and their backends from status -j, one line each,
# sorted: "VIP:PORT/proto active=B ADDR=STATE/WEIGHT ...".
services()
{
	jq_status "'\n'.join(sorted('%s:%s/%s active=%s %s' % (s['vip'], s['port'], s['proto'], s['active'], ' '.join(sorted('%s=%s/%s' % (b['backend'], b['state'], b['weight']) for b in s['backends']))) for s in d['services']))"
}

# timeouts PORT: TIMEOUTS="timeout_s fin_timeout_s" of $VIP:PORT/tcp in
# `lbctl vip list -j`.
timeouts()
{
	TIMEOUTS=$(lbctl_in lb vip list -j 2>/dev/null |
		jpy "' '.join('%d %d' % (s['timeout_s'], s['fin_timeout_s']) for s in d if s['vip'] == '$VIP' and s['port'] == $1)")
}

# listed PORT ADDR: `lbctl backend list -j` lists ADDR in $VIP:PORT.
listed()
{
	[ "$(lbctl_in lb backend list -j 2>/dev/null |
		jpy "any(b['vip'] == '$VIP' and b['port'] == $1 and b['backend'] == '$2' for b in d)")" = True ]
}

# all_checked_up PORT ADDR...: each ADDR in $VIP:PORT has been checked and
# is up (status -j health and service state).
all_checked_up()
{
	local port=$1 a; shift
	for a in "$@"; do
		[ "$(jq_status "[h['last_check'] > 0 and h['up'] for h in d['controller']['health'] if h['backend'] == '$a:$port'] == [True]")" = True ] ||
			return 1
		svc_is "$a" up "$port" || return 1
	done
}

# health_of PORT ADDR FIELD: FIELD of ADDR:PORT in status -j health.
health_of()
{
	jq_status "([h['$3'] for h in d['controller']['health'] if h['backend'] == '$2:$1'] + ['none'])[0]"
}

# ---------------------------------------------------------------- 1. check-config

need_root
need_cmd ip curl ethtool timeout find "$PY"
need_file "$LBCTL" "lbctl (make builds it)"
T0=$SECONDS

test_examples()
{
	local f n=0
	for f in "$CONFIGS_DIR"/*.conf; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		check_config_ok "$f"
	done
	[ "$n" -gt 0 ]
	ok $? "configs/ holds example configs ($n found)" ||
		diag "no $CONFIGS_DIR/*.conf: the examples issue 5 asks for are missing"
	"$LBCTL" check-config -c "$f" >/dev/null 2>&1
	ok $? "check-config -c FILE, as up takes the file, works too"
}

test_bad_files()
{
	local d f
	d=$(tmpdir)/bad
	mkdir -p "$d"

	f=$d/unknown.conf
	cat >"$f" <<'EOF'
! line 1
virtual_server 10.0.0.100 80 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 80 {
        foo 3
        weight 1
    }
}
EOF
	check_config_bad "unknown keyword" "$f" 7 "unknown keyword 'foo' in real_server"

	f=$d/nat.conf
	cat >"$f" <<'EOF'
virtual_server 10.0.0.100 80 {
    delay_loop 1
    lb_algo rr

    lb_kind NAT
    protocol TCP
    real_server 10.0.0.11 80 {
        weight 1
    }
}
EOF
	check_config_bad "lb_kind NAT" "$f" 5 ".*NAT.*"

	f=$d/tun.conf
	cat >"$f" <<'EOF'
virtual_server 10.0.0.100 80 { lvs_method TUN
    protocol TCP
    real_server 10.0.0.11 80 {
        weight 1
    }
}
EOF
	check_config_bad "lvs_method TUN" "$f" 1 ".*TUN.*"

	f=$d/port.conf
	cat >"$f" <<'EOF'
virtual_server 10.0.0.100 80 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 80 {
        weight 1
    }

    real_server 10.0.0.12 8080 {
        weight 1
    }
}
EOF
	check_config_bad "real_server port 8080 in a port-80 virtual_server" "$f" 9 ".*8080.*"
}

test_examples
test_bad_files

# ---------------------------------------------------------------- topology

mk_bridge
mk_host client "$CLIENT_IP/24"
mk_lbnode lb "$LB_IP/24"
for s in rs1 rs2 rs3 rs4; do
	mk_hserver "$s" "${RS_IP[$s]}" "$VIP"
	httpd_start "$s" 8080 || bail "httpd.py on $s:8080 did not start"
done
# Static mode: the operator owns the VIP on the balancer's interface.
ip -n "$(ns lb)" addr add "$VIP/32" dev eth0 || bail "cannot add the VIP to the balancer"
CONF=$(tmpdir)/lb.conf
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir))"

# ---------------------------------------------------------------- 2. up refuses

# left_behind: the node's bpffs and run dir entries, less the bpffs's own
# maps.debug and progs.debug (the kernel puts them in every bpffs mount).
left_behind()
{
	# the log outlives lbctl down, and so does the directory that holds it
	find "${LB_BPFFS[lb]}" "${LB_RUNDIR[lb]}" -mindepth 1 2>/dev/null |
		grep -vxE "$(re_quote "${LB_BPFFS[lb]}")/(maps|progs)\.debug|$(re_quote "${LB_RUNDIR[lb]}")/eth0(/log)?"
}

test_up_bad()
{
	local out rc left procs bad
	bad=$(tmpdir)/up-bad.conf
	write_conf "$bad" "weight_typo 2" 80:rs1,rs2,rs3

	out=$(lbctl_in lb up eth0 -c "$bad" 2>&1); rc=$?
	is "$rc" 1 "lbctl up -c BADFILE: exit status 1" || diag_lines "$out"
	like "$out" "$(re_quote "$bad"):[0-9]+: unknown keyword 'weight_typo' in real_server" \
		"lbctl up -c BADFILE: says which line is wrong"
	note "lbctl up -c BADFILE: $(tr '\n' '|' <<<"$out")"
	is "$(xdp_prog_on lb)" "" "lbctl up -c BADFILE: no XDP program on eth0" ||
		diag_lines "$(ip -n "$(ns lb)" link show dev eth0)"
	left=$(left_behind)
	is "$left" "" "lbctl up -c BADFILE: no pins and nothing in the run dir"
	procs=$(pids_in_netns "$(ns lb)")
	is "$procs" "" "lbctl up -c BADFILE: no process left in the balancer's namespace" ||
		diag_lines "$(ps -o pid,args -p "${procs//$'\n'/,}" 2>/dev/null)"
	out=$(lbctl_in lb status -j 2>&1)
	note "status -j after the refused up: $(tr '\n' '|' <<<"$out")"
}

# ---------------------------------------------------------------- 3. reload

HOLD=

test_reload_start()
{
	local out rc f s
	write_conf "$CONF" "" 80:rs1,rs2,rs3
	out=$(lbctl_in lb up eth0 -c "$CONF" 2>&1); rc=$?
	is "$rc" 0 "lbctl up eth0 -c (VIP:80 -> rs1 rs2 rs3) succeeds" ||
		{ diag_lines "$out"; diag_lines "$(node_log)"; bail "lbctl did not start"; }
	wait_for 10 all_checked_up 80 "${RS_IP[rs1]}" "${RS_IP[rs2]}" "${RS_IP[rs3]}"
	ok $? "the three real servers were checked and are up ($WAITED s)" || show_state

	f=$(tmpdir)/start.txt
	requests 60 "$f"
	is "$(count FAIL "$f")" 0 "before reload: 60 requests through VIP:80 succeed" ||
		diag "answers: $(counts "$f")"
	for s in rs1 rs2 rs3; do
		[ "$(count "$s" "$f")" -gt 0 ]
		ok $? "before reload: $s answers requests" || diag "answers: $(counts "$f")"
	done

	HOLD=$(tmpdir)/hold.json
	tcp_hold_start client "$HOLD" --servers rs1,rs2,rs3 --per 3 --max 80 "$VIP" 80
	wait_until 20 tcp_hold_past "$HOLD" 1
	ok $? "tcp_hold: long-lived connections are open and probed" ||
		diag_lines "$(cat "$HOLD.log" 2>/dev/null)"
	for s in rs1 rs2 rs3; do
		[ "$(conns_count "$HOLD" ok "$s")" -ge 3 ] && [ "$(conns_count "$HOLD" broken "$s")" = 0 ]
		ok $? "tcp_hold: $s holds at least 3 working connections" ||
			diag "$(conns_report "$HOLD")"
	done
	note "tcp_hold: $(conns_report "$HOLD")"
}

test_reload_add()
{
	local s a f after ca ta
	declare -A pk0 ck0 tr0

	for s in rs1 rs2 rs3; do
		a=${RS_IP[$s]}
		pk0[$s]=$(backend_packets 80 "$a")
		ck0[$s]=$(health_of 80 "$a" checks_ok)
		tr0[$s]=$(health_of 80 "$a" transitions)
	done

	timeouts 80; is "$TIMEOUTS" "0 10" "vip list -j: VIP:80's flows have no idle timeout, 10 s after a FIN (defaults)"
	GLOBAL_EXTRA="lvs_timeouts tcp 900 tcpfin 2" write_conf "$CONF" "" 80:rs1,rs2,rs3,rs4 8080:rs1,rs2,rs3
	reload_wait
	ok $? "lbctl reload (add rs4 and VIP:8080) exits 0" || diag "$RELOAD_OUT"
	grep -q 'reload: done' <<<"$RELOAD_LOG"
	ok $? "the log says the reload was applied" || diag_lines "$RELOAD_LOG"

	listed 80 "${RS_IP[rs4]}"
	ok $? "backend list -j: rs4 is in VIP:80" || diag_lines "$(lbctl_in lb backend list -j 2>&1)"
	listed 8080 "${RS_IP[rs1]}" && listed 8080 "${RS_IP[rs2]}" && listed 8080 "${RS_IP[rs3]}"
	ok $? "backend list -j: VIP:8080 with rs1 rs2 rs3" ||
		diag_lines "$(lbctl_in lb backend list -j 2>&1)"
	wait_for 10 eval "all_checked_up 80 ${RS_IP[rs4]} &&
		all_checked_up 8080 ${RS_IP[rs1]} ${RS_IP[rs2]} ${RS_IP[rs3]}"
	ok $? "status -j: rs4 in VIP:80 and VIP:8080's servers were checked and are up ($WAITED s)" ||
		show_state
	[ "$(jq_status "[s['active'] for s in d['services'] if s['vip'] == '$VIP' and s['port'] == 8080]")" = "[True]" ]
	ok $? "status -j: the new service VIP:8080 is active" || show_state
	timeouts 80; is "$TIMEOUTS" "900 2" "reload with lvs_timeouts tcp 900 tcpfin 2: VIP:80's flow timeouts follow"
	timeouts 8080; is "$TIMEOUTS" "900 2" "... and the new VIP:8080's"

	# Right after the reload: the old backends' counters went on from where
	# they were (a reset would start them from zero) and so did health.
	for s in rs1 rs2 rs3; do
		a=${RS_IP[$s]}
		after=$(backend_packets 80 "$a")
		[ "$after" -ge "${pk0[$s]}" ] 2>/dev/null && [ "${pk0[$s]}" -gt 0 ]
		ok $? "stats -j: $s's packet counter in VIP:80 did not reset (${pk0[$s]} -> $after)"
		ca=$(health_of 80 "$a" checks_ok); ta=$(health_of 80 "$a" transitions)
		[ "$ca" -ge "${ck0[$s]}" ] 2>/dev/null && [ "$ta" = "${tr0[$s]}" ]
		ok $? "status -j: $s's health state carried over (checks_ok ${ck0[$s]} -> $ca," \
			"transitions ${tr0[$s]} -> $ta)"
	done

	conns_wait "$HOLD"
	for s in rs1 rs2 rs3; do
		is "$(conns_count "$HOLD" broken "$s")" 0 \
			"after reload: every established connection to $s still works" ||
			diag_lines "$(conns_errors "$HOLD" "$s")"
	done
	note "tcp_hold after the reload: $(conns_report "$HOLD")"

	f=$(tmpdir)/add80.txt
	requests 90 "$f"
	is "$(count FAIL "$f")" 0 "after reload: 90 new requests through VIP:80 succeed" ||
		diag "answers: $(counts "$f")"
	[ "$(count rs4 "$f")" -gt 0 ]
	ok $? "after reload: the new server rs4 answers requests on VIP:80" ||
		diag "answers: $(counts "$f")"
	note "VIP:80 after the reload: $(counts "$f")"
	f=$(tmpdir)/add8080.txt
	requests 30 "$f" "$VIP" 8080
	is "$(count FAIL "$f")" 0 "after reload: 30 requests through the new VIP:8080 succeed" ||
		diag "answers: $(counts "$f")"
	is "$(count rs4 "$f")" 0 "after reload: VIP:8080 does not use rs4 (not one of its servers)"
	note "VIP:8080: $(counts "$f")"
	# Those requests closed (Connection: close, then the client's FIN):
	# InActConn, until tcpfin (2 s) of silence ends them.
	[ "$(conn_sum 8080 inactive_conn)" -ge 25 ] && [ "$(conn_sum 8080 active_conn)" = 0 ]
	ok $? "list -j: VIP:8080's 30 closed connections count as InActConn" ||
		diag_lines "$(lbctl_in lb list 2>&1)"
	wait_until 6 eval '[ "$(conn_sum 8080 inactive_conn)" = 0 ]'
	ok $? "list -j: past tcpfin (2 s, and the ~1 s last-seen granule), they are gone (not counted)" ||
		diag_lines "$(lbctl_in lb list 2>&1)"
}

# conn_sum PORT FIELD: the sum of FIELD (active_conn, inactive_conn) over
# $VIP:PORT's backends in `lbctl list -j`.
conn_sum()
{
	lbctl_in lb list -j 2>/dev/null |
		jpy "sum(b['$2'] for s in d['services'] if s['vip'] == '$VIP' and s['port'] == $1 for b in s['backends'])"
}

test_reload_bad()
{
	local before after good
	good=$(tmpdir)/good.conf
	cp "$CONF" "$good"
	before=$(services)
	write_conf "$CONF" "frobnicate yes" 80:rs1,rs2 8080:rs1,rs2,rs3
	reload_wait
	note "lbctl reload with a bad file: $RELOAD_OUT"
	grep -qE "reload rejected: .*$(re_quote "$CONF"):[0-9]+: unknown keyword 'frobnicate'" <<<"$RELOAD_OUT"
	ok $? "reload of a file with an error: lbctl reload itself names the file, line and keyword" ||
		diag_lines "$RELOAD_OUT"
	grep -qiE "has errors|reject|refus" <<<"$RELOAD_LOG"
	ok $? "reload of a file with an error: the log says the config was rejected" ||
		diag_lines "$RELOAD_LOG"
	grep -qE "$(re_quote "$CONF"):[0-9]+: unknown keyword 'frobnicate'" <<<"$RELOAD_LOG"
	ok $? "reload of a file with an error: the log names the file, line and keyword" ||
		diag_lines "$RELOAD_LOG"
	note "log: $(tr '\n' '|' <<<"$RELOAD_LOG")"
	after=$(services)
	is "$after" "$before" "reload of a file with an error: status shows the previous services unchanged"
	is "$(jq_status "d['running'] and d['xdp_attached']")" True \
		"reload of a file with an error: the controller still runs with XDP attached"
	conns_wait "$HOLD"
	is "$(conns_count "$HOLD" broken rs1 rs2 rs3)" 0 \
		"reload of a file with an error: every established connection still works" ||
		diag_lines "$(conns_errors "$HOLD" rs1 rs2 rs3)"
	cp "$good" "$CONF"
}

test_reload_remove()
{
	local f s ok3 br3
	ok3=$(conns_count "$HOLD" ok rs3)
	write_conf "$CONF" "" 80:rs1,rs2,rs4 8080:rs1,rs2,rs3
	reload_wait
	ok $? "lbctl reload (rs3 removed from VIP:80) exits 0" || diag "$RELOAD_OUT"
	grep -q 'reload: done' <<<"$RELOAD_LOG"
	ok $? "the log says the reload was applied" || diag_lines "$RELOAD_LOG"

	is "$(svc_state "${RS_IP[rs3]}" 80)" absent "status -j: rs3 is gone from VIP:80" || show_state
	! listed 80 "${RS_IP[rs3]}"
	ok $? "backend list -j: rs3 is gone from VIP:80" ||
		diag_lines "$(lbctl_in lb backend list -j 2>&1)"
	is "$(health_of 80 "${RS_IP[rs3]}" up)" none "status -j: no health check of rs3:80 any more"
	is "$(svc_state "${RS_IP[rs3]}" 8080)" up "status -j: rs3 still serves VIP:8080"

	f=$(tmpdir)/rm80.txt
	requests 60 "$f"
	is "$(count FAIL "$f")" 0 "after removing rs3: 60 new requests through VIP:80 succeed" ||
		diag "answers: $(counts "$f")"
	is "$(count rs3 "$f")" 0 "after removing rs3: no new request on VIP:80 reaches rs3" ||
		diag "answers: $(counts "$f")"
	note "VIP:80 without rs3: $(counts "$f")"

	conns_wait "$HOLD"
	conns_wait "$HOLD"
	for s in rs1 rs2; do
		is "$(conns_count "$HOLD" broken "$s")" 0 \
			"after removing rs3: every established connection to $s still works" ||
			diag_lines "$(conns_errors "$HOLD" "$s")"
	done
	br3=$(conns_count "$HOLD" broken rs3)
	is "$br3" "$ok3" "after removing rs3: its $ok3 established connections are cut (re-steered)" ||
		diag "$(conns_report "$HOLD")"
	note "tcp_hold after removing rs3: $(conns_report "$HOLD")"
	note "rs3's connections: $(conns_errors "$HOLD" rs3 | head -3 | tr '\n' '|')"
}

# One virtual_server_group for VIP:80 and VIP:8080: two services from one
# block, both checked and both carrying traffic to its two real servers.
test_reload_group()
{
	local f port s
	cat >"$CONF" <<EOF
virtual_server_group WEB {
    $VIP 80
    $VIP 8080
}
virtual_server group WEB {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    real_server ${RS_IP[rs1]} 80 {
        TCP_CHECK { connect_timeout 1 }
    }
    real_server ${RS_IP[rs2]} 80 {
        TCP_CHECK { connect_timeout 1 }
    }
}
EOF
	reload_wait
	ok $? "lbctl reload (virtual_server group WEB: VIP:80 and VIP:8080 -> rs1 rs2) exits 0" ||
		diag "$RELOAD_OUT"
	wait_for 10 eval "all_checked_up 80 ${RS_IP[rs1]} ${RS_IP[rs2]} &&
		all_checked_up 8080 ${RS_IP[rs1]} ${RS_IP[rs2]}"
	ok $? "group: both services' real servers were checked and are up ($WAITED s)" || show_state
	is "$(services | cut -d' ' -f1 | tr '\n' ' ')" "$VIP:80/tcp $VIP:8080/tcp " \
		"group: exactly the group's two services exist" || show_state
	for port in 80 8080; do
		f=$(tmpdir)/group$port.txt
		requests 40 "$f" "$VIP" "$port"
		is "$(count FAIL "$f")" 0 "group: 40 requests through VIP:$port succeed" ||
			diag "answers: $(counts "$f")"
		for s in rs1 rs2; do
			[ "$(count "$s" "$f")" -gt 0 ]
			ok $? "group: $s answers on VIP:$port" || diag "answers: $(counts "$f")"
		done
		is "$(($(count rs3 "$f") + $(count rs4 "$f")))" 0 \
			"group: no request on VIP:$port reaches a server outside the group's block"
		note "group VIP:$port: $(counts "$f")"
	done
}

# A config may name a server that is not on the balancer's link (a typo, a
# server behind a router): it is kept (a route may come later), warned about
# in the log, listed as off-link, and gets no traffic.
test_off_link()
{
	local far=10.200.0.5 f
	cat >"$CONF" <<EOF
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    real_server ${RS_IP[rs1]} 80 {
        TCP_CHECK { connect_timeout 1 }
    }
    real_server $far 80 {
    }
}
EOF
	reload_wait
	ok $? "lbctl reload (VIP:80 -> rs1 and $far, which no route puts on eth0) exits 0" ||
		diag "$RELOAD_OUT"
	grep -q "backend $far is not on eth0's link (this node has no route to it)" <<<"$RELOAD_LOG"
	ok $? "off-link: the log says $far is not on eth0's link and why" || diag_lines "$RELOAD_LOG"
	is "$(lbctl_in lb backend list -j 2>/dev/null |
		jpy "[b['state'] for b in d if b['backend'] == '$far']")" "['off-link']" \
		"off-link: backend list -j shows $far as off-link"
	like "$(lbctl_in lb status 2>&1)" "backend $far +off-link" "off-link: lbctl status shows it too"
	f=$(tmpdir)/offlink.txt
	requests 20 "$f"
	is "$(count FAIL "$f")/$(count rs1 "$f")" 0/20 "off-link: all 20 requests through VIP:80 go to rs1" ||
		diag "answers: $(counts "$f")"
	ip -n "$(ns lb)" route add 10.200.0.0/24 dev eth0
	is "$(lbctl_in lb backend list -j 2>/dev/null |
		jpy "[b['state'] for b in d if b['backend'] == '$far']")" "['unresolved']" \
		"off-link: with a route on eth0, $far is unresolved (no ARP answer) instead"
	ip -n "$(ns lb)" route del 10.200.0.0/24 dev eth0
}

test_up_bad
test_reload_start
test_reload_add
test_reload_bad
test_reload_remove
test_reload_group
test_off_link

kill "$TCP_HOLD_PID" 2>/dev/null
wait "$TCP_HOLD_PID" 2>/dev/null
out=$(lbctl_in lb down eth0 2>&1)
ok $? "lbctl down eth0" || diag_lines "$out"
left=$(left_behind)
is "$left" "" "after down: no pins and nothing in the run dir"
note "took $((SECONDS - T0)) s"
done_testing
