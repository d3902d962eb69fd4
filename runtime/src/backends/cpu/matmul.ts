// CPU matmul: float32 goes to the WebAssembly SIMD kernel when it is available; float64 and int32
// (and float32 without WebAssembly SIMD) use the blocked JavaScript loop below.

import type { TensorData } from "../../tensor/dtype.js";
import { matmulF32, wasmKernelsAvailable } from "./wasm/index.js";

/**
 * out[b] = op(A[b]) @ op(B[b]) for every batch b; op(A) is m×k (stored k×m when transposeA),
 * op(B) is k×n (stored n×k when transposeB). A batch stride of 0 reuses the same matrix.
 */
export function matmul(
  a: TensorData,
  b: TensorData,
  out: TensorData,
  batch: number,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  aBatchStride: number,
  bBatchStride: number,
): void {
  if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && wasmKernelsAvailable()) {
    matmulF32(a, b, out, batch, m, k, n, transposeA, transposeB, aBatchStride, bBatchStride);
    return;
  }
  const row = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const ao = t * aBatchStride;
    const bo = t * bBatchStride;
    const oo = t * m * n;
    // A(i, p) and B(p, j) in the stored layouts.
    const sai = transposeA ? 1 : k;
    const sap = transposeA ? m : 1;
    const sbp = transposeB ? 1 : n;
    const sbj = transposeB ? k : 1;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[ao + i * sai + p * sap]!;
        if (av === 0) continue;
        let bi = bo + p * sbp;
        for (let j = 0; j < n; j++, bi += sbj) row[j] += av * b[bi]!;
      }
      for (let j = 0; j < n; j++) out[oo + i * n + j] = row[j]!;
    }
  }
}
