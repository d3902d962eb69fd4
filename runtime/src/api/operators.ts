// The differential operators users call: gradient, valueWithGradient, pullback, valueWithPullback,
// differential, valueWithDifferential, derivative. Each takes a function with attached
// derivatives (or the Derivatives record the build substitutes for it) and returns a function
// that passes its own `this` through, so `gradient(obj.method).call(obj, x)` works.
// Derivatives are looked up when the returned function is called, not when it is created, so
// `const g = gradient(f)` may run before the module code that attaches f's derivatives.

import { CotangentError, describeValue, functionName } from "../errors.js";
import { givesOneTangent, isDerivatives, perArgument, requireDerivative, type AnyFunction, type Derivatives } from "../ad/derivatives.js";
import { checkTangentShape, concreteTangent, type Tangent } from "../ad/tangent.js";
import { linkSecondOrder } from "./higher-order.js";
import { requireNoPending, resolvePending } from "../ops/pending-number.js";
import { TANGENT_SPACE, type Tensor, type TangentSpace } from "../tensor/tensor.js";
import type {
  DerivativeCheck,
  DifferentiableFunction,
  DifferentialArgs,
  GradientOf,
  ParamsOf,
  ResultOf,
  ScalarFunction,
  TangentVector,
  ThisOf,
  ValueWithDifferential,
  ValueWithGradient,
  ValueWithPullback,
} from "./types.js";

export type { DifferentiableFunction, ValueWithDifferential, ValueWithGradient, ValueWithPullback } from "./types.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDerivatives = Derivatives<any, any>;

function checkOperand(f: unknown, op: string): void {
  if (typeof f !== "function" && !isDerivatives(f)) {
    throw new CotangentError(
      "CT3005",
      `${op} expects a differentiable function, got ${describeValue(f)}. Example: ${op}(f) where f is marked /** @differentiable */.`,
    );
  }
}

function nameOf(f: unknown): string {
  return isDerivatives(f) ? f.name || "<anonymous>" : functionName(f);
}

/** The cotangents of the differentiated parameters: one value, or an array in `wrt` order. */
function select(d: Derivatives, cotangents: readonly Tangent[] | null | undefined, args: readonly unknown[]): unknown {
  const pick = (i: number): Tangent => concreteTangent(args[i], cotangents?.[i]);
  return givesOneTangent(d) ? pick(d.wrt[0]!) : d.wrt.map(pick);
}

function runVjp(f: unknown, op: string, thisArg: unknown, args: unknown[]) {
  const d = perArgument(requireDerivative(f, "vjp", op), args.length);
  const result = d.vjp!.apply(thisArg, args);
  return { d, value: result.value, pullback: result.pullback };
}

/** The cotangent 1 of a scalar result: the number 1, or a one-element tensor of ones. */
function unitSeed(value: unknown, f: unknown, op: string): unknown {
  if (typeof value === "number") return 1;
  const space = typeof value === "object" && value !== null ? (value as { [TANGENT_SPACE]?: TangentSpace })[TANGENT_SPACE] : undefined;
  const one = space?.one?.(value);
  if (one !== undefined) return one;
  throw new CotangentError(
    "CT3003",
    `${op} needs a function whose result is a number or a one-element tensor; '${nameOf(f)}' returned ${describeValue(value)}. Use pullback(f) for other results, or reduce the result first (sum, mean).`,
  );
}

/**
 * The gradient of a number-valued function: `gradient(f)(...args)` returns df/dx for the single
 * differentiated parameter, or an array (in `wrt` order) when there are several. Parameters with
 * a zero cotangent get `zerosLike(arg)`. Reverse mode.
 *
 * Types: the returned function takes f's parameters and returns {@link GradientOf} f: the
 * {@link TangentVector} of the parameter for a one-parameter f, else a tuple of them (or as many
 * as a `differentiable(f, { wrt })` mark or a Derivatives record's `wrt` says). f must return a
 * number.
 *
 * @example
 * const f = differentiable((x: number, y: number) => x * y + Math.sin(x));
 * gradient(f)(2, 3); // [3 + cos(2), 2]
 */
