#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The network half of `make bench`, run by scripts/bench.sh. Each section
# builds its own world of network namespaces with selftests/lib.sh (sourced
# as it is: topology, cleanup on exit, polling with deadlines), prints its
# rows of the benchmark table on stdout (lines starting with "|"; progress
# goes to stderr) and tears the world down when it exits, also on failure.
# All addresses are 10.x; nothing leaves the namespaces.
#
#   bench_net.sh http      HTTP req/s, p50/p99 and the balancer's CPU per
#                          request: XDP DR through the VIP, nginx stream
#                          and haproxy (TCP mode) on the balancer node,
#                          and one real server directly
#   bench_net.sh failover  SIGKILL of the MASTER -> the VIP answering via
#                          the BACKUP: lbctl vs keepalived, advert_int 1 s
#                          and 0.1 s
#   bench_net.sh health    the controller's RSS and CPU while it checks
#                          1,000 backends (TCP_CHECK, delay_loop 1)
#
# Knobs (environment): BENCH_HTTP_S (10), BENCH_HTTP_CONNS (8),
# BENCH_TRIALS (5), BENCH_HEALTH_S (30), BENCH_HEALTH_N (1000).

SECTION=${1:-}
RUN=${RUN:-lbb$$}
# shellcheck source=../selftests/lib.sh
. "$(dirname "$0")/../selftests/lib.sh"

BENCH_XDP=${BENCH_XDP:-$TOP/build/bench_xdp}
HZ=$(getconf CLK_TCK)
KA_VERSION=$(keepalived --version 2>&1 | sed -n "s/^Keepalived v\([0-9.]*\).*/\1/p")

say()
{
	echo "bench_net: $*" >&2
}

# ---------------------------------------------------------------- CPU time

# proc_cpu_ticks PID...: utime + stime of the processes, in clock ticks.
proc_cpu_ticks()
{
	local p t=0 st
	for p in "$@"; do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		# fields after "(comm) ": state is $1, utime $12, stime $13
		t=$((t + $(awk '{print $12 + $13}' <<<"$st")))
	done
	echo "$t"
}

# ns_cpu_ticks NODE: CPU ticks of every process in NODE's namespace.
ns_cpu_ticks()
{
	# shellcheck disable=SC2046
	proc_cpu_ticks $(pids_in_netns "$(ns "$1")")
}

# machine_busy_ticks: all CPUs, everything but idle and iowait.
machine_busy_ticks()
{
	cpu_ticks | cut -d' ' -f1
}

# xdp_prog_id NODE: id of the XDP program on NODE's eth0.
xdp_prog_id()
{
	ip -n "$(ns "$1")" link show dev eth0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# bpf_run_ns ID: run_time_ns of program ID (needs BPF stats on).
bpf_run_ns()
{
	bpftool prog show id "$1" -j 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin).get("run_time_ns", 0))'
}

# ---------------------------------------------------------------- nginx

# nginx_start NODE CONF_BODY [MODULES]: nginx in NODE's namespace, one
# worker, in the foreground (tracked), files under the run's temp dir.
nginx_start()
{
	local node=$1 body=$2 mods=${3:-} dir pid
	dir=$(tmpdir)/nginx-$node
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<EOF
$mods
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
$body
EOF
	ip netns exec "$(ns "$node")" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
		>"$dir/out.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	echo "$pid"
}

# rs_http NAME: the http{} block of a real server answering its NAME.
rs_http()
{
	local dir
	dir=$(tmpdir)/nginx-$1
	cat <<EOF
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path $dir/t1; proxy_temp_path $dir/t2;
    fastcgi_temp_path $dir/t3; uwsgi_temp_path $dir/t4; scgi_temp_path $dir/t5;
    server {
        listen 80 backlog=4096;
        default_type text/plain;
        location / { return 200 "$1\n"; }
        location = /big { root $dir/www; }
    }
}
EOF
}

# mk_rs NAME IP VIP...: a DR real server (VIPs on lo, no ARP for them)
# running nginx that answers its NAME.
mk_rs()
{
	local name=$1 ip=$2; shift 2
	mk_dr_host "$name" "$ip/24" "" "$@"
	nsx "$name" sysctl -qw net.core.somaxconn=4096 || bail "sysctl failed in $name"
	# nginx's workers are not root: they must get through the 0700 tmpdir
	mkdir -p "$(tmpdir)/nginx-$name/www"
	chmod o+x "$(tmpdir)" "$(tmpdir)/nginx-$name" "$(tmpdir)/nginx-$name/www"
	head -c "$BIG_BYTES" /dev/zero >"$(tmpdir)/nginx-$name/www/big"
	chmod o+r "$(tmpdir)/nginx-$name/www/big"
	nginx_start "$name" "$(rs_http "$name")" >/dev/null
}

# get_body NODE URL: the body of one GET from NODE.
get_body()
{
	nsx "$1" curl -s --max-time 2 "$2"
}

# ================================================================ http

