"""bench_lambda.py - the Lambda figures (`make bench-lambda`): package sizes, cold start, one S3 event.

For each model (U²-NetP and the full U²-Net) and precision (fp32; fp16 and int8 when the converter has
--precision, i.e. once the speed and int8 work are merged):
  zip       `make lambda-zip` for x86_64 (and arm64 when the cross compiler is installed): zip bytes and
            unzipped bytes
  cold      the unzipped package run as Lambda runs it (LAMBDA_TASK_ROOT, default MODEL) against the
            fake Runtime API of tests/lambda: exec -> ready (the first `next` request arrives) and
            exec -> first response (a direct invoke of a 768x512 photo queued before exec, so `next`
            answers at once), then a warm invoke of the same photo; median and range of --runs runs
  s3        one S3 event for a 12 MP JPEG (a photo scaled up to 4000x3000 with Pillow, not committed)
            through s3rver: from `next` handing out the event to the response, plus the stage times
            from the function's log line; first (cold caches) and warm
Writes a table to stdout and everything to $BUILD/bench/lambda/results.json. Timing only: nothing here
passes or fails. The page cache is warm (the model file was just written), unlike a real cold start
where Lambda reads the unzipped package from its own storage.

    make bench-lambda                  # or: python3 bench/bench_lambda.py --runs 5 --models u2netp
"""
import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lambda"))
from fake_runtime_api import Answer500, FakeRuntimeAPI, Invocation  # noqa: E402
from rig import (BUILD, ROOT, SHARED, Bootstrap, PlainS3, S3rver, direct_event, s3_event,  # noqa: E402
                 s3_record)

OUT = os.path.join(BUILD, "bench", "lambda")


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, **kw)


