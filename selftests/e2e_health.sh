#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, health checks (issue 5): a balancer in static mode driven by a
# keepalived.conf, three real servers each watched by a different checker,
# and a sorry server.
#
#            bridge (own namespace, xdp_pass on every port)
#      ┌──────────┬───────────┬────────────┬────────────┬─────────────┐
#   client       lb          rs1          rs2          rs3          sorry
#  10.101.0.1  10.101.0.2  10.101.0.11  10.101.0.12  10.101.0.13  10.101.0.19
#              +VIP on eth0 HTTP_GET     TCP_CHECK    MISC_CHECK   sorry_server
#
# Every server holds VIP 10.101.0.100 on lo and runs selftests/httpd.py
# (body: its name; /health: a status read from a file), which the test
# stops, starts and flips. The checks run at delay_loop 1, retry 1,
# delay_before_retry 1, connect_timeout 1: a failing server must be out of
# new-flow selection within a few seconds and back in after one success.
#
#  1. all healthy: requests spread over the three servers; the checks
#     connect to each server's own address, not to the VIP
#  2. HTTP_GET: stop rs1's daemon -> down, no new request reaches it; start
#     it -> up, it gets requests again
#  3. HTTP_GET: /health answers 500 -> down with the status in last_result,
#     no new request reaches rs1 (which still serves "/") and its
#     established flows are steered away; 200 -> up
#  4. MISC_CHECK: the script exits 1 -> rs3 down; exits 0 -> up
#  5. TCP_CHECK: kill rs2's listener -> down; start it -> up
#  6. all three down -> the sorry server answers every request; one real
#     server back -> traffic leaves the sorry server
#  7. reload changing rs1's check (with and without alpha): a wrong
#     status_code takes it down, the right one brings it back
#  8. quorum 2, hysteresis 1: kept at weight 1, lost at 0 (the sorry server
#     takes every new connection, even once rs1 is back), back at 3
#  9. restart on kept pins while the maps say a healed server is down
#
# Run as root: bash selftests/e2e_health.sh (TAP), or through prove.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/health_lib.sh"

VIP=10.101.0.100
LB_IP=10.101.0.2
CLIENT_IP=10.101.0.1
declare -A RS_IP=([rs1]=10.101.0.11 [rs2]=10.101.0.12 [rs3]=10.101.0.13 [sorry]=10.101.0.19)
N=60			# requests after each change

# How long a server may take to be declared down, from the config below:
# the next check starts within delay_loop (1 s), fails after retry + 1 = 2
# attempts of at most connect_timeout (1 s) each, delay_before_retry (1 s)
# apart: 1 + 2 * 1 + 1 = 4 s, plus 2 s for scheduling and the poll.
DOWN_WITHIN=6
# Back up on the next success: within delay_loop + connect_timeout, plus 2 s.
UP_WITHIN=4

# ---------------------------------------------------------------- helpers

# misc_set 0|1: what rs3's MISC_CHECK script exits with from now on.
misc_set()
{
	echo "$1" >"$MISC_DIR/state"
}

# traffic_check WHAT NAME_ABSENT [NAME_PRESENT...]: N new requests all
# succeed, none is answered by NAME_ABSENT ("-" for none), each
# NAME_PRESENT answers at least one.
traffic_check()
{
	local what=$1 absent=$2 f s; shift 2
	f=$(tmpdir)/req.$T_N.txt
	requests "$N" "$f"
	is "$(count FAIL "$f")" 0 "$what: $N new requests all succeed" ||
		diag "answers: $(counts "$f")"
	if [ "$absent" != - ]; then
		is "$(count "$absent" "$f")" 0 "$what: no new request reaches $absent" ||
			diag "answers: $(counts "$f")"
	fi
	for s in "$@"; do
		[ "$(count "$s" "$f")" -gt 0 ]
		ok $? "$what: $s answers new requests" || diag "answers: $(counts "$f")"
	done
	note "$what: $(counts "$f")"
}

