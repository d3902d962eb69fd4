// Ops as Tensor methods: `a.add(b)` is `add(a, b)`. Each method's derivatives are its op's, with
// the tensor the method is called on as parameter 0 (a "receiver" record, see
// ../ad/derivatives.ts), so generated code differentiates `a.add(b)` with respect to `a` too.

import { defineDerivatives, getDerivatives } from "../ad/derivatives.js";
import { full } from "../tensor/create.js";
import { Tensor } from "../tensor/tensor.js";
import { defineOp, getOp, listOps, noteMethod } from "./op.js";
// Every op module, so that all ops are registered before the methods are installed below, whatever
// imports this module first.
import "./elementwise.js";
import "./reduce.js";
import "./matmul.js";
import "./movement.js";
import "./nn.js";
import "./conv.js";
import "./methods.generated.js";

/** The class's own item(), before the method is replaced by the differentiable op below. */
const classItem = Tensor.prototype.item;
const readItem = (t: Tensor): number => classItem.call(t);

/**
 * `t.item()` as an op: the number in a one-element tensor. Differentiable (the number's
 * derivative is the tensor's), so `if (loss.item() > 0)` and `sum(h).item() * 2` both work in
 * marked functions.
 */
const item = defineOp((t: Tensor): number => readItem(t), {
  name: "item",
  exported: false,
  family: "movement",
  method: true,
  arity: 1,
  wrt: [0],
  jvp: (t: Tensor, dt: unknown) => ({ value: readItem(t), tangent: dt instanceof Tensor ? readItem(dt) : 0 }),
  vjp: (t: Tensor) => ({ value: readItem(t), pullback: (g: number | null) => [g === null || g === 0 ? null : full(t.shape, g, t.dtype === "int32" ? "float32" : t.dtype)] }),
});

/**
 * Reading values out as plain data: no derivative (a number per element would lose it). These are
 * the class's own methods; the ops only tell the build that they have no derivative.
 */
const READS = ["dataSync", "arraySync", "data"] as const;
for (const name of READS)
  defineOp((t: Tensor) => (Tensor.prototype[name] as () => unknown).call(t), {
    name,
    exported: false,
    family: "movement",
    why: "it reads the values out as plain numbers, which carry no derivative; use item() for a one-element tensor, or withoutDerivative(t) if constants are intended",
  });

for (const name of READS) noteMethod(getOp(name)!.fn, name);

// Every op registered with `method: true` (all op modules are loaded before this one: ./index.ts)
// becomes `Tensor.prototype[name]`; ./methods.generated.ts declares their types.
for (const op of listOps()) {
  if (!op.method) continue;
  const fn = op.fn;
  const impl = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
  Object.defineProperty(impl, "name", { value: op.name });
  Object.defineProperty(Tensor.prototype, op.name, { value: impl, writable: true, configurable: true, enumerable: false });
  noteMethod(fn, op.name);
  const d = getDerivatives(fn);
  if (d) defineDerivatives(impl, { name: `Tensor.${op.name}`, arity: d.arity, wrt: d.wrt, jvp: d.jvp, vjp: d.vjp, receiver: true });
}
