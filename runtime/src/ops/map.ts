// map(f): a `/** @differentiable @kernel */` scalar function applied to tensors elementwise, with
// NumPy broadcasting, as one kernel: one loop on the CPU (the function's JavaScript), one dispatch
// on WebGPU (the WGSL the build compiled from the same function: transformer/src/kernel.ts).
// Differentiable in tensor programs: its JVP is Σⱼ tⱼ·∂f/∂xⱼ and its VJP gives g·∂f/∂xⱼ for every
// input in one pass (the partials come from the function's own derivative rules), summed back over
// broadcast axes. Second derivatives of map(f) are not available (its JVP has none).

import { defineDerivatives, lazyCotangents } from "../ad/derivatives.js";
import type { Backend, ScalarKernel } from "../backends/backend.js";
import { backendOf, moveTo } from "../backends/index.js";
import { CotangentError } from "../errors.js";
import { toTensor, type TensorLike } from "../tensor/create.js";
import { promote, type DType } from "../tensor/dtype.js";
import { broadcastShapes } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { castTo, unbroadcastTo } from "./util.js";

const KERNEL = Symbol.for("@cotangent/runtime.kernel");

/**
 * Attaches the build's WGSL to a `@kernel` function; generated code calls this after the
 * function's derivatives. Returns `fn`.
 * @internal
 */
export function defineKernel<F extends (...xs: number[]) => number>(fn: F, spec: { params: readonly string[]; wgsl: string; partials?: ScalarKernel["partials"] }): F {
  const kernel: ScalarKernel = { name: fn.name || "kernel", fn, params: spec.params, wgsl: spec.wgsl, ...(spec.partials ? { partials: spec.partials } : {}) };
  Object.defineProperty(fn, KERNEL, { value: kernel, configurable: true });
  return fn;
}

function kernelOf(f: unknown): ScalarKernel {
  const k = typeof f === "function" ? (f as { [KERNEL]?: ScalarKernel })[KERNEL] : undefined;
  if (k) return k;
  const name = typeof f === "function" ? f.name || "the function" : String(f);
  throw new CotangentError(
    "CT3001",
    `map(${name}) needs a scalar function compiled as a kernel: mark it /** @differentiable @kernel */ (number parameters and result) where it is defined, and build that file with the Cotangent plugin.`,
  );
}

type Inputs<F> = F extends (...xs: infer P) => number ? { [K in keyof P]: TensorLike } : never;

/** The inputs on one backend, in one float dtype, broadcast to one shape. */
function prepare(kernel: ScalarKernel, xs: readonly unknown[]): { be: Backend; dtype: DType; inputs: Tensor[]; shape: number[] } {
  const op = `map(${kernel.name})`;
  if (xs.length !== kernel.params.length)
    throw new CotangentError("CT3005", `${op}: takes ${kernel.params.length} input(s) (${kernel.params.join(", ")}), got ${xs.length}.`);
  const tensors = xs.filter((x): x is Tensor => x instanceof Tensor);
  for (const t of tensors) t.checkLive(op);
  let dtype: DType = "float32";
  for (const t of tensors) dtype = promote(dtype, t.dtype === "int32" ? "float32" : t.dtype);
  // Numbers become scalars of the tensors' dtype (a float64 program keeps float64 numbers).
  const given = xs.map((x, i) => (x instanceof Tensor ? x : toTensor(x as TensorLike, dtype, `${op} input ${i + 1}`)));
  const be = tensors.length ? backendOf(...tensors) : given[0]!.backend;
  let shape: number[] = [];
  for (const t of given) shape = broadcastShapes(shape, t.shape, op);
  // Broadcast inputs are read in place by the backend's kernel (no copy).
  const inputs = given.map((t) => castTo(moveTo(t, be), dtype));
  return { be, dtype, inputs, shape };
}

function need<K extends "mapForward" | "mapTangent" | "mapBackward">(be: Backend, method: K, kernel: ScalarKernel): NonNullable<Backend[K]> {
  const m = be[method];
  if (!m) throw new CotangentError("CT3009", `map(${kernel.name}): the ${be.name} backend cannot run kernel functions (it has no ${method}).`);
  return m.bind(be) as NonNullable<Backend[K]>;
}

/**
 * `f`, a `/** @differentiable @kernel *\/` function of numbers, applied elementwise to tensors
 * (numbers and tensors broadcast together). One kernel per call forward, one for the JVP, one for
 * the VJP (all inputs' cotangents in one pass).
 *
 * @example
 * /** @differentiable @kernel *\/
 * function softClip(x: number, limit: number): number {
 *   return limit * Math.tanh(x / limit);
 * }
 * const y = map(softClip)(activations, 3); // a tensor of activations' shape
 */
export function map<F extends (...xs: number[]) => number>(f: F): (...xs: Inputs<F>) => Tensor {
  const forward = (...xs: unknown[]): Tensor => {
    const kernel = kernelOf(f);
    const { be, dtype, inputs, shape } = prepare(kernel, xs);
    return need(be, "mapForward", kernel)(kernel, inputs, shape, dtype);
  };
  const g = function (...xs: unknown[]): Tensor {
    return forward(...xs);
  };
  Object.defineProperty(g, "name", { value: `map(${f.name || "kernel"})` });
  const arity = f.length;
  const all = Array.from({ length: arity }, (_, i) => i);
  defineDerivatives(g, {
    name: `map(${f.name || "kernel"})`,
    arity,
    wrt: all,
    jvp(...argsThenTangents: unknown[]) {
      const kernel = kernelOf(f);
      const xs = argsThenTangents.slice(0, arity);
      const ts = argsThenTangents.slice(arity, 2 * arity);
      const { be, dtype, inputs, shape } = prepare(kernel, xs);
      const value = need(be, "mapForward", kernel)(kernel, inputs, shape, dtype);
      if (ts.every((t) => t == null)) return { value, tangent: null };
      const tangents = ts.map((t, j) =>
        t == null ? be.fill(inputs[j]!.shape, dtype, 0) : castTo(moveTo(t instanceof Tensor ? t : toTensor(t as number, dtype, "map tangent"), be), dtype),
      );
      return { value, tangent: need(be, "mapTangent", kernel)(kernel, inputs, tangents, shape, dtype) };
    },
    vjp(...xs: unknown[]) {
      const kernel = kernelOf(f);
      const { be, dtype, inputs, shape } = prepare(kernel, xs);
      const value = need(be, "mapForward", kernel)(kernel, inputs, shape, dtype);
      return {
        value,
        pullback: (ct: Tensor | null) => {
          if (ct == null) return all.map(() => null);
          let parts: Tensor[] | undefined;
          const back = () => (parts ??= need(be, "mapBackward", kernel)(kernel, inputs, castTo(moveTo(ct, be), dtype), dtype));
          // Each input's cotangent summed back to its shape when read (a constant input needs none).
          return lazyCotangents(all.map((j) => () => unbroadcastTo(back()[j]!, xs[j] as TensorLike)));
        },
      };
    },
  });
  return g as unknown as (...xs: Inputs<F>) => Tensor;
}
