// The tsserver language-service plugin: `{ "name": "@cotangent/ts-plugin" }` in a tsconfig's
// `compilerOptions.plugins`. tsserver `require`s the package and calls the module (it must be a
// function: `init({ typescript })`), then `create(info)` per project; the language service returned
// wraps the project's own (every method forwarded) and adds:
//   - getSemanticDiagnostics: Cotangent's diagnostics after TypeScript's, computed by check.ts from
//     the language service's current program with the host's own `typescript` — the same ones
//     `tspc` reports (`CT1003: …`, code 1003, source "cotangent", notes as related information);
//   - getCodeFixesAtPosition: quick fixes for them (see FIX_NAMES);
//   - getSupportedCodeFixes: our codes added.
// Nothing thrown inside the plugin reaches the editor: it is logged, and TypeScript's own results
// are returned.

import type * as TS from "typescript";
import { CODES, tsCodeOf } from "@cotangent/transformer";
import { createCalleeResolver, type CalleeResolver } from "./callee.js";
import { checkSourceFile, type CheckResult } from "./check.js";
import { asFunctionLiteral, findMarks, findRuntimeImports, runtimeExportOf, skipOuterExpressions, type Found } from "./marks.js";

/** The `fixName`s of the quick fixes (what an editor may use to tell them apart). */
export const FIX_NAMES = {
  /** CT1003, CT1010, CT1102: "Wrap in withoutDerivative(...)". */
  wrap: "cotangentWrapInWithoutDerivative",
  /** CT1010 on a function of this program: "Mark 'f' as /** @differentiable *\/". */
  mark: "cotangentMarkDifferentiable",
  /** CT1011 on a parameter: "Differentiate only with respect to x, y". */
  wrt: "cotangentRestrictWrt",
} as const;

const tsCode = tsCodeOf;
const WRAP_CODES = new Set([tsCode(CODES.nonDifferentiableOperation), tsCode(CODES.noDerivative), tsCode(CODES.zeroDerivative)]);
const MARK_CODE = tsCode(CODES.noDerivative);
const WRT_CODE = tsCode(CODES.notDifferentiableType);
/** Every code Cotangent reports (for getSupportedCodeFixes and for telling ours from TypeScript's). */
const OUR_CODES = Object.values(CODES).map(tsCode);

export interface PluginModule {
  create(info: TS.server.PluginCreateInfo): TS.LanguageService;
}

/** The module tsserver loads: `require("@cotangent/ts-plugin")` is this function. */
export function init(modules: { typescript: typeof TS }): PluginModule {
  const ts = modules.typescript;
  registerFixableCodes(ts);
  return {
    create(info) {
      const log = (message: string) => {
        try {
          info.project?.projectService?.logger?.info(`[cotangent] ${message}`);
        } catch {
          /* no logger */
        }
      };
      log("language-service plugin created");
      return createLanguageService(ts, info.languageService, log);
    },
  };
}

/**
 * Editors ask tsserver which codes have quick fixes without naming a file (VS Code and
 * typescript-language-server send `getSupportedCodeFixes` with no arguments), and tsserver then
 * answers from TypeScript's own registry of code fixes, not from plugins; a diagnostic whose code is
 * not in that list never gets a code-action request. So our fixable codes (which are private,
 * TS_CODE_BASE + n, to collide with none of TypeScript's) are registered there too, with no actions
 * of their own: the fixes come from getCodeFixesAtPosition below. `codefix.registerCodeFix` is
 * TypeScript-internal (present in 5.x); without it, the editors that pass the file still work.
 */
function registerFixableCodes(ts: typeof TS): void {
  const codefix = (ts as unknown as { codefix?: { registerCodeFix?: (fix: { errorCodes: number[]; getCodeActions: () => undefined }) => void } }).codefix;
  const registered = Symbol.for("@cotangent/ts-plugin.fixable-codes");
  const holder = ts as unknown as Record<symbol, boolean>;
  if (!codefix?.registerCodeFix || holder[registered]) return;
  try {
    codefix.registerCodeFix({ errorCodes: [...WRAP_CODES, WRT_CODE], getCodeActions: () => undefined });
    holder[registered] = true;
  } catch {
    /* a TypeScript whose internals differ: only editors that pass the file offer our fixes */
  }
}

/**
 * Wraps a language service: every method forwarded, Cotangent's diagnostics and quick fixes added.
 * (What `create` returns; usable without tsserver, e.g. over `ts.createLanguageService`.)
 */
