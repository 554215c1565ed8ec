#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Capture real keepalived VRRP advertisements as test fixtures for
# selftests/test_vrrp_codec.c.
#
# keepalived runs in a private network namespace on one end of a veth pair
# whose both ends live in that namespace; a small python3 AF_PACKET reader
# on the other end records what it sends. Nothing leaves the namespace, and
# the namespace, keepalived and the temp dir go away on exit (trap).
#
# Instances (see CONF below):
#   vrid 51  VRRPv2, IPv4, auth_type PASS, advert_int 1, 2 VIPs, prio 150
#   vrid 52  VRRPv3, IPv4, advert_int 0.5, 3 VIPs, prio 200
#   vrid 53  VRRPv3, IPv6, advert_int 1, 2 VIPs, prio 100
# For each we keep one ordinary advert and one priority-0 advert (sent when
# keepalived is stopped with SIGTERM, RFC 5798 6.4.3 Shutdown).
#
# Output: one file per packet in OUTDIR (default selftests/data/vrrp):
#   family 4|6 / src ADDR / dst ADDR / ttl N / payload HEX
# where payload is the VRRP message (the bytes after the IP header).
#
# usage: scripts/capture-keepalived-vrrp.sh [OUTDIR]     (needs root)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
outdir=${1:-$here/selftests/data/vrrp}
ns=lbcap-$$
tmp=$(mktemp -d /tmp/lbcap.XXXXXX)
ka_pid=
cap_pid=

cleanup()
{
	local rc=$?

	set +e
	[ -n "$ka_pid" ] && kill "$ka_pid" 2>/dev/null && wait "$ka_pid" 2>/dev/null
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null && wait "$cap_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	if [ "$rc" != 0 ] && [ -s "$tmp/keepalived.log" ]; then
		echo "capture: keepalived log:" >&2
		sed 's/^/  /' "$tmp/keepalived.log" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() { echo "capture: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets)"
command -v keepalived >/dev/null || die "keepalived not installed"
command -v python3 >/dev/null || die "python3 not installed"
mkdir -p "$outdir"
ka_version=$(keepalived -v 2>&1 | sed -n 1p)

# A function, so only for foreground commands: a background one must be
# "ip netns exec" itself (it execs the command), so that $! is its pid.
nsx() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
nsx ip link set lo up
# No DAD: keepalived needs a usable link-local source for IPv6 at once.
nsx sysctl -qw net.ipv6.conf.default.accept_dad=0
nsx sysctl -qw net.ipv6.conf.all.accept_dad=0
nsx ip link add cap0 type veth peer name cap1
nsx ip addr add 10.200.0.1/24 dev cap0
nsx ip addr add fd00:200::1/64 dev cap0
nsx ip link set cap0 up
nsx ip link set cap1 up

cat >"$tmp/keepalived.conf" <<'EOF'
global_defs {
	router_id lbcap
}

vrrp_instance CAP_V2 {
	interface cap0
	state MASTER
	version 2
	virtual_router_id 51
	priority 150
	advert_int 1
	authentication {
		auth_type PASS
		auth_pass lbcap123
	}
	virtual_ipaddress {
		10.200.0.100/32
		10.200.0.101/32
	}
}

vrrp_instance CAP_V3 {
	interface cap0
	state MASTER
	version 3
	virtual_router_id 52
	priority 200
	advert_int 0.5
	virtual_ipaddress {
		10.200.0.102/32
		10.200.0.103/32
		10.200.0.104/32
	}
}

vrrp_instance CAP_V6 {
	interface cap0
	state MASTER
	version 3
	virtual_router_id 53
	priority 100
	advert_int 1
	virtual_ipaddress {
		fd00:200::100/128
		fd00:200::101/128
	}
}
EOF

cat >"$tmp/capture.py" <<'EOF'
# Reads frames on IFACE and writes the first ordinary and the first
# priority-0 VRRP advertisement of each wanted VRID, then exits.
import os, socket, struct, sys, time

iface, outdir, ready, kaver = sys.argv[1:5]
names = {51: "v2-ipv4-pass-vrid51", 52: "v3-ipv4-vrid52", 53: "v3-ipv6-vrid53"}
want = {(v, k) for v in names for k in ("adv", "prio0")}
deadline = time.time() + 30

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.settimeout(0.5)
open(ready + ".listening", "w").close()

def save(kind, vrid, fam, src, dst, ttl, payload):
    path = os.path.join(outdir, "%s-%s.vrrp" % (names[vrid], kind))
    with open(path, "w") as f:
        f.write("# %s, vrid %d, captured by scripts/capture-keepalived-vrrp.sh\n"
                % (kaver, vrid))
        f.write("family %d\nsrc %s\ndst %s\nttl %d\npayload %s\n"
                % (fam, src, dst, ttl, payload.hex()))

while want and time.time() < deadline:
    try:
        frame = s.recv(65535)
    except socket.timeout:
        continue
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20 and ip[9] == 112:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        fam, ttl, payload = 4, ip[8], ip[ihl:tot]
        src = socket.inet_ntop(socket.AF_INET, ip[12:16])
        dst = socket.inet_ntop(socket.AF_INET, ip[16:20])
    elif etype == 0x86DD and len(ip) >= 40 and ip[6] == 112:
        plen = struct.unpack("!H", ip[4:6])[0]
        fam, ttl, payload = 6, ip[7], ip[40:40 + plen]
        src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
    else:
        continue
    if len(payload) < 8 or payload[1] not in names:
        continue
    key = (payload[1], "prio0" if payload[2] == 0 else "adv")
    if key in want:
        save(key[1], payload[1], fam, src, dst, ttl, payload)
        want.discard(key)
    if not any(k == "adv" for _, k in want):
        open(ready, "w").close()

if want:
    sys.stderr.write("capture: timed out, missing %s\n" % sorted(want))
    sys.exit(1)
EOF

ip netns exec "$ns" python3 "$tmp/capture.py" cap1 "$outdir" "$tmp/adverts-seen" "$ka_version" &
cap_pid=$!

wait_for()
{
	local file=$1 tries=300

	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		[ -e "$file" ] && return 0
		kill -0 "$cap_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

wait_for "$tmp/adverts-seen.listening" || die "capture socket did not start"

ip netns exec "$ns" keepalived -n -l -D -G -P -f "$tmp/keepalived.conf" \
	-p "$tmp/keepalived.pid" -r "$tmp/vrrp.pid" \
	>"$tmp/keepalived.log" 2>&1 &
ka_pid=$!

wait_for "$tmp/adverts-seen" || die "no adverts from keepalived"

# SIGTERM: the MASTERs send their priority-0 adverts on the way out.
kill -TERM "$ka_pid"
wait "$ka_pid" || true
ka_pid=
wait "$cap_pid" || die "priority-0 adverts not captured"
cap_pid=

echo "capture: wrote $outdir/{v2-ipv4-pass-vrid51,v3-ipv4-vrid52,v3-ipv6-vrid53}-{adv,prio0}.vrrp"
