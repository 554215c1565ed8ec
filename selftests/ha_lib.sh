# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the high-availability tests under traffic (e2e_ha.sh), on top
# of lib.sh (source lib.sh first, then this file):
#
#  - nginx real servers: ha_nginx (a DR real server holding the VIP on lo),
#    ha_nginx_start, ha_nginx_kill (SIGKILL of every nginx process);
#  - a node's state: ha_vstate, ha_be_field, ha_has_vip, ha_has_prog,
#    ha_owners, ha_one_owner, ha_owner_is, ha_conn_to, ha_show;
#  - client traffic (selftests/traffic.py): traffic_start, traffic_wait,
#    traffic_stop, traffic_report;
#  - time: ha_now (seconds, the clock traffic.py stamps with), ha_ms_since,
#    ha_wait_ms.

TRAFFIC_PY=$LIB_DIR/traffic.py
HA_VIP=${HA_VIP:-}		# set by the test before using ha_nginx

# ---------------------------------------------------------------- time

# ha_now: epoch seconds with nanoseconds (time.time() in traffic.py).
ha_now()
{
	date +%s.%N
}

# ha_ms_since T: milliseconds since T (an ha_now value).
ha_ms_since()
{
	"$PY" -c 'import sys, time; print(int(round((time.time() - float(sys.argv[1])) * 1000)))' "$1"
}

# ha_wait_ms TIMEOUT_MS CMD...: run CMD every ~20 ms until it succeeds;
# prints the elapsed milliseconds; status 1 on timeout.
ha_wait_ms()
{
	local timeout=$1 t0 t; shift
	t0=$(date +%s%3N)
	while :; do
		if "$@" >/dev/null 2>&1; then
			t=$(date +%s%3N)
			echo $((t - t0))
			return 0
		fi
		t=$(date +%s%3N)
		if [ $((t - t0)) -ge "$timeout" ]; then
			echo $((t - t0))
			return 1
		fi
		sleep 0.02
	done
}

# ---------------------------------------------------------------- real servers

# ha_nginx NAME IP: a DR real server: HA_VIP on lo (arp_ignore=1,
# arp_announce=2) and nginx on port 80 answering "NAME" on / and "ok" on
# /healthz, keeping keep-alive connections open for as long as the test
# runs. Its files are in $(tmpdir)/NAME.
ha_nginx()
{
	local name=$1 ip=$2 dir
	mk_dr_host "$name" "$ip/24" "" "$HA_VIP"
	dir=$(tmpdir)/$name
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<-EOF
	worker_processes 1;
	daemon off;
	master_process on;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	events { worker_connections 1024; }
	http {
	    access_log off;
	    keepalive_timeout 600s;
	    keepalive_requests 1000000;
	    client_body_temp_path $dir/tmp;
	    server {
	        listen 80 reuseport;
	        location = /healthz { return 200 "ok\n"; }
	        location / { return 200 "$name\n"; }
	    }
	}
	EOF
	ha_nginx_start "$name" || bail "nginx on $name ($ip) did not start: $(tail -3 "$dir/error.log" 2>/dev/null)"
}

# ha_nginx_start NAME: start NAME's nginx and wait until it answers on the
# server's own address.
ha_nginx_start()
{
	local dir
	dir=$(tmpdir)/$1
	rm -f "$dir/nginx.pid"
	# ip netns exec execs nginx: $! is nginx's master itself.
	ip netns exec "$(ns "$1")" nginx -c "$dir/nginx.conf" -p "$dir" \
		>>"$dir/nginx.out" 2>&1 </dev/null &
	track_pid $!
	# Not a job of this shell: killing it (case 3) must not make bash
	# print "Killed" into the TAP stream.
	disown $!
	wait_until 10 http_from "$1" "${NODE_IP[$1]}" "$1"
}

# ha_nginx_kill NAME: SIGKILL every nginx process of NAME (master and
# worker: a server that dies mid-stream), wait until they are gone.
ha_nginx_kill()
{
	local n p pids=""
	n=$(ns "$1")
	for p in $(ip netns pids "$n"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = nginx ] && pids+=" $p"
	done
	[ -n "$pids" ] || return 1
	# shellcheck disable=SC2086
	kill -9 $pids
	for p in $pids; do
		wait_until 5 eval "! pid_alive $p" || return 1
	done
}

