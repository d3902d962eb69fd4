// map(f) at the runtime level (the build's side: e2e/test/kernels.test.ts): a kernel registered
// by hand, with and without the build's JavaScript partials, and the errors of what it needs.

import { afterEach, describe, expect, it } from "@jest/globals";
import type { Backend } from "../src/backends/backend";
import { cpuBackend } from "../src/backends/cpu/index";
import { defineDerivatives, defineKernel, map, pullback, tensor, type Tensor } from "../src/index";

const be = cpuBackend as Backend;
const saved = { mapForward: be.mapForward };
afterEach(() => {
  Object.assign(be, saved);
});

/** f(x, y) = x·y² with its derivatives, as the build would attach them. */
function product(withPartials: boolean) {
  const f = function xy2(x: number, y: number) {
    return x * y * y;
  };
  defineDerivatives(f, {
    name: "xy2",
    arity: 2,
    wrt: [0, 1],
    jvp: (x: number, y: number, dx: number, dy: number) => ({ value: x * y * y, tangent: dx * y * y + 2 * x * y * dy }),
    vjp: (x: number, y: number) => ({ value: x * y * y, pullback: (g: number) => [g * y * y, 2 * g * x * y] }),
  });
  const partials = (x: unknown, y: unknown, out: unknown) => {
    const o = out as Float64Array;
    const [a, b] = [x as number, y as number];
    o[0] = a * b * b;
    o[1] = b * b;
    o[2] = 2 * a * b;
  };
  return defineKernel(f, { params: ["x", "y"], wgsl: "", ...(withPartials ? { partials } : {}) });
}

describe("map(f) on the CPU", () => {
  it.each([true, false])("the cotangents are g·∂f/∂x and g·∂f/∂y, summed over broadcast axes (JavaScript partials: %p)", (withPartials) => {
    const f = product(withPartials);
    const x = tensor([1, 2, 3, 4], [2, 2], "float64");
    const y = tensor([0.5, -1], [2], "float64");
    const [gx, gy] = (pullback(map(f))(x, y) as unknown as (g: Tensor) => Tensor[])(tensor([1, 1, 1, 1], [2, 2], "float64"));
    expect([...gx!.dataSync()]).toEqual([0.25, 1, 0.25, 1]);
    expect([...gy!.dataSync()]).toEqual([2 * 1 * 0.5 + 2 * 3 * 0.5, 2 * 2 * -1 + 2 * 4 * -1]);
  });

  it("a kernel without partials and without derivatives: CT3001 when differentiated", () => {
    const f = defineKernel(function bare(x: number) {
      return x * 2;
    }, { params: ["x"], wgsl: "" });
    expect([...map(f)(tensor([1, 2])).dataSync()]).toEqual([2, 4]);
    expect(() => (pullback(map(f))(tensor([1, 2])) as unknown as (g: Tensor) => unknown[])(tensor([1, 1]))[0]).toThrow(
      /CT3001: map\(bare\): 'bare' has no generated derivatives; mark it \/\*\* @differentiable @kernel \*\//,
    );
  });

  it("a backend that cannot run kernels: CT3009 naming what it lacks", () => {
    const f = product(true);
    delete (be as { mapForward?: unknown }).mapForward;
    expect(() => map(f)(tensor([1]), tensor([2]))).toThrow(/CT3009: map\(xy2\): the cpu backend cannot run kernel functions \(it has no mapForward\)/);
  });
});
