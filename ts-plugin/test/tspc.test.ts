// The real `tspc` (ts-patch 3.3.0's live-mode compiler) on fixture projects whose tsconfig names
// `{ "transform": "@cotangent/ts-plugin/transformer" }`: it loads the built transformer through the
// package's `require` export, emits runnable code, and fails the build on a CT diagnostic.
// Needs the packages built (`npm run build`; `npm test` does it).

import { expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./helpers";

const tspc = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");
const fixtures = path.join(__dirname, "fixtures");

function runTspc(fixture: string, tsconfig?: string) {
  const dir = path.join(fixtures, fixture);
  if (!tsconfig) fs.rmSync(path.join(dir, "dist"), { recursive: true, force: true });
  const project = tsconfig ? path.join(dir, tsconfig) : dir;
  const r = spawnSync(process.execPath, [tspc, "-p", project, "--pretty", "false"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { dir, status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}

test("tspc builds a project with the transformer, and the output runs (ESM, bundler resolution)", () => {
  const { dir, status, output } = runTspc("tspc-ok");
  expect(output).toBe("");
  expect(status).toBe(0);
  const js = fs.readFileSync(path.join(dir, "dist", "main.js"), "utf8");
  expect(js).toContain('import * as __ct from "@cotangent/runtime";');
  expect(js).toContain("function f$vjp(");
  const run = spawnSync(process.execPath, [path.join(dir, "dist", "main.js")], { encoding: "utf8", timeout: 30_000 });
  expect(run.stderr).toBe("");
  const result = JSON.parse(run.stdout);
  expect(result.dx).toBeCloseTo(3 + Math.cos(2), 12);
  expect(result.dy).toBeCloseTo(2, 12);
  expect(result.dg).toBeCloseTo(12, 12);
  expect(result.dm).toBeCloseTo(12, 12);
}, 60_000);

test("a CT diagnostic makes tspc exit non-zero and prints the code at the user's line", () => {
  const { status, output } = runTspc("tspc-error");
  expect(status).not.toBe(0);
  expect(output).toMatch(/src[\\/]main\.ts\(3,3\): error TS1001001: CT1001: .*`try`\/`catch`/);
}, 60_000);

test("a core warning (CT1101) is printed to stderr and does not fail tspc; the output runs", () => {
  const { dir, status, stdout, stderr } = runTspc("tspc-warning");
  expect(stdout).toBe("");
  expect(stderr).toMatch(/src[\\/]main\.ts:5:3 - warning CT1101: /);
  expect(status).toBe(0);
  const run = spawnSync(process.execPath, [path.join(dir, "dist", "default", "main.js")], { encoding: "utf8", timeout: 30_000 });
  expect(run.stderr).toBe("");
  expect(JSON.parse(run.stdout)).toEqual({ dc: 0, ds: 6 });
}, 60_000);

test('with { "warningsAsDiagnostics": true } the warning is a TypeScript diagnostic (and tspc exits non-zero, as for any diagnostic)', () => {
  const { status, stdout, stderr } = runTspc("tspc-warning", "tsconfig.diagnostics.json");
  expect(stdout).toMatch(/src[\\/]main\.ts\(5,3\): warning TS1001101: CT1101: /);
  expect(stderr).toBe("");
  expect(status).not.toBe(0);
}, 60_000);
