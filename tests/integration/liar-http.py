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
# Requests are logged to stdout, one line each: "MODE START-END what".
import http.server
import os
import re
import socket
import sys
import threading

LIE_FROM = 1 << 20

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = os.path.getsize(path)
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, a, b, what):
        print(f"{mode} {a}-{b} {what}", flush=True)

    def body(self, a, n):
        with open(path, "rb") as f:
            f.seek(a)
            return f.read(n)

    def do_GET(self):
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if not m:
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        a, b = int(m.group(1)), min(int(m.group(2)), size - 1)
        n = b - a + 1
        lie = b >= LIE_FROM
        if lie and mode == "flaky":
            with lock:
                lie = (a, b) not in seen
                seen.add((a, b))
        etag = '"v2"' if lie and mode == "etag" else '"v1"'
        src = a + 4096 if lie and mode == "shifted" else a
        data = self.body(src, n)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {src}-{src + n - 1}/{size}")
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
