#!/usr/bin/env node
// Single-threaded float32 matmul speed of the WebAssembly SIMD kernels
// (runtime/src/backends/cpu/wasm), in GFLOP/s (2·n³ flops per n×n product), for n = 256, 512, 1024.
// Times matmulF32 as callers see it, copies in and out of the module's memory included; reports
// the best and the median of several timed runs after a warm-up.
//
// Usage: node scripts/build.mjs runtime && node e2e/bench/wasm-matmul.mjs [--quick] [--transpose]
//   --quick      fewer repetitions
//   --transpose  also time the transposed layouts (A stored k×m, B stored n×k)
// COTANGENT_WASM_KERNELS=<path to index.js> times another build of the loader (kernel experiments).
// A benchmark, not a test: it always exits 0 once it has run.

import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const QUICK = process.argv.includes("--quick");
const TRANSPOSE = process.argv.includes("--transpose");

const entry = process.env.COTANGENT_WASM_KERNELS ?? path.join(root, "runtime/dist/esm/backends/cpu/wasm/index.js");
let kernels;
try {
  kernels = await import(pathToFileURL(entry).href);
} catch (e) {
  console.error(`cannot load ${path.relative(root, entry)} (${e.message.split("\n")[0]}); run \`node scripts/build.mjs runtime\` first.`);
  process.exit(1);
}
const { matmulF32, wasmKernelsAvailable } = kernels;
if (!wasmKernelsAvailable()) {
  console.error("WebAssembly SIMD kernels are not available in this Node.js");
  process.exit(1);
}

function randomMatrix(size) {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

/** Seconds per call of matmulF32 for an n×n×n product over `runs` timed runs: { best, median }. */
function time(n, transposeA, transposeB, runs) {
  const a = randomMatrix(n * n), b = randomMatrix(n * n), out = new Float32Array(n * n);
  const call = () => matmulF32(a, b, out, 1, n, n, n, transposeA, transposeB, 0, 0);
  // Calls per timed run: about 50 ms of work at 20 GFLOP/s.
  const reps = Math.max(1, Math.round(1e9 / (2 * n ** 3)));
  for (let i = 0; i < reps + 2; i++) call(); // warm-up: tier-up of the wasm code, memory growth
  const seconds = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (let i = 0; i < reps; i++) call();
    seconds.push((performance.now() - started) / 1000 / reps);
  }
  seconds.sort((x, y) => x - y);
  return { best: seconds[0], median: seconds[Math.floor(runs / 2)] };
}

const layouts = TRANSPOSE ? [[false, false], [true, false], [false, true], [true, true]] : [[false, false]];
console.log(`wasm SIMD matmul, float32, single thread (node ${process.version})`);
for (const [transposeA, transposeB] of layouts) {
  const label = `${transposeA ? "Aᵀ" : "A"}·${transposeB ? "Bᵀ" : "B"}`;
  for (const n of [256, 512, 1024]) {
    const { best, median } = time(n, transposeA, transposeB, QUICK ? 3 : 10);
    const gflops = (seconds) => ((2 * n ** 3) / seconds / 1e9).toFixed(1).padStart(5);
    console.log(`  ${label.padEnd(6)} ${`${n}×${n}×${n}`.padStart(14)}: ${gflops(best)} GFLOP/s best, ${gflops(median)} median (${(best * 1000).toFixed(2)} ms)`);
  }
}
