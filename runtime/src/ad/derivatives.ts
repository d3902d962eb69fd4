// The derivative registry: which function has which generated (or user-registered) derivatives,
// and the calls generated code makes through it when it cannot reference a derivative directly.
//
// Conventions shared with the code generator (@cotangent/transformer), fixed:
//   jvp.call(thisArg, ...args, ...tangents) -> { value, tangent }
//       exactly `arity` args, then `arity` tangents; a `null` tangent is a symbolic zero.
//   vjp.call(thisArg, ...args) -> { value, pullback }
//       pullback(cotangent) returns an array with one cotangent per declared parameter
//       (length `arity`); an entry may be null/undefined, meaning zero.
//
// The registry lives on globalThis under a Symbol.for key so that the ESM and CJS builds of this
// package (both loaded in one process, the "dual package hazard") see the same records.

import { CotangentError, functionName } from "../errors.js";
import { zerosLike, type Tangent } from "./tangent.js";

/** Any function, with any `this`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: any, ...args: any[]) => any;

/** What a forward-mode (jvp) function returns. */
export interface JvpResult<V = unknown> {
  value: V;
  tangent: Tangent;
}

/** What a reverse-mode (vjp) function returns. */
export interface VjpResult<V = unknown> {
  value: V;
  /** Returns one cotangent per declared parameter (`null`/`undefined` = zero). */
  // The cotangent's shape is the result's (a number for a number-valued function), which the
  // type cannot know here: `any` lets `(b: number) => …` pullbacks be written as they read.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pullback: (cotangent: any) => Tangent[];
}

/** Generated forward-mode function: `jvp.call(thisArg, ...args, ...tangents)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JvpFunction = (this: any, ...argsThenTangents: any[]) => JvpResult;

/** Generated reverse-mode function: `vjp.call(thisArg, ...args)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type VjpFunction = (this: any, ...args: any[]) => VjpResult;

/**
 * Fields of a {@link Derivatives} record. The type parameters are type-only: `F`, the function
 * the record stands for, and `W`, the indices of its differentiated parameters, type the
 * operators' results (`gradient(record)` takes F's parameters and returns the tangents of W's).
 */
export interface DerivativesInit<F extends AnyFunction = AnyFunction, W extends readonly number[] = readonly number[]> {
  /** Name of the original function, for error messages. */
  name: string;
  /** Number of declared parameters of the original function. */
  arity: number;
  /** Indices of the differentiated parameters, in order. */
  wrt: W;
  /** Forward mode, if generated/registered. */
  jvp?: JvpFunction | undefined;
  /** Reverse mode, if generated/registered. */
  vjp?: VjpFunction | undefined;
  /** The original function, if known. */
  fn?: F | undefined;
  /**
   * The fused gradient the build generates for scalar code it takes `gradient` of:
   * `grad(...args)` gives what `gradient(record)(...args)` gives (the one differentiated
   * parameter's cotangent, or those of `wrt` in order), computed in one call without the record
   * and closures; `gradient` returns it as it is. Never carried over when the other modes are
   * replaced.
   */
  grad?: ((...args: never[]) => unknown) | undefined;
  /**
   * Likewise for `valueWithGradient`: `valueWithGradient(...args)` gives `{ value, gradient }`, as
   * `valueWithGradient(record)(...args)` does, in one call. Never carried over either.
   */
  valueWithGradient?: ((...args: never[]) => { value: unknown; gradient: unknown }) | undefined;
  /**
   * A method whose derivatives take the object it is called on as an explicit parameter 0
   * (`jvp(self, ...args, dSelf, ...dArgs)`, `vjp(self, ...args)` with a pullback giving
   * `[bSelf, ...bArgs]`); `arity` counts `self`. Tensor methods are such records, so generated
   * code can differentiate `a.add(b)` with respect to `a` (jvpMethodCall / vjpMethodCall).
   */
  receiver?: boolean | undefined;
  /**
   * The last parameter is a rest parameter (`...xs`): the derivatives take the trailing arguments
   * as one array (`jvp(a, xs, da, dxs)`, a pullback giving `[ba, bxs]`), and the operators give
   * its gradient as one array. `arity` counts it as one parameter.
   */
  rest?: boolean | undefined;
}

