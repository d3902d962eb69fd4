// Number code and tensor ops give the same value and derivatives at every edge point of one table
// (e2e/harness/edge-points.ts): number functions compiled by both hosts, the tensor ops on the CPU
// in float64. Reverse mode must give the table's gradient; forward mode along each argument gives
// what IEEE arithmetic makes of Σⱼ ∂ⱼ·dⱼ with the other tangents 0 (∞·0 is NaN, in both codes).

import { describe, expect, test } from "@jest/globals";
import * as path from "path";
import * as ct from "@cotangent/runtime";
import { CORPUS_DIR, compileWithBabel, compileWithTsPatch } from "../harness/compile";
import { EDGE_POINTS, type EdgePoint } from "../harness/edge-points";

const SOURCE = EDGE_POINTS.map((p, i) => {
  const params = p.args.length === 2 ? "x: number, y: number" : "x: number";
  return `/** @differentiable */\nexport function edge${i}(${params}): number {\n  return ${p.number};\n}\n`;
}).join("\n");

/** Equal as the table means it: the same non-finite value, or finite values within 1e-12. */
function same(a: number, b: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
}

/** What forward mode gives along argument i: the IEEE sum Σⱼ ∂ⱼ·[j = i]. */
function forwardAlong(p: EdgePoint, i: number): number {
  return p.gradient.reduce((s: number, g, j) => s + g * (j === i ? 1 : 0), 0);
}

const label = (p: EdgePoint) => `${p.number} at (${p.args.join(", ")}): ${p.why}`;
const rows = EDGE_POINTS.map((p, i) => ({ p, i, label: label(p) }));

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("number code through %s", (_host, compile) => {
  const m = compile(SOURCE, path.join(CORPUS_DIR, "__e2e_edge_points.ts"));
  test.each(rows)("$label", ({ p, i }) => {
    const f = m[`edge${i}`];
    const { value, gradient } = ct.valueWithGradient(f)(...p.args) as { value: number; gradient: number | number[] };
    const g = Array.isArray(gradient) ? gradient : [gradient];
    expect([value, ...g].map((v, k) => same(v, [p.value, ...p.gradient][k]!))).toEqual([value, ...g].map(() => true));
    p.args.forEach((_, k) => {
      const tangents = p.args.map((_a, j) => (j === k ? 1 : 0));
      const t = ct.differential(f)(...p.args)(...tangents) as number;
      if (!same(t, forwardAlong(p, k))) throw new Error(`forward along argument ${k + 1}: ${t}, expected ${forwardAlong(p, k)}`);
    });
  });
});

describe("tensor ops on the CPU (float64)", () => {
  const t = (v: number) => ct.tensor([v], [1], "float64");
  test.each(rows)("$label", ({ p }) => {
    const op = ct[p.tensor] as (...a: ct.Tensor[]) => ct.Tensor;
    const args = p.args.map(t);
    const { value, pullback } = ct.vjpCall(op, undefined, args);
    const got = [(value as ct.Tensor).values[0]!, ...(pullback(t(1)) as (ct.Tensor | null)[]).map((g) => (g ? g.values[0]! : 0))];
    const want = [p.value, ...p.gradient];
    if (!got.every((v, k) => same(v, want[k]!))) throw new Error(`value and gradient: [${got.join(", ")}], expected [${want.join(", ")}]`);
    p.args.forEach((_, k) => {
      const tangents = p.args.map((_a, j) => t(j === k ? 1 : 0));
      const r = ct.jvpCall(op, undefined, args, tangents);
      const along = (r.tangent as ct.Tensor).values[0]!;
      if (!same(along, forwardAlong(p, k))) throw new Error(`forward along argument ${k + 1}: ${along}, expected ${forwardAlong(p, k)}`);
    });
  });
});
