#!/usr/bin/env node
// `npm run bench:tensors`: Cotangent's tensor speed against TensorFlow.js (cpu backend) and jax-js
// (wasm backend), side by side in this one process, with the ratio against each peer
// (higher = Cotangent faster) and the target met or missed:
//
//  (1) float32 matmul n×n×n for n = 256, 512, 1024, in GFLOP/s (2n³ flops per product).
//      Cotangent: `matmul(a, b)` on float32 tensors (WebAssembly SIMD kernel, output allocated
//      per call). tfjs: `tf.matMul(a, b).dataSync()`. jax-js: `jit(np.matmul)` and
//      `blockUntilReady()` (inputs passed as `.ref`, the result disposed).
//      Target: at least as fast as jax-js.
//  (2) One training step of a 784-256-128-10 MLP (relu, mean cross-entropy over 10 classes,
//      batch 64, float32, seeded random data; every framework starts from the same weights).
//      Cotangent: a marked loss over a model struct compiled with @cotangent/babel-plugin,
//      `valueWithGradient(loss)(model, x, labels)` and an Adam update: `Adam` of @cotangent/nn
//      when it can be loaded (`model = adam.update(model, gradient)`), else Adam written here with
//      Cotangent tensor ops; both variants, and Adam with the fused `adamUpdateF32` kernel called
//      directly, are timed for the record. tfjs: `tf.train.adam` and
//      `optimizer.minimize(f, true).dataSync()`. jax-js: one `jit` of `valueAndGrad(loss)` plus an
//      Adam update written with jax-js ops. Every framework's loss after 10 steps is compared.
//      Forward + gradient alone is timed too (info). Target: at least as fast as jax-js's step.
//  (3) The gradient of scalar-heavy code: 200 iterations of `y = y * 0.9 + Math.sin(x * y) * 0.1`
//      (1000 arithmetic operations on plain numbers), per call. Cotangent: `gradient(f)` of the
//      marked function. tfjs: `tf.grad` of the same code written with tfjs scalar ops.
//      jax-js: `jit(grad(f))` of the same code written with jax-js ops. For the record: plain f(x),
//      and jax-js `grad(f)` without jit. Target: at least 100x faster per call than either peer.
//
// Cotangent and jax-js runs are interleaved (one batch of each in turn, several rounds) after a
// warm-up; tfjs, far slower and a heavy allocator, is timed in a phase of its own right after;
// the median is reported. The peers are optional: one that cannot be loaded prints
// "not installed" (tfjs is also looked for in COTANGENT_BENCH_TFJS, a folder where
// `npm i @tensorflow/tfjs` was run, as in run.mjs).
//
// Options: --quick (fewer repetitions; a smoke run of well under a minute);
// --only=matmul,mlp,scalar,map (some of the four parts); --skip=tfjs,jax-js (leave a peer out).
// A benchmark, not a test: exits 0 on a miss, non-zero only when something fails to run.

import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, "package.json"));
const QUICK = process.argv.includes("--quick");
const onlyArg = process.argv.find((a) => a.startsWith("--only="));
const ONLY = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",")) : undefined; // matmul,mlp,scalar
const runs = (part) => !ONLY || ONLY.has(part);
const skipArg = process.argv.find((a) => a.startsWith("--skip="));
const SKIP = new Set(skipArg ? skipArg.slice("--skip=".length).split(",") : []); // tfjs,jax-js
const started = performance.now();

// ---------------------------------------------------------------------------------------------
// Cotangent: the runtime, the fused kernels, the Babel plugin

const babel = require("@babel/core");
let plugin, ct, kernels;
try {
  plugin = require("@cotangent/babel-plugin").default;
  // One runtime instance for everything: the compiled code is CommonJS and requires the runtime's
  // CommonJS build, so the benchmark uses that build too (tensors of the ESM build are another class).
  ct = require("@cotangent/runtime");
  kernels = require(path.join(root, "runtime/dist/cjs/backends/cpu/wasm/index.js"));
} catch (e) {
  console.error(`cannot load Cotangent (${e.message.split("\n")[0]}); run \`npm run build\` first.`);
  process.exit(1);
}
const presetTs = require.resolve("@babel/preset-typescript");
const toCjs = require.resolve("@babel/plugin-transform-modules-commonjs");

const SOURCE = `
import { crossEntropy, gradient, map, maximum, relu, type Tensor } from "@cotangent/runtime";

export interface Mlp {
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
  w3: Tensor;
  b3: Tensor;
}

/** Mean cross-entropy of a 784-256-128-10 relu MLP: a model struct differentiated as a whole. */
/** @differentiable(wrt: model) */
export function loss(model: Mlp, x: Tensor, labels: Tensor): Tensor {
  const h1 = relu(x.matmul(model.w1).add(model.b1));
  const h2 = relu(h1.matmul(model.w2).add(model.b2));
  return crossEntropy(h2.matmul(model.w3).add(model.b3), labels);
}

/** 200 iterations of 5 operations on plain numbers: 1000 arithmetic operations. */
/** @differentiable */
export function scalarHeavy(x: number): number {
  let y = x;
  for (let i = 0; i < 200; i++) {
    y = y * 0.9 + Math.sin(x * y) * 0.1;
  }
  return y;
}

export const scalarHeavyGradient = gradient(scalarHeavy);

/** Ten scalar operations as one kernel (map(tenOps)), and the same as ten tensor ops. */
/** @differentiable @kernel */
export function tenOps(x: number, y: number): number {
  const a = x * y + 1;
  const b = Math.exp(-a * a);
  const c = Math.max(x, 0.5 * y);
  return b * c - Math.log1p(x * x) / (1 + y * y);
}
export const tenOpsMapped = map(tenOps);

/** @differentiable */
export function tenOpsChain(x: Tensor, y: Tensor): Tensor {
  const a = x.mul(y).add(1);
  const b = a.mul(a).neg().exp();
  const c = maximum(x, y.mul(0.5));
  return b.mul(c).sub(x.mul(x).log1p().div(y.mul(y).add(1)));
}
`;