export function createLanguageService(ts: typeof TS, ls: TS.LanguageService, log: (message: string) => void = () => {}): TS.LanguageService {
  const proxy: TS.LanguageService = Object.create(null);
  for (const k of Object.keys(ls) as (keyof TS.LanguageService)[]) {
    const x = ls[k];
    (proxy as unknown as Record<string, unknown>)[k] = typeof x === "function" ? (...args: unknown[]) => (x as (...a: unknown[]) => unknown).apply(ls, args) : x;
  }

  /** Results per program (a new program after every edit) and file. */
  const cache = new WeakMap<TS.Program, { callees: CalleeResolver; files: Map<string, CheckResult> }>();
  const check = (fileName: string): { program: TS.Program; sf: TS.SourceFile; result: CheckResult } | undefined => {
    const program = ls.getProgram();
    const sf = program?.getSourceFile(fileName);
    if (!program || !sf) return undefined;
    let entry = cache.get(program);
    if (!entry) cache.set(program, (entry = { callees: createCalleeResolver(ts, program), files: new Map() }));
    let result = entry.files.get(sf.fileName);
    if (!result) {
      const t0 = Date.now();
      result = checkSourceFile(ts, program, sf, { callees: entry.callees });
      entry.files.set(sf.fileName, result);
      if (result.marks > 0) log(`${sf.fileName}: ${result.marks} marked function(s), ${result.diagnostics.length} diagnostic(s) in ${Date.now() - t0} ms`);
    }
    return { program, sf, result };
  };

  proxy.getSemanticDiagnostics = (fileName) => {
    const prior = ls.getSemanticDiagnostics(fileName);
    try {
      const r = check(fileName);
      return r && r.result.diagnostics.length > 0 ? [...prior, ...r.result.diagnostics] : prior;
    } catch (e) {
      log(`getSemanticDiagnostics(${fileName}) failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return prior;
    }
  };

  proxy.getCodeFixesAtPosition = (fileName, start, end, errorCodes, formatOptions, preferences) => {
    let ours: TS.Diagnostic[] = [];
    let r: ReturnType<typeof check>;
    try {
      r = check(fileName);
      ours = (r?.result.diagnostics ?? []).filter((d) => errorCodes.includes(d.code) && d.start !== undefined && d.start <= end && d.start + (d.length ?? 0) >= start);
    } catch (e) {
      log(`getCodeFixesAtPosition(${fileName}) failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    // Our codes are numbers TypeScript also uses (1003 is "Identifier expected"): where the request
    // is for one of our diagnostics, TypeScript's fixes for its own meaning of the code do not apply.
    const theirCodes = errorCodes.filter((c) => !ours.some((d) => d.code === c));
    const prior = theirCodes.length > 0 ? ls.getCodeFixesAtPosition(fileName, start, end, theirCodes, formatOptions, preferences) : [];
    if (ours.length === 0 || !r) return prior;
    try {
      const fixes: TS.CodeFixAction[] = [];
      for (const d of ours) fixes.push(...fixesFor(ts, r.program, r.sf, d));
      return [...prior, ...fixes];
    } catch (e) {
      log(`code fixes for ${fileName} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return prior;
    }
  };

  proxy.getSupportedCodeFixes = (fileName?: string) => {
    const prior = ls.getSupportedCodeFixes(fileName);
    const codes = new Set(prior);
    for (const c of [...WRAP_CODES, WRT_CODE]) codes.add(String(c));
    return [...codes];
  };

  return proxy;
}

export { OUR_CODES };

// ---- quick fixes ------------------------------------------------------------------------------

function fixesFor(ts: typeof TS, program: TS.Program, sf: TS.SourceFile, d: TS.Diagnostic): TS.CodeFixAction[] {
  const out: TS.CodeFixAction[] = [];
  const start = d.start ?? 0;
  const end = start + (d.length ?? 0);
  const node = nodeAtSpan(ts, sf, start, end);
  if (WRAP_CODES.has(d.code) && node) {
    const fix = wrapFix(ts, sf, node);
    if (fix) out.push(fix);
  }
  if (d.code === MARK_CODE && node) {
    const fix = markFix(ts, program, node);
    if (fix) out.push(fix);
  }
  if (d.code === WRT_CODE) {
    const fix = wrtFix(ts, sf, start, typeof d.messageText === "string" ? d.messageText : d.messageText.messageText);
    if (fix) out.push(fix);
  }
  return out;
}

/** The expression the diagnostic spans: calls, operators and templates first, else the innermost node exactly there. */
function nodeAtSpan(ts: typeof TS, sf: TS.SourceFile, start: number, end: number): TS.Node | undefined {
  const exact: TS.Node[] = [];
  const visit = (n: TS.Node): void => {
    if (n.getStart(sf) === start && n.end === end) exact.push(n);
    n.forEachChild((c) => {
      if (c.pos <= start && c.end >= end) visit(c);
    });
  };
  visit(sf);
  return (
    exact.find((n) => ts.isCallExpression(n) || ts.isBinaryExpression(n) || ts.isPrefixUnaryExpression(n) || ts.isTemplateExpression(n)) ?? exact[exact.length - 1]
  );
}

function isConstantOperand(ts: typeof TS, e: TS.Expression, imports: ReturnType<typeof findRuntimeImports>): boolean {
  const x = skipOuterExpressions(ts, e);
  if (ts.isNumericLiteral(x) || ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x) || ts.isBigIntLiteral(x)) return true;
  if (x.kind === ts.SyntaxKind.TrueKeyword || x.kind === ts.SyntaxKind.FalseKeyword || x.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isPrefixUnaryExpression(x) && ts.isNumericLiteral(x.operand)) return true;
  if (ts.isCallExpression(x) && runtimeExportOf(ts, x.expression, imports) === "withoutDerivative") return true;
  return false;
}

const BITWISE = new Set(["|", "&", "^", "<<", ">>", ">>>"]);

/** The operands to wrap: the active side of an operator, the arguments of a call. */
function wrapTargets(ts: typeof TS, node: TS.Node, imports: ReturnType<typeof findRuntimeImports>): TS.Expression[] {
  const nonConstant = (es: readonly TS.Expression[]) => es.filter((e) => !ts.isSpreadElement(e) && !isConstantOperand(ts, e, imports));
  if (ts.isBinaryExpression(node)) {
    const op = ts.tokenToString(node.operatorToken.kind) ?? "";
    if (op === "%") return nonConstant([node.right]);
    if (BITWISE.has(op) || op === "+") return nonConstant([node.left, node.right]);
    return [];
  }
  if (ts.isPrefixUnaryExpression(node)) return nonConstant([node.operand]);
  if (ts.isTemplateExpression(node)) return nonConstant(node.templateSpans.map((s) => s.expression));
  if (ts.isCallExpression(node)) return nonConstant(node.arguments);
  return [];
}

function wrapFix(ts: typeof TS, sf: TS.SourceFile, node: TS.Node): TS.CodeFixAction | undefined {
  const imports = findRuntimeImports(ts, sf);
  const targets = wrapTargets(ts, node, imports);
  if (targets.length === 0) return undefined;
  const { name, edits } = withoutDerivativeName(ts, sf, imports);
  const changes: TS.TextChange[] = targets.map((t) => ({
    span: { start: t.getStart(sf), length: t.end - t.getStart(sf) },
    newText: `${name}(${t.getText(sf)})`,
  }));
  changes.push(...edits);
  changes.sort((a, b) => a.span.start - b.span.start);
  return {
    fixName: FIX_NAMES.wrap,
    description: "Wrap in withoutDerivative(...)",
    changes: [{ fileName: sf.fileName, textChanges: changes }],
  };
}

/** How this file can call withoutDerivative, and the import edit that makes it so when it cannot yet. */
function withoutDerivativeName(ts: typeof TS, sf: TS.SourceFile, imports: ReturnType<typeof findRuntimeImports>): { name: string; edits: TS.TextChange[] } {
  for (const [local, exported] of imports.bindings) if (exported === "withoutDerivative") return { name: local, edits: [] };
  const ns = [...imports.namespaces][0];
  if (ns) return { name: `${ns}.withoutDerivative`, edits: [] };
  const runtimeImports = sf.statements.filter(
    (s): s is TS.ImportDeclaration => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === "@cotangent/runtime",
  );
  for (const imp of runtimeImports) {
    const nb = imp.importClause?.namedBindings;
    if (imp.importClause?.isTypeOnly || !nb || !ts.isNamedImports(nb)) continue;
    if (nb.elements.length === 0) return { name: "withoutDerivative", edits: [{ span: { start: nb.getStart(sf), length: nb.end - nb.getStart(sf) }, newText: "{ withoutDerivative }" }] };
    const last = nb.elements[nb.elements.length - 1]!;
    return { name: "withoutDerivative", edits: [{ span: { start: last.end, length: 0 }, newText: ", withoutDerivative" }] };
  }
  // After the last import; with none, after the prologue ("use strict"), else at the top — below
  // a `#!` line, which must stay first.
  const lastImport = [...sf.statements].reverse().find((s) => ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s));
  const directives = sf.statements.filter((s, i) => sf.statements.slice(0, i + 1).every((d) => ts.isExpressionStatement(d) && ts.isStringLiteral(d.expression)));
  const after = lastImport ?? directives[directives.length - 1];
  const starts = sf.getLineStarts();
  let at: number;
  if (after) {
    const line = sf.getLineAndCharacterOfPosition(after.end).line;
    at = line + 1 < starts.length ? starts[line + 1]! : sf.text.length;
  } else {
    at = sf.text.startsWith("#!") && starts.length > 1 ? starts[1]! : 0;
  }
  const prefix = after && at === sf.text.length && !sf.text.endsWith("\n") ? "\n" : "";
  return { name: "withoutDerivative", edits: [{ span: { start: at, length: 0 }, newText: `${prefix}import { withoutDerivative } from "@cotangent/runtime";\n` }] };
}

/** CT1010: the callee, when it is a function of this program's own sources, gets the mark. */
function markFix(ts: typeof TS, program: TS.Program, node: TS.Node): TS.CodeFixAction | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const checker = program.getTypeChecker();
  const callee = skipOuterExpressions(ts, node.expression);
  const nameNode = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name) ? callee.name : undefined;
  let symbol = nameNode && checker.getSymbolAtLocation(nameNode);
  if (!symbol) return undefined;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  for (const d of symbol.declarations ?? []) {
    const dsf = d.getSourceFile();
    if (dsf.isDeclarationFile || program.isSourceFileFromExternalLibrary(dsf) || program.isSourceFileDefaultLibrary(dsf)) continue;
    let target: TS.Node | undefined;
    let name: string | undefined;
    if (ts.isFunctionDeclaration(d) && d.body && d.name) {
      target = d;
      name = d.name.text;
    } else if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && asFunctionLiteral(ts, d.initializer) && ts.isVariableDeclarationList(d.parent) && d.parent.declarations.length === 1 && ts.isVariableStatement(d.parent.parent)) {
      target = d.parent.parent;
      name = d.name.text;
    }
    if (!target || !name) continue;
    return {
      fixName: FIX_NAMES.mark,
      description: `Mark '${name}' as /** @differentiable */`,
      changes: [{ fileName: dsf.fileName, textChanges: addJSDocTag(ts, dsf, target, "@differentiable") }],
    };
  }
  return undefined;
}

/** Puts `tag` into the JSDoc block right before `node`, or a new `/** tag *\/` line before it. */
function addJSDocTag(ts: typeof TS, sf: TS.SourceFile, node: TS.Node, tag: string): TS.TextChange[] {
  const text = sf.text;
  const start = node.getStart(sf);
  const lineStart = sf.getLineStarts()[sf.getLineAndCharacterOfPosition(start).line]!;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, start))![0];
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const doc = [...ranges].reverse().find((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos));
  if (!doc) return [{ span: { start: lineStart, length: 0 }, newText: `${indent}/** ${tag} */\n` }];
  const comment = text.slice(doc.pos, doc.end);
  const close = doc.end - 2;
  if (!comment.includes("\n")) {
    // `/** Doubles v. */` → a block with the text and the tag on lines of their own.
    const body = comment.slice(3, -2).trim();
    const docIndent = /^[ \t]*/.exec(text.slice(sf.getLineStarts()[sf.getLineAndCharacterOfPosition(doc.pos).line]!, doc.pos))![0];
    const newText = body ? `/**\n${docIndent} * ${body}\n${docIndent} * ${tag}\n${docIndent} */` : `/** ${tag} */`;
    return [{ span: { start: doc.pos, length: doc.end - doc.pos }, newText }];
  }
  const closeLineStart = text.lastIndexOf("\n", close) + 1;
  const beforeClose = text.slice(closeLineStart, close);
  if (/^[ \t]*$/.test(beforeClose)) return [{ span: { start: closeLineStart, length: 0 }, newText: `${beforeClose}* ${tag}\n` }];
  const docIndent = /^[ \t]*/.exec(text.slice(text.lastIndexOf("\n", doc.pos) + 1, doc.pos))![0];
  return [{ span: { start: close, length: 0 }, newText: `\n${docIndent} * ${tag}\n${docIndent} ` }];
}

