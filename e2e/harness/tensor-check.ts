// Gradient checks for tensor programs: gradient(f) against central finite differences in
// float64, and forward mode against reverse mode (⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩), over arguments that
// are tensors, numbers, and arrays and objects of them (models).

import { expect } from "@jest/globals";
import * as ct from "@cotangent/runtime";

const { Tensor, randomNormal } = ct;
type Tensor = ct.Tensor;

export const f64 = (shape: number[], seed: number, stddev = 1) => randomNormal(shape, { seed, stddev, dtype: "float64" });

/**
 * The numbers of the tensors in a value (tensors, arrays and objects of them), in a fixed order.
 * Plain numbers inside models are settings (stride, pool size) and are left out; a number
 * argument is checked on its own.
 */
export function leaves(v: unknown, out: { get: () => number; set: (x: number) => void }[] = []): typeof out {
  if (v instanceof Tensor) {
    const values = v.values;
    for (let i = 0; i < values.length; i++) out.push({ get: () => values[i]!, set: (x) => (values[i] = x) });
  } else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (v && typeof v === "object") for (const k of Object.keys(v).sort()) leaves((v as Record<string, unknown>)[k], out);
  return out;
}

/** The numbers of a tangent, aligned with `leaves(primal)`; null is zeros. */
export function tangentNumbers(primal: unknown, t: unknown): number[] {
  const n = leaves(primal).length;
  if (t === null || t === undefined) return new Array(n).fill(0);
  const out: number[] = [];
  const walk = (p: unknown, x: unknown) => {
    if (p instanceof Tensor) {
      if (x === null || x === undefined) out.push(...new Array(p.size).fill(0));
      else {
        expect(x).toBeInstanceOf(Tensor);
        expect((x as Tensor).shape).toEqual(p.shape);
        out.push(...Array.from((x as Tensor).values));
      }
    } else if (typeof p === "number") {
      // A number argument is checked; a number inside a model is a setting (stride, size): not.
      if (p === primal) out.push(typeof x === "number" ? x : 0);
    } else if (Array.isArray(p)) p.forEach((e, i) => walk(e, (x as unknown[] | null)?.[i]));
    else if (p && typeof p === "object") for (const k of Object.keys(p).sort()) walk((p as Record<string, unknown>)[k], (x as Record<string, unknown> | null)?.[k]);
  };
  walk(primal, t);
  return out;
}

/** A random tangent with the structure of `v` (tensors of its shapes, numbers for numbers). */
export function randomTangent(v: unknown, seed: { n: number }, top = true): unknown {
  if (v instanceof Tensor) return randomNormal([...v.shape], { seed: seed.n++, dtype: "float64" });
  if (typeof v === "number") return top ? Math.sin(seed.n++ * 12.9898) : null;
  if (Array.isArray(v)) return v.map((x) => randomTangent(x, seed, false));
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).map((k) => [k, randomTangent((v as Record<string, unknown>)[k], seed, false)]));
  return null;
}

export const scalar = (v: unknown) => (v instanceof Tensor ? v.item() : (v as number));

/** Checks gradient(f) at args (wrt indices) against central differences, on up to `samples` numbers per argument. */
export function checkGradient(f: (...a: any[]) => any, args: unknown[], wrt: number[], samples = 24): void {
  const grads = ct.gradient(f as any)(...args) as unknown;
  const perArg = wrt.length === 1 ? [grads] : (grads as unknown[]);
  wrt.forEach((argIndex, k) => {
    const arg = args[argIndex];
    if (typeof arg === "number") {
      const h = 1e-6 * Math.max(1, Math.abs(arg));
      const at = (x: number) => scalar(f(...args.map((a, i) => (i === argIndex ? x : a))));
      const fd = (at(arg + h) - at(arg - h)) / (2 * h);
      expect(typeof perArg[k]).toBe("number");
      expect(Math.abs(fd - (perArg[k] as number))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)) + 1e-7);
      return;
    }
    const numbers = leaves(arg);
    const g = tangentNumbers(arg, perArg[k]);
    expect(g.length).toBe(numbers.length);
    const step = Math.max(1, Math.floor(numbers.length / samples));
    for (let i = 0; i < numbers.length; i += step) {
      const leaf = numbers[i]!;
      const x0 = leaf.get();
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      leaf.set(x0 + h);
      const up = scalar(f(...args));
      leaf.set(x0 - h);
      const down = scalar(f(...args));
      leaf.set(x0);
      const fd = (up - down) / (2 * h);
      expect(Math.abs(fd - g[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)) + 1e-7);
    }
  });
}

/** JVP (differential) against VJP (pullback) on random directions. */
export function checkForwardAgainstReverse(f: (...a: any[]) => any, args: unknown[], wrt: number[]): void {
  const seed = { n: 1000 };
  const us = wrt.map((i) => randomTangent(args[i], seed));
  const { value, differential } = ct.valueWithDifferential(f as any)(...args) as any;
  const ju = differential(...us);
  const v = randomTangent(value, seed);
  const { pullback } = ct.valueWithPullback(f as any)(...args) as any;
  const back = pullback(v);
  const perArg = wrt.length === 1 ? [back] : back;
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  const lhs = dot(tangentNumbers(value, ju), tangentNumbers(value, v));
  const rhs = wrt.reduce((s, argIndex, k) => s + dot(tangentNumbers(args[argIndex], us[k]), tangentNumbers(args[argIndex], perArg[k])), 0);
  expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(lhs)));
}