# wrk_run URL EXTRA...: wrk from the client; prints "rps p50_ms p99_ms
# requests bytes_per_s".
wrk_run()
{
	local url=$1 out; shift
	out=$(nsx client wrk -t1 -c"$HTTP_CONNS" -d"${HTTP_S}s" --latency "$@" "$url" 2>&1)
	echo "$out" >>"$(tmpdir)/wrk.log"
	awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000;
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0;
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000;
		return v + 0;
	}
	/Requests\/sec:/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/requests in/ { req = $1 }
	/Transfer\/sec:/ {
		v = $2; u = 1;
		if (v ~ /KB$/) u = 1024; else if (v ~ /MB$/) u = 1048576; else if (v ~ /GB$/) u = 1073741824;
		sub(/[KMG]?B$/, "", v); bps = v * u;
	}
	/Non-2xx|Socket errors/ { err = err $0 }
	END {
		if (rps == "" || req == "") exit 1;
		printf "%s %s %s %s %.0f\n", rps, p50, p99, req, bps;
	}' <<<"$out" || { say "wrk failed: $out"; return 1; }
	# an error answer is no measurement of serving the request
	if grep -q "Non-2xx" <<<"$out"; then
		say "wrk got error responses from $url: $out"
		return 1
	fi
	grep -E "Socket errors" <<<"$out" >&2
	return 0
}

# measure MODE URL [XDP_PROG_ID] -- WRKARGS...: one wrk run with CPU
# accounting; sets R_RPS R_P50 R_P99 R_REQ R_BPS R_LB_US R_MACH_US.
measure()
{
	local mode=$1 url=$2 prog=${3:-} stats_pid=""; shift 3
	local lb0 lb1 m0 m1 x0=0 x1=0 res
	if [ -n "$prog" ]; then
		"$BENCH_XDP" bpfstats $((HTTP_S + 5)) >/dev/null &
		stats_pid=$!
		sleep 0.3
		x0=$(bpf_run_ns "$prog")
	fi
	lb0=$(ns_cpu_ticks lb)
	m0=$(machine_busy_ticks)
	res=$(wrk_run "$url" "$@") || return 1
	m1=$(machine_busy_ticks)
	lb1=$(ns_cpu_ticks lb)
	if [ -n "$prog" ]; then
		x1=$(bpf_run_ns "$prog")
		kill "$stats_pid" 2>/dev/null
		wait "$stats_pid" 2>/dev/null
	fi
	read -r R_RPS R_P50 R_P99 R_REQ R_BPS <<<"$res"
	# balancer: its processes' CPU (ticks) + the XDP program's run time
	R_LB_US=$(awk -v t=$((lb1 - lb0)) -v hz="$HZ" -v x=$((x1 - x0)) -v n="$R_REQ" \
		'BEGIN { printf "%.2f", (t / hz * 1e6 + x / 1e3) / n }')
	R_XDP_US=$(awk -v x=$((x1 - x0)) -v n="$R_REQ" 'BEGIN { printf "%.3f", x / 1e3 / n }')
	R_MACH_US=$(awk -v t=$((m1 - m0)) -v hz="$HZ" -v n="$R_REQ" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	say "$mode: $R_RPS req/s p50 $R_P50 ms p99 $R_P99 ms; balancer $R_LB_US us/req" \
	    "(xdp $R_XDP_US); machine $R_MACH_US us/req"
}

# http_mode MODE KIND ROUND: bring MODE up on the balancer node, run wrk
# through it, take it down; results into the R_* arrays under MODE,ROUND.
http_mode()
{
	local mode=$1 kind=$2 r=$3 pid="" prog="" url
	local -a wargs=()
	[ "$kind" = close ] && wargs=(-H "Connection: close")
	# Bulk runs use rs1 alone everywhere, as direct does: one nginx
	# sending 1 MiB answers is what limits them, so a second server
	# would measure the number of servers, not the balancer.
	local path=/ rs2=$H_RS2 rs2_dev=rs2
	[ "$kind" = bulk ] && path=/big rs2=$H_RS1 rs2_dev=rs1
	case $mode in
	direct)
		url="http://$H_RS1/"
		;;
	xdp)
		attach_xdp_pass "$BR_NS" b-lb
		lbctl_in lb up eth0 >/dev/null 2>"$(tmpdir)/up.err" ||
			bail "lbctl up failed: $(cat "$(tmpdir)/up.err")"
		ip -n "$(ns lb)" addr add "$H_VIP/32" dev eth0
		lbctl_in lb vip add "$H_VIP" 80 tcp >/dev/null || bail "lbctl vip add failed"
		lbctl_in lb backend add "$H_VIP" 80 tcp "$H_RS1" >/dev/null || bail "backend add failed"
		if [ "$rs2" != "$H_RS1" ]; then
			lbctl_in lb backend add "$H_VIP" 80 tcp "$rs2" >/dev/null || bail "backend add failed"
		fi
		url="http://$H_VIP/"
		prog=$(xdp_prog_id lb)
		;;
	drfloor)
		attach_xdp_pass "$BR_NS" b-lb
		ip -n "$(ns lb)" addr add "$H_VIP/32" dev eth0
		ip netns exec "$(ns lb)" "$BENCH_XDP" drfloor eth0 "$H_VIP" \
			"$(ip -n "$(ns rs1)" -br link show dev eth0 | awk '{ print $3 }')" \
			"$(ip -n "$(ns "$rs2_dev")" -br link show dev eth0 | awk '{ print $3 }')" ||
			bail "cannot attach the DR floor program"
		url="http://$H_VIP/"
		prog=$(xdp_prog_id lb)
		;;
	nginx)
		pid=$(nginx_start lb "stream {
    upstream rs { server $H_RS1:80; server $rs2:80; }
    server { listen $H_LB:80 backlog=4096; proxy_pass rs; }
}" "load_module /usr/lib/nginx/modules/ngx_stream_module.so;")
		url="http://$H_LB/"
		;;
	haproxy)
		sed "s/ $H_RS2:80/ $rs2:80/" "$(tmpdir)/haproxy.cfg" >"$(tmpdir)/haproxy-$kind.cfg"
		ip netns exec "$(ns lb)" haproxy -db -f "$(tmpdir)/haproxy-$kind.cfg" \
			>"$(tmpdir)/haproxy.log" 2>&1 &
		pid=$!
		track_pid "$pid"
		url="http://$H_LB/"
		;;
	esac
	if [ "$mode" != direct ]; then
		wait_until 15 both_answer "$url" "$rs2_dev" || bail "$mode does not reach the real servers"
	fi
	measure "$mode/$kind/$r" "${url%/}$path" "$prog" "${wargs[@]}" ||
		bail "wrk ($mode, $kind) failed"
	RPS[$mode,$r]=$R_RPS P50[$mode,$r]=$R_P50 P99[$mode,$r]=$R_P99 BPS[$mode,$r]=$R_BPS
	LBUS[$mode,$r]=$R_LB_US XDPUS[$mode,$r]=$R_XDP_US
	case $mode in
	xdp)
		lbctl_in lb down eth0 >/dev/null 2>&1
		ip -n "$(ns lb)" addr del "$H_VIP/32" dev eth0 2>/dev/null
		wait_until 10 no_xdp_on lb || bail "lbctl down left XDP attached"
		ip -n "$BR_NS" link set dev b-lb xdp off
		;;
	drfloor)
		ip -n "$(ns lb)" link set dev eth0 xdp off
		ip -n "$(ns lb)" addr del "$H_VIP/32" dev eth0 2>/dev/null
		ip -n "$BR_NS" link set dev b-lb xdp off
		;;
	nginx|haproxy)
		stop_pid "$pid"
		;;
	esac
}

