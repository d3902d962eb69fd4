import { describe, expect, test } from "@jest/globals";
import { parseJSDocMark, uniqueName, wrtIndices } from "../src/host";

describe("parseJSDocMark", () => {
  test.each([
    ["* @differentiable ", { kind: "differentiable" }],
    ["* @differentiable(wrt: x, z)", { kind: "differentiable", wrt: ["x", "z"] }],
    ["* @differentiable(wrt: (x, z)) ", { kind: "differentiable", wrt: ["x", "z"] }],
    ["*\n * Energy of the system.\n * @differentiable(wrt: y)\n ", { kind: "differentiable", wrt: ["y"] }],
    ["* @derivative(of: f)", { kind: "derivative", of: "f" }],
    ["* Plain documentation. ", undefined],
    // empty or unclosed lists are reported by the core (CT1002) as a wrt that lists no parameter
    ["* @differentiable(wrt: ) ", { kind: "differentiable", wrt: [] }],
    ["* @differentiable(wrt: x ", { kind: "differentiable", wrt: [] }],
  ])("%j", (comment, mark) => {
    expect(parseJSDocMark(comment)).toEqual(mark);
  });
});

describe("names", () => {
  test("uniqueName never returns a taken name and is deterministic", () => {
    const taken = new Set(["f$jvp", "f$jvp$1"]);
    expect(uniqueName("f$jvp", taken)).toBe("f$jvp$2");
    expect(uniqueName("f$jvp", taken)).toBe("f$jvp$3");
  });
  test("wrtIndices reports names that are not parameters", () => {
    expect(wrtIndices(["x", "y", "z"], ["z", "x"])).toEqual({ indices: [0, 2], unknown: [] });
    expect(wrtIndices(["x"], ["q"])).toEqual({ indices: [], unknown: ["q"] });
  });
});
