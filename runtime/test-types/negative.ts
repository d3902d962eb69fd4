// Typed-operator cases plain tsc (no plugin) must reject. runtime/test/types.test.ts compiles this
// file and checks that each `// @expect-error <text>` line is followed by a line with an error
// whose message (with its whole chain) contains <text>, and that no other line has an error.

import {
  derivative,
  differentiable,
  differential,
  gradient,
  pullback,
  registerDerivative,
  valueWithGradient,
  type ExpectedVjp,
  type NoDerivative,
  type TangentVector,
} from "@cotangent/runtime";

/** @differentiable */
function f(x: number, y: number): number {
  return x * y;
}
/** @differentiable */
function label(x: number): string {
  return `x = ${x}`;
}
/** @differentiable */
function pair(x: number): number[] {
  return [x, x];
}

// gradient needs a function whose result is a number (or a one-element Tensor).
// @expect-error Type 'string' is not assignable to type 'number | Tensor'
gradient(label);
// @expect-error Type 'number[]' is not assignable to type 'number | Tensor'
gradient(pair);
// @expect-error Type 'string' is not assignable to type 'number | Tensor'
valueWithGradient((x: number) => "s" + x);
// @expect-error is not assignable to parameter of type 'ScalarFunction
gradient((s: string) => s);

// Arguments and results are typed from the function.
// @expect-error Argument of type 'string' is not assignable to parameter of type 'number'
gradient(f)("a", 2);
// @expect-error Type '[x: number, y: number]' is not assignable to type 'number'
const notScalar: number = gradient(f)(1, 2);

// derivative takes functions of one number parameter.
// @expect-error DerivativeNeedsOneNumberParameter<(x: number, y: number) => number>
derivative(f);
// @expect-error DerivativeNeedsOneNumberParameter<(v: number[]) => number>
derivative((v: number[]) => v.length);
// @expect-error Type 'number[]' is not assignable to type 'number | Tensor'
derivative(pair);

// differential takes the tangent types of the parameters.
// @expect-error Argument of type 'string' is not assignable to parameter of type 'number'
differential(f)(1, 2)("a", 0);
// @expect-error Argument of type 'number' is not assignable to parameter of type 'number[]'
differential((v: number[], s: number) => s * v.length)([1], 2)(1, 0);
// @expect-error Expected 0-2 arguments, but got 3
differential(f)(1, 2)(1, 0, 0);
// @expect-error Type 'number' is not assignable to type 'string'
const dfs: string = differential(f)(1, 2)(1, 0);

// pullback takes a cotangent of the result's tangent type.
// @expect-error Argument of type 'number' is not assignable to parameter of type 'number[]'
pullback(pair)(1)(1);
// @expect-error 'name' does not exist in type 'ObjectTangent<{ d: number; name: string; }>'
pullback((x: number) => ({ d: x, name: "n" }))(1)({ name: "m" });

// TangentVector drops NoDerivative and non-differentiable fields.
interface Layer {
  w: number[];
  b: number;
  name: string;
  cfg: NoDerivative<{ lr: number }>;
}
// @expect-error Object literal may only specify known properties, and 'cfg' does not exist
const lt: TangentVector<Layer> = { w: [1], b: 0, cfg: { lr: 1 } };
// @expect-error Property 'name' does not exist
gradient((l: Layer) => l.b)({ w: [], b: 0, name: "", cfg: { lr: 1 } }).name;

// registerDerivative: the rules must match the function.
function cube(x: number): number {
  return x ** 3;
}
function mul(x: number, y: number): number {
  return x * y;
}
// Wrong pullback type (inline: TypeScript reports it at the offending expression).
// @expect-error Type 'string' is not assignable to type 'number'
registerDerivative(cube, { vjp: (x) => ({ value: x ** 3, pullback: (b) => `${b}` }) });
// Wrong value type.
// @expect-error Type 'string' is not assignable to type 'number'
registerDerivative(cube, { vjp: (x) => ({ value: "x", pullback: (b) => 3 * x * x * b }) });
// A one-parameter pullback returns the cotangent itself, not an array.
// @expect-error Type '[number]' is not assignable to type 'number'
registerDerivative(cube, { vjp: (x) => ({ value: x ** 3, pullback: (b) => [3 * x * x * b] }) });
// A several-parameter pullback returns one cotangent per parameter.
// @expect-error Source has 1 element(s) but target requires 2
registerDerivative(mul, { vjp: (x, y) => ({ value: x * y, pullback: (b) => [b * y] }) });
// A rule declared apart: the error names the expected type.
const cubeVjp = (x: number) => ({ value: x ** 3, pullback: (b: number) => [b] });
// @expect-error not assignable to type 'ExpectedVjp<[x: number], number, unknown>'
registerDerivative(cube, { vjp: cubeVjp });
const mulVjp = (x: number, y: number) => ({ value: String(x * y), pullback: (b: number) => [b * y, b * x] as const });
// @expect-error Type 'string' is not assignable to type 'number'
registerDerivative(mul, { vjp: mulVjp });
// @expect-error Types of parameters 'x' and 'x' are incompatible
registerDerivative(mul, { vjp: (x: string, y: number) => ({ value: 0, pullback: (b: number) => [b, b] }) });
// Wrong differential (tangent or result type).
// @expect-error Type 'string' is not assignable to type 'number'
registerDerivative(mul, { jvp: (x, y) => ({ value: x * y, differential: (dx, dy) => `${dx}` }) });
// @expect-error Types of parameters 'dx' and 'x' are incompatible
registerDerivative(mul, { jvp: (x, y) => ({ value: x * y, differential: (dx: number[], dy: number) => dy }) });
// ExpectedVjp by name.
// @expect-error Type 'string' is not assignable to type 'number'
const named: ExpectedVjp<[x: number], number> = (x) => ({ value: x, pullback: (b) => "b" });

// differentiable(fn, { wrt }) with one entry: one tangent, not a tuple.
const fx = differentiable((x: number, n: number) => x ** n, { wrt: ["x"] });
// @expect-error Type 'number' is not assignable to type 'number[]'
const gfx: number[] = gradient(fx)(1, 2);

export { notScalar, dfs, lt, named, gfx };
