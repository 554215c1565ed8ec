# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for e2e_faults.sh and e2e_ipv6.sh that lib.sh does not have
# (source lib.sh first, then this file):
#
#  - nodes: mk_realserver6 (a DR real server with IPv4 and IPv6 addresses),
#    recreate_eth0 (delete a host's eth0 and make it again with the same
#    MAC: the peer goes with it, so both ends are made and re-plugged),
#    nsx_net (a command in a node's network namespace only, sharing the
#    caller's mount namespace, so that a mount it makes outlives it);
#  - UDP: udp_echo_start (a real server's echo answering its own name),
#    udp_flows_start / udp_flows_report (long-lived UDP "flows" that keep
#    sending and record which server answers each);
#  - reading lbctl: gstat (a global counter of `lbctl stats -j`),
#    conntrack_flows_from (entries of a client in the pinned conntrack);
#  - capabilities: cap_names (decode a /proc/PID/status mask), cap_field.

# ---------------------------------------------------------------- nodes

# mk_realserver6 NAME IP4 IP6 VIP...: like lib.sh's mk_realserver, with
# an IPv6 address too (IP6/64 on eth0, nodad) and HTTP on every IPv4 and
# IPv6 address (`http.server -b ::` is dual-stack); VIPs as mk_dr_host
# sets them (e2e_ipv6.sh checks that no NS for an IPv6 VIP is answered).
mk_realserver6()
{
	local name=$1 ip=$2 ip6=$3 dir pid; shift 3
	mk_dr_host "$name" "$ip/24" "$ip6/64" "$@"
	dir=$(tmpdir)/$name
	mkdir -p "$dir/www"
	echo "$name" >"$dir/www/index.html"
	ip netns exec "$(ns "$name")" "$PY" -m http.server -b :: -p HTTP/1.1 -d "$dir/www" 80 \
		>"$dir/http.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_until 10 http_from "$name" "[$ip6]" "$name" ||
		bail "HTTP server on $name ([$ip6]) did not start: $(tail -3 "$dir/http.log")"
}

# recreate_eth0 NODE MAC ADDR/PREFIX...: what an operator does when a
# host's NIC goes away and comes back: delete eth0 (a veth: its bridge-side
# peer b-NODE goes too), make the pair again with eth0 in NODE carrying
# MAC, plug b-NODE into the bridge with xdp_pass (see lib.sh), tx
# checksumming off, the addresses back, link up.
recreate_eth0()
{
	local name=$1 mac=$2 n peer a; shift 2
	n=$(ns "$name")
	peer="b-$name"
	ip -n "$n" link del eth0 2>/dev/null
	# The peer disappears with it; make sure before re-using its name.
	wait_until 5 eval "! ip -n $BR_NS link show dev $peer" || return 1
	ip -n "$n" link add eth0 address "$mac" type veth peer name "$peer" netns "$BR_NS" ||
		return 1
	ip -n "$BR_NS" link set "$peer" master "$BR_DEV" || return 1
	ip -n "$BR_NS" link set "$peer" up || return 1
	attach_xdp_pass "$BR_NS" "$peer"
	ip netns exec "$n" ethtool -K eth0 tx off >/dev/null || return 1
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$n" addr add "$a" dev eth0 nodad || return 1
		else
			ip -n "$n" addr add "$a" dev eth0 || return 1
		fi
	done
	ip -n "$n" link set eth0 up
}

# nsx_net NODE CMD...: CMD in NODE's network namespace but the caller's
# mount namespace (`ip netns exec` makes a private mount namespace per
# command, so a mount made in it vanishes, and is invisible to others).
# /sys is then the caller's: fine for lbctl, which asks netlink.
nsx_net()
{
	local n=$1; shift
	nsenter --net="/run/netns/$RUN-$n" "$@"
}

# ---------------------------------------------------------------- UDP

# udp_echo_start NODE ADDR PORT NAME [NET]: a UDP server on ADDR:PORT
# (a VIP on a real server's lo, so that replies come from the VIP) that
# answers every datagram with "NAME SEQ", SEQ being the first word of the
# datagram. With NET (e.g. 10.104.0.), only senders whose address starts
# with it get an answer: a flood from spoofed sources is read and dropped
# instead of costing a failed send each.
udp_echo_start()
{
	local n=$1
	ip netns exec "$RUN-$n" "$PY" -c '
import socket, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
net = sys.argv[4] if len(sys.argv) > 4 else ""
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((addr, port))
while True:
    data, peer = s.recvfrom(2048)
    if net and not peer[0].startswith(net):
        continue
    try:
        s.sendto(name + b" " + data.split(b" ")[0], peer)
    except OSError:
        pass
' "$2" "$3" "$4" "${5:-}" >/dev/null 2>&1 &
	track_pid $!
}