const BRAND = Symbol.for("@cotangent/runtime.Derivatives");

/**
 * The derivatives the build generated (or a user registered) for one function. Generated code
 * creates these; the operators ({@link gradient}, {@link differential}, ...) accept one in place
 * of a function.
 *
 * @example
 * const d = new Derivatives({
 *   name: "square", arity: 1, wrt: [0],
 *   jvp: (x, dx) => ({ value: x * x, tangent: dx === null ? null : 2 * x * dx }),
 *   vjp: (x) => ({ value: x * x, pullback: (b) => [2 * x * b] }),
 * });
 * gradient(d)(3); // 6
 */
export class Derivatives<F extends AnyFunction = AnyFunction, const W extends readonly number[] = readonly number[]>
  implements DerivativesInit<F, W>
{
  readonly name: string;
  readonly arity: number;
  readonly wrt: W;
  readonly jvp: JvpFunction | undefined;
  readonly vjp: VjpFunction | undefined;
  readonly fn: F | undefined;
  readonly grad: ((...args: never[]) => unknown) | undefined;
  readonly valueWithGradient: ((...args: never[]) => { value: unknown; gradient: unknown }) | undefined;
  readonly receiver: boolean;
  readonly rest: boolean;

  constructor(init: DerivativesInit<F, W>) {
    this.receiver = init.receiver ?? false;
    this.rest = init.rest ?? false;
    this.name = init.name;
    this.arity = init.arity;
    this.wrt = init.wrt;
    this.jvp = init.jvp;
    this.vjp = init.vjp;
    this.fn = init.fn;
    this.grad = init.grad;
    this.valueWithGradient = init.valueWithGradient;
  }
}
// A brand every copy of the runtime recognises (instanceof would not work across copies).
Object.defineProperty(Derivatives.prototype, BRAND, { value: true });

/**
 * True for a {@link Derivatives} record, including one made by another loaded copy of the runtime.
 *
 * @example
 * isDerivatives(new Derivatives({ name: "f", arity: 0, wrt: [] })); // true
 */
export function isDerivatives(x: unknown): x is Derivatives {
  return typeof x === "object" && x !== null && (x as { [BRAND]?: unknown })[BRAND] === true;
}

interface Registry {
  derivatives: WeakMap<object, Derivatives>;
  /** Functions passed through differentiable() at run time (for a better CT3001 message). */
  marked: WeakSet<object>;
  /** Functions whose record came from registerDerivative (not from the build). */
  registered: WeakSet<object>;
  /**
   * Functions made by an operator from a differentiable function (`derivative(f)`, `gradient(f)`):
   * their derivatives are built on first use from what f's build attached (see
   * api/higher-order.ts), or the reason they cannot be.
   */
  derived: WeakMap<object, () => Derivatives | string>;
}

const REGISTRY_KEY = Symbol.for("@cotangent/runtime.registry@1");

/** @internal */
export const registry: Registry = (() => {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  const r = (g[REGISTRY_KEY] ??= { derivatives: new WeakMap(), marked: new WeakSet(), registered: new WeakSet(), derived: new WeakMap() });
  r.derived ??= new WeakMap(); // a registry made by an older copy of the runtime
  return r;
})();

/**
 * Attaches derivatives to `fn` and returns `fn` unchanged. Defining again for the same function
 * replaces the record (generated modules may be evaluated more than once, e.g. in tests).
 * Generated code calls this; users call {@link registerDerivative} instead.
 *
 * @example
 * const sq = defineDerivatives((x: number) => x * x, {
 *   name: "sq", arity: 1, wrt: [0],
 *   vjp: (x) => ({ value: x * x, pullback: (b) => [2 * x * b] }),
 * });
 * gradient(sq)(3); // 6
 */
