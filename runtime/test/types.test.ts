// Type-level tests of @cotangent/runtime: runtime/test-types/*.ts compiled by the TypeScript
// compiler API with strict options and no plugin (plain tsc), against the sources and against the
// built declarations (dist/esm/index.d.ts, as users get them).
//   positive.ts  must compile with no error;
//   negative.ts  each `// @expect-error <text>` line must be followed by a line with an error whose
//                message (the whole chain, flattened) contains <text>; no other line may have one.

import { describe, expect, it } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const runtimeDir = path.resolve(__dirname, "..");
const typesDir = path.join(runtimeDir, "test-types");

const baseOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noImplicitOverride: true,
  isolatedModules: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
};

const targets = {
  sources: path.join(runtimeDir, "src", "index.ts"),
  declarations: path.join(runtimeDir, "dist", "esm", "index.d.ts"),
} as const;

interface FileDiagnostic {
  line: number; // 1-based
  text: string;
}

/** Diagnostics of each root file, by 1-based line; any diagnostic elsewhere fails the run. */
function compile(files: string[], runtimeEntry: string): Map<string, FileDiagnostic[]> {
  const program = ts.createProgram(files, { ...baseOptions, paths: { "@cotangent/runtime": [runtimeEntry] } });
  const byFile = new Map<string, FileDiagnostic[]>(files.map((f) => [path.resolve(f), []]));
  const elsewhere: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const list = d.file ? byFile.get(path.resolve(d.file.fileName)) : undefined;
    if (!d.file || d.start === undefined || !list) {
      elsewhere.push(`${d.file?.fileName ?? "<global>"}: ${text}`);
      continue;
    }
    list.push({ line: d.file.getLineAndCharacterOfPosition(d.start).line + 1, text });
  }
  expect(elsewhere).toEqual([]);
  return byFile;
}

const EXPECT = /^\s*\/\/\s*@expect-error\s+(.+?)\s*$/;

/** The `// @expect-error <text>` marks of a file: the line they apply to (the next) and the text. */
function expectations(file: string): { line: number; text: string }[] {
  return fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .flatMap((l, i) => {
      const m = EXPECT.exec(l);
      return m ? [{ line: i + 2, text: m[1]! }] : [];
    });
}

const positive = path.join(typesDir, "positive.ts");
const negative = path.join(typesDir, "negative.ts");

describe.each(Object.entries(targets))("types against the %s", (_name, entry) => {
  let results: Map<string, FileDiagnostic[]>;
  const results$ = () => (results ??= compile([positive, negative], entry));

  it("the runtime entry exists", () => {
    expect(fs.existsSync(entry)).toBe(true);
  });

  it("accepts every case of positive.ts", () => {
    const found = results$().get(positive)!.map((d) => `positive.ts:${d.line}: ${d.text}`);
    expect(found).toEqual([]);
  });

  it("rejects each case of negative.ts with the expected message, and nothing else", () => {
    const diagnostics = results$().get(negative)!;
    const marks = expectations(negative);
    expect(marks.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const mark of marks) {
      const onLine = diagnostics.filter((d) => d.line === mark.line);
      if (onLine.length === 0) problems.push(`negative.ts:${mark.line}: no error (expected one containing "${mark.text}")`);
      else if (!onLine.some((d) => d.text.includes(mark.text)))
        problems.push(`negative.ts:${mark.line}: no error contains "${mark.text}"; got:\n${onLine.map((d) => d.text).join("\n---\n")}`);
    }
    const marked = new Set(marks.map((m) => m.line));
    for (const d of diagnostics) {
      if (!marked.has(d.line)) problems.push(`negative.ts:${d.line}: unexpected error: ${d.text}`);
    }
    expect(problems).toEqual([]);
  });
});
