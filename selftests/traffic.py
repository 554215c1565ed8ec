#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Steady client traffic through a VIP for lbctl's HA tests, and its report.

    traffic.py run --out FILE [--fresh-interval 0.02] [--fresh-timeout 1]
                   [--servers rs1,rs2,rs3 --per 4 --max 48 | -n N]
                   [--interval 0.1] [--timeout 5] HOST [PORT]
    traffic.py once [--sport PORT] [--timeout 2] [--fin] HOST [PORT]
    traffic.py report FILE [--mark T] [--from T] [--to T] [--after T]
                   [--quiet-from T --quiet-to T] [--tail S] [--split T]

run: two kinds of traffic at once, until SIGTERM/SIGINT:

 (a) fresh connections: every --fresh-interval seconds a new TCP connection
     sends "GET /" with "Connection: close" and reads the answer (the body
     names the real server), each in its own thread with --fresh-timeout as
     the deadline for the whole exchange;
 (b) long-lived connections: HTTP/1.1 keep-alive connections opened first
     (with --servers/--per: until every named server holds --per of them,
     at most --max; else exactly -n), then each one, in its own thread,
     sends a request every --interval seconds. A connection breaks at the
     first error, timeout (--timeout) or answer from another server than
     its first, and stays broken.

FILE is rewritten (temp file + rename) every 0.2 s and at exit, as one JSON
document (times are time.time(), the same clock as `date +%s.%N`):

    {"ready": true, "now": T,
     "fresh": [[t_start, ok, "rs1" or "error text", duration_s, lport], ...],
     "long": [{"id", "lport", "server", "ok", "n_ok", "t_open",
               "t_last_ok", "t_broken", "error", "max_rtt", "t_max_rtt"}]}

With --sport (and -n 1) the long-lived connection uses that source port.

once: one request on a new connection (from --sport if given), closed with
a reset so that the 5-tuple can be used again at once; prints the server
that answered.

