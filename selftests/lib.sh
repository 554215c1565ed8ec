# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A small network-namespace library for lbctl's end-to-end tests (and the
# demo and HA tests). Source it from a bash script:
#
#	. "$(dirname "$0")/lib.sh"
#	need_root; need_cmd ip curl
#	mk_bridge
#	mk_host client 10.100.0.1/24
#	...
#	done_testing
#
# What it gives:
#  - TAP output: ok, check, is, like, diag, note, bail, plan, done_testing.
#  - Names unique per run: every namespace is "$RUN-NAME" with RUN=lbtPID;
#    interfaces live inside those namespaces (a host's side is always eth0,
#    the bridge's side "b-NAME"), so nothing is created in the caller's
#    namespace and two runs never collide.
#  - A trap on EXIT INT TERM that kills every process the test started
#    (tracked pids, then whatever still runs in one of its namespaces),
#    deletes the namespaces, unmounts the per-node bpffs and removes the
#    temp dir, also when the test fails or is interrupted.
#  - wait_until: poll with a deadline; never a fixed sleep to wait for state.
#  - Topology: mk_bridge, mk_host, mk_realserver, mk_lbnode, lbctl_in.
#
# Facts about XDP on veth this relies on (see DESIGN.md): XDP_TX on a veth
# only arrives if the peer has NAPI, i.e. an XDP program; mk_host attaches
# floor.bpf.o's xdp_pass to the bridge-side peer of every host. And a
# sender that leaves checksums to offload hands XDP frames with partial
# checksums, so mk_host turns tx checksumming off on the host's veth.
#
# How xdp_pass is attached: floor.bpf.o has two programs in section "xdp"
# (xdp_floor first). iproute2 >= 5.18 selects one by name:
#	ip -force link set dev PEER xdpdrv obj build/floor.bpf.o sec xdp program xdp_pass
# (Debian 12's iproute2 6.1 does). Loading an object makes ip(8) create
# ip/, xdp/ and tc/globals/ in the first bpffs it finds in /proc/mounts --
# which may be a balancer node's bpffs (ours or another test's) -- so
# lib.sh exports TC_BPF_MNT, ip(8)'s override, as a directory of the run's
# own: ip(8) mounts a bpffs there in its private mount namespace (`ip -n`
# has one), and nothing is left anywhere. An ip(8) without `program` fails,
# and attach_xdp_pass then falls back to bpftool (`bpftool prog loadall OBJ
# DIR` into a bpffs of the run's own, then `bpftool net attach xdpdrv
# pinned DIR/xdp_pass dev PEER` inside the bridge namespace); either way it
# checks by name that xdp_pass is what got attached.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LIB_DIR/.." && pwd)
LBCTL=${LBCTL:-$TOP/lbctl}
FLOOR_OBJ=${FLOOR_OBJ:-$TOP/build/floor.bpf.o}
# Short enough that "$RUN-NAME" stays readable; interface names never
# carry it (they live inside the run's namespaces).
RUN=${RUN:-lbt$$}
BR_NS="$RUN-br"
BR_DEV=br0

T_N=0			# tests run
T_FAILED=0		# tests failed
T_PLAN=			# plan given up front, if any
T_PIDS=()		# background processes to kill at exit
T_NETNS=()		# namespaces to delete at exit
T_MOUNTS=()		# bpffs mounts to unmount at exit
T_TMP=			# per-run temp dir
# A failure's digest for the end of `make test` (CI shows only the tail of
# a run): the failed test, the diagnostics just before it and a few after.
T_FAILLOG=${LB_TEST_FAILLOG:-}
T_RECENT=()		# the last diag lines, for the digest
T_AFTER=0		# diag lines still to add to the digest after a failure
# Per node: its bpffs and run dir (balancers), its IPv4 address (all).
declare -A LB_BPFFS=() LB_RUNDIR=() NODE_IP=()

# ---------------------------------------------------------------- TAP

# plan N: announce the number of tests up front (optional: done_testing
# prints the plan at the end when none was given).
plan()
{
	T_PLAN=$1
	echo "1..$1"
}