export function defineDerivatives<F extends AnyFunction>(fn: F, init: DerivativesInit | Derivatives): F {
  if (typeof fn !== "function") {
    throw new CotangentError("CT3005", `defineDerivatives: expected a function, got ${typeof fn}.`);
  }
  const record = isDerivatives(init) && init.fn === fn ? init : new Derivatives({ ...init, fn: init.fn ?? fn });
  registry.derivatives.set(fn, record);
  registry.registered.delete(fn);
  return fn;
}

/**
 * The {@link Derivatives} attached to `fn`, or `undefined`.
 *
 * @example
 * getDerivatives(Math.sin); // undefined unless registered
 */
export function getDerivatives(fn: unknown): Derivatives | undefined {
  if (isDerivatives(fn)) return fn;
  if (typeof fn !== "function") return undefined;
  const d = registry.derivatives.get(fn);
  if (d !== undefined) return d;
  const derived = registry.derived.get(fn)?.();
  if (typeof derived !== "object") return undefined;
  registry.derivatives.set(fn, derived);
  return derived;
}

type Mode = "jvp" | "vjp";
const MODE_WORDS: Record<Mode, string> = { jvp: "forward-mode derivative (jvp)", vjp: "reverse-mode derivative (vjp)" };
const OTHER: Record<Mode, Mode> = { jvp: "vjp", vjp: "jvp" };

/**
 * The record for `f` with the given mode present, or a CT3001 error that names the function and
 * says how to fix it. `op` is what needed it (e.g. "gradient").
 * @internal
 */
export function requireDerivative(f: unknown, mode: "jvp", op: string): Derivatives & { jvp: JvpFunction };
export function requireDerivative(f: unknown, mode: "vjp", op: string): Derivatives & { vjp: VjpFunction };
export function requireDerivative(f: unknown, mode: Mode, op: string): Derivatives {
  const d = getDerivatives(f);
  if (d !== undefined && typeof d[mode] === "function") return d;
  const name = d?.name || functionName(f);
  const what = `${op} needs the ${MODE_WORDS[mode]} of '${name}'`;
  if (d !== undefined && typeof d[OTHER[mode]] === "function") {
    throw new CotangentError(
      "CT3001",
      `${what}, but it only has a ${MODE_WORDS[OTHER[mode]]}. ` +
        `Use a ${mode === "vjp" ? "forward-mode operator (differential, derivative)" : "reverse-mode operator (gradient, pullback)"} instead, ` +
        `or add the missing mode with registerDerivative(${name}, { ${mode}: ... }, { replace: true }).`,
    );
  }
  const why = typeof f === "function" ? registry.derived.get(f)?.() : undefined;
  if (typeof why === "string") throw new CotangentError("CT3001", `${what}: ${why}`);
  const built =
    typeof f === "function" && registry.marked.has(f)
      ? ` '${name}' is marked differentiable but the build generated no derivatives for it: check that the Cotangent Babel plugin or ts-patch transformer processes the file where it is defined.`
      : "";
  throw new CotangentError(
    "CT3001",
    `${what}, but it has no derivatives.${built} To fix: mark it /** @differentiable */ (or wrap it with differentiable(...)) ` +
      `where it is defined so the build generates its derivatives, or call registerDerivative(${name}, { vjp, jvp }) for a function the build does not see.`,
  );
}

function padded(values: readonly unknown[], n: number, fill: unknown): unknown[] {
  const out = values.slice(0, n);
  while (out.length < n) out.push(fill);
  return out;
}

/**
 * Calls `fn`'s forward-mode derivative: `{ value, tangent }` of `fn.apply(thisArg, args)` along
 * `tangents` (one per argument, `null` = zero). Generated code uses this for callees whose
 * derivatives it cannot reference directly. Missing arguments/tangents are padded to the arity.
 *
 * @example
 * jvpCall(sq, undefined, [3], [1]); // { value: 9, tangent: 6 }
 */