# med_of ARRAY MODE: the median of ARRAY[MODE,1..rounds] (ARRAY is one of
# http_section's associative arrays).
med_of()
{
	local -n arr=$1
	local r
	for ((r = 1; r <= rounds; r++)); do echo "${arr[$2,$r]}"; done | med
}

# med: the median of the numbers on stdin, one a line.
med()
{
	sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) print "—"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

http_section()
{
	local mode kind r rounds=${BENCH_HTTP_ROUNDS:-3}
	# shellcheck disable=SC2034 # filled by http_mode, read through med_of
	local -A RPS P50 P99 BPS LBUS XDPUS
	H_VIP=10.61.0.100 H_LB=10.61.0.2 H_RS1=10.61.0.11 H_RS2=10.61.0.12
	HTTP_S=${BENCH_HTTP_S:-4}
	HTTP_CONNS=${BENCH_HTTP_CONNS:-8}
	BIG_BYTES=$((1024 * 1024))
	need_cmd wrk nginx haproxy curl bpftool
	[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] ||
		bail "nginx has no stream module (apt-get install libnginx-mod-stream)"

	mk_bridge
	mk_host client 10.61.0.1/24
	mk_lbnode lb "$H_LB/24"
	ip netns exec "$(ns lb)" sysctl -qw net.core.somaxconn=4096 \
		net.ipv4.ip_local_port_range="10000 65000"
	ip netns exec "$(ns client)" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" \
		net.ipv4.tcp_tw_reuse=1
	mk_rs rs1 "$H_RS1" "$H_VIP"
	mk_rs rs2 "$H_RS2" "$H_VIP"
	# The servers and the balancer send as hosts with real NICs do (TSO);
	# the balancer's switch port gets its XDP_PASS program only while an
	# XDP mode runs (see nic_like). The client keeps the test hosts' full
	# checksums, since its packets cross the balancer's XDP_TX.
	nic_like rs1
	nic_like rs2
	nic_like lb
	wait_until 10 get_body client "http://$H_RS1/" || bail "nginx on rs1 does not answer"
	wait_until 10 get_body client "http://$H_RS2/" || bail "nginx on rs2 does not answer"
	cat >"$(tmpdir)/haproxy.cfg" <<EOF
global
    maxconn 8000
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend f
    bind $H_LB:80
    default_backend b
backend b
    balance roundrobin
    server rs1 $H_RS1:80
    server rs2 $H_RS2:80
EOF
	say "http: topology ready ($RUN)"

	for kind in ${BENCH_HTTP_KINDS:-keepalive close bulk}; do
		# Rounds alternate the four modes, so that the machine's other
		# load falls on all of them alike; each ratio pairs a mode with
		# the direct run of its own round.
		for ((r = 1; r <= rounds; r++)); do
			for mode in direct drfloor xdp nginx haproxy; do
				http_mode "$mode" "$kind" "$r"
			done
		done

		if [ "$kind" = bulk ]; then
			bulk_rows
			continue
		fi
		local what
		[ "$kind" = keepalive ] && what="keep-alive" || what="a new connection per request"
		local drps dp50 dp99
		drps=$(med_of RPS direct)
		dp50=$(med_of P50 direct)
		dp99=$(med_of P99 direct)
		local frps
		frps=$(med_of RPS drfloor)
		for mode in drfloor xdp nginx haproxy; do
			local name target note rps p50 p99 ratio lbus spread
			rps=$(med_of RPS "$mode")
			p50=$(med_of P50 "$mode")
			p99=$(med_of P99 "$mode")
			lbus=$(med_of LBUS "$mode")
			ratio=$(for ((r = 1; r <= rounds; r++)); do
				awk -v a="${RPS[$mode,$r]}" -v b="${RPS[direct,$r]}" 'BEGIN { printf "%.3f\n", a / b }'
			done | med)
			spread=$(for ((r = 1; r <= rounds; r++)); do
				awk -v a="${RPS[$mode,$r]}" -v b="${RPS[direct,$r]}" 'BEGIN { printf "%.0f/%.0f ", a, b }'
			done)
			case $mode in
			drfloor) name="DR floor through the VIP: the least possible XDP forwarder (2 real servers by a bit of the source port, both MACs rewritten, XDP_TX; no state)"
			     target="—"
			     note="; of which the program $(med_of XDPUS drfloor) µs. The same path as lbctl's DR: its gap to direct is what the extra hop through the balancer costs in this one-machine topology";;
			xdp) name="XDP DR through the VIP (lbctl, 2 real servers)"
			     target="≥ 0.95× direct, above both proxies"
			     note="; of which the xdp_lb program $(med_of XDPUS xdp) µs (kernel BPF stats). Against the DR floor over the same path and servers: $(awk -v a="$rps" -v b="$frps" 'BEGIN { printf "%.2f", a / b }')× its req/s";;
			nginx) name="nginx stream proxy on the balancer node"; target="—"; note="";;
			haproxy) name="haproxy (mode tcp) on the balancer node"; target="—"; note="";;
			esac
			printf '| HTTP %s, wrk -c%s, %s: req/s; p50 / p99 | %.0f req/s; %s / %s ms | %.0f req/s; %s / %s ms (one real server directly) | %.2f× | %s | medians of %s alternating rounds of %s s (req/s per round, mode/direct: %s); balancer node CPU per request %s µs%s |\n' \
				"$name" "$HTTP_CONNS" "$what" "$rps" "$p50" "$p99" "$drps" "$dp50" "$dp99" \
				"$ratio" "$target" "$rounds" "$HTTP_S" "${spread% }" "$lbus" "$note"
		done
	done
}

