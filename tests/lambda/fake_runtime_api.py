"""A loopback fake of the AWS Lambda Runtime API (2018-06-01), enough to drive the real `bootstrap`.

It serves what Lambda's own endpoint serves to a custom runtime:
  GET  /2018-06-01/runtime/invocation/next           -> 200 + Lambda-Runtime-* headers + the event
  POST /2018-06-01/runtime/invocation/{id}/response  -> 202 (413 past 6 MB, as Lambda does)
  POST /2018-06-01/runtime/invocation/{id}/error     -> 202
  POST /2018-06-01/runtime/init/error                -> 202
`next` blocks until the test queues an invocation (Lambda freezes the process meanwhile); a queued
Answer500 makes `next` answer 500, which must make the runtime exit. Everything the runtime posts is
recorded with its arrival time, so tests can wait for it and benchmarks can time it.

    api = FakeRuntimeAPI(); api.start()              # api.endpoint == "127.0.0.1:<port>"
    api.push(Invocation(body=json.dumps(ev).encode()))
    result = api.wait_result(inv.request_id, timeout=30)   # Result(kind="response"|"error", ...)
"""
import http.server
import itertools
import json
import threading
import time
import uuid

API = "/2018-06-01/runtime"
MAX_RESPONSE = 6 * 1024 * 1024  # Lambda's synchronous response limit


class Invocation:
    _seq = itertools.count(1)

    def __init__(self, body, request_id=None, trace_id="default", deadline_ms=None, delay_s=0.0,
                 extra_headers=None, answer_status=None):
        """body: bytes; trace_id "default" makes one up, None sends no trace header; deadline_ms: epoch ms
        (default: 60 s from when `next` answers); delay_s: `next` answers only after this long (a frozen
        environment); answer_status: force the status of the POST that ends this invocation (e.g. 500)."""
        self.body = body if isinstance(body, bytes) else body.encode()
        self.request_id = request_id or "req-%d-%s" % (next(Invocation._seq), uuid.uuid4().hex[:8])
        if trace_id == "default":
            trace_id = "Root=1-%08x-%s;Parent=%s;Sampled=0" % (int(time.time()), uuid.uuid4().hex[:24],
                                                               uuid.uuid4().hex[:16])
        self.trace_id = trace_id
        self.deadline_ms = deadline_ms
        self.delay_s = delay_s
        self.extra_headers = extra_headers or {}
        self.answer_status = answer_status
        self.t_sent = None  # when `next` handed it out (time.monotonic())


class Answer500:
    """Queued instead of an invocation: `next` answers 500 (the runtime must exit)."""


class Result:
    def __init__(self, kind, request_id, body, headers, t):
        self.kind = kind  # "response" | "error" | "init-error"
        self.request_id = request_id
        self.body = body
        self.headers = headers  # lower-case names
        self.t = t  # time.monotonic() of arrival

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "Result(%s, %s, %r)" % (self.kind, self.request_id, self.body[:300])


class FakeRuntimeAPI:
    def __init__(self):
        self.queue = []
        self.results = {}  # request id -> [Result]
        self.init_errors = []
        self.next_times = []  # time.monotonic() of every `next` request's arrival
        self.connections = 0
        self.bad_requests = []  # anything the runtime sent that Lambda would not accept
        self.cv = threading.Condition()
        self.stopping = False
        self.server = None

    # ------------------------------------------------------------------ control (test side)
    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with fake.cv:
                    fake.connections += 1

            def log_message(self, *a):
                pass

            def do_GET(self):
                fake._get(self)

            def do_POST(self):
                fake._post(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def endpoint(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def push(self, inv):
        with self.cv:
            self.queue.append(inv)
            self.cv.notify_all()
        return inv

    def wait_result(self, request_id, timeout=60.0, proc=None):
        """The first result posted for request_id, or None after timeout (or once proc has exited)."""
        end = time.monotonic() + timeout
        with self.cv:
            while not self.results.get(request_id):
                left = end - time.monotonic()
                if left <= 0 or (proc is not None and proc.poll() is not None):
                    return None
                self.cv.wait(min(left, 0.2))
            return self.results[request_id][0]

    def wait_init_error(self, timeout=30.0, proc=None):
        end = time.monotonic() + timeout
        with self.cv:
            while not self.init_errors:
                left = end - time.monotonic()
                if left <= 0 or (proc is not None and proc.poll() is not None and not self.init_errors):
                    return None
                self.cv.wait(min(left, 0.2))
            return self.init_errors[0]

    def wait_next_count(self, n, timeout=30.0):
        """Wait until `next` has been asked for n times (the runtime is ready for the n-th invocation)."""
        end = time.monotonic() + timeout
        with self.cv:
            while len(self.next_times) < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(min(left, 0.2))
            return True

    def stop(self):
        with self.cv:
            self.stopping = True
            self.cv.notify_all()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------------ the API (runtime side)
    def _reply(self, h, status, body=b"", headers=None):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _get(self, h):
        if h.path != API + "/invocation/next":
            self.bad_requests.append(("GET", h.path))
            return self._reply(h, 404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')
        with self.cv:
            self.next_times.append(time.monotonic())
            self.cv.notify_all()
            while not self.queue and not self.stopping:
                self.cv.wait(0.2)
            if self.stopping:
                return self._reply(h, 500, b'{"errorMessage":"shutting down","errorType":"Runtime.Stop"}')
            inv = self.queue.pop(0)
        if isinstance(inv, Answer500):
            return self._reply(h, 500, b'{"errorMessage":"internal error","errorType":"ServiceException"}')
        if inv.delay_s:
            time.sleep(inv.delay_s)
        inv.t_sent = time.monotonic()
        headers = {"Lambda-Runtime-Aws-Request-Id": inv.request_id,
                   "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms or int(time.time() * 1000) + 60000),
                   "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:111122223333:function:u2net"}
        if inv.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = inv.trace_id
        headers.update(inv.extra_headers)
        with self.cv:
            self.sent = getattr(self, "sent", {})
            self.sent[inv.request_id] = inv
        self._reply(h, 200, inv.body, headers)

    def _read_body(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(n) if n else b""

    def _post(self, h):
        body = self._read_body(h)
        t = time.monotonic()
        headers = {k.lower(): v for k, v in h.headers.items()}
        if h.path == API + "/init/error":
            with self.cv:
                self.init_errors.append(Result("init-error", None, body, headers, t))
                self.cv.notify_all()
            return self._reply(h, 202, b'{"status":"OK"}')
        prefix = API + "/invocation/"
        parts = h.path[len(prefix):].split("/") if h.path.startswith(prefix) else []
        if len(parts) != 2 or parts[1] not in ("response", "error"):
            self.bad_requests.append(("POST", h.path))
            return self._reply(h, 404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')
        rid = parts[0]
        inv = getattr(self, "sent", {}).get(rid)
        if inv is None:
            self.bad_requests.append(("POST", h.path))
            return self._reply(h, 400, b'{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}')
        kind = parts[1]
        status = 202
        if kind == "response" and len(body) > MAX_RESPONSE:
            status = 413
        if inv.answer_status and not self.results.get(rid):
            status = inv.answer_status
        with self.cv:
            self.results.setdefault(rid, []).append(Result(kind, rid, body, headers, t))
            self.cv.notify_all()
        if status == 202:
            return self._reply(h, 202, b'{"status":"OK"}')
        if status == 413:
            return self._reply(h, 413, b'{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).",'
                                       b'"errorType":"RequestEntityTooLarge"}')
        return self._reply(h, status, b'{"errorMessage":"forced by the test","errorType":"Test.Forced"}')
