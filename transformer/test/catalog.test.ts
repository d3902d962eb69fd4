// The diagnostics catalog (catalog.ts): one entry per code of CODES, every template renders with
// sample arguments (golden: catalog.txt — a missing file is written and the test fails, so that it
// is reviewed; UPDATE_GOLDEN=1 rewrites it after an intended change), and no message text of its
// own in the core or the hosts' sources: they name a reason, the catalog words it.

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import {
  CATALOG,
  FIXES,
  NOTES,
  SYNTAX,
  diagnostic,
  fill,
  fixTitle,
  fixableCodes,
  kernelError,
  message,
  notDifferentiable,
  syntaxText,
  type SyntaxKind,
} from "../src/catalog";
import { CODES, formatDiagnostic } from "../src/diagnostics";
import { jsDocWrtSite, markEdit, nearest } from "../src/fixes";
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import { BabelAdapter } from "../../babel-plugin/src/adapter";
import { differentiate } from "../src/differentiate";

const GOLDEN = path.join(__dirname, "catalog.txt");
const update = process.env.UPDATE_GOLDEN === "1";

/** A sample value for each placeholder name (a placeholder without one renders as `<name>`). */
const SAMPLES: Record<string, string | number> = {
  fn: "f",
  name: "g",
  op: "|",
  jump: "break",
  label: "outer",
  method: "splice",
  methods: "map, forEach, filter",
  owner: "class Body",
  cls: "Body",
  capture: "x",
  index: 2,
  callee: "g",
  params: "x, y",
  near: "x",
  a: "'b'",
  b: "'a'",
  written: "b",
  annotate: "",
  why: "a comparison gives a mask of 0s and 1s",
  operand: "tensor",
  type: "string",
  advice: "restrict it with /** @differentiable(wrt: x) */",
  list: "x, y",
  of: "f",
  signature: "(x: number)",
  count: 2,
  expected: "number",
  actual: "string",
  shape: "{ value, pullback }",
  prop: "pullback",
  param: "x",
  what: "an array",
  error: "boom",
  detail: "DoExpression",
};

/** Samples that read better for one reason (`code.reason`, `code.form.reason`). */
const SAMPLES_FOR: Record<string, Record<string, string | number>> = {
  "CT1001.updateTarget": { op: "++" },
  "CT1001.updateReadsTwice": { op: "++", name: "i" },
  "CT1001.mathSpread": { name: "sin" },
  "CT1001.kernel.mathFunction": { name: "clz32" },
  "CT1001.kernel.mathArity": { name: "atan2" },
  "CT1001.kernel.logicalOnNumbers": { op: "&&" },
  "CT1001.kernel.assignmentOperator": { op: "<<=" },
  "CT1001.kernel.parameterType": { name: "n" },
  "CT1003.conversion": { name: "parseInt" },
  "CT1003.numberMethod": { method: "toFixed" },
  "CT1006.math": { name: "clz32" },
  "CT1010.runtimeOp": { op: "greater" },
  "CT1012.pullbackCount": { expected: 2, actual: 3 },
  "CT1102.stepFunction": { name: "round" },
};

const sampleArgs = (template: string, at = ""): Record<string, string | number> =>
  Object.fromEntries([...template.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, SAMPLES_FOR[at]?.[m[1]!] ?? SAMPLES[m[1]!] ?? `<${m[1]}>`]));

/** Every rendered line, in catalog order. */
function renderAll(): string[] {
  const out: string[] = [];
  for (const [code, entry] of Object.entries(CATALOG) as [keyof typeof CATALOG, (typeof CATALOG)[keyof typeof CATALOG]][]) {
    const e = entry as {
      key: string;
      severity: string;
      summary: string;
      message: string;
      note?: keyof typeof NOTES;
      fixes?: readonly string[];
      reasons?: Record<string, string>;
      parts?: Record<string, string>;
      forms?: Record<string, { message: string; note?: keyof typeof NOTES; reasons?: Record<string, string>; parts?: Record<string, string> }>;
    };
    out.push(`${code} ${e.key} (${e.severity}): ${e.summary}`);
    if (e.fixes?.length) out.push(`  fixes: ${e.fixes.join(", ")}`);
    const forms = [{ label: "", form: e }, ...Object.entries(e.forms ?? {}).map(([label, form]) => ({ label: `${label}.`, form }))];
    for (const { label, form } of forms) {
      if (form.note) out.push(`  ${label}note: ${fill(NOTES[form.note], sampleArgs(NOTES[form.note]))}`);
      if (!form.reasons) {
        out.push(`  ${label}message: ${fill(form.message, sampleArgs(form.message))}`);
        continue;
      }
      for (const [reason, template] of Object.entries(form.reasons)) {
        if (reason === "syntax") {
          for (const kind of Object.keys(SYNTAX) as SyntaxKind[]) {
            const args = { ...sampleArgs(form.message), syntax: kind, detail: kind === "MetaProperty" ? "import.meta" : kind === "UsingDeclaration" ? "using" : kind === "LogicalAssignment" ? "??=" : "DoExpression" };
            out.push(`  ${label}syntax.${kind}: ${fill(form.message, { ...args, reason: syntaxText(kind, args.detail) })}`);
          }
          continue;
        }
        const at = `${code}.${label}${reason}`;
        out.push(`  ${label}${reason}: ${fill(form.message, { ...sampleArgs(form.message), ...sampleArgs(template, at), reason: fill(template, sampleArgs(template, at)) })}`);
      }
      for (const [name, template] of Object.entries(form.parts ?? {})) out.push(`  ${label}part.${name}: ${fill(template, sampleArgs(template))}`);
    }
  }
  out.push("fixes:");
  for (const [kind, template] of Object.entries(FIXES)) out.push(`  ${kind}: ${fill(template, { name: "g", param: "x", list: "x, y" })}`);
  return out;
}