# ---------------------------------------------------------------- node state

# ha_status NODE: `lbctl status -j` (empty when there is no controller).
ha_status()
{
	lbctl_in "$1" status -j 2>/dev/null
}

# ha_counters NODE: the data plane's counters on NODE that can explain a
# lost packet (drops, passes, re-steered or expired flows), those not zero.
ha_counters()
{
	lbctl_in "$1" stats -j eth0 2>/dev/null | "$PY" -c '
import json, sys
try:
    g = json.load(sys.stdin)["global"]
except Exception:
    sys.exit(print("no counters"))
print(" ".join("%s=%d" % (k, v) for k, v in g.items()
               if v and k.startswith(("drop_", "pass_", "conn_resteer", "conn_expired",
                                      "conn_rate"))) or "none")'
}

# ha_vstate NODE: the state of the first VRRP instance, or "-".
ha_vstate()
{
	ha_status "$1" | "$PY" -c '
import json, sys
try:
    print(json.load(sys.stdin)["controller"]["vrrp"][0]["state"])
except Exception:
    print("-")'
}

# ha_is NODE STATE
ha_is()
{
	[ "$(ha_vstate "$1")" = "$2" ]
}

# ha_be_field NODE ADDR FIELD: FIELD (state, weight, ...) of backend ADDR
# in `lbctl backend list -j`, or "-".
ha_be_field()
{
	lbctl_in "$1" backend list -j 2>/dev/null | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("-"); sys.exit(0)
rows = d if isinstance(d, list) else d.get("backends", [])
for b in rows:
    if b.get("backend") == sys.argv[1]:
        print(b.get(sys.argv[2], "-")); break
else:
    print("-")' "$2" "$3"
}

# ha_backends NODE: each backend's address, weight and state, one per line
# (what the Maglev table is built from).
ha_backends()
{
	lbctl_in "$1" backend list -j 2>/dev/null | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
rows = d if isinstance(d, list) else d.get("backends", [])
for b in sorted(rows, key=lambda b: (b.get("vip"), b.get("port"), b.get("backend"))):
    print(b.get("vip"), b.get("port"), b.get("backend"), b.get("weight"), b.get("state"))'
}

# ha_same_backends NODE1 NODE2: the same backends, weights and states.
ha_same_backends()
{
	local a b
	a=$(ha_backends "$1") && b=$(ha_backends "$2") && [ -n "$a" ] && [ "$a" = "$b" ]
}

# ha_be_is NODE ADDR FIELD VALUE
ha_be_is()
{
	[ "$(ha_be_field "$1" "$2" "$3")" = "$4" ]
}

# ha_has_vip NODE: HA_VIP is on NODE's eth0.
ha_has_vip()
{
	ip -n "$(ns "$1")" -o -4 addr show dev eth0 2>/dev/null | grep -q " inet $HA_VIP/"
}

# ha_has_prog NODE: lbctl's xdp_lb is attached to NODE's eth0.
ha_has_prog()
{
	[ "$(xdp_prog_on "$1")" = xdp_lb ]
}

# ha_owners NODE...: "lb1=vip+prog lb2=none" (vip, prog, vip+prog, none).
ha_owners()
{
	local n v p out=""
	for n in "$@"; do
		v=; p=
		ha_has_vip "$n" && v=vip
		ha_has_prog "$n" && p=prog
		if [ -n "$v" ] && [ -n "$p" ]; then out+="$n=vip+prog "
		elif [ -n "$v$p" ]; then out+="$n=$v$p "
		else out+="$n=none "
		fi
	done
	echo "${out% }"
}

# ha_one_owner NODE...: exactly one NODE has both the VIP and xdp_lb, and
# every other has neither (no VIP without the program, no program without
# the VIP).
ha_one_owner()
{
	local o both=0 w
	for w in $(ha_owners "$@"); do
		o=${w#*=}
		case $o in
		vip+prog) both=$((both + 1)) ;;
		none) ;;
		*) return 1 ;;
		esac
	done
	[ "$both" = 1 ]
}