# bulk_rows: the table rows of the 1 MiB-response runs (http_section's
# arrays): what direct server return is for, since the responses skip
# the balancer.
bulk_rows()
{
	local mode name ratio spread gbps dgbps
	dgbps=$(med_of BPS direct | awk '{ printf "%.2f", $1 * 8 / 1e9 }')
	for mode in drfloor xdp nginx haproxy; do
		gbps=$(med_of BPS "$mode" | awk '{ printf "%.2f", $1 * 8 / 1e9 }')
		ratio=$(for ((r = 1; r <= rounds; r++)); do
			awk -v a="${BPS[$mode,$r]}" -v b="${BPS[direct,$r]}" 'BEGIN { printf "%.3f\n", a / b }'
		done | med)
		spread=$(for ((r = 1; r <= rounds; r++)); do
			awk -v a="${BPS[$mode,$r]}" -v b="${BPS[direct,$r]}" \
				'BEGIN { printf "%.2f/%.2f ", a * 8 / 1e9, b * 8 / 1e9 }'
		done)
		case $mode in
		drfloor) name="DR floor (the least possible XDP forwarder)";;
		xdp) name="XDP DR through the VIP (lbctl)";;
		nginx) name="nginx stream proxy on the balancer node";;
		haproxy) name="haproxy (mode tcp) on the balancer node";;
		esac
		printf '| HTTP %s, 1 real server, 1 MiB responses, wrk -c%s keep-alive: throughput | %s Gbit/s (%.0f req/s) | %s Gbit/s (one real server directly) | %.2f× | %s | medians of %s alternating rounds of %s s (Gbit/s per round, mode/direct: %s); balancer node CPU per request %s µs. The responses go from the real server to the client without the balancer in DR, through it with a proxy |\n' \
			"$name" "$HTTP_CONNS" "$gbps" "$(med_of RPS "$mode")" "$dgbps" "$ratio" \
			"$([ "$mode" = xdp ] && echo "≥ 0.95× direct, above both proxies" || echo "—")" \
			"$rounds" "$HTTP_S" "${spread% }" "$(med_of LBUS "$mode")"
	done
}

# both_answer URL [OTHER]: a few GETs from the client reach rs1 and OTHER
# (rs2).
both_answer()
{
	local i seen="" other=${2:-rs2}
	for i in 1 2 3 4 5 6 7 8; do
		seen+=" $(nsx client curl -s --max-time 1 -H 'Connection: close' "$1")"
	done
	[[ $seen == *rs1* && $seen == *$other* ]]
}

no_xdp_on()
{
	[ -z "$(xdp_prog_id "$1")" ]
}

# stop_pid PID: SIGTERM, wait for it.
stop_pid()
{
	kill "$1" 2>/dev/null
	wait_until 5 bash -c "! kill -0 $1 2>/dev/null"
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ================================================================ failover

# The probe: from the client, a fresh TCP connection and an HTTP GET to
# the VIP every 10 ms. Once ten answers in a row came through the MASTER,
# it waits for the master's next advert and kills the given pids itself (so
# kill time and probe times share one clock), and reports, as JSON, the
# milliseconds until the first answer that came through the BACKUP, and
# the probes refused or answered by the dead master meanwhile.
FAILOVER_PROBE='
import json, os, select, selectors, signal, socket, struct, sys, time
vip, port, via_a, via_b, pids, master_ip, my_ip = sys.argv[1:8]
port = int(port)
REQ = b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n"
# VRRP adverts (IP protocol 112 to 224.0.0.18) seen by the client.
adv = None
try:
    adv = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    adv.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                   struct.pack("4s4s", socket.inet_aton("224.0.0.18"), socket.inet_aton(my_ip)))
    adv.setblocking(False)
