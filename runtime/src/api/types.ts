// Type-level model of differentiability: which values have tangents and of what type, and the
// types the operators (gradient, pullback, differential, ...) and registerDerivative compute from
// a function's own type. Everything here is erased at build time: no run-time code.
//
// These types work in plain `tsc` with no plugin: a `/** @differentiable */` declaration is a
// plain function to the type checker, so nothing here requires a brand that only the
// `differentiable(fn)` wrapper could give. Telling a marked function from an unmarked one is the
// build's (and the editor plugin's) job.

import type { Tensor } from "../tensor/tensor.js";
import type { Derivatives } from "../ad/derivatives.js";
import type { NumericArray, Tangent } from "../ad/tangent.js";

// Type-only keys: they exist in declarations, never at run time.
declare const noDerivativeKey: unique symbol;
declare const wrtKey: unique symbol;

/**
 * A type with a custom tangent type (Swift's `Differentiable` protocol): implement `move(by:)`,
 * which moves the value along a tangent vector, and the parameter's type is the tangent type
 * ({@link TangentVector} of the class). Plain data needs no conformance: numbers, arrays, tuples,
 * typed arrays and plain objects are differentiable structurally.
 *
 * The tangent type should be plain data (numbers, arrays, plain objects), which the run-time
 * tangent arithmetic (`addTangent`, `zerosLike`, ...) handles field by field.
 *
 * @example
 * class Point implements Differentiable<{ x: number; y: number }> {
 *   constructor(public x: number, public y: number, public label: string) {}
 *   move(by: { x: number; y: number }): void { this.x += by.x; this.y += by.y; }
 * }
 * type T = TangentVector<Point>; // { x: number; y: number }
 */
export interface Differentiable<Tan = unknown> {
  /** Moves this value along `by`, a tangent vector (Swift's `move(by:)`). */
  move(by: Tan): void;
}

/**
 * Marks a field that has no derivative: it drops out of the containing object's
 * {@link TangentVector}, as Swift's `@noDerivative`. A `NoDerivative<T>` is still a `T`
 * (assignable both ways); the marker is type-only. Outside an object field (a parameter, an array
 * element) its tangent is `null`, the zero with no shape.
 *
 * @example
 * interface Layer { w: number[]; b: number; cfg: NoDerivative<{ lr: number }> }
 * type T = TangentVector<Layer>; // { w: number[]; b: number }
 * const layer: Layer = { w: [1], b: 0, cfg: { lr: 0.1 } }; // no cast needed
 */
export type NoDerivative<T> = T & { readonly [noDerivativeKey]?: true };

/**
 * Extension point for types whose tangent is not structural (a `Tensor` is its own tangent, for
 * instance). Augment it by declaration merging with entries `[Primal, Tangent]`; the key is only
 * a name. The first entry whose primal type a value has gives its tangent.
 *
 * @example
 * declare module "@cotangent/runtime" {
 *   interface TangentOverrides { tensor: [Tensor, Tensor] }
 * }
 * type T = TangentVector<Tensor>; // Tensor
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TangentOverrides {
  /** A Tensor is its own tangent type. */
  tensor: [Tensor, Tensor];
}

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The tangent type of T from {@link TangentOverrides}, or `never` when no entry matches. */
type OverrideTangent<T> = {
  [K in keyof TangentOverrides]: TangentOverrides[K] extends readonly [infer P, infer Tan]
    ? [T] extends [P]
      ? Tan
      : never
    : never;
}[keyof TangentOverrides];

/** Values that have no tangent: their tangent is `null` (dropped from objects). */
type NonDifferentiable = string | boolean | symbol | bigint | null | undefined | void | ((...args: never[]) => unknown);

/**
 * The type of tangent (and cotangent) vectors of a value of type `T`, computed structurally:
 *
 * - `number` (and number literals): `number`.
 *   `TangentVector<number>` is `number`.
 * - A type listed in {@link TangentOverrides}: the tangent given there (e.g. `Tensor` → `Tensor`).
 * - A type with custom conformance ({@link Differentiable}: a `move(by: X)` method): `X`.
 *   `TangentVector<Point>` is `{ x: number; y: number }` for the `Point` of {@link Differentiable}.
 * - A typed array (`Float64Array`, ...): the same typed array type.
 * - An array or tuple: element by element (readonly is kept).
 *   `TangentVector<number[]>` is `number[]`; `TangentVector<[number, string]>` is `[number, null]`.
 * - A plain object (or a class instance without `move`): field by field, without the
 *   {@link NoDerivative} fields and the fields that have no tangent (strings, booleans, symbols,
 *   functions and methods, null/undefined).
 *   `TangentVector<{ w: number[]; b: number; name: string }>` is `{ w: number[]; b: number }`.
 * - Values with no tangent (string, boolean, symbol, bigint, function, null, undefined,
 *   `NoDerivative<T>` outside an object): `null`, the run time's zero of no shape.
 * - `any` gives `any`; `unknown` gives the run time's loose {@link Tangent}.
 * - A union maps member by member: `TangentVector<number | undefined>` is `number | null`.
 */
