// Types of the operators and of TangentVector that plain tsc (no plugin) must accept.
// Compiled by runtime/test/types.test.ts with strict options: this file must have no errors.
// `check<Equals<A, B>>()` fails to compile unless A and B are the same type.

import {
  Derivatives,
  derivative,
  differentiable,
  differential,
  gradient,
  pullback,
  registerDerivative,
  valueWithDifferential,
  valueWithGradient,
  valueWithPullback,
  type Tensor,
  type Differentiable,
  type ExpectedDifferential,
  type ExpectedPullback,
  type ExpectedVjp,
  type ExpectedVjpOf,
  type GradientOf,
  type NoDerivative,
  type Tangent,
  type TangentVector,
  type WithWrt,
} from "@cotangent/runtime";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
declare function check<T extends true>(): void;
declare function value<T>(): T;

// ---- TangentVector -------------------------------------------------------------------------

check<Equals<TangentVector<number>, number>>();
check<Equals<TangentVector<3>, number>>();
check<Equals<TangentVector<number[]>, number[]>>();
check<Equals<TangentVector<readonly number[]>, readonly number[]>>();
check<Equals<TangentVector<[number, number]>, [number, number]>>();
check<Equals<TangentVector<[number, string]>, [number, null]>>();
check<Equals<TangentVector<number[][]>, number[][]>>();
check<Equals<TangentVector<Float64Array>, Float64Array>>();
check<Equals<TangentVector<string>, null>>();
check<Equals<TangentVector<boolean>, null>>();
check<Equals<TangentVector<(x: number) => number>, null>>();
check<Equals<TangentVector<number | undefined>, number | null>>();
check<Equals<TangentVector<NoDerivative<number>>, null>>();
check<Equals<TangentVector<unknown>, Tangent>>();

interface Params {
  w: number[];
  b: number;
  name: string;
  cfg: NoDerivative<{ lr: number }>;
}
type ParamsTangent = TangentVector<Params>;
check<Equals<ParamsTangent["w"], number[]>>();
check<Equals<ParamsTangent["b"], number>>();
check<Equals<keyof ParamsTangent, "w" | "b">>();
check<Equals<TangentVector<{ pos: [number, number]; mass?: number; tag: symbol; f: () => void }>["mass"], number | undefined>>();
check<Equals<keyof TangentVector<{ pos: [number, number]; mass?: number; tag: symbol; f: () => void }>, "pos" | "mass">>();
check<Equals<keyof TangentVector<{ inner: { a: number; s: string }; label: string }>, "inner">>();
check<Equals<keyof TangentVector<{ inner: { a: number; s: string }; label: string }>["inner"], "a">>();

// NoDerivative<T> stays assignable to and from T.
const params: Params = { w: [1, 2], b: 0, name: "layer", cfg: { lr: 0.1 } };
const lr: number = params.cfg.lr;
const cfg: { lr: number } = params.cfg;
const t: ParamsTangent = { w: [0, 0], b: 1 };

// Custom conformance: move(by:) declares the tangent type.
interface PointTangent {
  dx: number;
  dy: number;
}
class Point implements Differentiable<PointTangent> {
  constructor(
    public x: number,
    public y: number,
    public label: string,
  ) {}
  move(by: PointTangent): void {
    this.x += by.dx;
    this.y += by.dy;
  }
}
check<Equals<TangentVector<Point>, PointTangent>>();
check<Equals<TangentVector<Point[]>, PointTangent[]>>();
check<Equals<TangentVector<{ p: Point; n: number }>, { p: PointTangent; n: number }>>();
const asDifferentiable: Differentiable = new Point(0, 0, "p");

// A class without move(by:) is differentiable field by field (methods drop out).
class Particle {
  constructor(
    public pos: number[],
    public mass: NoDerivative<number>,
    public id: string,
  ) {}
  energy(): number {
    return this.pos.reduce((a, b) => a + b * b, 0);
  }
}
check<Equals<keyof TangentVector<Particle>, "pos">>();

// Tensor is its own tangent type (the runtime's TangentOverrides entry).
check<Equals<TangentVector<Tensor>, Tensor>>();
check<Equals<TangentVector<{ weights: Tensor; name: string }>, { weights: Tensor }>>();
check<Equals<TangentVector<Tensor[]>, Tensor[]>>();
/** @differentiable */
function tensorLoss(t: Tensor, scale: number): number {
  return t.item() * scale;
}
check<Equals<ReturnType<ReturnType<typeof gradient<typeof tensorLoss>>>, [t: Tensor, scale: number]>>();
// A scalar tensor result works with gradient too.
/** @differentiable */
function tensorMean(t: Tensor): Tensor {
  return t.mean();
}
check<Equals<ReturnType<ReturnType<typeof gradient<typeof tensorMean>>>, Tensor>>();

// TangentOverrides: an extension point for other types with a non-structural tangent.
class Rotation {
  constructor(readonly angle: number) {}
  private brand?: "Rotation";
}
declare module "@cotangent/runtime" {
  interface TangentOverrides {
    rotation: [Rotation, number];
  }
}
check<Equals<TangentVector<Rotation>, number>>();
check<Equals<TangentVector<{ r: Rotation; label: string }>, { r: number }>>();