export function gradient<F extends ScalarFunction | Derivatives<ScalarFunction, readonly number[]>>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => GradientOf<F>;
export function gradient<A extends unknown[]>(f: ((...args: A) => number) | Derivatives): (...args: A) => unknown {
  checkOperand(f, "gradient");
  const raw = gradientWithPending(f);
  // The fused gradient of scalar code takes and gives numbers: nothing can be pending; it is the gradient itself.
  if (isDerivatives(f) && f.grad && !f.rest) return linkSecondOrder("gradient", f, raw, { keepName: true });
  return linkSecondOrder("gradient", f, function (this: unknown, ...args: A) {
    const g = raw.apply(this, args);
    requireNoPending(g, "gradient");
    return g;
  });
}

/**
 * gradient(f), whose result may hold pending numbers (a number parameter's cotangent still on a
 * GPU): what the async operators and the second-order machinery (../api/higher-order.ts) call.
 * @internal
 */
export function gradientWithPending<A extends unknown[]>(f: ((...args: A) => number) | Derivatives): (this: unknown, ...args: A) => unknown {
  // Derivatives resolved by the build are fixed: no lookup per call (this is the hot path).
  const fixed = isDerivatives(f) ? requireDerivative(f, "vjp", "gradient") : undefined;
  // The fused gradient of scalar code gives what gradient(f) gives, with no record and no pullback
  // closure (the build checked that the function takes and returns numbers, so the seed is 1 and
  // nothing is pending): it is returned as it is, one call less on the hot path.
  if (fixed?.grad && !fixed.rest) return fixed.grad as unknown as (this: unknown, ...args: A) => unknown;
  return function (this: unknown, ...args: A) {
    const d = fixed ?? requireDerivative(f, "vjp", "gradient");
    if (d.grad && !d.rest) return (d.grad as (...a: unknown[]) => unknown).apply(this, args);
    const e = d.rest ? perArgument(d, args.length) : d;
    const result = e.vjp!.apply(this, args);
    const cotangents = result.pullback(unitSeed(result.value, f, "gradient"));
    if (givesOneTangent(e)) {
      const i = e.wrt[0]!;
      return concreteTangent(args[i], cotangents[i]);
    }
    return select(e, cotangents, args);
  };
}

/**
 * {@link gradient} for code on a backend that cannot read synchronously (WebGPU): the gradient of
 * a plain number parameter that meets GPU tensors (`x.mul(scale)`) is computed on the GPU and read
 * back once, when the promise resolves. Tensor gradients stay tensors (on their backend).
 *
 * @example
 * await setBackend("webgpu");
 * const [gx, gScale] = await gradientAsync(loss)(x, 0.5); // gScale: a number
 */
export function gradientAsync<F extends ScalarFunction | Derivatives<ScalarFunction, readonly number[]>>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => Promise<GradientOf<F>>;
export function gradientAsync<A extends unknown[]>(f: ((...args: A) => number) | Derivatives): (...args: A) => Promise<unknown> {
  checkOperand(f, "gradientAsync");
  const raw = gradientWithPending(f);
  return function (this: unknown, ...args: A) {
    return resolvePending(raw.apply(this, args));
  };
}

/**
 * {@link valueWithGradient} for code on a backend that cannot read synchronously: see
 * {@link gradientAsync}.
 *
 * @example
 * const { value, gradient: [gx, gScale] } = await valueWithGradientAsync(loss)(x, 0.5);
 */
export function valueWithGradientAsync<F extends ScalarFunction | Derivatives<ScalarFunction, readonly number[]>>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => Promise<ValueWithGradient<ResultOf<F>, GradientOf<F>>>;
export function valueWithGradientAsync<A extends unknown[]>(
  f: ((...args: A) => number | Tensor) | Derivatives,
): (...args: A) => Promise<ValueWithGradient<unknown, unknown>> {
  checkOperand(f, "valueWithGradientAsync");
  return async function (this: unknown, ...args: A) {
    const { d, value, pullback } = runVjp(f, "valueWithGradientAsync", this, args);
    return { value, gradient: await resolvePending(select(d, pullback(unitSeed(value, f, "valueWithGradientAsync")), args)) };
  };
}

/**
 * Like {@link gradient}, and also returns the function's value (computed once).
 *
 * @example
 * const f = differentiable((x: number) => x * x);
 * valueWithGradient(f)(3); // { value: 9, gradient: 6 }
 */