export type TangentVector<T> =
  IsAny<T> extends true
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
      any
    : unknown extends T
      ? Tangent
      : TangentOf<T>;

/** Distributes over unions; T is neither any nor unknown. */
type TangentOf<T> = T extends unknown
  ? [OverrideTangent<T>] extends [never]
    ? typeof noDerivativeKey extends keyof T
      ? null
      : T extends number
        ? number
        : T extends NonDifferentiable
          ? null
          : T extends { move(by: infer Tan): unknown }
            ? Tan
            : T extends NumericArray
              ? T
              : T extends readonly unknown[]
                ? { [K in keyof T]: TangentVector<T[K]> }
                : T extends object
                  ? ObjectTangent<T>
                  : null
    : OverrideTangent<T>
  : never;

/** Whether field type V keeps a place in the tangent of its object. */
type KeepsField<V> =
  IsAny<V> extends true
    ? true
    : unknown extends V
      ? true
      : [Exclude<V, undefined>] extends [never]
        ? false
        : typeof noDerivativeKey extends keyof Exclude<V, undefined>
          ? false
          : [TangentOf<Exclude<V, undefined>>] extends [null]
            ? false
            : true;

/**
 * The tangent of an object type T: field by field, without the {@link NoDerivative} fields and
 * those with no tangent (see {@link TangentVector}).
 */
export type ObjectTangent<T> = {
  [K in keyof T as K extends typeof noDerivativeKey ? never : KeepsField<T[K]> extends true ? K : never]: TangentVector<
    Exclude<T[K], undefined>
  >;
};

// ---------------------------------------------------------------------------------------------
// wrt at the type level

/**
 * Which parameters are differentiated, as seen by the types: parameter names (from
 * `differentiable(fn, { wrt: ["x"] })`) or parameter indices (from a {@link Derivatives} record).
 */
export type WrtList = readonly (string | number)[];

/**
 * The optional, type-only mark that `differentiable(fn, { wrt })` adds to its result, so the
 * operators know how many parameters are differentiated (and, for a {@link Derivatives} record,
 * which). Optional, so every function (marked by JSDoc or not) still type-checks without it.
 */
