"""Shared pieces of the Lambda end-to-end tests and the cold-start benchmark: the real `bootstrap` as a
child process, s3rver, a plain S3 client for setting up and checking objects, event builders that
encode keys the way S3 does, synthetic photos, and the ok/FAIL/skip line protocol of tests/run.sh.
"""
import base64
import io
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

ROOT = os.environ.get("U2NET_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
SHARED = os.environ.get("U2NET_SHARED") or os.path.join(ROOT, "..", "shared")
DEPS = os.environ.get("U2NET_DEPS") or os.path.join(ROOT, ".deps")
TMP = os.environ.get("U2NET_TMP") or os.path.join(BUILD, "tmp")
SANITIZED = bool(os.environ.get("U2NET_SANITIZED"))


# ---------------------------------------------------------------------- the line protocol
class Report:
    def __init__(self, prefix):
        self.prefix = prefix
        self.failed = 0

    def ok(self, name):
        print("ok %s_%s" % (self.prefix, name), flush=True)

    def fail(self, name, why):
        self.failed += 1
        print("FAIL %s_%s: %s" % (self.prefix, name, str(why).replace("\n", " | ")[:1500]), flush=True)

    def skip(self, name, why):
        print("skip %s_%s: %s" % (self.prefix, name, why), flush=True)

    def check(self, name, cond, why=""):
        if cond:
            self.ok(name)
        else:
            self.fail(name, why)
        return bool(cond)


# ---------------------------------------------------------------------- models
def convert_model(onnx, out, size=None):
    """u2net-weights convert, once (kept when the output is newer than the converter)."""
    tool = os.path.join(BUILD, "u2net-weights")
    if os.path.exists(out) and os.path.getmtime(out) > os.path.getmtime(tool):
        return out
    cmd = [tool, "convert", onnx, "-o", out] + (["--size", size] if size else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return out


# ---------------------------------------------------------------------- s3rver
class S3rver:
    """@20minutes/s3rver on loopback (it verifies SigV4); credentials S3RVER / S3RVER."""

    def __init__(self, data_dir, buckets):
        self.data_dir = data_dir
        self.buckets = buckets
        self.proc = None
        self.port = None

    @staticmethod
    def available():
        if not os.path.exists(os.path.join(DEPS, "node_modules", "@20minutes", "s3rver", "package.json")):
            return "s3rver not installed in %s (make deps)" % DEPS
        if subprocess.run(["sh", "-c", "command -v node"], stdout=subprocess.DEVNULL).returncode != 0:
            return "node not installed"
        return None

    def start(self):
        subprocess.run(["rm", "-rf", self.data_dir])
        os.makedirs(self.data_dir, exist_ok=True)
        env = dict(os.environ, U2NET_DEPS=DEPS)
        self.log = open(self.data_dir + ".log", "wb")
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tests", "net", "s3rver.js"), self.data_dir]
                                     + self.buckets, stdout=subprocess.PIPE, stderr=self.log, env=env)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("s3rver did not start: %r" % line)
        self.port = int(line.split()[1])
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


class PlainS3:
    """Anonymous path-style requests (s3rver accepts them): the tests' own way in and out of the bucket,
    independent of the client under test."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def _u(self, bucket, key=""):
        return "%s/%s/%s" % (self.url, bucket, urllib.parse.quote(key, safe="/~"))

    def put(self, bucket, key, data, content_type="application/octet-stream"):
        rq = urllib.request.Request(self._u(bucket, key), data=data, method="PUT",
                                    headers={"Content-Type": content_type})
        urllib.request.urlopen(rq, timeout=30).read()

    def get(self, bucket, key):
        """(bytes, content type), or (None, None) when missing."""
        try:
            with urllib.request.urlopen(self._u(bucket, key), timeout=30) as r:
                return r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None, None
            raise

    def list(self, bucket, prefix=""):
        url = "%s/%s?prefix=%s" % (self.url, bucket, urllib.parse.quote(prefix, safe=""))
        with urllib.request.urlopen(url, timeout=30) as r:
            root = ET.fromstring(r.read())
        ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
        return sorted(c.find(ns + "Key").text for c in root.findall(ns + "Contents"))


# ---------------------------------------------------------------------- the bootstrap process
class Bootstrap:
    """build/bootstrap with the given environment. Its stdout (the JSON log lines) and stderr go to files:
    a line written before the runtime posts an answer is in the file when the answer arrives."""

    _seq = 0

    def __init__(self, env, exe=None, cwd=None):
        self.exe = exe or os.path.join(BUILD, "bootstrap")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_X_AMZN", "U2NET_THREADS"))}
        base.pop("CA_BUNDLE", None)
        base.pop("SSL_CERT_FILE", None)
        self.env = dict(base, **env)
        self.cwd = cwd
        self.proc = None
        self.t_exec = None
        Bootstrap._seq += 1
        os.makedirs(TMP, exist_ok=True)
        self.out_path = os.path.join(TMP, "bootstrap-%d-%d.out" % (os.getpid(), Bootstrap._seq))
        self.err_path = self.out_path[:-4] + ".err"

    def start(self):
        self.t_exec = time.monotonic()
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([self.exe], env=self.env, cwd=self.cwd, stdout=out, stderr=err)
        return self

    @property
    def lines(self):
        with open(self.out_path, "rb") as f:
            return [l.decode("utf-8", "replace") for l in f.read().splitlines()]

    @property
    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read()

    def wait(self, timeout=30):
        """The exit status, or None if it is still running after timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for p in (self.out_path, self.err_path):
            if os.path.exists(p) and not os.environ.get("U2NET_KEEP_LOGS"):
                os.remove(p)

    def logs(self):
        """Parsed log lines; a line that is not a JSON object is returned as {"unparsable": text}."""
        out = []
        for t in self.lines:
            try:
                v = json.loads(t)
                out.append(v if isinstance(v, dict) else {"unparsable": t})
            except ValueError:
                out.append({"unparsable": t})
        return out

    def wait_log(self, pred, timeout=10):
        """The parsed log lines once one satisfies pred (or after timeout)."""
        end = time.monotonic() + timeout
        while True:
            logs = self.logs()
            if any(pred(l) for l in logs) or time.monotonic() > end:
                return logs
            time.sleep(0.02)

    def sanitizer_report(self):
        e = self.stderr.decode("utf-8", "replace")
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in e:
                return e[e.index(marker):][:1500]
        return None


# ---------------------------------------------------------------------- events (as AWS sends them)
def form_key(key):
    """S3 notifications carry keys form-encoded: '+' for a space, %XX for the rest (UTF-8)."""
    return urllib.parse.quote_plus(key, safe="/")


def s3_record(bucket, key, event_name="ObjectCreated:Put", size=None, version_id=None):
    obj = {"key": form_key(key), "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0055AED6DCD90281E5"}
    if size is not None:
        obj["size"] = size
    if version_id:
        obj["versionId"] = version_id
    return {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-29T14:02:28.123Z", "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "u2net-uploads",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                              "arn": "arn:aws:s3:::" + bucket},
                   "object": obj}}


