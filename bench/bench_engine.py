#!/usr/bin/env python3
"""bench_engine.py - the engine bench behind `make bench-engine` (and `make bench`).

For every model available (U²-NetP from tests/data, U²-Net from ../shared/fixtures decompressed into the
build folder, ISNet from $ISNET_DIR=/work/isnet when present) x precision (fp32, fp16, and int8 when the
converter has it) x threads (1 and all the CPUs this process may use), run build/bench/bench_engine in its
own process (so peak RSS is its own), and ONNX Runtime 1.30 (bench/ort_bench.js, onnxruntime-node,
test-only) on the same ONNX file and input in the same run. Writes the table between the markers of
docs/benchmarks.md and every figure to bench/results.json.

    python3 bench/bench_engine.py [--quick] [--runs N] [--build build]

--quick (BENCH_QUICK=1): U²-NetP only, 3 runs. Timing decides nothing here: it is a report. The machine
may be shared; ratios against ONNX Runtime measured minutes apart in the same run are the robust figure.
"""
import argparse
import datetime
import json
import lzma
import os
import platform
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("U2NET_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
DEPS = os.environ.get("U2NET_DEPS", os.path.join(ROOT, ".deps"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_json(cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=e)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (p.stderr or p.stdout).strip().splitlines()[-1:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def models(build, quick):
    """(name, onnx path, input .f32, h, w, converter options)"""
    out = []
    gold = os.path.join(ROOT, "tests", "data", "golden")
    out.append(("U²-NetP", os.path.join(ROOT, "tests", "data", "u2netp-random.onnx"),
                os.path.join(gold, "u2netp-smooth320.input.f32"), 320, 320, []))
    if quick:
        return out
    xz = os.path.join(SHARED, "fixtures", "models", "u2net-random.onnx.xz")
    u2 = os.path.join(build, "bench", "u2net-random.onnx")
    if os.path.exists(xz):
        if not os.path.exists(u2) or os.path.getmtime(u2) < os.path.getmtime(xz):
            log("decompressing %s" % xz)
            with lzma.open(xz) as f, open(u2 + ".part", "wb") as g:
                shutil.copyfileobj(f, g)
            os.replace(u2 + ".part", u2)
        out.append(("U²-Net", u2, os.path.join(SHARED, "fixtures", "golden", "u2net-smooth320.input.f32"), 320, 320, []))
    else:
        log("U²-Net skipped: %s not found" % xz)
    isnet = os.path.join(os.environ.get("ISNET_DIR", "/work/isnet"), "isnet-imgly-fp16.onnx")
    if os.path.exists(isnet):
        inp = os.path.join(build, "bench", "isnet-1024.input.f32")
        if not os.path.exists(inp):  # a smooth synthetic image, normalized as ISNet wants ((p - 128) / 256)
            n = 3 * 1024 * 1024
            vals = bytearray()
            import struct
            for c in range(3):
                row = [((x * (c + 3) + 17 * c) % 256 - 128) / 256.0 for x in range(1024)]
                for y in range(1024):
                    shift = (y * (c + 1)) % 1024
                    vals += struct.pack("<1024f", *(row[shift:] + row[:shift]))
            assert len(vals) == 4 * n
            open(inp, "wb").write(vals)
        out.append(("ISNet", isnet, inp, 1024, 1024, ["--mean", "0.5,0.5,0.5", "--std", "1,1,1", "--pixel-div", "256"]))
    else:
        log("ISNet skipped: %s not found (sh ../shared/scripts/fetch-isnet.sh /work/isnet)" % isnet)
    return out


def convert(build, onnx, opts, precision):
    out = os.path.join(build, "bench", "%s-%s.u2n" % (os.path.splitext(os.path.basename(onnx))[0], precision))
    tool = os.path.join(build, "u2net-weights")
    if os.path.exists(out) and os.path.getmtime(out) > max(os.path.getmtime(onnx), os.path.getmtime(tool)):
        return out
    p = subprocess.run([tool, "convert", onnx, "-o", out, "--precision", precision] + opts, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError((p.stderr.strip().splitlines() or ["?"])[-1])
    return out


def machine(build):
    info = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "kernel": platform.release()}
    try:
        cpu = open("/proc/cpuinfo").read()
        m = re.search(r"model name\s*:\s*(.*)", cpu)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
        flags = re.search(r"flags\s*:\s*(.*)", cpu) or re.search(r"Features\s*:\s*(.*)", cpu)
        keep = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx_vnni",
                "asimd", "asimddp")
        info["flags"] = " ".join(f for f in (flags.group(1).split() if flags else []) if f in keep)
    except OSError:
        pass
    p = subprocess.run([os.path.join(build, "u2net"), "info", "--cpu"], capture_output=True, text=True)
    info["u2net_info"] = p.stdout.strip()
    m = re.search(r"cpu:\s*(.*)", p.stdout)
    if m and m.group(1).strip() and not m.group(1).startswith("("):
        info["cpu"] = m.group(1).strip()
    m = re.search(r"chosen:\s*(\S+)", p.stdout)
    info["isa"] = m.group(1) if m else "?"
    info["cpus"] = len(os.sched_getaffinity(0))
    info["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
    try:
        info["peak_gmacs"] = run_json([os.path.join(build, "bench", "bench_peak")])
    except Exception as e:  # noqa: BLE001 - a report, not a test
        log("peak: %s" % e)
    return info


def fmt(v, spec="%.0f"):
    return spec % v if isinstance(v, (int, float)) else "—"


def table(results):
    head = ("| model | precision | threads | load ms | first ms | min ms | median ms | CPU ms | GMAC/s | peak RSS MB "
            "| ORT min ms | ORT CPU ms | ORT RSS MB | ours / ORT | CPU ours / ORT |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for r in results:
        o = r.get("ort") or {}
        ratio = r["min_ms"] / o["min_ms"] if o.get("min_ms") else None
        cpu_ratio = r["cpu_min_ms"] / o["cpu_min_ms"] if o.get("cpu_min_ms") and r.get("cpu_min_ms") else None
        rows.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model_name"], r["precision"], r["threads"], fmt(r["load_ms"], "%.1f"), fmt(r["first_ms"]),
            fmt(r["min_ms"]), fmt(r["median_ms"]), fmt(r.get("cpu_min_ms")), fmt(r["gmacs"], "%.1f"),
            fmt(r["vmhwm_mb"]), fmt(o.get("min_ms")), fmt(o.get("cpu_min_ms")), fmt(o.get("vmhwm_mb")),
            fmt(ratio, "%.2f") + ("x" if ratio else ""), fmt(cpu_ratio, "%.2f") + ("x" if cpu_ratio else "")))
    return head + "\n".join(rows) + "\n"


def write_doc(path, results, mach, cmd, skipped):
    with open(path) as f:
        doc = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in doc or end not in doc:
        raise RuntimeError("%s lacks the %s / %s markers" % (path, begin, end))
    peak = mach.get("peak_gmacs") or {}
    gen = [begin, "",
           "Measured %s with `%s`." % (mach["date"], cmd), "",
           "Machine: %s, %d CPUs for this process, Linux %s; kernel set `%s`; flags: %s." % (
               mach.get("cpu", "?"), mach["cpus"], mach["kernel"], mach["isa"], mach.get("flags", "")),
           "Measured FMA peak of one core (`build/bench/bench_peak`): %s GMAC/s. Load average (1, 5, 15 min) at "
           "the start: %s; at the end: %s." % (
               ", ".join("%s %.1f" % kv for kv in peak.items()) or "?", " ".join(mach["loadavg_start"]),
               " ".join(mach.get("loadavg_end", ["?"]))), "",
           table(results)]
    if skipped:
        gen += ["Not measured: " + "; ".join(skipped) + ".", ""]
    gen.append(end)
    a, b = doc.index(begin), doc.index(end) + len(end)
    with open(path, "w") as f:
        f.write(doc[:a] + "\n".join(gen) + doc[b:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS_ENGINE", "0") or 0))
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results.json"))
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the doc's table from the JSON file of an earlier run (no measuring)")
    args = ap.parse_args()
    if args.from_json:
        with open(args.json) as f:
            d = json.load(f)
        write_doc(args.doc, d["results"], d["machine"], d["command"], d["not_measured"])
        print(table(d["results"]))
        return
    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    runs = args.runs or (3 if args.quick else 10)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)
    cmd = "make bench-engine" + (" BENCH_QUICK=1" if args.quick else "")
    mach = machine(build)
    all_threads = mach["cpus"]
    thread_counts = [1] + ([all_threads] if all_threads > 1 else [])
    have_ort = os.path.exists(os.path.join(DEPS, "node_modules", "onnxruntime-node", "package.json")) and shutil.which("node")
    results, skipped = [], []
    if not have_ort:
        skipped.append("ONNX Runtime (node or onnxruntime-node missing: make deps)")
    for name, onnx, inp, h, w, opts in models(build, args.quick):
        ort = {}
        if have_ort:
            for t in thread_counts:
                log("%s: ONNX Runtime, %d thread(s)" % (name, t))
                try:
                    ort[t] = run_json(["node", os.path.join(ROOT, "bench", "ort_bench.js"), onnx, inp, str(h), str(w),
                                       str(t), str(max(3, runs // 2) if name == "ISNet" else runs)],
                                      {"U2NET_DEPS": DEPS})
                except Exception as e:  # noqa: BLE001
                    skipped.append("ONNX Runtime on %s: %s" % (name, e))
        for precision in ("fp32", "fp16", "int8"):
            try:
                u2n = convert(build, onnx, opts, precision)
            except RuntimeError as e:
                skipped.append("%s %s (%s)" % (name, precision, e))
                continue
            for t in thread_counts:
                log("%s %s: %d thread(s)" % (name, precision, t))
                r = run_json([os.path.join(build, "bench", "bench_engine"), u2n, "--threads", str(t), "--size", "%dx%d" % (h, w),
                              "--input", inp, "--runs", str(max(3, runs // 2) if name == "ISNet" else runs)])
                r.update({"model_name": name, "precision": precision, "threads": t, "onnx": onnx, "ort": ort.get(t)})
                results.append(r)
    mach["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    with open(args.json, "w") as f:
        json.dump({"machine": mach, "command": cmd, "results": results, "not_measured": skipped}, f, indent=1)
    write_doc(args.doc, results, mach, cmd, skipped)
    print(table(results))
    for s in skipped:
        print("not measured: " + s)


if __name__ == "__main__":
    main()