# udp_flows_start NODE STATE VIP PORT N [INTERVAL]: N UDP sockets in NODE,
# each connected to VIP:PORT (a flow of its own: its own source port),
# each sending one datagram every INTERVAL (0.05) s, recording which
# server answered. STATE (JSON, temp file + rename) is written after each
# round: {"round": R, "flows": [{"port": P, "sent": S, "received": R,
# "servers": {"rs1": COUNT, ...}}, ...]}. Its pid is in UDP_FLOWS_PID.
udp_flows_start()
{
	local n=$1 state=$2
	rm -f "$state"
	ip netns exec "$RUN-$n" "$PY" -c '
import json, os, select, socket, sys, time
state, vip, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
interval = float(sys.argv[5])
fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
flows = []
for i in range(n):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((vip, port))
    s.setblocking(False)
    flows.append({"sock": s, "port": s.getsockname()[1], "sent": 0, "received": 0,
                  "servers": {}})
rnd = 0
while True:
    t_end = time.time() + interval
    for f in flows:
        try:
            f["sock"].send(b"%d probe" % f["sent"])
            f["sent"] += 1
        except OSError:
            pass
    while True:
        left = t_end - time.time()
        if left <= 0:
            break
        r, _, _ = select.select([f["sock"] for f in flows], [], [], left)
        for f in flows:
            if f["sock"] in r:
                try:
                    while True:
                        data = f["sock"].recv(2048)
                        who = data.split(b" ")[0].decode("ascii", "replace")
                        f["servers"][who] = f["servers"].get(who, 0) + 1
                        f["received"] += 1
                except (BlockingIOError, ConnectionRefusedError):
                    pass
    rnd += 1
    tmp = state + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"round": rnd, "flows": [{k: v for k, v in f.items() if k != "sock"}
                                           for f in flows]}, fh)
    os.rename(tmp, state)
' "$state" "$3" "$4" "$5" "${6:-0.05}" >"$state.log" 2>&1 &
	UDP_FLOWS_PID=$!
	track_pid "$UDP_FLOWS_PID"
}

# udp_flows_round STATE: the last completed round (-1 if none yet).
udp_flows_round()
{
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["round"])' "$1" 2>/dev/null ||
		echo -1
}

# udp_flows_past STATE R: true once a round after R has completed.
udp_flows_past()
{
	[ "$(udp_flows_round "$1")" -gt "$2" ]
}

# udp_flows_snapshot STATE COPY: keep the state as it is now.
udp_flows_snapshot()
{
	cp "$1" "$2"
}

# udp_flows_report STATE [BEFORE]: one line:
#   "flows=N answered=N sticky=N lost=S/T servers=rs1:N,rs2:N"
# answered: flows that got at least one answer (after BEFORE, if given: the
# counts in BEFORE are subtracted); sticky: flows all of whose answers, over
# their whole life, came from one server; lost: datagrams without an answer
# / sent (since BEFORE); servers: how many flows each server holds.
udp_flows_report()
{
	"$PY" - "$1" "${2:-}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
before = {}
if sys.argv[2]:
    before = {f["port"]: f for f in json.load(open(sys.argv[2]))["flows"]}
answered = sticky = sent = recv = 0
per = {}
for f in d["flows"]:
    b = before.get(f["port"], {"sent": 0, "received": 0})
    s, r = f["sent"] - b["sent"], f["received"] - b["received"]
    sent += s
    recv += r
    answered += r > 0
    sticky += len(f["servers"]) == 1
    if len(f["servers"]) == 1:
        k = next(iter(f["servers"]))
        per[k] = per.get(k, 0) + 1
print("flows=%d answered=%d sticky=%d lost=%d/%d servers=%s" % (
    len(d["flows"]), answered, sticky, max(sent - recv, 0), sent,
    ",".join("%s:%d" % kv for kv in sorted(per.items())) or "none"))
EOF
}

# ---------------------------------------------------------------- lbctl

# gstat NODE FIELD: .global.FIELD of `lbctl stats -j` (empty if unreadable).
gstat()
{
	lbctl_in "$1" stats -j 2>/dev/null | "$PY" -c '
import json, sys
try:
    print(json.load(sys.stdin)["global"][sys.argv[1]])
except Exception:
    pass' "$2"
}

# conntrack_flows_from NODE CLIENT_IP PROTO: how many entries of the
# node's pinned conntrack map have source CLIENT_IP (IPv4) and protocol
# PROTO (6 or 17); reads the raw key bytes (src at 0, proto at 36).
conntrack_flows_from()
{
	bpftool -j map dump pinned "${LB_BPFFS[$1]}/lbctl/eth0/conntrack" 2>/dev/null |
		"$PY" -c '
import json, socket, sys
want, proto = socket.inet_aton(sys.argv[1]), int(sys.argv[2])
try:
    d = json.load(sys.stdin)
except Exception:
    print(-1); sys.exit(0)
n = 0
for e in d:
    k = bytes(int(b, 16) for b in e["key"])
    if k[:4] == want and k[36] == proto:
        n += 1
print(n)' "$2" "$3"
}

# ---------------------------------------------------------------- capabilities

# cap_field PID FIELD: the hex mask of FIELD (CapEff, CapBnd, ...) of PID.
cap_field()
{
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null
}

# cap_names HEX: the capability names in a mask, sorted, space separated.
cap_names()
{
	"$PY" - "$1" <<'EOF'
import sys
NAMES = ["chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
         "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
         "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
         "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
         "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
         "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
         "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
         "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore"]
m = int(sys.argv[1], 16)
out = []
for i in range(64):
    if m >> i & 1:
        out.append("cap_" + (NAMES[i] if i < len(NAMES) else str(i)))
print(" ".join(sorted(out)))
EOF
}
