"""End-to-end tests of the real `bootstrap` process: a fake Lambda Runtime API (fake_runtime_api.py)
drives it, a real SigV4-verifying S3 peer (s3rver) holds the photos, a fault-injecting proxy
(s3_fault_proxy.py) sits in between. Prints ok/FAIL/skip lines (tests/run.sh).

  init errors     bad config, recursion guard, missing/corrupt model, no libcurl, no CA bundle, no
                  credentials, no AWS_LAMBDA_RUNTIME_API; a good init over https with the default MODEL
  every event     S3 notifications (keys with spaces, '+', unicode, nested prefixes), idempotent rerun,
                  s3:TestEvent, the run-time recursion guard, SQS with good and bad messages
                  (batchItemFailures), SNS inside SQS, EventBridge, Batch Operations 1.0 and 2.0, direct
                  invoke and function URL (base64 in, PNG out), unknown and non-JSON payloads
  outputs         every cutout exists, is image/png, decodes (Pillow), and equals `u2net remove` on the
                  same file with the same model (pixels; its alpha equals `u2net remove --mask`);
                  sources untouched; a rerun writes the same bytes
  faults          S3 503 then 200 (retried), 403 (not retried), a truncated body, a connection reset,
                  a non-image object, an image over MAX_PIXELS: the invocation reports the error, the
                  other records still succeed, nothing is written for the bad ones
  Runtime API     trace id per invocation (sent to S3 as X-Amzn-Trace-Id, absent when Lambda sends
                  none), a frozen `next` answering after 3 s, the deadline guard, a 413 on /response,
                  a 413 for a direct answer over 6 MB, one kept-alive connection, 500 -> exit
  reference       (normal builds) the full 320x320 U²-NetP through S3 against rembg's mask made with
                  ONNX Runtime + Pillow (../shared/fixtures/rembg), mean <= 0.5 and max <= 4 levels
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_runtime_api import Answer500, FakeRuntimeAPI, Invocation  # noqa: E402
from rig import (BUILD, ROOT, SANITIZED, SHARED, TMP, Bootstrap, PlainS3, Report, S3rver, alpha_of,  # noqa: E402
                 batch_event, convert_model, direct_event, eventbridge_event, function_url_event, have_pillow,
                 log_lines_for, make_photo, png_info, s3_event, s3_record, s3_test_event, sqs_event)
from s3_fault_proxy import S3FaultProxy  # noqa: E402

R = Report("lambda")
BUCKET = "photos"
T = os.path.join(TMP, "lambda")
WAIT = 300 if SANITIZED else 90  # seconds an invocation may take before we call it lost
CLI = os.path.join(BUILD, "u2net")


def base_env(api, model, endpoint=None):
    env = {"AWS_LAMBDA_RUNTIME_API": api.endpoint, "MODEL": model, "INPUT_PREFIX": "uploads/",
           "OUTPUT_PREFIX": "cutouts/", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "S3RVER",
           "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEJr//token+with/chars="}
    if endpoint:
        env["AWS_ENDPOINT_URL_S3"] = endpoint
    return env


def no_sanitizer_report(name, boot):
    rep = boot.sanitizer_report()
    R.check(name + "_sanitizers_clean", rep is None, rep)


# ====================================================================== init
def init_error_case(name, model, env_changes, want_type, want_text, drop=()):
    api = FakeRuntimeAPI().start()
    env = base_env(api, model, "http://127.0.0.1:9")
    env.update(env_changes)
    for k in drop:
        env.pop(k, None)
    boot = Bootstrap(env).start()
    try:
        ie = api.wait_init_error(WAIT, boot.proc)
        rc = boot.wait(WAIT)
        if ie is None:
            return R.fail("init_" + name, "no /runtime/init/error (exit %s): %s %s" % (rc, boot.lines[-3:], boot.stderr[-500:]))
        body = ie.json()
        R.check("init_" + name, body.get("errorType") == want_type and want_text in body.get("errorMessage", "") and
                ie.headers.get("lambda-runtime-function-error-type") == want_type and body.get("stackTrace") == [],
                "got %r, header %r; want %s with %r" % (body, ie.headers.get("lambda-runtime-function-error-type"),
                                                       want_type, want_text))
        R.check("init_%s_exits" % name, rc == 1 and not api.next_times,
                "exit %r, %d next requests after an init error" % (rc, len(api.next_times)))
        errs = [l for l in boot.logs() if l.get("level") == "ERROR" and l.get("errorType") == want_type]
        R.check("init_%s_logged" % name, len(errs) == 1, boot.lines)
        no_sanitizer_report("init_" + name, boot)
    finally:
        boot.kill()
        api.stop()


def test_init(model):
    init_error_case("bad_config", model, {"OUTPUT_MODE": "cut"}, "U2net.ConfigError",
                    "OUTPUT_MODE='cut': expected 'cutout' or 'mask'")
    init_error_case("recursion_guard", model, {}, "U2net.RecursionGuard", "recursion guard: INPUT_PREFIX is empty",
                    drop=["INPUT_PREFIX"])
    init_error_case("recursion_guard_overlap", model, {"OUTPUT_PREFIX": "uploads/cutouts/"}, "U2net.RecursionGuard",
                    "INPUT_PREFIX='uploads/' and OUTPUT_PREFIX='uploads/cutouts/' overlap")
    init_error_case("missing_model", "/nonexistent/dir/u2netp.u2n", {}, "U2net.ModelError",
                    "MODEL: ")
    init_error_case("missing_model_names_path", "/nonexistent/dir/u2netp.u2n", {}, "U2net.ModelError",
                    "/nonexistent/dir/u2netp.u2n")
    short = os.path.join(T, "truncated.u2n")
    with open(model, "rb") as f, open(short, "wb") as g:
        g.write(f.read(5000))
    init_error_case("truncated_model", short, {}, "U2net.ModelError", "truncated")
    # https (no endpoint override) needs libcurl: without it, init fails and says so
    init_error_case("no_libcurl", model, {"U2NET_LIBCURL": "/nonexistent/libcurl.so.4"}, "U2net.S3ClientError",
                    "HTTPS needs /nonexistent/libcurl.so.4, which could not be loaded", drop=["AWS_ENDPOINT_URL_S3"])
    init_error_case("no_ca_bundle", model, {"CA_BUNDLE": "/nonexistent/ca-bundle.crt"}, "U2net.S3ClientError",
                    "/nonexistent/ca-bundle.crt", drop=["AWS_ENDPOINT_URL_S3"])
    init_error_case("no_credentials", model, {}, "U2net.S3ClientError", "AWS_ACCESS_KEY_ID",
                    drop=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    init_error_case("bad_max_pixels", model, {"MAX_PIXELS": "12M"}, "U2net.ConfigError", "MAX_PIXELS='12M'")

    # outside Lambda: nothing to report to, so a plain message and exit 1
    boot = Bootstrap({"MODEL": model}).start()
    rc = boot.wait(WAIT)
    R.check("init_no_runtime_api", rc == 1 and b"AWS_LAMBDA_RUNTIME_API is not set" in boot.stderr,
            "exit %r, stderr %r" % (rc, boot.stderr[-300:]))
    boot.kill()

    # a good init the way Lambda runs it: MODEL unset -> $LAMBDA_TASK_ROOT/model.u2n, S3 over https
    # (libcurl loaded at init), then the first `next`; a 500 there ends the process
    task = os.path.join(T, "task")
    os.makedirs(task, exist_ok=True)
    shutil.copyfile(model, os.path.join(task, "model.u2n"))
    api = FakeRuntimeAPI().start()
    env = base_env(api, model)
    env.pop("MODEL")
    env["LAMBDA_TASK_ROOT"] = task
    boot = Bootstrap(env).start()
    try:
        ready = api.wait_next_count(1, WAIT)
        done = [l for l in boot.wait_log(lambda l: l.get("message") == "init done") if l.get("message") == "init done"]
        R.check("init_default_model_over_https", ready and len(done) == 1 and
                done[0].get("model") == os.path.join(task, "model.u2n") and done[0].get("threads", 0) >= 1,
                "ready %s, logs %s, stderr %r" % (ready, boot.lines, boot.stderr[-300:]))
        api.push(Answer500())
        rc = boot.wait(WAIT)
        R.check("runtime_api_500_on_next_exits", rc == 1 and any(l.get("errorType") == "Runtime.ExitError"
                                                                 for l in boot.logs()),
                "exit %r, logs %s" % (rc, boot.lines[-2:]))
        no_sanitizer_report("init_default", boot)
    finally:
        boot.kill()
        api.stop()


# ====================================================================== the main session
class Session:
    def __init__(self, model, s3rver, extra_env=None):
        self.model = model
        self.api = FakeRuntimeAPI().start()
        self.proxy = S3FaultProxy(s3rver.port).start()
        self.s3 = PlainS3("http://127.0.0.1:%d" % s3rver.port)
        env = base_env(self.api, model, self.proxy.url)
        env["MAX_PIXELS"] = "2000000"
        env.update(extra_env or {})
        self.boot = Bootstrap(env).start()
        self.uploaded = {}  # key -> bytes

    def put(self, key, data, ctype="image/jpeg"):
        self.s3.put(BUCKET, key, data, ctype)
        self.uploaded[key] = data

    def invoke(self, event, **kw):
        body = event if isinstance(event, (bytes, str)) else json.dumps(event)
        inv = self.api.push(Invocation(body, **kw))
        r = self.api.wait_result(inv.request_id, WAIT, self.boot.proc)
        return inv, r

    def close(self):
        self.boot.kill()
        self.proxy.stop()
        self.api.stop()


def cli_remove(model, data, *flags):
    """`u2net remove` on the same bytes with the same model: the reference the Lambda output must equal."""
    src = os.path.join(T, "cli-in.bin")
    out = os.path.join(T, "cli-out.png")
    with open(src, "wb") as f:
        f.write(data)
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([CLI, "remove", "-m", model] + list(flags) + [src, out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("u2net remove %s: %s" % (" ".join(flags), p.stderr.decode()[-300:]))
    with open(out, "rb") as f:
        return f.read()


def check_cutout(name, ses, key, out_key, size):
    """The cutout exists, is image/png, decodes to RGBA of the photo's (oriented) size, equals `u2net
    remove` on the same file, and its alpha equals `u2net remove --mask`."""
    data, ctype = ses.s3.get(BUCKET, out_key)
    if data is None:
        return R.fail(name, "no s3://%s/%s" % (BUCKET, out_key))
    info = png_info(data)
    if not R.check(name + "_decodes", info and info[0] == "RGBA" and info[1] == size and ctype == "image/png",
                   "mode/size %s, content type %s, want RGBA %s" % (info and info[:2], ctype, size)):
        return
    ref = png_info(cli_remove(ses.model, ses.uploaded[key]))
    mask = png_info(cli_remove(ses.model, ses.uploaded[key], "--mask"))
    R.check(name + "_equals_cli", ref == info, "pixels differ from `u2net remove`")
    R.check(name + "_mask_equals_cli", mask and mask[0] == "L" and alpha_of(data) == mask[2],
            "alpha differs from `u2net remove --mask`")
    return data


PHOTOS = [  # key, (w, h) as uploaded, maker args, size after EXIF orientation, content type
    ("uploads/a photo.jpg", dict(w=200, h=150, seed=1), (200, 150), "image/jpeg"),
    ("uploads/c++ team/a+b=c&d.PNG", dict(w=180, h=120, seed=2, fmt="PNG"), (180, 120), "image/png"),
    ("uploads/café/写真 1.jpeg", dict(w=160, h=120, seed=3, exif_orientation=6), (120, 160), "image/jpeg"),
    ("uploads/nested/deeper/still/x.y.z.jpg", dict(w=150, h=100, seed=4, mode="L"), (150, 100), "image/jpeg"),
]
OUT_KEYS = ["cutouts/a photo.png", "cutouts/c++ team/a+b=c&d.png", "cutouts/café/写真 1.png",
            "cutouts/nested/deeper/still/x.y.z.png"]


def test_s3_notifications(ses):
    for key, mk, _, ctype in PHOTOS:
        ses.put(key, make_photo(**mk), ctype)
    event = s3_event([s3_record(BUCKET, k, size=len(ses.uploaded[k])) for k, _, _, _ in PHOTOS])
    inv, r = ses.invoke(event)
    R.check("s3_event_response", r and r.kind == "response" and r.json() == {"processed": 4, "skipped": 0, "failed": 0},
            r)
    first = {}
    for (key, _, size, _), out_key in zip(PHOTOS, OUT_KEYS):
        first[out_key] = check_cutout("s3_" + out_key.split("/")[-1].replace(" ", "_"), ses, key, out_key, size)
    sources_ok = all(ses.s3.get(BUCKET, k)[0] == ses.uploaded[k] for k, _, _, _ in PHOTOS)
    R.check("s3_sources_untouched", sources_ok, "a source object changed")
    logs = [l for l in log_lines_for(ses.boot, inv.request_id) if l.get("message") == "cutout written"]
    R.check("s3_one_log_line_per_image", len(logs) == 4 and all(
        l.get("event") == "s3" and l.get("bucket") == BUCKET and l.get("outputKey") in OUT_KEYS and
        isinstance(l.get("ms"), dict) and l["ms"].get("total", 0) > 0 and l["ms"].get("infer", 0) > 0 and
        l.get("inputBytes") == len(ses.uploaded[l["key"]]) and l.get("width") and l.get("outputBytes")
        for l in logs), logs)

    # S3 retries async invocations: the same event again writes the same bytes, nothing more
    listing = ses.s3.list(BUCKET)
    inv, r = ses.invoke(event)
    R.check("s3_rerun_response", r and r.kind == "response" and r.json()["processed"] == 4, r)
    same = all(ses.s3.get(BUCKET, k)[0] == first[k] for k in OUT_KEYS)
    R.check("s3_rerun_idempotent", same and ses.s3.list(BUCKET) == listing, "outputs or listing changed")

    # the test event S3 sends when a notification is configured, and records that are not ours
    inv, r = ses.invoke(s3_test_event(BUCKET))
    R.check("s3_test_event", r and r.kind == "response" and r.json() == {"processed": 0, "skipped": 1, "failed": 0}, r)
    inv, r = ses.invoke(s3_event([s3_record(BUCKET, "cutouts/a photo.png"), s3_record(BUCKET, "elsewhere/x.jpg"),
                                  s3_record(BUCKET, "uploads/a photo.jpg", event_name="ObjectRemoved:Delete")]))
    skips = [l.get("reason", "") for l in log_lines_for(ses.boot, inv.request_id) if l.get("message") == "skipped"]
    R.check("s3_recursion_guard_at_run_time", r and r.kind == "response" and
            r.json() == {"processed": 0, "skipped": 3, "failed": 0} and ses.s3.list(BUCKET) == listing and
            any("recursion guard" in s for s in skips), "%s %s" % (r, skips))


def test_sqs(ses):
    ses.put("uploads/sqs/one.jpg", make_photo(120, 90, 11))
    ses.put("uploads/sqs/two.png", make_photo(100, 80, 12, fmt="PNG"), "image/png")
    ses.put("uploads/sqs/three.jpg", make_photo(90, 120, 13))
    ses.put("uploads/sqs/not-an-image.jpg", b"this is a text file, not a photo\n" * 20, "text/plain")
    note = lambda k: json.dumps(s3_event([s3_record(BUCKET, k)]))  # noqa: E731
    sns = json.dumps({"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                      "TopicArn": "arn:aws:sns:us-east-1:111122223333:uploads", "Subject": "Amazon S3 Notification",
                      "Message": note("uploads/sqs/three.jpg"), "Timestamp": "2026-11-29T14:02:29.000Z"})
    msgs = [("m1-059f36b4-87a3-44ab-83d2-661975830a7d", note("uploads/sqs/one.jpg")),
            ("m2-2e1424d4-f796-459a-8184-9c92662be6da", "{this is not json"),
            ("m3-6d5b3b0a-2d32-4f1d-9b0e-0e6f1c2a3b4c", note("uploads/sqs/not-an-image.jpg")),
            ("m4-7b4e1f0a-0d4b-4a4e-9f5b-1c2d3e4f5a6b", note("uploads/sqs/two.png")),
            ("m5-c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5", note("uploads/sqs/missing.jpg")),
            ("m6-d4c3b2a1-0000-4000-8000-123456789abc", sns)]
    inv, r = ses.invoke(sqs_event(msgs))
    want = {"batchItemFailures": [{"itemIdentifier": msgs[i][0]} for i in (1, 2, 4)]}
    R.check("sqs_batch_item_failures", r and r.kind == "response" and r.json() == want, "%s, want %s" % (r, want))
    got = ses.s3.list(BUCKET, "cutouts/sqs/")
    R.check("sqs_good_messages_written", got == ["cutouts/sqs/one.png", "cutouts/sqs/three.png", "cutouts/sqs/two.png"],
            got)
    errs = {l.get("key"): l for l in log_lines_for(ses.boot, inv.request_id) if l.get("level") == "ERROR"}
    R.check("sqs_errors_logged", errs.get("uploads/sqs/not-an-image.jpg", {}).get("errorType") == "U2net.PermanentFailure"
            and "404 NoSuchKey" in errs.get("uploads/sqs/missing.jpg", {}).get("message", ""), errs)
    check_cutout("sqs_two", ses, "uploads/sqs/two.png", "cutouts/sqs/two.png", (100, 80))


def test_eventbridge(ses):
    ses.put("uploads/eb/résumé photo.jpg", make_photo(140, 100, 21))
    inv, r = ses.invoke(eventbridge_event(BUCKET, "uploads/eb/résumé photo.jpg"))
    R.check("eventbridge_created", r and r.kind == "response" and r.json() == {"processed": 1, "skipped": 0, "failed": 0},
            r)
    check_cutout("eventbridge", ses, "uploads/eb/résumé photo.jpg", "cutouts/eb/résumé photo.png", (140, 100))
    inv, r = ses.invoke(eventbridge_event(BUCKET, "uploads/eb/gone.jpg", detail_type="Object Deleted"))
    R.check("eventbridge_deleted_skipped", r and r.kind == "response" and
            r.json() == {"processed": 0, "skipped": 1, "failed": 0}, r)


def test_batch(ses):
    ses.put("uploads/batch/one.jpg", make_photo(130, 90, 31))
    inv, r = ses.invoke(batch_event("1.0", BUCKET, [("dGFzazE=", "uploads/batch/one.jpg"),
                                                     ("dGFzazI=", "uploads/batch/missing.jpg")]))
    res = r.json() if r and r.kind == "response" else {}
    R.check("batch_1_0", res.get("invocationSchemaVersion") == "1.0" and
            res.get("treatMissingKeysAs") == "PermanentFailure" and
            [(t["taskId"], t["resultCode"]) for t in res.get("results", [])] ==
            [("dGFzazE=", "Succeeded"), ("dGFzazI=", "PermanentFailure")] and
            res["results"][0]["resultString"] == "s3://photos/cutouts/batch/one.png" and
            "404 NoSuchKey" in res["results"][1]["resultString"], r)
    check_cutout("batch_1_0", ses, "uploads/batch/one.jpg", "cutouts/batch/one.png", (130, 90))

    ses.put("uploads/batch/two words+plus.jpg", make_photo(110, 100, 32))
    ses.put("uploads/batch/slow.jpg", make_photo(100, 100, 33))
    ses.put("uploads/batch/flaky.jpg", make_photo(100, 100, 34))
    ses.proxy.rule("GET", BUCKET, "uploads/batch/slow.jpg", ["503"])
    ses.proxy.rule("GET", BUCKET, "uploads/batch/flaky.jpg", ["reset"] * 10)
    inv, r = ses.invoke(batch_event("2.0", BUCKET, [("t1", "uploads/batch/two words+plus.jpg"),
                                                     ("t2", "uploads/batch/slow.jpg"),
                                                     ("t3", "uploads/batch/flaky.jpg"),
                                                     ("t4", "cutouts/batch/one.png")]))
    res = r.json() if r and r.kind == "response" else {}
    codes = [(t["taskId"], t["resultCode"]) for t in res.get("results", [])]
    R.check("batch_2_0", res.get("invocationSchemaVersion") == "2.0" and
            codes == [("t1", "Succeeded"), ("t2", "Succeeded"), ("t3", "TemporaryFailure"), ("t4", "Succeeded")] and
            res["results"][3]["resultString"].startswith("skipped: ") and
            res["results"][0]["resultString"] == "s3://photos/cutouts/batch/two words+plus.png", r)
    R.check("batch_503_retried", len(ses.proxy.requests("GET", BUCKET, "uploads/batch/slow.jpg")) == 2,
            ses.proxy.requests("GET", BUCKET, "uploads/batch/slow.jpg"))
    R.check("batch_nothing_for_failed_task", ses.s3.get(BUCKET, "cutouts/batch/flaky.png")[0] is None,
            "a cutout was written for a task that failed")


def test_faults(ses):
    good = make_photo(120, 100, 41)
    ses.put("uploads/f/good1.jpg", good)
    ses.put("uploads/f/503.jpg", make_photo(100, 100, 42))
    ses.put("uploads/f/403.jpg", make_photo(100, 100, 43))
    ses.put("uploads/f/truncated.jpg", make_photo(100, 100, 44))
    ses.put("uploads/f/reset.jpg", make_photo(100, 100, 45))
    ses.put("uploads/f/text.jpg", b"<html>not a photo</html>", "text/html")
    ses.put("uploads/f/huge.png", make_photo(2100, 1000, 46, fmt="PNG"), "image/png")
    ses.put("uploads/f/good2.png", make_photo(90, 70, 47, fmt="PNG"), "image/png")
    ses.proxy.rule("GET", BUCKET, "uploads/f/503.jpg", ["503"])
    ses.proxy.rule("GET", BUCKET, "uploads/f/403.jpg", ["403"] * 10)
    ses.proxy.rule("GET", BUCKET, "uploads/f/truncated.jpg", ["truncate"] * 10)
    ses.proxy.rule("GET", BUCKET, "uploads/f/reset.jpg", ["reset"] * 10)
    keys = ["good1.jpg", "503.jpg", "403.jpg", "truncated.jpg", "reset.jpg", "text.jpg", "huge.png", "good2.png"]
    inv, r = ses.invoke(s3_event([s3_record(BUCKET, "uploads/f/" + k) for k in keys]))
    body = r.json() if r and r.kind == "error" else {}
    R.check("faults_invocation_error", body.get("errorType") == "U2net.PermanentFailure" and
            body.get("errorMessage", "").startswith("5 of 8 records failed; first: s3://photos/uploads/f/403.jpg: "
                                                    "S3 GetObject s3://photos/uploads/f/403.jpg: 403 AccessDenied: "
                                                    "Access Denied") and
            r.headers.get("lambda-runtime-function-error-type") == "U2net.PermanentFailure", r)
    got = ses.s3.list(BUCKET, "cutouts/f/")
    R.check("faults_others_succeed_nothing_for_bad", got == ["cutouts/f/503.png", "cutouts/f/good1.png",
                                                             "cutouts/f/good2.png"], got)
    n = {k: len(ses.proxy.requests("GET", BUCKET, "uploads/f/" + k)) for k in keys}
    R.check("faults_503_retried_once", n["503.jpg"] == 2, n)
    R.check("faults_403_not_retried", n["403.jpg"] == 1, n)
    R.check("faults_truncated_and_reset_retried", n["truncated.jpg"] == 4 and n["reset.jpg"] == 4, n)
    errs = {l.get("key", "").split("/")[-1]: l for l in log_lines_for(ses.boot, inv.request_id) if l.get("level") == "ERROR"}
    kinds = {k: errs.get(k, {}).get("errorType") for k in ("403.jpg", "truncated.jpg", "reset.jpg", "text.jpg", "huge.png")}
    R.check("faults_classified", kinds == {"403.jpg": "U2net.PermanentFailure", "truncated.jpg": "U2net.TemporaryFailure",
                                          "reset.jpg": "U2net.TemporaryFailure", "text.jpg": "U2net.PermanentFailure",
                                          "huge.png": "U2net.PermanentFailure"}, kinds)
    R.check("faults_messages", "2100" in errs.get("huge.png", {}).get("message", "") and
            "gave up after 4 attempts" in errs.get("truncated.jpg", {}).get("message", ""),
            {k: v.get("message") for k, v in errs.items()})
    check_cutout("faults_good1", ses, "uploads/f/good1.jpg", "cutouts/f/good1.png", (120, 100))

    # only a temporary failure: the invocation says so, so Lambda's retry is the right call
    inv, r = ses.invoke(s3_event([s3_record(BUCKET, "uploads/f/truncated.jpg")]))
    R.check("faults_temporary_only", r and r.kind == "error" and r.json().get("errorType") == "U2net.TemporaryFailure",
            r)


def test_direct(ses):
    photo = ses.uploaded["uploads/a photo.jpg"]
    s3_out = ses.s3.get(BUCKET, "cutouts/a photo.png")[0]
    inv, r = ses.invoke(direct_event(photo))
    ans = r.json() if r and r.kind == "response" else {}
    png = __import__("base64").b64decode(ans.get("body", "")) if ans.get("isBase64Encoded") else b""
    R.check("direct_cutout", ans.get("statusCode") == 200 and ans.get("headers") == {"content-type": "image/png"} and
            png_info(png) is not None and png_info(png) == png_info(s3_out), "%s" % (str(ans)[:300],))
    logs = [l for l in log_lines_for(ses.boot, inv.request_id) if l.get("message") == "cutout returned"]
    R.check("direct_logged", len(logs) == 1 and logs[0].get("event") == "direct" and logs[0].get("width") == 200, logs)

    inv, r = ses.invoke(direct_event(photo, mask=True))
    ans = r.json() if r and r.kind == "response" else {}
    png = __import__("base64").b64decode(ans.get("body", ""))
    R.check("direct_mask", ans.get("statusCode") == 200 and png_info(png) == png_info(cli_remove(ses.model, photo, "--mask")),
            str(ans)[:300])
    inv, r = ses.invoke(direct_event(photo, bgcolor=[255, 255, 255, 255], post_process=True))
    ans = r.json() if r and r.kind == "response" else {}
    png = __import__("base64").b64decode(ans.get("body", ""))
    R.check("direct_bgcolor_post_process", ans.get("statusCode") == 200 and png_info(png) ==
            png_info(cli_remove(ses.model, photo, "--bgcolor", "255,255,255,255", "--post-process")), str(ans)[:300])

    # function URL: the photo as the raw body (Lambda base64-encodes it), options in the query string
    inv, r = ses.invoke(function_url_event(photo, "image/jpeg", {"bgcolor": "0,0,255"}))
    ans = r.json() if r and r.kind == "response" else {}
    png = __import__("base64").b64decode(ans.get("body", ""))
    R.check("function_url_raw_body", ans.get("statusCode") == 200 and ans.get("isBase64Encoded") is True and
            png_info(png) == png_info(cli_remove(ses.model, photo, "--bgcolor", "0,0,255")), str(ans)[:300])
    inv, r = ses.invoke(function_url_event(json.dumps(direct_event(photo, mask=True)).encode(), "application/json"))
    ans = r.json() if r and r.kind == "response" else {}
    png = __import__("base64").b64decode(ans.get("body", ""))
    R.check("function_url_json_body", ans.get("statusCode") == 200 and png_info(png) and png_info(png)[0] == "L",
            str(ans)[:300])
    inv, r = ses.invoke(function_url_event(photo, "image/jpeg", method="GET"))
    R.check("function_url_get_405", r and r.kind == "response" and r.json().get("statusCode") == 405, r)

    # 413: a photo over MAX_PIXELS, and an answer that would pass Lambda's 6 MB
    inv, r = ses.invoke(direct_event(ses.uploaded["uploads/f/huge.png"]))
    ans = r.json() if r and r.kind == "response" else {}
    err = json.loads(ans.get("body", "{}")) if ans.get("statusCode") == 413 else {}
    R.check("direct_413_max_pixels", ans.get("statusCode") == 413 and "2100" in err.get("error", ""), str(ans)[:400])
    noise = make_photo(1400, 1200, 5, noise=True)
    inv, r = ses.invoke(direct_event(noise))
    ans = r.json() if r and r.kind == "response" else {}
    err = json.loads(ans.get("body", "{}")) if ans.get("statusCode") == 413 else {}
    R.check("direct_413_response_over_6mb", ans.get("statusCode") == 413 and "6 MB" in err.get("error", "") and
            len(r.body) < 10000, str(ans)[:400])
    inv, r = ses.invoke(direct_event(b"GIF89a not a photo"))
    R.check("direct_400_not_an_image", r and r.kind == "response" and r.json().get("statusCode") == 400, r)


def test_invoke_errors(ses):
    inv, r = ses.invoke({"detail": {}, "foo": 1})
    R.check("unknown_event_error", r and r.kind == "error" and r.json().get("errorType") == "U2net.InvalidEvent" and
            "unrecognized event" in r.json().get("errorMessage", ""), r)
    inv, r = ses.invoke(b"this is not json")
    R.check("non_json_payload_error", r and r.kind == "error" and r.json().get("errorType") == "U2net.InvalidEvent" and
            "JSON" in r.json().get("errorMessage", ""), r)


def test_runtime_api(ses):
    # the trace id of each invocation travels to S3; an invocation without one sends none
    ses.put("uploads/trace/t.jpg", make_photo(80, 60, 51))
    ev = s3_event([s3_record(BUCKET, "uploads/trace/t.jpg")])
    inv, r = ses.invoke(ev)
    reqs = ses.proxy.requests(None, BUCKET, "uploads/trace/t.jpg") + ses.proxy.requests(None, BUCKET, "cutouts/trace/t.png")
    R.check("trace_id_sent_to_s3", r and r.kind == "response" and len(reqs) == 2 and
            all(q[3].get("x-amzn-trace-id") == inv.trace_id for q in reqs), [q[3].get("x-amzn-trace-id") for q in reqs])
    inv, r = ses.invoke(ev, trace_id=None)
    reqs = ses.proxy.requests(None, BUCKET, "uploads/trace/t.jpg")[1:]
    R.check("trace_id_unset_without_one", r and r.kind == "response" and reqs and
            all("x-amzn-trace-id" not in q[3] for q in reqs), [q[3].get("x-amzn-trace-id") for q in reqs])

    # a frozen environment: `next` answers only after 3 s, and the runtime just waits
    t0 = time.monotonic()
    inv, r = ses.invoke(ev, delay_s=3.0)
    R.check("frozen_next_answers_after_seconds", r and r.kind == "response" and time.monotonic() - t0 >= 3.0, r)

    # the deadline guard: photos that may not finish in time are reported, not started
    ses.put("uploads/late/a.jpg", make_photo(80, 60, 52))
    note = lambda k: json.dumps(s3_event([s3_record(BUCKET, k)]))  # noqa: E731
    inv, r = ses.invoke(sqs_event([("late-1", note("uploads/late/a.jpg")), ("late-2", note("uploads/late/a.jpg"))]),
                        deadline_ms=int(time.time() * 1000) + 300)
    R.check("deadline_guard", r and r.kind == "response" and
            r.json() == {"batchItemFailures": [{"itemIdentifier": "late-1"}, {"itemIdentifier": "late-2"}]} and
            ses.s3.list(BUCKET, "cutouts/late/") == [], r)

    # the Runtime API refuses a response (413): the invocation still ends, as an error
    inv, r = ses.invoke(s3_test_event(BUCKET), answer_status=413)
    t_end = time.monotonic() + 30
    while len(ses.api.results.get(inv.request_id, [])) < 2 and time.monotonic() < t_end:
        time.sleep(0.05)
    rs = ses.api.results.get(inv.request_id, [])
    R.check("runtime_api_413_then_error", len(rs) == 2 and rs[1].kind == "error" and
            rs[1].json().get("errorType") == "U2net.ResponseTooLarge", rs)


def test_logs(ses):
    logs = ses.boot.logs()
    bad = [l for l in logs if "unparsable" in l or not l.get("level") or not l.get("timestamp")]
    R.check("every_log_line_is_json", logs and not bad, bad[:3])
    written = [l for l in logs if l.get("message") == "cutout written"]
    R.check("written_lines_have_stage_timings", written and all(
        set(l["ms"]) == {"get", "decode", "preprocess", "infer", "postprocess", "encode", "put", "total"}
        for l in written), written[:1])


def test_session(model, s3rver):
    ses = Session(model, s3rver)
    try:
        test_s3_notifications(ses)
        test_sqs(ses)
        test_eventbridge(ses)
        test_batch(ses)
        test_faults(ses)
        test_direct(ses)
        test_invoke_errors(ses)
        test_runtime_api(ses)
        R.check("runtime_api_one_connection", ses.api.connections == 1 and not ses.api.bad_requests,
                "%d connections, bad requests %s" % (ses.api.connections, ses.api.bad_requests))
        ses.api.push(Answer500())
        rc = ses.boot.wait(WAIT)
        R.check("session_ends_on_500", rc == 1, "exit %r" % rc)
        test_logs(ses)
        no_sanitizer_report("session", ses.boot)
    finally:
        ses.close()

    # a 500 on a POST is as fatal as one on `next`
    ses = Session(model, s3rver)
    try:
        inv, r = ses.invoke(s3_test_event(BUCKET), answer_status=500)
        rc = ses.boot.wait(WAIT)
        R.check("runtime_api_500_on_post_exits", r and rc == 1, "result %s, exit %r" % (r, rc))
        no_sanitizer_report("post500", ses.boot)
    finally:
        ses.close()


# ====================================================================== against rembg's reference
def test_reference(s3rver):
    onnx = os.path.join(ROOT, "tests", "data", "u2netp-random.onnx")
    photo = os.path.join(SHARED, "testdata", "photos", "pillow_hopper_128.jpg")
    want = os.path.join(SHARED, "fixtures", "rembg", "pillow_hopper_128.mask.png")
    if not (os.path.exists(photo) and os.path.exists(want)):
        return R.skip("reference_rembg_mask", "no %s or %s" % (photo, want))
    if SANITIZED and not os.environ.get("U2NET_SLOW"):
        return R.skip("reference_rembg_mask", "320x320 U²-NetP is slow under sanitizers (U2NET_SLOW=1 runs it)")
    model = convert_model(onnx, os.path.join(T, "p320.u2n"))
    ses = Session(model, s3rver, {"OUTPUT_MODE": "mask"})
    try:
        with open(photo, "rb") as f:
            ses.put("uploads/ref/hopper.jpg", f.read())
        inv, r = ses.invoke(s3_event([s3_record(BUCKET, "uploads/ref/hopper.jpg")]))
        got = ses.s3.get(BUCKET, "cutouts/ref/hopper.png")[0]
        with open(want, "rb") as f:
            ref = png_info(f.read())
        info = png_info(got) if got else None
        if not R.check("reference_mask_written", r and r.kind == "response" and info and info[0] == "L" and
                       info[1] == ref[1], "%s %s" % (r, info and info[:2])):
            return
        diffs = [abs(a - b) for a, b in zip(info[2], ref[2])]
        mean, worst = sum(diffs) / len(diffs), max(diffs)
        R.check("reference_rembg_mask", mean <= 0.5 and worst <= 4,
                "mean %.3f max %d gray levels from rembg + ONNX Runtime" % (mean, worst))
        ses.api.push(Answer500())
        ses.boot.wait(WAIT)
        no_sanitizer_report("reference", ses.boot)
    finally:
        ses.close()


def main():
    if not os.path.exists(os.path.join(BUILD, "bootstrap")):
        R.fail("build", "%s/bootstrap is missing" % BUILD)
        return 1
    if not have_pillow():
        R.skip("all", "Pillow is not available to %s (use /usr/bin/python3)" % sys.executable)
        return 0
    os.makedirs(T, exist_ok=True)
    # U²-NetP at 32x32 (the network is fully convolutional): the plumbing is what is tested here, and
    # this keeps each photo well under a second even under sanitizers; test_reference runs 320x320
    model = convert_model(os.path.join(ROOT, "tests", "data", "u2netp-random.onnx"), os.path.join(T, "p32.u2n"),
                          "32x32")
    test_init(model)
    why = S3rver.available()
    if why:
        R.skip("s3_sessions", why)
        return 1 if R.failed else 0
    s3rver = S3rver(os.path.join(T, "s3rver-data"), [BUCKET]).start()
    try:
        test_session(model, s3rver)
        test_reference(s3rver)
    finally:
        s3rver.stop()
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