// ---- operators on plain functions (the JSDoc mark is invisible to tsc) ------------------------

/** @differentiable */
function f(x: number, y: number): number {
  return x * y + Math.sin(x);
}
/** @differentiable */
function square(x: number): number {
  return x * x;
}
/** @differentiable */
function loss(p: Params, x: number[]): number {
  return p.b + p.w.reduce((a, w, i) => a + w * (x[i] ?? 0), 0);
}
/** @differentiable */
function norm2(v: [number, number]): number {
  return v[0] * v[0] + v[1] * v[1];
}
/** @differentiable */
function sum(v: number[]): number {
  return v.reduce((a, b) => a + b, 0);
}
/** @differentiable */
function pointLoss(p: Point): number {
  return p.x * p.y;
}

check<Equals<ReturnType<ReturnType<typeof gradient<typeof f>>>, [x: number, y: number]>>();
const gf: [number, number] = gradient(f)(2, 3);
const gsq: number = gradient(square)(3);
check<Equals<typeof gsq, number>>();
check<Equals<ReturnType<ReturnType<typeof gradient<typeof square>>>, number>>();
check<Equals<ReturnType<ReturnType<typeof gradient<typeof norm2>>>, [number, number]>>();
check<Equals<ReturnType<ReturnType<typeof gradient<typeof sum>>>, number[]>>();
check<Equals<ReturnType<ReturnType<typeof gradient<typeof pointLoss>>>, PointTangent>>();
const [gp, gx] = gradient(loss)(params, [1, 2]);
check<Equals<typeof gp, ParamsTangent>>();
check<Equals<typeof gx, number[]>>();
gp.w.map((v) => v * 2);
const gb: number = gp.b;

// valueWithGradient
const vg = valueWithGradient(f)(2, 3);
check<Equals<typeof vg.value, number>>();
check<Equals<typeof vg.gradient, [x: number, y: number]>>();
const vgp = valueWithGradient(loss)(params, [1]);
check<Equals<typeof vgp.gradient, [p: ParamsTangent, x: number[]]>>();

// pullback / valueWithPullback: the cotangent has the result's tangent type.
const toPair = (x: number, v: number[]): [number, number[]] => [x, v];
const pbPair = pullback(toPair)(1, [2]);
check<Equals<Parameters<typeof pbPair>, [cotangent: [number, number[]]]>>();
check<Equals<ReturnType<typeof pbPair>, [x: number, v: number[]]>>();
const pbPoint = pullback((p: Point) => ({ d: p.x - p.y, tag: "t" }))(new Point(1, 2, "p"));
check<Equals<Parameters<typeof pbPoint>[0], { d: number }>>();
check<Equals<ReturnType<typeof pbPoint>, PointTangent>>();
const vp = valueWithPullback((v: number[]) => v.map((x) => x * x))([1, 2]);
check<Equals<typeof vp.value, number[]>>();
check<Equals<ReturnType<typeof vp.pullback>, number[]>>();
const ct: number[] = vp.pullback([1, 0]);

// differential / valueWithDifferential: one tangent per parameter (omitted or null: zero).
const df = differential(f)(2, 3);
check<Equals<ReturnType<typeof df>, number>>();
df(1, 0);
df(1);
df(null, 1);
const dl = differential(loss)(params, [1]);
dl({ w: [1, 0], b: 0 }, [0]);
check<Equals<ReturnType<typeof dl>, number>>();
const dv = differential((v: number[]) => v.map((x) => 2 * x))([1, 2]);
check<Equals<ReturnType<typeof dv>, number[]>>();
const vd = valueWithDifferential(norm2)([1, 2]);
check<Equals<typeof vd.value, number>>();
check<Equals<ReturnType<typeof vd.differential>, number>>();
vd.differential([1, 0]);

// derivative: (x: number) => number.
// Function literals passed straight to an operator.
const dlit1: number = derivative(function (x: number) {
  return x * x * x;
})(2);
const dlit2: number = derivative((x: number) => x * x)(2);
const glit: number = gradient((x: number) => Math.exp(x) * x)(1.5);
const dsq = derivative(square);
check<Equals<Parameters<typeof dsq>, [x: number]>>();
check<Equals<ReturnType<typeof dsq>, number>>();
const d2 = derivative(derivative(square));
const dd: number = d2(1);
const dg = derivative(gradient(square));
dg(2);
const hvp = differential(gradient(f))(1, 2);
check<Equals<ReturnType<typeof hvp>, [x: number, y: number]>>();

// ---- differentiable(fn) and differentiable(fn, { wrt }) ---------------------------------------