def precisions(tool):
    """fp32, plus fp16/int8 when this build's converter has --precision (the speed and int8 work)."""
    usage = subprocess.run([tool, "convert", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    if "--precision" not in usage:
        return ["fp32"]
    return ["fp32"] + [p for p in ("fp16", "int8") if p in usage.split("--precision", 1)[1]]


def models(wanted):
    """name -> model path, converting what is missing (one file per model and precision)."""
    tool = os.path.join(BUILD, "u2net-weights")
    precs = precisions(tool)
    out = {}
    sources = {"u2netp": ("U²-NetP", os.path.join(ROOT, "tests", "data", "u2netp-random.onnx"), None),
               "u2net": ("U²-Net", None, os.path.join(SHARED, "fixtures", "models", "u2net-random.onnx.xz"))}
    for arch in ("u2netp", "u2net"):
        if arch not in wanted:
            continue
        label, onnx, xz = sources[arch]
        paths = {p: os.path.join(OUT, "%s-%s.u2n" % (arch, p)) for p in precs}
        missing = [p for p in precs if not os.path.exists(paths[p])]
        tmp = None
        if missing and onnx is None:
            if not os.path.exists(xz):
                print("(no %s: the full U²-Net is left out)" % xz)
                continue
            tmp = onnx = os.path.join(OUT, "%s-random.onnx" % arch)
            with open(onnx, "wb") as f:
                sh("xz", "-dc", xz, stdout=f)
        for p in missing:
            extra = [] if p == "fp32" else ["--precision", p]
            sh("nice", tool, "convert", onnx, "-o", paths[p], "--name", arch, *extra, stdout=subprocess.DEVNULL)
        if tmp:
            os.remove(tmp)
        for p in precs:
            out["%s %s" % (label, p)] = paths[p]
    return out


def zip_sizes(model):
    res = {}
    arches = ["x86_64"] + (["arm64"] if shutil.which("aarch64-linux-gnu-gcc") else [])
    for arch in arches:
        p = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "lambda-zip", "ARCH=" + arch,
                            "MODEL=" + model, "LAMBDA_ZIP_MAX_MB=250"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        z = os.path.join(ROOT, "build", "lambda-%s.zip" % arch)
        if p.returncode != 0 or not os.path.exists(z):
            res[arch] = {"error": p.stdout.decode()[-400:]}
            continue
        unzipped = sum(i.file_size for i in zipfile.ZipFile(z).infolist())
        res[arch] = {"zip": os.path.getsize(z), "unzipped": unzipped, "fits_50MB": os.path.getsize(z) <= 50 << 20}
        shutil.copyfile(z, os.path.join(OUT, "lambda-%s-%s.zip" % (arch, os.path.basename(model)[:-4])))
    return res


def task_dir(model):
    """The x86_64 package unzipped, as Lambda lays it out in /var/task."""
    d = os.path.join(OUT, "task-" + os.path.basename(model)[:-4])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with zipfile.ZipFile(os.path.join(OUT, "lambda-x86_64-%s.zip" % os.path.basename(model)[:-4])) as z:
        for i in z.infolist():
            z.extract(i, d)
            os.chmod(os.path.join(d, i.filename), i.external_attr >> 16 & 0o777)
    return d


def env_for(api, task, endpoint="http://127.0.0.1:9"):
    return {"AWS_LAMBDA_RUNTIME_API": api.endpoint, "LAMBDA_TASK_ROOT": task, "INPUT_PREFIX": "uploads/",
            "OUTPUT_PREFIX": "cutouts/", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "S3RVER",
            "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_ENDPOINT_URL_S3": endpoint}


def peak_rss_mb(pid):
    """The process's peak resident memory so far (VmHWM), in MB; None if unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cold_start(task, photo, runs):
    ready, first, warm, init_ms, rss = [], [], [], [], []
    for _ in range(runs):
        api = FakeRuntimeAPI().start()
        inv = api.push(Invocation(json.dumps(direct_event(photo))))
        boot = Bootstrap(env_for(api, task), exe=os.path.join(task, "bootstrap")).start()
        try:
            r = api.wait_result(inv.request_id, 600, boot.proc)
            if r is None or r.json().get("statusCode") != 200:
                raise RuntimeError("no answer: %r %s %r" % (r, boot.lines[-2:], boot.stderr[-300:]))
            ready.append((api.next_times[0] - boot.t_exec) * 1e3)
            first.append((r.t - boot.t_exec) * 1e3)
            init = [l for l in boot.logs() if l.get("message") == "init done"]
            init_ms.append(init[0]["ms"]["total"] if init else float("nan"))
            inv2 = api.push(Invocation(json.dumps(direct_event(photo))))
            r2 = api.wait_result(inv2.request_id, 600, boot.proc)
            warm.append((r2.t - inv2.t_sent) * 1e3)
            rss.append(peak_rss_mb(boot.proc.pid))
            api.push(Answer500())
            boot.wait(60)
        finally:
            boot.kill()
            api.stop()
    return {"exec_to_ready_ms": ready, "exec_to_first_response_ms": first, "warm_response_ms": warm,
            "init_ms": init_ms, "peak_rss_mb": rss}


def photo_12mp():
    from PIL import Image
    src = os.path.join(SHARED, "testdata", "photos", "cameratrap_domestic_dog_2048x1536.jpg")
    img = Image.open(src).convert("RGB").resize((4000, 3000), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def s3_event_time(task, jpeg, runs):
    why = S3rver.available()
    if why:
        return {"skipped": why}
    s3 = S3rver(os.path.join(OUT, "s3rver-data"), ["photos"]).start()
    api = FakeRuntimeAPI().start()
    boot = Bootstrap(env_for(api, task, "http://127.0.0.1:%d" % s3.port), exe=os.path.join(task, "bootstrap")).start()
    res = []
    try:
        PlainS3("http://127.0.0.1:%d" % s3.port).put("photos", "uploads/12mp photo.jpg", jpeg, "image/jpeg")
        for _ in range(runs):
            inv = api.push(Invocation(json.dumps(s3_event([s3_record("photos", "uploads/12mp photo.jpg")]))))
            r = api.wait_result(inv.request_id, 900, boot.proc)
            if r is None or r.kind != "response":
                raise RuntimeError("no answer: %r %s" % (r, boot.lines[-2:]))
            line = [l for l in boot.logs() if l.get("requestId") == inv.request_id and l.get("message") == "cutout written"]
            res.append({"event_ms": (r.t - inv.t_sent) * 1e3, "stages_ms": line[0]["ms"] if line else {},
                        "output_bytes": line[0].get("outputBytes") if line else None})
        rss = peak_rss_mb(boot.proc.pid)
        api.push(Answer500())
        boot.wait(60)
    finally:
        boot.kill()
        api.stop()
        s3.stop()
    return {"runs": res, "input_bytes": len(jpeg), "peak_rss_mb": rss}


def med(v):
    return "%.0f ms (%.0f-%.0f)" % (statistics.median(v), min(v), max(v)) if v else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--models", default="u2netp,u2net")
    ap.add_argument("--big-runs", type=int, default=int(os.environ.get("BENCH_BIG_RUNS", "1")),
                    help="runs for models over 50 MB (the full U²-Net takes a minute per photo on generic kernels)")
    ap.add_argument("--no-s3", action="store_true")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(SHARED, "testdata", "photos", "kodim23.png"), "rb") as f:
        photo = f.read()
    machine = {"cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
               "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    try:
        with open("/proc/cpuinfo") as f:
            machine["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("machine: %s, %d CPUs, load average %.1f %.1f %.1f" % ((machine["cpu"], machine["cpus"]) + machine["load_average"]))
    results = {"machine": machine, "models": {}}
    jpeg = None
    for name, model in models(a.models.split(",")).items():
        r = results["models"][name] = {"model_bytes": os.path.getsize(model)}
        r["zip"] = zip_sizes(model)
        for arch, z in r["zip"].items():
            if "zip" in z:
                print("%-14s %-7s zip %6.1f MB, unzipped %6.1f MB%s" % (name, arch, z["zip"] / 2**20, z["unzipped"] / 2**20,
                                                                        "" if z["fits_50MB"] else "  (over 50 MB)"))
            else:
                print("%-14s %-7s zip failed: %s" % (name, arch, z["error"]))
        if "zip" not in r["zip"].get("x86_64", {}):
            continue
        task = task_dir(model)
        runs = a.runs if r["model_bytes"] < 50 << 20 else a.big_runs
        r["cold"] = cold_start(task, photo, runs)
        c = r["cold"]
        print("%-14s exec -> ready for next %s; exec -> first response %s; warm response %s (768x512 PNG, direct); "
              "init %s; peak memory %.0f MB" % (name, med(c["exec_to_ready_ms"]), med(c["exec_to_first_response_ms"]),
                                                med(c["warm_response_ms"]), med(c["init_ms"]),
                                                max([m for m in c["peak_rss_mb"] if m] or [0])))
        if not a.no_s3:
            if jpeg is None:
                jpeg = photo_12mp()
            r["s3_12mp"] = s3_event_time(task, jpeg, max(2, runs - 1))
            s = r["s3_12mp"]
            if "runs" in s:
                for i, run in enumerate(s["runs"]):
                    st = " ".join("%s %.0f" % (k, v) for k, v in run["stages_ms"].items())
                    print("%-14s 12 MP JPEG (%.1f MB) S3 event %s: %.0f ms  [%s]" % (
                        name, s["input_bytes"] / 2**20, "first" if i == 0 else "warm ", run["event_ms"], st))
                print("%-14s peak memory of the function over those events: %.0f MB" % (name, s["peak_rss_mb"] or 0))
            else:
                print("%-14s S3: skipped (%s)" % (name, s["skipped"]))
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("(all figures: %s)" % os.path.join(OUT, "results.json"))


if __name__ == "__main__":
    main()