# checked_up ADDR: status -j: ADDR passed a check (last_check set, up).
checked_up()
{
	[ "$(health_field "$1" last_check)" -gt 0 ] 2>/dev/null &&
		[ "$(health_field "$1" up)" = True ]
}

# goes_down NAME WHAT: within DOWN_WITHIN s, status -j says NAME's check
# fails and its service lists it down.
goes_down()
{
	local name=$1 what=$2 ip=${RS_IP[$1]}
	wait_for "$DOWN_WITHIN" eval "health_is $ip False && svc_is $ip down"
	ok $? "$what: status -j shows $name down within $DOWN_WITHIN s (took $WAITED s)" ||
		{ diag "health.up=$(health_field "$ip" up) state=$(svc_state "$ip")"; show_state; }
	note "$name: last_result: $(health_field "$ip" last_result)"
}

# comes_up NAME WHAT
comes_up()
{
	local name=$1 what=$2 ip=${RS_IP[$1]}
	wait_for "$UP_WITHIN" eval "health_is $ip True && svc_is $ip up"
	ok $? "$what: status -j shows $name up again within $UP_WITHIN s (took $WAITED s)" ||
		{ diag "health.up=$(health_field "$ip" up) state=$(svc_state "$ip")"; show_state; }
}

write_config()
{
	cat >"$CONF" <<EOF
! e2e_health.sh: static mode (no vrrp_instance), one service, three checkers.
global_defs {
    router_id lbt-health
}

virtual_server $VIP 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    sorry_server ${RS_IP[sorry]} 80

    real_server ${RS_IP[rs1]} 80 {
        weight 1
        HTTP_GET {
            url {
                path /health
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server ${RS_IP[rs2]} 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server ${RS_IP[rs3]} 80 {
        weight 1
        MISC_CHECK {
            misc_path "$MISC_DIR/check.sh $MISC_DIR/state"
            misc_timeout 2
            retry 1
            delay_before_retry 1
        }
    }
}
EOF
}

# ---------------------------------------------------------------- setup

need_root
need_cmd ip curl ethtool timeout "$PY"
need_file "$LBCTL" "lbctl (make builds it)"

T0=$SECONDS
mk_bridge
mk_host client "$CLIENT_IP/24"
mk_lbnode lb "$LB_IP/24"
for s in rs1 rs2 rs3 sorry; do
	mk_hserver "$s" "${RS_IP[$s]}" "$VIP"
done
# Static mode: the operator owns the VIP on the balancer's interface.
ip -n "$(ns lb)" addr add "$VIP/32" dev eth0 || bail "cannot add the VIP to the balancer"

# The MISC_CHECK script runs as script_user (default: keepalived_script or
# nobody), so its directory chain must be readable and searchable by all.
MISC_DIR=$(tmpdir)/misc
mkdir -p "$MISC_DIR"
chmod 755 "$(tmpdir)" "$MISC_DIR"
cat >"$MISC_DIR/check.sh" <<'EOF'
#!/bin/sh
# MISC_CHECK for rs3: exit with the number in the file named by $1.
exit "$(cat "$1" 2>/dev/null || echo 1)"
EOF
chmod 755 "$MISC_DIR/check.sh"
misc_set 0
chmod 644 "$MISC_DIR/state"
CONF=$(tmpdir)/health.conf
write_config
chmod 644 "$CONF"
note "topology ready in $((SECONDS - T0)) s (run $RUN, temp $(tmpdir))"

# ---------------------------------------------------------------- 1. healthy

test_healthy()
{
	local out rc f s ip

	out=$(lbctl_in lb check-config "$CONF" 2>&1); rc=$?
	is "$rc" 0 "lbctl check-config accepts the test's config" || diag_lines "$out"
	out=$(lbctl_in lb up eth0 -c "$CONF" 2>&1); rc=$?
	is "$rc" 0 "lbctl up eth0 -c health.conf (static mode) succeeds" ||
		{ diag_lines "$out"; diag_lines "$(node_log)"; bail "lbctl did not start"; }

	# Without alpha a server starts up before its first check (as in
	# keepalived): wait until each one has been checked and passed.
	wait_for 10 eval "checked_up ${RS_IP[rs1]} && checked_up ${RS_IP[rs2]} &&
		checked_up ${RS_IP[rs3]} && svc_is ${RS_IP[rs1]} up &&
		svc_is ${RS_IP[rs2]} up && svc_is ${RS_IP[rs3]} up"
	ok $? "status -j: the three real servers were checked, passed and are up ($WAITED s)" ||
		show_state
	for s in rs1 rs2 rs3; do
		note "$s: last_result: $(health_field "${RS_IP[$s]}" last_result)"
	done
	is "$(svc_state "${RS_IP[sorry]}")" sorry \
		"status -j: the sorry server is listed in the service as 'sorry'" || show_state

	f=$(tmpdir)/healthy.txt
	requests 90 "$f"
	is "$(count FAIL "$f")" 0 "all healthy: 90 new requests all succeed" ||
		diag "answers: $(counts "$f")"
	for s in rs1 rs2 rs3; do
		[ "$(count "$s" "$f")" -ge 9 ]
		ok $? "all healthy: $s answers at least 10% of the requests" ||
			diag "answers: $(counts "$f")"
	done
	is "$(count sorry "$f")" 0 "all healthy: the sorry server gets nothing"
	note "all healthy: $(counts "$f")"

	# A DR check must test the server itself: its own address, not the
	# VIP (which is local on the balancer).
	out=$(grep ' GET /health ' "$(tmpdir)/rs1/http.log")
	[ -n "$out" ] && ! grep -qv "^${RS_IP[rs1]}:80 $LB_IP GET /health " <<<"$out"
	ok $? "HTTP_GET connects from the balancer to rs1's own address, never to the VIP" ||
		diag_lines "$(tail -5 <<<"$out")"
}

# ---------------------------------------------------------------- 2. daemon stopped

test_http_stopped()
{
	local tr0 tr1
	tr0=$(health_field "${RS_IP[rs1]}" transitions)

	httpd_stop rs1
	ok $? "rs1's HTTP daemon is stopped"
	goes_down rs1 "HTTP_GET, daemon stopped"
	like "$(health_field "${RS_IP[rs1]}" last_result)" '.' \
		"HTTP_GET, daemon stopped: last_result says why"
	traffic_check "HTTP_GET, rs1 down" rs1 rs2 rs3

	httpd_start rs1
	ok $? "rs1's HTTP daemon is started again"
	comes_up rs1 "HTTP_GET, daemon back"
	traffic_check "HTTP_GET, rs1 back" - rs1 rs2 rs3
	tr1=$(health_field "${RS_IP[rs1]}" transitions)
	[ "$tr1" -ge $((tr0 + 2)) ] 2>/dev/null
	ok $? "status -j: rs1's transitions counted the down and the up ($tr0 -> $tr1)"
}

# ---------------------------------------------------------------- 3. wrong status

test_http_status()
{
	local before after n1

	# Connections held open to each server: once rs1 is down, its
	# established flows are steered to live servers (README, health
	# checks), which reset them; the others' flows are untouched.
	HOLD=$(tmpdir)/hold.json
	tcp_hold_start client "$HOLD" --servers rs1,rs2,rs3 --per 2 --max 60 "$VIP" 80
	wait_until 20 tcp_hold_past "$HOLD" 1
	ok $? "tcp_hold: long-lived connections to rs1, rs2 and rs3 are open and probed" ||
		diag_lines "$(cat "$HOLD.log" 2>/dev/null)"
	n1=$(conns_count "$HOLD" ok rs1)

	set_health rs1 500
	goes_down rs1 "HTTP_GET, /health 500"
	conns_wait "$HOLD"
	is "$(conns_count "$HOLD" broken rs2 rs3)" 0 \
		"HTTP_GET, /health 500: established connections to rs2 and rs3 keep working" ||
		diag_lines "$(conns_errors "$HOLD" rs2 rs3)"
	[ "$n1" -gt 0 ] && [ "$(conns_count "$HOLD" broken rs1)" = "$n1" ]
	ok $? "HTTP_GET, /health 500: rs1's $n1 established flows were steered away (reset by a live server)" ||
		diag "$(conns_report "$HOLD")"
	note "tcp_hold with rs1 down: $(conns_report "$HOLD")"
	kill "$TCP_HOLD_PID" 2>/dev/null
	wait "$TCP_HOLD_PID" 2>/dev/null
	like "$(health_field "${RS_IP[rs1]}" last_result)" '500' \
		"HTTP_GET, /health 500: last_result names the status"
	before=$(grep -c " $CLIENT_IP GET / " "$(tmpdir)/rs1/http.log")
	traffic_check "HTTP_GET, /health 500" rs1 rs2 rs3
	after=$(grep -c " $CLIENT_IP GET / " "$(tmpdir)/rs1/http.log")
	is "$after" "$before" "HTTP_GET, /health 500: rs1's own log shows no request from the client"

	set_health rs1 200
	comes_up rs1 "HTTP_GET, /health 200 again"
	traffic_check "HTTP_GET, /health 200 again" - rs1 rs2 rs3
}

# ---------------------------------------------------------------- 4. script

test_misc()
{
	misc_set 1
	goes_down rs3 "MISC_CHECK, script exits 1"
	traffic_check "MISC_CHECK, rs3 down" rs3 rs1 rs2
	misc_set 0
	comes_up rs3 "MISC_CHECK, script exits 0"
	traffic_check "MISC_CHECK, rs3 back" - rs1 rs2 rs3
}

# ---------------------------------------------------------------- 5. TCP

test_tcp()
{
	httpd_stop rs2
	ok $? "rs2's listener is killed"
	goes_down rs2 "TCP_CHECK, listener killed"
	traffic_check "TCP_CHECK, rs2 down" rs2 rs1 rs3
	httpd_start rs2
	ok $? "rs2's listener is started again"
	comes_up rs2 "TCP_CHECK, listener back"
	traffic_check "TCP_CHECK, rs2 back" - rs1 rs2 rs3
}

# ---------------------------------------------------------------- 6. sorry

test_sorry()
{
	local f

	set_health rs1 500
	httpd_stop rs2
	misc_set 1
	wait_for $((DOWN_WITHIN + 1)) eval "svc_is ${RS_IP[rs1]} down && svc_is ${RS_IP[rs2]} down &&
		svc_is ${RS_IP[rs3]} down"
	ok $? "all real servers fail their checks: status -j shows all three down ($WAITED s)" ||
		show_state
	f=$(tmpdir)/sorry.txt
	requests "$N" "$f"
	is "$(count sorry "$f")" "$N" "all down: the sorry server answers every one of $N requests" ||
		{ diag "answers: $(counts "$f")"; show_state; }
	note "all down: $(counts "$f")"

	misc_set 0
	comes_up rs3 "one real server back (rs3)"
	f=$(tmpdir)/unsorry.txt
	requests "$N" "$f"
	is "$(count rs3 "$f")" "$N" "rs3 back: every one of $N new requests goes to rs3, none to the sorry server" ||
		{ diag "answers: $(counts "$f")"; show_state; }
	note "rs3 back: $(counts "$f")"

	set_health rs1 200
	httpd_start rs2
	wait_for $((UP_WITHIN + 1)) eval "svc_is ${RS_IP[rs1]} up && svc_is ${RS_IP[rs2]} up"
	ok $? "rs1 and rs2 back up too ($WAITED s)" || show_state
	traffic_check "all back" - rs1 rs2 rs3
}

# ---------------------------------------------------------------- 7. reload

# A reload that changes a server's check gives it a new checker: the
# server's state carries over and the new check moves it from there (a
# fixed check brings a down server back; a broken one takes an up server
# down, with alpha too).
test_reload_checks()
{
	local what
	for what in "" alpha; do
		write_config
		[ -n "$what" ] && sed -i 's|^    sorry_server|    alpha\n&|' "$CONF"
		reload_wait
		ok $? "reload${what:+ with $what}: the usual checks" || diag "$RELOAD_OUT"
		wait_for "$UP_WITHIN" eval "svc_is ${RS_IP[rs1]} up && svc_is ${RS_IP[rs2]} up && svc_is ${RS_IP[rs3]} up"
		ok $? "reload${what:+ with $what}: rs1, rs2 and rs3 up ($WAITED s)" || show_state
		sed -i 's|status_code 200|status_code 201|' "$CONF"
		reload_wait
		ok $? "reload${what:+ with $what}: rs1's HTTP_GET now wants status 201 (it answers 200)" ||
			diag "$RELOAD_OUT"
		goes_down rs1 "reload${what:+ with $what} to status_code 201"
		traffic_check "reload${what:+ with $what} to status_code 201" rs1 rs2 rs3
		sed -i 's|status_code 201|status_code 200|' "$CONF"
		reload_wait
		ok $? "reload${what:+ with $what}: status_code 200 again" || diag "$RELOAD_OUT"
		comes_up rs1 "reload${what:+ with $what} back to status_code 200"
		traffic_check "reload${what:+ with $what} back to status_code 200" - rs1 rs2 rs3
	done
	write_config
	reload_wait
	ok $? "reload: the test's own config again" || diag "$RELOAD_OUT"
}

# ---------------------------------------------------------------- 8. quorum

# keepalived's quorum with hysteresis: lost below quorum - hysteresis, back
# at quorum + hysteresis; without it the sorry server takes the new
# connections, even while a real server is up.
test_quorum()
{
	local f log0
	sed -i 's|^    sorry_server.*|&\n    quorum 2\n    hysteresis 1|' "$CONF"
	reload_wait
	ok $? "quorum: reload with quorum 2, hysteresis 1 (three servers of weight 1)" ||
		diag "$RELOAD_OUT"
	log0=$(node_log | wc -l)
	misc_set 1
	httpd_stop rs2
	goes_down rs3 "quorum: rs3 down"
	goes_down rs2 "quorum: rs2 down"
	! node_log | tail -n +$((log0 + 1)) | grep -q "quorum lost"
	ok $? "quorum: weight 1 left, not below quorum - hysteresis: quorum kept" ||
		diag_lines "$(node_log | tail -n +$((log0 + 1)) | grep quorum)"
	traffic_check "quorum kept with rs1 alone" sorry rs1
	set_health rs1 500
	goes_down rs1 "quorum: rs1 down too"
	wait_for 3 eval "node_log | tail -n +$((log0 + 1)) | grep -q 'quorum lost: new connections to sorry_server ${RS_IP[sorry]}'"
	ok $? "quorum: lost at weight 0, the log names the sorry server" ||
		diag_lines "$(node_log | tail -n +$((log0 + 1)) | grep quorum)"
	like "$(lbctl_in lb status 2>&1)" "service $VIP:80/tcp active, quorum lost: new connections to the sorry server" \
		"quorum: lbctl status says so"
	set_health rs1 200
	comes_up rs1 "quorum: rs1 back"
	f=$(tmpdir)/quorum.txt
	requests "$N" "$f"
	is "$(count sorry "$f")" "$N" "quorum: weight 1 is short of quorum + hysteresis: the sorry server still answers all $N requests" ||
		diag "answers: $(counts "$f")"
	misc_set 0
	httpd_start rs2
	comes_up rs2 "quorum: rs2 back"
	comes_up rs3 "quorum: rs3 back"
	wait_for 3 eval "node_log | tail -n +$((log0 + 1)) | grep -q 'quorum up: back to the real servers'"
	ok $? "quorum: back at weight 3" || diag_lines "$(node_log | tail -n +$((log0 + 1)) | grep quorum)"
	traffic_check "quorum back" sorry rs1 rs2 rs3
	write_config
	reload_wait
	ok $? "quorum: the test's own config again" || diag "$RELOAD_OUT"
}

# ---------------------------------------------------------------- 9. restart

# A restart (SIGTERM keeps the pinned maps, as systemd's restart does)
# while a server that the maps say is down has healed: the new controller's
# checker starts it up, and the maps must say so too.
test_restart()
{
	local pid out rc
	set_health rs1 500
	goes_down rs1 "restart: rs1 down before the restart"
	lbctl_in lb vip add "$VIP" 8080 tcp >/dev/null 2>&1
	ok $? "restart: a service from the CLI ($VIP:8080), not in the file"
	pid=$(cat "${LB_RUNDIR[lb]}/eth0/pid" 2>/dev/null)
	[ -n "$pid" ] && kill -TERM "$pid"
	wait_until 10 eval "! kill -0 $pid 2>/dev/null"
	ok $? "restart: the controller ($pid) stops on SIGTERM, pins kept"
	set_health rs1 200
	out=$(lbctl_in lb up eth0 -c "$CONF" 2>&1); rc=$?
	is "$rc" 0 "restart: lbctl up again (the maps are reused)" || diag_lines "$out"
	comes_up rs1 "restart: rs1, healed meanwhile"
	traffic_check "restart: rs1 healed" - rs1 rs2 rs3
	node_log | grep -q "service $VIP:8080/tcp is in the maps but not in $CONF .*: kept"
	ok $? "restart: the log names the service the maps have and the file lacks" ||
		diag_lines "$(node_log | grep -i 'service' | tail -5)"
	lbctl_in lb vip del "$VIP" 8080 tcp >/dev/null 2>&1
	ok $? "restart: lbctl vip del removes it"
}

# ---------------------------------------------------------------- run

# ---------------------------------------------------------------- textfile

# One real server in two services (TCP and UDP on one VIP and port), each
# with its own check: the controller's textfile keeps their health series
# apart and stays valid Prometheus text.
test_textfile()
{
	local tf out n
	tf=$(tmpdir)/metrics/lbctl.prom
	mkdir -p "${tf%/*}"
	{
		sed "s|^    router_id lbt-health$|&\n    lbctl_textfile $tf\n    lbctl_textfile_interval 1|" "$CONF"
		cat <<-EOF
		virtual_server $VIP 80 {
		    delay_loop 1
		    lb_kind DR
		    protocol UDP
		    real_server ${RS_IP[rs1]} 80 {
		        TCP_CHECK {
		            connect_port 80
		            connect_timeout 1
		        }
		    }
		}
		EOF
	} >"$CONF.2"
	cp "$CONF.2" "$CONF"
	out=$(lbctl_in lb reload 2>&1)
	ok $? "textfile: reload with lbctl_textfile and rs1 in a second (UDP) service" ||
		diag_lines "$out"
	wait_for 10 eval "[ \"\$(grep -c '^lbctl_health_check_up{.*backend=\"${RS_IP[rs1]}\"} 1' $tf)\" = 2 ]"
	ok $? "textfile: two lbctl_health_check_up series for rs1, both up ($WAITED s)" ||
		diag_lines "$(grep lbctl_health "$tf" 2>&1)"
	n=$(grep -c "^lbctl_health_check_up{interface=\"eth0\",vip=\"$VIP\",port=\"80\",proto=\"udp\",backend=\"${RS_IP[rs1]}\"}" "$tf")
	is "$n" 1 "textfile: health series carry the service's labels, as lbctl_backend_* do"
	out=$(prom_check "$tf" lbctl_health_check_up:backend lbctl_health_check_up:proto 2>&1)
	ok $? "textfile: the controller's file is valid Prometheus text, no duplicate series" ||
		diag_lines "$out"
}

test_healthy
test_http_stopped
test_http_status
test_misc
test_tcp
test_sorry
test_reload_checks
test_quorum
test_restart
test_textfile

[ -s "$(tmpdir)/metrics/lbctl.prom" ]
ok $? "the controller's textfile is there before lbctl down"
out=$(lbctl_in lb down eth0 2>&1)
ok $? "lbctl down eth0" || diag_lines "$out"
[ ! -e "$(tmpdir)/metrics/lbctl.prom" ]
ok $? "lbctl down removes the controller's textfile (no stale MASTER or up to scrape)"
note "took $((SECONDS - T0)) s"
done_testing