function compileAndLoad(source, fileName) {
  const { code } = babel.transformSync(source, {
    filename: path.join(root, fileName),
    babelrc: false,
    configFile: false,
    presets: [presetTs],
    plugins: [plugin, toCjs],
  });
  const module = { exports: {} };
  new Function("module", "exports", "require", code)(module, module.exports, require);
  return module.exports;
}

const compiled = compileAndLoad(SOURCE, "bench-tensors.ts");

/** The Adam optimizer of the Cotangent nn/optim package, if one exists by now. */
async function findCotangentAdam() {
  const candidates = [
    ["@cotangent/runtime", () => ct],
    ["@cotangent/nn", () => require("@cotangent/nn")],
    ["@cotangent/optim", () => require("@cotangent/optim")],
  ];
  for (const [name, load] of candidates) {
    let mod;
    try {
      mod = await load();
    } catch {
      continue;
    }
    const Adam = mod.Adam ?? mod.optim?.Adam ?? mod.default?.Adam;
    if (typeof Adam === "function") return { Adam, from: name };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Peers (optional)

async function loadTfjs() {
  const bases = [root, process.env.COTANGENT_BENCH_TFJS].filter(Boolean);
  const problems = [];
  for (const base of bases) {
    const req = createRequire(path.join(path.resolve(base), "noop.js"));
    let tf;
    try {
      tf = req("@tensorflow/tfjs"); // (tfjs-core alone has no gradients registered under Node's require)
    } catch (e) {
      problems.push(e.message.split("\n")[0]);
      continue;
    }
    try {
      tf.env().set("IS_TEST", true); // no "install tfjs-node" banner
      await tf.setBackend("cpu");
      await tf.ready();
      return { tf, version: tf.version_core ?? tf.version?.["tfjs-core"] ?? "?" };
    } catch (e) {
      return { problem: `tfjs failed to start: ${e.message.split("\n")[0]}` };
    }
  }
  return { problem: "not installed" };
}

async function loadJax() {
  let jax;
  try {
    jax = await import("@jax-js/jax");
  } catch {
    return { problem: "not installed" };
  }
  try {
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) return { problem: "the wasm backend is not available" };
    jax.defaultDevice("wasm");
    let version = "?";
    try {
      version = require("@jax-js/jax/package.json").version;
    } catch {
      try {
        const fs = await import("node:fs");
        version = JSON.parse(fs.readFileSync(path.join(root, "node_modules/@jax-js/jax/package.json"), "utf8")).version;
      } catch {}
    }
    // Multi-threaded only where SharedArrayBuffer and a global Worker exist (browsers; not Node).
    const threads = typeof SharedArrayBuffer !== "undefined" && typeof Worker !== "undefined" ? "multi-threaded" : "single-threaded";
    return { jax, version, threads };
  } catch (e) {
    return { problem: `jax-js failed to start: ${e.message.split("\n")[0]}` };
  }
}

const tfjs = SKIP.has("tfjs") ? { problem: "skipped (--skip)" } : await loadTfjs();
const jaxjs = SKIP.has("jax-js") || SKIP.has("jax") ? { problem: "skipped (--skip)" } : await loadJax();
const tf = tfjs.tf;
const jax = jaxjs.jax;

// ---------------------------------------------------------------------------------------------
// Timing

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
let sink = 0;

/**
 * Median seconds per call of each entry ({ name, call, async, reset }), after a warm-up of each, in
 * interleaved rounds: per round, one batch of calls of each entry in turn (a batch is sized to
 * about batchMs of work, at least one call). Before each batch, untimed: the entry's reset(), if
 * it has one. A failing entry is reported as { error } and
 * dropped from later rounds.
 */
async function interleaved(entries, options) {
  const together = await interleavedGroup(entries.filter((e) => !isApart(e)), options);
  return entries.map((e) => {
    if (!isApart(e)) return together.shift();
    const slot = { pending: true };
    deferred.push({ entry: e, options, slot });
    return slot;
  });
}

// tfjs (and any entry marked `apart`: allocation-heavy variants such as jax-js without jit) is
// timed alone, after everything else has been measured: it is 20-5000x slower than the rest and
// leaves tens of MB of garbage per batch, which slowed whatever ran after it for a long while
// (on the test machine, run between the groups, it made the following Cotangent and jax-js MLP
// steps ~40% slower). The close comparison, Cotangent against jax-js, is interleaved.
const deferred = [];
const isApart = (e) => e.name === "tfjs" || e.apart;
async function runDeferred() {
  for (const { entry, options, slot } of deferred.splice(0)) {
    const [r] = await interleavedGroup([entry], options);
    delete slot.pending;
    Object.assign(slot, r);
  }
}
/** What to print, once the deferred measurements are in: one function per part. */
const reports = [];

/** A progress line on stderr, when it is a terminal (the tables come at the end). */
function progress(what) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K  measuring ${what}...`);
}

async function interleavedGroup(entries, { rounds, batchMs, warmupMs, minWarmupCalls = 2, label = "" }) {
  progress(`${label} ${entries.map((e) => e.name).join(", ")}`.trim());
  const live = entries.map((e) => ({ ...e, samples: [], perBatch: 1, error: undefined }));
  const runBatch = async (e, n) => {
    // (Untimed) back to the same starting state. No forced gc() here: a full collection before
    // each batch makes jax-js's next batch ~50% slower (it drops what jax-js keeps weakly).
    e.reset?.();
    const t0 = performance.now();
    if (e.async) for (let i = 0; i < n; i++) await e.call();
    else for (let i = 0; i < n; i++) e.call();
    return (performance.now() - t0) / 1000 / n;
  };
  for (const e of live) {
    try {
      const until = performance.now() + warmupMs;
      let calls = 0;
      let batch = 1;
      let seconds = 0;
      while (calls < minWarmupCalls || performance.now() < until) {
        seconds = await runBatch(e, batch);
        calls += batch;
        if (seconds * batch < 0.002) batch *= 2;
      }
      e.perBatch = Math.max(1, Math.round(batchMs / 1000 / seconds));
    } catch (err) {
      e.error = err;
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const e of live) {
      if (e.error) continue;
      try {
        e.samples.push(await runBatch(e, e.perBatch));
      } catch (err) {
        e.error = err;
      }
    }
  }
  return live.map((e) => (e.error ? { error: e.error } : { seconds: median(e.samples), samples: e.samples.length, perBatch: e.perBatch }));
}

// ---------------------------------------------------------------------------------------------
// Output

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const met = (ok) => (ok === undefined ? "" : ok ? paint(32, "met") : paint(31, "missed"));
const strip = (s) => String(s).replace(/\x1b\[[0-9;]*m/g, "");

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(strip(h).length, ...rows.map((r) => strip(r[i] ?? "").length)));
  const line = (cells) =>
    "  " +
    cells
      .map((c, i) => {
        const s = String(c ?? "");
        const pad = widths[i] - strip(s).length;
        return i === 0 ? s + " ".repeat(pad) : " ".repeat(pad) + s;
      })
      .join("  ");
  console.log(line(headers));
  console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

const fmtTime = (s) => (s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : s >= 1e-6 ? `${(s * 1e6).toFixed(2)} µs` : `${(s * 1e9).toFixed(0)} ns`);
const fmtRatio = (r) => (r === undefined ? "" : r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`);
const failed = [];
/** A cell for a peer's measurement: the figure, "not installed", or "failed". */
function peerCell(peer, result, format) {
  if (!peer.tf && !peer.jax) return peer.problem?.startsWith("skipped") ? "skipped" : "not installed";
  if (!result) return "";
  if (result.error) return "failed";
  return format(result);
}

