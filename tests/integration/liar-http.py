#!/usr/bin/env python3
# liar-http.py MODE PORT FILE: an HTTP server on 127.0.0.1:PORT that serves
# FILE (as any path) with Range support and ETag "v1", and lies about every
# range that reaches past the first MiB, for case 66 to check that buse-http
# never passes a lie on as data, never hangs, and says what went wrong.
# The one-byte probe and the partition scan stay below 1 MiB, so the device
# comes up normally.  MODE says how it lies past 1 MiB:
#   short    sends the headers of the whole range, half of the body, then
#            closes the connection (a server dying mid-read), every time
#   flaky    does as short on the first request for each range only; the
#            retry gets the right bytes
#   shifted  sends the bytes of the range 4 KiB further, with a
#            Content-Range that says so
#   etag     sends the right bytes with another ETag (the file changed)
#   unlabelled sends the right bytes in a 206 without Content-Range
#   busy     answers 503 to the first two requests for each range, then
#            the right bytes
#   redirect lies nowhere, but answers every path other than /final with
#            a 302 to /final
# Requests are logged to stdout, one line each: "MODE PATH START-END what".
import http.server
import os
import re
import socket
import sys
import threading

LIE_FROM = 1 << 20

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = os.path.getsize(path)
seen = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, a, b, what):
        print(f"{mode} {self.path} {a}-{b} {what}", flush=True)

    def empty(self, status, *headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def body(self, a, n):
        with open(path, "rb") as f:
            f.seek(a)
            return f.read(n)

    def do_GET(self):
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if not m:
            self.empty(416)
            return
        a, b = int(m.group(1)), min(int(m.group(2)), size - 1)
        n = b - a + 1
        if mode == "redirect" and self.path != "/final":
            self.note(a, b, "redirected")
            self.empty(302, ("Location", "/final"))
            return
        lie = b >= LIE_FROM and mode != "redirect"
        if lie and mode in ("flaky", "busy"):
            with lock:
                tries = seen.get((a, b), 0)
                seen[(a, b)] = tries + 1
            lie = tries < (1 if mode == "flaky" else 2)
        if lie and mode == "busy":
            self.note(a, b, "503")
            self.empty(503)
            return
        etag = '"v2"' if lie and mode == "etag" else '"v1"'
        src = a + 4096 if lie and mode == "shifted" else a
        data = self.body(src, n)
        self.send_response(206)
        if not (lie and mode == "unlabelled"):
            self.send_header("Content-Range",
                             f"bytes {src}-{src + n - 1}/{size}")
        self.send_header("Content-Length", str(n))
        self.send_header("ETag", etag)
        self.end_headers()
        if lie and mode in ("short", "flaky"):
            self.note(a, b, "half, then closed")
            self.wfile.write(data[: n // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.note(a, b, "lied" if lie else "ok")
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", port), Handler).serve_forever()
