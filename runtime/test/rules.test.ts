// The ops' forward-mode rules (runtime/rules/jvp.ts) and the second derivatives made from them:
// the generated module is what scripts/gen-rules.mjs writes; every differentiable op has a rule
// (or a stated reason); and for every case of the per-op table (./op-cases.ts), the derivatives of
// the op's JVP pass ./second-order-check.ts (reverse over forward against finite differences in
// float64, the rule's transpose against the op's VJP, forward over forward against reverse over
// forward, the fused first-order JVP against the rule).

import { describe, expect, it, jest } from "@jest/globals";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { cast, getDerivatives, getOp, listOps, Tensor } from "../src/index";
import { ruleOf } from "../src/rules/index";
import { TABLE } from "./op-cases";
import { checkSecondOrder } from "./second-order-check";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the rules module", () => {
  it("is what scripts/gen-rules.mjs generates from runtime/rules/jvp.ts", () => {
    // Exits 1 with the fix (run the script) when the committed file is stale.
    expect(() => execFileSync(process.execPath, [path.join(ROOT, "scripts", "gen-rules.mjs"), "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("has a rule for every differentiable op, and each op's JVP has derivatives", () => {
    const ops = listOps().filter((o) => o.differentiable);
    const missing = ops.filter((o) => !ruleOf(o.name)).map((o) => o.name);
    expect(missing).toEqual([]);
    const unlinked = ops.filter((o) => ruleOf(o.name) && !getDerivatives(getDerivatives(o.fn)!.jvp)?.vjp).map((o) => o.name);
    expect(unlinked).toEqual([]);
    // A rule's parameters are the op's, then one tangent each.
    for (const o of ops.filter((op) => ruleOf(op.name))) expect({ op: o.name, arity: getDerivatives(ruleOf(o.name))!.arity }).toEqual({ op: o.name, arity: 2 * getDerivatives(o.fn)!.arity });
  });
});

describe("import order", () => {
  it.each([["the rules module", "../src/rules/index"], ["the methods module", "../src/ops/methods"], ["an op module", "../src/ops/elementwise"]])(
    "%s imported first, alone, still gives every op its second derivatives and methods",
    (_what, first) => {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(first);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const rt = require("../src/index") as typeof import("../src/index");
        const missing = rt
          .listOps()
          .filter((o) => o.differentiable && !getDerivatives(getDerivatives(o.fn)!.jvp)?.vjp)
          .map((o) => o.name);
        expect(missing).toEqual([]);
        expect(typeof (rt.Tensor.prototype as unknown as Record<string, unknown>).tanh).toBe("function");
      });
    },
  );
});

/** The case's arguments in float64 (second differences in float32 are too coarse to check). */
function inFloat64(args: unknown[]): unknown[] {
  const up = (a: unknown): unknown => (a instanceof Tensor && a.dtype === "float32" ? cast(a, "float64") : Array.isArray(a) ? a.map(up) : a);
  return args.map(up);
}

let probes = 0;
for (const [name, cases] of Object.entries(TABLE)) {
  describe(`second derivatives of ${name}`, () => {
    for (const k of cases) {
      // Number operands give float32 results (an op's scalar for a plain number): too coarse here.
      it(k.name, () => {
        const op = getOp(name)!.fn;
        const args = inFloat64(k.args());
        // A float32 result (a plain-number operand becomes a float32 scalar; a cast to float32):
        // second differences and identities at float32 precision.
        const y = op(...args) as unknown;
        const f32 = y instanceof Tensor && y.dtype === "float32";
        probes += checkSecondOrder(op, name, args, f32 ? { eps: 1e-3, tol: 3e-3, identityTol: 1e-5 } : {}).probes;
      });
    }
  });
}

it("checked second derivatives by finite differences at enough points", () => {
  // A floor on the work done, so a table that lost cases (or probes) fails here.
  expect(probes).toBeGreaterThan(1000);
});
