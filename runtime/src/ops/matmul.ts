// Batched matrix multiplication with transpose flags, and its derivative rules.

import { backendOf, moveTo } from "../backends/index.js";
import { CotangentError } from "../errors.js";
import { promote } from "../tensor/dtype.js";
import { broadcastShapes, fmtShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { tAdd } from "./elementwise.js";
import { lazyCotangents } from "../ad/derivatives.js";
import { defineOp } from "./op.js";
import { castTo, requireTensor, tangentOf, unbroadcastTo } from "./util.js";

function describe(t: Tensor, transposed: boolean): string {
  return `${fmtShape(t.shape)}${transposed ? "ᵀ" : ""}`;
}

/** op(a) @ op(b) over broadcast batch dimensions, on the operands' backend. */
function product(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const op = "matmul";
  a.checkLive(op);
  b.checkLive(op);
  if (a.rank < 2 || b.rank < 2)
    throw new CotangentError(
      "CT3005",
      `${op}: both operands need at least 2 dimensions, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}; use expandDims(v, 0) or expandDims(v, -1) for a vector.`,
    );
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const k = transposeA ? ar : ac;
  const k2 = transposeB ? bc : br;
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
  const be = backendOf(a, b);
  return be.matmul(moveTo(a, be), moveTo(b, be), transposeA, transposeB, batchShape, promote(a.dtype, b.dtype));
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
  (a: Tensor, b: Tensor, transposeA: boolean = false, transposeB: boolean = false): Tensor => product(requireTensor(a, "matmul", "a"), requireTensor(b, "matmul", "b"), transposeA, transposeB),
  {
    name: "matmul",
    family: "matmul",
    method: true,
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
          // Each product runs only if its cotangent is read (a constant operand needs none).
          const gA = () => (!tA ? (!tB ? product(g, b, false, true) : product(g, b, false, false)) : !tB ? product(b, g, false, true) : product(b, g, true, true));
          const gB = () => (!tB ? (!tA ? product(a, g, true, false) : product(a, g, false, false)) : !tA ? product(g, a, true, false) : product(g, a, true, true));
          return lazyCotangents([() => unbroadcastTo(gA(), a), () => unbroadcastTo(gB(), b), null, null]);
        },
      };
    },
  },
);
