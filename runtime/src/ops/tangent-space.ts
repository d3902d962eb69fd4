// Tensor as a tangent: how the run-time tangent helpers (../ad/tangent.ts) add, scale, zero and
// check tensors. Installed on Tensor.prototype under TANGENT_SPACE.

import { CotangentError } from "../errors.js";
import { fmtShape, sameShape } from "../tensor/shape.js";
import { Tensor, TANGENT_SPACE, type TangentSpace } from "../tensor/tensor.js";
import { tAdd, tScale } from "./elementwise.js";
import { castTo } from "./util.js";

function asTensor(v: unknown, what: string): Tensor {
  if (v instanceof Tensor) return v;
  throw new CotangentError("CT3008", `${what}: a tensor's tangent must be a Tensor of the same shape (or null for zero), got ${v === null ? "null" : typeof v}.`);
}

const floatOf = (t: Tensor) => (t.dtype === "int32" ? "float32" : t.dtype);

const tensorSpace: TangentSpace = {
  // On the primal's backend, so a WebGPU model gets WebGPU zeros.
  zero: (p) => (p as Tensor).backend.fill((p as Tensor).shape, floatOf(p as Tensor), 0),
  one: (p) => ((p as Tensor).size === 1 ? (p as Tensor).backend.fill((p as Tensor).shape, floatOf(p as Tensor), 1) : undefined),
  add(a, b) {
    const x = asTensor(a, "addTangent");
    const y = asTensor(b, "addTangent");
    if (!sameShape(x.shape, y.shape))
      throw new CotangentError("CT3008", `addTangent: cannot add tangents of shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
    return castTo(tAdd(x, y)!, x.dtype);
  },
  scale: (v, s) => tScale(asTensor(v, "scaleTangent"), s),
  check(primal, tangent, what) {
    if (tangent === null || tangent === undefined) return;
    const p = primal as Tensor;
    if (!(tangent instanceof Tensor))
      throw new CotangentError("CT3008", `${what}: expected a Tensor of shape ${fmtShape(p.shape)}, got ${typeof tangent}. A tensor's tangent is a tensor of its shape (null is zero).`);
    if (!sameShape(tangent.shape, p.shape))
      throw new CotangentError("CT3008", `${what}: has shape ${fmtShape(tangent.shape)}, expected ${fmtShape(p.shape)}. A tensor's tangent is a tensor of its shape (null is zero).`);
  },
};

Object.defineProperty(Tensor.prototype, TANGENT_SPACE, { value: tensorSpace, enumerable: false });
