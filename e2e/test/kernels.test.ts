// Kernel functions through both hosts: `/** @differentiable @kernel */` scalar functions applied to
// tensors with map(f). On the CPU (float64): values equal the function's own, and derivatives of
// tensor programs that use map(f) match finite differences (reverse and forward mode, numbers
// and tensors, broadcasting). On WebGPU (lavapipe, float32): the same values, JVPs and VJPs as
// the CPU, computed by the WGSL the build compiled from the same function, one dispatch forward
// and one backward. (The diagnostics of what a kernel cannot contain: e2e/test/diagnostics.test.ts.)

import { afterAll, beforeAll, describe, expect, jest, test } from "@jest/globals";
import * as ct from "@cotangent/runtime";
import { expectCloseToCpu, readOn } from "../harness/backends";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

jest.setTimeout(120_000);

type Tensor = ct.Tensor;
const { Tensor, tensor, randomNormal, randomUniform } = ct;

const SOURCE = `
import { Tensor, map, mean, sum } from "@cotangent/runtime";

/** A custom activation: limit·tanh(x / limit). */
/** @differentiable @kernel */
export function softClip(x: number, limit: number): number {
  return limit * Math.tanh(x / limit);
}

/** A pair potential evaluated on a grid of distances: Lennard-Jones, cut off, with a soft wall. */
/** @differentiable @kernel */
export function pairEnergy(r: number, eps: number): number {
  if (r > 2.5) return 0;
  const inv = 1 / r;
  let s6 = inv * inv * inv;
  s6 = s6 * s6;
  let e = 4 * eps * (s6 * s6 - s6);
  for (let k = 0; k < 3; k++) {
    e = e + 0.01 * Math.sin(k * r);
  }
  return r < 0.9 ? e + (0.9 - r) ** 2 : e;
}

/** Ten scalar operations: what a chain of ten tensor ops would be. */
/** @differentiable @kernel */
export function tenOps(x: number, y: number): number {
  const a = x * y + 1;
  const b = Math.exp(-a * a);
  const c = Math.max(x, 0.5 * y);
  return b * c - Math.log1p(x * x) / (1 + y * y);
}

/** @differentiable */
export function loss(x: Tensor, r: Tensor, limit: number): Tensor {
  const h = map(softClip)(x, limit);
  return sum(h.mul(map(pairEnergy)(r, 1.5))).add(mean(map(tenOps)(x, h)));
}

/** \`@kernel\` alone marks a kernel too (kernels are differentiable). */
/** @kernel */
export function cube(x: number): number {
  return x * x * x;
}

export const act = map(softClip);
export const energy = map(pairEnergy);
export const ten = map(tenOps);
`;

