#!/usr/bin/env node
// `npm run bench`: Cotangent's speed targets, measured as ratios in this one process.
//
//  (a) Run time: the generated gradient of scalar code costs at most 2.5x the plain function.
//      Six functions (a tanh chain, two spring simulations with branches, Horner's rule, a loop
//      with a three-way branch, a reduction over an array) are compiled with @cotangent/babel-plugin in-process; plain `f(x)` and
//      `g(x)` with `g = gradient(f)` (built once, as an application would) are timed in
//      alternating batches after a warm-up; the median time per call of each is reported. Beside
//      them, `valueWithGradient(f)(x)` over the plain time (no target: it also returns the value).
//  (b) Build time: transforming a file with 20 marked functions with @babel/preset-typescript +
//      the plugin costs at most 1.3x preset-typescript alone (median of many transforms).
//
// Optional column: `tf.grad` of @tensorflow/tfjs (cpu backend) on the same scalar functions, if
// tfjs is installed (not a dependency of this repository: ~300 MB): resolved from the repository,
// or from the directory in COTANGENT_BENCH_TFJS (a folder where `npm i @tensorflow/tfjs` was run).
//
// Options: --quick (fewer repetitions). A benchmark, not a test: exits 0 on a miss.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, "package.json"));
const QUICK = process.argv.includes("--quick");

const babel = require("@babel/core");
let plugin;
try {
  plugin = require("@cotangent/babel-plugin").default;
} catch (e) {
  console.error(`cannot load @cotangent/babel-plugin (${e.message.split("\n")[0]}); run \`npm run build\` first.`);
  process.exit(1);
}
const presetTs = require.resolve("@babel/preset-typescript");
const toCjs = require.resolve("@babel/plugin-transform-modules-commonjs");

// ---------------------------------------------------------------------------------------------
// (a) scalar code

