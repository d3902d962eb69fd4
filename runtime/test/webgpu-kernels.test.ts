// The WebGPU kernels of reduce, matmul, movement, conv and softmax against the CPU backend, on a
// real WebGPU device (in CI: Dawn on Mesa's lavapipe; scripts/setup-webgpu.sh). Each kernel is
// called directly with tensors made by webgpuBackend.fromValues, on random float32 inputs of
// awkward shapes; floats must agree within 1e-4 relative / 1e-5 absolute, int32 results exactly.
// Without a WebGPU adapter the suite fails (it never skips).

import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import * as fs from "node:fs";
import * as path from "node:path";

// jest's globalSetup (scripts/jest-global-setup.cjs) points VK_ICD_FILENAMES at .lavapipe/ when
// scripts/setup-webgpu.sh has installed it there (setting it here would be too late: tests see a
// copy of process.env, the Vulkan driver reads the real one).
const icd = path.resolve(__dirname, "../../.lavapipe/lvp_icd.json");

import type { ConvGeometry, PoolGeometry, Reduction } from "../src/backends/backend";
import { cpuBackend } from "../src/backends/cpu/index";
import { setBackend } from "../src/backends/index";
import { shutdown } from "../src/backends/webgpu/context";
import * as conv from "../src/backends/webgpu/conv";
import { webgpuBackend } from "../src/backends/webgpu/index";
import { matmul } from "../src/backends/webgpu/matmul";
import * as mv from "../src/backends/webgpu/movement";
import { argReduce, reduce } from "../src/backends/webgpu/reduce";
import { logSoftmax } from "../src/backends/webgpu/softmax";
import type { DType, TensorData } from "../src/tensor/dtype";
import type { Tensor } from "../src/tensor/tensor";

jest.setTimeout(120_000);

// ---- helpers -----------------------------------------------------------------------------------

/** Deterministic values in [-1, 1) (xorshift32). */
function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** The same values on both backends. */
interface Pair {
  g: Tensor;
  c: Tensor;
}

function pair(values: TensorData, shape: readonly number[], dtype: DType = "float32"): Pair {
  const v = dtype === "int32" ? Int32Array.from(values, (x) => Math.trunc(x)) : Float32Array.from(values);
  return { g: webgpuBackend.fromValues(v.slice(), shape, dtype), c: cpuBackend.fromValues(v.slice(), shape, dtype) };
}

let seed = 1;
/** Random float32 (or small int32) tensors on both backends. */
function rand(shape: readonly number[], dtype: DType = "float32"): Pair {
  const v = randomValues(size(shape), seed++);
  if (dtype === "int32") return pair(Int32Array.from(v, (x) => Math.round(x * 9)), shape, dtype);
  return pair(v, shape, dtype);
}

/** int32 indices in [0, n) with repeats. */
function indices(shape: readonly number[], n: number): Pair {
  const v = randomValues(size(shape), seed++);
  return pair(Int32Array.from(v, (x) => Math.min(n - 1, Math.floor(((x + 1) / 2) * n))), shape, "int32");
}