const H = 1e-6;
const N64 = (shape: number[], seed: number) => randomNormal(shape, { seed, dtype: "float64" });
const R64 = (shape: number[], seed: number) => randomUniform(shape, { seed, min: 0.95, max: 2.4, dtype: "float64" });

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("%s host", (_host, compile) => {
  const m = compile(SOURCE, "kernels.ts");

  test("map(f) is f at every element, with numbers and broadcasting", () => {
    const x = N64([3, 4], 1);
    const limits = tensor([0.5, 1, 2, 4], [4], "float64");
    const y = m.act(x, limits) as Tensor;
    expect(y.shape).toEqual([3, 4]);
    expect(y.dtype).toBe("float64");
    const xs = x.dataSync();
    const ys = y.dataSync();
    for (let i = 0; i < 12; i++) expect(ys[i]).toBe(m.softClip(xs[i]!, [0.5, 1, 2, 4][i % 4]!));
    // A plain number broadcasts too, and keeps the tensors' dtype.
    expect([...(m.energy(R64([5], 2), 1.5) as Tensor).dataSync()]).toEqual([...R64([5], 2).dataSync()].map((r) => m.pairEnergy(r, 1.5)));
  });

  test("the gradient of a tensor program that maps kernels matches finite differences (tensors and a number)", () => {
    const x = N64([6], 3);
    const r = R64([6], 4);
    const [gx, gr, gl] = ct.gradient(m.loss)(x, r, 1.7) as [Tensor, Tensor, number];
    const at = (dx: number[], dr: number[], dl: number) =>
      (m.loss(tensor([...x.dataSync()].map((v, i) => v + dx[i]!), [6], "float64"), tensor([...r.dataSync()].map((v, i) => v + dr[i]!), [6], "float64"), 1.7 + dl) as Tensor).item();
    const zero = new Array(6).fill(0);
    for (let i = 0; i < 6; i++) {
      const e = zero.map((_, j) => (j === i ? H : 0));
      const fdx = (at(e, zero, 0) - at(e.map((v) => -v), zero, 0)) / (2 * H);
      const fdr = (at(zero, e, 0) - at(zero, e.map((v) => -v), 0)) / (2 * H);
      expect(Math.abs(gx.dataSync()[i]! - fdx)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fdx)));
      expect(Math.abs(gr.dataSync()[i]! - fdr)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fdr)));
    }
    const fdl = (at(zero, zero, H) - at(zero, zero, -H)) / (2 * H);
    expect(Math.abs(gl - fdl)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fdl)));
  });

  test("forward mode agrees with reverse mode through map(f): ⟨J·u, 1⟩ = ⟨u, ∇⟩", () => {
    const x = N64([6], 5);
    const r = R64([6], 6);
    const [gx, gr, gl] = ct.gradient(m.loss)(x, r, 0.9) as [Tensor, Tensor, number];
    const ux = N64([6], 7);
    const ur = N64([6], 8);
    const ul = 0.37;
    const jv = (ct.differential(m.loss)(x, r, 0.9) as (...t: unknown[]) => Tensor)(ux, ur, ul).item();
    const dot = (a: Tensor, b: Tensor) => [...a.dataSync()].reduce((s, v, i) => s + v * b.dataSync()[i]!, 0);
    const rv = dot(gx, ux) + dot(gr, ur) + gl * ul;
    expect(Math.abs(jv - rv)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(jv)));
  });

  test("edge cases: scalars, size-0 tensors, int32 inputs (as float32), a wrong number of inputs", () => {
    const s = m.act(tensor([0.5], [], "float64"), 2) as Tensor;
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(m.softClip(0.5, 2));
    const empty = m.act(tensor([], [0, 3], "float64"), 2) as Tensor;
    expect(empty.shape).toEqual([0, 3]);
    const ints = m.act(tensor([1, -3], [2], "int32"), 2) as Tensor;
    expect(ints.dtype).toBe("float32");
    expect([...ints.dataSync()]).toEqual([1, -3].map((v) => Math.fround(m.softClip(v, 2))));
    expect(() => m.act(tensor([1, 2]))).toThrow(/CT3005: map\(softClip\): takes 2 input\(s\) \(x, limit\), got 1/);
    // An int32 input gets a zero cotangent (the operators give zeros for what has none).
    const [gi, gl] = (ct.pullback(m.act)(tensor([1, -3], [2], "int32"), 2) as unknown as (c: Tensor) => unknown[])(tensor([1, 1], [2])) as [Tensor, number];
    expect([...gi.dataSync()]).toEqual([0, 0]);
    expect(gl).toBeCloseTo([1, -3].reduce((acc, v) => acc + (Math.tanh(v / 2) - (v / 2) * (1 - Math.tanh(v / 2) ** 2)), 0), 6);
  });

  test("@kernel alone is a differentiable kernel", () => {
    const x = N64([4], 9);
    const g = (ct.pullback(ct.map(m.cube))(x) as unknown as (c: Tensor) => Tensor)(ct.ones([4], "float64"));
    [...x.dataSync()].forEach((v, i) => expect(g.dataSync()[i]).toBeCloseTo(3 * v * v, 12));
  });

  test("a function without @kernel cannot be mapped: CT3001 with the fix", () => {
    expect(() => ct.map(Math.sin as (x: number) => number)(tensor([1, 2]))).toThrow(/CT3001: map\(sin\) needs a scalar function compiled as a kernel: mark it \/\*\* @differentiable @kernel \*\//);
  });
});

