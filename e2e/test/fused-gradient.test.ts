// The fused functions of scalar code: for a mark a module takes `gradient` of, the build also
// generates `f$grad`, the primal and the adjoint seeded with 1 in one function, which
// `gradient(f)` returns instead of going through the VJP and its pullback; for `valueWithGradient`,
// `f$valueWithGradient` likewise. Through both hosts: which functions get them, that they give
// what the VJP gives (and finite differences), that importers' operators use them through the
// function's registration, and that replacing the derivatives later drops them.

import { describe, expect, test } from "@jest/globals";
import * as runtime from "@cotangent/runtime";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

const SOURCE = `
import { gradient, valueWithGradient } from "@cotangent/runtime";

const C = [1, -0.5, 0.25, 0.3, -0.1];

/** Horner's rule: a loop whose pullback pops every intermediate. */
/** @differentiable */
export function horner(x: number): number {
  let r = 0;
  for (let i = C.length - 1; i >= 0; i--) r = r * x + C[i];
  return r;
}

/** Two differentiated parameters and a constant one. */
/** @differentiable(wrt: x, y) */
export function mixed(x: number, y: number, k: number): number {
  let s = 0;
  for (let i = 0; i < 5; i++) {
    const t = x * i - y;
    s = t > 0 ? s + t * t * k : s + Math.sin(t) * y;
  }
  return s;
}

/** An array parameter: not scalar code, so no fused gradient (the VJP serves). */
/** @differentiable */
export function sumSquares(xs: number[]): number {
  let s = 0;
  for (const x of xs) s = s + x * x;
  return s;
}

/** Marked, but the module never takes its gradient: no fused gradient. */
/** @differentiable */
export function unused(x: number): number {
  return x * x * x;
}

export const gHorner = gradient(horner);
export const gMixed = gradient(mixed);
export const gSum = gradient(sumSquares);
export const vgHorner = valueWithGradient(horner);
export const vgMixed = valueWithGradient(mixed);
export const vgSum = valueWithGradient(sumSquares);
export const gInline = gradient((a: number, b: number) => a * Math.exp(b));
export const vgInline = valueWithGradient((a: number, b: number) => a * Math.exp(b));
`;

const hosts = [
  ["babel", (s: string, f: string) => compileWithBabel(s, f)],
  ["ts-patch", (s: string, f: string) => compileWithTsPatch(s, f)],
] as const;

const fd = (f: (x: number) => number, x: number, h = 1e-6) => (f(x + h) - f(x - h)) / (2 * h);

