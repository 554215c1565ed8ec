#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: measure lbctl against its baselines, every figure side by
# side with its baseline in the same run, print ONE markdown table on
# stdout and write it, with the machine, date, kernel and method, to
# bench/results.md. Progress goes to stderr. Run as root after `make`.
#
#   scripts/bench.sh                  everything (about 10 minutes)
#   BENCH_ONLY="xdp maglev" scripts/bench.sh
#                                     some sections only (xdp maglev conntrack
#                                     live http failover health); results.md
#                                     is then left alone unless BENCH_OUT says
#   BENCH_QUICK=1 scripts/bench.sh    shorter runs, for trying the script
#
# Sections (rows of the table, in this order):
#   xdp        per-packet cost of each path through BPF_PROG_TEST_RUN vs the
#              MAC-swap floor (scripts/bench_xdp.c testrun)
#   live       packets/s through a veth with live XDP frames vs the floor
#   maglev     Maglev build and publish for 10, 100, 1,000 backends
#   conntrack  1,000,000 flows into the connection table: time and memory
#   http       wrk through the VIP vs nginx stream vs haproxy vs direct
#   failover   SIGKILL of the master -> VIP on the backup, lbctl vs keepalived
#   health     controller CPU and RSS while checking 1,000 backends
# A section that cannot run prints its row(s) with the reason instead.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

BUILD=build
SECTIONS_ALL="xdp live maglev conntrack http failover health"
SECTIONS=${BENCH_ONLY:-$SECTIONS_ALL}
if [ -n "${BENCH_OUT:-}" ]; then
	OUT=$BENCH_OUT
elif [ -z "${BENCH_ONLY:-}" ]; then
	OUT=bench/results.md
else
	OUT=""
fi
PKGS="libbpf libelf zlib libnl-3.0 libnl-route-3.0"

if [ -n "${BENCH_QUICK:-}" ]; then
	export BENCH_RUNS=${BENCH_RUNS:-3} BENCH_REPEAT=${BENCH_REPEAT:-200000}
	export BENCH_FLOWS=${BENCH_FLOWS:-20000} BENCH_LIVE_S=${BENCH_LIVE_S:-2}
	export BENCH_HTTP_S=${BENCH_HTTP_S:-3} BENCH_TRIALS=${BENCH_TRIALS:-1}
	export BENCH_HEALTH_S=${BENCH_HEALTH_S:-6}
fi

log()
{
	echo "bench: $*" >&2
}

die()
{
	log "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (BPF, network namespaces, bpffs)"
if [ ! -e "$BUILD/liblb.a" ] || [ ! -e "$BUILD/lb.skel.h" ] || [ ! -e "$BUILD/floor.skel.h" ]; then
	die "run make first ($BUILD/liblb.a and the skeletons are missing)"
fi

TMP=$(mktemp -d /tmp/lbbench.XXXXXX) || die "mktemp failed"
LIVE_NS=""
on_exit()
{
	[ -n "$LIVE_NS" ] && ip netns del "$LIVE_NS" 2>/dev/null
	rm -rf "$TMP"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build

# bench_xdp is built here, with the Makefile's flags, against build/liblb.a
# and the skeletons; the packet builder comes from selftests/pkt.h. Others
# may be rebuilding the library at the same moment: retry a few times.
build_bench_xdp()
{
	local i
	for i in 1 2 3 4 5 6; do
		# shellcheck disable=SC2046
		gcc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
			-Iheaders -Iuser -I"$BUILD" -Iselftests \
			$(pkg-config --cflags $PKGS 2>/dev/null) \
			-o "$BUILD/bench_xdp" scripts/bench_xdp.c "$BUILD/liblb.a" \
			$(pkg-config --libs $PKGS 2>/dev/null) -lm 2>"$TMP/cc.err" && return 0
		log "building bench_xdp failed (attempt $i), retrying in 10 s:"
		head -5 "$TMP/cc.err" >&2
		sleep 10
	done
	return 1
}

# ---------------------------------------------------------------- sections

# na_row WHAT REASON: a row for something that could not be measured.
na_row()
{
	printf '| %s | — | — | — | — | not measured: %s |\n' "$1" "$2"
}

# run_section NAME TIMEOUT_S CMD...: run CMD, keep its table rows (lines
# starting with "|") in $TMP/NAME.rows; on failure, or with no rows, a
# row saying why.
run_section()
{
	local name=$1 limit=$2 rc t0 why; shift 2
	t0=$SECONDS
	log "section $name: $*"
	timeout --kill-after=20 "$limit" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	grep '^|' "$TMP/$name.out" >"$TMP/$name.rows"
	sed 's/^/    /' "$TMP/$name.err" >&2
	log "section $name: exit status $rc after $((SECONDS - t0)) s"
	if [ "$rc" != 0 ]; then
		why=$(grep -h '^Bail out!' "$TMP/$name.out" | tail -1 | sed 's/^Bail out! *//')
		[ -z "$why" ] && why=$(grep -v '^ *$' "$TMP/$name.err" | tail -1)
		[ "$rc" = 124 ] && why="did not finish within $limit s${why:+ ($why)}"
		why=${why//|/\/}
		na_row "$(section_title "$name")" "exit status $rc: ${why:-no reason given}" \
			>>"$TMP/$name.rows"
	fi
	return 0
}

section_title()
{
	case $1 in
	xdp) echo "XDP per-packet cost through BPF_PROG_TEST_RUN" ;;
	live) echo "XDP live frames through a veth" ;;
	maglev) echo "Maglev build and publish" ;;
	conntrack) echo "Connection table with 1,000,000 flows" ;;
	http) echo "HTTP through the VIP vs proxies vs direct" ;;
	failover) echo "Failover, lbctl vs keepalived" ;;
	health) echo "Controller checking 1,000 backends" ;;
	*) echo "$1" ;;
	esac
}

