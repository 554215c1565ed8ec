# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the health-check and config/reload end-to-end tests
# (e2e_health.sh, e2e_config.sh), on top of lib.sh (source lib.sh first):
#
#  - mk_hserver: a DR real server like lib.sh's mk_realserver, but its HTTP
#    daemon is selftests/httpd.py, which can be stopped and started again
#    (httpd_stop, httpd_start) and whose /health status comes from a file
#    (set_health NAME CODE).
#  - requests/count/counts: N fresh HTTP requests from the client through the
#    VIP and who answered them.
#  - jq_status/health_field/svc_state: questions to `lbctl status -j`.
#  - wait_for: wait_until that also says how long it took (WAITED, in s).

HTTPD=$LIB_DIR/httpd.py
declare -A HTTPD_PID=()		# "NAME:PORT" -> pid of its httpd.py

# mk_hserver NAME IP VIP...: a DR real server holding each VIP on lo
# (arp_ignore=1, arp_announce=2) and serving httpd.py on port 80 of every
# address. Its files are in $(tmpdir)/NAME: health (the /health status, 200
# until set_health changes it) and http.log (one line per request, see
# httpd.py).
mk_hserver()
{
	local name=$1 ip=$2; shift 2
	mk_dr_host "$name" "$ip/24" "" "$@"
	mkdir -p "$(tmpdir)/$name"
	echo 200 >"$(tmpdir)/$name/health"
	httpd_start "$name" 80 || bail "httpd.py on $name ($ip) did not start"
}

# httpd_start NAME [PORT]: start httpd.py in NAME on PORT (80) and wait until
# it answers on the server's own address.
httpd_start()
{
	local name=$1 port=${2:-80} dir pid
	dir=$(tmpdir)/$name
	# Not through nsx (a function: $! would be a subshell, not httpd.py);
	# ip netns exec execs the command, so $! is httpd.py itself.
	ip netns exec "$(ns "$name")" "$PY" "$HTTPD" --name "$name" --port "$port" \
		--health "$dir/health" --log "$dir/http.log" 2>>"$dir/httpd.err" &
	pid=$!
	track_pid "$pid"
	HTTPD_PID[$name:$port]=$pid
	wait_until 10 http_port_from "$name" "${NODE_IP[$name]}" "$port" "$name" && return 0
	diag "httpd.py on $name:$port did not answer: $(tail -3 "$dir/httpd.err" 2>/dev/null)"
	return 1
}

# httpd_stop NAME [PORT]: kill NAME's httpd.py on PORT and wait until it is
# gone (its listening socket closed, its connections reset).
httpd_stop()
{
	local name=$1 port=${2:-80} pid
	pid=${HTTPD_PID[$name:$port]}
	[ -n "$pid" ] || return 1
	kill "$pid" 2>/dev/null
	wait_until 5 eval "! pid_alive $pid" || kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "HTTPD_PID[$name:$port]"
	! http_port_from "$name" "${NODE_IP[$name]}" "$port" ""
}

# http_port_from NODE ADDR PORT [WANT]: one GET / from NODE to ADDR:PORT; with
# WANT, the body must be it.
http_port_from()
{
	local out
	out=$(nsx "$1" curl -s --max-time 2 "http://$2:$3/") || return 1
	[ -z "$4" ] || [ "$out" = "$4" ]
}

# set_health NAME CODE: what NAME's /health answers from now on.
set_health()
{
	echo "$2" >"$(tmpdir)/$1/health"
}

# requests N FILE [ADDR [PORT]]: N HTTP GETs from the client, each on a new
# connection (so on a new flow), to ADDR:PORT (default $VIP:80). FILE gets
# one line per request: the body (the server's name) or FAIL (no connection,
# a reset, a timeout of 2 s, or a status other than 200). One python3
# process makes them all: much faster than a curl per request.
requests()
{
	nsx client "$PY" -c '
import socket, sys
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
req = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode()
for _ in range(n):
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.settimeout(2)
        s.sendall(req)
        buf = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        s.close()
        head, _, body = buf.partition(b"\r\n\r\n")
        ok = head.startswith(b"HTTP/1.") and head.split(b" ", 2)[1:2] == [b"200"]
        print(body.decode("utf-8", "replace").strip() if ok else "FAIL")
    except (OSError, IndexError):
        print("FAIL")
' "$1" "${3:-$VIP}" "${4:-80}" >"$2"
}

# count WORD FILE: lines of FILE that are exactly WORD.
count()
{
	grep -cx -- "$1" "$2"
}

# counts FILE: "name=N ..." for every answer in FILE, for diagnostics.
counts()
{
	echo "$(sort "$1" | uniq -c | awk '{printf "%s=%s ", $2, $1}')(of $(wc -l <"$1"))"
}

# jpy EXPR: evaluate a python expression over the JSON document on stdin,
# bound to d; print the result (str() of it).
jpy()
{
	"$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception as e:
    print("unparsable JSON: %s" % e); sys.exit(1)
try:
    print(eval(sys.argv[1]))
except Exception as e:
    print("%s: %s" % (type(e).__name__, e)); sys.exit(1)' "$1"
}