const g = differentiable((x: number) => Math.sin(x) * x);
derivative(g)(0.5);
const gxy = differentiable((x: number, y: number) => x * y);
check<Equals<ReturnType<ReturnType<typeof gradient<typeof gxy>>>, [x: number, y: number]>>();
// wrt: one entry → one tangent; the operators know how many, not which (names are not types).
const fx = differentiable((x: number, n: number) => x ** n, { wrt: ["x"] });
const gfx: number = gradient(fx)(2, 3);
check<Equals<typeof gfx, number>>();
const dfx: number = derivative(fx)(2, 3);
differential(fx)(2, 3)(1);
const fw = differentiable((w: number[], b: number, label: string) => b + w.length + label.length, { wrt: ["w", "b"] });
check<Equals<ReturnType<ReturnType<typeof gradient<typeof fw>>>, [number[] | number, number[] | number]>>();
// A function typed with WithWrt by hand (e.g. derivatives attached by defineDerivatives).
declare const hand: ((x: number, k: number) => number) & WithWrt<["x"]>;
check<Equals<ReturnType<ReturnType<typeof gradient<typeof hand>>>, number>>();

// Decorated methods keep their types; `this` passes through.
class Model {
  k = 2;
  @differentiable loss(w: number): number {
    return this.k * w * w;
  }
  @differentiable({ wrt: ["w"] }) scaled(w: number, s: number): number {
    return s * w;
  }
}
const model = new Model();
const gm: number = gradient(model.loss).call(model, 3);
// eslint-disable-next-line @typescript-eslint/unbound-method
gradient(Model.prototype.scaled).call(model, 1, 2);

// ---- Derivatives records: wrt by index is exact ---------------------------------------------

const rec = new Derivatives({
  name: "h",
  arity: 2,
  wrt: [1],
  fn: (label: string, v: number[]) => v.length,
});
const grec = gradient(rec)("a", [1, 2]);
check<Equals<typeof grec, number[]>>();
const rec2 = new Derivatives({ name: "h2", arity: 2, wrt: [1, 0], fn: (x: number, v: number[]) => x + v.length });
check<Equals<ReturnType<ReturnType<typeof gradient<typeof rec2>>>, [number[], number]>>();
// A record without fn (as generated code builds them) is loosely typed.
const loose = new Derivatives({ name: "l", arity: 1, wrt: [0] });
const gl: string = gradient(loose)(1) as string;

// ---- registerDerivative: rules typed from the function --------------------------------------

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
registerDerivative(logistic, {
  vjp: (x) => {
    const s = logistic(x);
    return { value: s, pullback: (b) => b * s * (1 - s) };
  },
  jvp: (x) => {
    const s = logistic(x);
    return { value: s, differential: (dx) => dx * s * (1 - s) };
  },
});
function mul(x: number, y: number): number {
  return x * y;
}
registerDerivative(mul, {
  vjp: (x, y) => ({ value: x * y, pullback: (b) => [b * y, b * x] }),
  jvp: (x, y) => ({ value: x * y, differential: (dx, dy) => dx * y + x * dy }),
});
// Zero cotangents may be null.
function scaleBy(v: number[], s: number): number[] {
  return v.map((x) => x * s);
}
registerDerivative(scaleBy, {
  vjp: (v, s) => ({
    value: scaleBy(v, s),
    pullback: (b) => [b.map((x) => x * s), b.reduce((a, x, i) => a + x * (v[i] ?? 0), 0)],
  }),
  jvp: (v, s) => ({ value: scaleBy(v, s), differential: (dv, ds) => dv.map((x, i) => x * s + (v[i] ?? 0) * ds) }),
});
registerDerivative(Math.hypot, { vjp: (x, y) => ({ value: Math.hypot(x!, y!), pullback: (b) => [b, b] }) }, { arity: 2 });
// The rule types by name.
const mulVjp: ExpectedVjp<[x: number, y: number], number> = (x, y) => ({ value: x * y, pullback: (b) => [b * y, null] });
const mulVjp2: ExpectedVjpOf<typeof mul> = mulVjp;
const pbType: ExpectedPullback<[v: number[]], number> = (b) => [b];
const dType: ExpectedDifferential<[x: number, v: number[]], number> = (dx, dv) => dx + dv.length;
// registerDerivative returns fn with its own type.
const mulAgain: (x: number, y: number) => number = registerDerivative(mul, { vjp: mulVjp }, { replace: true });

check<Equals<GradientOf<typeof mul>, [x: number, y: number]>>();

export {
  dlit1, dlit2, glit, lr, cfg, t, asDifferentiable, gf, gb, ct, dd, gfx, dfx, gm, gl, mulVjp2, pbType, dType, mulAgain,
};

// Rest parameters: one tangent per argument, as the function is called.
const sumAll = differentiable((...xs: number[]) => xs.reduce((a, x) => a + x * x, 0));
const weighted = differentiable((w: number, ...xs: number[]) => w * xs.length);
check<Equals<ReturnType<ReturnType<typeof gradient<typeof sumAll>>>, number[]>>();
check<Equals<GradientOf<typeof weighted>, [w: number, ...xs: number[]]>>();
const restGrad: number[] = gradient(sumAll)(1, 2, 3);
const restDiff: number = differential(weighted)(1, 2, 3)(1, 0, 0);
export { restGrad, restDiff };