const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
console.log(`Cotangent tensor benchmarks${QUICK ? " (--quick)" : ""}`);
console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${os.platform()} ${os.arch()}, Node ${process.version}`);
console.log(
  `peers: tfjs ${tf ? `${tfjs.version} (cpu backend)` : `not installed${tfjs.problem !== "not installed" ? ` (${tfjs.problem})` : ""}`}; ` +
    `jax-js ${jax ? `${jaxjs.version} (wasm backend, ${jaxjs.threads})` : `not installed${jaxjs.problem !== "not installed" ? ` (${jaxjs.problem})` : ""}`}`,
);
console.log(`Cotangent float32 matmul: ${kernels.wasmKernelsAvailable() ? "WebAssembly SIMD kernel" : "JavaScript loop (no WebAssembly SIMD)"}\n`);

const TFJS = { tf, problem: tfjs.problem };
const JAX = { jax, problem: jaxjs.problem };
const TF_NAME = `tfjs ${tf ? tfjs.version : ""} cpu`.replace("  ", " ");
const JAX_NAME = `jax-js ${jax ? jaxjs.version : ""} wasm`.replace("  ", " ");
const HEADERS = ["benchmark", "Cotangent", TF_NAME, JAX_NAME, "vs tfjs", "vs jax-js", "target", ""];
const allRows = [];
const notes = [];

function reportError(what, err) {
  failed.push(what);
  console.error(`${what} failed: ${err?.stack ?? err}`);
}

// ---------------------------------------------------------------------------------------------
// (1) float32 matmul

function seededFloat32(n, seed) {
  return ct.randomUniform([n], { seed, min: -1, max: 1, dtype: "float32" }).dataSync();
}

const matmulRows = [];
for (const n of runs("matmul") ? [256, 512, 1024] : []) {
  const aData = seededFloat32(n * n, 10 + n);
  const bData = seededFloat32(n * n, 20 + n);
  const entries = [];
  const A = ct.tensor(aData, [n, n], "float32");
  const B = ct.tensor(bData, [n, n], "float32");
  const ctC = ct.matmul(A, B);
  if (ctC.dtype !== "float32") throw new Error(`Cotangent matmul of float32 tensors gave ${ctC.dtype}`);
  // Check one entry against a float64 dot product, so the timings are of correct code.
  const want = (i, j) => {
    let s = 0;
    for (let p = 0; p < n; p++) s += aData[i * n + p] * bData[p * n + j];
    return s;
  };
  const check = (name, value, i, j) => {
    if (!(Math.abs(value - want(i, j)) <= 1e-3 * Math.sqrt(n))) throw new Error(`${name} matmul ${n}: C[${i}, ${j}] = ${value}, want ${want(i, j)}`);
  };
  check("Cotangent", ctC.values[(n - 1) * n + 3], n - 1, 3);
  entries.push({
    name: "cotangent",
    call: () => {
      sink += ct.matmul(A, B).values[0];
    },
  });
  let tfA, tfB, jA, jB, jmm;
  if (tf) {
    try {
      tfA = tf.tensor2d(aData, [n, n], "float32");
      tfB = tf.tensor2d(bData, [n, n], "float32");
      const c = tf.matMul(tfA, tfB);
      check("tfjs", c.dataSync()[(n - 1) * n + 3], n - 1, 3);
      c.dispose();
      entries.push({
        name: "tfjs",
        call: () => {
          const c = tf.matMul(tfA, tfB);
          sink += c.dataSync()[0];
          c.dispose();
        },
      });
    } catch (e) {
      reportError(`tfjs matmul ${n}`, e);
      entries.push({ name: "tfjs", call: () => { throw e; } });
    }
  }
  if (jax) {
    try {
      const np = jax.numpy;
      jA = np.array(aData).reshape([n, n]);
      jB = np.array(bData).reshape([n, n]);
      jmm = jax.jit((a, b) => np.matmul(a, b));
      const c = jmm(jA.ref, jB.ref);
      check("jax-js", (await c.data())[(n - 1) * n + 3], n - 1, 3);
      entries.push({
        name: "jax",
        async: true,
        call: async () => {
          const c = jmm(jA.ref, jB.ref);
          await c.blockUntilReady();
          c.dispose();
        },
      });
    } catch (e) {
      reportError(`jax-js matmul ${n}`, e);
      entries.push({ name: "jax", call: () => { throw e; } });
    }
  }
  const results = await interleaved(entries, {
    rounds: QUICK ? 3 : 7,
    batchMs: n === 1024 ? (QUICK ? 100 : 200) : QUICK ? 30 : 60,
    warmupMs: QUICK ? 100 : 400,
    minWarmupCalls: QUICK ? 1 : 2, // (tfjs's 1024 product takes seconds)
    label: `matmul ${n}:`,
  });
  const by = Object.fromEntries(entries.map((e, i) => [e.name, results[i]]));
  if (by.cotangent.error) throw by.cotangent.error;
  jA?.dispose();
  jB?.dispose();
  jmm?.dispose?.();
  reports.push(() => {
    for (const [name, r] of Object.entries(by)) if (r.error) reportError(`${name} matmul ${n}`, r.error);
    const gflops = (r) => (2 * n ** 3) / r.seconds / 1e9;
    const fmt = (r) => `${gflops(r).toFixed(1)} GFLOP/s`;
    const mine = gflops(by.cotangent);
    const vsTf = by.tfjs && !by.tfjs.error ? mine / gflops(by.tfjs) : undefined;
    const vsJax = by.jax && !by.jax.error ? mine / gflops(by.jax) : undefined;
    const row = [`matmul f32 ${n}×${n}×${n}`, fmt(by.cotangent), peerCell(TFJS, by.tfjs, fmt), peerCell(JAX, by.jax, fmt), fmtRatio(vsTf), fmtRatio(vsJax), ">= 1x jax-js", met(vsJax === undefined ? undefined : vsJax >= 1)];
    matmulRows.push(row);
    allRows.push(row);
    tfA?.dispose();
    tfB?.dispose();
  });
}
reports.push(() => {
  if (!matmulRows.length) return;
  console.log("(1) float32 matmul, GFLOP/s (median; higher is better; ratio = Cotangent / peer)\n");
  table(HEADERS, matmulRows);
});

// ---------------------------------------------------------------------------------------------
// (2) MLP training step

const BATCH = 64;
const SIZES = [784, 256, 128, 10];
const LR = 1e-3, BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
const KEYS = ["w1", "b1", "w2", "b2", "w3", "b3"];

/** Initial weights (He normal, zero biases), data and labels: the same for every framework. */
function initialModel() {
  const m = {};
  for (let l = 0; l < 3; l++) {
    m[`w${l + 1}`] = ct.randomNormal([SIZES[l], SIZES[l + 1]], { seed: 100 + l, stddev: Math.sqrt(2 / SIZES[l]), dtype: "float32" });
    m[`b${l + 1}`] = ct.zeros([SIZES[l + 1]], "float32");
  }
  return m;
}
const x = ct.randomNormal([BATCH, SIZES[0]], { seed: 7, dtype: "float32" });
const labels = ct.randomUniform([BATCH], { seed: 8, min: 0, max: 10, dtype: "int32" });
const labelValues = Int32Array.from(labels.values);
const shapeOf = (t) => [...t.shape];

// --- Cotangent
const vgLoss = ct.valueWithGradient(compiled.loss);
function checkFloat32(g) {
  for (const k of KEYS) if (g[k].dtype !== "float32") throw new Error(`Cotangent gradient ${k} is ${g[k].dtype}, not float32`);
}

// Every trainer starts from initialModel() and can be reset to it: the interleaved timing resets
// all of them before each timed batch (untimed), so every framework times steps 1..k of the same
// training run. (Thousands of steps on one batch drive the loss to 0 and the gradients and Adam's
// second moments into float32 denormals, which are slow on x86 and would time numerics, not code.)

/** Adam with Cotangent tensor ops: new tensors for the parameters and moments. */
function makeTensorOpsAdam() {
  let model, m, v, t;
  const reset = () => {
    model = initialModel();
    m = Object.fromEntries(KEYS.map((k) => [k, ct.zeros(shapeOf(model[k]), "float32")]));
    v = Object.fromEntries(KEYS.map((k) => [k, ct.zeros(shapeOf(model[k]), "float32")]));
    t = 0;
  };
  reset();
  return {
    reset,
    get model() {
      return model;
    },
    step() {
      const { value, gradient } = vgLoss(model, x, labels);
      t++;
      const c1 = 1 - BETA1 ** t, c2 = 1 - BETA2 ** t;
      const next = {}, nm = {}, nv = {};
      for (const k of KEYS) {
        const g = gradient[k];
        nm[k] = m[k].mul(BETA1).add(g.mul(1 - BETA1));
        nv[k] = v[k].mul(BETA2).add(g.square().mul(1 - BETA2));
        next[k] = model[k].sub(nm[k].mul(LR / c1).div(nv[k].div(c2).sqrt().add(EPS)));
      }
      model = next;
      m = nm;
      v = nv;
      return value.item();
    },
  };
}

/** Adam with the fused WebAssembly kernel adamUpdateF32 (moments as Float32Arrays). */
function makeFusedAdam() {
  let model, m, v, t;
  const reset = () => {
    model = initialModel();
    m = Object.fromEntries(KEYS.map((k) => [k, new Float32Array(model[k].size)]));
    v = Object.fromEntries(KEYS.map((k) => [k, new Float32Array(model[k].size)]));
    t = 0;
  };
  reset();
  return {
    reset,
    get model() {
      return model;
    },
    step() {
      const { value, gradient } = vgLoss(model, x, labels);
      t++;
      const c1 = 1 - BETA1 ** t, c2 = 1 - BETA2 ** t;
      const next = {};
      for (const k of KEYS) {
        // Tensors are immutable: the update goes into a copy, which becomes the new parameter.
        const p = model[k].values.slice();
        kernels.adamUpdateF32(p, gradient[k].values, m[k], v[k], LR, BETA1, BETA2, EPS, c1, c2);
        next[k] = new ct.Tensor(p, shapeOf(model[k]), "float32");
      }
      model = next;
      return value.item();
    },
  };
}

/** The nn package's Adam: `new Adam({ learningRate, ... })`, `model = optimizer.update(model, gradient)`. */
function makePackageAdam(Adam) {
  let model, opt;
  const reset = () => {
    model = initialModel();
    opt = new Adam({ learningRate: LR, beta1: BETA1, beta2: BETA2, epsilon: EPS });
    if (typeof opt.update !== "function") throw new Error("its Adam has no update(model, gradient) method");
  };
  reset();
  return {
    reset,
    get model() {
      return model;
    },
    step() {
      const { value, gradient } = vgLoss(model, x, labels);
      model = opt.update(model, gradient);
      return value.item();
    },
  };
}

// --- tfjs
function makeTfjs() {
  const init = initialModel();
  const initial = Object.fromEntries(KEYS.map((k) => [k, tf.tensor(init[k].values, shapeOf(init[k]), "float32")]));
  const vars = Object.fromEntries(KEYS.map((k) => [k, tf.variable(initial[k], true, `bench_${k}_${Math.random()}`)]));
  const tx = tf.tensor2d(x.values, [BATCH, SIZES[0]], "float32");
  const tOneHot = tf.oneHot(tf.tensor1d(labelValues, "int32"), 10).toFloat();
  const lossFn = () => {
    const h1 = tf.relu(tf.add(tf.matMul(tx, vars.w1), vars.b1));
    const h2 = tf.relu(tf.add(tf.matMul(h1, vars.w2), vars.b2));
    const logits = tf.add(tf.matMul(h2, vars.w3), vars.b3);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tOneHot), -1)));
  };
  let opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  return {
    reset() {
      for (const k of KEYS) vars[k].assign(initial[k]);
      opt.dispose();
      opt = tf.train.adam(LR, BETA1, BETA2, EPS);
    },
    step() {
      const cost = opt.minimize(lossFn, true);
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    },
    valueAndGrad() {
      const { value, grads } = tf.variableGrads(lossFn);
      const l = value.dataSync()[0];
      for (const k of Object.keys(grads)) {
        grads[k].dataSync();
        grads[k].dispose();
      }
      value.dispose();
      return l;
    },
  };
}

// --- jax-js
function makeJax() {
  const np = jax.numpy;
  const init = initialModel();
  let params, m, v, t;
  const reset = () => {
    if (params) jax.tree.dispose([params, m, v]);
    params = Object.fromEntries(KEYS.map((k) => [k, np.array(init[k].values).reshape(shapeOf(init[k]))]));
    m = Object.fromEntries(KEYS.map((k) => [k, np.zeros(shapeOf(init[k]), { dtype: np.float32 })]));
    v = Object.fromEntries(KEYS.map((k) => [k, np.zeros(shapeOf(init[k]), { dtype: np.float32 })]));
    t = 0;
  };
  reset();
  const jx = np.array(x.values).reshape([BATCH, SIZES[0]]);
  const oneHot = new Float32Array(BATCH * 10);
  for (let i = 0; i < BATCH; i++) oneHot[i * 10 + labelValues[i]] = 1;
  const jy = np.array(oneHot).reshape([BATCH, 10]);
  // Ownership: every argument is consumed once (`.ref` where a value is used again).
  const loss = (p, xb, yb) => {
    const h1 = jax.nn.relu(np.matmul(xb, p.w1).add(p.b1));
    const h2 = jax.nn.relu(np.matmul(h1, p.w2).add(p.b2));
    const logits = np.matmul(h2, p.w3).add(p.b3);
    return np.mean(np.sum(jax.nn.logSoftmax(logits, -1).mul(yb), -1)).neg();
  };
  const valueAndGrad = jax.jit(jax.valueAndGrad(loss));
  // One jit'd step: value and gradient, then Adam (c1 = 1 - β1^t and c2 = 1 - β2^t as arguments).
  const step = jax.jit((p, mm, vv, xb, yb, c1, c2) => {
    const [value, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), xb, yb);
    const np2 = {}, nm = {}, nv = {};
    for (const k of KEYS) {
      const gk = g[k];
      nm[k] = mm[k].mul(BETA1).add(gk.ref.mul(1 - BETA1));
      nv[k] = vv[k].mul(BETA2).add(np.square(gk).mul(1 - BETA2));
      const update = nm[k].ref.div(c1.ref).mul(LR).div(np.sqrt(nv[k].ref.div(c2.ref)).add(EPS));
      np2[k] = p[k].sub(update);
    }
    c1.dispose();
    c2.dispose();
    return [value, np2, nm, nv];
  });
  return {
    reset,
    async step() {
      t++;
      const c1 = np.array(1 - BETA1 ** t);
      const c2 = np.array(1 - BETA2 ** t);
      const [value, p2, m2, v2] = step(params, m, v, jx.ref, jy.ref, c1, c2);
      params = p2;
      m = m2;
      v = v2;
      await jax.blockUntilReady([params, m, v]);
      return (await value.data())[0];
    },
    async valueAndGrad() {
      const [value, grads] = valueAndGrad(jax.tree.ref(params), jx.ref, jy.ref);
      await jax.blockUntilReady(grads);
      jax.tree.dispose(grads);
      return (await value.data())[0];
    },
  };
}

const mlpRows = [];
if (runs("mlp")) {
  const pkg = await findCotangentAdam();
  // The step with the target: the nn package's Adam when there is one, else Adam written with
  // tensor ops. The other Adam variants are timed too, for the record (Cotangent only).
  let ctStep, adamLabel;
  if (pkg) {
    try {
      ctStep = makePackageAdam(pkg.Adam);
      const l = ctStep.step();
      if (!Number.isFinite(l)) throw new Error(`loss ${l}`);
      adamLabel = `Adam of ${pkg.from} (new Adam({ learningRate }), model = adam.update(model, gradient))`;
    } catch (e) {
      notes.push(`found Adam in ${pkg.from} but could not use it (${e.message}); the step used Adam written with Cotangent tensor ops`);
      ctStep = undefined;
    }
  }
  const tensorOpsAdam = makeTensorOpsAdam();
  const fused = makeFusedAdam();
  if (!ctStep) {
    ctStep = tensorOpsAdam;
    adamLabel = "Adam written with Cotangent tensor ops (no Adam in @cotangent/nn or the runtime)";
  }
  const variants = [
    ...(ctStep !== tensorOpsAdam ? [["tensorOps", "  Cotangent step, Adam with tensor ops", tensorOpsAdam]] : []),
    ["fused", "  Cotangent step, fused adamUpdateF32", fused],
  ];
  // Sanity: the same first loss everywhere, and falling over a few steps.
  const firstLoss = vgLoss(initialModel(), x, labels);
  checkFloat32(firstLoss.gradient);
  const l0 = firstLoss.value.item();
  const tfm = tf ? (() => { try { return makeTfjs(); } catch (e) { reportError("tfjs MLP setup", e); return undefined; } })() : undefined;
  const jm = jax ? (() => { try { return makeJax(); } catch (e) { reportError("jax-js MLP setup", e); return undefined; } })() : undefined;
  const lossCheck = async (name, fn) => {
    const l = await fn();
    if (!(Math.abs(l - l0) <= 1e-3 * Math.max(1, Math.abs(l0)))) throw new Error(`${name}: first loss ${l}, Cotangent's is ${l0}`);
  };
  if (tfm) await lossCheck("tfjs", () => tfm.valueAndGrad()).catch((e) => reportError("tfjs MLP check", e));
  if (jm) await lossCheck("jax-js", () => jm.valueAndGrad()).catch((e) => reportError("jax-js MLP check", e));
  const fmt = (r) => fmtTime(r.seconds);
  const opts = { rounds: QUICK ? 5 : 15, batchMs: QUICK ? 60 : 150, warmupMs: QUICK ? 300 : 1000, minWarmupCalls: 5 };
  // Forward + gradient; then the whole step, with the Adam variants interleaved in the same rounds.
  const vgEntries = [{ name: "cotangent", call: () => { sink += vgLoss(ctStep.model, x, labels).value.item(); } }];
  if (tfm) vgEntries.push({ name: "tfjs", call: () => { sink += tfm.valueAndGrad(); } });
  if (jm) vgEntries.push({ name: "jax", async: true, call: async () => { sink += await jm.valueAndGrad(); } });
  const stepEntries = [{ name: "cotangent", reset: () => ctStep.reset(), call: () => { sink += ctStep.step(); } }];
  if (tfm) stepEntries.push({ name: "tfjs", reset: () => tfm.reset(), call: () => { sink += tfm.step(); } });
  if (jm) stepEntries.push({ name: "jax", reset: () => jm.reset(), async: true, call: async () => { sink += await jm.step(); } });
  for (const [kind, , v] of variants) stepEntries.push({ name: kind, apart: kind === "tensorOps", reset: () => v.reset(), call: () => { sink += v.step(); } });
  for (const e of stepEntries) e.reset?.();
  const measured = [];
  for (const [kind, label, entries] of [["vg", "MLP forward + gradient", vgEntries], ["step", "MLP step (fwd + grad + Adam)", stepEntries]]) {
    const results = await interleaved(entries, { ...opts, label: `MLP ${kind}:` });
    measured.push([kind, label, Object.fromEntries(entries.map((e, i) => [e.name, results[i]]))]);
  }
  reports.push(async () => {
    for (const [kind, label, by] of measured) {
      for (const [name, r] of Object.entries(by)) if (r.error) reportError(`${name} ${label}`, r.error);
      if (by.cotangent.error) continue;
      const ok = (r) => r && !r.error;
      const vsTf = ok(by.tfjs) ? by.tfjs.seconds / by.cotangent.seconds : undefined;
      const vsJax = ok(by.jax) ? by.jax.seconds / by.cotangent.seconds : undefined;
      const targeted = kind === "step";
      const tfCell = peerCell(TFJS, tfm ? by.tfjs : { error: true }, fmt);
      const jaxCell = peerCell(JAX, jm ? by.jax : { error: true }, fmt);
      mlpRows.push([label, fmt(by.cotangent), tfCell, jaxCell, fmtRatio(vsTf), fmtRatio(vsJax), targeted ? ">= 1x jax-js" : "(info)", targeted ? met(vsJax === undefined ? undefined : vsJax >= 1) : ""]);
      if (kind === "step") {
        for (const [vk, vlabel] of variants) {
          const r = by[vk];
          if (!ok(r)) continue;
          const vTf = ok(by.tfjs) ? by.tfjs.seconds / r.seconds : undefined;
          const vJax = ok(by.jax) ? by.jax.seconds / r.seconds : undefined;
          mlpRows.push([vlabel, fmt(r), "", "", fmtRatio(vTf), fmtRatio(vJax), "(info)", ""]);
        }
      }
    }
    // Training sanity: from the same start, 10 steps of each give (nearly) the same loss.
    const after10 = [];
    const trainers = [["Cotangent", ctStep], ...variants.map(([, label, v]) => [label.trim().replace("Cotangent step, ", "Cotangent, "), v])];
    if (tfm) trainers.push(["tfjs", tfm]);
    if (jm) trainers.push(["jax-js", jm]);
    for (const [name, tr] of trainers) {
      tr.reset();
      let l;
      for (let i = 0; i < 11; i++) l = await tr.step(); // the 11th step's value is the loss after 10 updates
      after10.push([name, l]);
      tr.reset();
    }
    const ref10 = after10[0][1];
    for (const [name, l] of after10) {
      if (!(Math.abs(l - ref10) <= 0.02 * Math.abs(ref10) + 1e-3)) notes.push(`MLP: after 10 Adam steps ${name}'s loss is ${l}, Cotangent's ${ref10}: the frameworks do not compute the same step`);
    }
    console.log(`\n(2) one training step of a 784-256-128-10 relu MLP, cross-entropy, batch ${BATCH}, float32 (median time per step; ratio = peer / Cotangent)\n`);
    table(HEADERS, mlpRows);
    console.log(`\n  Cotangent's step: valueWithGradient(loss)(model, x, labels) + ${adamLabel}.`);
    console.log(`  For the record (Cotangent only, same gradient): Adam with tensor ops (m, v, p as new tensors); fused adamUpdateF32 (wasm, moments in Float32Arrays, p copied).`);
    console.log(`  tfjs: tf.train.adam + optimizer.minimize(f, true).dataSync(); forward + gradient: tf.variableGrads.`);
    console.log(`  jax-js: one jit of valueAndGrad(loss) + Adam written with jax-js ops, blockUntilReady; forward + gradient: jit(valueAndGrad(loss)).`);
    console.log(`  loss: ${l0.toFixed(4)} at the start; after 10 Adam steps: ${after10.map(([n, l]) => `${n} ${l.toFixed(4)}`).join(", ")}`);
    allRows.push(...mlpRows);
  });
}

