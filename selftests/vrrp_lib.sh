# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the VRRP end-to-end tests (e2e_vrrp.sh, e2e_keepalived.sh),
# on top of lib.sh (source lib.sh first, then this file):
#
#  - reading a node's `lbctl status -j`: vstate, vfield, vdisc, svc_active,
#    svc_packets;
#  - where a VIP lives: has_addr, vip_holders, only_on;
#  - timing: now_ms, wait_ms (poll fast, print the elapsed ms), log_ms
#    (the time of the last matching line of a node's log);
#  - keepalived in a namespace: ka_start, ka_kill, ka_stop;
#  - a forged VRRP advert sender (raw socket, IP_HDRINCL): forge_adverts.

# ---------------------------------------------------------------- status

# status_of NODE: `lbctl status -j` of NODE (empty on failure).
status_of()
{
	lbctl_in "$1" status -j 2>/dev/null
}

# vpy NODE EXPR: evaluate python EXPR over NODE's status document `d`;
# `inst(NAME)` is the vrrp entry of instance NAME (the first one if NAME
# is empty). Prints "-" when there is no controller or no such entry.
vpy()
{
	status_of "$1" | "$PY" -I -S -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("-"); sys.exit(0)
def inst(name=""):
    v = (d.get("controller") or {}).get("vrrp") or []
    for i in v:
        if not name or i["instance"] == name:
            return i
    raise KeyError(name)
try:
    print(eval(sys.argv[1]))
except Exception:
    print("-")' "$2"
}

# vstate NODE [INSTANCE]: MASTER | BACKUP | FAULT | INIT, or "-" when the
# controller does not run.
vstate()
{
	vpy "$1" "inst('${2:-}')['state']"
}

# vfield NODE INSTANCE FIELD: one field of the instance's status.
vfield()
{
	vpy "$1" "inst('$2')['$3']"
}

# vdisc NODE INSTANCE REASON: discarded.REASON of the instance.
vdisc()
{
	vpy "$1" "inst('$2')['discarded']['$3']"
}

# states_are "NODE=STATE ..." [INSTANCE]: every node is in that state.
states_are()
{
	local ns
	for ns in $1; do
		[ "$(vstate "${ns%%=*}" "${2:-}")" = "${ns#*=}" ] || return 1
	done
}

# states_of "NODE ..." [INSTANCE]: "NODE=STATE ..." for diagnostics.
states_of()
{
	local n out=""
	for n in $1; do out+="$n=$(vstate "$n" "${2:-}") "; done
	echo "${out% }"
}

# svc_active NODE VIP: true|false, the active flag of VIP's service in
# NODE's `lbctl status -j` ("-" if no such service).
svc_active()
{
	vpy "$1" "[s['active'] for s in d['services'] if s['vip'] == '$2'][0]"
}

# svc_packets NODE VIP: the packets counter of VIP's service in
# `lbctl stats -j` (0 when it cannot be read).
svc_packets()
{
	lbctl_in "$1" stats -j 2>/dev/null | "$PY" -I -S -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(sum(s["packets"] for s in d["services"] if s["vip"] == sys.argv[1]))
except Exception:
    print(0)' "$2"
}

# controller_pid_of NODE: the pid in NODE's pid file.
controller_pid_of()
{
	cat "${LB_RUNDIR[$1]}/eth0/pid" 2>/dev/null
}

# node_log NODE: the controller's log file.
node_log()
{
	echo "${LB_RUNDIR[$1]}/eth0/log"
}

# keep_log NODE TAG: copy NODE's log aside, for diagnostics at the end.
keep_log()
{
	local f
	f=$(node_log "$1")
	[ -f "$f" ] && cat "$f" >>"$(tmpdir)/$1.log.$2" 2>/dev/null
	return 0
}

# show_node NODE: log tail and status of NODE as diagnostics.
show_node()
{
	diag "---- $1: lbctl status -j"
	diag_lines "$(status_of "$1")"
	diag "---- $1: $(node_log "$1") (last 25 lines)"
	diag_lines "$(tail -25 "$(node_log "$1")" 2>/dev/null)"
	diag "---- $1: ip addr show dev eth0 / ip link show dev eth0"
	diag_lines "$(ip -n "$(ns "$1")" -4 addr show dev eth0; ip -n "$(ns "$1")" link show dev eth0)"
}

# ---------------------------------------------------------------- addresses

# has_addr NODE ADDR [DEV]: ADDR is configured on DEV (eth0) of NODE.
has_addr()
{
	ip -n "$(ns "$1")" -o -4 addr show dev "${3:-eth0}" 2>/dev/null |
		grep -q " inet $2/"
}

