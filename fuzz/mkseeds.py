#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpora of the libFuzzer harnesses into fuzz/corpus/NAME/.

Run from the top of the tree: python3 fuzz/mkseeds.py. It rewrites the
files it makes (named seed-*) and leaves every other file alone, so the
regression inputs kept in the same directories (crash-*, found-*) stay.

  vrrp      the captured keepalived adverts of selftests/data/vrrp, behind
            the receive settings they were made with (see fuzz_vrrp.c)
  vrrp_fsm  event sequences: start, adverts, timers, faults, pairs
  config    configs/*.conf, selftests/data/configs/*.conf, and a config
            that includes the harness's fixed files
  http      responses: Content-Length, chunked, interim 1xx, to close,
            204/304, and broken ones
  cli       argument vectors of `vip` and `backend` and the value parsers
  xdp       frames for xdp_fuzz --corpus (replayed before the random
            stream, against the services xdp_fuzz.c sets up)
"""
import glob
import ipaddress
import os
import random
import shutil
import struct

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(TOP, "fuzz", "corpus")


def put(name, fname, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + fname), "wb") as f:
        f.write(data)


# ---- vrrp ----

def read_vrrp(path):
    kv = {}
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            k, v = line.split(None, 1)
            kv[k] = v
    return kv


def vrrp_seeds():
    for path in sorted(glob.glob(os.path.join(TOP, "selftests/data/vrrp/*.vrrp"))):
        kv = read_vrrp(path)
        v6 = kv["family"] == "6"
        payload = bytes.fromhex(kv["payload"])
        version = payload[0] >> 4
        src = ipaddress.ip_address(kv["src"]).packed.ljust(16, b"\0")
        dst = ipaddress.ip_address(kv["dst"]).packed.ljust(16, b"\0")
        base = os.path.basename(path)[:-5]
        for variant, vers in (("", version), ("-any", 0)):
            flags = (1 if v6 else 0) | ((vers if vers else 0) << 1)
            v2int = 0
            if version == 2:
                flags |= 2 << 5          # auth_pass "lbcap123"
                flags |= 0x10            # interval check, 1 s
                v2int = 1
            put("vrrp", base + variant, bytes([flags, 255, v2int]) + src + dst + payload)
        # the same with TTL 64 (refused) and without the password
        put("vrrp", base + "-ttl64", bytes([flags | 0x08, 64, 1]) + src + dst + payload)
        put("vrrp", base + "-nopass", bytes([flags & ~0x60, 255, 1]) + src + dst + payload)
        put("vrrp", base + "-short", bytes([flags, 255, 1]) + src + dst + payload[:7])


# ---- vrrp_fsm ----

OP = dict(advance=0, rx=1, timer=2, fault=3, recover=4, prio=5, start=6, stop=7, settle=8)


def ev(op, a=0, b=0, c=0, node=0):
    return bytes([OP[op] | (node << 7), a, b, c])


def fsm_seeds():
    # mode: bit 0 pair, bit 1 IPv6, bit 2 VRRPv3
    # node: prio, interval (2), flags, preempt byte, last address byte
    node = lambda prio, iv=99, flags=0, pd=0, last=2: bytes([prio]) + struct.pack(">H", iv) + bytes([flags, pd, last])
    t0 = bytes([1])
    put("vrrp_fsm", "v3-single-elect", bytes([4]) + node(100) + t0 +
        ev("start") + ev("advance", 0x40, 0, 0x80) + ev("rx", 200, 0, 0x20) +
        ev("advance", 0x10, 0, 0x80) + ev("rx", 50, 0, 0x20) + ev("rx", 0, 0, 0x20) +
        ev("timer") + ev("advance", 0xff, 0xff, 0x7f) + ev("stop"))
    put("vrrp_fsm", "v2-single-fault", bytes([0]) + node(150, 0, 2) + t0 +
        ev("fault") + ev("start") + ev("recover") + ev("advance", 0x20, 0, 0x80) +
        ev("prio", 10, 200) + ev("rx", 150, 0, 0x10) + ev("rx", 150, 0, 0x20) +
        ev("fault") + ev("recover") + ev("stop") + ev("start"))
    put("vrrp_fsm", "v3-owner", bytes([4]) + node(255, 0) + t0 +
        ev("start") + ev("rx", 255, 0, 0x20) + ev("advance", 1, 0, 0x80) + ev("prio", 0, 0x80))
    put("vrrp_fsm", "v3-pair", bytes([5]) + node(200, 99) + node(100, 99, 0, 0, 3) + t0 +
        ev("start", node=0) + ev("start", node=1) + ev("settle") +
        ev("fault", node=0) + ev("settle") + ev("recover", node=0) + ev("settle") +
        ev("prio", 50, 0, node=0) + ev("settle") + ev("stop", node=1) + ev("settle"))
    put("vrrp_fsm", "v3-pair-preempt-delay", bytes([5]) + node(200, 49, 0x0c, 30) +
        node(100, 49, 0x02, 0, 3) + t0 +
        ev("start", node=1) + ev("advance", 0x80, 0, 0x80) + ev("start", node=0) +
        ev("advance", 0x10, 0, 0x80) + ev("settle"))
    put("vrrp_fsm", "v6-pair-nopreempt", bytes([7]) + node(100, 9, 1) + node(120, 9, 1, 0, 9) + t0 +
        ev("start", node=0) + ev("advance", 0x80, 0, 0x80) + ev("start", node=1) + ev("settle") +
        ev("rx", 250, 0x33, 0xf0, node=1) + ev("settle"))
    put("vrrp_fsm", "v2-pair-equal", bytes([1]) + node(100, 0, 2) + node(100, 0, 2, 0, 1) + t0 +
        ev("start", node=0) + ev("start", node=1) + ev("settle"))


# ---- config ----

def config_seeds():
    for path in sorted(glob.glob(os.path.join(TOP, "configs/*.conf"))):
        put("config", "configs-" + os.path.basename(path), open(path, "rb").read())
    for path in sorted(glob.glob(os.path.join(TOP, "selftests/data/configs/*.conf"))):
        put("config", "selftests-" + os.path.basename(path), open(path, "rb").read())
    put("config", "include-fixed.conf",
        "! includes the harness's fixed files\n"
        "include a.conf\n"
        "include empty.conf *.none\n"
        "virtual_server 10.0.0.10 80 {\n"
        "    lb_algo mh\n"
        "    include b.inc\n"
        "}\n")
    put("config", "include-loop.conf", "include loop.conf\ninclude self.conf d\n")
    put("config", "include-glob.conf", "include *.conf\ninclude {a,empty}.conf\n")
    # 0xff then choices for the harness's config generator
    rnd = random.Random(7)
    for k in range(8):
        put("config", "synth-%d" % k, b"\xff" + bytes(rnd.randrange(256) for _ in range(300)))


# ---- http ----

def http_seeds():
    h = "HTTP/1.1 200 OK\r\nServer: x\r\n"
    put("http", "content-length", h + "Content-Length: 5\r\n\r\nhello")
    put("http", "chunked", h + "Transfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    put("http", "interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
        "Link: </a>\r\n\r\n" + h + "Content-Length: 2\r\n\r\nok")
    put("http", "to-close", "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nbody to the end")
    put("http", "204", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")
    put("http", "304", "HTTP/1.1 304 Not Modified\r\n\r\n")
    put("http", "500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
    put("http", "switching", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
    put("http", "folded", h + "X-Long: a\r\n  continued\r\nContent-Length: 1\r\n\r\nz")
    put("http", "te-gzip-chunked", h + "Transfer-Encoding: gzip, chunked\r\n"
        "Content-Length: 99\r\n\r\n1\r\na\r\n0\r\n\r\n")
    put("http", "dup-length", h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
    put("http", "bad-length", h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
    put("http", "bad-status", "HTTP/1.1 2x0 OK\r\n\r\n")
    put("http", "not-http", "SSH-2.0-OpenSSH_9.2\r\n")
    put("http", "bad-chunk", h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n")
    put("http", "huge-chunk", h + "Transfer-Encoding: chunked\r\n\r\nffffffffffff\r\n")
    put("http", "no-reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")


# ---- cli ----

def cli_seeds():
    def a(sel, *args):
        return bytes([sel]) + "\n".join(args).encode()
    seeds = {
        "u32-port": a(0, "8080"),
        "u32-big": a(0x20, "4294967295"),
        "u32-range": a(0x18, "1000003"),
        "proto": a(1, "udp"),
        "addr4": a(2, "192.168.1.10"),
        "addr6": a(2, "fd00::1"),
        "addr-mapped": a(2, "::ffff:10.0.0.1"),
        "service": a(3, "10.0.0.1", "80", "tcp"),
        "service6": a(3, "fd00::1", "443", "UDP"),
        "backend-add": a(4, "10.0.0.1", "80", "tcp", "10.0.0.2:80", "weight", "5", "sorry", "dev", "eth0"),
        "backend-add6": a(4, "fd00::1", "443", "tcp", "[fd00::2]:443", "weight", "0"),
        "backend-del": a(5, "10.0.0.1", "80", "tcp", "10.0.0.2", "dev", "eth0"),
        "backend-family": a(4, "10.0.0.1", "80", "tcp", "fd00::2"),
        "backend-port": a(4, "10.0.0.1", "80", "tcp", "10.0.0.2:81"),
        "vip-add": a(6, "10.0.0.1", "80", "tcp", "eth0", "sched", "sh", "persistence", "300",
                     "table-size", "251"),
        "vip-add6": a(6, "fd00::1", "53", "udp", "dev", "eth1", "timeout", "30"),
        "vip-del": a(7, "10.0.0.1", "80", "tcp", "eth0"),
        "json-error": a(0x86, "10.0.0.1", "80", "sctp"),
        "json-backend": a(0x84, "10.0.0.1", "80", "tcp", "[fd00::2", "weight"),
    }
    for k, v in seeds.items():
        put("cli", k, v)


# ---- xdp ----

IF_MAC = bytes.fromhex("020000000001")
CLIENT_MAC = bytes.fromhex("02c100000001")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, tot=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot or 20 + len(payload), 1, 0, 64, proto, 0,
                    ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + payload


def tcp(sport, dport, flags=0x02):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)


def udp(sport, dport, data=b"x" * 8):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def eth(et, payload, vlan=None):
    if vlan is not None:
        return IF_MAC + CLIENT_MAC + struct.pack("!HHH", 0x8100, vlan, et) + payload
    return IF_MAC + CLIENT_MAC + struct.pack("!H", et) + payload


def xdp_seeds():
    put("xdp", "tcp-syn-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "10.100.0.1", 6, tcp(40000, 80))))
    put("xdp", "tcp-ack-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "10.100.0.1", 6, tcp(40000, 80, 0x10))))
    put("xdp", "tcp-vlan-vip4.pkt", eth(0x0800, ip4("198.51.100.2", "10.100.0.1", 6, tcp(40001, 80, 0x18)), vlan=7))
    put("xdp", "udp-vip6.pkt", eth(0x86dd, ip6("2001:db8::1", "fd00:100::1", 17, udp(40000, 53))))
    put("xdp", "tcp-inactive-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "10.100.0.3", 6, tcp(40000, 80))))
    put("xdp", "tcp-no-backend-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "10.100.0.1", 6, tcp(40000, 8080, 0x10))))
    put("xdp", "tcp-truncated-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "10.100.0.1", 6, tcp(40000, 80), tot=80)))
    put("xdp", "udp-not-vip4.pkt", eth(0x0800, ip4("198.51.100.1", "192.0.2.1", 17, udp(40000, 53))))
    put("xdp", "arp.pkt", b"\xff" * 6 + CLIENT_MAC + bytes.fromhex("0806") + bytes(28))


if __name__ == "__main__":
    vrrp_seeds()
    fsm_seeds()
    config_seeds()
    http_seeds()
    cli_seeds()
    xdp_seeds()
