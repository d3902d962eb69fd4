// The marking API: `differentiable(fn)` / `differentiable(fn, { wrt })` for functions, and the
// standard (TC39, TS 5) decorator forms `@differentiable` / `@differentiable({ wrt })` for methods.
// The build reads these marks and attaches derivatives; at run time they return what they are given.

import { CotangentError, describeValue } from "../errors.js";
import { registry, type AnyFunction } from "../ad/derivatives.js";
import type { WithWrt } from "./types.js";

/** Options of a differentiable mark. */
export interface DifferentiableOptions {
  /** Names of the parameters to differentiate with respect to (default: every parameter). */
  wrt?: readonly string[];
}

function isDecoratorContext(x: unknown): x is DecoratorContext {
  return typeof x === "object" && x !== null && typeof (x as { kind?: unknown }).kind === "string";
}

function checkOptions(options: unknown, where: string): void {
  if (options === undefined) return;
  const wrt = (options as { wrt?: unknown } | null)?.wrt;
  const ok =
    typeof options === "object" &&
    options !== null &&
    (wrt === undefined || (Array.isArray(wrt) && wrt.every((w) => typeof w === "string")));
  if (!ok) {
    throw new CotangentError(
      "CT3005",
      `${where}: options must be { wrt?: string[] } (parameter names), got ${describeValue(options)}.`,
    );
  }
}

function checkMethodContext(context: DecoratorContext): void {
  if (context.kind !== "method") {
    throw new CotangentError(
      "CT3005",
      `@differentiable applies to methods, not to a ${context.kind}${context.name !== undefined ? ` ('${String(context.name)}')` : ""}. ` +
        "Put it on a method, or mark a function with /** @differentiable */ or differentiable(fn).",
    );
  }
}

function mark<F>(fn: F): F {
  if (typeof fn === "function") registry.marked.add(fn);
  return fn;
}

/**
 * Marks a function (or, as a decorator, a method) as differentiable. The Cotangent build (Babel
 * plugin or ts-patch transformer) generates its forward- and reverse-mode derivatives; at run time
 * this returns the function unchanged. `wrt` restricts differentiation to the named parameters.
 *
 * Types: `differentiable(fn)` has fn's type. With `{ wrt }`, the result also carries the optional,
 * type-only {@link WithWrt} mark, from which the operators know how many parameters are
 * differentiated (one: `gradient` returns one tangent, not a tuple). Types cannot see parameter
 * names, so each entry's tangent type is that of the function's differentiable parameters (exact
 * when they share a type, such as `number`).
 *
 * @example
 * const f = differentiable((x: number, y: number) => x * y + Math.sin(x));
 * const g = differentiable((x: number, n: number) => x ** n, { wrt: ["x"] });
 * class Model {
 *   @differentiable loss(w: number) { return w * w; }
 *   @differentiable({ wrt: ["w"] }) scaled(w: number, k: number) { return k * w; }
 * }
 */
export function differentiable<F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext<unknown, F>): F;
export function differentiable<F extends AnyFunction, const W extends readonly string[]>(
  fn: F,
  options: DifferentiableOptions & { wrt: W },
): F & WithWrt<W>;
export function differentiable<F extends AnyFunction>(fn: F, options?: DifferentiableOptions): F;
export function differentiable(
  options: DifferentiableOptions,
): <F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext<unknown, F>) => F;
export function differentiable(first: unknown, second?: unknown): unknown {
  if (typeof first === "function") {
    if (isDecoratorContext(second)) {
      checkMethodContext(second);
      return mark(first);
    }
    checkOptions(second, "differentiable(fn, options)");
    return mark(first);
  }
  if (second === undefined && typeof first === "object" && first !== null && !isDecoratorContext(first)) {
    checkOptions(first, "@differentiable(options)");
    return (method: unknown, context: unknown) => {
      if (!isDecoratorContext(context)) {
        throw new CotangentError("CT3005", "@differentiable(options) returns a method decorator; apply it to a method.");
      }
      checkMethodContext(context);
      if (typeof method !== "function") {
        throw new CotangentError("CT3005", `@differentiable: expected a method, got ${describeValue(method)}.`);
      }
      return mark(method);
    };
  }
  throw new CotangentError(
    "CT3005",
    `differentiable expects a function (differentiable(fn) or differentiable(fn, { wrt })), ` +
      `or options when used as a decorator (@differentiable({ wrt })); got ${describeValue(first)}.`,
  );
}
