// The fused slope kernels (Backend.unaryBackward / binaryBackward) are an optional fast path: a
// backend without them differentiates every op through the ops' composed rules
// (runtime/rules/jvp.ts). Here the CPU backend runs without its fused kernels: the whole per-op
// table (./op-cases.ts) passes the first-order checks of ./gradcheck.ts (finite differences in
// float64, JVP against VJP), and the results equal those of the fused kernels.

import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cpuBackend } from "../src/backends/cpu/index";
import type { Backend } from "../src/backends/backend";
import { Tensor, getDerivatives, getOp } from "../src/index";
import { checkGradients } from "./gradcheck";
import { TABLE } from "./op-cases";

const be = cpuBackend as Backend;
const fused = { unaryBackward: be.unaryBackward, binaryBackward: be.binaryBackward };
const withoutFused = <T>(fn: () => T): T => {
  delete (be as { unaryBackward?: unknown }).unaryBackward;
  delete (be as { binaryBackward?: unknown }).binaryBackward;
  try {
    return fn();
  } finally {
    Object.assign(be, fused);
  }
};

beforeAll(() => {
  expect(typeof fused.unaryBackward).toBe("function");
  expect(typeof fused.binaryBackward).toBe("function");
});
afterAll(() => {
  Object.assign(be, fused);
});

const elementwise = Object.entries(TABLE).filter(([name]) => getOp(name)!.family === "elementwise");

it("covers the elementwise ops (the ones with fused kernels)", () => {
  expect(elementwise.map(([n]) => n)).toEqual(expect.arrayContaining(["tanh", "gelu", "leakyRelu", "clip", "add", "mul", "div", "pow", "maximum", "minimum"]));
});

const flat = (v: unknown): number[] => (v instanceof Tensor ? [...v.dataSync()] : Array.isArray(v) ? v.flatMap(flat) : typeof v === "number" ? [v] : []);

for (const [name, cases] of elementwise) {
  describe(`${name} without the fused kernels`, () => {
    for (const k of cases) {
      it(`${k.name}${k.why ? ` (${k.why})` : ""}`, () => {
        const op = getOp(name)!.fn;
        withoutFused(() => checkGradients(op, k.args(), k, `${name} ${k.name} (composed)`));
        // The same derivatives as the fused kernels give.
        const d = getDerivatives(op)!;
        const args = k.args();
        const u = args.map((a, i) => (d.wrt.includes(i) && (a instanceof Tensor || typeof a === "number") ? a : null));
        const padded = [...args, ...new Array(Math.max(0, d.arity - args.length)).fill(undefined)];
        const run = () => {
          const j = d.jvp!(...padded, ...u, ...new Array(Math.max(0, d.arity - u.length)).fill(null));
          const y = d.vjp!(...args);
          const g = y.value instanceof Tensor ? y.value : 1;
          return [flat(j.tangent), flat(y.pullback(g).filter((_, i) => d.wrt.includes(i)))];
        };
        const [fusedJ, fusedV] = run();
        const [compJ, compV] = withoutFused(run);
        const near = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || Math.abs(x - b[i]!) <= 1e-6 * (1 + Math.abs(b[i]!)));
        expect({ jvp: near(compJ!, fusedJ!), vjp: near(compV!, fusedV!) }).toEqual({ jvp: true, vjp: true });
      });
    }
  });
}