// ---- WebGPU (float32) against the CPU -----------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-require-imports
const context = require("../../runtime/dist/cjs/backends/webgpu/context.js") as { shutdown(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require("../../runtime/dist/cjs/backends/webgpu/program.js") as { dispatchCounter: { dispatches: number } };

describe("map(f) on WebGPU (lavapipe), against the CPU in float32", () => {
  const m = compileWithBabel(SOURCE, "kernels.ts");
  beforeAll(async () => {
    await ct.setBackend("webgpu"); // rejects (CT3009, with the reason) when there is no adapter
    await ct.setBackend("cpu");
  });
  afterAll(async () => {
    await ct.setBackend("cpu");
    context.shutdown();
  });

  const f32 = (t: Tensor) => tensor(t.dataSync(), t.shape, "float32");
  const x = f32(N64([64], 11));
  const y = f32(N64([64], 12));
  const r = f32(R64([64], 13));

  test.each([
    ["forward: a custom activation", () => m.act(tensor(x.dataSync(), [64]), 2)],
    ["forward: a potential on a grid (branches, a loop)", () => m.energy(tensor(r.dataSync(), [64]), 1.5)],
    ["forward: ten scalar ops", () => m.ten(tensor(x.dataSync(), [64]), tensor(y.dataSync(), [64]))],
    ["JVP", () => (ct.differential(m.ten)(tensor(x.dataSync(), [64]), tensor(y.dataSync(), [64])) as (...t: unknown[]) => Tensor)(tensor(y.dataSync(), [64]), tensor(x.dataSync(), [64]))],
    ["VJP (both inputs' cotangents in one pass)", () => (ct.pullback(m.ten)(tensor(x.dataSync(), [64]), tensor(y.dataSync(), [64])) as (g: Tensor) => unknown)(tensor(r.dataSync(), [64]))],
    ["broadcasting: [4, 16] with [16] (read through strides), forward", () => m.ten(tensor(x.dataSync(), [4, 16]), tensor(y.dataSync().slice(0, 16), [16]))],
    ["broadcasting: [4, 1] with [1, 16], JVP", () => (ct.differential(m.ten)(tensor(x.dataSync().slice(0, 4), [4, 1]), tensor(y.dataSync().slice(0, 16), [1, 16])) as (...t: unknown[]) => Tensor)(tensor(r.dataSync().slice(0, 4), [4, 1]), tensor(x.dataSync().slice(0, 16), [1, 16]))],
    ["broadcasting: [4, 16] with [16], VJP (the bias-like input summed back)", () => (ct.pullback(m.ten)(tensor(x.dataSync(), [4, 16]), tensor(y.dataSync().slice(0, 16), [16])) as (g: Tensor) => unknown)(tensor(r.dataSync(), [4, 16]))],
    ["a gradient with a number parameter (gradientAsync)", () => ct.gradientAsync(m.loss)(tensor(x.dataSync(), [64]), tensor(r.dataSync(), [64]), 1.3)],
  ])("%s", async (_what, make) => {
    expectCloseToCpu(await readOn("webgpu", make), await readOn("cpu", make));
  });

  test("one dispatch forward and one backward for a ten-op function", async () => {
    await ct.setBackend("webgpu");
    try {
      const a = tensor(x.dataSync(), [64]);
      const b = tensor(y.dataSync(), [64]);
      await a.data();
      const before = program.dispatchCounter.dispatches;
      const out = m.ten(a, b) as Tensor;
      const forward = program.dispatchCounter.dispatches - before;
      const { pullback } = ct.valueWithPullback(m.ten)(a, b) as { pullback: (g: Tensor) => Tensor[] };
      const g = tensor(r.dataSync(), [64]);
      await g.data();
      const mid = program.dispatchCounter.dispatches;
      const [ga, gb] = pullback(g);
      const backward = program.dispatchCounter.dispatches - mid;
      await Promise.all([out.data(), ga!.data(), gb!.data()]);
      expect({ forward, backward }).toEqual({ forward: 1, backward: 1 });
      // A broadcast input is read in place: still one dispatch forward.
      const bias = tensor(y.dataSync().slice(0, 16), [16]);
      const rows = tensor(x.dataSync(), [4, 16]);
      await Promise.all([bias.data(), rows.data()]);
      const beforeBroadcast = program.dispatchCounter.dispatches;
      const yb = m.ten(rows, bias) as Tensor;
      expect(program.dispatchCounter.dispatches - beforeBroadcast).toBe(1);
      await yb.data();
    } finally {
      await ct.setBackend("cpu");
    }
  });
});