except OSError:
    adv = None
last_adv = None
def drain():
    global last_adv
    while adv:
        try:
            pkt, addr = adv.recvfrom(2048)
        except OSError:
            return
        if addr[0] == master_ip:
            last_adv = time.monotonic()
def body(data):
    return data.rsplit(b"\r\n\r\n", 1)[-1].strip().decode(errors="replace")
def probe():
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect((vip, port))
        s.sendall(REQ)
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        return body(data)
    except OSError:
        return None
    finally:
        s.close()
# Ten answers in a row through the master, and (if adverts can be seen at
# all: 5 s at most) one of its adverts seen.
start = time.monotonic()
run = 0
while run < 10 or (adv and last_adv is None and time.monotonic() - start < 5):
    if time.monotonic() - start > 30:
        print(json.dumps({"error": "the VIP never answered through the master"}))
        sys.exit(1)
    run = run + 1 if probe() == via_a else 0
    drain()
    time.sleep(0.01)
# Kill right after the next advert of the master: the backup then waits its
# whole Master_Down_Interval (the worst case, the same in every trial).
drain()
if adv and last_adv is not None:
    seen = last_adv
    limit = time.monotonic() + 5
    while last_adv == seen and time.monotonic() < limit:
        select.select([adv], [], [], 0.5)
        drain()
# Stop them all first, then kill: a keepalived VRRP child that outlived its
# parent by a moment would get SIGTERM and send a priority-0 advert.
t0 = time.monotonic()
for p in pids.split(","):
    os.kill(int(p), signal.SIGSTOP)
for p in pids.split(","):
    os.kill(int(p), signal.SIGKILL)
after_adv = (t0 - last_adv) * 1000 if last_adv else None
# A new connection every 10 ms whatever the earlier ones are doing (a SYN
# to a node that dropped the VIP waits for no answer), each given 1 s.
sel = selectors.DefaultSelector()
count = {"refused": 0, "timeout": 0, "via_master": 0, "other": 0}
nxt = t0
live = {}
while True:
    now = time.monotonic()
    if now - t0 > 30:
        print(json.dumps({"error": "no answer through the backup within 30 s", **count}))
        sys.exit(1)
    if now >= nxt:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((vip, port))
        live[s] = [now, b"", False]
        sel.register(s, selectors.EVENT_WRITE)
        nxt += 0.01
    for s, st in list(live.items()):
        if now - st[0] > 1:
            count["timeout"] += 1
            sel.unregister(s)
            s.close()
            del live[s]
    drain()
    for key, ev in sel.select(max(0, nxt - time.monotonic())):
        s = key.fileobj
        st = live[s]
        done = None
        if not st[2]:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                count["refused"] += 1
                done = True
            else:
                try:
                    s.send(REQ)
                    st[2] = True
                    sel.modify(s, selectors.EVENT_READ)
                except OSError:
                    count["refused"] += 1
                    done = True
        else:
            try:
                d = s.recv(4096)
            except OSError:
                d = None
                count["refused"] += 1
                done = True
            if d:
                st[1] += d
            elif d is not None:
                b = body(st[1])
                done = True
                if b == via_b:
                    t = time.monotonic()
                    print(json.dumps({"ms": (t - t0) * 1000,
                                      "since_advert_ms": (t - last_adv) * 1000 if last_adv else None,
                                      "kill_after_advert_ms": after_adv, **count}))
                    sys.exit(0)
                count["via_master" if b == via_a else "other"] += 1
        if done:
            sel.unregister(s)
            s.close()
            del live[s]
'