describe.each(hosts)("%s host", (host, compile) => {
  const m = compile(SOURCE, `/virtual/fused-gradient-${host}.ts`);
  const grad = (f: unknown) => runtime.getDerivatives(f)?.grad;

  test("scalar code the module takes gradient of gets a fused gradient; other marks do not", () => {
    expect(grad(m.horner)?.name).toBe("horner$grad");
    expect(grad(m.mixed)?.name).toBe("mixed$grad");
    expect(grad(m.sumSquares)).toBeUndefined(); // an array parameter
    expect(grad(m.unused)).toBeUndefined(); // no gradient(unused) in the module
  });

  test("the fused gradient is gradient(f): it gives what the VJP's pullback gives, and finite differences", () => {
    expect(m.gHorner).toBe(grad(m.horner)); // returned as it is: no wrapper on the hot path
    expect(m.gHorner.name).toBe("horner$grad");
    for (const x of [-1.3, 0.2, 0.9]) {
      const d = runtime.getDerivatives(m.horner)!;
      expect(d.grad!(x as never)).toBe(d.vjp!(x).pullback(1)[0]); // one parameter: its cotangent, no array
      expect(runtime.gradient(d)(x)).toBe(d.grad!(x as never));
      expect(m.gHorner(x)).toBeCloseTo(fd(m.horner, x), 7);
      expect(m.vgHorner(x).gradient).toBe(m.gHorner(x));
    }
    for (const [x, y] of [
      [0.7, 0.4],
      [-0.5, 1.2],
    ] as const) {
      const d = runtime.getDerivatives(m.mixed)!;
      const fused = d.grad!(...([x, y, 2] as never[])) as number[];
      const [bx, by, bk] = d.vjp!(x, y, 2).pullback(1);
      expect(fused).toEqual([bx, by]); // the cotangents of wrt [0, 1] only, as gradient(mixed) gives them
      expect(bk).toBeNull(); // k is not differentiated
      const [gx, gy] = m.gMixed(x, y, 2);
      expect(gx).toBeCloseTo(fd((v) => m.mixed(v, y, 2), x), 6);
      expect(gy).toBeCloseTo(fd((v) => m.mixed(x, v, 2), y), 6);
    }
    const [ga, gb] = m.gInline(0.3, 0.8);
    expect(ga).toBeCloseTo(Math.exp(0.8), 12);
    expect(gb).toBeCloseTo(0.3 * Math.exp(0.8), 12);
    expect(m.gSum([1, 2, 3])).toEqual([2, 4, 6]);
  });

  test("valueWithGradient(f) of scalar code is f$valueWithGradient: the value exactly, the fused gradient's cotangents", () => {
    const d = runtime.getDerivatives(m.horner)!;
    expect(m.vgHorner).toBe(d.valueWithGradient);
    expect(m.vgHorner.name).toBe("horner$valueWithGradient");
    expect(runtime.getDerivatives(m.unused)?.valueWithGradient).toBeUndefined(); // not asked for
    expect(runtime.getDerivatives(m.sumSquares)?.valueWithGradient).toBeUndefined(); // not scalar code
    for (const x of [-1.3, 0.2, 0.9]) {
      const r = m.vgHorner(x);
      expect(Object.keys(r)).toEqual(["value", "gradient"]);
      expect(r.value).toBe(m.horner(x)); // taken before the adjoint restores what the loop overwrote
      expect(r.gradient).toBe(m.gHorner(x));
      expect(r.gradient).toBe(d.vjp!(x).pullback(1)[0]);
    }
    for (const [x, y] of [
      [0.7, 0.4],
      [-0.5, 1.2],
    ] as const) {
      const r = m.vgMixed(x, y, 2);
      expect(r.value).toBe(m.mixed(x, y, 2));
      expect(r.gradient).toEqual(m.gMixed(x, y, 2)); // wrt [x, y] only
    }
    const inline = m.vgInline(0.3, 0.8);
    expect(inline.value).toBeCloseTo(0.3 * Math.exp(0.8), 14);
    expect(inline.gradient).toEqual(m.gInline(0.3, 0.8));
    // The VJP serves what is not scalar code.
    expect(m.vgSum([1, 2, 3])).toEqual({ value: 14, gradient: [2, 4, 6] });
  });

  /**
   * A function registered with horner's generated records and one fused function (counting its
   * calls), as the build registers a mark for its importers: the operators look them up at run
   * time. Then `replace()` registers a custom pullback over it.
   */
  function registeredLikeHorner(fused: "grad" | "valueWithGradient") {
    const d = runtime.getDerivatives(m.horner)!;
    const counter = { calls: 0 };
    const target = (x: number) => m.horner(x);
    const generated = d[fused] as (x: number) => unknown;
    runtime.defineDerivatives(target, {
      name: "target",
      arity: 1,
      wrt: [0],
      jvp: d.jvp,
      vjp: d.vjp,
      [fused]: (x: number) => {
        counter.calls++;
        return generated(x);
      },
    });
    const replace = () =>
      runtime.registerDerivative(target, { vjp: (x: number) => ({ value: m.horner(x), pullback: (g: number) => g * 100 }) }, { replace: true });
    return { target, counter, replace };
  }

  test("an importer's valueWithGradient(f) takes it from the registration; replacing the derivatives drops it", () => {
    const { target, counter, replace } = registeredLikeHorner("valueWithGradient");
    expect(runtime.valueWithGradient(target)(0.4)).toEqual({ value: m.horner(0.4), gradient: m.gHorner(0.4) });
    expect(counter.calls).toBe(1);
    replace();
    expect(runtime.getDerivatives(target)!.valueWithGradient).toBeUndefined();
    expect(runtime.valueWithGradient(target)(0.4)).toEqual({ value: m.horner(0.4), gradient: 100 });
    expect(counter.calls).toBe(1);
  });

  test("an importer's gradient(f) takes the fused gradient from the registration; replacing the derivatives drops it", () => {
    const { target, counter, replace } = registeredLikeHorner("grad");
    expect(runtime.gradient(target)(0.4)).toBeCloseTo(fd(m.horner, 0.4), 7);
    expect(counter.calls).toBe(1);
    // A custom pullback replaces the generated modes: the fused gradient must not outlive them.
    replace();
    expect(runtime.getDerivatives(target)!.grad).toBeUndefined();
    expect(runtime.gradient(target)(0.4)).toBe(100);
    expect(counter.calls).toBe(1);
  });
});
