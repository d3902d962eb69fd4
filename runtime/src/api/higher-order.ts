// Derivatives of derivatives. When the build sees `derivative(derivative(f))`,
// `gradient(gradient(f))` or `differential(gradient(f))`, it also generates the JVP and VJP of
// f's own JVP (`f$jvp$jvp`, `f$jvp$vjp`) and calls `secondOrder` to get the derivatives of the
// inner operator's result as a function. Which composition gives what:
//   derivative(f) / gradient(f) of a one-parameter f:  f'(x) = f$jvp(x, 1).tangent
//     its JVP  (forward over forward):  f$jvp$jvp(x, 1, dx, 0).tangent.tangent = f''(x)·dx
//     its VJP  (reverse over forward):  f$jvp$vjp(x, 1).pullback({ value: 0, tangent: ct })[0]
//   gradient(f) of a several-parameter scalar f: ∇f(x)
//     its JVP is the Hessian-vector product H·v = ∇x⟨∇f(x), v⟩ (reverse over forward: H is
//     symmetric, so this equals the forward-over-reverse product J(∇f)·v).

import { CotangentError, functionName } from "../errors.js";
import { Derivatives, getDerivatives, isDerivatives, registry, type JvpFunction, type VjpFunction } from "../ad/derivatives.js";
import { zerosLike, type Tangent } from "../ad/tangent.js";
import { derivative, gradientWithPending } from "./operators.js";
import { full } from "../tensor/create.js";
import { isTensor } from "../tensor/tensor.js";

/** The generated derivatives of a function's JVP (`f$jvp$jvp`, `f$jvp$vjp`). */
export interface SecondOrder {
  jvp: JvpFunction;
  vjp: VjpFunction;
}

type Inner = "derivative" | "gradient";

/**
 * Derivatives of `inner(f)` as a function, from f's derivatives and those of its JVP.
 * Called by generated code; `inner` is the operator applied first.
 *
 * @example
 * // the build turns derivative(derivative(f)) into:
 * derivative(secondOrder("derivative", fDerivatives, { jvp: f$jvp$jvp, vjp: f$jvp$vjp }));
 */
export function secondOrder(inner: Inner, f: Derivatives, second: SecondOrder): Derivatives {
  const arity = f.arity;
  const name = `${inner}(${f.name})`;
  if (!f.jvp) throw new CotangentError("CT3001", `'${f.name}' has no forward-mode derivative, which ${name} needs.`);
  if (f.rest) throw new CotangentError("CT3006", `${name}: second derivatives of a function with a rest parameter are not supported; take an array parameter, or a fixed number of parameters, instead.`);
  if (inner === "gradient") return gradientSecondOrder(f, second);
  const fn = derivative(f);
  if (f.wrt.length !== 1)
    throw new CotangentError(
      "CT3006",
      `${name}: a second derivative by composition needs '${functionName(f.fn ?? f.name)}' to have exactly one differentiated parameter (it has ${f.wrt.length}).`,
    );
  // f'(args) = f$jvp(...args, ...unit).tangent, with the unit tangent on the differentiated
  // (number) parameter; differentiate that expression in the arguments.
  const i = f.wrt[0]!;
  const unit = Array.from({ length: arity }, (_, k) => (k === i ? 1 : null));
  const zeros = Array.from({ length: arity }, () => null);
  const jvp: JvpFunction = function (this: unknown, ...argsThenTangents: unknown[]) {
    const args = argsThenTangents.slice(0, arity);
    const tangents = argsThenTangents.slice(arity, 2 * arity);
    const r = second.jvp.apply(this, [...args, ...unit, ...tangents, ...zeros]) as {
      value: { tangent: Tangent };
      tangent: { tangent: Tangent } | null;
    };
    return { value: r.value.tangent ?? 0, tangent: r.tangent?.tangent ?? 0 };
  };
  const vjp: VjpFunction = function (this: unknown, ...given: unknown[]) {
    // Omitted trailing arguments stay undefined (their defaults apply), in their own slots.
    const args = Array.from({ length: arity }, (_, k) => given[k]);
    const r = second.vjp.apply(this, [...args, ...unit]) as { value: { tangent: Tangent }; pullback: (ct: Tangent) => Tangent[] };
    return { value: r.value.tangent ?? 0, pullback: (ct: Tangent) => r.pullback({ value: null, tangent: ct }).slice(0, arity) };
  };
  return new Derivatives({ name, arity, wrt: f.wrt, jvp, vjp, fn });
}

/**
 * The derivatives of g = gradient(f), for any differentiated parameters (numbers, tensors,
 * structures), from the reverse-over-forward product: with dir a tangent of f's arguments,
 * ∇⟨∇f(args), dir⟩ = H·dir over the differentiated parameters, and over the others the mixed
 * partials (∂∇f/∂p)ᵀ·dir. So
 *   g's JVP along dir is the Hessian-vector product H·dir (H is symmetric, so it equals the
 *   forward-over-reverse product J(∇f)·dir), and
 *   g's VJP at a cotangent c (shaped as g's result) is the same product with dir = c: Jᵀc, one
 *   entry per parameter of f (gradient penalties, MAML inner steps: a loss that contains a gradient).
 */
