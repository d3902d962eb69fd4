// The built package as Node loads it: ESM through `import`, CJS through `require`, sharing one
// derivative registry (a function registered through one copy is seen by the other).
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import path from "node:path";

const runtimeDir = path.resolve(__dirname, "..");

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: runtimeDir, encoding: "utf8" });
}

describe("@cotangent/runtime as built", () => {
  it("loads as ESM and CJS, and both copies share the registry", () => {
    const script = `
      import { createRequire } from "node:module";
      import * as esm from "@cotangent/runtime";
      const cjs = createRequire(import.meta.url)("@cotangent/runtime");
      const sq = (x) => x * x;
      esm.registerDerivative(sq, { vjp: (x) => ({ value: x * x, pullback: (b) => 2 * x * b }) });
      const record = new cjs.Derivatives({ name: "c", arity: 1, wrt: [0], vjp: (x) => ({ value: x, pullback: (b) => [b] }) });
      console.log(JSON.stringify({
        esmKeys: Object.keys(esm).length,
        same: Object.keys(esm).sort().join() === Object.keys(cjs).sort().join(),
        distinctCopies: esm.gradient !== cjs.gradient,
        crossGradient: cjs.gradient(sq)(3),
        crossRecord: esm.gradient(record)(5),
        isErrorClass: new cjs.CotangentError("CT3001", "x") instanceof Error,
      }));`;
    const out = JSON.parse(node(["--input-type=module", "-e", script]));
    expect(out).toEqual({ esmKeys: expect.any(Number), same: true, distinctCopies: true, crossGradient: 6, crossRecord: 1, isErrorClass: true });
  });
  it("the CommonJS entry exports data properties, not getters (scripts/build.mjs: generated code reads them on every call)", () => {
    const out = node([
      "-e",
      `const r = require("@cotangent/runtime");
       const getters = Object.keys(r).filter((k) => Object.getOwnPropertyDescriptor(r, k).get);
       console.log(JSON.stringify({ getters, count: Object.keys(r).length, takeTape: typeof r.takeTape }));`,
    ]);
    expect(JSON.parse(out)).toEqual({ getters: [], count: expect.any(Number), takeTape: "function" });
  });
  it("exports the documented names: the API, the helpers generated code calls, and every tensor op of the registry", () => {
    const runtime = require("@cotangent/runtime");
    const names = Object.keys(runtime).sort();
    const ops = Object.keys(runtime.primitiveManifest().functions);
    expect(names).toEqual(
      [
        // Differentiation API and the helpers generated code calls.
        "CotangentError",
        "Derivatives",
        "RUNTIME_ERROR_CODES",
        "accumulate",
        "addTangent",
        "checkTangentShape",
        "concreteTangent",
        "copyTangent",
        "defineDerivatives",
        "defineKernel",
        "derivative",
        "forInKeys",
        "fused",
        "differentiable",
        "differential",
        "getDerivatives",
        "gradient",
        "gradientAsync",
        "isDerivatives",
        "isPendingNumber",
        "PendingNumber",
        "jvpCall",
        "jvpMethodCall",
        "pullback",
        "pullbackReused",
        "Tape",
        "takeTape",
        "releaseTape",
        "lazyCotangents",
        "map",
        "registerDerivative",
        "scaleTangent",
        "secondOrder",
        "sumElements",
        "valueWithDifferential",
        "valueWithGradient",
        "valueWithGradientAsync",
        "valueWithPullback",
        "vjpCall",
        "vjpMethodCall",
        "withoutDerivative",
        "zerosLike",
        // Tensors: the type, creation, the op registry, low-level kernels for optimizers.
        "Tensor",
        "isTensor",
        "tensor",
        "zeros",
        "ones",
        "full",
        "eye",
        "arange",
        "linspace",
        "randomNormal",
        "randomUniform",
        "listOps",
        "getOp",
        "opOf",
        "primitiveManifest",
        "adamUpdateF32",
        "wasmKernelsAvailable",
        // Backends.
        "setBackend",
        "getBackend",
        "ready",
        "keep",
        "tidy",
        "webgpuMemory",
        // Every exported op of the registry (what dist/primitives.json lists).
        ...ops,
      ].sort(),
    );
  });

  it("ships dist/primitives.json, equal to the registry of the built runtime", () => {
    const runtime = require("@cotangent/runtime");
    expect(require("@cotangent/runtime/primitives.json")).toEqual(JSON.parse(JSON.stringify(runtime.primitiveManifest())));
  });
});
