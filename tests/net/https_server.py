"""A small HTTPS peer for test_curl_dl: python's http.server behind ssl, on 127.0.0.1 and a free port.

    https_server.py CERT KEY        prints "PORT <n>" once listening, serves until killed

GET /hello -> "hello over tls" (X-Conn: which TCP connection carried it), GET /big -> 2 MiB of bytes
i % 251, GET /slow -> answers after 3 s, PUT|POST /echo -> "<METHOD> <len> <sha256 hex>", any other
path -> 200 with the path as received, HEAD -> headers only.
"""
import hashlib
import http.server
import itertools
import ssl
import sys
import time

CONN_IDS = itertools.count()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection reuse is visible

    def setup(self):
        super().setup()
        self.conn_id = next(CONN_IDS)

    def log_message(self, *args):
        pass

    def send_body(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Conn", str(self.conn_id))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.send_body(b"hello over tls")
        elif self.path == "/big":
            self.send_body(bytes(i % 251 for i in range(2 << 20)))
        elif self.path == "/slow":
            time.sleep(3)
            self.send_body(b"late")
        else:
            self.send_body(self.path.encode())

    do_HEAD = do_GET

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        self.send_body(("%s %d %s" % (self.command, len(data), hashlib.sha256(data).hexdigest())).encode())

    do_POST = do_PUT


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