export function jvpCall(fn: unknown, thisArg: unknown, args: readonly unknown[], tangents: readonly unknown[]): JvpResult {
  const record = requireDerivative(fn, "jvp", "a forward-mode call");
  if (record.receiver) return jvpMethodCall(fn, thisArg, args, null, tangents);
  const d = perArgument(record, args.length) as typeof record;
  return d.jvp.apply(thisArg, [...padded(args, d.arity, undefined), ...padded(tangents, d.arity, null)]);
}

/**
 * `d` as a record of one parameter per argument, for a call with `nargs` arguments: with a rest
 * parameter, its derivatives (which take the trailing arguments as one array) wrapped so that the
 * operators and the lookup calls pass and get tangents per argument, as `f(a, b, c)` is called;
 * a differentiated rest parameter differentiates every trailing argument. Otherwise `d` itself.
 * @internal
 */
export function perArgument(d: Derivatives, nargs: number): Derivatives {
  if (!d.rest) return d;
  const expanded = expandRest(d, nargs);
  if (d.wrt.includes(d.arity - 1)) restGradients.add(expanded);
  return expanded;
}

/**
 * Records made by {@link perArgument} with the rest parameter differentiated: their operators give
 * an array of tangents even for one argument, as the types say (`gradient(f)(x)` of
 * `f(...xs: number[])` is `number[]`).
 */
const restGradients = new WeakSet<Derivatives>();

/**
 * Whether the operators give one tangent (not an array of them) for `d`, a record as
 * {@link perArgument} returns it: one differentiated parameter that is not a rest parameter.
 * @internal
 */
export function givesOneTangent(d: Derivatives): boolean {
  return d.wrt.length === 1 && !restGradients.has(d);
}

function expandRest(d: Derivatives, nargs: number): Derivatives {
  const fixed = Math.max(0, d.arity - 1);
  const arity = Math.max(fixed, nargs);
  const wrt = d.wrt.flatMap((i) => (i < fixed ? [i] : Array.from({ length: arity - fixed }, (_, k) => fixed + k)));
  const pack = (args: readonly unknown[]) => [...padded(args, fixed, undefined), args.slice(fixed, arity)];
  const jvp = d.jvp;
  const vjp = d.vjp;
  return new Derivatives({
    name: d.name,
    arity,
    wrt,
    fn: d.fn,
    jvp: jvp && function (this: unknown, ...argsThenTangents: unknown[]) {
      const args = argsThenTangents.slice(0, arity);
      const tangents = argsThenTangents.slice(arity, 2 * arity);
      const trailing = args.slice(fixed).map((_, i) => tangents[fixed + i] ?? null);
      const rest = trailing.every((t) => t === null) ? null : trailing.map((t, i) => t ?? zerosLike(args[fixed + i] as Tangent));
      return jvp.apply(this, [...pack(args), ...padded(tangents, fixed, null), rest]);
    },
    vjp: vjp && function (this: unknown, ...args: unknown[]) {
      const r = vjp.apply(this, pack(args));
      return {
        value: r.value,
        pullback: (b: unknown) => {
          const all = r.pullback(b);
          const rest = all[fixed] as readonly Tangent[] | null | undefined;
          return [...(padded(all, fixed, null) as Tangent[]), ...Array.from({ length: arity - fixed }, (_, i) => rest?.[i] ?? null)];
        },
      };
    },
  });
}

/**
 * Calls `fn`'s reverse-mode derivative: `{ value, pullback }` where `pullback(cotangent)` returns
 * one cotangent per declared parameter (`null`/`undefined` = zero).
 *
 * @example
 * const { value, pullback } = vjpCall(sq, undefined, [3]); // value 9
 * pullback(1); // [6]
 */