# vip_holders VIP NODE...: the nodes that have VIP on eth0, space separated.
vip_holders()
{
	local vip=$1 n out=""; shift
	for n in "$@"; do has_addr "$n" "$vip" && out+="$n "; done
	echo "${out% }"
}

# only_on VIP HOLDER NODE...: VIP is on HOLDER and no other NODE.
only_on()
{
	local vip=$1 want=$2; shift 2
	[ "$(vip_holders "$vip" "$@")" = "$want" ]
}

# neigh_mac NODE ADDR: the MAC NODE's neighbour table has for ADDR.
neigh_mac()
{
	ip -n "$(ns "$1")" neigh show "$2" dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'
}

# ---------------------------------------------------------------- timing

# now_ms: epoch milliseconds (bash's clock: no fork of date).
now_ms()
{
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# mark_ms VAR: set VAR to now_ms without a subshell, so that a time taken
# right before an action is not late by a fork on a loaded machine.
mark_ms()
{
	local t=${EPOCHREALTIME//[!0-9]/}
	printf -v "$1" '%s' $((t / 1000))
}

# wait_ms TIMEOUT_MS CMD...: run CMD every ~10 ms until it succeeds;
# prints the elapsed milliseconds; status 1 on timeout.
wait_ms()
{
	wait_since "$(now_ms)" "$@"
}

# wait_since T0_MS TIMEOUT_MS CMD...: the same, with the time counted from
# T0_MS (from now_ms), e.g. from just before the action whose effect it is.
wait_since()
{
	local t0=$1 timeout=$2 t; shift 2
	while :; do
		if "$@" >/dev/null 2>&1; then
			t=$(now_ms)
			echo $((t - t0))
			return 0
		fi
		t=$(now_ms)
		if [ $((t - t0)) -ge "$timeout" ]; then
			echo $((t - t0))
			return 1
		fi
		sleep 0.01
	done
}

# log_ms FILE REGEX: epoch milliseconds of the last line of FILE (lbctl's
# log: "YYYY-MM-DD HH:MM:SS.mmm ...") matching REGEX; empty if none.
log_ms()
{
	local line
	line=$(grep -E -- "$2" "$1" 2>/dev/null | tail -1)
	[ -n "$line" ] || return 1
	date -d "${line:0:23}" +%s%3N 2>/dev/null
}

# since_log_ms T0_MS FILE REGEX: milliseconds from T0_MS to the last line
# of FILE matching REGEX (99999999 if there is none, or it is older).
since_log_ms()
{
	local t
	t=$(log_ms "$2" "$3")
	if [ -z "$t" ] || [ "$t" -lt "$1" ]; then
		echo 99999999
	else
		echo $((t - $1))
	fi
}

# addr_monitor NODE: record NODE's eth0 address events with timestamps
# (`ip -ts monitor address`) in $(tmpdir)/NODE.addrmon, for the rest of
# the run. The monitor sleeps in recv() and stamps each event as it
# arrives, so the times do not depend on how fast a test can poll.
addr_monitor()
{
	ip -ts -n "$(ns "$1")" monitor address dev eth0 >"$(tmpdir)/$1.addrmon" 2>&1 &
	track_pid $!
}

# addr_event_ms NODE ADDR add|del T0_MS: milliseconds from T0_MS to the
# first event of that kind for ADDR on NODE's eth0 at or after T0_MS
# (99999999 if none).
addr_event_ms()
{
	"$PY" -I -S - "$(tmpdir)/$1.addrmon" "$2" "$3" "$4" <<'EOF'
import sys, datetime
path, addr, kind, t0 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
best = None
for line in open(path, errors="replace"):
    if not line.startswith("[") or (" inet %s/" % addr) not in line:
        continue
    if ("Deleted " in line) != (kind == "del"):
        continue
    ts = line[1:line.index("]")]
    t = int(datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1000)
    if t >= t0:
        best = t - t0
        break
print(best if best is not None else 99999999)
EOF
}

# hold_for MS CMD...: CMD keeps succeeding for MS milliseconds (checked
# every ~20 ms). Status 1 at the first failure, with the elapsed time
# printed. This asserts that nothing changes over a period; it is not a
# wait for a state.
hold_for()
{
	local ms=$1 t0 t; shift
	t0=$(now_ms)
	while :; do
		t=$(now_ms)
		if ! "$@" >/dev/null 2>&1; then
			echo "failed after $((t - t0)) ms"
			return 1
		fi
		[ $((t - t0)) -ge "$ms" ] && return 0
		sleep 0.02
	done
}

# vrrp_timers PRIO ADV_S: "MDI_MS SKEW_MS" as RFC 5798 defines them
# (Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256,
# Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time).
vrrp_timers()
{
	"$PY" -I -S -c '
import sys
p, a = int(sys.argv[1]), float(sys.argv[2]) * 1000
skew = (256 - p) * a / 256
print("%d %d" % (round(3 * a + skew), round(skew)))' "$1" "$2"
}

# ---------------------------------------------------------------- keepalived

# ka_start NODE CONF: run keepalived (VRRP only, foreground, no respawn)
# in NODE's namespace; logs to $(tmpdir)/NODE/ka/log. `ip netns exec`
# execs keepalived, so the tracked pid is keepalived's own.
ka_start()
{
	local n=$1 conf=$2 dir pid
	dir=$(tmpdir)/$n/ka
	mkdir -p "$dir"
	rm -f "$dir"/*.pid
	ip netns exec "$(ns "$n")" keepalived -n -l -D -P -R -f "$conf" \
		-p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" \
		>>"$dir/log" 2>&1 </dev/null &
	pid=$!
	# No "Killed" notice from bash when a test kills it on purpose.
	disown "$pid"
	track_pid "$pid"
	echo "$pid" >"$dir/parent"
	# The VRRP child writes its pid file once it runs.
	wait_until 10 test -s "$dir/v.pid"
}

# ka_pids NODE: the keepalived pids of NODE (VRRP child first).
ka_pids()
{
	local dir
	dir=$(tmpdir)/$1/ka
	cat "$dir/v.pid" "$dir/parent" 2>/dev/null
}

# ka_running NODE: keepalived's VRRP child runs.
ka_running()
{
	local p
	p=$(cat "$(tmpdir)/$1/ka/v.pid" 2>/dev/null) && [ -n "$p" ] && pid_alive "$p"
}

# ka_kill NODE: SIGKILL keepalived (the VRRP child first so that it cannot
# shut down gracefully, then the parent), and wait until both are gone.
# KILL_T0 is the time (ms) right before the first kill.
ka_kill()
{
	local p pids=()
	for p in $(ka_pids "$1"); do
		# only a keepalived of ours: never a pid reused since
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = keepalived ] && pids+=("$p")
	done
	mark_ms KILL_T0
	[ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
	for p in $(ka_pids "$1"); do
		wait_until 5 eval "! pid_alive $p"
	done
	rm -f "$(tmpdir)/$1/ka/"*.pid "$(tmpdir)/$1/ka/parent"
}

# ka_stop NODE: SIGTERM the parent (graceful: priority-0 advert, VIPs
# removed), wait until it is gone. STOP_T0 is the time (ms) of the kill.
ka_stop()
{
	local p
	p=$(cat "$(tmpdir)/$1/ka/parent" 2>/dev/null) || return 0
	mark_ms STOP_T0
	kill "$p" 2>/dev/null
	wait_until 10 eval "! pid_alive $p"
	ka_kill "$1"
}

# ---------------------------------------------------------------- forged adverts

# forge_adverts NODE SRC DST TTL VRID PRIO COUNT GAP_S VIP...: from NODE's
# namespace, send COUNT VRRPv3 adverts (IPv4, checksum over the IPv4
# pseudo-header as keepalived computes it, max advert interval 100 cs)
# with IP source SRC, destination DST and TTL, GAP_S seconds apart, out
# of eth0, through a raw socket with IP_HDRINCL.
forge_adverts()
{
	local n=$1; shift
	ip netns exec "$(ns "$n")" "$PY" -I -S - "$@" <<'EOF'
import socket, struct, sys, time

src, dst, ttl, vrid, prio, count, gap = sys.argv[1:8]
vips = sys.argv[8:]
ttl, vrid, prio, count, gap = int(ttl), int(vrid), int(prio), int(count), float(gap)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

addrs = b"".join(socket.inet_aton(v) for v in vips)
def vrrp(ck):
    # version 3, type 1 (advertisement); rsvd 0 and max adver int 100 cs
    return struct.pack("!BBBBHH", 0x31, vrid, prio, len(vips), 100, ck) + addrs
msg = vrrp(0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(msg))
msg = vrrp(csum(pseudo + msg))
tot = 20 + len(msg)
iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, tot, 0, 0, ttl, 112, 0,
                  socket.inet_aton(src), socket.inet_aton(dst))
iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
for i in range(count):
    s.sendto(iph + msg, (dst, 0))
    if i + 1 < count:
        time.sleep(gap)
EOF
}
