// Host conformance: one corpus compiled by every host — the Babel plugin, the ts-patch transformer,
// the editor plugin (a real TypeScript LanguageService wrapped by @cotangent/ts-plugin, as tsserver
// loads it) and the bundler host (@cotangent/unplugin, through a real esbuild build). Every host
// must find the same marks, get the same derivative code from the core, and report the same
// diagnostics (code, severity, range). Any difference is a bug in a host: they only translate.
//
// The corpus: e2e/corpus/*.ts (the programs every correctness test runs) and e2e/conformance/
// (jsdoc.ts: spellings and places of marks; errors.ts: diagnostics).

import { beforeAll, describe, expect, jest, test } from "@jest/globals";
import * as babel from "@babel/core";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { TS_CODE_BASE, type Diagnostic, type GeneratedFunction } from "@cotangent/transformer";
import { analyzeSourceFile, createLanguageService } from "@cotangent/ts-plugin";
import cotangentTransformer from "@cotangent/ts-plugin/transformer";
import { CORPUS_DIR, E2E_ROOT, REPO_ROOT, TS_OPTIONS } from "../harness/compile";

jest.setTimeout(120_000);

const CONFORMANCE_DIR = path.join(E2E_ROOT, "conformance");
const FILES = [
  ...fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith(".ts")).map((f) => path.join(CORPUS_DIR, f)),
  path.join(CONFORMANCE_DIR, "jsdoc.ts"),
  path.join(CONFORMANCE_DIR, "errors.ts"),
];

/** What one host did with one file, in a form every host can give. */
interface Observed {
  /** Names of the marks that got derivatives, in source order. */
  marks: string[];
  /** The core's generated code per mark: `name: jvp code / vjp code`. */
  derivatives: string[];
  /** `CT1003 error 120-131`, sorted. */
  diagnostics: string[];
}

const diagnosticKey = (code: string, severity: string, start: number | undefined, end: number | undefined) => `${code} ${severity} ${start ?? "?"}-${end ?? "?"}`;
const coreKeys = (ds: readonly Diagnostic[]) => ds.map((d) => diagnosticKey(d.code, d.severity, d.loc?.start, d.loc?.end)).sort();
const codeOf = (name: string, jvp: GeneratedFunction, vjp: GeneratedFunction, grad?: GeneratedFunction, valueGrad?: GeneratedFunction) =>
  `${name}:\n${jvp.code}\n${vjp.code}${grad ? `\n${grad.code}` : ""}${valueGrad ? `\n${valueGrad.code}` : ""}`;

/** Babel host options every host gets (the ts-patch and editor hosts' defaults). */
const OPTIONS = { warnings: false, secondOrder: "requested" as const };

function babelHost(file: string): Observed {
  const out: Observed = { marks: [], derivatives: [], diagnostics: [] };
  try {
    babel.transformSync(fs.readFileSync(file, "utf8"), {
      filename: file,
      cwd: REPO_ROOT,
      babelrc: false,
      configFile: false,
      presets: ["@babel/preset-typescript"],
      plugins: [
        [
          "@cotangent/babel-plugin",
          {
            ...OPTIONS,
            onDerivatives: (g: { name: string; jvp: GeneratedFunction; vjp: GeneratedFunction; grad?: GeneratedFunction; valueGrad?: GeneratedFunction }) => {
              out.marks.push(g.name);
              out.derivatives.push(codeOf(g.name, g.jvp, g.vjp, g.grad, g.valueGrad));
            },
            onDiagnostics: (ds: readonly Diagnostic[]) => (out.diagnostics = coreKeys(ds)),
          },
        ],
      ],
    });
  } catch (e) {
    // A file with errors fails the build; its diagnostics were reported first.
    if (!out.diagnostics.some((d) => d.includes(" error "))) throw e;
  }
  return out;
}

/** One program over the whole corpus (files import each other), as tspc and tsserver would build it. */
let program: ts.Program;

function tsPatchHost(file: string): Observed {
  const sf = program.getSourceFile(file)!;
  const diagnostics: ts.Diagnostic[] = [];
  let emitted = "";
  program.emit(
    sf,
    (_name, text) => {
      if (_name.endsWith(".js")) emitted = text;
    },
    undefined,
    false,
    { before: [cotangentTransformer(program, { warningsAsDiagnostics: true }, { ts, addDiagnostic: (d) => void diagnostics.push(d) })] },
  );
  // The plan the transformer applied (the same call it makes), for the names and code it emitted.
  const plan = analyzeSourceFile(ts, sf, { program })?.plan;
  const marks = plan?.marks.filter((m) => m.ok && m.jvp && m.vjp) ?? [];
  // What the transformer wrote: the derivatives of each mark other code names (the others are
  // inline expressions, some of them arrows, without a name in the output).
  for (const m of marks.filter((m) => m.kind !== "inline" && (m.kind !== "wrapper" || plan!.ctx.known.get(m.name) === m.info))) {
    expect([m.name, emitted.includes(`${m.jvp!.name}(`), emitted.includes(`${m.vjp!.name}(`)]).toEqual([m.name, true, true]);
  }
  return {
    marks: marks.map((m) => m.name),
    derivatives: marks.map((m) => codeOf(m.name, m.jvp!, m.vjp!, m.grad, m.valueGrad)),
    diagnostics: diagnostics.filter((d) => d.file === sf).map(tsKey).sort(),
  };
}

