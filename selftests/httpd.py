#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A real server for lbctl's end-to-end health tests.

    httpd.py --name NAME [--port 80] [--bind 0.0.0.0] [--health FILE]
             [--log FILE]

HTTP/1.1 with keep-alive (every response has a Content-Length), one thread
per connection:

  GET /        200, body "NAME\\n" (so a client learns which server answered)
  GET /health  the status code read from FILE (its first word; 200 when the
               file is missing, empty or unreadable), body "NAME health CODE\\n"
  anything else: 404

Every request is appended to the log (--log, else stderr) as one line:
    LOCAL_ADDR:PORT CLIENT_ADDR METHOD PATH STATUS
so a test can see which address a health check connected to. The file is
re-read on every /health request: `echo 500 >FILE` flips the check at once.
Stop it with SIGTERM (or SIGKILL): every connection it holds closes with it.
"""
import argparse
import http.server
import signal
import socketserver
import sys
import threading


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_handler(a, log, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lbctl-test-httpd"
        sys_version = ""

        def health_code(self):
            try:
                with open(a.health) as f:
                    word = f.read().split()
                return int(word[0]) if word else 200
            except (OSError, ValueError, TypeError):
                return 200

        def reply(self, code, body):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
            local = self.connection.getsockname()
            with lock:
                log.write("%s:%d %s %s %s %d\n" % (local[0], local[1],
                          self.client_address[0], self.command,
                          self.path, code))
                log.flush()

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/":
                self.reply(200, a.name + "\n")
            elif path == "/health":
                code = self.health_code()
                self.reply(code, "%s health %d\n" % (a.name, code))
            else:
                self.reply(404, "not found\n")

        do_HEAD = do_GET

        def log_message(self, fmt, *args):
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--health", default=None)
    ap.add_argument("--log", default=None)
    a = ap.parse_args()

    log = open(a.log, "a") if a.log else sys.stderr
    srv = Server((a.bind, a.port), make_handler(a, log, threading.Lock()))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
