// How the Babel host fails a build: one error whose diagnostics carry their own code frames (no
// frame of the whole function after them), with a code and the first diagnostic's position for
// tools that show where it is (bundlers read `loc`).

import { expect, test } from "@jest/globals";
import * as babel from "@babel/core";
import * as path from "path";

const PLUGIN = path.resolve(__dirname, "..");

test("a Cotangent error: code COTANGENT_DIAGNOSTICS, loc of the first diagnostic, one frame per diagnostic", () => {
  const source = `/** @differentiable */
export function f(x: number): number {
  try {
    return x * x;
  } catch {
    return 0;
  }
}
`;
  let error: (Error & { code?: string; loc?: { line: number; column: number } }) | undefined;
  try {
    babel.transformSync(source, {
      filename: "/virtual/errors.ts",
      configFile: false,
      babelrc: false,
      presets: [require.resolve("@babel/preset-typescript")],
      plugins: [[PLUGIN, { warnings: false }]],
    });
  } catch (e) {
    error = e as typeof error;
  }
  expect(error).toBeDefined();
  expect(error!.code).toBe("COTANGENT_DIAGNOSTICS");
  expect(error!.loc).toEqual({ line: 3, column: 2 });
  expect(error!.message).toContain("Cotangent: 1 error");
  expect(error!.message).toContain("errors.ts:3:3 - error CT1001");
  // One code frame (the diagnostic's), not a second one of the whole function.
  // (Babel's buildCodeFrameError would repeat the function's first lines in a frame of its own.)
  expect(error!.message.split("\n").filter((l) => l.includes("| export function f(x: number): number {")).length).toBe(1);
});
