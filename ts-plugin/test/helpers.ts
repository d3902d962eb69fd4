// Shared by the ts-plugin tests: in-memory source files and programs, and lookups into them.

import ts from "typescript";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

/** Compiler options of the in-memory programs the checker tests build (strict, ES2022, no @types). */
export const CHECK_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  types: [],
  skipLibCheck: true,
  noEmit: true,
};

/** A parsed (parent-linked) source file. */
export function parse(code: string, fileName = "/virtual/input.ts"): ts.SourceFile {
  return ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** The first function-like node named `name` (declaration, method, or the initializer of `const name = …`). */
export function findFunction(sf: ts.Node, name: string): ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration {
  let found: ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name && ts.isIdentifier(node.name) && node.name.text === name && (node as { body?: unknown }).body) {
      found = node;
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer) {
      let init: ts.Expression = node.initializer;
      while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init)) init = init.expression;
      if (ts.isCallExpression(init) && init.arguments[0]) init = init.arguments[0];
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) found = init;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

/** A program over in-memory files (plus the real lib files and node_modules). */
export function createProgram(files: Record<string, string>, options: ts.CompilerOptions): { program: ts.Program; host: ts.CompilerHost } {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const norm = (f: string) => path.resolve(f);
  const mem = new Map(Object.entries(files).map(([k, v]) => [norm(k), v]));
  host.fileExists = (f) => mem.has(norm(f)) || fileExists(f);
  host.readFile = (f) => mem.get(norm(f)) ?? readFile(f);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (d) => [...mem.keys()].some((k) => k.startsWith(norm(d) + path.sep)) || (directoryExists ? directoryExists(d) : true);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = mem.get(norm(fileName));
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
    return getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  host.getCurrentDirectory = () => repoRoot;
  const program = ts.createProgram({ rootNames: [...mem.keys()], options, host });
  return { program, host };
}

/** Strips `loc` everywhere, for shape comparisons. */
export function noLoc<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === "loc" ? undefined : v)));
}

export interface CompileResult {
  /** Emitted files by absolute path. */
  outputs: Map<string, string>;
  /** What the transformer reported through `addDiagnostic`. */
  diagnostics: ts.Diagnostic[];
  /** The checker's own errors on the input (should be none: tests feed valid TypeScript). */
  preEmit: readonly ts.Diagnostic[];
  program: ts.Program;
}

/** Compiles in-memory files with the program transformer as a `before` transformer, the way ts-patch runs it. */
export function compile(
  transformer: (program: ts.Program, config: { [key: string]: unknown }, extras: { ts: typeof ts; addDiagnostic: (d: ts.Diagnostic) => void }) => ts.TransformerFactory<ts.SourceFile>,
  files: Record<string, string>,
  options: ts.CompilerOptions = {},
  config: { [key: string]: unknown } = {},
): CompileResult {
  const full: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    types: [],
    esModuleInterop: true,
    skipLibCheck: true,
    ...options,
  };
  const { program } = createProgram(files, full);
  const outputs = new Map<string, string>();
  const diagnostics: ts.Diagnostic[] = [];
  const factory = transformer(program, config, { ts, addDiagnostic: (d) => diagnostics.push(d) });
  program.emit(undefined, (name, text) => outputs.set(path.resolve(name), text), undefined, false, { before: [factory] });
  return { outputs, diagnostics, preEmit: ts.getPreEmitDiagnostics(program), program };
}

/** Runs emitted CommonJS modules: relative requires load sibling outputs, `@cotangent/runtime` the real package. */
export function runCjs(outputs: Map<string, string>, entry: string): Record<string, any> {
  const cache = new Map<string, { exports: Record<string, any> }>();
  const load = (file: string): Record<string, any> => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const code = outputs.get(file);
    if (code === undefined) throw new Error(`no output ${file}; have ${[...outputs.keys()].join(", ")}`);
    const mod = { exports: {} as Record<string, any> };
    cache.set(file, mod);
    const req = (id: string) => (id.startsWith(".") ? load(path.resolve(path.dirname(file), id) + ".js") : require(require.resolve(id, { paths: [path.join(repoRoot, "ts-plugin")] })));
    new Function("exports", "require", "module", "__filename", "__dirname", code)(mod.exports, req, mod, file, path.dirname(file));
    return mod.exports;
  };
  return load(path.resolve(entry));
}

/** Central finite difference of a scalar function at `x` along parameter `i`. */
export function finiteDifference(f: (...args: number[]) => number, args: number[], i: number, h = 1e-6): number {
  const plus = [...args];
  const minus = [...args];
  plus[i]! += h;
  minus[i]! -= h;
  return (f(...plus) - f(...minus)) / (2 * h);
}
