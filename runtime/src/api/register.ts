// registerDerivative: derivatives written by hand for functions the build never sees (library
// code, native functions). Adapts the user-facing conventions (one cotangent for a one-parameter
// function; a `differential` closure in forward mode) to the internal ones generated code uses.

import { CotangentError, describeValue, functionName } from "../errors.js";
import {
  Derivatives,
  registry,
  type AnyFunction,
  type JvpFunction,
  type JvpResult,
  type VjpFunction,
  type VjpResult,
} from "../ad/derivatives.js";
import { zerosLike, type Tangent } from "../ad/tangent.js";
import type { ExpectedJvp, ExpectedVjp } from "./types.js";

/** A user-written reverse-mode rule: the value, and a pullback from the result's cotangent. */
export type UserVjp<A extends unknown[] = unknown[], R = unknown> = (...args: A) => {
  value: R;
  /** One cotangent for a one-parameter function; otherwise an array with one per parameter. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pullback: (cotangent: any) => unknown;
};

/** A user-written forward-mode rule: the value, and a differential taking one tangent per parameter. */
export type UserJvp<A extends unknown[] = unknown[], R = unknown> = (...args: A) => {
  value: R;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  differential: (...tangents: any[]) => unknown;
};

/**
 * Rules for {@link registerDerivative}, typed from the function `(this: T, ...args: A) => R` they
 * differentiate; at least one is required. `vjp` must be an {@link ExpectedVjp}: the function's
 * parameters → `{ value: R, pullback: ExpectedPullback<A, R> }`; `jvp` an {@link ExpectedJvp}.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DerivativeRules<A extends readonly unknown[] = any[], R = any, T = unknown> {
  vjp?: ExpectedVjp<A, R, T>;
  jvp?: ExpectedJvp<A, R, T>;
}

/** Options of {@link registerDerivative}. */
export interface RegisterOptions {
  /** Replace derivatives already attached to the function instead of throwing CT3004. */
  replace?: boolean;
  /** Number of parameters (default `fn.length`, which does not count defaulted or rest parameters). */
  arity?: number;
}

function malformed(name: string, rule: "vjp" | "jvp", detail: string): never {
  const shape = rule === "vjp" ? "{ value, pullback(cotangent) }" : "{ value, differential(...tangents) }";
  throw new CotangentError("CT3007", `The ${rule} registered for '${name}' must return ${shape}; ${detail}.`);
}

function adaptVjp(user: UserVjp, name: string, arity: number): VjpFunction {
  return function (this: unknown, ...args: unknown[]): VjpResult {
    const r = user.apply(this, args) as ReturnType<UserVjp> | undefined;
    if (typeof r !== "object" || r === null || typeof r.pullback !== "function") {
      malformed(name, "vjp", `it returned ${describeValue(r)}`);
    }
    const value = r.value;
    return {
      value,
      pullback: (cotangent: Tangent) => {
        const g = r.pullback(cotangent ?? zerosLike(value));
        if (arity === 1) return [g as Tangent];
        if (!Array.isArray(g)) {
          malformed(name, "vjp", `its pullback must return an array with one cotangent per parameter (${arity}), got ${describeValue(g)}`);
        }
        return g as Tangent[];
      },
    };
  };
}

function adaptJvp(user: UserJvp, name: string, arity: number): JvpFunction {
  return function (this: unknown, ...argsThenTangents: unknown[]): JvpResult {
    const args = argsThenTangents.slice(0, arity);
    const tangents = argsThenTangents.slice(arity, 2 * arity).map((t, i) => (t ?? zerosLike(args[i])) as Tangent);
    while (tangents.length < arity) tangents.push(zerosLike(args[tangents.length]));
    const r = user.apply(this, args) as ReturnType<UserJvp> | undefined;
    if (typeof r !== "object" || r === null || typeof r.differential !== "function") {
      malformed(name, "jvp", `it returned ${describeValue(r)}`);
    }
    return { value: r.value, tangent: (r.differential(...tangents) ?? null) as Tangent };
  };
}

/**
 * Attaches hand-written derivatives to a function the build does not see, so the operators and
 * differentiable code calling it can differentiate through it. `vjp(...args)` returns
 * `{ value, pullback }` whose pullback returns the cotangent of the parameter (one-parameter
 * functions) or an array with one per parameter; `jvp(...args)` returns `{ value, differential }`
 * whose differential takes one tangent per parameter. Zero tangents/cotangents arrive as zeros of
 * the right shape, never `null`. Throws CT3004 if `fn` already has derivatives, unless
 * `{ replace: true }`, which replaces the modes given and keeps a mode not given. Returns `fn`.
 *
 * @example
 * registerDerivative(Math.hypot, {
 *   vjp: (x: number, y: number) => {
 *     const h = Math.hypot(x, y);
 *     return { value: h, pullback: (b) => [(b as number) * x / h, (b as number) * y / h] };
 *   },
 *   jvp: (x: number, y: number) => {
 *     const h = Math.hypot(x, y);
 *     return { value: h, differential: (dx, dy) => ((dx as number) * x + (dy as number) * y) / h };
 *   },
 * }, { arity: 2 });
 */
export function registerDerivative<F extends (this: T, ...args: A) => R, A extends unknown[], R, T = unknown>(
  fn: F & ((this: T, ...args: A) => R),
  rules: DerivativeRules<A, R, T>,
  options?: RegisterOptions,
): F;
export function registerDerivative<F extends AnyFunction>(fn: F, rules: DerivativeRules, options: RegisterOptions = {}): F {
  if (typeof fn !== "function") {
    throw new CotangentError("CT3005", `registerDerivative(fn, rules): fn must be a function, got ${describeValue(fn)}.`);
  }
  const name = functionName(fn);
  if (typeof rules !== "object" || rules === null) {
    throw new CotangentError("CT3005", `registerDerivative(${name}, rules): rules must be an object { vjp?, jvp? }, got ${describeValue(rules)}.`);
  }
  const { vjp, jvp } = rules;
  if (vjp === undefined && jvp === undefined) {
    throw new CotangentError("CT3005", `registerDerivative(${name}, rules): give at least one of rules.vjp (reverse mode) or rules.jvp (forward mode).`);
  }
  for (const [key, rule] of [["vjp", vjp], ["jvp", jvp]] as const) {
    if (rule !== undefined && typeof rule !== "function") {
      throw new CotangentError("CT3005", `registerDerivative(${name}, rules): rules.${key} must be a function, got ${describeValue(rule)}.`);
    }
  }
  const arity = options.arity ?? fn.length;
  if (!Number.isInteger(arity) || arity < 0) {
    throw new CotangentError("CT3005", `registerDerivative(${name}, rules, options): options.arity must be a non-negative integer, got ${String(arity)}.`);
  }
  const existing = registry.derivatives.get(fn);
  if (existing !== undefined && options.replace !== true) {
    const origin = registry.registered.has(fn) ? "were already registered with registerDerivative" : "were generated by the build";
    throw new CotangentError(
      "CT3004",
      `Derivatives of '${name}' ${origin}. Pass { replace: true } as the third argument to replace them.`,
    );
  }
  const record = new Derivatives({
    name,
    arity,
    wrt: Array.from({ length: arity }, (_, i) => i),
    // With { replace: true } the modes given replace the existing ones; a mode not given is kept
    // (so one `@derivative` for the pullback and another for the differential can both register).
    vjp: vjp ? adaptVjp(vjp as UserVjp, name, arity) : existing?.vjp,
    jvp: jvp ? adaptJvp(jvp as UserJvp, name, arity) : existing?.jvp,
    fn,
  });
  registry.derivatives.set(fn, record);
  registry.registered.add(fn);
  return fn;
}
