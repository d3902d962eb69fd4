// Tensor functions whose reverse-mode function the fusion pass (fusion.ts) rewrites: the golden
// file fusion.txt shows each one's normalized IR after the pass. See ../passes.test.ts.
import { exp, relu, tanh, type Tensor } from "@cotangent/runtime";

/** A dense layer: matmul, bias and activation become one chain headed by the matmul. */
/** @differentiable */
export function dense(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return relu(x.matmul(w).add(b));
}

/** An intermediate read twice stays: only its consumers' single-use parts fuse. */
/** @differentiable */
export function shared(x: Tensor, y: Tensor): Tensor {
  const s = x.add(y);
  return tanh(s).mul(s.exp());
}

/** A user call between the chain's parts: evaluated in order, so the chain stops there. */
/** @differentiable */
export function interrupted(x: Tensor, y: Tensor): Tensor {
  const a = x.mul(y).exp();
  return logged(a).add(tanh(x));
}

function logged(t: Tensor): Tensor {
  return t;
}

/** Two matmuls: only one heads a chain (the first evaluated); the other is an input. */
/** @differentiable */
export function twoProducts(x: Tensor, w: Tensor, v: Tensor): Tensor {
  return exp(x.matmul(w).add(x.matmul(v)));
}

/** Number operands stay op by op (a chain takes tensors); a chain in a loop fuses inside it. */
/** @differentiable */
export function looped(x: Tensor, n: number): Tensor {
  let y = x.mul(2);
  for (let i = 0; i < n; i++) y = tanh(y.add(x)).mul(y);
  return y;
}

/** A stack of layers: each hidden value is read once, by the next layer, so they form one chain. */
/** @differentiable */
export function stack(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const h = relu(x.matmul(w1).add(b1));
  return tanh(h.matmul(w2).add(b2));
}

/** A hidden value read twice stays a value: two chains. */
/** @differentiable */
export function skip(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const h = relu(x.matmul(w).add(b));
  return h.matmul(w).add(h);
}

/** Elementwise ops before a matmul's left operand stay apart: a chain starts at its first matmul. */
/** @differentiable */
export function before(x: Tensor, w: Tensor): Tensor {
  return exp(tanh(x.exp()).matmul(w));
}

class Vec {
  constructor(readonly v: number) {}
  add(o: Vec): Vec {
    return new Vec(this.v + o.v);
  }
}

/** A method of the user's own class with a tensor op's name is not a tensor op: not fused. */
/** @differentiable */
export function ownMethods(a: Vec, b: Vec, x: Tensor): Tensor {
  const c = a.add(b).add(b).add(b);
  return exp(x).mul(c.v);
}
