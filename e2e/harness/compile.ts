// Compiles TypeScript source text with one of the Cotangent hosts and evaluates the
// resulting CommonJS module in-process.
//
//   compileWithBabel(source, fileName)   @babel/core + preset-typescript + @cotangent/babel-plugin
//   compileWithTsPatch(source, fileName) TypeScript 5.9 program + @cotangent/ts-plugin/transformer
//   compilePlain(source, fileName)       preset-typescript only (the reference primal)
//
// Relative imports inside compiled code (`./arith`) are compiled with the same host;
// everything else (`@cotangent/runtime`) is required normally. Compiled modules are cached
// per (host, file name, source text).

import * as babel from "@babel/core";
import ts from "typescript";
import * as fs from "fs";
import * as path from "path";

export type HostName = "babel" | "ts-patch" | "plain";

export const E2E_ROOT = path.resolve(__dirname, "..");
export const REPO_ROOT = path.resolve(E2E_ROOT, "..");
export const CORPUS_DIR = path.join(E2E_ROOT, "corpus");

export class CompileError extends Error {
  constructor(
    message: string,
    public readonly host: HostName,
    public readonly fileName: string,
    public readonly code?: string,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation of CommonJS output

type Exports = Record<string, any>;

const moduleCache = new Map<string, Exports>();
const codeCache = new Map<string, string>();

/**
 * Options every host gets (its plugin or transformer options). A test file may change them before
 * compiling: the corpus tests set `secondOrder: "exported"`, so that another module can
 * differentiate the corpus functions twice; e2e/test/fused.test.ts sets `fuse: false`.
 */
export const HOST_OPTIONS: { secondOrder?: "exported" | "requested"; fuse?: boolean } = {};

function cacheKey(host: HostName, fileName: string, source: string): string {
  return `${host}\u0000${JSON.stringify(HOST_OPTIONS)}\u0000${path.resolve(fileName)}\u0000${source}`;
}

function resolveRelative(fromFile: string, spec: string): string {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  // `./x.js` written for ESM-style resolution of `./x.ts`
  if (base.endsWith(".js") && fs.existsSync(base.slice(0, -3) + ".ts")) return base.slice(0, -3) + ".ts";
  throw new Error(`cannot resolve ${JSON.stringify(spec)} from ${fromFile}`);
}

function requireExternal(spec: string): any {
  // Jest's `require` here resolves workspace packages to their built dist/cjs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(spec);
}

function evaluate(code: string, fileName: string, host: HostName): Exports {
  const module = { exports: {} as Exports };
  const localRequire = (spec: string): any => {
    if (spec.startsWith(".")) {
      const resolved = resolveRelative(fileName, spec);
      return compileFile(host, resolved);
    }
    return requireExternal(spec);
  };
  const fn = new Function("module", "exports", "require", "__filename", "__dirname", `${code}\n//# sourceURL=${fileName}.${host}.js`);
  fn(module, module.exports, localRequire, fileName, path.dirname(fileName));
  return module.exports;
}

function compileCached(host: HostName, source: string, fileName: string, toJs: () => string): Exports {
  const key = cacheKey(host, fileName, source);
  const hit = moduleCache.get(key);
  if (hit) return hit;
  let code = codeCache.get(key);
  if (code === undefined) {
    code = toJs();
    codeCache.set(key, code);
  }
  let exports: Exports;
  try {
    exports = evaluate(code, fileName, host);
  } catch (e: any) {
    throw new CompileError(`[${host}] evaluating compiled ${path.basename(fileName)} threw: ${e?.stack ?? e}`, host, fileName, code);
  }
  moduleCache.set(key, exports);
  return exports;
}

/** The compiled JavaScript a host produced for `source` (compiles if needed, does not evaluate). */
export function compiledCode(host: HostName, source: string, fileName: string): string {
  const key = cacheKey(host, fileName, source);
  let code = codeCache.get(key);
  if (code === undefined) {
    code = host === "babel" ? babelToJs(source, fileName) : host === "ts-patch" ? tsPatchToJs(source, fileName) : plainToJs(source, fileName);
    codeCache.set(key, code);
  }
  return code;
}

export function compileFile(host: HostName, fileName: string): Exports {
  const source = fs.readFileSync(fileName, "utf8");
  return compileWith(host, source, fileName);
}

export function compileWith(host: HostName, source: string, fileName: string): Exports {
  switch (host) {
    case "babel":
      return compileWithBabel(source, fileName);
    case "ts-patch":
      return compileWithTsPatch(source, fileName);
    case "plain":
      return compilePlain(source, fileName);
  }
}

// ---------------------------------------------------------------------------------------------
// Babel

function babelToJs(source: string, fileName: string): string {
  let result: babel.BabelFileResult | null;
  try {
    result = babel.transformSync(source, {
      filename: fileName,
      cwd: REPO_ROOT,
      root: REPO_ROOT,
      babelrc: false,
      configFile: false,
      sourceType: "module",
      presets: ["@babel/preset-typescript"],
      plugins: [["@cotangent/babel-plugin", { ...HOST_OPTIONS }], "@babel/plugin-transform-modules-commonjs"],
    });
  } catch (e: any) {
    throw new CompileError(`[babel] ${path.basename(fileName)}: ${e?.message ?? e}`, "babel", fileName);
  }
  if (!result?.code) throw new CompileError(`[babel] ${path.basename(fileName)}: no output`, "babel", fileName);
  return result.code;
}

export function compileWithBabel(source: string, fileName: string): Exports {
  return compileCached("babel", source, fileName, () => babelToJs(source, fileName));
}

// ---------------------------------------------------------------------------------------------
// Plain preset-typescript (reference primal). `@differentiable` decorators only mark methods
// and are not valid JavaScript for Node, so they are dropped; everything else is untouched.

function stripDifferentiableDecorators(): babel.PluginObj {
  const isMark = (e: babel.types.Expression): boolean =>
    (e.type === "Identifier" && e.name === "differentiable") ||
    (e.type === "CallExpression" && e.callee.type === "Identifier" && e.callee.name === "differentiable");
  return {
    name: "e2e-strip-differentiable-decorators",
    manipulateOptions(_opts: any, parserOpts: any) {
      parserOpts.plugins.push("decorators-legacy");
    },
    visitor: {
      Decorator(p) {
        if (isMark(p.node.expression)) p.remove();
      },
    },
  };
}

function plainToJs(source: string, fileName: string): string {
  const result = babel.transformSync(source, {
    filename: fileName,
    cwd: REPO_ROOT,
    root: REPO_ROOT,
    babelrc: false,
    configFile: false,
    sourceType: "module",
    presets: ["@babel/preset-typescript"],
    plugins: [stripDifferentiableDecorators, "@babel/plugin-transform-modules-commonjs"],
  });
  if (!result?.code) throw new CompileError(`[plain] ${path.basename(fileName)}: no output`, "plain", fileName);
  return result.code;
}

export function compilePlain(source: string, fileName: string): Exports {
  return compileCached("plain", source, fileName, () => plainToJs(source, fileName));
}

// ---------------------------------------------------------------------------------------------
// ts-patch transformer through the TypeScript compiler API

export const TS_OPTIONS: ts.CompilerOptions = {
  // ES2023: the corpus uses findLast / findLastIndex (Node 18+).
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  types: [],
  noEmitOnError: false,
  skipLibCheck: true,
  esModuleInterop: true,
  declaration: false,
  sourceMap: false,
  noUnusedLocals: false,
  noUnusedParameters: false,
};

/** Source files read from disk (lib.*.d.ts, runtime .d.ts, other corpus files), shared by all programs. */
const diskSourceFiles = new Map<string, ts.SourceFile>();
/** Type-check (pre-emit) diagnostics of the last ts-patch compile of each file, formatted. */
const typeDiagnostics = new Map<string, string[]>();

type TransformerFactoryMaker = (program: ts.Program, config: object, extras: object) => ts.TransformerFactory<ts.SourceFile>;
let tsFactoryMaker: TransformerFactoryMaker | undefined;

export function loadTsTransformer(): TransformerFactoryMaker {
  if (tsFactoryMaker) return tsFactoryMaker;
  let mod: any;
  const errors: string[] = [];
  for (const spec of ["@cotangent/ts-plugin/transformer", "@cotangent/ts-plugin"]) {
    try {
      mod = requireExternal(spec);
      break;
    } catch (e: any) {
      errors.push(`${spec}: ${e?.message ?? e}`);
    }
  }
  if (!mod) throw new Error(`cannot load the ts-patch transformer:\n${errors.join("\n")}`);
  const candidate = typeof mod === "function" ? mod : (mod.default ?? mod.transformer ?? mod.before);
  const maker = typeof candidate === "function" ? candidate : typeof candidate?.default === "function" ? candidate.default : undefined;
  if (!maker) throw new Error(`@cotangent/ts-plugin exports no transformer function (keys: ${Object.keys(mod).join(", ")})`);
  tsFactoryMaker = maker;
  return maker;
}

const samePath = (a: string, b: string) => path.resolve(a) === path.resolve(b);

function formatTsDiagnostic(d: ts.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.basename(d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${text}`;
  }
  return `TS${d.code}: ${text}`;
}

function tsPatchToJs(source: string, fileName: string): string {
  const host = ts.createCompilerHost(TS_OPTIONS, true);
  const target = path.resolve(fileName);
  host.getSourceFile = (name, languageVersion, onError) => {
    if (samePath(name, target)) return ts.createSourceFile(name, source, languageVersion, true);
    const cached = diskSourceFiles.get(name);
    if (cached) return cached;
    const text = ts.sys.readFile(name);
    if (text === undefined) {
      onError?.(`cannot read ${name}`);
      return undefined;
    }
    const sf = ts.createSourceFile(name, text, languageVersion, true);
    diskSourceFiles.set(name, sf);
    return sf;
  };
  host.fileExists = (name) => samePath(name, target) || ts.sys.fileExists(name);
  host.readFile = (name) => (samePath(name, target) ? source : ts.sys.readFile(name));
  let output: string | undefined;
  const writeFile: ts.WriteFileCallback = (name, text) => {
    if (name.endsWith(".js")) output = text;
  };
  host.writeFile = writeFile;

  const program = ts.createProgram({ rootNames: [target], options: TS_OPTIONS, host });
  const sf = program.getSourceFile(target);
  if (!sf) throw new CompileError(`[ts-patch] ${path.basename(fileName)}: not in program`, "ts-patch", fileName);
  typeDiagnostics.set(
    target,
    ts
      .getPreEmitDiagnostics(program, sf)
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .map(formatTsDiagnostic),
  );

  const added: ts.Diagnostic[] = [];
  const extras = {
    ts,
    library: "typescript",
    addDiagnostic: (d: ts.Diagnostic) => added.push(d),
    removeDiagnostic: (i: number) => added.splice(i, 1),
    diagnostics: added,
  };
  let factory: ts.TransformerFactory<ts.SourceFile>;
  let emit: ts.EmitResult;
  try {
    factory = loadTsTransformer()(program, { ...HOST_OPTIONS }, extras);
    emit = program.emit(sf, writeFile, undefined, false, { before: [factory] });
  } catch (e: any) {
    throw new CompileError(`[ts-patch] ${path.basename(fileName)}: transformer threw: ${e?.stack ?? e}`, "ts-patch", fileName);
  }
  const errors = [...added, ...emit.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    throw new CompileError(
      `[ts-patch] ${path.basename(fileName)}: ${errors.length} error diagnostic(s):\n${errors.map(formatTsDiagnostic).join("\n")}`,
      "ts-patch",
      fileName,
      output,
    );
  }
  if (output === undefined) throw new CompileError(`[ts-patch] ${path.basename(fileName)}: no output`, "ts-patch", fileName);
  return output;
}

export function compileWithTsPatch(source: string, fileName: string): Exports {
  return compileCached("ts-patch", source, fileName, () => tsPatchToJs(source, fileName));
}

/** TypeScript's own (pre-emit, Error category) diagnostics from the last ts-patch compile of `fileName`. */
export function tsTypeDiagnostics(fileName: string): string[] | undefined {
  return typeDiagnostics.get(path.resolve(fileName));
}

/** Type-checks `source` as `fileName` without any transformer (for the corpus's own type-correctness). */
export function typeCheck(source: string, fileName: string): string[] {
  const host = ts.createCompilerHost(TS_OPTIONS, true);
  const target = path.resolve(fileName);
  const orig = host.getSourceFile;
  host.getSourceFile = (name, lv, onError, create) => {
    if (samePath(name, target)) return ts.createSourceFile(name, source, lv, true);
    const cached = diskSourceFiles.get(name);
    if (cached) return cached;
    const sf = orig.call(host, name, lv, onError, create);
    if (sf) diskSourceFiles.set(name, sf);
    return sf;
  };
  host.fileExists = (name) => samePath(name, target) || ts.sys.fileExists(name);
  host.readFile = (name) => (samePath(name, target) ? source : ts.sys.readFile(name));
  const program = ts.createProgram({ rootNames: [target], options: TS_OPTIONS, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(target))
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map(formatTsDiagnostic);
}
