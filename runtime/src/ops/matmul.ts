// Batched matrix multiplication with transpose flags, and its derivative rules.

import { mapBinary } from "../backends/cpu/elementwise.js";
import { matmul as matmulKernel } from "../backends/cpu/matmul.js";
import { CotangentError } from "../errors.js";
import { promote } from "../tensor/dtype.js";
import { broadcastShapes, fmtShape, sameShape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { tAdd } from "./elementwise.js";
import { defineOp } from "./op.js";
import { castTo, empty, requireTensor, tangentOf, unbroadcastTo } from "./util.js";

function describe(t: Tensor, transposed: boolean): string {
  return `${fmtShape(t.shape)}${transposed ? "ᵀ" : ""}`;
}

/** op(a) @ op(b) over broadcast batch dimensions. */
function product(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const op = "matmul";
  if (a.rank < 2 || b.rank < 2)
    throw new CotangentError(
      "CT3005",
      `${op}: both operands need at least 2 dimensions, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}; use expandDims(v, 0) or expandDims(v, -1) for a vector.`,
    );
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const k2 = transposeB ? bc : br;
  const n = transposeB ? br : bc;
  if (k !== k2)
    throw new CotangentError("CT3005", `${op}: inner dimensions differ: ${describe(a, transposeA)} @ ${describe(b, transposeB)} (${k} ≠ ${k2}).`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes(aBatch, bBatch, op);
  } catch {
    throw new CotangentError("CT3005", `${op}: batch dimensions ${fmtShape(aBatch)} and ${fmtShape(bBatch)} cannot be broadcast together.`);
  }
  const batch = sizeOf(batchShape);
  const dtype = promote(a.dtype, b.dtype);
  const A = castTo(materializeBatch(a, batchShape), dtype);
  const B = castTo(materializeBatch(b, batchShape), dtype);
  const out = empty([...batchShape, m, n], dtype);
  // After materializeBatch each operand is one matrix (stride 0: reused) or one per batch entry.
  const aStride = A.size === ar * ac ? 0 : ar * ac;
  const bStride = B.size === br * bc ? 0 : br * bc;
  matmulKernel(A.values, B.values, out.values, batch, m, k, n, transposeA, transposeB, aStride, bStride);
  return out;
}

/**
 * `t`'s batch dimensions expanded to `batchShape` when they differ and neither is a single matrix
 * (the kernel reuses a single matrix with stride 0 without copying).
 */
function materializeBatch(t: Tensor, batchShape: number[]): Tensor {
  const own = t.shape.slice(0, -2);
  if (sizeOf(own) === 1 || sameShape(own, batchShape)) return t;
  const mat = t.shape.slice(-2);
  const target = [...batchShape, ...mat];
  const out = empty(target, t.dtype);
  // Broadcast copy through the elementwise kernel: out = t + 0.
  const zero = empty([], t.dtype);
  mapBinary(t.values, t.shape, zero.values, [], out.values, target, (x) => x);
  return out;
}

/**
 * Matrix product op(a) @ op(b), where op transposes the last two axes when the flag is set.
 * Leading (batch) axes broadcast. float32 runs on the WebAssembly SIMD kernel.
 *
 * @example
 * matmul(x, w);             // [batch, in] @ [in, out]
 * matmul(q, k, false, true); // q @ kᵀ
 */
export const matmul = defineOp(
  (a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor => product(requireTensor(a, "matmul", "a"), requireTensor(b, "matmul", "b"), transposeA, transposeB),
  {
    name: "matmul",
    family: "matmul",
    arity: 4,
    wrt: [0, 1],
    jvp(a: Tensor, b: Tensor, transposeA: boolean | undefined, transposeB: boolean | undefined, da: unknown, db: unknown) {
      const tA = transposeA ?? false;
      const tB = transposeB ?? false;
      const value = product(requireTensor(a, "matmul", "a"), requireTensor(b, "matmul", "b"), tA, tB);
      const dA = tangentOf(a, da, "matmul", "a");
      const dB = tangentOf(b, db, "matmul", "b");
      const t = tAdd(dA && product(dA, b, tA, tB), dB && product(a, dB, tA, tB));
      return { value, tangent: t && castTo(t, value.dtype) };
    },
    vjp(a: Tensor, b: Tensor, transposeA: boolean | undefined, transposeB: boolean | undefined) {
      const tA = transposeA ?? false;
      const tB = transposeB ?? false;
      const value = product(requireTensor(a, "matmul", "a"), requireTensor(b, "matmul", "b"), tA, tB);
      return {
        value,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null, null, null];
          // C = op(A) op(B): the four transpose cases (see the derivation in the commit message).
          const gA = !tA ? (!tB ? product(g, b, false, true) : product(g, b, false, false)) : !tB ? product(b, g, false, true) : product(b, g, true, true);
          const gB = !tB ? (!tA ? product(a, g, true, false) : product(a, g, false, false)) : !tA ? product(g, a, true, false) : product(g, a, true, true);
          return [unbroadcastTo(gA, a), unbroadcastTo(gB, b), null, null];
        },
      };
    },
  },
);