def s3_event(records):
    return {"Records": records}


def s3_test_event(bucket):
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-29T14:02:28.123Z",
            "Bucket": bucket, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}


def sqs_event(messages):
    """messages: [(message id, body string)]"""
    return {"Records": [{"messageId": mid, "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + mid[:8],
                         "body": body, "attributes": {"ApproximateReceiveCount": "1",
                                                      "SentTimestamp": "1545082649183",
                                                      "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                                      "ApproximateFirstReceiveTimestamp": "1545082649185"},
                         "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:u2net-jobs",
                         "awsRegion": "us-east-1"} for mid, body in messages]}


def eventbridge_event(bucket, key, detail_type="Object Created"):
    return {"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": detail_type,
            "source": "aws.s3", "account": "111122223333", "time": "2026-11-29T14:02:28Z", "region": "us-east-1",
            "resources": ["arn:aws:s3:::" + bucket],
            "detail": {"version": "0", "bucket": {"name": bucket},
                       "object": {"key": form_key(key), "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184",
                                  "sequencer": "617f08299329d189"},
                       "request-id": "N4N7GDK58NMKJ12R", "requester": "111122223333",
                       "source-ip-address": "127.0.0.1", "reason": "PutObject"}}


def batch_event(version, bucket, tasks):
    """tasks: [(task id, key)]; keys URL-encoded as in a CSV manifest."""
    ts = []
    for tid, key in tasks:
        t = {"taskId": tid, "s3Key": urllib.parse.quote(key, safe="/"), "s3VersionId": None}
        if version == "1.0":
            t["s3BucketArn"] = "arn:aws:s3:::" + bucket
        else:
            t["s3Bucket"] = bucket
        ts.append(t)
    job = {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"}
    if version == "2.0":
        job["userArguments"] = {"k1": "v1"}
    return {"invocationSchemaVersion": version, "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
            "job": job, "tasks": ts}


def direct_event(image, **opts):
    return dict({"image": base64.b64encode(image).decode()}, **opts)


def function_url_event(body, content_type, query=None, method="POST"):
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/",
            "rawQueryString": urllib.parse.urlencode(query or {}), "queryStringParameters": query or None,
            "headers": {"content-type": content_type, "host": "abc.lambda-url.us-east-1.on.aws"},
            "requestContext": {"accountId": "anonymous", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
                               "http": {"method": method, "path": "/", "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
                               "requestId": "id", "routeKey": "$default", "stage": "$default",
                               "time": "29/Nov/2026:14:02:28 +0000", "timeEpoch": 1795960948000},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True}


# ---------------------------------------------------------------------- photos
def make_photo(w, h, seed, fmt="JPEG", exif_orientation=None, noise=False, mode="RGB"):
    """A synthetic photo: a gradient with a few shapes (or pure noise). Returns the encoded bytes."""
    from PIL import Image, ImageDraw
    import random
    rnd = random.Random(seed)
    if noise:
        img = Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3))
    else:
        img = Image.new("RGB", (w, h))
        px = img.load()
        a, b, c = rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)
        for y in range(h):
            for x in range(w):
                px[x, y] = ((a + x * 255 // w) % 256, (b + y * 255 // h) % 256, c)
        d = ImageDraw.Draw(img)
        for _ in range(3):
            x0, y0 = rnd.randrange(w // 2), rnd.randrange(h // 2)
            d.ellipse([x0, y0, x0 + w // 3, y0 + h // 3], fill=tuple(rnd.randrange(256) for _ in range(3)))
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    kw = {}
    if exif_orientation:
        ex = Image.Exif()
        ex[0x0112] = exif_orientation
        kw["exif"] = ex.tobytes()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=90, **kw)
    else:
        img.save(buf, "PNG", **kw)
    return buf.getvalue()


def png_info(data):
    """(mode, (w, h), pixels as bytes) of a PNG, read by Pillow; None if it does not decode."""
    from PIL import Image
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
        if im.format != "PNG":
            return None
        return im.mode, im.size, im.tobytes()
    except Exception:
        return None


def alpha_of(data):
    from PIL import Image
    im = Image.open(io.BytesIO(data))
    return im.getchannel("A").tobytes() if im.mode == "RGBA" else None


def have_pillow():
    try:
        import PIL  # noqa: F401
        return True
    except ImportError:
        return False


def log_lines_for(boot, request_id):
    return [l for l in boot.logs() if l.get("requestId") == request_id]


def eprint(*a):
    print(*a, file=sys.stderr, flush=True)