const SCALAR_SOURCE = `
import { gradient, valueWithGradient } from "@cotangent/runtime";

/** tanh applied 10 times */
/** @differentiable */
export function tanh10(x: number): number {
  let y = x;
  for (let i = 0; i < 10; i++) {
    y = Math.tanh(y);
  }
  return y;
}

/** 1000 steps of a spring with a different stiffness on each side: one branch per step */
/** @differentiable */
export function simulate(x: number): number {
  let pos = x;
  let vel = 0;
  for (let i = 0; i < 1000; i++) {
    let force = 0;
    if (pos > 0) {
      force = -4 * pos;
    } else {
      force = -9 * pos - 0.1 * vel;
    }
    vel = vel + 0.01 * force;
    pos = pos + 0.01 * vel;
  }
  return pos;
}

const C = [1, -0.5, 0.25, 0.3, -0.1, 0.05, 0.02, -0.01, 0.004, 0.002,
           -0.001, 0.0005, 0.0002, -0.0001, 0.00005, 0.00002, -0.00001, 0.000005, 0.000002, -0.000001];

/** 20-term polynomial by Horner's rule */
/** @differentiable */
export function horner(x: number): number {
  let r = 0;
  for (let i = 19; i >= 0; i--) {
    r = r * x + C[i];
  }
  return r;
}

/** A damped spring against a wall, by explicit Euler: 1000 steps, a bounce (branch) when it hits */
/** @differentiable */
export function spring(x0: number): number {
  let x = x0;
  let v = 0;
  for (let i = 0; i < 1000; i++) {
    const a = -4 * x - 0.1 * v;
    v = v + 0.01 * a;
    x = x + 0.01 * v;
    if (x < -0.5) {
      x = -1 - x;
      v = -0.8 * v;
    }
  }
  return x;
}

/** A loop with a three-way branch on a value computed from x */
/** @differentiable */
export function piecewise(x: number): number {
  let s = 0;
  for (let i = 0; i < 100; i++) {
    const t = (x * (i - 50)) / 50;
    if (t > 0.3) {
      s = s + t * t;
    } else if (t < -0.3) {
      s = s - t;
    } else {
      s = s + Math.sin(t);
    }
  }
  return s;
}

const DATA = [0.3, -1.2, 0.8, 2.1, -0.4, 1.5, -2.2, 0.05, 0.9, -0.7, 1.1, -1.6, 0.2, 0.6, -0.9, 1.8,
              -0.1, 0.4, -1.4, 2.4, -0.6, 1.3, -2.0, 0.7, 0.1, -0.3, 1.9, -1.1, 0.5, -0.8, 1.6, -2.4];

/** A reduction over an array: the sum of softplus(c * x) over 32 data points */
/** @differentiable */
export function softplusSum(x: number): number {
  let s = 0;
  for (const c of DATA) {
    s = s + Math.log(1 + Math.exp(c * x));
  }
  return s;
}

export const grads = {
  tanh10: gradient(tanh10),
  simulate: gradient(simulate),
  horner: gradient(horner),
  spring: gradient(spring),
  piecewise: gradient(piecewise),
  softplusSum: gradient(softplusSum),
};

export const valueGrads = {
  tanh10: valueWithGradient(tanh10),
  simulate: valueWithGradient(simulate),
  horner: valueWithGradient(horner),
  spring: valueWithGradient(spring),
  piecewise: valueWithGradient(piecewise),
  softplusSum: valueWithGradient(softplusSum),
};
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let sink = 0;
const INPUTS = Array.from({ length: 64 }, (_, i) => -0.9 + (1.8 * i) / 63);

/** Time per call (ns) of fn over `perBatch` calls, as one sample. */
function sample(fn, perBatch) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < perBatch; i++) {
    const r = fn(INPUTS[i & 63]);
    sink += typeof r === "number" ? r : 0;
  }
  return Number(process.hrtime.bigint() - t0) / perBatch;
}

/** Median ns/call of each function, sampled in alternation so drift affects all alike. */
function timeAlternating(fns, { targetBatchNs = 2e6, batches = QUICK ? 31 : 101, warmupMs = QUICK ? 100 : 300 } = {}) {
  // Warm up (JIT) and size the batches to about targetBatchNs each.
  const perBatch = fns.map((fn) => {
    const until = performance.now() + warmupMs;
    let n = 0;
    const t0 = performance.now();
    while (performance.now() < until) {
      sink += sample(fn, 16);
      n += 16;
    }
    const nsPerCall = ((performance.now() - t0) * 1e6) / n;
    return Math.max(1, Math.round(targetBatchNs / nsPerCall));
  });
  const samples = fns.map(() => []);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < fns.length; i++) samples[i].push(sample(fns[i], perBatch[i]));
  }
  return samples.map(median);
}

function loadTfjs() {
  const bases = [root, process.env.COTANGENT_BENCH_TFJS].filter(Boolean);
  for (const base of bases) {
    const req = createRequire(path.join(path.resolve(base), "noop.js"));
    let tf;
    try {
      tf = req("@tensorflow/tfjs"); // (tfjs-core alone has no gradients registered under Node's require)
    } catch {
      continue; // not installed here
    }
    tf.env().set("IS_TEST", true); // no "install tfjs-node" banner
    tf.setBackend("cpu");
    return { tf, version: tf.version_core ?? "?" };
  }
  return undefined;
}

/** The same three functions written with tfjs ops (branch as a mask), differentiated by tf.grad. */
function tfjsGradients(tf) {
  const DATA = [0.3, -1.2, 0.8, 2.1, -0.4, 1.5, -2.2, 0.05, 0.9, -0.7, 1.1, -1.6, 0.2, 0.6, -0.9, 1.8,
                -0.1, 0.4, -1.4, 2.4, -0.6, 1.3, -2.0, 0.7, 0.1, -0.3, 1.9, -1.1, 0.5, -0.8, 1.6, -2.4];
  const C = [1, -0.5, 0.25, 0.3, -0.1, 0.05, 0.02, -0.01, 0.004, 0.002, -0.001, 0.0005, 0.0002, -0.0001, 0.00005, 0.00002, -0.00001, 0.000005, 0.000002, -0.000001];
  const fs = {
    tanh10: (x) => {
      let y = x;
      for (let i = 0; i < 10; i++) y = tf.tanh(y);
      return y;
    },
    simulate: (x) => {
      let pos = x;
      let vel = tf.scalar(0);
      for (let i = 0; i < 1000; i++) {
        // the branch as a 0/1 mask (tf.step has a zero gradient; tf.greater has none registered)
        const right = tf.step(pos);
        const force = tf.add(tf.mul(right, tf.mul(-4, pos)), tf.mul(tf.sub(1, right), tf.sub(tf.mul(-9, pos), tf.mul(0.1, vel))));
        vel = tf.add(vel, tf.mul(0.01, force));
        pos = tf.add(pos, tf.mul(0.01, vel));
      }
      return pos;
    },
    horner: (x) => {
      let r = tf.scalar(0);
      for (let i = 19; i >= 0; i--) r = tf.add(tf.mul(r, x), C[i]);
      return r;
    },
    spring: (x0) => {
      let x = x0;
      let v = tf.scalar(0);
      for (let i = 0; i < 1000; i++) {
        const a = tf.sub(tf.mul(-4, x), tf.mul(0.1, v));
        v = tf.add(v, tf.mul(0.01, a));
        x = tf.add(x, tf.mul(0.01, v));
        const hit = tf.step(tf.sub(-0.5, x)); // the bounce as a 0/1 mask
        x = tf.add(tf.mul(hit, tf.sub(-1, x)), tf.mul(tf.sub(1, hit), x));
        v = tf.add(tf.mul(hit, tf.mul(-0.8, v)), tf.mul(tf.sub(1, hit), v));
      }
      return x;
    },
    piecewise: (x) => {
      let s = tf.scalar(0);
      for (let i = 0; i < 100; i++) {
        const t = tf.div(tf.mul(x, i - 50), 50);
        const hi = tf.step(tf.sub(t, 0.3));
        const lo = tf.step(tf.sub(-0.3, t));
        const mid = tf.sub(tf.sub(1, hi), lo);
        s = tf.add(s, tf.add(tf.add(tf.mul(hi, tf.mul(t, t)), tf.mul(lo, tf.neg(t))), tf.mul(mid, tf.sin(t))));
      }
      return s;
    },
    softplusSum: (x) => tf.sum(tf.softplus(tf.mul(tf.tensor1d(DATA), x))),
  };
  const out = {};
  for (const [name, f] of Object.entries(fs)) {
    const g = tf.grad(f);
    out[name] = (x) => tf.tidy(() => g(tf.scalar(x)).dataSync()[0]);
  }
  return out;
}

const fmtNs = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const verdict = (ok) => (ok ? (color ? "\x1b[32mPASS\x1b[0m" : "PASS") : color ? "\x1b[31mMISS\x1b[0m" : "MISS");

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).replace(/\x1b\[[0-9;]*m/g, "").length)));
  const line = (cells) =>
    "  " + cells.map((c, i) => {
      const s = String(c);
      const pad = widths[i] - s.replace(/\x1b\[[0-9;]*m/g, "").length;
      return i === 0 ? s + " ".repeat(pad) : " ".repeat(pad) + s;
    }).join("  ");
  console.log(line(headers));
  console.log("  " + widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

console.log(`Cotangent benchmarks (node ${process.version}${QUICK ? ", --quick" : ""})\n`);

const mod = compileAndLoad(SCALAR_SOURCE, "bench-scalar.ts");
// Sanity: gradients against central differences, so the timings are of correct code.
const NAMES = ["tanh10", "simulate", "horner", "spring", "piecewise", "softplusSum"];
for (const name of NAMES) {
  const f = mod[name];
  const x = 0.37;
  const h = 1e-6;
  const fd = (f(x + h) - f(x - h)) / (2 * h);
  const g = mod.grads[name](x);
  if (!(Math.abs(g - fd) <= 1e-5 * Math.max(1, Math.abs(fd)))) {
    console.error(`${name}: gradient ${g} disagrees with finite difference ${fd}`);
    process.exit(1);
  }
  const vg = mod.valueGrads[name](x);
  if (vg.value !== f(x) || vg.gradient !== g) {
    console.error(`${name}: valueWithGradient gave ${JSON.stringify(vg)}, not { value: ${f(x)}, gradient: ${g} }`);
    process.exit(1);
  }
}

const tfjs = loadTfjs();
let tfGrads = tfjs ? tfjsGradients(tfjs.tf) : undefined;
let tfjsProblem = tfjs ? undefined : "@tensorflow/tfjs not installed; see COTANGENT_BENCH_TFJS in e2e/bench/run.mjs";
if (tfGrads) {
  try {
    for (const name of Object.keys(tfGrads)) {
      const g = tfGrads[name](0.37);
      const want = mod.grads[name](0.37);
      if (!(Math.abs(g - want) < 1e-3 * Math.max(1, Math.abs(want)))) throw new Error(`tf.grad(${name})(0.37) = ${g}, cotangent says ${want}`);
    }
  } catch (e) {
    tfjsProblem = `tfjs failed: ${e.message}`;
    tfGrads = undefined;
  }
}
const RATIO_TARGET = 2.5;
const rows = [];
for (const name of NAMES) {
  const [plain, grad, valueGrad] = timeAlternating([mod[name], mod.grads[name], mod.valueGrads[name]]);
  const ratio = grad / plain;
  const row = [name, fmtNs(plain), fmtNs(grad), `${ratio.toFixed(2)}x`, verdict(ratio <= RATIO_TARGET), `${(valueGrad / plain).toFixed(2)}x`];
  if (tfGrads?.[name]) {
    const [tfTime] = timeAlternating([tfGrads[name]], { targetBatchNs: 2e7, batches: QUICK ? 5 : 15, warmupMs: 200 });
    row.push(fmtNs(tfTime), `${(tfTime / grad).toFixed(0)}x`);
  } else if (tfGrads) row.push("-", "-");
  rows.push(row);
}
console.log(`(a) gradient of scalar code vs. the plain function (target: <= ${RATIO_TARGET}x; median per call)\n`);
const headers = ["function", "f(x)", "gradient(f)(x)", "ratio", "target", "valueWithGradient"];
if (tfGrads) headers.push(`tfjs ${tfjs.version} tf.grad (cpu)`, "tfjs / cotangent");
table(headers, rows);
if (!tfGrads) console.log(`\n  (tfjs column skipped: ${tfjsProblem})`);

// ---------------------------------------------------------------------------------------------
// (b) build time

function markedFunctions(n) {
  const bodies = [
    (i) => `export function f${i}(x: number, y: number): number {\n  const a = x * y + ${i};\n  const b = Math.sin(a) * Math.exp(-x * x);\n  return a * b - y / (1 + x * x);\n}`,
    (i) => `export function f${i}(x: number, n: number): number {\n  let s = 0;\n  for (let k = 0; k < n; k++) {\n    if (s > ${i + 10}) break;\n    s = s + x * k - Math.cos(s);\n  }\n  return s;\n}`,
    (i) => `export function f${i}(xs: number[]): number {\n  let total = 0;\n  for (const v of xs) {\n    total += v > 0 ? v * v : ${i} * v;\n  }\n  return total / xs.length;\n}`,
    (i) => `export function f${i}(p: { x: number; y: number }, k: number): number {\n  const d = Math.hypot(p.x, p.y) - ${i / 10};\n  const e = 0.5 * k * d * d;\n  return Math.log(1 + e) + Math.tanh(p.x) * p.y;\n}`,
  ];
  const out = [`import { differentiable } from "@cotangent/runtime";\n`, `const SCALE: number = 1.5;\n`];
  for (let i = 0; i < n; i++) out.push(`/** Function number ${i}. */\n/** @differentiable */\n${bodies[i % bodies.length](i)}\n`);
  out.push(`export const helper = (x: number): number => x * SCALE;\n`);
  return out.join("\n");
}

const FILE_SOURCE = markedFunctions(20);
const plainOptions = { filename: path.join(root, "bench-build.ts"), babelrc: false, configFile: false, presets: [presetTs] };
const pluginOptions = { ...plainOptions, plugins: [plugin] };
// `secondOrder: "exported"` also differentiates each exported mark's JVP (second derivatives for importers).
const exportedOptions = { ...plainOptions, plugins: [[plugin, { secondOrder: "exported" }]] };
const transformPlain = () => babel.transformSync(FILE_SOURCE, plainOptions).code.length;
const transformPlugin = () => babel.transformSync(FILE_SOURCE, pluginOptions).code.length;
const transformExported = () => babel.transformSync(FILE_SOURCE, exportedOptions).code.length;
if (!/f19\$vjp/.test(babel.transformSync(FILE_SOURCE, pluginOptions).code)) {
  console.error("the build benchmark's source did not get derivatives for all 20 functions");
  process.exit(1);
}

function timeTransforms(fns, reps) {
  for (const fn of fns) for (let i = 0; i < 20; i++) fn(); // warm-up
  const samples = fns.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < fns.length; i++) {
      const t0 = process.hrtime.bigint();
      sink += fns[i]();
      samples[i].push(Number(process.hrtime.bigint() - t0));
    }
  }
  return samples.map(median);
}

const [plainMs, pluginMs, exportedMs] = timeTransforms([transformPlain, transformPlugin, transformExported], QUICK ? 40 : 200).map((ns) => ns / 1e6);
const BUILD_TARGET = 1.3;
const buildRatio = pluginMs / plainMs;
console.log(`\n(b) build time of a file with 20 marked functions (${FILE_SOURCE.split("\n").length} lines; target: <= ${BUILD_TARGET}x preset-typescript alone; median per transform)\n`);
table(
  ["transform", "time", "ratio", "target"],
  [
    ["@babel/preset-typescript", `${plainMs.toFixed(2)} ms`, "1.00x", ""],
    ["+ @cotangent/babel-plugin", `${pluginMs.toFixed(2)} ms`, `${buildRatio.toFixed(2)}x`, verdict(buildRatio <= BUILD_TARGET)],
    ['  with secondOrder: "exported"', `${exportedMs.toFixed(2)} ms`, `${(exportedMs / plainMs).toFixed(2)}x`, ""],
  ],
);
console.log(`\n  (+${(pluginMs - plainMs).toFixed(2)} ms for 20 functions: ${((pluginMs - plainMs) / 20).toFixed(3)} ms each)`);
if (sink === 42) console.log(""); // keep results alive