export function valueWithGradient<F extends ScalarFunction | Derivatives<ScalarFunction, readonly number[]>>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => ValueWithGradient<ResultOf<F>, GradientOf<F>>;
export function valueWithGradient<A extends unknown[]>(
  f: ((...args: A) => number | Tensor) | Derivatives,
): (...args: A) => ValueWithGradient<unknown, unknown> {
  checkOperand(f, "valueWithGradient");
  // The fused value and gradient of scalar code the build generated (see gradientWithPending).
  const fixed = isDerivatives(f) ? requireDerivative(f, "vjp", "valueWithGradient") : undefined;
  if (fixed?.valueWithGradient && !fixed.rest) return fixed.valueWithGradient as unknown as (...args: A) => ValueWithGradient<unknown, unknown>;
  return function (this: unknown, ...args: A) {
    const record = fixed ?? requireDerivative(f, "vjp", "valueWithGradient");
    if (record.valueWithGradient && !record.rest) return (record.valueWithGradient as (...a: unknown[]) => ValueWithGradient<unknown, unknown>).apply(this, args);
    const { d, value, pullback } = runVjp(record, "valueWithGradient", this, args);
    const gradient = select(d, pullback(unitSeed(value, f, "valueWithGradient")), args);
    requireNoPending(gradient, "valueWithGradient");
    return { value, gradient };
  };
}

/**
 * The pullback (vector-Jacobian product) of `f` at `args`: a function from a cotangent of the
 * result to the cotangents of the differentiated parameters (one value, or an array in `wrt`
 * order). Works for any result shape.
 *
 * @example
 * const f = differentiable((x: number) => [x, x * x]);
 * pullback(f)(3)([1, 1]); // 1 + 6 = 7
 */
export function pullback<F extends AnyFunction | AnyDerivatives>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => (cotangent: TangentVector<ResultOf<F>>) => GradientOf<F>;
export function pullback<A extends unknown[]>(f: DifferentiableFunction<A>): (...args: A) => (cotangent: Tangent) => unknown {
  checkOperand(f, "pullback");
  return function (this: unknown, ...args: A) {
    const { d, value, pullback: pb } = runVjp(f, "pullback", this, args);
    return (cotangent: Tangent) => {
      checkTangentShape(value, cotangent, `the cotangent of the result of '${d.name}'`);
      const out = select(d, pb(cotangent), args);
      requireNoPending(out, "pullback");
      return out;
    };
  };
}

/**
 * Like {@link pullback}, and also returns the function's value.
 *
 * @example
 * const f = differentiable((x: number) => [x, x * x]);
 * const { value, pullback: pb } = valueWithPullback(f)(3); // value [3, 9]
 * pb([0, 1]); // 6
 */
export function valueWithPullback<F extends AnyFunction | AnyDerivatives>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => ValueWithPullback<ResultOf<F>, GradientOf<F>>;
export function valueWithPullback<A extends unknown[], R>(
  f: DifferentiableFunction<A, R>,
): (...args: A) => { value: R; pullback: (cotangent: Tangent) => unknown } {
  checkOperand(f, "valueWithPullback");
  return function (this: unknown, ...args: A) {
    const { d, value, pullback: pb } = runVjp(f, "valueWithPullback", this, args);
    return {
      value: value as R,
      pullback: (cotangent: Tangent) => {
        checkTangentShape(value, cotangent, `the cotangent of the result of '${d.name}'`);
        const out = select(d, pb(cotangent), args);
        requireNoPending(out, "valueWithPullback");
        return out;
      },
    };
  };
}

function runJvp(record: Derivatives & { jvp: AnyFunction }, thisArg: unknown, args: readonly unknown[], tangents: readonly unknown[]) {
  const d = perArgument(record, args.length) as Derivatives & { jvp: AnyFunction };
  if (tangents.length > d.wrt.length)
    throw new CotangentError(
      "CT3008",
      `the differential of '${d.name}' takes ${d.wrt.length} tangent${d.wrt.length === 1 ? "" : "s"} (one per differentiated parameter), got ${tangents.length}.`,
    );
  const full: unknown[] = new Array(d.arity).fill(null);
  d.wrt.forEach((param, k) => {
    checkTangentShape(args[param], tangents[k], `the tangent of argument ${param + 1} of '${d.name}'`);
    full[param] = tangents[k] ?? null;
  });
  const padded = args.slice(0, d.arity);
  while (padded.length < d.arity) padded.push(undefined);
  return d.jvp.apply(thisArg, [...padded, ...full]);
}

