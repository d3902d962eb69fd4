// Tensor methods come from the op registry: every op defined with `method: true` is a method of
// the same name (runtime/src/ops/methods.ts installs them) whose types are generated from the op's
// signature (scripts/gen-methods.mjs writes runtime/src/ops/methods.generated.ts).

import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Tensor, getDerivatives, listOps, tensor } from "../src/index";

const ROOT = path.resolve(__dirname, "..", "..");

describe("Tensor methods from the registry", () => {
  it("the committed method types are what scripts/gen-methods.mjs generates", () => {
    expect(() => execFileSync(process.execPath, [path.join(ROOT, "scripts", "gen-methods.mjs"), "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("every op marked as a method is a Tensor method that calls it, with receiver derivatives when the op has derivatives", () => {
    const methods = listOps().filter((o) => o.method);
    expect(methods.length).toBeGreaterThanOrEqual(50);
    for (const op of methods) {
      const m = (Tensor.prototype as unknown as Record<string, unknown>)[op.name];
      expect({ op: op.name, isFunction: typeof m === "function", listed: op.methods.includes(op.name) }).toEqual({ op: op.name, isFunction: true, listed: true });
      const d = getDerivatives(m);
      expect({ op: op.name, receiver: op.differentiable ? d?.receiver === true && d.jvp === getDerivatives(op.fn)!.jvp : d === undefined }).toEqual({ op: op.name, receiver: true });
    }
  });

  it("a method is its op with the tensor first", () => {
    const x = tensor([1, -2, 3], [3], "float64");
    expect([...x.add(1).dataSync()]).toEqual([2, -1, 4]);
    expect(x.sum().item()).toBe(2);
    expect(x.reshape([3, 1]).shape).toEqual([3, 1]);
  });

  it("the ops that are not methods stay functions only (lists of tensors, losses, convolutions, indices)", () => {
    for (const name of ["concat", "stack", "where", "crossEntropy", "mse", "conv2d", "maxPool2d", "avgPool2d", "oneHot", "maxPool2dIndices"])
      expect({ name, method: name in Tensor.prototype }).toEqual({ name, method: false });
  });
});
