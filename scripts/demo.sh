#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole system on one machine, in network namespaces: a client, two
# balancer nodes running `lbctl up eth0 -c configs/two-node-dr-*.conf`
# (VRRPv3, Maglev, HTTP health checks) and three nginx real servers holding
# the VIP on loopback, all on one bridge. It walks through what the system
# does, then leaves the world running for you to poke at.
#
#   scripts/demo.sh           run, leave running       (make demo)
#   scripts/demo.sh --once    run, then tear down      (make demo ARGS=--once)
#   scripts/demo.sh --down    tear a left-running demo down (make demo ARGS=--down)
#
# Addresses are those of the example configs: 10.0.0.0/24 on the bridge,
# VIP 10.0.0.100, balancers .2 and .3, real servers .11-.13, client .50.
# Nothing leaves the namespaces.


RUN=lbdemo
export RUN
TOP=$(cd "$(dirname "$0")/.." && pwd)
VIP=10.0.0.100

# Bold headings on a terminal only, so that a saved log stays plain text.
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
info() { printf '   %s\n' "$*"; }

teardown()
{
	local ns d
	for ns in $(ip netns list | awk '{print $1}' | grep "^$RUN-"); do
		ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
		ip netns del "$ns"
	done
	for d in /tmp/$RUN.*; do
		[ -d "$d" ] || continue
		grep -o " $d/[^ ]*" /proc/mounts | xargs -r -n1 umount -l 2>/dev/null
		rm -rf "$d"
	done
}

case "${1:-}" in
--down)
	teardown
	echo "demo: torn down, nothing left"
	exit 0 ;;
--once|"") ;;
*)
	echo "usage: $0 [--once|--down]" >&2
	exit 2 ;;
esac
ONCE=${1:-}

[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, XDP)" >&2; exit 1; }
[ -x "$TOP/lbctl" ] || { echo "demo: build first: make" >&2; exit 1; }
# A previous demo left running would collide with this one.
teardown

. "$TOP/selftests/lib.sh"
need_cmd nginx curl

# Progress dots while waiting, so nothing waits silently.
wait_for()
{
	local what=$1 timeout=$2 deadline; shift 2
	printf '   waiting for %s ' "$what"
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && { echo " gave up after ${timeout}s"; return 1; }
		printf '.'
		sleep 0.2
	done
	echo " done"
}

mk_nginx()
{
	local name=$1 ip=$2 dir
	mk_host "$name" "$ip/24"
	nsx "$name" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	ip -n "$(ns "$name")" addr add "$VIP/32" dev lo
	dir=$(tmpdir)/$name
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<-EOF
	worker_processes 1;
	daemon off;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	events { worker_connections 512; }
	http {
	    access_log $dir/access.log;
	    server {
	        listen 80 reuseport;
	        location = /healthz { return 200 "ok\n"; }
	        location / { return 200 "$name\n"; }
	    }
	}
	EOF
	start_nginx "$name"
}

start_nginx()
{
	local dir
	dir=$(tmpdir)/$1
	nsx "$1" nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 &
	track_pid $!
	echo $! >"$dir/launcher.pid"
	wait_until 10 http_from "$1" "${NODE_IP[$1]}" "$1"
}

stop_nginx()
{
	local dir
	dir=$(tmpdir)/$1
	kill "$(cat "$dir/nginx.pid")" 2>/dev/null
	wait_until 10 bash -c "! ip netns exec $(ns "$1") curl -s --max-time 1 http://${NODE_IP[$1]}/"
}

# spread N: N requests on fresh connections; prints "rs1=.. rs2=.. rs3=.. failed=.."
spread()
{
	local i out r1=0 r2=0 r3=0 f=0
	for i in $(seq "$1"); do
		out=$(nsx client curl -s --max-time 1 "http://$VIP/")
		case "$out" in
		rs1) r1=$((r1 + 1)) ;; rs2) r2=$((r2 + 1)) ;; rs3) r3=$((r3 + 1)) ;;
		*) f=$((f + 1)) ;;
		esac
	done
	echo "rs1=$r1 rs2=$r2 rs3=$r3 failed=$f"
}