/** Why `got` (GPU) differs from `want` (CPU), or null. */
async function mismatch(got: Tensor, want: Tensor): Promise<string | null> {
  if (got.shape.join() !== want.shape.join()) return `shape [${got.shape}] instead of [${want.shape}]`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} instead of ${want.dtype}`;
  const a = await webgpuBackend.read(got);
  const b = await cpuBackend.read(want);
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(y) ? Number.isNaN(x) : want.dtype === "int32" || !Number.isFinite(y) ? x === y : Math.abs(x - y) <= 1e-5 + 1e-4 * Math.abs(y)) continue;
    return `element ${i} of [${want.shape}] is ${x}, expected ${y}`;
  }
  return null;
}

/** Collects every failing case of a test, so that one run reports them all. */
class Cases {
  private failures: string[] = [];
  async check(label: string, got: Tensor, want: Tensor): Promise<void> {
    const why = await mismatch(got, want);
    if (why) this.failures.push(`${label}: ${why}`);
  }
  done(): void {
    expect(this.failures).toEqual([]);
  }
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Output size and padding before along one axis (TensorFlow's rule). */
function axisGeometry(n: number, k: number, s: number, padding: "same" | "valid"): [number, number] {
  if (padding === "valid") return [Math.floor((n - k) / s) + 1, 0];
  const out = Math.ceil(n / s);
  return [out, Math.floor(Math.max(0, (out - 1) * s + k - n) / 2)];
}

function convGeometry(batch: number, inH: number, inW: number, inC: number, fh: number, fw: number, outC: number, sh: number, sw: number, padding: "same" | "valid"): ConvGeometry {
  const [outH, padTop] = axisGeometry(inH, fh, sh, padding);
  const [outW, padLeft] = axisGeometry(inW, fw, sw, padding);
  return { batch, inH, inW, inC, fh, fw, outC, outH, outW, sh, sw, padTop, padLeft };
}

function poolGeometry(batch: number, inH: number, inW: number, channels: number, kh: number, kw: number, sh: number, sw: number, padding: "same" | "valid"): PoolGeometry {
  const [outH, padTop] = axisGeometry(inH, kh, sh, padding);
  const [outW, padLeft] = axisGeometry(inW, kw, sw, padding);
  return { batch, inH, inW, channels, kh, kw, outH, outW, sh, sw, padTop, padLeft };
}

// ---- device ------------------------------------------------------------------------------------

beforeAll(async () => {
  try {
    await setBackend("webgpu");
  } catch (e) {
    throw new Error(
      [
        `No WebGPU device for the kernel tests: ${(e as Error).message}`,
        "Run scripts/setup-webgpu.sh (Dawn on Mesa's lavapipe) and make sure the optional `webgpu` package is installed; these tests never skip.",
        `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? "(unset)"}; ${fs.existsSync(icd) ? `${icd} exists` : `${icd} is missing`}.`,
      ].join("\n"),
    );
  }
});

afterAll(() => {
  shutdown();
});

// ---- matmul ------------------------------------------------------------------------------------

describe("webgpu matmul", () => {
  const flags: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  const stored = (rows: number, cols: number, t: boolean): number[] => (t ? [cols, rows] : [rows, cols]);

  async function run(cases: Cases, aShape: number[], bShape: number[], tA: boolean, tB: boolean, dtype: DType = "float32", aType: DType = dtype, bType: DType = dtype): Promise<void> {
    const a = rand(aShape, aType);
    const b = rand(bShape, bType);
    const batchShape = broadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
    await cases.check(
      `matmul [${aShape}]${tA ? "ᵀ" : ""} @ [${bShape}]${tB ? "ᵀ" : ""} ${dtype}`,
      matmul(a.g, b.g, tA, tB, batchShape, dtype),
      cpuBackend.matmul(a.c, b.c, tA, tB, batchShape, dtype),
    );
  }

  it("matches the CPU for every transpose flag, odd sizes, size 1, k = 0 and empty outputs", async () => {
    const cases = new Cases();
    // Two kernel variants per flag pair (each one a slow compile on lavapipe): rows of a multiple
    // of 4 (vec4 loads and stores) and not (element loads); the other sizes reuse them.
    const sizes: [number, number, number][] = [
      [1, 1, 1],
      [3, 5, 7],
      [17, 33, 9],
      [65, 31, 70],
      [1, 41, 1],
      [8, 12, 16],
      [64, 64, 64],
      [5, 0, 3],
      [0, 4, 3],
    ];
    for (const [m, k, n] of sizes) for (const [tA, tB] of flags) await run(cases, stored(m, k, tA), stored(k, n, tB), tA, tB);
    cases.done();
  });

  it("broadcasts batch dimensions (a single matrix, size-1 batch axes) and takes int32 operands", async () => {
    const cases = new Cases();
    for (const [tA, tB] of flags) {
      await run(cases, [2, 3, ...stored(5, 7, tA)], stored(7, 3, tB), tA, tB);
      await run(cases, stored(8, 12, tA), [3, ...stored(12, 4, tB)], tA, tB);
      await run(cases, [2, 1, ...stored(5, 7, tA)], [1, 3, ...stored(7, 3, tB)], tA, tB);
    }
    await run(cases, [3, 6, 5], [3, 5, 7], false, false, "int32");
    await run(cases, [8, 12], [12, 16], false, false, "float32", "int32", "float32");
    await run(cases, [5, 7], [3, 7], false, true, "float32", "float32", "int32");
    cases.done();
  });

  it("uses 128×128 tiles for many tiles and splits a long K", async () => {
    const cases = new Cases();
    // 64 batches × 2×2 tiles of 128: the large-tile kernel, with ragged edges and aligned rows.
    await run(cases, [64, 129, 9], [64, 9, 129], false, false);
    await run(cases, [64, 12, 132], [64, 132, 12], true, true);
    // Small outputs and K ≥ 2048: split-K (partial products summed afterwards), batched too.
    await run(cases, [5, 2100], [2100, 6], false, false);
    await run(cases, [4096, 8], [8, 4096], true, true);
    await run(cases, [2, 3, 2100], [2100, 5], false, false);
    cases.done();
  });
});

// ---- reductions --------------------------------------------------------------------------------

describe("webgpu reduce and argReduce", () => {
  /** Random values with NaN, ±∞ and repeated values mixed in (every `every`-th element). */
  function spiced(shape: number[], every: number): Pair {
    const v = randomValues(size(shape), seed++);
    for (let i = 0; i < v.length; i++) {
      if (i % every === 3) v[i] = NaN;
      else if (i % every === 5) v[i] = -Infinity;
      else if (i % every === 7) v[i] = Infinity;
      else v[i] = Math.round(v[i]! * 8) / 8; // ties
    }
    return pair(v, shape);
  }

  it("reduces any set of axes (contiguous or not, long and short lines, keep-dims shapes, empty)", async () => {
    const cases = new Cases();
    const plans: [number[], number[]][] = [
      [[7], [0]],
      [[3, 5], [1]],
      [[3, 5], [0]],
      [[3, 5], []],
      [[3, 5], [0, 1]],
      [[2, 3, 4], [1]],
      [[4, 1, 5, 6], [1, 2]],
      [[3, 4, 5, 6], [0, 2]],
      [[3, 4, 5, 6], [1, 3]],
      [[2, 3, 4, 5], [0, 1, 3]],
      [[300], [0]],
      [[3, 1000], [1]],
      [[2000, 3], [0]],
      [[20000], [0]],
      [[40000, 2], [0]],
      [[1], [0]],
      [[3, 0], [1]],
      [[0, 3], [1]],
    ];
    for (const [shape, axes] of plans)
      for (const kind of ["sum", "max", "min"] as Reduction[]) {
        const x = rand(shape);
        await cases.check(`${kind} [${shape}] axes [${axes}]`, reduce(kind, x.g, axes, "float32"), cpuBackend.reduce(kind, x.c, axes, "float32"));
      }
    // NaN wins in max/min, ±∞ take part; int32 sums and extremes stay exact.
    for (const kind of ["max", "min", "sum"] as Reduction[]) {
      for (const [shape, axes] of [
        [[6, 40], [1]],
        [[40, 6], [0]],
        [[2, 700], [1]],
      ] as [number[], number[]][]) {
        const x = spiced(shape, 17);
        await cases.check(`${kind} with NaN/∞ [${shape}] axes [${axes}]`, reduce(kind, x.g, axes, "float32"), cpuBackend.reduce(kind, x.c, axes, "float32"));
      }
      const xi = rand([5, 300], "int32");
      await cases.check(`${kind} int32`, reduce(kind, xi.g, [1], "int32"), cpuBackend.reduce(kind, xi.c, [1], "int32"));
      await cases.check(`${kind} int32 → float32`, reduce(kind, xi.g, [0], "float32"), cpuBackend.reduce(kind, xi.c, [0], "float32"));
    }
    cases.done();
  });

  it("argReduce: first index on ties, NaN first, long and strided lines", async () => {
    const cases = new Cases();
    for (const isMax of [true, false]) {
      for (const [shape, axis] of [
        [[5, 7], 0],
        [[5, 7], 1],
        [[3, 600], 1],
        [[4, 3, 5], 1],
        [[1], 0],
        [[3, 0, 2], 1],
      ] as [number[], number][]) {
        const x = spiced(shape, 29);
        await cases.check(`arg${isMax ? "max" : "min"} [${shape}] axis ${axis}`, argReduce(x.g, axis, isMax), cpuBackend.argReduce(x.c, axis, isMax));
      }
      const xi = rand([4, 300], "int32");
      await cases.check(`arg${isMax ? "max" : "min"} int32`, argReduce(xi.g, 1, isMax), cpuBackend.argReduce(xi.c, 1, isMax));
    }
    cases.done();
  });
});

// ---- logSoftmax --------------------------------------------------------------------------------

describe("webgpu logSoftmax", () => {
  it("is stable along any axis (large logits, −∞, long rows, int32 input)", async () => {
    const cases = new Cases();
    for (const [shape, axis] of [
      [[3, 5], 1],
      [[3, 5], 0],
      [[4, 3, 6], 1],
      [[2, 100], 1],
      [[2, 1000], 1],
      [[7], 0],
      [[5, 1], 1],
    ] as [number[], number][]) {
      const x = rand(shape);
      await cases.check(`logSoftmax [${shape}] axis ${axis}`, logSoftmax(x.g, axis), cpuBackend.logSoftmax(x.c, axis));
    }
    const big = randomValues(2 * 80, seed++).map((v, i) => (i % 13 === 4 ? -Infinity : 1e4 + v * 30));
    const x = pair(big, [2, 80]);
    await cases.check("logSoftmax large logits rows", logSoftmax(x.g, 1), cpuBackend.logSoftmax(x.c, 1));
    const xt = pair(big, [80, 2]);
    await cases.check("logSoftmax large logits columns", logSoftmax(xt.g, 0), cpuBackend.logSoftmax(xt.c, 0));
    const xi = rand([3, 9], "int32");
    await cases.check("logSoftmax int32", logSoftmax(xi.g, 1), cpuBackend.logSoftmax(xi.c, 1));
    cases.done();
  });
});

// ---- movement ----------------------------------------------------------------------------------

describe("webgpu movement", () => {
  it("transpose, broadcastTo, slice, pad, concat", async () => {
    const cases = new Cases();
    for (const perm of [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ]) {
      const x = rand([2, 3, 4]);
      await cases.check(`transpose [${perm}]`, mv.transpose(x.g, perm), cpuBackend.transpose(x.c, perm));
    }
    const x6 = rand([2, 3, 1, 4, 2, 3]);
    await cases.check("transpose rank 6", mv.transpose(x6.g, [5, 3, 1, 0, 2, 4]), cpuBackend.transpose(x6.c, [5, 3, 1, 0, 2, 4]));
    const xi = rand([3, 5], "int32");
    await cases.check("transpose int32", mv.transpose(xi.g, [1, 0]), cpuBackend.transpose(xi.c, [1, 0]));
    const x0 = rand([]);
    await cases.check("transpose scalar", mv.transpose(x0.g, []), cpuBackend.transpose(x0.c, []));

    for (const [from, to] of [
      [[3, 1], [2, 3, 4]],
      [[1], [5]],
      [[4], [3, 4]],
      [[2, 1, 3], [2, 5, 3]],
      [[], [2, 2]],
      [[3, 4], [3, 4]],
      [[1, 3], [0, 3]],
    ] as [number[], number[]][]) {
      const x = rand(from);
      await cases.check(`broadcastTo [${from}] → [${to}]`, mv.broadcastTo(x.g, to), cpuBackend.broadcastTo(x.c, to));
    }

    const xs = rand([5, 6, 7]);
    for (const [begin, sz] of [
      [
        [1, 2, 3],
        [3, 1, 4],
      ],
      [
        [0, 0, 0],
        [5, 6, 7],
      ],
      [
        [4, 0, 0],
        [1, 6, 7],
      ],
      [
        [2, 3, 0],
        [2, 0, 7],
      ],
    ] as [number[], number[]][])
      await cases.check(`slice ${begin} ${sz}`, mv.slice(xs.g, begin, sz), cpuBackend.slice(xs.c, begin, sz));

    const xp = rand([3, 4]);
    for (const value of [0, 2.5, -Infinity, NaN]) await cases.check(`pad ${value}`, mv.pad(xp.g, [1, 2], [6, 7], value), cpuBackend.pad(xp.c, [1, 2], [6, 7], value));
    await cases.check("pad rank 3", mv.pad(xs.g, [0, 1, 2], [6, 8, 9], 1), cpuBackend.pad(xs.c, [0, 1, 2], [6, 8, 9], 1));
    const xe = rand([0, 4]);
    await cases.check("pad empty", mv.pad(xe.g, [1, 0], [2, 4], 3), cpuBackend.pad(xe.c, [1, 0], [2, 4], 3));
    const xpi = rand([3, 4], "int32");
    await cases.check("pad int32", mv.pad(xpi.g, [1, 1], [5, 6], -7), cpuBackend.pad(xpi.c, [1, 1], [5, 6], -7));

    const parts = [rand([2, 3, 4]), rand([2, 1, 4]), rand([2, 0, 4]), rand([2, 5, 4], "int32")];
    await cases.check(
      "concat axis 1 (with an int32 and an empty part)",
      mv.concat(
        parts.map((p) => p.g),
        1,
        "float32",
      ),
      cpuBackend.concat(
        parts.map((p) => p.c),
        1,
        "float32",
      ),
    );
    const rows = [rand([2, 3]), rand([4, 3])];
    await cases.check(
      "concat axis 0",
      mv.concat(
        rows.map((p) => p.g),
        0,
        "float32",
      ),
      cpuBackend.concat(
        rows.map((p) => p.c),
        0,
        "float32",
      ),
    );
    const cols = [rand([3, 2]), rand([3, 1]), rand([3, 4])];
    await cases.check(
      "concat last axis",
      mv.concat(
        cols.map((p) => p.g),
        1,
        "float32",
      ),
      cpuBackend.concat(
        cols.map((p) => p.c),
        1,
        "float32",
      ),
    );
    cases.done();
  });

  it("gather, scatterAdd (repeated indices add up), oneHot", async () => {
    const cases = new Cases();
    for (const [shape, idxShape, axis] of [
      [[5, 4, 3], [2, 2], 1],
      [[6], [9], 0],
      [[4, 7], [3], 1],
      [[3, 4], [], 0],
      [[3, 4], [0], 0],
    ] as [number[], number[], number][]) {
      const x = rand(shape);
      const idx = indices(idxShape, shape[axis]!);
      await cases.check(`gather [${shape}] by [${idxShape}] axis ${axis}`, mv.gather(x.g, idx.g, axis), cpuBackend.gather(x.c, idx.c, axis));
      const gShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
      const g = rand(gShape);
      await cases.check(`scatterAdd [${gShape}] → [${shape}] axis ${axis}`, mv.scatterAdd(g.g, idx.g, axis, shape), cpuBackend.scatterAdd(g.c, idx.c, axis, shape));
    }
    const xi = rand([4, 5], "int32");
    const ii = indices([6], 4);
    await cases.check("gather int32", mv.gather(xi.g, ii.g, 0), cpuBackend.gather(xi.c, ii.c, 0));
    const gi = rand([6, 5], "int32");
    await cases.check("scatterAdd int32", mv.scatterAdd(gi.g, ii.g, 0, [4, 5]), cpuBackend.scatterAdd(gi.c, ii.c, 0, [4, 5]));
    // A long index list over many rows: added with atomics.
    const many = indices([300], 100);
    const gm = rand([2, 300, 3]);
    await cases.check("scatterAdd atomics", mv.scatterAdd(gm.g, many.g, 1, [2, 100, 3]), cpuBackend.scatterAdd(gm.c, many.c, 1, [2, 100, 3]));
    const gmi = rand([2, 300, 3], "int32");
    await cases.check("scatterAdd atomics int32", mv.scatterAdd(gmi.g, many.g, 1, [2, 100, 3]), cpuBackend.scatterAdd(gmi.c, many.c, 1, [2, 100, 3]));

    const oh = indices([2, 3], 5);
    for (const dtype of ["float32", "int32"] as DType[]) await cases.check(`oneHot ${dtype}`, mv.oneHot(oh.g, 5, dtype), cpuBackend.oneHot(oh.c, 5, dtype));
    cases.done();
  });
});

// ---- convolution and pooling -------------------------------------------------------------------

describe("webgpu conv2d and pooling", () => {
  const convs: ConvGeometry[] = [
    // Odd channel counts keep to one kernel variant per convolution (vec4 loads are matmul's).
    convGeometry(2, 7, 6, 3, 3, 3, 5, 1, 1, "valid"),
    convGeometry(2, 7, 6, 3, 3, 3, 5, 2, 2, "same"),
    convGeometry(1, 5, 5, 2, 5, 3, 3, 2, 1, "same"),
    convGeometry(2, 8, 7, 3, 2, 2, 7, 3, 3, "valid"),
    // 1×1, stride 1, no padding: x itself is the matrix.
    convGeometry(3, 4, 5, 8, 1, 1, 4, 1, 1, "valid"),
    convGeometry(1, 1, 1, 4, 1, 1, 4, 1, 1, "valid"),
    convGeometry(1, 6, 6, 2, 3, 3, 2, 2, 2, "valid"),
    // Many pixels, a small filter: the filter gradient splits K.
    convGeometry(4, 24, 24, 2, 3, 3, 3, 1, 1, "same"),
  ];
  const label = (g: ConvGeometry): string =>
    `x [${g.batch},${g.inH},${g.inW},${g.inC}] f [${g.fh},${g.fw},${g.inC},${g.outC}] stride ${g.sh}×${g.sw} pad ${g.padTop},${g.padLeft}`;

  it("conv2d, conv2dBackwardInput, conv2dBackwardFilter", async () => {
    const cases = new Cases();
    for (const g of convs) {
      const x = rand([g.batch, g.inH, g.inW, g.inC]);
      const f = rand([g.fh, g.fw, g.inC, g.outC]);
      const gy = rand([g.batch, g.outH, g.outW, g.outC]);
      await cases.check(`conv2d ${label(g)}`, conv.conv2d(x.g, f.g, g, "float32"), cpuBackend.conv2d(x.c, f.c, g, "float32"));
      await cases.check(`conv2dBackwardInput ${label(g)}`, conv.conv2dBackwardInput(gy.g, f.g, g, "float32"), cpuBackend.conv2dBackwardInput(gy.c, f.c, g, "float32"));
      await cases.check(`conv2dBackwardFilter ${label(g)}`, conv.conv2dBackwardFilter(x.g, gy.g, g, "float32"), cpuBackend.conv2dBackwardFilter(x.c, gy.c, g, "float32"));
    }
    cases.done();
  });

  const pools: PoolGeometry[] = [
    poolGeometry(2, 6, 6, 3, 2, 2, 2, 2, "valid"),
    poolGeometry(2, 7, 5, 3, 3, 3, 2, 2, "same"),
    poolGeometry(1, 5, 6, 2, 3, 3, 1, 1, "same"),
    poolGeometry(2, 7, 7, 1, 3, 2, 2, 3, "valid"),
    poolGeometry(1, 1, 1, 4, 1, 1, 1, 1, "valid"),
  ];
  const poolLabel = (g: PoolGeometry): string => `x [${g.batch},${g.inH},${g.inW},${g.channels}] window ${g.kh}×${g.kw} stride ${g.sh}×${g.sw} pad ${g.padTop},${g.padLeft}`;

  it("maxPool2d (argmax first on ties, NaN wins), gatherAt, scatterAddAt, avgPool2d and its backward", async () => {
    const cases = new Cases();
    for (const g of pools) {
      const shape = [g.batch, g.inH, g.inW, g.channels];
      // Few distinct values (ties) and a NaN.
      const v = randomValues(size(shape), seed++).map((t) => Math.round(t * 3) / 3);
      if (v.length > 4) v[4] = NaN;
      const x = pair(v, shape);
      const gpu = conv.maxPool2d(x.g, g);
      const cpu = cpuBackend.maxPool2d(x.c, g);
      await cases.check(`maxPool2d y ${poolLabel(g)}`, gpu.y, cpu.y);
      await cases.check(`maxPool2d argmax ${poolLabel(g)}`, gpu.argmax, cpu.argmax);
      const gy = rand([g.batch, g.outH, g.outW, g.channels]);
      await cases.check(`scatterAddAt ${poolLabel(g)}`, mv.scatterAddAt(gy.g, gpu.argmax, shape), cpuBackend.scatterAddAt(gy.c, cpu.argmax, shape));
      const x2 = rand(shape);
      await cases.check(`gatherAt ${poolLabel(g)}`, mv.gatherAt(x2.g, gpu.argmax), cpuBackend.gatherAt(x2.c, cpu.argmax));
      await cases.check(`avgPool2d ${poolLabel(g)}`, conv.avgPool2d(x2.g, g), cpuBackend.avgPool2d(x2.c, g));
      await cases.check(`avgPool2dBackward ${poolLabel(g)}`, conv.avgPool2dBackward(gy.g, g), cpuBackend.avgPool2dBackward(gy.c, g));
    }
    const gi = poolGeometry(1, 5, 5, 2, 3, 3, 2, 2, "same");
    const xi = rand([1, 5, 5, 2], "int32");
    const gpu = conv.maxPool2d(xi.g, gi);
    const cpu = cpuBackend.maxPool2d(xi.c, gi);
    await cases.check("maxPool2d int32 y", gpu.y, cpu.y);
    await cases.check("maxPool2d int32 argmax", gpu.argmax, cpu.argmax);
    const gyi = rand([1, gi.outH, gi.outW, 2], "int32");
    await cases.check("scatterAddAt int32", mv.scatterAddAt(gyi.g, gpu.argmax, [1, 5, 5, 2]), cpuBackend.scatterAddAt(gyi.c, cpu.argmax, [1, 5, 5, 2]));
    cases.done();
  });
});