# live: a veth pair in a namespace of its own; frames are injected on one
# end and XDP_TX sends them to the other, where XDP_DROP takes them.
live_section()
{
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link add v0 type veth peer name v1 || return 1
	ip -n "$ns" link set v0 up && ip -n "$ns" link set v1 up || return 1
	ip netns exec "$ns" "$BUILD/bench_xdp" live v0 v1
}

want()
{
	[[ " $SECTIONS " == *" $1 "* ]]
}

# ---------------------------------------------------------------- run

T_START=$SECONDS
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

BUILT=1
build_bench_xdp || BUILT=""
for s in xdp live maglev conntrack; do
	want "$s" || continue
	if [ -z "$BUILT" ]; then
		na_row "$(section_title "$s")" "scripts/bench_xdp.c did not build: $(head -1 "$TMP/cc.err" | tr '|' /)" \
			>"$TMP/$s.rows"
		continue
	fi
	case $s in
	xdp) run_section xdp 600 "$BUILD/bench_xdp" testrun ;;
	maglev) run_section maglev 300 "$BUILD/bench_xdp" maglev ;;
	conntrack) run_section conntrack 300 "$BUILD/bench_xdp" conntrack ;;
	live)
		if [ "$(printf '%s\n5.18\n' "$(uname -r | cut -d- -f1)" | sort -V | head -1)" != 5.18 ]; then
			na_row "$(section_title live)" "needs kernel ≥ 5.18 for BPF_F_TEST_XDP_LIVE_FRAMES ($(uname -r))" \
				>"$TMP/live.rows"
		else
			LIVE_NS=lbbench-live-$$
			export BUILD
			export -f live_section
			run_section live 300 bash -c 'live_section "$0"' "$LIVE_NS"
			ip netns del "$LIVE_NS" 2>/dev/null
			LIVE_NS=""
		fi
		;;
	esac
done
for s in http failover health; do
	want "$s" || continue
	if [ -z "$BUILT" ] && [ "$s" = http ]; then
		na_row "$(section_title http)" "scripts/bench_xdp.c did not build" >"$TMP/http.rows"
		continue
	fi
	case $s in
	http) run_section http 600 env BENCH_XDP="$TOP/$BUILD/bench_xdp" ./scripts/bench_net.sh http ;;
	failover) run_section failover 900 ./scripts/bench_net.sh failover ;;
	health) run_section health 600 ./scripts/bench_net.sh health ;;
	esac
done

# ---------------------------------------------------------------- table

TABLE=$TMP/table.md
{
	echo "| Measurement | lbctl | Baseline, same run | lbctl ÷ baseline | Target | Method, spread, notes |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for s in $SECTIONS_ALL; do
		want "$s" && [ -e "$TMP/$s.rows" ] && cat "$TMP/$s.rows"
	done
} >"$TABLE"
cat "$TABLE"

ELAPSED=$((SECONDS - T_START))
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
[ -z "$OUT" ] && exit 0

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
NCPU=$(nproc)
MEM=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
VIRT=$(systemd-detect-virt --vm 2>/dev/null)
if [ -z "$VIRT" ] || [ "$VIRT" = none ]; then
	VIRT=""
	grep -qw hypervisor /proc/cpuinfo && VIRT="hypervisor flag set"
