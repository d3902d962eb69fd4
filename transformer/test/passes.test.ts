// A golden test per pass, as Tangent has a test per pass: for each function of passes/input.ts,
// the normalized IR (normalize.ts, then getters.ts), the activity and types (analysis.ts) and the tape plan
// (tape-plan.ts) are printed and compared with passes/<name>.txt. A missing file is written and
// the test fails, so that it is reviewed before it is committed; UPDATE_GOLDEN=1 rewrites them
// all after an intended change.

import { describe, expect, test } from "@jest/globals";
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import * as fs from "fs";
import * as path from "path";
import { BabelAdapter, collectLocalClasses, collectLocalTypes } from "../../babel-plugin/src/adapter";
import { Analysis } from "../src/analysis";
import { inlineGetters } from "../src/getters";
import type { ModuleContext } from "../src/api";
import type { Expression } from "../src/ir";
import { Normalizer } from "../src/normalize";
import type { NFunction, NStmt } from "../src/nir";
import { Printer } from "../src/print";
import { describeTapePlan, planTape } from "../src/tape-plan";
import { compileKernel } from "../src/kernel";
import { FUSABLE, fuseChains } from "../src/fusion";
import { loadPrimitiveTable } from "../src/primitives";

const DIR = path.join(__dirname, "passes");
const source = fs.readFileSync(path.join(DIR, "input.ts"), "utf8");
const update = process.env.UPDATE_GOLDEN === "1";

const program = parse(source, { sourceType: "module", plugins: ["typescript"] }).program;
const adapter = new BabelAdapter(source, new Map(), "__ct", collectLocalTypes(program), collectLocalClasses(program));
const functions = program.body
  .map((s) => (s.type === "ExportNamedDeclaration" ? s.declaration : s))
  .filter((d): d is t.FunctionDeclaration => d?.type === "FunctionDeclaration");

const expr = (e: Expression) => new Printer().expr(e, 0);

/** One line per normalized statement, indented by nesting. */
function printNormalized(ss: NStmt[], depth = 0): string[] {
  const pad = "  ".repeat(depth);
  return ss.flatMap((s): string[] => {
    switch (s.k) {
      case "assign":
        return [`${pad}${expr(s.target)} = ${expr(s.value)}`];
      case "push":
        return [`${pad}${expr(s.array)}.push(${expr(s.value)})`];
      case "call":
        return [`${pad}${s.target ? `${s.target.name} = ` : ""}call ${s.call.kind} ${s.call.args.map(expr).join(", ")}`];
      case "if":
        return [`${pad}if (${expr(s.test)})`, ...printNormalized(s.then, depth + 1), `${pad}else`, ...printNormalized(s.else, depth + 1)];
      case "loop":
        return [`${pad}while (${expr(s.test)})`, ...printNormalized(s.body, depth + 1)];
      case "effect":
        return [`${pad}effect`];
    }
  });
}

function quoteStmt(s: NStmt): string {
  switch (s.k) {
    case "assign":
      return `${expr(s.target)} = ${expr(s.value)}`;
    case "push":
      return `${expr(s.array)}.push(${expr(s.value)})`;
    case "call":
      return `${s.target?.name ?? "_"} = call`;
    case "if":
      return `if (${expr(s.test)})`;
    case "loop":
      return `while (${expr(s.test)})`;
    case "effect":
      return "effect";
  }
}

