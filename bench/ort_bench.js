// ort_bench.js - ONNX Runtime (onnxruntime-node, test-only) on the same ONNX file and input as the engine
// bench, in its own process: session creation time, first run, min and median of N runs, the least
// process CPU time of a run (node's threads included), peak RSS.
// Prints one JSON line. bench/bench_engine.py runs it next to build/bench/bench_engine.
//
//   node bench/ort_bench.js MODEL.onnx INPUT.f32 H W THREADS RUNS      (THREADS 0: ONNX Runtime's default)
'use strict';
const fs = require('fs');
const path = require('path');

const deps = process.env.U2NET_DEPS || path.join(__dirname, '..', '.deps');
const ort = require(path.join(deps, 'node_modules', 'onnxruntime-node'));

function vmhwmMb() {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
}

async function main() {
    const [model, input, hs, ws, ts, rs] = process.argv.slice(2);
    const h = Number(hs), w = Number(ws), threads = Number(ts), runs = Number(rs || 10);
    const buf = fs.readFileSync(input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const opts = { graphOptimizationLevel: 'all', executionMode: 'sequential' };
    if (threads > 0) {
        opts.intraOpNumThreads = threads;
        opts.interOpNumThreads = 1;
    }
    const rss0 = vmhwmMb();
    let t0 = process.hrtime.bigint();
    const session = await ort.InferenceSession.create(model, opts);
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor('float32', x, [1, 3, h, w]);
    t0 = process.hrtime.bigint();
    await session.run(feeds);
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const t = [];
    let cpuMin = Infinity;
    for (let r = 0; r < runs; r++) {
        const c0 = process.cpuUsage();
        t0 = process.hrtime.bigint();
        await session.run(feeds);
        t.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const c = process.cpuUsage(c0);
        cpuMin = Math.min(cpuMin, (c.user + c.system) / 1e3);
    }
    t.sort((a, b) => a - b);
    console.log(JSON.stringify({
        model, threads, h, w, load_ms: loadMs, first_ms: firstMs, min_ms: t[0], median_ms: t[Math.floor(runs / 2)],
        cpu_min_ms: cpuMin,
        runs, vmhwm_mb: vmhwmMb(), node_baseline_mb: rss0,
    }));
}

main().catch((e) => {
    console.error('ort_bench: ' + (e && e.message ? e.message : e));
    process.exit(1);
});