# ha_owner_is NODE ALL...: NODE has VIP and program, the others neither.
ha_owner_is()
{
	local want=$1 n; shift
	for n in "$@"; do
		if [ "$n" = "$want" ]; then
			ha_has_vip "$n" && ha_has_prog "$n" || return 1
		else
			! ha_has_vip "$n" && ! ha_has_prog "$n" || return 1
		fi
	done
}

# ha_conn_to NODE SPORT: the backend address NODE's connection table
# remembers for the client's TCP flow from source port SPORT to HA_VIP:80
# ("none" if there is no entry), read with bpftool from the pinned map.
ha_conn_to()
{
	local ids
	ids=$(lbctl_in "$1" backend list -j 2>/dev/null)
	bpftool -j map dump pinned "${LB_BPFFS[$1]}/lbctl/eth0/conntrack" 2>/dev/null |
		"$PY" -c '
import json, socket, sys
sport, ids = int(sys.argv[1]), json.loads(sys.argv[2] or "[]")
try:
    rows = json.load(sys.stdin)
except Exception:
    rows = []
for r in rows:
    f = r.get("formatted") or {}
    k, v = f.get("key") or {}, f.get("value") or {}
    if k.get("sport") == socket.htons(sport) and k.get("proto") == 6:
        bid = v.get("backend_id")
        print(next((b["backend"] for b in ids if b.get("id") == bid), "id %s" % bid))
        break
else:
    print("none")' "$2" "$ids"
}

# ha_pid NODE: the controller's pid from its pid file.
ha_pid()
{
	cat "${LB_RUNDIR[$1]}/eth0/pid" 2>/dev/null
}

# ha_log NODE: the controller's log.
ha_log()
{
	echo "${LB_RUNDIR[$1]}/eth0/log"
}

# ha_master_for NODE: seconds since NODE last became MASTER (its log's
# last "-> MASTER" line; lbctl logs "YYYY-MM-DD HH:MM:SS.mmm ..."), or a
# large number if there is none.
ha_master_for()
{
	local line t
	line=$(grep -- '-> MASTER' "$(ha_log "$1")" 2>/dev/null | tail -1)
	t=$(date -d "${line:0:23}" +%s.%N 2>/dev/null) || { echo 999; return; }
	"$PY" -c 'import sys, time; print("%.3f" % (time.time() - float(sys.argv[1])))' "$t"
}

# ha_keep_log NODE TAG: keep a copy of the log (lbctl down removes the run
# dir) for diagnostics.
ha_keep_log()
{
	local f
	f=$(ha_log "$1")
	[ -f "$f" ] && cp "$f" "$(tmpdir)/$1.log.$2" 2>/dev/null
	return 0
}

# ha_log_lines NODE: how many lines NODE's log has now (for ha_log_since).
ha_log_lines()
{
	local n
	n=$(wc -l <"$(ha_log "$1")" 2>/dev/null) || n=0
	echo "${n:-0}"
}

# ha_log_since NODE LINES: NODE's log after its first LINES lines (at most
# the last 60 of them), as diagnostics.
ha_log_since()
{
	local f
	f=$(ha_log "$1")
	[ -f "$f" ] || { diag "---- $1: no log at $f"; return; }
	# A shorter log was started again (lbctl down removes it): all of it.
	[ "$(wc -l <"$f")" -ge "$2" ] || set -- "$1" 0
	local new
	new=$(tail -n +"$(($2 + 1))" "$f" | tail -60)
	if [ -n "$new" ]; then
		diag "---- $1: $f since the case began"
		diag_lines "$new"
	else
		diag "---- $1: nothing logged since the case began"
	fi
}

# ha_show NODE...: status, log tail, addresses and XDP of each NODE as
# diagnostics (for a failed test).
ha_show()
{
	local n f
	for n in "$@"; do
		diag "---- $n: lbctl status -j"
		diag_lines "$(ha_status "$n" | head -80)"
		f=$(ha_log "$n")
		[ -f "$f" ] || f=$(ls -t "$(tmpdir)/$n.log."* 2>/dev/null | head -1)
		diag "---- $n: ${f:-no log} (last 30 lines)"
		[ -n "$f" ] && diag_lines "$(tail -30 "$f")"
		diag "---- $n: ip addr / ip link on eth0"
		diag_lines "$(ip -n "$(ns "$n")" -4 -br addr show dev eth0; ip -n "$(ns "$n")" link show dev eth0)"
	done
}