vrrp_state()
{
	lbctl_in "$1" -j status 2>/dev/null | "$PY" -c \
		'import json,sys; print(json.load(sys.stdin)["controller"]["vrrp"][0]["state"])' 2>/dev/null
}

is_state() { [ "$(vrrp_state "$1")" = "$2" ]; }

# xdp_or_none NODE: the XDP program on NODE's eth0, or "none".
xdp_or_none()
{
	local p
	p=$(xdp_prog_on "$1" 2>/dev/null)
	echo "${p:-none}"
}

backend_state()
{
	lbctl_in lb1 backend list -j 2>/dev/null | "$PY" -c '
import json,sys
for b in json.load(sys.stdin):
    if b["backend"] == sys.argv[1]: print(b["state"])' "$1"
}

is_backend() { [ "$(backend_state "$1")" = "$2" ]; }

say "Building the world: bridge, client, two balancers, three nginx real servers"
mk_bridge
mk_host client 10.0.0.50/24
mk_lbnode lb1 10.0.0.2/24
mk_lbnode lb2 10.0.0.3/24
for i in 1 2 3; do
	mk_nginx "rs$i" "10.0.0.1$i"
	info "rs$i 10.0.0.1$i: nginx, VIP $VIP on lo (arp_ignore=1, arp_announce=2)"
done

say "Starting lbctl on both balancers with the example configs"
info "lb1: lbctl up eth0 -c configs/two-node-dr-master.conf   (priority 150)"
lbctl_in lb1 up eth0 -c "$TOP/configs/two-node-dr-master.conf" | sed 's/^/   lb1: /'
info "lb2: lbctl up eth0 -c configs/two-node-dr-backup.conf   (priority 100)"
lbctl_in lb2 up eth0 -c "$TOP/configs/two-node-dr-backup.conf" | sed 's/^/   lb2: /'
wait_for "lb1 to win the VRRP election" 15 is_state lb1 MASTER
wait_for "lb2 to settle as backup" 10 is_state lb2 BACKUP
for i in 1 2 3; do
	wait_for "real server 10.0.0.1$i to be resolved and healthy" 15 is_backend "10.0.0.1$i" up
done
info "lb1 is $(vrrp_state lb1) and holds the VIP: $(ip -n "$(ns lb1)" -br addr show eth0 | awk '{print $3, $4}')"
info "lb2 is $(vrrp_state lb2); XDP on lb1: $(xdp_or_none lb1), on lb2: $(xdp_or_none lb2)"
lbctl_in lb1 list | sed 's/^/   /'

say "1. Requests from the client spread over the real servers (Maglev)"
info "60 requests on fresh connections: $(spread 60)"
info "the real servers answer the client directly; lb1 only rewrote MAC addresses"

say "2. A real server stops: health checks take it out"
stop_nginx rs2
info "stopped nginx on rs2"
wait_for "lb1's HTTP_GET check to mark 10.0.0.12 down" 20 is_backend 10.0.0.12 down
info "60 requests: $(spread 60)"
start_nginx rs2
info "started nginx on rs2 again"
wait_for "10.0.0.12 to come back" 20 is_backend 10.0.0.12 up
info "60 requests: $(spread 60)"