# jq_status EXPR: EXPR over `lbctl status -j` on the node lb.
jq_status()
{
	lbctl_in lb status -j 2>/dev/null | jpy "$1"
}

# health_field ADDR FIELD: FIELD of ADDR's entry in status -j
# controller.health (ADDR matches "backend" exactly or as "ADDR:PORT").
health_field()
{
	jq_status "[h['$2'] for h in d['controller']['health'] if h['backend'] in ('$1', '$1:80') or h['backend'].startswith('$1:')][0]"
}

# svc_state ADDR [PORT]: the state of backend ADDR in service $VIP:PORT (80)
# in status -j ("up", "down", "drain", "unresolved", "sorry"), "absent" if
# the service does not list it.
svc_state()
{
	jq_status "([b['state'] for s in d['services'] if s['vip'] == '$VIP' and s['port'] == ${2:-80} for b in s['backends'] if b['backend'] == '$1'] + ['absent'])[0]"
}

# svc_is ADDR STATE [PORT]: status -j gives ADDR that state (for wait_until).
svc_is()
{
	[ "$(svc_state "$1" "${3:-80}")" = "$2" ]
}

# health_is ADDR True|False: status -j says ADDR's checks are (not) passing.
health_is()
{
	[ "$(health_field "$1" up)" = "$2" ]
}

# wait_for TIMEOUT CMD...: wait_until, and WAITED = seconds it took (1 decimal).
wait_for()
{
	local t0 rc
	t0=$(date +%s%N)
	wait_until "$@"; rc=$?
	WAITED=$(( ($(date +%s%N) - t0) / 100000000 ))
	WAITED=$((WAITED / 10)).$((WAITED % 10))
	return $rc
}

# node_log: the controller's log on the node lb.
node_log()
{
	cat "${LB_RUNDIR[lb]}/eth0/log" 2>/dev/null
}

# show_state: diagnostics after a failure: status -j and the log's tail.
show_state()
{
	diag "lbctl status -j:"
	diag_lines "$(lbctl_in lb status -j 2>&1 | "$PY" -m json.tool 2>/dev/null ||
		lbctl_in lb status -j 2>&1)"
	diag "node log (last 30 lines):"
	diag_lines "$(node_log | tail -30)"
}

# ---------------------------------------------------------------- reload

# reload_wait WHAT: `lbctl reload` on the node lb, then wait until its log
# says the reload finished ("reload: done") or was refused ("has errors").
# RELOAD_OUT: what lbctl reload printed; RELOAD_LOG: the log lines the
# reload added.
reload_wait()
{
	local n0 rc
	n0=$(node_log | wc -l)
	RELOAD_OUT=$(lbctl_in lb reload eth0 2>&1); rc=$?
	wait_until 10 eval "node_log | tail -n +$((n0 + 1)) | grep -qE 'reload: done|has errors|reload: applying'"
	RELOAD_LOG=$(node_log | tail -n +$((n0 + 1)))
	return $rc
}

# ---------------------------------------------------------------- tcp_hold.py

# conns_report STATE: "rs1:ok,ok rs2:ok,broken ..." from tcp_hold.py's file.
conns_report()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for c in d["conns"]:
    by.setdefault(c["server"] or "none", []).append("ok" if c["ok"] else "broken")
print("round %d: " % d["round"] + " ".join("%s:%s" % (k, ",".join(v)) for k, v in sorted(by.items())))' "$1" 2>&1
}

# conns_count STATE ok|broken SERVER...: how many of the connections first
# answered by one of SERVERs are ok (or broken); "0" if there is none.
conns_count()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
want, ok = set(sys.argv[3:]), sys.argv[2] == "ok"
print(sum(1 for c in d["conns"] if c["server"] in want and c["ok"] == ok))' "$@" 2>/dev/null || echo 0
}

# conns_errors STATE SERVER...: the errors of the broken connections to
# SERVERs, one a line.
conns_errors()
{
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["conns"]:
    if c["server"] in sys.argv[2:] and not c["ok"]:
        print("conn %d to %s: %s" % (c["id"], c["server"], c["error"]))' "$@" 2>&1
}

# conns_wait STATE: wait until two more full probe rounds have completed.
conns_wait()
{
	local r
	r=$(tcp_hold_round "$1")
	wait_until 10 tcp_hold_past "$1" $((r + 1))
}

# ---------------------------------------------------------------- stats

# backend_packets PORT ADDR: the packets counter of backend ADDR in service
# $VIP:PORT from `lbctl stats -j` ("none" if it is not listed).
backend_packets()
{
	lbctl_in lb stats -j 2>/dev/null | jpy "([b['packets'] for b in d['backends'] if b['vip'] == '$VIP' and b['port'] == $1 and b['backend'] == '$2'] + ['none'])[0]"
}