export function vjpCall(fn: unknown, thisArg: unknown, args: readonly unknown[]): VjpResult {
  const d = requireDerivative(fn, "vjp", "a reverse-mode call");
  if (d.receiver) {
    const r = vjpMethodCall(fn, thisArg, args);
    // Drop the object's cotangent without reading the others (they may be computed on demand).
    return {
      value: r.value,
      pullback: (b: unknown) => {
        const all = r.pullback(b);
        return lazyCotangents(Array.from({ length: Math.max(0, all.length - 1) }, (_, i) => () => all[i + 1] ?? null));
      },
    };
  }
  if (d.rest) return perArgument(d, args.length).vjp!.apply(thisArg, args as unknown[]);
  return d.vjp.apply(thisArg, args as unknown[]);
}

function requireReceiver(fn: unknown, mode: Mode): Derivatives {
  const d: Derivatives = mode === "jvp" ? requireDerivative(fn, "jvp", "a method call on a differentiated value") : requireDerivative(fn, "vjp", "a method call on a differentiated value");
  if (!d.receiver)
    throw new CotangentError(
      "CT3001",
      `the method '${d.name}' is called on a value that depends on the differentiated inputs, but its derivatives do not cover the object it is called on (only its arguments). ` +
        "Pass the object as an argument of a differentiable function instead, or register derivatives with { receiver: true }.",
    );
  return d;
}

/**
 * `obj.m(...args)` in forward mode when `obj` itself carries a tangent: `fn` is the method
 * (`obj.m`), whose record must be a receiver record. `dThis` is the object's tangent.
 *
 * @example
 * jvpMethodCall(a.mul, a, [b], da, [db]); // { value: a·b, tangent: da·b + a·db }
 */
export function jvpMethodCall(fn: unknown, thisArg: unknown, args: readonly unknown[], dThis: unknown, tangents: readonly unknown[]): JvpResult {
  const d = requireReceiver(fn, "jvp");
  const n = d.arity - 1;
  return d.jvp!.apply(undefined, [thisArg, ...padded(args, n, undefined), dThis, ...padded(tangents, n, null)]);
}

/**
 * `obj.m(...args)` in reverse mode when `obj` itself is differentiated: the pullback returns
 * `[bObj, ...bArgs]`.
 *
 * @example
 * const { value, pullback } = vjpMethodCall(a.mul, a, [b]);
 * pullback(g); // [g·b, g·a]
 */
export function vjpMethodCall(fn: unknown, thisArg: unknown, args: readonly unknown[]): VjpResult {
  const d = requireReceiver(fn, "vjp");
  return d.vjp!.apply(undefined, [thisArg, ...padded(args, d.arity - 1, undefined)]);
}

/** `fn`'s record, when its JVP has derivatives of its own (what a second derivative through a call of `fn` needs). */
function secondOrderOf(fn: unknown): Derivatives & { jvp: JvpFunction } {
  const d = requireDerivative(fn, "jvp", "a second derivative through a call");
  if (getDerivatives(d.jvp)) return d;
  const why =
    typeof fn === "function" && registry.registered.has(fn)
      ? "its derivatives were registered with registerDerivative, and a registered JVP is not differentiated again; mark the function /** @differentiable */ instead, or register derivatives for its JVP too"
      : "its build generated none (it does for the marks of a module built with the plugin option secondOrder: \"exported\", and where the module itself differentiates twice; tensor ops have them for the ops listed in @cotangent/runtime's rules)";
  throw new CotangentError("CT3001", `a second derivative through a call of '${d.name}' needs the derivatives of its JVP: ${why}.`);
}

// Derivatives of jvpCall itself. Generated JVPs call other functions' JVPs through jvpCall when
// they cannot reference them directly (a method of another object, an imported function); for
// second derivatives the build differentiates those JVPs again, so jvpCall needs derivatives:
// differentiating "call fn's JVP" is calling the derivatives of fn's JVP, which the build
// registered on the JVP function object (f$jvp$jvp, f$jvp$vjp).
defineDerivatives(jvpCall, {
  name: "jvpCall",
  arity: 4,
  wrt: [2, 3],
  jvp(fn: unknown, thisArg: unknown, args: unknown[], tangents: unknown[], _dFn: unknown, _dThis: unknown, dArgs: unknown[] | null, dTangents: unknown[] | null) {
    const d = secondOrderOf(fn);
    const n = d.arity;
    return jvpCall(
      d.jvp,
      thisArg,
      [...padded(args, n, undefined), ...padded(tangents, n, null)],
      [...padded(dArgs ?? [], n, null), ...padded(dTangents ?? [], n, null)],
    );
  },
  vjp(fn: unknown, thisArg: unknown, args: unknown[], tangents: unknown[]) {
    const d = secondOrderOf(fn);
    const n = d.arity;
    const r = vjpCall(d.jvp, thisArg, [...padded(args, n, undefined), ...padded(tangents, n, null)]);
    return { value: r.value, pullback: (ct: unknown) => {
      const c = r.pullback(ct);
      return [null, null, c.slice(0, n), c.slice(n, 2 * n)];
    } };
  },
});

