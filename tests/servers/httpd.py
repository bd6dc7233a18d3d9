#!/usr/bin/env python3
"""httpd.py - a real HTTP server on 127.0.0.1 for esc's tests, with faults on demand.

    httpd.py DIR

Listens on a free port of 127.0.0.1 and keeps everything in DIR:

  DIR/port            the port number, written (atomically) once it listens
  DIR/requests.jsonl  one JSON object per request received, in order:
                        {"n": 1, "method": "POST", "path": "/hook?key=x",
                         "headers": {"content-type": "application/json", ...},
                         "body": "..."}
                      header names are lower-case; the body is decoded as
                      UTF-8 (bad bytes replaced); the line is written before
                      the reply, so a request that is made to hang is logged too
  DIR/plan.jsonl      the planned replies, one JSON object per line, read at
                      every request; the first rule that matches is used:
                        "path"          "/v1/chat/completions" (the path without
                                        the query), or a prefix ending in "*";
                                        absent: any path
                        "method"        "POST"; absent: any method
                        "times"         use the rule this many times, then drop
                                        it; absent: for ever
                        "status"        the status code, default 200
                        "json"          a JSON value as the body (and its type)
                        "body"          the body as text
                        "content_type"  default application/json
                        "headers"       {"Retry-After": "1"}: more headers
                        "size"          a body of this many bytes of "x"
                        "length"        false: no Content-Length, the body ends
                                        when the connection closes
                        "delay"         seconds to wait before replying
                        "fault"         "hang":   read the request, reply nothing,
                                                  close after "delay" (default 60) s
                                        "reset":  read it, then reset the
                                                  connection (RST)
                                        "close":  read it, then close with no reply
                                        "malformed": reply with bytes that are
                                                  not HTTP
                      The server rewrites the file as it uses up rules with
                      "times". With no rule matching: 200 {"ok":true}.

Examples (tests/servers/lib.sh has helpers):
    echo '{"status":503,"times":2}' >> DIR/plan.jsonl      # 503, 503, then 200
    echo '{"path":"/slack","body":"ok","content_type":"text/plain"}' >> DIR/plan.jsonl
    echo '{"path":"/v1/chat/completions","json":{"choices":[...]}}' >> DIR/plan.jsonl
"""
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = None
LOCK = threading.Lock()
COUNT = [0]


def take_rule(method, path):
    """The first rule matching, its use counted in the plan file."""
    plan = os.path.join(DIR, "plan.jsonl")
    with LOCK:
        try:
            with open(plan, encoding="utf-8") as f:
                lines = [l for l in f.read().splitlines() if l.strip()]
        except FileNotFoundError:
            return {}
        rules = [json.loads(l) for l in lines]
        for i, r in enumerate(rules):
            p = r.get("path")
            if p is not None and not (p == path or (p.endswith("*") and path.startswith(p[:-1]))):
                continue
            if r.get("method") not in (None, method):
                continue
            if "times" in r:
                left = dict(r, times=r["times"] - 1)
                if left["times"] > 0:
                    lines[i] = json.dumps(left)
                else:
                    del lines[i]
                tmp = plan + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write("".join(l + "\n" for l in lines))
                os.replace(tmp, plan)
            return r
    return {}


def log_request(method, path, headers, body):
    with LOCK:
        COUNT[0] += 1
        rec = {"n": COUNT[0], "method": method, "path": path,
               "headers": {k.lower(): v for k, v in headers.items()},
               "body": body.decode("utf-8", "replace")}
        with open(os.path.join(DIR, "requests.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "esc-test-httpd"

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        body = self.read_body()
        log_request(self.command, self.path, self.headers, body)
        r = take_rule(self.command, self.path.split("?", 1)[0])
        fault = r.get("fault")
        if fault == "hang":
            time.sleep(r.get("delay", 60))
            self.close_connection = True
            return
        if r.get("delay"):
            time.sleep(r["delay"])
        if fault == "reset":
            # linger 0: close() sends RST, not FIN; detach so nothing else
            # touches the closed descriptor
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            self.close_connection = True
            return
        if fault == "close":
            self.close_connection = True
            return
        if fault == "malformed":
            self.wfile.write(b"this is not HTTP at all\r\n\r\n")
            self.close_connection = True
            return
        ctype = r.get("content_type", "application/json")
        if "json" in r:
            out = json.dumps(r["json"]).encode()
        elif "size" in r:
            out = b"x" * int(r["size"])
        elif "body" in r:
            out = r["body"].encode()
        else:
            out = b'{"ok":true}'
        self.send_response(int(r.get("status", 200)))
        self.send_header("Content-Type", ctype)
        for k, v in r.get("headers", {}).items():
            self.send_header(k, v)
        if r.get("length", True):
            self.send_header("Content-Length", str(len(out)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main():
    global DIR
    if len(sys.argv) != 2:
        sys.exit("usage: httpd.py DIR")
    DIR = sys.argv[1]
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, os.path.join(DIR, "port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
