// Shared by the ts-plugin tests: in-memory source files and programs, and lookups into them.

import ts from "typescript";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

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