// Derivatives of jvpMethodCall, for the same reason: `t.mul(b)` on a differentiated tensor is
// `jvpMethodCall(t.mul, t, [b], dt, [db])` in a generated JVP, and differentiating that is calling
// the derivatives of the method record's JVP (parameters: self, the arguments, then their tangents).
defineDerivatives(jvpMethodCall, {
  name: "jvpMethodCall",
  arity: 5,
  wrt: [1, 2, 3, 4],
  jvp(fn: unknown, thisArg: unknown, args: unknown[], dThis: unknown, tangents: unknown[], _dFn: unknown, tThis: unknown, tArgs: unknown[] | null, tDThis: unknown, tTangents: unknown[] | null) {
    const d = secondOrderOfMethod(fn);
    const n = d.arity - 1;
    return jvpCall(
      d.jvp,
      undefined,
      [thisArg, ...padded(args, n, undefined), dThis, ...padded(tangents, n, null)],
      [tThis, ...padded(tArgs ?? [], n, null), tDThis, ...padded(tTangents ?? [], n, null)],
    );
  },
  vjp(fn: unknown, thisArg: unknown, args: unknown[], dThis: unknown, tangents: unknown[]) {
    const d = secondOrderOfMethod(fn);
    const n = d.arity - 1;
    const r = vjpCall(d.jvp, undefined, [thisArg, ...padded(args, n, undefined), dThis, ...padded(tangents, n, null)]);
    return {
      value: r.value,
      pullback: (ct: unknown) => {
        const c = r.pullback(ct);
        return [null, c[0] ?? null, c.slice(1, n + 1), c[n + 1] ?? null, c.slice(n + 2, 2 * n + 2)];
      },
    };
  },
});

function secondOrderOfMethod(fn: unknown): Derivatives & { jvp: JvpFunction } {
  requireReceiver(fn, "jvp");
  return secondOrderOf(fn);
}

/**
 * A pullback's result whose entries are computed when first read: generated code reads only the
 * cotangents of arguments that are differentiated, so a rule can skip the others' work (matmul
 * with a constant operand saves one of its two products).
 *
 * @example
 * return lazyCotangents([() => g.matmul(b, false, true), () => a.matmul(g, true, false), null, null]);
 */
export function lazyCotangents(parts: readonly ((() => Tangent) | null)[]): Tangent[] {
  const out: Tangent[] = new Array<Tangent>(parts.length).fill(null);
  parts.forEach((part, i) => {
    if (!part) return;
    let computed = false;
    let value: Tangent = null;
    Object.defineProperty(out, i, {
      enumerable: true,
      configurable: true,
      get() {
        if (!computed) {
          value = part();
          computed = true;
        }
        return value;
      },
    });
  });
  return out;
}

/**
 * Throws CT3002. Generated pullbacks that replay a tape call this when invoked a second time.
 *
 * @example
 * let used = false;
 * const pullback = (b: number) => { if (used) pullbackReused("f"); used = true; return [b]; };
 */
export function pullbackReused(name: string): never {
  throw new CotangentError(
    "CT3002",
    `The pullback of '${name}' was already called; a pullback that replays a tape can be called once. ` +
      "Call valueWithPullback(...) again for another cotangent.",
  );
}