report: reads FILE and prints shell assignments (KEY=VALUE, values quoted
where needed) for a test to eval; see report() for the keys.
"""
import argparse
import json
import os
import shlex
import signal
import socket
import struct
import sys
import threading
import time

REQ_KA = (b"GET / HTTP/1.1\r\nHost: vip\r\nUser-Agent: lbctl-traffic\r\n"
          b"Connection: keep-alive\r\n\r\n")
REQ_CLOSE = (b"GET / HTTP/1.1\r\nHost: vip\r\nUser-Agent: lbctl-traffic\r\n"
             b"Connection: close\r\n\r\n")



def read_response(sock, deadline):
    """One HTTP/1.1 response with Content-Length; returns the stripped body."""
    buf = b""

    def recv():
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout("timed out")
        sock.settimeout(left)
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by peer")
        return chunk

    while b"\r\n\r\n" not in buf:
        buf += recv()
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
        raise ConnectionError("no Content-Length")
    while len(body) < length:
        body += recv()
    return body[:length].decode("utf-8", "replace").strip()


def connect(host, port, timeout, sport=0):
    """A TCP connection, from source port sport if given (SO_REUSEADDR, so
    that a port just released can be taken again)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", sport))
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def close_rst(s):
    """Close with a reset (SO_LINGER 0): no TIME_WAIT on either side, so
    the same 5-tuple can be used again at once."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def once(a):
    """One request on a new connection (from --sport if given), closed with
    a reset, or with --fin as HTTP/1.1 "Connection: close" ends it: the
    server closes first, the client's FIN follows (and the client keeps no
    TIME_WAIT, so the port is free again at once). Prints the server that
    answered. Status 1 on failure."""
    try:
        s = connect(a.host, a.port, a.timeout, a.sport)
        try:
            deadline = time.time() + a.timeout
            s.sendall(REQ_CLOSE if a.fin else REQ_KA)
            print(read_response(s, deadline))
            while a.fin:
                s.settimeout(max(deadline - time.time(), 0.01))
                if not s.recv(4096):
                    break
        finally:
            s.close() if a.fin else close_rst(s)
    except (OSError, ValueError) as e:
        print(err_text(e), file=sys.stderr)
        sys.exit(1)


def err_text(e):
    return "%s: %s" % (type(e).__name__, e)


class Traffic:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.fresh = []
        self.long = []
        self.ready = False
        self.stop = threading.Event()

    # ------------------------------------------------------------ fresh
    def one_fresh(self):
        a = self.a
        t0 = time.time()
        deadline = t0 + a.fresh_timeout
        s = None
        lport = None
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(a.fresh_timeout)
            s.connect((a.host, a.port))
            lport = s.getsockname()[1]
            s.sendall(REQ_CLOSE)
            got = read_response(s, deadline)
            rec = [t0, True, got, time.time() - t0, lport]
        except (OSError, ValueError) as e:
            if s is not None and lport is None:
                try:
                    lport = s.getsockname()[1] or None
                except OSError:
                    pass
            rec = [t0, False, err_text(e), time.time() - t0, lport]
        finally:
            if s is not None:
                s.close()
        with self.lock:
            self.fresh.append(rec)

    def fresh_loop(self):
        nxt = time.time()
        while not self.stop.is_set():
            threading.Thread(target=self.one_fresh, daemon=True).start()
            nxt += self.a.fresh_interval
            d = nxt - time.time()
            if d > 0:
                self.stop.wait(d)
            else:
                nxt = time.time()

    # ------------------------------------------------------------ long-lived
    def open_long(self, cid):
        a = self.a
        c = {"id": cid, "lport": None, "server": None, "ok": True, "n_ok": 0,
             "t_open": time.time(), "t_last_ok": None, "t_broken": None,
             "error": None, "max_rtt": 0.0, "t_max_rtt": None}
        s = None
        try:
            s = connect(a.host, a.port, a.timeout, a.sport)
            c["lport"] = s.getsockname()[1]
            s.sendall(REQ_KA)
            c["server"] = read_response(s, time.time() + a.timeout)
            c["n_ok"] = 1
            c["t_last_ok"] = time.time()
        except (OSError, ValueError):
            # A connection that cannot even be opened is not kept.
            if s is not None:
                s.close()
            return None, None
        return c, s

    def long_loop(self, c, s):
        a = self.a
        nxt = time.time()
        while c["ok"] and not self.stop.is_set():
            nxt += a.interval
            d = nxt - time.time()
            if d > 0 and self.stop.wait(d):
                break
            t0 = time.time()
            try:
                s.sendall(REQ_KA)
                got = read_response(s, t0 + a.timeout)
                if got != c["server"]:
                    raise ConnectionError("answered by %s, not %s" % (got, c["server"]))
                rtt = time.time() - t0
                with self.lock:
                    c["n_ok"] += 1
                    c["t_last_ok"] = time.time()
                    if rtt > c["max_rtt"]:
                        c["max_rtt"], c["t_max_rtt"] = rtt, t0
            except (OSError, ValueError) as e:
                with self.lock:
                    c["ok"] = False
                    c["t_broken"] = t0
                    c["error"] = err_text(e)
            if time.time() > nxt + a.interval:
                nxt = time.time()
        s.close()

    def setup_long(self):
        a = self.a
        want = [x for x in a.servers.split(",") if x]
        pairs = []
        tries = 0
        while not self.stop.is_set():
            if want:
                have = dict((w, 0) for w in want)
                for c, _ in pairs:
                    if c["server"] in have:
                        have[c["server"]] += 1
                if all(v >= a.per for v in have.values()) or len(pairs) >= a.max:
                    break
            elif len(pairs) >= a.n:
                break
            tries += 1
            if tries > 4 * max(a.max, a.n) + 20:
                break
            c, s = self.open_long(len(pairs))
            if c is not None:
                pairs.append((c, s))
        with self.lock:
            self.long = [c for c, _ in pairs]
        for c, s in pairs:
            threading.Thread(target=self.long_loop, args=(c, s), daemon=True).start()
        with self.lock:
            self.ready = True

    # ------------------------------------------------------------ state
    def write(self):
        with self.lock:
            doc = {"ready": self.ready, "now": time.time(),
                   "fresh": list(self.fresh),
                   "long": [dict(c) for c in self.long]}
        tmp = self.a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.rename(tmp, self.a.out)

    def run(self):
        def on_signal(*_):
            self.stop.set()
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.write()
        setup = threading.Thread(target=self.setup_long, daemon=True)
        setup.start()
        # Fresh traffic starts once the long-lived connections are open, so
        # that they are opened on a quiet link.
        while setup.is_alive() and not self.stop.is_set():
            setup.join(0.05)
        threading.Thread(target=self.fresh_loop, daemon=True).start()
        while not self.stop.wait(0.2):
            self.write()
        # Let exchanges in flight finish (bounded by their deadlines).
        time.sleep(min(self.a.fresh_timeout, 1.0) + 0.05)
        self.write()


# ---------------------------------------------------------------- report

def q(v):
    return shlex.quote(str(v))


def report(a):
    """Print, as KEY=VALUE lines for a shell to eval:

    fresh connections started in [--from, --to]: FRESH_N, FRESH_OK,
      FRESH_FAIL, FRESH_SERVERS ("rs1=N ..."), FRESH_ERRORS ("Kind=N ...");
      GAP_MS (longest outage), GAP_AT_MS (its start after --mark), IDLE_MS;
    with --mark T: RESUME_MS, FAIL_FIRST_MS, FAIL_LAST_MS (ms after T);
    with --after T: AFTER_N, AFTER_FAIL, AFTER_SERVERS (started after T);
    with --quiet-from/--quiet-to: OUTSIDE_FAIL (failures outside it);
    with --tail S: TAIL_N, TAIL_FAIL (the last S seconds of the window);
    long-lived connections: LONG_N, LONG_OK, LONG_BROKEN, LONG_SERVERS
      ("rs1=N/B ..."), LONG_N_<server>, LONG_BROKEN_<server>, LONG_ERRORS,
      LONG_REQS, LONG_MAX_STALL_MS (slowest answer on a surviving one);
    with --split T: LONG_BROKEN_BEFORE, LONG_BROKEN_AFTER.
    """
    d = json.load(open(a.file))
    fresh = sorted(d["fresh"], key=lambda r: r[0])
    t_from = a.t_from if a.t_from is not None else -1e18
    t_to = a.t_to if a.t_to is not None else 1e18
    win = [r for r in fresh if t_from <= r[0] <= t_to]
    ok = [r for r in win if r[1]]
    fail = [r for r in win if not r[1]]
    out = {}
    out["FRESH_N"] = len(win)
    out["FRESH_OK"] = len(ok)
    out["FRESH_FAIL"] = len(fail)
    # The outage seen by new connections: for each run of failed fresh
    # connections, from the start of the last success before it to the
    # start of the first success after it (a run at an edge of the window
    # counts from its first failure, or up to its last failure's start). The
    # longest is GAP_MS. (A late generator is not an outage: IDLE_MS, the
    # longest time between any two starts, shows how late it was.)
    gap, gap_at = 0.0, 0.0
    i = 0
    while i < len(win):
        if win[i][1]:
            i += 1
            continue
        j = i
        while j < len(win) and not win[j][1]:
            j += 1
        t0 = win[i - 1][0] if i > 0 else win[i][0]
        t1 = win[j][0] if j < len(win) else win[j - 1][0]
        if t1 - t0 > gap:
            gap, gap_at = t1 - t0, t0
        i = j
    out["GAP_MS"] = int(round(gap * 1000))
    out["GAP_AT_MS"] = int(round((gap_at - a.mark) * 1000)) if a.mark and gap else 0
    out["IDLE_MS"] = int(round(max([y[0] - x[0] for x, y in zip(win, win[1:])] or [0]) * 1000))
    if a.mark is not None:
        # When new connections worked again: the first success after the
        # first failure that followed the event (0: none failed).
        fa = [r for r in fail if r[0] >= a.mark]
        after = [r for r in ok if fa and r[0] > fa[0][0]]
        out["RESUME_MS"] = (int(round((after[0][0] - a.mark) * 1000)) if after else -1) if fa else 0
        fa = [r for r in fail if r[0] >= a.mark]
        out["FAIL_FIRST_MS"] = int(round((fa[0][0] - a.mark) * 1000)) if fa else -1
        out["FAIL_LAST_MS"] = int(round((fa[-1][0] - a.mark) * 1000)) if fa else -1
    if a.after is not None:
        aft = [r for r in win if r[0] >= a.after]
        out["AFTER_N"] = len(aft)
        out["AFTER_FAIL"] = sum(1 for r in aft if not r[1])
        srv = {}
        for r in aft:
            if r[1]:
                srv[r[2]] = srv.get(r[2], 0) + 1
        out["AFTER_SERVERS"] = " ".join("%s=%d" % kv for kv in sorted(srv.items()))
    if a.quiet_from is not None:
        qf = [r for r in fail if not (a.quiet_from <= r[0] <= a.quiet_to)]
        out["OUTSIDE_FAIL"] = len(qf)
    if a.tail:
        # The last --tail seconds of fresh connections in the window.
        end = win[-1][0] if win else 0
        tl = [r for r in win if r[0] >= end - a.tail]
        out["TAIL_N"] = len(tl)
        out["TAIL_FAIL"] = sum(1 for r in tl if not r[1])
    srv = {}
    for r in ok:
        srv[r[2]] = srv.get(r[2], 0) + 1
    out["FRESH_SERVERS"] = " ".join("%s=%d" % kv for kv in sorted(srv.items()))
    errs = {}
    for r in fail:
        e = r[2].split(":")[0]
        errs[e] = errs.get(e, 0) + 1
    out["FRESH_ERRORS"] = " ".join("%s=%d" % kv for kv in sorted(errs.items()))

    longs = d["long"]
    out["LONG_N"] = len(longs)
    broken = [c for c in longs if not c["ok"]]
    out["LONG_BROKEN"] = len(broken)
    if a.split is not None:
        # Broken before and after a point (e.g. a failover and the
        # preemption back).
        out["LONG_BROKEN_BEFORE"] = sum(1 for c in broken if c["t_broken"] < a.split)
        out["LONG_BROKEN_AFTER"] = sum(1 for c in broken if c["t_broken"] >= a.split)
    out["LONG_OK"] = len(longs) - len(broken)
    per = {}
    for c in longs:
        p = per.setdefault(c["server"], [0, 0])
        p[0] += 1
        if not c["ok"]:
            p[1] += 1
    # rs1=N/B: N connections to rs1, B of them broke.
    out["LONG_SERVERS"] = " ".join("%s=%d/%d" % (k, v[0], v[1]) for k, v in sorted(per.items()))
    for k, v in per.items():
        if k and k.isidentifier():
            out["LONG_N_" + k] = v[0]
            out["LONG_BROKEN_" + k] = v[1]
    rel = (lambda t: "%+.3fs" % (t - a.mark)) if a.mark else (lambda t: "%.3f" % t)
    out["LONG_ERRORS"] = "; ".join(
        "conn %d (port %s, %s) at %s: %s" % (c["id"], c["lport"], c["server"],
                                              rel(c["t_broken"]), c["error"])
        for c in broken)
    alive = [c for c in longs if c["ok"]]
    out["LONG_REQS"] = sum(c["n_ok"] for c in longs)
    stall = max(alive, key=lambda c: c["max_rtt"], default=None)
    out["LONG_MAX_STALL_MS"] = int(round(stall["max_rtt"] * 1000)) if stall else 0
    for k, v in out.items():
        print("%s=%s" % (k, q(v)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("host")
    r.add_argument("port", nargs="?", type=int, default=80)
    r.add_argument("--out", required=True)
    r.add_argument("--fresh-interval", type=float, default=0.02)
    r.add_argument("--fresh-timeout", type=float, default=1.0)
    r.add_argument("-n", type=int, default=12)
    r.add_argument("--servers", default="")
    r.add_argument("--per", type=int, default=4)
    r.add_argument("--max", type=int, default=48)
    r.add_argument("--interval", type=float, default=0.1)
    r.add_argument("--timeout", type=float, default=5.0)
    r.add_argument("--sport", type=int, default=0)
    o = sub.add_parser("once")
    o.add_argument("host")
    o.add_argument("port", nargs="?", type=int, default=80)
    o.add_argument("--sport", type=int, default=0)
    o.add_argument("--timeout", type=float, default=2.0)
    o.add_argument("--fin", action="store_true")
    p = sub.add_parser("report")
    p.add_argument("file")
    p.add_argument("--mark", type=float, default=None)
    p.add_argument("--from", dest="t_from", type=float, default=None)
    p.add_argument("--to", dest="t_to", type=float, default=None)
    p.add_argument("--after", type=float, default=None)
    p.add_argument("--quiet-from", type=float, default=None)
    p.add_argument("--quiet-to", type=float, default=None)
    p.add_argument("--tail", type=float, default=0)
    p.add_argument("--split", type=float, default=None)
    a = ap.parse_args()
    if a.cmd == "run":
        if a.sport and (a.servers or a.n != 1):
            ap.error("--sport needs -n 1 (one connection per source port)")
        Traffic(a).run()
    elif a.cmd == "once":
        once(a)
    else:
        report(a)


if __name__ == "__main__":
    main()