/**
 * The differential (Jacobian-vector product) of `f` at `args`: a function from tangents of the
 * differentiated parameters (in `wrt` order; omitted or `null` = zero) to the tangent of the
 * result. Forward mode; each call of the differential re-runs the forward pass.
 *
 * @example
 * const f = differentiable((x: number, y: number) => x * y);
 * differential(f)(2, 3)(1, 0); // 3
 */
export function differential<F extends AnyFunction | AnyDerivatives>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => (...tangents: DifferentialArgs<F>) => TangentVector<ResultOf<F>>;
export function differential<A extends unknown[]>(f: DifferentiableFunction<A>): (...args: A) => (...tangents: Tangent[]) => unknown {
  checkOperand(f, "differential");
  return function (this: unknown, ...args: A) {
    const d = requireDerivative(f, "jvp", "differential");
    return (...tangents: Tangent[]) => {
      const r = runJvp(d, this, args, tangents);
      return concreteTangent(r.value, r.tangent);
    };
  };
}

/**
 * Like {@link differential}, and also returns the function's value.
 *
 * @example
 * const f = differentiable((x: number) => x * x);
 * const { value, differential: df } = valueWithDifferential(f)(3); // value 9
 * df(1); // 6
 */
export function valueWithDifferential<F extends AnyFunction | AnyDerivatives>(
  f: F,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => ValueWithDifferential<ResultOf<F>, DifferentialArgs<F>>;
export function valueWithDifferential<A extends unknown[], R>(
  f: DifferentiableFunction<A, R>,
): (...args: A) => { value: R; differential: (...tangents: Tangent[]) => unknown } {
  checkOperand(f, "valueWithDifferential");
  return function (this: unknown, ...args: A) {
    const d = requireDerivative(f, "jvp", "valueWithDifferential");
    const value = runJvp(d, this, args, []).value as R;
    return {
      value,
      differential: (...tangents: Tangent[]) => concreteTangent(value, runJvp(d, this, args, tangents).tangent),
    };
  };
}

/**
 * The derivative of a function of one differentiated number parameter, in forward mode:
 * `derivative(f)(x)` is df/dx at x (0 when the result does not depend on x).
 *
 * Types: f must return a number and have one parameter, a number (or one differentiated
 * parameter by a `differentiable(f, { wrt: [name] })` mark); otherwise the argument is reported
 * as not assignable to {@link DerivativeNeedsOneNumberParameter}.
 *
 * @example
 * const f = differentiable((x: number) => x ** 3);
 * derivative(f)(2); // 12
 */
export function derivative<F extends ScalarFunction | Derivatives<ScalarFunction, readonly number[]>>(
  f: F & DerivativeCheck<F>,
): (this: ThisOf<F>, ...args: ParamsOf<F>) => number;
export function derivative<A extends unknown[]>(f: ((...args: A) => number) | Derivatives): (...args: A) => number {
  checkOperand(f, "derivative");
  return linkSecondOrder("derivative", f, function (this: unknown, ...args: A) {
    const record = requireDerivative(f, "jvp", "derivative");
    const d = perArgument(record, args.length) as typeof record;
    if (!givesOneTangent(d)) {
      throw new CotangentError(
        "CT3006",
        `derivative needs a function of one differentiated parameter; '${nameOf(f)}' has ${d.wrt.length}. ` +
          "Use gradient(f) or differential(f), or restrict it with differentiable(f, { wrt: [\"x\"] }).",
      );
    }
    const x = args[d.wrt[0]!];
    if (typeof x !== "number") {
      throw new CotangentError(
        "CT3006",
        `derivative needs a number argument for the differentiated parameter of '${nameOf(f)}', got ${describeValue(x)}. Use differential(f) for other inputs.`,
      );
    }
    const r = runJvp(d, this, args, [1]);
    if (typeof r.value !== "number") {
      throw new CotangentError(
        "CT3006",
        `derivative needs a number-valued function; '${nameOf(f)}' returned ${describeValue(r.value)}. Use differential(f) for other results.`,
      );
    }
    const t = r.tangent ?? 0;
    if (typeof t !== "number") {
      throw new CotangentError(
        "CT3006",
        `derivative needs a number-valued function; '${nameOf(f)}' has a tangent that is ${describeValue(t)}. Use differential(f) for other results.`,
      );
    }
    return t;
  });
}