function passes(node: t.FunctionDeclaration): string {
  const name = node.id!.name;
  const marked = adapter.marked(node, name, "declaration", undefined, undefined);
  const ctx: ModuleContext = { fileName: "input.ts", source, runtime: "__ct", known: new Map(), knownMethods: new Map(), takenNames: new Set(), classes: adapter.moduleClasses() };
  const normalizer = new Normalizer(marked, ctx, new Set());
  const fn: NFunction = normalizer.run();
  expect(normalizer.diagnostics).toEqual([]);
  const getterErrors: unknown[] = [];
  inlineGetters(fn, ctx, undefined, getterErrors as never);
  expect(getterErrors).toEqual([]);
  const an = new Analysis(fn, undefined);
  expect(an.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const vars = [...fn.params.map((p) => p.name), ...fn.locals.keys()];
  return [
    `# ${name}: normalized`,
    ...printNormalized(fn.body),
    `result ${expr(fn.result)}`,
    "",
    "# activity and types",
    ...vars.map((v) => `${v}: ${an.typeOfVar(v).kind}${an.active.has(v) ? ", active" : ""}`),
    "",
    "# tape plan",
    describeTapePlan(fn, planTape(fn, an), quoteStmt),
    "",
  ].join("\n");
}

describe("pass outputs (golden)", () => {
  test("the input has functions", () => expect(functions.length).toBeGreaterThanOrEqual(6));
  for (const node of functions) {
    const name = node.id!.name;
    test(name, () => {
      const file = path.join(DIR, `${name}.txt`);
      const got = passes(node);
      if (update || !fs.existsSync(file)) {
        fs.writeFileSync(file, got);
        if (!update) throw new Error(`wrote ${path.relative(process.cwd(), file)}: review it, then run the test again`);
      }
      expect(got).toBe(fs.readFileSync(file, "utf8"));
    });
  }
});

// The kernel pass (kernel.ts): the WGSL of each function of passes/kernels.ts, as kernel.<name>.wgsl.
describe("kernel pass output (golden WGSL)", () => {
  const kernelSource = fs.readFileSync(path.join(DIR, "kernels.ts"), "utf8");
  const kernelProgram = parse(kernelSource, { sourceType: "module", plugins: ["typescript"] }).program;
  const kernelAdapter = new BabelAdapter(kernelSource, new Map(), "__ct", collectLocalTypes(kernelProgram), collectLocalClasses(kernelProgram));
  const kernels = kernelProgram.body
    .map((s) => (s.type === "ExportNamedDeclaration" ? s.declaration : s))
    .filter((d): d is t.FunctionDeclaration => d?.type === "FunctionDeclaration");
  test("the input has kernels", () => expect(kernels.length).toBeGreaterThanOrEqual(2));
  for (const node of kernels) {
    const name = node.id!.name;
    test(name, () => {
      const r = compileKernel(kernelAdapter.marked(node, name, "declaration", undefined, undefined));
      expect(r.diagnostics).toEqual([]);
      // The function's own WGSL (the shared helpers before `fn kernel` are the same for every kernel).
      const own = r.kernel!.wgsl.slice(r.kernel!.wgsl.indexOf("fn kernel("));
      const got = `// params: ${r.kernel!.params.join(", ")}\n${own}\n\n// the CPU's partials (JavaScript)\n/*\n${r.kernel!.partials}\n*/\n`;
      const file = path.join(DIR, `kernel.${name}.wgsl`);
      if (update || !fs.existsSync(file)) {
        fs.writeFileSync(file, got);
        if (!update) throw new Error(`wrote ${path.relative(process.cwd(), file)}: review it, then run the test again`);
      }
      expect(got).toBe(fs.readFileSync(file, "utf8"));
    });
  }
});

// The fusion pass (fusion.ts): each function of passes/fusion.ts after it, in fusion.txt.
describe("fusion pass output (golden)", () => {
  const fusionSource = fs.readFileSync(path.join(DIR, "fusion.ts"), "utf8");
  const fusionProgram = parse(fusionSource, { sourceType: "module", plugins: ["typescript"] }).program;
  const primitives = loadPrimitiveTable(path.join(DIR, "fusion.ts"));
  const fusionAdapter = new BabelAdapter(fusionSource, new Map([["exp", "exp"], ["relu", "relu"], ["tanh", "tanh"]]), "__ct", collectLocalTypes(fusionProgram), collectLocalClasses(fusionProgram));
  const marked = fusionProgram.body
    .map((s) => (s.type === "ExportNamedDeclaration" ? s.declaration : s))
    .filter((d): d is t.FunctionDeclaration => d?.type === "FunctionDeclaration" && d.id!.name !== "logged");
  const printCalls = (ss: NStmt[], depth = 0): string[] =>
    ss.flatMap((s): string[] => {
      const pad = "  ".repeat(depth);
      if (s.k === "call") {
        const c = s.call;
        const callee = c.kind === "dynamic" ? expr(c.callee) : c.name;
        return [`${pad}${s.target ? `${s.target.name} = ` : ""}${callee}(${c.args.map(expr).join(", ")})`];
      }
      if (s.k === "if") return [`${pad}if (${expr(s.test)})`, ...printCalls(s.then, depth + 1), `${pad}else`, ...printCalls(s.else, depth + 1)];
      if (s.k === "loop") return [`${pad}while (${expr(s.test)})`, ...printCalls(s.body, depth + 1)];
      return printNormalized([s], depth);
    });

  test("the runtime's primitive table is there", () => expect(primitives).toBeDefined());
  test("the ops it fuses are the ones the runtime's chains hold", () => {
    const runtime = require("../../runtime/dist/cjs/ops/fused.js") as { FUSABLE_OPS: typeof FUSABLE };
    expect(runtime.FUSABLE_OPS).toEqual({ unary: [...FUSABLE.unary], binary: [...FUSABLE.binary], head: [...FUSABLE.head] });
  });
  test("fusion.txt", () => {
    const known = new Map([["logged", { jvpName: "logged$jvp", vjpName: "logged$vjp", arity: 1, wrt: [0] }]]);
    const ctx: ModuleContext = { fileName: "fusion.ts", source: fusionSource, runtime: "__ct", known: known as never, knownMethods: new Map(), takenNames: new Set(), classes: fusionAdapter.moduleClasses(), primitives };
    const got = marked
      .map((node) => {
        const name = node.id!.name;
        const normalizer = new Normalizer(fusionAdapter.marked(node, name, "declaration", undefined, undefined), ctx, new Set());
        const fn = normalizer.run();
        expect(normalizer.diagnostics).toEqual([]);
        const an = new Analysis(fn, undefined); // (it drops primitives on number receivers, as in the pipeline)
        const fusedFn = fuseChains(fn, "__ct", (e) => an.typeOf(e));
        return [`# ${name}: after fusion${fusedFn === fn ? " (unchanged)" : ""}`, ...printCalls(fusedFn.body), `result ${expr(fusedFn.result)}`, ""].join("\n");
      })
      .join("\n");
    const file = path.join(DIR, "fusion.txt");
    if (update || !fs.existsSync(file)) {
      fs.writeFileSync(file, got);
      if (!update) throw new Error(`wrote ${path.relative(process.cwd(), file)}: review it, then run the test again`);
    }
    expect(got).toBe(fs.readFileSync(file, "utf8"));
  });
});
