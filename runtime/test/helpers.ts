// Hand-written derivatives following the generated-code conventions, shared by the runtime tests.
import { Derivatives, defineDerivatives, type Tangent, type WithWrt } from "@cotangent/runtime";

const num = (t: Tangent): number => (t ?? 0) as number;

/** f(x, y) = x*y + sin(x), with generated-style jvp/vjp attached. */
export function makeF() {
  function f(x: number, y: number): number {
    return x * y + Math.sin(x);
  }
  defineDerivatives(f, {
    name: "f",
    arity: 2,
    wrt: [0, 1],
    jvp(x: number, y: number, dx: Tangent, dy: Tangent) {
      const value = f(x, y);
      if (dx == null && dy == null) return { value, tangent: null };
      return { value, tangent: num(dx) * (y + Math.cos(x)) + num(dy) * x };
    },
    vjp(x: number, y: number) {
      return { value: f(x, y), pullback: (b: Tangent) => [num(b) * (y + Math.cos(x)), num(b) * x] };
    },
  });
  return f;
}

/** The same f differentiated with respect to x only (wrt: [0]). */
export function makeFx() {
  function fx(x: number, y: number): number {
    return x * y + Math.sin(x);
  }
  defineDerivatives(fx, {
    name: "fx",
    arity: 2,
    wrt: [0],
    jvp(x: number, y: number, dx: Tangent, _dy: Tangent) {
      return { value: fx(x, y), tangent: dx == null ? null : num(dx) * (y + Math.cos(x)) };
    },
    vjp(x: number, y: number) {
      return { value: fx(x, y), pullback: (b: Tangent) => [num(b) * (y + Math.cos(x)), null] };
    },
  });
  // Its derivatives differentiate x only: say so to the operators' types, as
  // differentiable(fx, { wrt: ["x"] }) would.
  return fx as typeof fx & WithWrt<["x"]>;
}

/** g(v, s) = { sum: s * (v[0] + v[1]), label } — array and object shapes, a non-numeric leaf. */
export const gRecord = new Derivatives({
  name: "g",
  arity: 2,
  wrt: [0, 1],
  vjp(v: number[], s: number) {
    const value = { sum: s * (v[0]! + v[1]!), label: "g" };
    return {
      value,
      pullback: (b: Tangent) => {
        const bs = num((b as { sum?: Tangent } | null)?.sum ?? null);
        return [[bs * s, bs * s], bs * (v[0]! + v[1]!)];
      },
    };
  },
  jvp(v: number[], s: number, dv: Tangent, ds: Tangent) {
    const dvv = (dv ?? [0, 0]) as number[];
    const value = { sum: s * (v[0]! + v[1]!), label: "g" };
    return { value, tangent: { sum: s * (dvv[0]! + dvv[1]!) + num(ds) * (v[0]! + v[1]!), label: null } };
  },
});

export const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));