/** CT1011 on a parameter: a `wrt` of the parameters the message names as differentiable. */
function wrtFix(ts: typeof TS, sf: TS.SourceFile, pos: number, message: string): TS.CodeFixAction | undefined {
  const m = /restrict it with \/\*\* @differentiable\(wrt: ([^)]*)\) \*\//.exec(message);
  if (!m) return undefined;
  const names = m[1]!.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return undefined;
  const marks = findMarks(ts, sf, findRuntimeImports(ts, sf));
  const fnOf = (f: Found): TS.Node | undefined =>
    f.kind === "declaration" || f.kind === "method" ? f.node : f.kind === "constant" || f.kind === "wrapper" || f.kind === "inline" ? f.fn : undefined;
  const containing = marks.filter((f) => {
    const n = fnOf(f);
    return n && n.getStart(sf) <= pos && pos < n.end;
  });
  // The innermost marked function around the parameter.
  const f = containing.sort((a, b) => fnOf(b)!.getStart(sf) - fnOf(a)!.getStart(sf))[0];
  if (!f) return undefined;
  const list = names.join(", ");
  const arrayText = `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
  let changes: TS.TextChange[] | undefined;
  if (f.kind === "declaration" || f.kind === "constant" || (f.kind === "method" && !f.decorator)) {
    changes = jsDocWrt(ts, sf, f.kind === "constant" ? f.statement : f.node, list);
  } else if (f.kind === "wrapper") {
    changes = optionsWrt(ts, sf, f.call.arguments[1], f.call.arguments[0]!, arrayText);
  } else if (f.kind === "method" && f.decorator) {
    const e = skipOuterExpressions(ts, f.decorator.expression);
    if (ts.isCallExpression(e)) {
      changes = e.arguments[0] ? optionsWrt(ts, sf, e.arguments[0], undefined, arrayText) : [{ span: { start: e.arguments.end, length: 0 }, newText: `{ wrt: ${arrayText} }` }];
    } else {
      changes = [{ span: { start: e.end, length: 0 }, newText: `({ wrt: ${arrayText} })` }];
    }
  }
  if (!changes) return undefined;
  return {
    fixName: FIX_NAMES.wrt,
    description: `Differentiate only with respect to ${list}`,
    changes: [{ fileName: sf.fileName, textChanges: changes }],
  };
}

/** `@differentiable` → `@differentiable(wrt: x, y)`; an existing `(…)` is replaced. */
function jsDocWrt(ts: typeof TS, sf: TS.SourceFile, node: TS.Node, list: string): TS.TextChange[] | undefined {
  const text = sf.text;
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const doc = [...ranges].reverse().find((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos));
  if (!doc) return undefined;
  const comment = text.slice(doc.pos, doc.end);
  const m = /@differentiable\b([ \t]*\((?:[^()\n]|\([^()\n]*\))*\))?/.exec(comment);
  if (!m) return undefined;
  const at = doc.pos + m.index + "@differentiable".length;
  return [{ span: { start: at, length: m[1]?.length ?? 0 }, newText: `(wrt: ${list})` }];
}

/** `differentiable(fn)` / `differentiable(fn, { … })`: the `wrt` option set to `arrayText`. */
function optionsWrt(ts: typeof TS, sf: TS.SourceFile, options: TS.Expression | undefined, fn: TS.Expression | undefined, arrayText: string): TS.TextChange[] | undefined {
  if (!options) return fn ? [{ span: { start: fn.end, length: 0 }, newText: `, { wrt: ${arrayText} }` }] : undefined;
  const obj = skipOuterExpressions(ts, options);
  if (!ts.isObjectLiteralExpression(obj)) return undefined;
  const wrt = obj.properties.find((p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === "wrt");
  if (wrt && ts.isPropertyAssignment(wrt)) {
    const init = wrt.initializer;
    return [{ span: { start: init.getStart(sf), length: init.end - init.getStart(sf) }, newText: arrayText }];
  }
  if (wrt) return undefined;
  if (obj.properties.length === 0) return [{ span: { start: obj.getStart(sf), length: obj.end - obj.getStart(sf) }, newText: `{ wrt: ${arrayText} }` }];
  return [{ span: { start: obj.properties[0]!.getStart(sf), length: 0 }, newText: `wrt: ${arrayText}, ` }];
}