describe("the catalog", () => {
  test("every code of CODES has exactly one entry, under its name, and there is no other", () => {
    const codes = Object.entries(CODES);
    expect(Object.keys(CATALOG).sort()).toEqual(codes.map(([, c]) => c).sort());
    for (const [key, code] of codes) expect((CATALOG as Record<string, { key: string }>)[code]!.key).toBe(key);
    expect(new Set(codes.map(([, c]) => c)).size).toBe(codes.length);
  });

  test("every template renders with its arguments, leaving no placeholder (golden: catalog.txt)", () => {
    const lines = renderAll();
    for (const l of lines) expect(l).not.toMatch(/\{\w+\}|<\w+>/);
    const text = lines.join("\n") + "\n";
    if (update || !fs.existsSync(GOLDEN)) {
      fs.writeFileSync(GOLDEN, text);
      if (!update) throw new Error(`wrote ${GOLDEN}: review it, then run again`);
    }
    expect(text).toBe(fs.readFileSync(GOLDEN, "utf8"));
  });

  test("every syntax kind is words, and a missing argument is an error, not a `{hole}` in a message", () => {
    for (const kind of Object.keys(SYNTAX) as SyntaxKind[]) expect(syntaxText(kind, "x")).not.toMatch(/\{\w+\}/);
    expect(() => fill("'{name}' is declared here", {})).toThrow(/no value for \{name\}/);
    // Braces around anything but a word are text.
    expect(fill("register one with registerDerivative({name}, { vjp, jvp })", { name: "g" })).toBe("register one with registerDerivative(g, { vjp, jvp })");
  });

  test("diagnostics: the code, the entry's severity, the note at the function, the words", () => {
    const at = { start: 10, end: 15, line: 2, column: 3, endLine: 2, endColumn: 8 };
    const fnAt = { start: 0, end: 5, line: 1, column: 0, endLine: 1, endColumn: 5 };
    const d = notDifferentiable("CT1003", "bitwise", { fn: "f", op: "|" }, at, fnAt);
    expect(d).toEqual({
      code: "CT1003",
      severity: "error",
      message: "function 'f' is not differentiable: the bitwise operator '|' is not differentiable and is applied to a value that depends on the differentiated inputs; wrap the operand in withoutDerivative(...) if a zero derivative is intended",
      loc: at,
      notes: [{ message: "'f' is marked differentiable here", loc: fnAt }],
    });
    expect(notDifferentiable("CT1001", "syntax", { fn: "f", syntax: "Await" }, at, fnAt).message).toBe("function 'f' is not differentiable: `await` is not supported in differentiable functions");
    expect(diagnostic("CT1101", undefined, { fn: "f" }, at)).toMatchObject({ severity: "warning", notes: [] });
    expect(diagnostic("CT1102", "remainder", { fn: "f" }, at).message).toMatch(/^in 'f': '%' by a divisor/);
    expect(message("CT9000", "differentiating", { fn: "f", error: "boom" })).toBe("internal error while differentiating 'f': boom");
    expect(kernelError("parameterType", { fn: "k", name: "n" }, at, fnAt)).toMatchObject({
      code: "CT1001",
      message: "function 'k' cannot be a @kernel: parameter 'n' must be a number",
      notes: [{ message: "'k' is marked @kernel here", loc: fnAt }],
    });
    const source = "function f(x) {\n  return x | 0;\n}\n";
    expect(formatDiagnostic(notDifferentiable("CT1003", "bitwise", { fn: "f", op: "|" }, { ...at, start: 25, end: 30, column: 9, endColumn: 14 }, fnAt), source, "a.ts")).toMatch(
      /^a\.ts:2:10 - error CT1003: function 'f' is not differentiable: the bitwise operator/,
    );
  });

  test("the fixable codes are the ones whose entries name fixes; every fix has a title", () => {
    expect(fixableCodes().sort()).toEqual(["CT1002", "CT1003", "CT1007", "CT1010", "CT1011", "CT1102"]);
    for (const kind of Object.keys(FIXES) as (keyof typeof FIXES)[]) expect(fixTitle(kind, { name: "g", param: "x", list: "x" })).not.toMatch(/\{/);
  });
});

describe("fix edits the core computes from the hosts' facts", () => {
  test("a JSDoc `wrt` site: replacing an existing list, or inserting after the tag; where each name is", () => {
    const c1 = "/** @differentiable(wrt: (x, on)) */";
    const s1 = jsDocWrtSite(c1, 100)!;
    expect(c1.slice(s1.start - 100, s1.end - 100)).toBe("(wrt: (x, on))");
    expect(s1.names!.map((n) => [n.name, c1.slice(n.start - 100, n.end - 100)])).toEqual([
      ["x", "x"],
      ["on", "on"],
    ]);
    const c2 = "/**\n * Scaled.\n * @differentiable\n */";
    const s2 = jsDocWrtSite(c2, 0)!;
    expect([s2.start, s2.end]).toEqual([c2.indexOf("@differentiable") + "@differentiable".length, c2.indexOf("@differentiable") + "@differentiable".length]);
    expect(jsDocWrtSite("/** @differentiable(wrt: x */", 0)).toBeUndefined();
    expect(jsDocWrtSite("/** Doubles. */", 0)).toBeUndefined();
  });

  test("a mark: a new JSDoc line, merged into a one-line block, or a line before the block's end", () => {
    const apply = (text: string, e: { start: number; end: number; newText: string }) => text.slice(0, e.start) + e.newText + text.slice(e.end);
    const none = "  function g(v) {}\n";
    expect(apply(none, markEdit({ name: "g", lineStart: 0, indent: "  " }))).toBe("  /** @differentiable */\n  function g(v) {}\n");
    const one = "  /** Triples. */\n  function g(v) {}\n";
    expect(apply(one, markEdit({ name: "g", lineStart: 18, indent: "  ", doc: { start: 2, end: 17, text: "/** Triples. */", indent: "  " } }))).toBe(
      "  /**\n   * Triples.\n   * @differentiable\n   */\n  function g(v) {}\n",
    );
    const block = "/**\n * Doubles.\n */\nfunction g(v) {}\n";
    const docText = "/**\n * Doubles.\n */";
    expect(apply(block, markEdit({ name: "g", lineStart: docText.length + 1, indent: "", doc: { start: 0, end: docText.length, text: docText, indent: "" } }))).toBe(
      "/**\n * Doubles.\n * @differentiable\n */\nfunction g(v) {}\n",
    );
  });

  test("differentiate attaches a wrap fix to the operands that carry a derivative, in the file's spelling of withoutDerivative", () => {
    const source = `import { withoutDerivative as wd } from "@cotangent/runtime";\nfunction f(x: number, y: number): number {\n  return (x | 0) + (y & 1) * x + Math.round(x + 1) * wd(y);\n}\n`;
    const program = parse(source, { sourceType: "module", plugins: ["typescript"] }).program;
    const node = program.body[1] as t.FunctionDeclaration;
    const adapter = new BabelAdapter(source, new Map([["wd", "withoutDerivative"]]), "__ct");
    const marked = adapter.marked(node, "f", "declaration", ["x"], undefined);
    const ctx = { fileName: "a.ts", source, runtime: "__ct", known: new Map(), knownMethods: new Map(), takenNames: new Set(["f", "x", "y", "wd"]) };
    const r = differentiate(marked, ctx);
    const apply = (edits: { start: number; end: number; newText: string }[]) => [...edits].reverse().reduce((text, e) => text.slice(0, e.start) + e.newText + text.slice(e.end), source);
    const [bitwise, round] = r.diagnostics;
    // `y & 1` depends on no differentiated input (wrt: x): no diagnostic; `x | 0` wraps x only.
    expect(r.diagnostics.map((d) => d.code)).toEqual(["CT1003", "CT1102"]);
    expect(bitwise!.fixes!.map((f) => f.kind)).toEqual(["wrapInWithoutDerivative"]);
    expect(apply(bitwise!.fixes![0]!.edits)).toContain("return (wd(x) | 0) + (y & 1) * x");
    expect(apply(round!.fixes![0]!.edits)).toContain("Math.round(wd(x + 1))");
  });

  test("the nearest parameter name", () => {
    expect(nearest("z", ["x", "y"])).toBe("x");
    expect(nearest("wieght", ["bias", "weight"])).toBe("weight");
    expect(nearest("X", ["x", "y"])).toBe("x");
  });
});

describe("no message text outside the catalog", () => {
  // Files still wording a message of their own would be listed here until they switch (none now).
  const PENDING = new Set<string>([]);
  const root = path.join(__dirname, "../..");
  const files = ["transformer/src", "babel-plugin/src", "ts-plugin/src"].flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `${dir}/${f}`),
  );
  const PHRASES = /is not supported|is not differentiable|has no derivative|cannot be a @kernel|does not fit|is marked differentiable here|is declared here|Wrap in withoutDerivative/;

  test.each(files.filter((f) => f !== "transformer/src/catalog.ts" && !PENDING.has(f)))("%s", (file) => {
    const code = fs.readFileSync(path.join(root, file), "utf8");
    // String and template literals only (comments may quote messages): one pass over comments and literals.
    const tokens = [...code.matchAll(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
    const literals = tokens.filter((t) => !t.startsWith("/"));
    expect(literals.filter((l) => PHRASES.test(l))).toEqual([]);
  });
});