// ---------------------------------------------------------------------------------------------
// (3) gradient of scalar-heavy code

const scalarRows = [];
if (runs("scalar")) {
  const X0 = 0.37;
  const f = compiled.scalarHeavy;
  const g = compiled.scalarHeavyGradient;
  const h = 1e-6;
  const fd = (f(X0 + h) - f(X0 - h)) / (2 * h);
  const want = g(X0);
  if (!(Math.abs(want - fd) <= 1e-5 * Math.max(1, Math.abs(fd)))) throw new Error(`Cotangent scalar gradient ${want} disagrees with finite difference ${fd}`);
  const INPUTS = Array.from({ length: 64 }, (_, i) => 0.2 + (0.4 * i) / 63);
  let k = 0;
  let k2 = 0;
  const entries = [
    { name: "cotangent", call: () => { sink += g(INPUTS[k++ & 63]); } },
    { name: "plain", call: () => { sink += f(INPUTS[k2++ & 63]); } }, // f itself, for the record
  ];
  const close = (name, got) => {
    if (!(Math.abs(got - want) <= 1e-3 * Math.max(1, Math.abs(want)))) throw new Error(`${name} gradient at ${X0} = ${got}, Cotangent says ${want}`);
  };
  if (tf) {
    try {
      const tfF = (xs) => {
        let y = xs;
        for (let i = 0; i < 200; i++) y = tf.add(tf.mul(y, 0.9), tf.mul(tf.sin(tf.mul(xs, y)), 0.1));
        return y;
      };
      const tfG = tf.grad(tfF);
      const call = (x0) => tf.tidy(() => tfG(tf.scalar(x0)).dataSync()[0]);
      close("tf.grad", call(X0));
      let j = 0;
      entries.push({ name: "tfjs", call: () => { sink += call(INPUTS[j++ & 63]); } });
    } catch (e) {
      reportError("tfjs scalar gradient", e);
      entries.push({ name: "tfjs", call: () => { throw e; } });
    }
  }
  let jg;
  if (jax) {
    try {
      const np = jax.numpy;
      // Ownership: x is used 201 times (.ref, then disposed); y twice per iteration.
      const jf = (xs) => {
        let y = xs.ref;
        for (let i = 0; i < 200; i++) y = y.ref.mul(0.9).add(np.sin(xs.ref.mul(y)).mul(0.1));
        xs.dispose();
        return y;
      };
      jg = jax.jit(jax.grad(jf));
      const call = (x0) => jg(np.array(x0)).dataSync()[0];
      close("jax-js jit(grad)", call(X0));
      let j = 0;
      entries.push({ name: "jax", call: () => { sink += call(INPUTS[j++ & 63]); } });
      // For the record: the same gradient without jit (op by op, as tf.grad works).
      const eager = jax.grad(jf);
      const callEager = (x0) => eager(np.array(x0)).dataSync()[0];
      close("jax-js grad", callEager(X0));
      let j2 = 0;
      entries.push({ name: "jaxEager", apart: true, call: () => { sink += callEager(INPUTS[j2++ & 63]); } });
    } catch (e) {
      reportError("jax-js scalar gradient", e);
      entries.push({ name: "jax", call: () => { throw e; } });
    }
  }
  const results = await interleaved(entries, { rounds: QUICK ? 5 : 21, batchMs: QUICK ? 30 : 60, warmupMs: QUICK ? 200 : 500, label: "scalar gradient:" });
  const by = Object.fromEntries(entries.map((e, i) => [e.name, results[i]]));
  if (by.cotangent.error) throw by.cotangent.error;
  reports.push(() => {
    for (const [name, r] of Object.entries(by)) if (r.error) reportError(`${name} scalar gradient`, r.error);
    const fmt = (r) => fmtTime(r.seconds);
    const vsTf = by.tfjs && !by.tfjs.error ? by.tfjs.seconds / by.cotangent.seconds : undefined;
    const vsJax = by.jax && !by.jax.error ? by.jax.seconds / by.cotangent.seconds : undefined;
    const bothMet = [vsTf, vsJax].filter((r) => r !== undefined);
    scalarRows.push(["gradient, 1000 scalar ops", fmt(by.cotangent), peerCell(TFJS, by.tfjs, fmt), peerCell(JAX, by.jax, fmt), fmtRatio(vsTf), fmtRatio(vsJax), ">= 100x both", met(bothMet.length ? bothMet.every((r) => r >= 100) : undefined)]);
    if (by.plain && !by.plain.error) {
      const pTf = by.tfjs && !by.tfjs.error ? by.tfjs.seconds / by.plain.seconds : undefined;
      const pJax = by.jax && !by.jax.error ? by.jax.seconds / by.plain.seconds : undefined;
      scalarRows.push(["  f(x) itself, no gradient", fmt(by.plain), "", "", fmtRatio(pTf), fmtRatio(pJax), "(info)", ""]);
    }
    if (by.jaxEager && !by.jaxEager.error) {
      scalarRows.push(["  jax-js grad(f) without jit", "", "", fmt(by.jaxEager), "", fmtRatio(by.jaxEager.seconds / by.cotangent.seconds), "(info)", ""]);
    }
    console.log(`\n(3) gradient of 200 iterations of y = y * 0.9 + Math.sin(x * y) * 0.1 (1000 number ops; median per call; ratio = peer / Cotangent)\n`);
    table(HEADERS, scalarRows);
    console.log(`\n  Cotangent: gradient(f)(x) of the marked function (plain numbers); tfjs: tf.grad on tf.scalar ops in tf.tidy, dataSync; jax-js: jit(grad(f))(np.array(x)).dataSync().`);
    console.log(`  The info rows: plain f(x) (the ratios are peer gradient / plain f), and jax-js grad(f) without jit (ratio = it / Cotangent's gradient).`);
    allRows.push(...scalarRows);
  });
}