function tsKey(d: ts.Diagnostic): string {
  const severity = d.category === ts.DiagnosticCategory.Error ? "error" : "warning";
  return diagnosticKey(`CT${d.code - TS_CODE_BASE}`, severity, d.start, d.start! + d.length!);
}

/** The editor: a LanguageService over the same files, wrapped by the plugin tsserver loads. */
let editor: ts.LanguageService;

function editorHost(file: string): string[] {
  return editor
    .getSemanticDiagnostics(file)
    .filter((d) => d.source === "cotangent")
    .map(tsKey)
    .sort();
}

/** The bundler host: e2e/conformance/bundler-host.mjs builds every file with esbuild in one node process. */
let bundlerSeen: Record<string, Observed & { built: boolean; error?: string }>;

function bundlerHost(file: string): Observed {
  const seen = bundlerSeen[file];
  if (!seen) throw new Error(`the bundler host did not build ${file}`);
  // A file with errors fails the build; one without must build.
  if (!seen.built && !seen.diagnostics.some((d) => d.includes(" error "))) throw new Error(`esbuild failed on ${file}: ${seen.error}`);
  return seen;
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [path.join(CONFORMANCE_DIR, "bundler-host.mjs"), ...FILES], { cwd: REPO_ROOT, encoding: "utf8", timeout: 100_000 });
  if (r.status !== 0) throw new Error(`bundler-host.mjs exited ${r.status ?? r.signal}\n${r.stderr}`);
  bundlerSeen = JSON.parse(r.stdout);
  program = ts.createProgram(FILES, TS_OPTIONS);
  const versions = new Map(FILES.map((f) => [f, "1"]));
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => TS_OPTIONS,
    getScriptFileNames: () => FILES,
    getScriptVersion: (f) => versions.get(f) ?? "0",
    getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8")) : undefined),
    getCurrentDirectory: () => REPO_ROOT,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  editor = createLanguageService(ts, ts.createLanguageService(host));
});

describe.each(FILES.map((f) => [path.relative(E2E_ROOT, f), f]))("%s", (_name, file) => {
  let babelSeen: Observed;
  beforeAll(() => {
    babelSeen = babelHost(file);
  });

  test("ts-patch: the same marks, derivatives and diagnostics as Babel", () => {
    const seen = tsPatchHost(file);
    expect(seen.marks).toEqual(babelSeen.marks);
    expect(seen.derivatives).toEqual(babelSeen.derivatives);
    expect(seen.diagnostics).toEqual(babelSeen.diagnostics);
  });

  test("editor: the same diagnostics as Babel", () => {
    expect(editorHost(file)).toEqual(babelSeen.diagnostics);
  });

  test("bundler (esbuild): the same marks, derivatives and diagnostics as Babel", () => {
    const seen = bundlerHost(file);
    expect(seen.marks).toEqual(babelSeen.marks);
    expect(seen.derivatives).toEqual(babelSeen.derivatives);
    expect(seen.diagnostics).toEqual(babelSeen.diagnostics);
  });
});

describe("what the corpus must show (so that agreeing on nothing cannot pass)", () => {
  test("jsdoc.ts: every spelling of a mark and every place is a mark; comments that are not JSDoc are not", () => {
    const seen = babelHost(path.join(CONFORMANCE_DIR, "jsdoc.ts"));
    expect([...seen.marks].sort()).toEqual(
      // The two literals given to `derivative` get stable names (`anonymous`, `anonymous$1`).
      ["docAfterMark", "markMidComment", "swiftSpelling", "bareList", "spaced", "arrow", "functionExpression", "overloaded", "wrapped", "kinetic", "scale", "momentum", "anonymous", "anonymous$1"].sort(),
    );
    expect(seen.diagnostics).toEqual([]);
  });

  test("errors.ts: each case is reported", () => {
    const seen = babelHost(path.join(CONFORMANCE_DIR, "errors.ts"));
    const codes = seen.diagnostics.map((d) => d.split(" ").slice(0, 2).join(" "));
    for (const expected of ["CT1001 error", "CT1002 error", "CT1004 error", "CT1101 warning", "CT1102 warning"]) expect(codes).toContain(expected);
    // try/catch, the getter, the anonymous class, the `wrt` option that is not an array, the anonymous default export.
    expect(codes.filter((c) => c === "CT1001 error").length).toBeGreaterThanOrEqual(5);
  });
});
