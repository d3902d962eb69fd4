// The tsserver language-service plugin: `{ "name": "@cotangent/ts-plugin" }` in a tsconfig's
// `compilerOptions.plugins`. tsserver `require`s the package and calls the module (it must be a
// function: `init({ typescript })`), then `create(info)` per project; the language service returned
// wraps the project's own (every method forwarded) and adds:
//   - getSemanticDiagnostics: Cotangent's diagnostics after TypeScript's, computed by check.ts from
//     the language service's current program with the host's own `typescript` — the same ones
//     `tspc` reports (`CT1003: …`, code 1001003, source "cotangent", notes as related information);
//   - getCodeFixesAtPosition: quick fixes for them — the fixes the core attached to its diagnostics
//     (`Diagnostic.fixes`, transformer/src/fixes.ts), each turned into a CodeFixAction (see FIX_NAMES);
//   - getSupportedCodeFixes: our codes added.
// Nothing thrown inside the plugin reaches the editor: it is logged, and TypeScript's own results
// are returned.

import type * as TS from "typescript";
import { CODES, fixableCodes, tsCodeOf, type DiagnosticFix, type FixKind } from "@cotangent/transformer";
import { createCalleeResolver, type CalleeResolver } from "./callee.js";
import { checkSourceFile, type CheckResult } from "./check.js";

/** The `fixName`s of the quick fixes (what an editor may use to tell them apart). */
export const FIX_NAMES = {
  /** CT1003, CT1007, CT1010, CT1102: "Wrap in withoutDerivative(...)". */
  wrap: "cotangentWrapInWithoutDerivative",
  /** CT1010 on a function of this program: "Mark 'f' as /** @differentiable *\/". */
  mark: "cotangentMarkDifferentiable",
  /** CT1011 on a parameter: "Differentiate only with respect to x, y". */
  wrt: "cotangentRestrictWrt",
  /** CT1002: "Change 'z' to 'x'" (the nearest parameter). */
  wrtName: "cotangentFixWrtName",
} as const;

/** The core's fix kinds (catalog.ts FIXES) as fixNames. */
const FIX_NAME_OF: Record<FixKind, string> = {
  wrapInWithoutDerivative: FIX_NAMES.wrap,
  markDifferentiable: FIX_NAMES.mark,
  restrictWrt: FIX_NAMES.wrt,
  fixWrtName: FIX_NAMES.wrtName,
};

const tsCode = tsCodeOf;
/** The codes whose diagnostics may carry fixes (the catalog says which). */
const FIXABLE_CODES = fixableCodes().map(tsCode);
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
    codefix.registerCodeFix({ errorCodes: FIXABLE_CODES, getCodeActions: () => undefined });
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
    /** Our diagnostics at the span, with the core's diagnostic each one is (CheckResult keeps them in step). */
    let ours: { d: TS.Diagnostic; fixes: DiagnosticFix[] }[] = [];
    let r: ReturnType<typeof check>;
    try {
      r = check(fileName);
      const result = r?.result;
      ours = (result?.diagnostics ?? [])
        .map((d, i) => ({ d, fixes: result!.core[i]?.fixes ?? [] }))
        .filter(({ d }) => errorCodes.includes(d.code) && d.start !== undefined && d.start <= end && d.start + (d.length ?? 0) >= start);
    } catch (e) {
      log(`getCodeFixesAtPosition(${fileName}) failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    // Where the request is for one of our diagnostics, TypeScript's fixes do not apply to its code.
    const theirCodes = errorCodes.filter((c) => !ours.some(({ d }) => d.code === c));
    const prior = theirCodes.length > 0 ? ls.getCodeFixesAtPosition(fileName, start, end, theirCodes, formatOptions, preferences) : [];
    if (ours.length === 0 || !r) return prior;
    try {
      const fixes: TS.CodeFixAction[] = [];
      for (const { fixes: fs } of ours) for (const f of fs) fixes.push(toCodeFix(f, r.sf.fileName));
      return [...prior, ...fixes];
    } catch (e) {
      log(`code fixes for ${fileName} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return prior;
    }
  };

  proxy.getSupportedCodeFixes = (fileName?: string) => {
    const prior = ls.getSupportedCodeFixes(fileName);
    const codes = new Set(prior);
    for (const c of FIXABLE_CODES) codes.add(String(c));
    return [...codes];
  };

  return proxy;
}

export { OUR_CODES };

// ---- quick fixes ------------------------------------------------------------------------------

/** A fix of the core as TypeScript's: its edits grouped by file (the diagnostic's, unless an edit names another). */
function toCodeFix(fix: DiagnosticFix, fileName: string): TS.CodeFixAction {
  const byFile = new Map<string, TS.TextChange[]>();
  for (const e of fix.edits) {
    const file = e.fileName ?? fileName;
    let changes = byFile.get(file);
    if (!changes) byFile.set(file, (changes = []));
    changes.push({ span: { start: e.start, length: e.end - e.start }, newText: e.newText });
  }
  return {
    fixName: FIX_NAME_OF[fix.kind],
    description: fix.title,
    changes: [...byFile].map(([file, textChanges]) => ({ fileName: file, textChanges })),
  };
}
