// The build sees what the editor sees: the real `tspc` (ts-patch 3.3.0) on the IDE fixture
// projects, whose tsconfig names both the language-service plugin (ignored by the compiler) and the
// transformer, reports the same codes at the same positions as tsserver does (expected.ts), errors
// as compiler diagnostics (non-zero exit) and warnings on stderr. And plain `tsc --noEmit`, with no
// plugin at all, rejects typed-operator mistakes (ide-types) while accepting every marked form.
// Needs the packages built (`npm run build`; `npm test` does it).

import { afterAll, expect, test } from "@jest/globals";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXPECTED, cleanDir, errorsDir, tsCode, typesDir } from "./expected";
import { repoRoot } from "./tsserver-client";

const tspc = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

function run(bin: string, dir: string, extra: string[]) {
  const r = spawnSync(process.execPath, [bin, "-p", dir, "--pretty", "false", ...extra], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const made: string[] = [];
const outDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ct-ide-tspc-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** `src/x.ts(6,13): error TS1001003: CT1003: …` lines of tsc's non-pretty output. */
function compilerDiagnostics(stdout: string, dir: string) {
  return [...stdout.matchAll(/^(.+?)\((\d+),(\d+)\): (error|warning) TS(\d+): (.*)$/gm)].map((m) => ({
    file: path.relative(path.join(dir, "src"), path.resolve(dir, m[1]!)),
    line: Number(m[2]),
    column: Number(m[3]),
    category: m[4]!,
    code: Number(m[5]),
    message: m[6]!,
  }));
}

test("tspc on ide-errors fails with every error tsserver shows, at the same positions, and prints the warnings", () => {
  const { status, stdout, stderr } = run(tspc, errorsDir, ["--outDir", outDir()]);
  expect(status).not.toBe(0);
  const errors = compilerDiagnostics(stdout, errorsDir);
  // Only Cotangent's errors: the fixture is otherwise valid TypeScript.
  expect(errors.filter((d) => !/^CT\d{4}: /.test(d.message))).toEqual([]);
  const expectedErrors = EXPECTED.filter((e) => e.category === "error");
  expect(errors.map((d) => `${d.file}:${d.line}:${d.column} ${d.category} TS${d.code} ${d.message.slice(0, 8)}`).sort()).toEqual(
    expectedErrors.map((e) => `${e.file}:${e.start[0]}:${e.start[1]} error TS${tsCode(e.ct)} ${e.ct}: `).sort(),
  );
  for (const e of expectedErrors) {
    const d = errors.find((x) => x.file === e.file && x.line === e.start[0] && x.column === e.start[1])!;
    for (const m of e.message) expect(d.message).toContain(m);
  }
  // Warnings go to stderr in the core's format: `path:line:column - warning CTnnnn: message`.
  const warnings = [...stderr.matchAll(/^(.+?):(\d+):(\d+) - warning (CT\d{4}): (.*)$/gm)].map((m) => ({
    where: `${path.relative(path.join(errorsDir, "src"), path.resolve(errorsDir, m[1]!))}:${m[2]}:${m[3]}`,
    ct: m[4]!,
    message: m[5]!,
  }));
  const expectedWarnings = EXPECTED.filter((e) => e.category === "warning");
  expect(warnings.map((w) => `${w.where} ${w.ct}`).sort()).toEqual(expectedWarnings.map((e) => `${e.file}:${e.start[0]}:${e.start[1]} ${e.ct}`).sort());
  for (const e of expectedWarnings) {
    const w = warnings.find((x) => x.where === `${e.file}:${e.start[0]}:${e.start[1]}`)!;
    for (const m of e.message) expect(w.message).toContain(m);
  }
}, 60_000);

test("tspc on ide-clean succeeds with no output", () => {
  const out = outDir();
  const { status, stdout, stderr } = run(tspc, cleanDir, ["--outDir", out]);
  expect(stdout).toBe("");
  expect(stderr).toBe("");
  expect(status).toBe(0);
  expect(fs.readFileSync(path.join(out, "model.js"), "utf8")).toContain("function f$vjp(");
}, 60_000);

test("plain tsc (no plugin) accepts every marked form: ide-clean and ide-errors type-check", () => {
  for (const dir of [cleanDir, errorsDir]) {
    const { status, stdout } = run(tsc, dir, ["--noEmit"]);
    expect({ dir: path.basename(dir), stdout }).toEqual({ dir: path.basename(dir), stdout: "" });
    expect(status).toBe(0);
  }
}, 60_000);

test("plain tsc rejects typed-operator mistakes: gradient of a string-valued function, registerDerivative with a wrong pullback or value type", () => {
  const { status, stdout } = run(tsc, typesDir, ["--noEmit"]);
  expect(status).not.toBe(0);
  const errors = compilerDiagnostics(stdout, typesDir);
  expect(errors.every((d) => d.file === "operators.ts" && d.category === "error")).toBe(true);
  // One error per mistake, on its line.
  expect(errors.map((d) => d.line)).toEqual([10, 18, 23]);
  // gradient(label): the operand, with what was expected (a number-valued function).
  expect(errors[0]).toMatchObject({ line: 10, column: 27, code: 2345 });
  expect(stdout).toMatch(/operators\.ts\(10,27\)[^\n]*\n(?:\s+.*\n)*?\s+Type 'string' is not assignable to type 'number \| Tensor'/);
  // The pullback of cube returns a string: the message says a number was expected.
  expect(stdout).toMatch(/operators\.ts\(18,\d+\)[^\n]*\n(?:\s+.*\n)*?\s+Type 'string' is not assignable to type 'number'/);
  // The value has the wrong type.
  expect(stdout).toMatch(/operators\.ts\(23,\d+\)[^\n]*\n(?:\s+.*\n)*?\s+Type 'number\[\]' is not assignable to type 'number'/);
}, 60_000);
