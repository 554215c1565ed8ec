#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold long-lived HTTP/1.1 connections through a VIP and watch them.

    tcp_hold.py --state FILE [--servers rs1,rs2,rs3 --per 2] [-n N]
                [--max 64] [--interval 0.2] HOST [PORT]

Opens keep-alive connections to HOST:PORT (each one a new TCP flow, so a
balancer may send each to a different real server) and learns, from the
response body, which server answered each. With --servers/--per it keeps
opening connections (up to --max) until every named server holds at least
--per of them; otherwise it opens exactly -n.

Then, every --interval seconds, it sends one more request on every
connection and writes FILE (temp file + rename) as one JSON document:

    {"round": R, "conns": [{"id": 0, "lport": 40000, "server": "rs1",
                            "ok": true, "last": "rs1", "error": null}, ...]}

A connection is ok while each request on it gets a complete response from
the server that answered first. Once broken it stays broken (error says
why). "round" counts completed probe rounds, so a test that changes the
balancer waits for round > R before it looks. Runs until killed.

    tcp_hold.py --fresh N [--sports P,P,...] [--timeout S] HOST [PORT]

instead makes N requests, one after the other, each on a fresh connection
(like N runs of curl, without a process start per request), and prints one
line per request: "SERVER LOCAL_PORT", or "FAIL LOCAL_PORT ERROR". The
requests say "Connection: close", so the server closes first and keeps the
TIME_WAIT: the client may use the same source port again at once. With
--sports, request i binds source port P_i (N is then the number of ports),
to open a new connection on the 5-tuple of an earlier, closed one.
"""
import argparse
import json
import os
import socket
import sys
import time

REQ = b"GET / HTTP/1.1\r\nHost: vip\r\nUser-Agent: tcp_hold\r\nConnection: keep-alive\r\n\r\n"


def read_response(sock, timeout):
    """One HTTP/1.1 response with Content-Length; returns the stripped body."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by peer")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.") or " 200 " not in lines[0] + " ":
        raise ConnectionError("bad status line %r" % lines[0])
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    if length is None:
        raise ConnectionError("no Content-Length (server does not keep alive?)")
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return body[:length].decode("utf-8", "replace").strip()


class Conn:
    def __init__(self, cid, host, port, timeout):
        self.id = cid
        self.server = None
        self.last = None
        self.ok = True
        self.error = None
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.lport = self.sock.getsockname()[1]

    def request(self):
        if not self.ok:
            return
        try:
            self.sock.sendall(REQ)
            got = read_response(self.sock, self.timeout)
            self.last = got
            if self.server is None:
                self.server = got
            elif got != self.server:
                raise ConnectionError("answered by %s, not %s" % (got, self.server))
        except (OSError, ValueError) as e:
            self.ok = False
            self.error = "%s: %s" % (type(e).__name__, e)
            try:
                self.sock.close()
            except OSError:
                pass

    def as_dict(self):
        return {"id": self.id, "lport": self.lport, "server": self.server, "ok": self.ok,
                "last": self.last, "error": self.error}


def fresh(host, port, n, timeout, sports):
    req = REQ.replace(b"keep-alive", b"close")
    for i in range(len(sports) if sports else n):
        lport = sports[i] if sports else 0
        try:
            src = ("", lport) if lport else None
            with socket.create_connection((host, port), timeout=timeout,
                                          source_address=src) as s:
                lport = s.getsockname()[1]
                s.sendall(req)
                body = read_response(s, timeout)
                # Let the server close first: the TIME_WAIT is then its,
                # and this source port is free again at once.
                while s.recv(4096):
                    pass
                print("%s %d" % (body or "EMPTY", lport))
        except (OSError, ValueError) as e:
            print("FAIL %d %s: %s" % (lport, type(e).__name__, e))
    sys.stdout.flush()


def write_state(path, rnd, conns):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"round": rnd, "conns": [c.as_dict() for c in conns]}, f)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", nargs="?", type=int, default=80)
    ap.add_argument("--state")
    ap.add_argument("--fresh", type=int, default=0)
    ap.add_argument("--sports", default="")
    ap.add_argument("-n", type=int, default=8)
    ap.add_argument("--servers", default="")
    ap.add_argument("--per", type=int, default=2)
    ap.add_argument("--max", type=int, default=64)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    if a.fresh:
        fresh(a.host, a.port, a.fresh, a.timeout,
              [int(p) for p in a.sports.split(",") if p])
        return
    if not a.state:
        ap.error("--state FILE is needed (or --fresh N)")

    want = [s for s in a.servers.split(",") if s]
    conns = []
    while True:
        if want:
            have = {s: 0 for s in want}
            for c in conns:
                if c.ok and c.server in have:
                    have[c.server] += 1
            if all(v >= a.per for v in have.values()) or len(conns) >= a.max:
                break
        elif len(conns) >= a.n:
            break
        c = Conn(len(conns), a.host, a.port, a.timeout)
        c.request()
        conns.append(c)
    rnd = 0
    write_state(a.state, rnd, conns)
    while True:
        time.sleep(a.interval)
        for c in conns:
            c.request()
        rnd += 1
        write_state(a.state, rnd, conns)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