say "3. The master dies (SIGKILL) while the client keeps requesting"
LOG=$(tmpdir)/client.log
# The loop runs while its flag file exists (and 60 s at most): removing the
# flag stops it, whatever process tree \`ip netns exec\` made of it.
touch "$LOG.run"
nsx client bash -c "end=\$((SECONDS + 60)); while [ -e '$LOG.run' ] && [ \$SECONDS -lt \$end ]; do
	if out=\$(curl -s --max-time 0.5 http://$VIP/); then echo \"\$(date +%s.%N) ok \$out\"
	else echo \"\$(date +%s.%N) fail\"; fi
	sleep 0.05
done" >"$LOG" 2>&1 &
LOOP=$!
track_pid $LOOP
sleep 1
pid=$(cat "${LB_RUNDIR[lb1]}/eth0/pid")
info "kill -9 $pid (lb1's controller): its guardian removes the VIP, then the XDP program"
kill -9 "$pid"
T0=$(date +%s.%N)
wait_for "lb2 to take over" 15 is_state lb2 MASTER
wait_for "the VIP to answer through lb2" 10 http_from client "$VIP"
sleep 1
rm -f "$LOG.run"
wait $LOOP 2>/dev/null
"$PY" - "$LOG" "$T0" <<-'EOF'
	import sys
	t0 = float(sys.argv[2])
	rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
	fails = [float(r[0]) for r in rows if r[1] == "fail"]
	print("   requests: %d, failed: %d" % (len(rows), len(fails)))
	# The gap: from the last answer before the first failure after the
	# kill (the dying node forwards for a moment) to the next answer.
	first_fail = min([f for f in fails if f > t0], default=None)
	if first_fail is not None:
	    before = [float(r[0]) for r in rows if r[1] == "ok" and float(r[0]) < first_fail]
	    after = [float(r[0]) for r in rows if r[1] == "ok" and float(r[0]) > first_fail]
	    if before and after:
	        print("   no answer for %.2f s, then lb2 answered (it takes over after its"
	              " Master_Down_Interval: 3 x advert_int 1 s + (256 - priority 100) / 256 s"
	              " = 3.61 s after lb1's last advert)" % (after[0] - before[-1]))
	EOF
info "lb2 now: $(vrrp_state lb2), XDP: $(xdp_or_none lb2)"

say "4. The old master comes back and takes over again (preemption)"
info "lb1: lbctl up eth0 -c configs/two-node-dr-master.conf (cleans up after the crash)"
lbctl_in lb1 up eth0 -c "$TOP/configs/two-node-dr-master.conf" 2>&1 | sed 's/^/   lb1: /'
wait_for "lb1 to be master again" 15 is_state lb1 MASTER
wait_for "lb2 to step back" 10 is_state lb2 BACKUP
info "60 requests: $(spread 60)"

if [ "$ONCE" = --once ]; then
	say "Done; tearing the world down"
	lbctl_in lb1 down eth0
	lbctl_in lb2 down eth0
	info "and the namespaces, bpffs mounts, processes and files go with the exit"
	exit 0
fi

# Leave everything running: the cleanup trap must not fire.
trap - EXIT INT TERM
say "The demo world is still running. Poke at it:"
L1="ip netns exec $(ns lb1) $TOP/lbctl --bpffs ${LB_BPFFS[lb1]} --rundir ${LB_RUNDIR[lb1]}"
L2="ip netns exec $(ns lb2) $TOP/lbctl --bpffs ${LB_BPFFS[lb2]} --rundir ${LB_RUNDIR[lb2]}"
cat <<EOF
   L1="$L1"
   L2="$L2"
   C="ip netns exec $(ns client)"

   \$C curl http://$VIP/                          # ask the VIP (again and again)
   \$L1 status; \$L2 status                       # VRRP state, XDP, health
   \$L1 list; \$L1 stats                          # ipvsadm -Ln style; counters
   \$L1 backend set $VIP 80 tcp 10.0.0.11 weight 3   # more traffic to rs1
   \$L1 backend set $VIP 80 tcp 10.0.0.12 weight 0   # drain rs2
   bpftool map dump pinned ${LB_BPFFS[lb1]}/lbctl/eth0/backends
   kill \$(cat $(tmpdir)/rs1/nginx.pid)              # take rs1 away; the check notices
   ip netns exec $(ns rs1) nginx -c $(tmpdir)/rs1/nginx.conf -p $(tmpdir)/rs1 &   # and back
   \$L1 down eth0                                  # hand the VIP to lb2 gracefully
   \$L1 up eth0 -c $TOP/configs/two-node-dr-master.conf   # and take it back
   logs: ${LB_RUNDIR[lb1]}/eth0/log  ${LB_RUNDIR[lb2]}/eth0/log

   Tear it all down:  make demo ARGS=--down   (or $TOP/scripts/demo.sh --down)
EOF