# ---------------------------------------------------------------- traffic

# traffic_start TAG ARGS...: run traffic.py in the client namespace
# against HA_VIP (ARGS as `traffic.py run` takes them), wait until its
# long-lived connections are open and fresh connections flow. Its file is
# TRAFFIC_FILE ($(tmpdir)/traffic.TAG.json), its pid TRAFFIC_PID.
traffic_start()
{
	local tag=$1; shift
	TRAFFIC_FILE=$(tmpdir)/traffic.$tag.json
	rm -f "$TRAFFIC_FILE"
	ip netns exec "$(ns client)" "$PY" "$TRAFFIC_PY" run --out "$TRAFFIC_FILE" \
		"$@" "$HA_VIP" 80 >"$TRAFFIC_FILE.log" 2>&1 &
	TRAFFIC_PID=$!
	track_pid "$TRAFFIC_PID"
	traffic_wait 15 "$(ha_now)" || {
		diag "traffic.py did not get going: $(tail -5 "$TRAFFIC_FILE.log")"
		return 1
	}
}

# traffic_flowing FILE T: a fresh connection started after T has been
# answered, and every long-lived connection still working has been
# answered after T.
traffic_flowing()
{
	"$PY" - "$1" "$2" <<-'EOF'
	import json, sys
	t = float(sys.argv[2])
	try:
	    d = json.load(open(sys.argv[1]))
	except Exception:
	    sys.exit(1)
	if not d["ready"] or not any(r[1] and r[0] > t for r in d["fresh"]):
	    sys.exit(1)
	sys.exit(0 if all(c["t_last_ok"] and c["t_last_ok"] > t
	                  for c in d["long"] if c["ok"]) else 1)
	EOF
}

# traffic_wait TIMEOUT_S T: wait until traffic_flowing TRAFFIC_FILE T.
traffic_wait()
{
	wait_until "$1" traffic_flowing "$TRAFFIC_FILE" "$2"
}

# traffic_for SECONDS: let the traffic run for SECONDS more and make sure
# it still flows at the end (an observation period, not a wait for state).
traffic_for()
{
	local t
	t=$("$PY" -c 'import sys, time; print(time.time() + float(sys.argv[1]))' "$1")
	sleep "$1"
	traffic_wait 5 "$t"
}

# traffic_stop: stop traffic.py (it finishes the exchanges in flight and
# writes its file a last time).
traffic_stop()
{
	[ -n "$TRAFFIC_PID" ] || return 0
	kill -TERM "$TRAFFIC_PID" 2>/dev/null
	wait_until 10 eval "! pid_alive $TRAFFIC_PID" || kill -9 "$TRAFFIC_PID" 2>/dev/null
	wait "$TRAFFIC_PID" 2>/dev/null
	TRAFFIC_PID=
}

# traffic_report ARGS...: `traffic.py report TRAFFIC_FILE ARGS`, evaluated
# into shell variables (FRESH_*, GAP_MS, RESUME_MS, LONG_*, ...).
traffic_report()
{
	local out
	out=$("$PY" "$TRAFFIC_PY" report "$TRAFFIC_FILE" "$@") || {
		diag "traffic.py report failed"
		return 1
	}
	eval "$out"
}

# traffic_diag TAG: the usual counts as one diagnostic line, and every
# broken long-lived connection on its own line.
traffic_diag()
{
	diag "$1: fresh connections $FRESH_N, failed $FRESH_FAIL ($FRESH_ERRORS), longest outage ${GAP_MS} ms (generator idle at most ${IDLE_MS} ms); " \
		"long-lived $LONG_N, survived $LONG_OK, broken $LONG_BROKEN (per server total/broken: $LONG_SERVERS), " \
		"slowest answer ${LONG_MAX_STALL_MS} ms"
	local e n
	if [ -n "$LONG_ERRORS" ]; then
		while IFS= read -r e; do diag "  broken: $e"; done <<<"${LONG_ERRORS//; /$'\n'}"
		for n in $LBS; do diag "  $n's counters: $(ha_counters "$n")"; done
	fi
}