# ok STATUS NAME: STATUS 0 (a shell exit status) passes. `cmd; ok $? name`
ok()
{
	local status=$1; shift
	T_N=$((T_N + 1))
	if [ "$status" = 0 ]; then
		echo "ok $T_N - $*"
		return 0
	fi
	echo "not ok $T_N - $*"
	T_FAILED=$((T_FAILED + 1))
	if [ -n "$T_FAILLOG" ]; then
		{
			echo "${0##*/}: not ok $T_N - $*"
			[ ${#T_RECENT[@]} -gt 0 ] && printf '%s\n' "${T_RECENT[@]}"
		} >>"$T_FAILLOG"
		T_RECENT=()
		T_AFTER=12
	fi
	return 1
}

# check NAME CMD...: run CMD; pass if it exits 0, else show its output.
check()
{
	local name=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	ok "$rc" "$name" && return 0
	diag "command: $*"
	diag "exit status $rc"
	[ -n "$out" ] && diag_lines "$out"
	return 1
}

# is GOT WANT NAME
is()
{
	local got=$1 want=$2; shift 2
	[ "$got" = "$want" ]
	ok $? "$*" && return 0
	diag "     got: '$got'"
	diag "expected: '$want'"
	return 1
}

# like GOT REGEX NAME (bash ERE)
like()
{
	local got=$1 re=$2; shift 2
	[[ $got =~ $re ]]
	ok $? "$*" && return 0
	diag "     got: '$got'"
	diag "expected to match: /$re/"
	return 1
}

# diag MSG...: a diagnostic for humans, on stderr so prove shows it.
diag()
{
	echo "# $*" >&2
	[ -n "$T_FAILLOG" ] || return 0
	if [ "$T_AFTER" -gt 0 ]; then
		echo "${0##*/}: # $*" >>"$T_FAILLOG"
		T_AFTER=$((T_AFTER - 1))
	else
		T_RECENT+=("${0##*/}: # $*")
		[ ${#T_RECENT[@]} -le 6 ] || T_RECENT=("${T_RECENT[@]:1}")
	fi
}

# diag_lines TEXT: one diag per line of TEXT.
diag_lines()
{
	local l
	while IFS= read -r l; do diag "  $l"; done <<<"$1"
}

# note MSG...: a comment on stdout (prove -v shows it).
note()
{
	echo "# $*"
}

# bail MSG...: stop the whole test now (cleanup still runs).
bail()
{
	echo "Bail out! $*"
	exit 255
}

# done_testing: print the plan (unless given up front) and exit: 0 only if
# every test passed and the plan, if any, was met.
done_testing()
{
	if [ -z "$T_PLAN" ]; then
		echo "1..$T_N"
	elif [ "$T_PLAN" != "$T_N" ]; then
		diag "planned $T_PLAN tests but ran $T_N"
		exit 1
	fi
	[ "$T_FAILED" = 0 ] || diag "failed $T_FAILED of $T_N tests"
	[ "$T_FAILED" = 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- requirements

# need_root: a failed test and a bail out, never a quiet skip.
need_root()
{
	[ "$(id -u)" = 0 ] && return 0
	ok 1 "running as root (network namespaces, XDP and bpffs need it)"
	bail "must run as root"
}

# need_cmd CMD...: each must be on PATH.
need_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		ok 1 "command '$c' is available"
		bail "'$c' is not installed (scripts/deps.sh installs what the tests need)"
	done
}

# need_file FILE WHAT: FILE must exist (e.g. ./lbctl after make).
need_file()
{
	[ -e "$1" ] && return 0
	ok 1 "$2 exists ($1)"
	bail "$1 is missing: run 'make' first"
}

# ---------------------------------------------------------------- cleanup

# track_pid PID...: kill these at exit.
track_pid()
{
	T_PIDS+=("$@")
}

# tmpdir: the per-run temp dir (made when lib.sh is sourced, so that
# $(tmpdir) in a subshell names the same one).
tmpdir()
{
	echo "$T_TMP"
}

# pids_in_netns NS: every process whose network namespace is NS.
pids_in_netns()
{
	ip netns pids "$1" 2>/dev/null
}

# pid_alive PID: running (a zombie, dead but not yet reaped, is not).
pid_alive()
{
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

cleanup()
{
	local status=$? ns p m deadline
	trap - EXIT INT TERM
	set +e
	# Politely first (a controller detaches on SIGTERM), then for sure.
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "${T_NETNS[@]}"; do pids_in_netns "$ns" | xargs -r kill 2>/dev/null; done
	deadline=$((SECONDS + 3))
	while [ $SECONDS -lt $deadline ]; do
		p=
		for ns in "${T_NETNS[@]}"; do p+=$(pids_in_netns "$ns"); done
		for m in "${T_PIDS[@]}"; do pid_alive "$m" && p+=" $m"; done
		[ -z "${p// /}" ] && break
		sleep 0.1
	done
	for p in "${T_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in "${T_NETNS[@]}"; do pids_in_netns "$ns" | xargs -r kill -9 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${T_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	for m in "${T_MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	[ -n "$T_TMP" ] && [ -d "$T_TMP" ] && rm -rf "$T_TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T_TMP=$(mktemp -d "/tmp/$RUN.XXXXXX") || bail "mktemp failed"
# Where ip(8) may mount a bpffs of its own when it loads an object (see the
# top of this file): never in someone else's.
export TC_BPF_MNT=$T_TMP/ip-bpffs
mkdir -p "$TC_BPF_MNT"

# ---------------------------------------------------------------- waiting

# wait_until TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds or the
# deadline passes; the status says which.
wait_until()
{
	local timeout=$1; shift
	local deadline
	deadline=$(( $(date +%s%N) + ${timeout%.*} * 1000000000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- topology

# ns NAME: the namespace of node NAME.
ns()
{
	echo "$RUN-$1"
}

# nsx NAME CMD...: run CMD in node NAME's namespace.
nsx()
{
	local n=$1; shift
	ip netns exec "$RUN-$n" "$@"
}

# mac_of NODE [DEV]: DEV's (eth0's) MAC in NODE.
mac_of()
{
	ip -n "$(ns "$1")" -o link show dev "${2:-eth0}" 2>/dev/null |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# garp NODE ADDR: NODE announces IPv4 ADDR on eth0 with a gratuitous ARP
# request, as a server replaced under the same address does when it comes up.
garp()
{
	nsx "$1" "$PY" -c '
import socket, sys
mac = bytes.fromhex(open("/sys/class/net/eth0/address").read().strip().replace(":", ""))
ip = socket.inet_aton(sys.argv[1])
arp = bytes.fromhex("0001080006040001") + mac + ip + bytes(6) + ip
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)' "$2"
}

# nsx_bg NODE OUTFILE CMD...: start CMD in NODE in the background, stdout
# and stderr to OUTFILE; BG_PID is CMD's own pid (not a subshell's, so a
# signal sent to it reaches CMD), and it is killed at exit.
nsx_bg()
{
	local n=$1 out=$2; shift 2
	ip netns exec "$RUN-$n" "$@" >"$out" 2>&1 &
	BG_PID=$!
	track_pid "$BG_PID"
}

# bpffs_leftovers DIR: what is in a bpffs mount beyond what the kernel
# puts in every new one (progs.debug and maps.debug, from bpf_preload).
bpffs_leftovers()
{
	find "$1" -mindepth 1 \( -path "$1/progs.debug" -o -path "$1/maps.debug" \) \
		-prune -o -print 2>/dev/null
}

# PY: the real python3 (not a pyenv shim, which is slow to start).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)

# cpu_ticks: "BUSY IDLE" clock ticks of all CPUs since boot (idle counts
# iowait too).
cpu_ticks()
{
	awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit}' /proc/stat
}

# mk_ns NAME: a namespace with lo up, deleted at exit.
mk_ns()
{
	local n
	n=$(ns "$1")
	ip netns add "$n" || bail "ip netns add $n failed"
	T_NETNS+=("$n")
	ip -n "$n" link set lo up
}

# attach_xdp_pass NS DEV: give DEV (a veth) NAPI with an XDP_PASS program,
# so that XDP_TX from its peer arrives. See the top of this file.
attach_xdp_pass()
{
	local n=$1 dev=$2 dir
	ip -n "$n" link set dev "$dev" xdpgeneric off 2>/dev/null
	if ! ip -n "$n" -force link set dev "$dev" xdpdrv obj "$FLOOR_OBJ" \
	     sec xdp program xdp_pass 2>/dev/null; then
		mkdir -p "$(tmpdir)/pins"
		if ! mountpoint -q "$(tmpdir)/pins"; then
			mount -t bpf bpf "$(tmpdir)/pins" || bail "cannot mount bpffs"
			T_MOUNTS+=("$(tmpdir)/pins")
		fi
		dir=$(tmpdir)/pins/$dev
		# attached again (the benchmarks do): the pinned program stays
		[ -e "$dir/xdp_pass" ] || bpftool prog loadall "$FLOOR_OBJ" "$dir" ||
			bail "bpftool prog loadall $FLOOR_OBJ failed"
		ip netns exec "$n" bpftool net attach xdpdrv pinned "$dir/xdp_pass" \
			dev "$dev" overwrite || bail "cannot attach xdp_pass to $dev"
	fi
	ip -n "$n" link show dev "$dev" | grep -q 'prog/xdp .* name xdp_pass ' ||
		bail "xdp_pass is not what got attached to $dev in $n"
}

# mk_bridge: the switch, a bridge in its own namespace.
mk_bridge()
{
	need_file "$FLOOR_OBJ" "the XDP_PASS object (make builds it)"
	mk_ns br
	ip -n "$BR_NS" link add "$BR_DEV" type bridge || bail "cannot create a bridge"
	# Forward at once: no STP, no listening delay.
	ip -n "$BR_NS" link set "$BR_DEV" type bridge stp_state 0 forward_delay 0
	ip -n "$BR_NS" link set "$BR_DEV" up
}

# mk_host NAME IP/PREFIX [IP6/PREFIX]: namespace "$RUN-NAME" with eth0
# plugged into the bridge (port "b-NAME").
mk_host()
{
	local name=$1 ip4=$2 ip6=$3 n peer
	n=$(ns "$name")
	peer="b-$name"
	[ ${#peer} -le 15 ] || bail "host name '$name' too long for an interface name"
	mk_ns "$name"
	ip -n "$BR_NS" link add "$peer" type veth peer name eth0 netns "$n" ||
		bail "cannot create the veth for $name"
	ip -n "$BR_NS" link set "$peer" master "$BR_DEV"
	ip -n "$BR_NS" link set "$peer" up
	attach_xdp_pass "$BR_NS" "$peer"
	ip -n "$n" addr add "$ip4" dev eth0
	[ -n "$ip6" ] && ip -n "$n" addr add "$ip6" dev eth0 nodad
	ip -n "$n" link set eth0 up
	ip netns exec "$n" ethtool -K eth0 tx off >/dev/null ||
		bail "ethtool -K eth0 tx off failed in $n"
	# shellcheck disable=SC2034 # for the tests that source this file
	NODE_IP[$name]=${ip4%/*}
}

# nic_like NAME: make NAME's link behave like a server NIC's, for the
# benchmarks. mk_host's XDP_PASS program on the bridge port makes the
# kernel's veth turn GSO off on the host's eth0, and tx checksumming off
# takes TSO with it: the host then sends MSS-sized segments and its peer
# acknowledges every second one, far more packets than hosts with TSO and
# GRO exchange. Here the port loses the program and eth0 gets TSO back.
# Only for a host whose packets never cross an XDP_TX (which needs full
# checksums) and that does not send XDP_TX itself (which needs the port's
# program): a balancer node gets it back with attach_xdp_pass while its
# XDP program runs.
nic_like()
{
	local n
	n=$(ns "$1")
	ip -n "$BR_NS" link set dev "b-$1" xdp off || bail "cannot detach xdp_pass from b-$1"
	ip netns exec "$n" ethtool -K eth0 tx on tso on >/dev/null ||
		bail "ethtool -K eth0 tx on failed in $n"
	ip netns exec "$n" ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on' ||
		bail "TSO did not come back on $1's eth0"
}

# mk_dr_host NAME IP4 IP6 VIP...: a host on the bridge (IP6 may be empty)
# set up as a DR real server: each VIP (IPv4 /32 or IPv6 /128) on lo, and
# arp_ignore=1, arp_announce=2 so that it never answers ARP for them. IPv6
# needs no setting: Linux answers a neighbour solicitation only for an
# address on the interface it arrives on, never for one on lo.
mk_dr_host()
{
	local name=$1 ip4=$2 ip6=$3 n vip; shift 3
	n=$(ns "$name")
	mk_host "$name" "$ip4" "$ip6"
	ip netns exec "$n" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 \
		net.ipv4.conf.eth0.arp_announce=2 net.ipv4.conf.lo.arp_ignore=1 \
		net.ipv4.conf.lo.arp_announce=2 || bail "sysctl failed in $n"
	for vip in "$@"; do
		if [[ $vip == *:* ]]; then
			ip -n "$n" addr add "$vip/128" dev lo nodad
		else
			ip -n "$n" addr add "$vip/32" dev lo
		fi || bail "cannot add $vip to lo in $n"
	done
}

# mk_realserver NAME IP VIP...: a DR real server. It holds each VIP on lo
# (arp_ignore=1, arp_announce=2, so it never answers ARP for them) and
# serves HTTP/1.1 on port 80 of every address, answering the body "NAME".
# Its request log is $(tmpdir)/NAME/http.log.
mk_realserver()
{
	local name=$1 ip=$2 dir pid; shift 2
	mk_dr_host "$name" "$ip/24" "" "$@"
	dir=$(tmpdir)/$name
	mkdir -p "$dir/www"
	echo "$name" >"$dir/www/index.html"
	ip netns exec "$(ns "$name")" "$PY" -m http.server -b 0.0.0.0 -p HTTP/1.1 -d "$dir/www" 80 \
		>"$dir/http.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_until 10 http_from "$name" "$ip" "$name" ||
		bail "HTTP server on $name ($ip) did not start: $(tail -3 "$dir/http.log")"
}

# http_from NODE ADDR [WANT]: one GET from NODE; with WANT, the body must be it.
http_from()
{
	local out
	out=$(nsx "$1" curl -s --max-time 2 "http://$2/") || return 1
	[ -z "$3" ] || [ "$out" = "$3" ]
}

# mk_lbnode NAME IP/PREFIX: a balancer node: a host with its own bpffs,
# mounted from here in the run's temp dir (outside /sys: `ip netns exec`
# mounts a fresh /sys, and a mount made inside it would vanish) and its own
# run dir, in LB_BPFFS[NAME] and LB_RUNDIR[NAME].
mk_lbnode()
{
	local name=$1 ip=$2 dir
	[[ $ip == */* ]] || ip="$ip/24"
	mk_host "$name" "$ip"
	dir=$(tmpdir)/$name
	mkdir -p "$dir/bpffs" "$dir/run"
	mount -t bpf bpf "$dir/bpffs" || bail "cannot mount bpffs on $dir/bpffs"
	T_MOUNTS+=("$dir/bpffs")
	# In memory, as /run is: the controller writes its state every second
	# from the loop that sends VRRP adverts, and a disk's journal can hold
	# a rename for tens of ms after the other tests' writes.
	mount -t tmpfs -o mode=0755 tmpfs "$dir/run" || bail "cannot mount tmpfs on $dir/run"
	T_MOUNTS+=("$dir/run")
	LB_BPFFS[$name]=$dir/bpffs
	LB_RUNDIR[$name]=$dir/run
}

# lbctl_in NODE ARGS...: run ./lbctl in NODE with NODE's bpffs and run dir.
lbctl_in()
{
	local n=$1; shift
	ip netns exec "$RUN-$n" "$LBCTL" --bpffs "${LB_BPFFS[$n]}" \
		--rundir "${LB_RUNDIR[$n]}" "$@"
}

# xdp_prog_on NODE [DEV]: the name of the XDP program on DEV (eth0), or "".
xdp_prog_on()
{
	ip -n "$RUN-$1" link show dev "${2:-eth0}" 2>/dev/null |
		sed -n 's/.*prog\/xdp.* name \([^ ]*\).*/\1/p'
}

# tcp_banner NODE IP PORT TEXT: a TCP listener that writes TEXT to whoever
# connects (for checking a node's own services).
tcp_banner()
{
	local n=$1 ip=$2 port=$3 text=$4
	ip netns exec "$RUN-$n" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
while True:
    c, _ = s.accept()
    try:
        c.sendall((sys.argv[3] + "\n").encode())
    finally:
        c.close()
' "$ip" "$port" "$text" >/dev/null 2>&1 &
	track_pid $!
}

# tcp_read_from NODE IP PORT: connect from NODE, print the first line read.
tcp_read_from()
{
	# shellcheck disable=SC2016
	nsx "$1" timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && IFS= read -r -t 2 l <&3 && echo "$l"' "$2" "$3"
}

# tcp_hold_start NODE STATEFILE ARGS...: run tcp_hold.py in NODE in the
# background (ARGS as tcp_hold.py takes them); its pid is in TCP_HOLD_PID.
tcp_hold_start()
{
	local n=$1 state=$2; shift 2
	rm -f "$state"
	ip netns exec "$RUN-$n" "$PY" "$LIB_DIR/tcp_hold.py" --state "$state" "$@" \
		>"$state.log" 2>&1 &
	TCP_HOLD_PID=$!
	track_pid "$TCP_HOLD_PID"
}

# http_fresh NODE N HOST [PORT]: N HTTP GETs from NODE, each on a fresh
# connection (tcp_hold.py --fresh: curl's behaviour without a process start
# per request, which costs ~0.15 s here). One line per request on stdout:
# "BODY LOCAL_PORT" or "FAIL LOCAL_PORT ERROR".
http_fresh()
{
	local n=$1; shift
	ip netns exec "$RUN-$n" "$PY" "$LIB_DIR/tcp_hold.py" --fresh "$@"
}

# tcp_hold_round STATEFILE: the last completed probe round (-1 if none).
tcp_hold_round()
{
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["round"])' "$1" 2>/dev/null ||
		echo -1
}

# tcp_hold_past STATEFILE R: true once a round after R has completed.
tcp_hold_past()
{
	[ "$(tcp_hold_round "$1")" -gt "$2" ]
}

# ---------------------------------------------------------------- checks

# json_ok: stdin is one valid JSON document.
json_ok()
{
	"$PY" -c 'import json,sys; json.load(sys.stdin)'
}

# prom_check [--ungrouped-ok] FILE [REQUIRED_METRIC:LABEL...]: FILE
# follows the Prometheus text exposition format (promtool is not
# installed): HELP/TYPE syntax, at most one of each per family and before
# its samples, metric and label name syntax, label value escapes, no
# duplicate series, float values, counters named *_total, every name
# lbctl_*, a trailing newline; and each family's lines in one group, as the
# format requires ("All lines for a given metric must be provided as one
# single group") -- a rule promtool's parser does not enforce, so
# --ungrouped-ok skips it to check just what promtool would. Each
# REQUIRED_METRIC must have samples, each with label LABEL. Prints one line
# per problem; status 1 if any.
prom_check()
{
	"$PY" - "$@" <<'EOF'
import re, sys

args = sys.argv[1:]
grouped = True
if args and args[0] == '--ungrouped-ok':
    grouped = False
    args = args[1:]
path, required = args[0], args[1:]
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LNAME = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVAL = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(' + NAME + r')(\{\s*(?:' + LNAME + r'\s*=\s*' + LVAL +
                    r'\s*(?:,\s*' + LNAME + r'\s*=\s*' + LVAL + r'\s*)*,?)?\s*\})?' +
                    r' +(\S+)(?: +(-?\d+))?$')
LABEL = re.compile(r'(' + LNAME + r')\s*=\s*(' + LVAL + r')')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}
errs = []
types, helps, samples, order, series = {}, {}, {}, [], set()

def err(n, msg):
    errs.append('%s:%d: %s' % (path, n, msg))

def family_of(name):
    for suf in ('_bucket', '_sum', '_count'):
        base = name[:-len(suf)]
        if name.endswith(suf) and types.get(base) in ('histogram', 'summary'):
            return base
    return name

def enter(n, fam):
    # All lines of a family form one group: once left, never re-entered.
    if order and order[-1] == fam:
        return
    if fam in order and grouped:
        err(n, 'lines of %s are not grouped together: they resume here after %s' % (fam, order[-1]))
    order.append(fam)

data = open(path, encoding='utf-8').read()
if data and not data.endswith('\n'):
    err(data.count('\n') + 1, 'no newline at the end of the file')
for n, line in enumerate(data.split('\n')[:-1] if data.endswith('\n') else data.split('\n'), 1):
    if not line.strip():
        continue
    if line.startswith('#'):
        m = re.match(r'^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$', line)
        if not m:
            continue                     # a plain comment
        kind, name, rest = m.group(1), m.group(2), m.group(3) or ''
        if not re.fullmatch(NAME, name):
            err(n, 'bad metric name %r in %s' % (name, kind))
        enter(n, name)
        if name in samples:
            err(n, '%s for %s after its samples' % (kind, name))
        if kind == 'TYPE':
            if name in types:
                err(n, 'second TYPE for %s' % name)
            if rest not in TYPES:
                err(n, 'unknown type %r for %s' % (rest, name))
            types[name] = rest
            if rest == 'counter' and not name.endswith('_total'):
                err(n, 'counter %s does not end in _total' % name)
        else:
            if name in helps:
                err(n, 'second HELP for %s' % name)
            if not rest.strip():
                err(n, 'empty HELP for %s' % name)
            if re.search(r'\\[^\\n]', rest):
                err(n, 'bad escape in HELP for %s' % name)
            helps[name] = rest
        continue
    m = SAMPLE.match(line)
    if not m:
        err(n, 'not a sample line: %r' % line)
        continue
    name, lbl, val = m.group(1), m.group(2) or '', m.group(3)
    fam = family_of(name)
    enter(n, fam)
    labels = LABEL.findall(lbl)
    names = [k for k, _ in labels]
    if len(set(names)) != len(names):
        err(n, 'repeated label name in %r' % line)
    try:
        float(val)
    except ValueError:
        err(n, 'value %r is not a float' % val)
    if val not in ('NaN', '+Inf', '-Inf') and not re.fullmatch(r'[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?', val):
        err(n, 'value %r is not in Prometheus float syntax' % val)
    key = (name, tuple(sorted(labels)))
    if key in series:
        err(n, 'duplicate series %s%s' % (name, lbl))
    series.add(key)
    if fam not in types:
        err(n, 'sample of %s before (or without) its TYPE line' % fam)
    if fam not in helps:
        err(n, 'sample of %s without a HELP line' % fam)
    if types.get(fam) == 'counter':
        try:
            if float(val) < 0:
                err(n, 'counter %s is negative' % name)
        except ValueError:
            pass
    if not name.startswith('lbctl_'):
        err(n, 'metric %s does not have the lbctl_ prefix' % name)
    samples.setdefault(name, []).append(dict((k, v[1:-1]) for k, v in labels))
for req in required:
    metric, _, label = req.partition(':')
    if metric not in samples:
        errs.append('%s: no samples of %s' % (path, metric))
    elif label and not all(s.get(label) for s in samples[metric]):
        errs.append('%s: a sample of %s has no (or an empty) %s label' % (path, metric, label))
for e in errs:
    print(e)
print('%d families, %d series' % (len(types), len(series)), file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
}
