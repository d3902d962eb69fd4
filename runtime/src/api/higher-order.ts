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
import { derivative, gradient } from "./operators.js";

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
  const fn = inner === "derivative" ? derivative(f) : gradient(f);
  const scalar = f.wrt.length === 1;
  if (inner === "derivative" || scalar) {
    if (!scalar)
      throw new CotangentError(
        "CT3006",
        `${name}: a second derivative by composition needs '${functionName(f.fn ?? f.name)}' to have exactly one differentiated parameter (it has ${f.wrt.length}).`,
      );
    // f'(args) = f$jvp(...args, ...unit).tangent, with the unit tangent on the differentiated
    // parameter; differentiate that expression in the arguments.
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
      return { value: r.value.tangent ?? 0, pullback: (ct: Tangent) => r.pullback({ value: 0, tangent: ct }).slice(0, arity) };
    };
    return new Derivatives({ name, arity, wrt: f.wrt, jvp, vjp, fn });
  }
  // gradient of a several-parameter scalar function: its differential is the Hessian-vector product.
  const wrt = f.wrt;
  const jvp: JvpFunction = function (this: unknown, ...argsThenTangents: unknown[]) {
    const args = argsThenTangents.slice(0, arity);
    const dirs = argsThenTangents.slice(arity).map((t, i) => t ?? zerosLike(args[i] as Tangent));
    const value = (fn as (...a: unknown[]) => unknown).apply(this, args);
    const r = second.vjp.apply(this, [...args, ...dirs]) as { pullback: (ct: Tangent) => Tangent[] };
    const cts = r.pullback({ value: 0, tangent: 1 });
    const hv = wrt.map((i) => cts[i] ?? zerosLike(args[i] as Tangent));
    return { value, tangent: wrt.length === 1 ? hv[0]! : hv };
  };
  return new Derivatives({ name, arity, wrt, jvp, fn });
}

/**
 * Gives `g = inner(f)` derivatives of its own, built on first use from what f's build attached:
 * f's record and the derivatives of f's JVP (`f$jvp$jvp`, `f$jvp$vjp`, registered on `f$jvp`).
 * This is how `derivative(derivative(f))` works for an `f` imported from another module, where the
 * build cannot see f's JVP: f's module generates them for the marks it exports when it is built
 * with the plugin option `secondOrder: "exported"`.
 * @internal
 */
export function linkSecondOrder<G extends (...args: never[]) => unknown>(inner: Inner, f: unknown, g: G): G {
  const fName = operandName(f);
  Object.defineProperty(g, "name", { value: `${inner}(${fName})` });
  registry.derived.set(g, () => {
    const d = getDerivatives(f);
    if (!d?.jvp) return `'${fName}' has no forward-mode derivative, which ${inner}(${fName}) needs to be differentiated again.`;
    const second = getDerivatives(d.jvp);
    if (!second?.jvp || !second.vjp) {
      return (
        `${inner}(${fName}) is differentiated again, which needs the derivatives of the JVP of '${fName}', and its build generated none. ` +
        `The build generates them for the marks a module differentiates twice itself, and, with the plugin option secondOrder: "exported", for the marks every module exports; ` +
        `build the module that defines '${fName}' with secondOrder: "exported" (Babel plugin options, or the ts-patch transformer entry in tsconfig.json), ` +
        `or compile derivative(derivative(${fName})) in that module to see why its JVP is not differentiable (tensor ops have no second derivatives yet).`
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
