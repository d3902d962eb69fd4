import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { adamUpdateF32, matmulF32, wasmKernelsAvailable } from "../src/backends/cpu/wasm/index.js";

const root = path.resolve(__dirname, "../..");

/** Deterministic pseudo-random floats in [-1, 1) (xorshift32), rounded to float32. */
function randomF32(size: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

interface Case {
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Batch strides; undefined: packed (m*k, k*n). */
  aBatchStride?: number;
  bBatchStride?: number;
}

/** float64 reference of matmulF32, plus the sum of |products| per output (the error scale). */
function reference(a: Float32Array, b: Float32Array, c: Required<Case>) {
  const { batch, m, k, n, transposeA, transposeB, aBatchStride, bBatchStride } = c;
  const value = new Float64Array(batch * m * n);
  const magnitude = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const x = a[t * aBatchStride + (transposeA ? p * m + i : i * k + p)];
          const y = b[t * bBatchStride + (transposeB ? j * k + p : p * n + j)];
          sum += x * y;
          abs += Math.abs(x * y);
        }
        value[(t * m + i) * n + j] = sum;
        magnitude[(t * m + i) * n + j] = abs;
      }
    }
  }
  return { value, magnitude };
}

/** Runs matmulF32 on random inputs (at a byte offset inside larger buffers) and compares with the reference. */
function check(spec: Case, seed = 1) {
  const c: Required<Case> = {
    aBatchStride: spec.m * spec.k,
    bBatchStride: spec.k * spec.n,
    ...spec,
  };
  const aLen = c.batch === 0 ? 0 : (c.batch - 1) * c.aBatchStride + c.m * c.k;
  const bLen = c.batch === 0 ? 0 : (c.batch - 1) * c.bBatchStride + c.k * c.n;
  // Views that start 3 elements into their buffers, with stale values in `out` that must be overwritten.
  const a = randomF32(aLen + 3, seed).subarray(3);
  const b = randomF32(bLen + 3, seed + 1).subarray(3);
  const out = new Float32Array(c.batch * c.m * c.n + 3).fill(Number.NaN).subarray(3);
  matmulF32(a, b, out, c.batch, c.m, c.k, c.n, c.transposeA, c.transposeB, c.aBatchStride, c.bBatchStride);
  const { value, magnitude } = reference(a, b, c);
  let worst = 0;
  for (let i = 0; i < value.length; i++) {
    const error = Math.abs(out[i] - value[i]) / Math.max(magnitude[i], 1e-30);
    if (!(error <= worst)) worst = error; // NaN lands here too
  }
  if (!(worst <= 1e-4)) throw new Error(`${JSON.stringify(c)}: relative error ${worst}`);
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

describe("wasm kernels", () => {
  it("load (WebAssembly SIMD is available in Node 20)", () => {
    expect(wasmKernelsAvailable()).toBe(true);
  });

  it("kernels.generated.ts is up to date with kernels.wat", () => {
    // Re-assembles the .wat with the build script and compares with the committed bytes.
    expect(() => execFileSync(process.execPath, [path.join(root, "scripts/build-wasm.mjs"), "--check"], { stdio: "pipe" })).not.toThrow();
  });
});

describe("matmulF32", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [7, 13, 5], [5, 13, 7], [33, 65, 17], [4, 4, 8], [8, 256, 16], // exact tiles, exactly one KC slice
    [3, 257, 9], [130, 3, 2], [2, 3, 130], [1, 300, 1], [1, 40, 70], [70, 40, 1], [61, 600, 29], // tall, wide, several KC slices
  ];
  for (const [transposeA, transposeB] of TRANSPOSES) {
    describe(`transposeA=${transposeA} transposeB=${transposeB}`, () => {
      for (const [m, k, n] of shapes) {
        it(`${m}×${k}×${n}`, () => check({ batch: 1, m, k, n, transposeA, transposeB }));
      }
      it("batched, packed strides", () => check({ batch: 3, m: 5, k: 9, n: 6, transposeA, transposeB }));
      it("batched, A broadcast (stride 0)", () => check({ batch: 3, m: 6, k: 7, n: 9, transposeA, transposeB, aBatchStride: 0 }));
      it("batched, B broadcast (stride 0)", () => check({ batch: 4, m: 9, k: 7, n: 10, transposeA, transposeB, bBatchStride: 0 }));
      it("batched, both broadcast", () => check({ batch: 3, m: 5, k: 4, n: 3, transposeA, transposeB, aBatchStride: 0, bBatchStride: 0 }));
      it("batched, strides larger than a matrix", () => check({ batch: 3, m: 5, k: 6, n: 7, transposeA, transposeB, aBatchStride: 37, bBatchStride: 50 }));
    });
  }

  it("more rows than one MC block and columns past several panels", () => {
    check({ batch: 1, m: 300, k: 20, n: 45, transposeA: false, transposeB: false });
    check({ batch: 2, m: 150, k: 20, n: 9, transposeA: false, transposeB: true, bBatchStride: 0 }); // folded: 300 rows
  });

  it("0-sized operands", () => {
    for (const [m, k, n] of [[0, 3, 4], [3, 0, 4], [3, 4, 0], [0, 0, 0]]) {
      for (const [transposeA, transposeB] of TRANSPOSES) check({ batch: 2, m, k, n, transposeA, transposeB });
    }
    check({ batch: 0, m: 3, k: 4, n: 5, transposeA: false, transposeB: false });
  });

  it("k = 0 writes zeros", () => {
    const out = new Float32Array(6).fill(7);
    matmulF32(new Float32Array(0), new Float32Array(0), out, 1, 2, 0, 3, false, false, 0, 0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("repeated and alternating sizes reuse the memory correctly", () => {
    for (let i = 0; i < 3; i++) {
      check({ batch: 1, m: 64, k: 300, n: 40, transposeA: false, transposeB: false }, 10 + i);
      check({ batch: 1, m: 3, k: 5, n: 2, transposeA: true, transposeB: false }, 20 + i);
    }
  });

  it("rejects short arrays and bad sizes", () => {
    const x = new Float32Array(6);
    expect(() => matmulF32(x, x, new Float32Array(3), 1, 2, 3, 2, false, false, 0, 0)).toThrow(RangeError);
    expect(() => matmulF32(x, new Float32Array(5), new Float32Array(4), 1, 2, 3, 2, false, false, 0, 0)).toThrow(RangeError);
    expect(() => matmulF32(x, x, new Float32Array(4), 1, 2, 3, 2.5, false, false, 0, 0)).toThrow(RangeError);
    expect(() => matmulF32(x, x, new Float32Array(8), 2, 2, 3, 2, false, false, 6, 6)).toThrow(RangeError);
  });
});

describe("adamUpdateF32", () => {
  /** float64 reference, and for each output the sum of |terms| that float32 rounding errors scale with. */
  function referenceAdam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
                         lr: number, b1: number, b2: number, eps: number, c1: number, c2: number) {
    const n = p.length;
    const P = new Float64Array(n), M = new Float64Array(n), V = new Float64Array(n);
    const scaleP = new Float64Array(n), scaleM = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      M[i] = b1 * m[i] + (1 - b1) * g[i];
      scaleM[i] = Math.abs(b1 * m[i]) + Math.abs((1 - b1) * g[i]);
      V[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const step = (lr * (M[i] / c1)) / (Math.sqrt(V[i] / c2) + eps);
      P[i] = p[i] - step;
      scaleP[i] = Math.abs(p[i]) + Math.abs(step);
    }
    return { P, M, V, scaleP, scaleM };
  }

  for (const length of [0, 1, 3, 4, 5, 1000, 1003]) {
    it(`length ${length}, several steps`, () => {
      const lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const p = randomF32(length + 1, 1).subarray(1), m = new Float32Array(length), v = new Float32Array(length);
      for (let t = 1; t <= 3; t++) {
        const g = randomF32(length, 100 + t);
        const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
        const expected = referenceAdam(p, g, m, v, lr, b1, b2, eps, c1, c2);
        adamUpdateF32(p, g, m, v, lr, b1, b2, eps, c1, c2);
        // float32 arithmetic: errors of a few float32 ulps (6e-8) of the terms involved.
        let worst = 0;
        for (let i = 0; i < length; i++) {
          worst = Math.max(worst,
            Math.abs(m[i] - expected.M[i]) / expected.scaleM[i],
            Math.abs(v[i] - expected.V[i]) / expected.V[i],
            Math.abs(p[i] - expected.P[i]) / expected.scaleP[i]);
        }
        expect(worst).toBeLessThan(1e-6);
      }
    });
  }

  it("rejects arrays of different lengths", () => {
    const x = new Float32Array(4);
    expect(() => adamUpdateF32(x, x, x, new Float32Array(3), 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001)).toThrow(RangeError);
  });
});