fi
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT with uncommitted changes"
mkdir -p "$(dirname "$OUT")"
{
	cat <<EOF
# lbctl benchmark results

Written by \`make bench\` (scripts/bench.sh); every figure was measured in
the same run as its baseline, and the ratio is what counts, because the
machine is shared and noisy.

| | |
| --- | --- |
| Date | $DATE |
| Machine | $CPU, $NCPU CPUs, $MEM RAM${VIRT:+, virtual machine ($VIRT)} |
| Kernel | $(uname -r) |
| Tools | $(clang --version 2>/dev/null | head -1 | sed 's/ (.*//'); gcc $(gcc -dumpversion); nginx $(nginx -v 2>&1 | sed 's/.*\///'); $(haproxy -v 2>/dev/null | head -1 | awk '{print "HAProxy " $3}'); keepalived $(keepalived --version 2>&1 | sed -n 's/^Keepalived v\([0-9.]*\).*/\1/p'); $(wrk -v 2>&1 | head -1 | awk '{print $1 " " $2}') |
| lbctl | commit $COMMIT |
| Load average | $LOAD0 before, $LOAD1 after (other work shared the machine) |
| Run time | $((ELAPSED / 60)) min $((ELAPSED % 60)) s |

## Results

EOF
	cat "$TABLE"
	cat <<'EOF'

## Method

- **Per-packet cost** (`scripts/bench_xdp.c testrun`): `xdp_lb` is loaded
  with the limits' defaults into a private bpffs, with services on
  10.0.0.100:80/tcp, 10.0.0.100:53/udp and [fd00::100]:80/tcp, two backends
  each, whose MAC is set (`lb_be_set_mac`) to the balancer's own: with
  `repeat` the kernel feeds the program its own output again, and that must
  still be a frame for the balancer so that every repetition forwards. Each
  path's packet is sent once first (establishing its flow), then
  BPF_PROG_TEST_RUN runs it `repeat` = 1,000,000 times, the floor
  (`xdp_floor`: swap MACs, XDP_TX) on the same packet just before; five runs,
  the medians reported, and as the ratio the median of the five runs' own
  lbctl ÷ floor. A breakdown row runs two raw-instruction programs
  the same way: one that only returns XDP_TX, and one that first looks the
  established flow up in `xdp_lb`'s own conntrack map. The figure is the
  kernel's own `duration` (ns per
  repetition, whole ns): it stops its clock while the task is rescheduled,
  which wall time on a loaded two-CPU machine does not. After every run the
  program's counters must show that every repetition took the intended path
  (connection-table hit, ICMP steered, non-VIP pass), or the bench fails.
  ICMP error: "fragmentation needed" from a router to the VIP quoting the
  real server's reply of the established TCP flow. Non-VIP: a TCP packet to
  the node's own address. New flows need distinct packets: per run 200,000
  distinct TCP flows (source address and port), repeat = 1 each, the whole
  loop timed for the floor and for `xdp_lb` the same way (syscall included,
  so the difference is the program's extra cost; the two alternate in
  chunks of 5,000 packets); also the sum of the
  kernel's per-call `duration`, the same flows once more (now established)
  and as many distinct SYNs. `xdp_lb` forwards a SYN by hash without
  remembering it and remembers the flow at its first ACK, so the ACK is the
  packet that inserts; the per-CPU insert rate limit is off for this
  measurement (conn_rate −1), and the inserted flows are removed between
  runs.
- **Live frames** (`bench_xdp live`): a veth pair in a namespace of its own;
  BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES injects the established
  TCP packet on one end (`ingress_ifindex`), XDP_TX sends each frame out of
  it to the peer, where an XDP_DROP program gives the peer NAPI and discards
  it. `xdp_lb` and the floor alternate in three rounds, each sized for about
  a third of 5 s; packets/s is frames / wall time. Live frames recycle their
  pages without restoring the data, so here too the backend's MAC is the
  interface's own.
- **Maglev**: `maglev_build` with M = 65537 and equal weights, and
  `lb_svc_rebuild` on a service with that many usable backends (build + new
  inner map + batch fill + swap into the map-in-map), seven times each,
  median; then the same steps by hand, each timed. Also 100 `lb_be_add`
  calls in a row, as `lbctl backend add` makes them.
- **Connection table**: the program loaded with conn_max 1,000,000; 1,000,000
  distinct flows written into the pinned LRU map with
  `bpf_map_update_batch`, 10,000 per call; entries counted afterwards with
  batch lookups; memory is the map's `memlock` from /proc/self/fdinfo (what
  `bpftool map show` prints).
- **HTTP** (`scripts/bench_net.sh http`): namespaces joined by a bridge (in a
  namespace of its own): a client built as selftests/lib.sh builds test
  hosts (tx checksum offload off, since its packets cross the balancer's
  XDP_TX, which needs full checksums), while the real servers and the
  balancer send as hosts with NICs do, with TSO and checksum offload
  (`nic_like`: no XDP program on their bridge ports, since the kernel's
  veth turns GSO off on a host whose port has one; the balancer's port
  gets `xdp_pass` only while an XDP mode runs, so that XDP_TX lands). A
  client, a balancer node and two real servers running nginx (one worker,
  a fixed 4-byte answer, access log off), holding the VIP on lo with
  arp_ignore=1/arp_announce=2. `wrk -t1 -c8 -d4s --latency` from the client,
  with keep-alive and with `Connection: close` (a new connection per
  request), through five modes in turn, three alternating rounds (so the
  machine's other load falls on all alike), medians reported, each ratio
  the median of its round's mode ÷ direct: one real server directly; the
  **DR floor**, the least possible XDP forwarder on the balancer's eth0
  (IPv4 to the VIP: destination MAC of rs1 or rs2 by a bit of the source
  port, source MAC its own, XDP_TX; a raw-instruction program from
  `bench_xdp drfloor`), which takes the same path as lbctl's DR and so shows
  what the extra hop through the balancer costs in this one-machine
  topology; lbctl in static mode (`lbctl up eth0`, `vip add`, two
  `backend add`, the VIP on the balancer's eth0); nginx `stream` (one
  worker, two upstreams) and haproxy (`mode tcp`, one thread, round robin)
  listening on the balancer's address. A third kind of run fetches a
  1 MiB file (keep-alive) with rs1 as the only server in every mode, as
  direct has it, and reports throughput (wrk's Transfer/sec): with one
  nginx sending 1 MiB answers the server is the limit, so a second server
  would measure the number of servers rather than the balancer. A run
  that gets any non-2xx answer fails the section. The balancer node's CPU per request
  is the CPU time (utime + stime from /proc/PID/stat) of every process in
  its namespace over the run, plus, for the XDP modes, the program's own
  run time from the kernel's BPF statistics (BPF_ENABLE_STATS on for that
  run only: `run_time_ns` of the attached program), divided by the requests
  wrk completed. Kernel TCP work done in softirq is charged to no process,
  so the proxies' figures are lower bounds.
- **Failover** (`bench_net.sh failover`): a client, two balancer nodes, one
  real server per node (lbctl: a VRRP config whose virtual server on each
  node has that node's real server only, so the answer names the path;
  keepalived: VRRP only, `-P`, and nginx on each node answering its name on
  the VIP). Both run the same vrrp_instance (VRRPv3, priorities 150 and 100,
  advert_int 1 s, then 0.1 s). Each trial starts both nodes fresh, waits for
  MASTER and BACKUP, then a probe in the client namespace makes a new TCP
  connection and an HTTP GET to the VIP every 10 ms, and listens for VRRP
  adverts. After ten answers in a row through the master it waits for the
  master's next advert and at once SIGKILLs the master: lbctl's controller
  (from its pid file; its guardian child, which deletes a dead controller's
  VIPs, is meant to outlive it), or keepalived's parent and VRRP child
  (stopped first, then killed: killed one by one, the child could get its
  parent-death SIGTERM and send a priority-0 advert). So every trial is the
  worst case, a whole Master_Down_Interval. From then on it starts a new
  connection every 10 ms whatever the earlier ones are doing (each given
  1 s), and times, on the same clock, the first answer that came through
  the backup; it counts the connections that failed or were answered by
  the dead master meanwhile.
- **Controller** (`bench_net.sh health`): a balancer node and a "farm"
  namespace holding 1,000 addresses with one nginx listening on all of them;
  lbctl in static mode with a config of one virtual server with 1,000
  real servers, TCP_CHECK, delay_loop 1. Start time is `lbctl up` until
  `lbctl backend list -j` shows every backend up; then the controller's CPU
  (utime + stime) over 30 s and its VmRSS/VmHWM; the same with 10 backends
  (15 s) as the baseline. The neighbour table's global gc_thresh2/3 are
  raised for that section (1,000 neighbours) and put back afterwards.
EOF
} >"$OUT"
log "wrote $OUT"
