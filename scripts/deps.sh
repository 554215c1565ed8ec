#!/bin/sh
# Install every Debian package that building, testing, the demo and the
# benchmarks need. Idempotent: installs only what is missing.
set -eu

PKGS="make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
libnl-3-dev libnl-route-3-dev linux-libc-dev libc6-dev-i386 iproute2 ethtool iputils-ping
perl python3 curl keepalived nginx-light libnginx-mod-stream haproxy wrk procps psmisc util-linux
libclang-rt-14-dev nftables"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The packaged daemons must not run on their own: tests start their own.
for s in keepalived nginx haproxy; do
	systemctl disable --now "$s" >/dev/null 2>&1 || true
	pkill -x "$s" >/dev/null 2>&1 || true
done
