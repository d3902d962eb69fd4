// `cotangent explain` (transformer/bin/cotangent.cjs) run as a user runs it: `node bin file.ts`,
// from the repository root, where @babel/core, @babel/preset-typescript and the (built)
// @cotangent/babel-plugin resolve. Needs `npm run build` first (`npm test` does it).

import { expect, jest, test } from "@jest/globals";
import { spawnSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "../..");
const BIN = path.join(REPO, "transformer/bin/cotangent.cjs");
const FIXTURES = path.join(__dirname, "fixtures");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

jest.setTimeout(60_000);

test("--help prints usage and exits 0", () => {
  const r = cli("--help");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("explain <file.ts> [name]");
});

test("explain prints the JVP and VJP of every marked function", () => {
  const r = cli("explain", path.join(FIXTURES, "explain-ok.ts"));
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("function f$jvp(");
  expect(r.stdout).toContain("function f$vjp(");
  expect(r.stdout).toContain("// grad of:");
  expect(r.stdout).toContain("pullback");
  // the differentiable(...) arrow and the @differentiable method too
  expect(r.stdout).toContain("function square$jvp(");
  expect(r.stdout).toContain("function loss$vjp(");
  // typed signatures above the code, and no TypeScript left in the generated code itself
  expect(r.stdout).toContain("declare function f$jvp(x: number, y: number, dx: number | null, dy: number | null): { value: number; tangent: number };");
  expect(r.stdout).toContain("declare function f$vjp(x: number, y: number): { value: number; pullback(cotangent: number): [number, number] };");
  expect(r.stdout).not.toMatch(/^function .*\(x: number/m);
});

test("explain <file> <name> prints only that function; --vjp only the reverse mode", () => {
  const r = cli("explain", path.join(FIXTURES, "explain-ok.ts"), "f");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("function f$jvp(");
  expect(r.stdout).toContain("function f$vjp(");
  expect(r.stdout).not.toContain("square$");
  const vjpOnly = cli("explain", path.join(FIXTURES, "explain-ok.ts"), "f", "--vjp");
  expect(vjpOnly.code).toBe(0);
  expect(vjpOnly.stdout).toContain("function f$vjp(");
  expect(vjpOnly.stdout).not.toContain("function f$jvp(");
});

test("an unknown function name is an error that lists the marked ones", () => {
  const r = cli("explain", path.join(FIXTURES, "explain-ok.ts"), "nope");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("no marked function named 'nope'");
  expect(r.stderr).toContain("f, square, loss");
});

test("diagnostics are printed with their CT code and code frame, exit code 1", () => {
  const r = cli("explain", path.join(FIXTURES, "explain-error.ts"));
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("error CT1002");
  expect(r.stderr).toContain("explain-error.ts:9:");
  expect(r.stderr).toMatch(/>\s+9 \| export function wrongWrt/);
});

test("usage errors exit 2", () => {
  expect(cli("explain").code).toBe(2);
  expect(cli("frobnicate").code).toBe(2);
  expect(cli("explain", path.join(FIXTURES, "missing.ts")).code).toBe(2);
});
