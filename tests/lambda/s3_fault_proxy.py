"""A fault-injecting HTTP proxy in front of a real S3 peer (s3rver), for the Lambda end-to-end tests.

Requests are forwarded byte for byte (same Host header, so the peer still verifies our SigV4), unless a
rule names the request: rules map (method, "/bucket/decoded key") to a list of actions used one per
request, then "pass" for good:
  "pass"      forward to the peer
  "503"       answer 503 SlowDown (S3's XML error), never reaching the peer
  "403"       answer 403 AccessDenied
  "truncate"  forward, then send the peer's headers but only half of its body, and close
  "reset"     close the connection with a TCP reset before answering
Every request is recorded (method, decoded path, query, headers) so tests can count attempts and read
the X-Amzn-Trace-Id the runtime sent.
"""
import http.client
import http.server
import socket
import struct
import threading
import urllib.parse

ERRORS = {
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
}
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class S3FaultProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.rules = {}
        self.log = []  # (method, path, query, headers{lower: value})
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                proxy._handle(self)

            do_PUT = do_HEAD = do_POST = do_DELETE = do_GET

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # resets and cut bodies are on purpose

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def rule(self, method, bucket, key, actions):
        with self.lock:
            self.rules[(method, "/%s/%s" % (bucket, key))] = list(actions)

    def requests(self, method=None, bucket=None, key=None):
        path = "/%s/%s" % (bucket, key) if bucket is not None else None
        with self.lock:
            return [r for r in self.log if (method is None or r[0] == method) and (path is None or r[1] == path)]

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------------ one request
    def _handle(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        raw_path, _, query = h.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self.lock:
            self.log.append((h.command, path, query, headers))
            queue = self.rules.get((h.command, path))
            action = queue.pop(0) if queue else "pass"
        if action in ERRORS:
            status, code, msg = ERRORS[action]
            xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
                   '<RequestId>FAULT</RequestId></Error>' % (code, msg)).encode()
            h.send_response(status)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(len(xml)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(xml)
            return
        if action == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return
        # forward, same bytes and same Host (the peer verifies the signature over it)
        up = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        up.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.headers.items():
            if k.lower() not in HOP:
                up.putheader(k, v)
        up.putheader("Content-Length", str(len(body)))
        up.endheaders(body)
        r = up.getresponse()
        data = r.read()
        up.close()
        h.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        if action == "truncate":
            h.send_header("Connection", "close")
        h.end_headers()
        if h.command == "HEAD":
            return
        if action == "truncate":
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(data)