// ---------------------------------------------------------------------------------------------
// (4) map(f) of a ten-op kernel function against the same ten tensor ops, at 1M elements

if (runs("map")) {
  const n = QUICK ? 1 << 18 : 1 << 20;
  const x = ct.tensor(seededFloat32(n, 7), [n]);
  const y = ct.tensor(seededFloat32(n, 8), [n]);
  const mapped = compiled.tenOpsMapped(x, y).dataSync();
  const chained = compiled.tenOpsChain(x, y).dataSync();
  for (let i = 0; i < n; i += 997)
    if (!(Math.abs(mapped[i] - chained[i]) <= 1e-5 * Math.max(1, Math.abs(chained[i])))) throw new Error(`map(tenOps) ${mapped[i]} differs from the op chain ${chained[i]} at ${i}`);
  const entries = [
    { name: "map", call: () => { sink += compiled.tenOpsMapped(x, y).size; } },
    { name: "chain", call: () => { sink += compiled.tenOpsChain(x, y).size; } },
  ];
  const results = await interleaved(entries, { rounds: QUICK ? 5 : 11, batchMs: QUICK ? 60 : 200, warmupMs: QUICK ? 200 : 600, label: "map(f):" });
  const [m, c] = results;
  if (m.error) throw m.error;
  reports.push(() => {
    const ratio = c.seconds / m.seconds;
    const rows = [
      ["map(f), 10-op kernel, 1M elements", fmtTime(m.seconds), "", "", "", "", ">= 3x the op chain", met(ratio >= 3)],
      ["  the same as 10 tensor ops", fmtTime(c.seconds), "", "", "", "", `(map is ${ratio.toFixed(1)}x)`, ""],
    ];
    console.log(`\n(4) map(tenOps)(x, y) against the same ten tensor ops (float32, ${n} elements; CPU)\n`);
    table(HEADERS, rows);
    allRows.push(...rows);
  });
}

// ---------------------------------------------------------------------------------------------
// Summary

await runDeferred();
if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
for (const report of reports) await report();

console.log(`\nsummary (higher ratio = Cotangent faster)\n`);
table(HEADERS, allRows);
for (const n of notes) console.log(`\n  note: ${n}`);
console.log(`\n  ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
if (sink === 42) console.log("");
if (failed.length) {
  console.error(`\nfailed to run: ${failed.join(", ")}`);
  process.exit(1);
}