# node_pids NODE COMM: pids (comma-separated) of processes named COMM in
# NODE's namespace.
node_pids()
{
	local p out=""
	for p in $(pids_in_netns "$(ns "$1")"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && out+="${out:+,}$p"
	done
	echo "$out"
}

# node_runs NODE COMM: a process named COMM runs in NODE's namespace.
node_runs()
{
	[ -n "$(node_pids "$1" "$2")" ]
}

# node_idle NODE: neither lbctl nor keepalived runs in NODE's namespace.
node_idle()
{
	! node_runs "$1" lbctl && ! node_runs "$1" keepalived
}

# keepalived_conf NAME STATE PRIO ADVERT: the failover benchmark's VRRP
# instance, VRRP only.
keepalived_conf()
{
	cat <<EOF
global_defs {
    router_id $1
    vrrp_version 3
    script_user root
}
vrrp_instance VI_BENCH {
    state $2
    interface eth0
    virtual_router_id 62
    priority $3
    advert_int $4
    virtual_ipaddress {
        $FO_VIP/24 dev eth0
    }
}
EOF
}

# lbctl_conf NAME STATE PRIO ADVERT RS: the same instance, for lbctl, with
# a virtual server over RS.
lbctl_conf()
{
	keepalived_conf "$1" "$2" "$3" "$4"
	cat <<EOF
virtual_server $FO_VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server $5 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
}

# fo_start IMPL NODE STATE PRIO ADVERT: start the VRRP speaker on NODE.
fo_start()
{
	local impl=$1 node=$2 dir
	dir=$(tmpdir)/$node
	mkdir -p "$dir"
	if [ "$impl" = lbctl ]; then
		lbctl_conf "$node" "$3" "$4" "$5" "${FO_RS[$node]}" >"$dir/lbctl.conf"
		lbctl_in "$node" up eth0 -c "$dir/lbctl.conf" -f >>"$dir/lbctl.log" 2>&1 &
	else
		keepalived_conf "$node" "$3" "$4" "$5" >"$dir/keepalived.conf"
		ip netns exec "$(ns "$node")" keepalived -n -l -D -P -f "$dir/keepalived.conf" \
			-p "$dir/keepalived.pid" -r "$dir/vrrp.pid" >"$dir/keepalived.log" 2>&1 &
	fi
	track_pid $!
}

# fo_state IMPL NODE: MASTER, BACKUP, ... as the speaker on NODE says.
fo_state()
{
	if [ "$1" = lbctl ]; then
		lbctl_in "$2" status -j 2>/dev/null | "$PY" -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "state" and isinstance(v, str):
                return v
        for v in o.values():
            r = find(v)
            if r:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r:
                return r
    return ""
d = json.load(sys.stdin)
print(find(d.get("vrrp", d) if isinstance(d, dict) else d).upper())' 2>/dev/null
	else
		sed -n 's/.*(VI_BENCH) Entering \([A-Z]*\) STATE.*/\1/p' \
			"$(tmpdir)/$2/keepalived.log" 2>/dev/null | tail -1
	fi
}

fo_is()
{
	[ "$(fo_state "$1" "$2")" = "$3" ]
}

# fo_stop IMPL NODE: stop whatever runs on NODE; VIP and XDP off its eth0.
fo_stop()
{
	local impl=$1 node=$2 p
	[ "$impl" = lbctl ] && lbctl_in "$node" down eth0 >/dev/null 2>&1
	for p in $(node_pids "$node" lbctl | tr , ' ') $(node_pids "$node" keepalived | tr , ' '); do
		kill "$p" 2>/dev/null
	done
	wait_until 5 node_idle "$node"
	for p in $(node_pids "$node" lbctl | tr , ' ') $(node_pids "$node" keepalived | tr , ' '); do
		kill -9 "$p" 2>/dev/null
	done
	ip -n "$(ns "$node")" addr del "$FO_VIP/24" dev eth0 2>/dev/null
	ip -n "$(ns "$node")" link set dev eth0 xdp off 2>/dev/null
}

# fo_trial IMPL ADVERT: one failover; prints its JSON result.
fo_trial()
{
	local impl=$1 adv=$2 comm pids res a b
	if [ "$impl" = lbctl ]; then
		comm=lbctl a=rsA b=rsB
	else
		comm=keepalived a=lbA b=lbB
	fi
	ip -n "$(ns client)" neigh flush all 2>/dev/null
	fo_start "$impl" lbA MASTER 150 "$adv"
	if ! wait_until 20 fo_is "$impl" lbA MASTER; then
		echo '{"error": "lbA never became MASTER"}'
	else
		fo_start "$impl" lbB BACKUP 100 "$adv"
		if ! wait_until 20 fo_is "$impl" lbB BACKUP; then
			echo '{"error": "lbB never became BACKUP"}'
		else
			# lbctl: the controller (its guardian child is meant to
			# outlive it); keepalived: the parent and its VRRP child.
			if [ "$impl" = lbctl ]; then
				pids=$(cat "${LB_RUNDIR[lbA]}/eth0/pid" 2>/dev/null)
			else
				pids=$(node_pids lbA "$comm")
			fi
			res=$(nsx client "$PY" -c "$FAILOVER_PROBE" "$FO_VIP" 80 "$a" "$b" "$pids" 10.62.0.2 10.62.0.1)
			echo "${res:-{\"error\": \"probe failed\"\}}"
		fi
	fi
	fo_stop "$impl" lbB
	fo_stop "$impl" lbA
}

json_get()
{
	"$PY" -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"
}

failover_section()
{
	local impl adv t trials=${BENCH_TRIALS:-5} res mdi
	local -A MED SPREAD SAMED FAILED VIAM
	need_cmd keepalived nginx curl
	FO_VIP=10.62.0.100
	declare -gA FO_RS=([lbA]=10.62.0.21 [lbB]=10.62.0.22)

	mk_bridge
	mk_host client 10.62.0.1/24
	mk_lbnode lbA 10.62.0.2/24
	mk_lbnode lbB 10.62.0.3/24
	# lbctl forwards to a real server of its own per node, and keepalived
	# nodes answer themselves: either way the body names the path taken.
	mk_rs rsA "${FO_RS[lbA]}" "$FO_VIP"
	mk_rs rsB "${FO_RS[lbB]}" "$FO_VIP"
	nginx_start lbA "$(rs_http lbA)" >/dev/null
	nginx_start lbB "$(rs_http lbB)" >/dev/null
	wait_until 10 get_body client "http://${FO_RS[lbA]}/" || bail "nginx on rsA does not answer"
	wait_until 10 get_body client "http://10.62.0.2/" || bail "nginx on lbA does not answer"
	say "failover: topology ready ($RUN)"

	for adv in 1 0.1; do
		for impl in lbctl keepalived; do
			local -a ms=() sa=() fl=() vm=()
			for ((t = 1; t <= trials; t++)); do
				res=$(fo_trial "$impl" "$adv")
				say "failover: $impl advert_int $adv trial $t: $res"
				if [[ $res == *'"ms"'* ]]; then
					ms+=("$(json_get "$res" ms)")
					sa+=("$(json_get "$res" since_advert_ms)")
					fl+=("$(( $(json_get "$res" refused) + $(json_get "$res" timeout) + $(json_get "$res" other) ))")
					vm+=("$(json_get "$res" via_master)")
				fi
			done
			if [ ${#ms[@]} = 0 ]; then
				MED[$impl]=""
				SPREAD[$impl]="no trial succeeded (last: $res)"
				continue
			fi
			read -r MED[$impl] SPREAD[$impl] <<<"$(stats_ms "$trials" "${ms[@]}")"
			read -r SAMED[$impl] _ <<<"$(stats_ms "$trials" "${sa[@]}")"
			read -r FAILED[$impl] _ <<<"$(stats_ms "$trials" "${fl[@]}")"
			read -r VIAM[$impl] _ <<<"$(stats_ms "$trials" "${vm[@]}")"
		done
		# RFC 5798: 3 × advert + skew, skew = (256 − priority) / 256 × advert
		mdi=$(awk -v a="$adv" 'BEGIN { printf "%.0f", (3 + (256 - 100) / 256) * a * 1000 }')
		if [ -n "${MED[lbctl]}" ] && [ -n "${MED[keepalived]}" ]; then
			printf '| Failover, advert_int %s s: SIGKILL of the MASTER right after one of its adverts → the VIP answers through the BACKUP (HTTP probe every 10 ms) | %s ms | %s ms (keepalived %s, same vrrp_instance) | %s× | ≤ 1× (at least as fast) | median; lbctl %s; keepalived %s; from the last advert the client saw: lbctl %s ms, keepalived %s ms; Master_Down_Interval (priority 100) = %s ms. Probes started meanwhile (median): lbctl %s failed (refused, or no answer within 1 s), %s answered by the dead master; keepalived %s failed, %s answered by the dead master |\n' \
				"$adv" "${MED[lbctl]}" "${MED[keepalived]}" "$KA_VERSION" \
				"$(awk -v a="${MED[lbctl]}" -v b="${MED[keepalived]}" 'BEGIN { printf "%.2f", a / b }')" \
				"${SPREAD[lbctl]}" "${SPREAD[keepalived]}" "${SAMED[lbctl]}" "${SAMED[keepalived]}" \
				"$mdi" "${FAILED[lbctl]}" "${VIAM[lbctl]}" "${FAILED[keepalived]}" "${VIAM[keepalived]}"
		else
			printf '| Failover, advert_int %s s: SIGKILL of the MASTER → the VIP answers through the BACKUP | %s | %s | — | ≤ 1× | not measured: lbctl: %s; keepalived: %s |\n' \
				"$adv" "${MED[lbctl]:-—}" "${MED[keepalived]:-—}" "${SPREAD[lbctl]:-ok}" \
				"${SPREAD[keepalived]:-ok}"
		fi
	done
}

# stats_ms TRIALS MS...: "MEDIAN MIN–MAX ms, n/TRIALS trials" (read -r
# MED SPREAD <<< splits it after the median).
stats_ms()
{
	local trials=$1; shift
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n | awk -v T="$trials" '
		{ v[NR] = $1 }
		END {
			if (!NR) { print "— none"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			printf "%.0f %.0f–%.0f ms, %d/%d trials\n", m, v[1], v[NR], NR, T }'
}

# ================================================================ health

# health_conf N: a static-mode config (no vrrp_instance) with one service
# of N real servers, TCP_CHECK every second.
health_conf()
{
	local n=$1 i
	cat <<EOF
global_defs {
    router_id bench
}
virtual_server $HC_VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
EOF
	for ((i = 0; i < n; i++)); do
		echo "    real_server $(farm_ip "$i") 80 {"
		echo "        weight 1"
		echo "        TCP_CHECK {"
		echo "            connect_timeout 1"
		echo "        }"
		echo "    }"
	done
	echo "}"
}

# farm_ip I: the I-th real server address, 10.64.1.1 upwards.
farm_ip()
{
	echo "10.64.$((1 + $1 / 250)).$((1 + $1 % 250))"
}

# backends_up: how many backends lbctl lists as up.
backends_up()
{
	lbctl_in lb backend list -j 2>/dev/null |
		"$PY" -c 'import json, sys; print(sum(1 for b in json.load(sys.stdin) if b.get("state") == "up"))' \
		2>/dev/null || echo 0
}

all_up()
{
	[ "$(backends_up)" -ge "$1" ]
}

# health_run N SECONDS: start lbctl with N backends, wait until all are up,
# then watch the controller for SECONDS. Sets H_START H_UP H_CPU H_RSS
# H_HWM H_LATE H_STARTCPU.
health_run()
{
	local n=$1 secs=$2 dir pid t0 c0 c1 deadline
	dir=$(tmpdir)/health-$n
	mkdir -p "$dir"
	health_conf "$n" >"$dir/lbctl.conf"
	t0=$(date +%s.%N)
	lbctl_in lb up eth0 -c "$dir/lbctl.conf" -f >"$dir/lbctl.log" 2>&1 &
	track_pid $!
	wait_until 10 test -s "${LB_RUNDIR[lb]}/eth0/pid" ||
		bail "lbctl up did not start: $(tail -2 "$dir/lbctl.log" | tr '\n' ' ')"
	# The controller; its guardian child only sleeps until it dies.
	pid=$(cat "${LB_RUNDIR[lb]}/eth0/pid")
	deadline=${BENCH_HEALTH_START_S:-180}
	wait_until "$deadline" all_up "$n"
	H_UP=$(backends_up)
	H_START=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	H_STARTCPU=$(awk -v c="$(proc_cpu_ticks "$pid")" -v hz="$HZ" 'BEGIN { printf "%.1f", c / hz }')
	kill -0 "$pid" 2>/dev/null || bail "lbctl up exited: $(tail -3 "$dir/lbctl.log")"
	say "health: $n backends: $H_UP up after $H_START s, $H_STARTCPU s of CPU"
	c0=$(proc_cpu_ticks "$pid")
	t0=$(date +%s.%N)
	sleep "$secs"
	c1=$(proc_cpu_ticks "$pid")
	H_CPU=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v a="$t0" -v b="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", c / hz / (b - a) * 100 }')
	H_RSS=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	H_HWM=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	H_LATE=$(backends_up)
	say "health: $n backends: CPU $H_CPU% RSS $H_RSS MiB (peak $H_HWM), $H_LATE up at the end"
	lbctl_in lb down eth0 >/dev/null 2>&1
	wait_until 10 node_idle lb
	kill -9 "$pid" 2>/dev/null
}

# The neighbour table's limits are global (not per namespace): 1,000
# backends need more than the default gc_thresh3 of 1024 leaves room for.
# Raised for this section only, put back on exit.
NEIGH_SAVED=""
neigh_restore()
{
	local s=$?
	if [ -n "$NEIGH_SAVED" ]; then
		# shellcheck disable=SC2086
		sysctl -qw $NEIGH_SAVED
		NEIGH_SAVED=""
	fi
	(exit "$s")
	cleanup
}

health_section()
{
	local n=${BENCH_HEALTH_N:-1000} secs=${BENCH_HEALTH_S:-30} i t2 t3
	local b_cpu b_rss b_hwm b_start b_startcpu
	need_cmd nginx
	HC_VIP=10.64.0.100

	t2=$(sysctl -n net.ipv4.neigh.default.gc_thresh2)
	t3=$(sysctl -n net.ipv4.neigh.default.gc_thresh3)
	if [ "$t3" -lt $((n * 4)) ]; then
		NEIGH_SAVED="net.ipv4.neigh.default.gc_thresh2=$t2 net.ipv4.neigh.default.gc_thresh3=$t3"
		trap neigh_restore EXIT
		sysctl -qw net.ipv4.neigh.default.gc_thresh2=$((n * 2)) \
			net.ipv4.neigh.default.gc_thresh3=$((n * 4))
	fi

	mk_bridge
	mk_lbnode lb 10.64.0.2/16
	mk_host farm 10.64.0.3/16
	for ((i = 0; i < n; i++)); do
		echo "addr add $(farm_ip "$i")/16 dev eth0"
	done | ip -n "$(ns farm)" -batch - || bail "cannot add $n addresses to the farm"
	ip netns exec "$(ns farm)" sysctl -qw net.core.somaxconn=4096
	nginx_start farm "$(rs_http farm)" >/dev/null
	wait_until 10 nsx lb curl -s --max-time 1 -o /dev/null "http://$(farm_ip $((n - 1)))/" ||
		bail "the farm does not answer on $(farm_ip $((n - 1)))"
	say "health: topology ready ($RUN): $n listeners"

	health_run 10 $((secs / 2))
	b_cpu=$H_CPU b_rss=$H_RSS b_hwm=$H_HWM b_start=$H_START b_startcpu=$H_STARTCPU
	health_run "$n" "$secs"
	printf '| Controller checking %s backends (TCP_CHECK, delay_loop 1), steady state: CPU, RSS | %s%% of one CPU; RSS %s MiB (peak %s) | 10 backends: %s%%; RSS %s MiB (peak %s) | %s× CPU | — | over %s s (10 backends: %s s) once all were up, from /proc/PID/stat (utime+stime) and /proc/PID/status (VmRSS, VmHWM); %s of %s up at the end. Keepalived cannot be the baseline: its checker needs IPVS, which this kernel lacks |\n' \
		"$n" "$H_CPU" "$H_RSS" "$H_HWM" "$b_cpu" "$b_rss" "$b_hwm" \
		"$(awk -v a="$H_CPU" -v b="$b_cpu" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "—" }')" \
		"$secs" $((secs / 2)) "$H_LATE" "$n"
	printf '| Controller start with %s backends: `lbctl up` until every backend is up (MAC resolved, check passed) | %s s, %s s of CPU (%s up) | 10 backends: %s s, %s s of CPU | %s× | — | %s ms of controller CPU per backend (10 backends: %s ms); the first check runs up to delay_loop (1 s) after the start |\n' \
		"$n" "$H_START" "$H_STARTCPU" "$H_UP" "$b_start" "$b_startcpu" \
		"$(awk -v a="$H_START" -v b="$b_start" 'BEGIN { printf "%.0f", a / b }')" \
		"$(awk -v c="$H_STARTCPU" -v n="$n" 'BEGIN { printf "%.1f", c * 1000 / n }')" \
		"$(awk -v c="$b_startcpu" 'BEGIN { printf "%.0f", c * 1000 / 10 }')"
}

# ================================================================ main

case $SECTION in
http) http_section ;;
failover) failover_section ;;
health) health_section ;;
*) echo "usage: $0 http|failover|health" >&2; exit 2 ;;
esac
exit 0
