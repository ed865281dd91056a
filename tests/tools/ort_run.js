// ort_run.js - runs ONNX models with ONNX Runtime (onnxruntime-node, CPU), the independent reference the
// converter tests compare against. A test-only tool: never part of the product.
//
//   node ort_run.js JOBS.txt
// Each line of JOBS.txt: MODEL.onnx INPUT.f32 H W C OUTPREFIX
// writes OUTPREFIX<k>.f32 (raw little-endian float32) for every graph output k, and prints one line
// per job: "ok OUTPREFIX n_outputs dims..." or "error OUTPREFIX message".
const fs = require("fs");
const path = require("path");
const deps = process.env.U2NET_DEPS || path.join(__dirname, "..", "..", ".deps");
const ort = require(path.join(deps, "node_modules", "onnxruntime-node"));

async function main() {
  const jobs = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim());
  for (const line of jobs) {
    const [model, input, h, w, c, prefix] = line.trim().split(/\s+/);
    try {
      const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const buf = fs.readFileSync(input);
      const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
      const feeds = { [sess.inputNames[0]]: new ort.Tensor("float32", data, [1, +c, +h, +w]) };
      const res = await sess.run(feeds);
      const dims = [];
      sess.outputNames.forEach((name, k) => {
        const t = res[name];
        const f32 = t.type === "float32" ? t.data : Float32Array.from(t.data, Number);
        fs.writeFileSync(prefix + k + ".f32", Buffer.from(f32.buffer, f32.byteOffset, f32.length * 4));
        dims.push(t.dims.join("x"));
      });
      console.log("ok " + prefix + " " + sess.outputNames.length + " " + dims.join(" "));
    } catch (e) {
      console.log("error " + prefix + " " + String(e.message || e).split("\n")[0]);
    }
  }
}
main();