export interface WithWrt<W extends WrtList> {
  readonly [wrtKey]?: W;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (this: any, ...args: any[]) => any;

/** The wrt list a function type or record carries, or `"all"` (the default: every parameter). */
export type WrtOf<F> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  F extends Derivatives<any, infer W>
    ? W
    : F extends { readonly [wrtKey]?: infer W }
      ? [Exclude<W, undefined>] extends [never]
        ? "all"
        : Exclude<W, undefined> extends WrtList
          ? Exclude<W, undefined>
          : "all"
      : "all";

/** The function a function type or a {@link Derivatives} record stands for. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FunctionOf<F> = [F] extends [never] ? Fn : F extends Derivatives<infer G, any> ? G : F extends Fn ? F : never;

/** Parameters of the function F stands for. */
export type ParamsOf<F> = Parameters<FunctionOf<F>>;
/** Result of the function F stands for. */
export type ResultOf<F> = ReturnType<FunctionOf<F>>;
/** `this` of the function F stands for. */
export type ThisOf<F> = ThisParameterType<FunctionOf<F>>;

/** Tangent of a differentiated parameter picked by name (types cannot see parameter names). */
type AnyParamTangent<A extends readonly unknown[]> =
  [Exclude<TangentVector<A[number]>, null>] extends [never] ? TangentVector<A[number]> : Exclude<TangentVector<A[number]>, null>;

/** Tangents of every parameter, as a tuple. */
type AllTangents<A extends readonly unknown[]> = { -readonly [K in keyof A]-?: TangentVector<A[K]> };

/** Tangents of the parameters in W, as a tuple in W's order. */
type PickedTangents<A extends readonly unknown[], W extends WrtList> = {
  -readonly [K in keyof W]: W[K] extends number ? TangentVector<A[W[K]]> : AnyParamTangent<A>;
};

/**
 * The tangents (or cotangents) of the differentiated parameters, as the operators return them:
 * one tangent when one parameter is differentiated, else a tuple in parameter (`wrt`) order.
 * With the default wrt (every parameter): a one-parameter function gives its tangent, others a
 * tuple. A wrt given by name (types cannot see parameter names) gives, for each entry, the union
 * of the differentiable parameters' tangents: exact when they share a type, as numbers do.
 *
 * @example
 * type A = WrtTangents<[x: number, y: number[]], "all">; // [number, number[]]
 * type B = WrtTangents<[x: number], "all">; // number
 * type C = WrtTangents<[x: number, n: number], readonly ["x"]>; // number
 */
export type WrtTangents<A extends readonly unknown[], W> = W extends WrtList
  ? number extends W["length"]
    ? // A list of unknown length: an array of either shape.
      AnyParamTangent<A> | AnyParamTangent<A>[]
    : W extends readonly [infer I]
      ? I extends number
        ? TangentVector<A[I]>
        : AnyParamTangent<A>
      : PickedTangents<A, W>
  : A extends readonly []
    ? []
    : A extends readonly [unknown?]
      ? TangentVector<Exclude<A[0], undefined>>
      : AllTangents<A>;

/** The gradient (or cotangents) F's operators return: see {@link WrtTangents}. */
export type GradientOf<F> = WrtTangents<ParamsOf<F>, WrtOf<F>>;

/**
 * The tangents a differential takes, one per differentiated parameter (in wrt order); each may be
 * omitted or `null` (zero).
 */
export type DifferentialArgs<F> =
  WrtTangents<ParamsOf<F>, WrtOf<F>> extends infer G
    ? ParamsOf<F> extends readonly []
      ? []
      : IsSingle<F> extends true
        ? [tangent?: G | null]
        : G extends readonly unknown[]
          ? { [K in keyof G]?: G[K] | null }
          : G[]
    : never;

/** Whether one parameter is differentiated (the operators then give a single tangent). */
type IsSingle<F> =
  WrtOf<F> extends infer W
    ? W extends WrtList
      ? number extends W["length"]
        ? false
        : W extends readonly [unknown]
          ? true
          : false
      : ParamsOf<F> extends readonly []
        ? false
        : ParamsOf<F> extends readonly [unknown?]
          ? true
          : false
    : false;

// ---------------------------------------------------------------------------------------------
// Operator types

/** A function that `gradient` and `valueWithGradient` accept: number-valued. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ScalarFunction = (this: any, ...args: any[]) => number | Tensor;

/** What the operators accept: any function (or a {@link Derivatives} record the build passes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DifferentiableFunction<A extends unknown[] = any[], R = unknown> = ((...args: A) => R) | Derivatives;

/** What `gradient(f)` returns. */
export type GradientFunction<F> = (this: ThisOf<F>, ...args: ParamsOf<F>) => GradientOf<F>;

/** Result of {@link valueWithGradient}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ValueWithGradient<V = number, G = any> {
  value: V;
  gradient: G;
}

/** A pullback: from a cotangent of the result to the cotangents of the differentiated parameters. */
export type Pullback<F> = (cotangent: TangentVector<ResultOf<F>>) => GradientOf<F>;

/** Result of {@link valueWithPullback}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ValueWithPullback<V = unknown, G = any> {
  value: V;
  pullback: (cotangent: TangentVector<V>) => G;
}

/** A differential: from tangents of the differentiated parameters to the tangent of the result. */
export type Differential<F> = (...tangents: DifferentialArgs<F>) => TangentVector<ResultOf<F>>;

/** Result of {@link valueWithDifferential}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ValueWithDifferential<V = unknown, T extends unknown[] = any[]> {
  value: V;
  differential: (...tangents: T) => TangentVector<V>;
}

/**
 * The type `derivative(f)` reports for a function it cannot take: it needs a number-valued
 * function with exactly one differentiated parameter, a number. Use `gradient(f)` or
 * `differential(f)`, or restrict the parameters with `differentiable(f, { wrt: ["x"] })`.
 */
export interface DerivativeNeedsOneNumberParameter<F> {
  readonly "derivative(f) needs a number-valued function of one differentiated number parameter; use gradient(f) or differential(f), or differentiable(f, { wrt: [name] })": F;
}

/**
 * `unknown` if `derivative` can take F, else {@link DerivativeNeedsOneNumberParameter}; derivative's
 * parameter is `F & DerivativeCheck<F>`, so F is inferred from the argument as is.
 */
export type DerivativeCheck<F> = [F] extends [never]
  ? unknown
  : F extends Derivatives
    ? unknown
    : IsSingle<F> extends true
      ? ResultOf<F> extends number
        ? WrtOf<F> extends "all"
          ? Exclude<ParamsOf<F>[0], undefined> extends number
            ? unknown
            : DerivativeNeedsOneNumberParameter<F>
          : unknown
        : DerivativeNeedsOneNumberParameter<F>
      : DerivativeNeedsOneNumberParameter<F>;

// ---------------------------------------------------------------------------------------------
// Custom derivatives (registerDerivative, @derivative(of: f))
//
// These take F's parameter list `A` (a tuple), its result `R` and its `this` type `T` rather than
// F itself: an array literal a pullback returns is then typed as a tuple by TypeScript while
// `registerDerivative`'s type parameters are still being inferred (it is not, under a contextual
// type computed through `Parameters<F>`).

/** Cotangent of the one parameter, or `never` when there are zero or several. */
type SingleCotangent<A extends readonly unknown[]> = A extends readonly []
  ? never
  : A extends readonly [unknown?]
    ? TangentVector<Exclude<A[0], undefined>> | null
    : never;

/** One cotangent per element of B, as a tuple (`null`: zero). */
type CotangentsOfTuple<B extends readonly unknown[]> = { readonly [K in keyof B]-?: TangentVector<B[K]> | null };

/**
 * One cotangent per parameter, as a tuple, when there are zero or several parameters (`never` for
 * one). A mapped type declared over a type variable, so that an array literal a pullback returns
 * is typed as a tuple while registerDerivative's type arguments are still being inferred.
 */
type CotangentTuple<A extends readonly unknown[]> = CotangentsOfTuple<
  A extends readonly [] ? [] : A extends readonly [unknown?] ? never : A
>;

/**
 * The pullback a custom reverse-mode derivative of a function `(...args: A) => R` returns: from a
 * cotangent of R to the cotangent of the parameter (one-parameter functions) or a tuple with one
 * cotangent per parameter (readonly or not). `null` stands for a zero cotangent.
 *
 * @example
 * type P = ExpectedPullback<[x: number, y: number], number>; // (cotangent: number) => [number, number]
 * type Q = ExpectedPullback<[v: number[]], number>; // (cotangent: number) => number[]
 */
export type ExpectedPullback<A extends readonly unknown[], R> = (
  cotangent: TangentVector<R>,
) => SingleCotangent<A> | CotangentTuple<A>;

/**
 * The differential a custom forward-mode derivative of a function `(...args: A) => R` returns:
 * from one tangent per parameter to the tangent of R (`null` for zero).
 *
 * @example
 * type D = ExpectedDifferential<[x: number, v: number[]], number>; // (x: number, v: number[]) => number
 */
export type ExpectedDifferential<A extends readonly unknown[], R> = (...tangents: AllTangents<A>) => TangentVector<R> | null;

/** What a custom reverse-mode derivative of `(...args: A) => R` returns. */
export interface ExpectedVjpResult<A extends readonly unknown[], R> {
  value: R;
  pullback: ExpectedPullback<A, R>;
}

/** What a custom forward-mode derivative of `(...args: A) => R` returns. */
export interface ExpectedJvpResult<A extends readonly unknown[], R> {
  value: R;
  differential: ExpectedDifferential<A, R>;
}

/**
 * A custom reverse-mode derivative of `(this: T, ...args: A) => R`: the same parameters, returning
 * `{ value, pullback }` (see {@link ExpectedPullback}).
 *
 * @example
 * const vjp: ExpectedVjp<[x: number, y: number], number> = (x, y) => ({ value: x * y, pullback: (b) => [b * y, b * x] });
 */
export type ExpectedVjp<A extends readonly unknown[], R, T = unknown> = (this: T, ...args: A) => ExpectedVjpResult<A, R>;

/**
 * A custom forward-mode derivative of `(this: T, ...args: A) => R`: the same parameters, returning
 * `{ value, differential }` (see {@link ExpectedDifferential}).
 *
 * @example
 * const jvp: ExpectedJvp<[x: number, y: number], number> = (x, y) => ({ value: x * y, differential: (dx, dy) => dx * y + x * dy });
 */
export type ExpectedJvp<A extends readonly unknown[], R, T = unknown> = (this: T, ...args: A) => ExpectedJvpResult<A, R>;

/** {@link ExpectedVjp} of the function type F. */
export type ExpectedVjpOf<F extends Fn> = ExpectedVjp<Parameters<F>, ReturnType<F>, ThisParameterType<F>>;

/** {@link ExpectedJvp} of the function type F. */
export type ExpectedJvpOf<F extends Fn> = ExpectedJvp<Parameters<F>, ReturnType<F>, ThisParameterType<F>>;
