// Tensor programs through the transformer and both hosts (e2e/tensor-programs/models.ts):
// gradients from the generated reverse mode against central finite differences in float64, and
// the generated forward mode against the reverse mode (⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩).

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import * as ct from "@cotangent/runtime";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

const FILE = path.join(__dirname, "..", "tensor-programs", "models.ts");
const SOURCE = fs.readFileSync(FILE, "utf8");
const { Tensor, tensor, randomNormal, randomUniform } = ct;
type Tensor = ct.Tensor;

const f64 = (shape: number[], seed: number, stddev = 1) => randomNormal(shape, { seed, stddev, dtype: "float64" });

/** The numbers of a value (tensors, numbers, arrays and objects of them), in a fixed order. */
function leaves(v: unknown, out: { get: () => number; set: (x: number) => void }[] = []): typeof out {
  if (v instanceof Tensor) {
    const values = v.values;
    for (let i = 0; i < values.length; i++) out.push({ get: () => values[i]!, set: (x) => (values[i] = x) });
  } else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (v && typeof v === "object") for (const k of Object.keys(v).sort()) leaves((v as Record<string, unknown>)[k], out);
  return out;
}

/** The numbers of a tangent, aligned with `leaves(primal)`; null is zeros. */
function tangentNumbers(primal: unknown, t: unknown): number[] {
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
    } else if (typeof p === "number") out.push(typeof x === "number" ? x : 0);
    else if (Array.isArray(p)) p.forEach((e, i) => walk(e, (x as unknown[] | null)?.[i]));
    else if (p && typeof p === "object") for (const k of Object.keys(p).sort()) walk((p as Record<string, unknown>)[k], (x as Record<string, unknown> | null)?.[k]);
  };
  walk(primal, t);
  return out;
}

/** A random tangent with the structure of `v` (tensors of its shapes, numbers for numbers). */
function randomTangent(v: unknown, seed: { n: number }): unknown {
  if (v instanceof Tensor) return randomNormal([...v.shape], { seed: seed.n++, dtype: "float64" });
  if (typeof v === "number") return Math.sin(seed.n++ * 12.9898);
  if (Array.isArray(v)) return v.map((x) => randomTangent(x, seed));
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).map((k) => [k, randomTangent((v as Record<string, unknown>)[k], seed)]));
  return null;
}

const scalar = (v: unknown) => (v instanceof Tensor ? v.item() : (v as number));

/** Checks gradient(f) at args (wrt indices) against central differences, on up to `samples` numbers per argument. */
function checkGradient(f: (...a: any[]) => any, args: unknown[], wrt: number[], samples = 24): void {
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
function checkForwardAgainstReverse(f: (...a: any[]) => any, args: unknown[], wrt: number[]): void {
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

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("tensor programs through %s", (_host, compile) => {
  const m = compile(SOURCE, FILE);

  test("logistic regression", () => {
    const x = f64([8, 3], 1);
    const y = tensor(Array.from({ length: 8 }, (_, i) => [i % 2]), [8, 1], "float64");
    const args = [f64([3, 1], 2), f64([1], 3), x, y];
    checkGradient(m.logistic, args, [0, 1]);
    checkForwardAgainstReverse(m.logistic, args, [0, 1]);
  });

  test("2-layer MLP with cross-entropy, a model struct", () => {
    const model = { w1: f64([4, 6], 1, 0.5), b1: f64([6], 2, 0.1), w2: f64([6, 3], 3, 0.5), b2: f64([3], 4, 0.1) };
    const x = f64([5, 4], 5);
    const labels = tensor([0, 2, 1, 1, 0], [5], "int32");
    checkGradient(m.mlpLoss, [model, x, labels], [0]);
    checkForwardAgainstReverse(m.mlpLoss, [model, x, labels], [0]);
    // The gradient is a struct with the model's fields.
    const g = ct.gradient(m.mlpLoss)(model, x, labels) as Record<string, Tensor>;
    expect(Object.keys(g).sort()).toEqual(["b1", "b2", "w1", "w2"]);
    expect(g.w1!.shape).toEqual([4, 6]);
  });

  test("recurrent loop with a branch per step", () => {
    const xs = [0, 1, 2, 3].map((i) => f64([2, 3], 10 + i));
    const args = [f64([4, 4], 1, 0.4), f64([3, 4], 2, 0.4), xs, f64([2, 4], 3)];
    checkGradient(m.rnn, args, [0, 1]);
    checkForwardAgainstReverse(m.rnn, args, [0, 1]);
  });

  test("where with a constant mask", () => {
    const x = tensor([-1.5, -0.3, 0.4, 2.0, 0.7], [5], "float64");
    checkGradient(m.hinge, [x], [0]);
    checkForwardAgainstReverse(m.hinge, [x], [0]);
  });

  test("softmax attention with a number parameter", () => {
    const args = [f64([3, 4], 1), f64([5, 4], 2), f64([5, 2], 3), 0.7, f64([3, 2], 4)];
    checkGradient(m.attention, args, [0, 1, 3]);
    checkForwardAgainstReverse(m.attention, args, [0, 1, 3]);
  });
});