function gradientSecondOrder(f: Derivatives, second: SecondOrder): Derivatives {
  const { arity, wrt } = f;
  const name = `gradient(${f.name})`;
  // The value may hold pending numbers (a number parameter's cotangent on a GPU): the caller decides.
  const fn = gradientWithPending(f) as (...a: unknown[]) => unknown;
  /** ⟨∇⟨∇f(args), dir⟩⟩ for every parameter: the pullback of f$jvp$vjp at a unit tangent. */
  const hessianTimes = (thisArg: unknown, args: unknown[], dir: unknown[]): Tangent[] => {
    const dirs = dir.map((t, k) => t ?? zerosLike(args[k] as Tangent));
    const r = second.vjp.apply(thisArg, [...args, ...dirs]) as { value: { value: unknown }; pullback: (ct: Tangent) => Tangent[] };
    return r.pullback({ value: null, tangent: unitLike(r.value.value) }).slice(0, arity);
  };
  /** A tangent shaped as g's result (one tangent for one differentiated parameter, else a list) spread over f's parameters. */
  const spread = (t: unknown): unknown[] => {
    const out: unknown[] = new Array(arity).fill(null);
    if (wrt.length === 1) out[wrt[0]!] = t;
    else wrt.forEach((i, k) => (out[i] = (t as unknown[] | null)?.[k] ?? null));
    return out;
  };
  const jvp: JvpFunction = function (this: unknown, ...argsThenTangents: unknown[]) {
    const args = argsThenTangents.slice(0, arity);
    const hv = hessianTimes(this, args, argsThenTangents.slice(arity, 2 * arity));
    const picked = wrt.map((i) => hv[i] ?? zerosLike(args[i] as Tangent));
    return { value: fn.apply(this, args), tangent: wrt.length === 1 ? picked[0]! : picked };
  };
  const vjp: VjpFunction = function (this: unknown, ...given: unknown[]) {
    const args = Array.from({ length: arity }, (_, k) => given[k]);
    return { value: fn.apply(this, args), pullback: (ct: Tangent) => (ct == null ? new Array(arity).fill(null) : hessianTimes(this, args, spread(ct))) };
  };
  return new Derivatives({ name, arity, wrt, jvp, vjp, fn });
}

/** The cotangent 1 for a scalar result: a number, or ones in a one-element tensor's shape and dtype. */
function unitLike(v: unknown): Tangent {
  return isTensor(v) ? full(v.shape, 1, v.dtype) : 1;
}

/**
 * Gives `g = inner(f)` derivatives of its own, built on first use from what f's build attached:
 * f's record and the derivatives of f's JVP (`f$jvp$jvp`, `f$jvp$vjp`, registered on `f$jvp`).
 * This is how `derivative(derivative(f))` works for an `f` imported from another module, where the
 * build cannot see f's JVP: f's module generates them for the marks it exports when it is built
 * with the plugin option `secondOrder: "exported"`.
 * @internal
 */
export function linkSecondOrder<G extends (...args: never[]) => unknown>(inner: Inner, f: unknown, g: G, options?: { keepName?: boolean }): G {
  const fName = operandName(f);
  // A generated function returned as it is (the fused gradient `f$grad`) keeps its own name.
  if (!options?.keepName) Object.defineProperty(g, "name", { value: `${inner}(${fName})` });
  registry.derived.set(g, () => {
    const d = getDerivatives(f);
    if (!d?.jvp) return `'${fName}' has no forward-mode derivative, which ${inner}(${fName}) needs to be differentiated again.`;
    const second = getDerivatives(d.jvp);
    if (!second?.jvp || !second.vjp) {
      return (
        `${inner}(${fName}) is differentiated again, which needs the derivatives of the JVP of '${fName}', and its build generated none. ` +
        `The build generates them for the marks a module differentiates twice itself, and, with the plugin option secondOrder: "exported", for the marks every module exports; ` +
        `build the module that defines '${fName}' with secondOrder: "exported" (Babel plugin options, or the ts-patch transformer entry in tsconfig.json), ` +
        `or compile derivative(derivative(${fName})) in that module to see why its JVP is not differentiable.`
      );
    }
    return secondOrder(inner, d, { jvp: second.jvp, vjp: second.vjp });
  });
  return g;
}

/** f's name for messages, without resolving a derived record (that could throw, or run before f's module attached its derivatives). */
function operandName(f: unknown): string {
  if (isDerivatives(f)) return f.name || "<anonymous>";
  return (typeof f === "function" ? registry.derivatives.get(f)?.name : undefined) || functionName(f);
}
