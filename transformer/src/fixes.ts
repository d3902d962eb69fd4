// Quick fixes as data: where the core knows what would fix a diagnostic, it says so
// (`requestFix`, while checking), and `attachFixes` turns the requests into edits of the file's
// text (`Diagnostic.fixes`) once the function is done, from the IR's locations and what the host
// reported about the file (`MarkedFunction.fixSites`, `CalleeInfo.declaration.mark`). An editor
// applies them as they are; none is recomputed from an AST or from a message's text.
//
//   - wrapInWithoutDerivative: the operands that carry a derivative where none can flow
//     (CT1003, CT1007, CT1010, CT1102), each wrapped in the file's withoutDerivative, with the
//     import added when the file has none;
//   - markDifferentiable: a `/** @differentiable *\/` tag on the callee's declaration (CT1010),
//     in its own file, merged into its JSDoc block;
//   - restrictWrt: a `wrt` of the parameters that can be differentiated (CT1011);
//   - fixWrtName: an unknown `wrt` name replaced by the nearest parameter name (CT1002).

import type { Diagnostic, DiagnosticFix, ModuleContext } from "./api.js";
import { fixTitle } from "./catalog.js";
import type { CalleeInfo, FixSites, Loc, MarkSite, MarkedFunction, TextEdit } from "./ir.js";

export type FixRequest =
  /** Wrap each of `targets` (the user's expressions) in withoutDerivative. */
  | { kind: "wrapInWithoutDerivative"; targets: (Loc | undefined)[] }
  | { kind: "markDifferentiable"; callee: CalleeInfo }
  | { kind: "restrictWrt"; names: string[] }
  | { kind: "fixWrtName"; name: string; params: string[] };

const pending = new WeakMap<Diagnostic, FixRequest[]>();

/** Notes that `r` would fix `d` (made into edits by `attachFixes`). Returns `d`. */
export function requestFix(d: Diagnostic, r: FixRequest): Diagnostic {
  const list = pending.get(d);
  if (list) list.push(r);
  else pending.set(d, [r]);
  return d;
}

/** Turns the fix requests of `diagnostics` (of `fn`) into `fixes`, where the host's facts allow. */
export function attachFixes(diagnostics: readonly Diagnostic[], fn: MarkedFunction, ctx: ModuleContext): void {
  for (const d of diagnostics) {
    const requests = pending.get(d);
    if (!requests) continue;
    pending.delete(d);
    const fixes: DiagnosticFix[] = [];
    for (const r of requests) {
      const fix = resolve(r, d, fn, ctx);
      if (fix) fixes.push(fix);
    }
    if (fixes.length) d.fixes = [...(d.fixes ?? []), ...fixes];
  }
}

function resolve(r: FixRequest, d: Diagnostic, fn: MarkedFunction, ctx: ModuleContext): DiagnosticFix | undefined {
  switch (r.kind) {
    case "wrapInWithoutDerivative":
      return wrapFix(r.targets, d.loc, fn, ctx);
    case "markDifferentiable":
      return markFix(r.callee, ctx);
    case "restrictWrt":
      return restrictWrtFix(r.names, fn);
    case "fixWrtName":
      return wrtNameFix(r.name, r.params, fn);
  }
}

function sorted(edits: TextEdit[]): TextEdit[] {
  return edits.sort((a, b) => a.start - b.start || a.end - b.end);
}

function wrapFix(targets: (Loc | undefined)[], within: Loc | undefined, fn: MarkedFunction, ctx: ModuleContext): DiagnosticFix | undefined {
  const wd = fn.fixSites?.withoutDerivative;
  if (!wd) return undefined;
  const source = ctx.source;
  const seen = new Set<string>();
  const edits: TextEdit[] = [];
  for (const t of targets) {
    // Only the user's own text inside the diagnostic's span (never a node normalization made up).
    if (!t || t.end <= t.start || t.end > source.length) continue;
    if (within && (t.start < within.start || t.end > within.end)) continue;
    const key = `${t.start}:${t.end}`;
    if (seen.has(key)) continue;
    // Nested targets: the outer one wraps the inner one.
    if (edits.some((e) => e.start <= t.start && t.end <= e.end)) continue;
    for (let i = edits.length - 1; i >= 0; i--) if (t.start <= edits[i]!.start && edits[i]!.end <= t.end) edits.splice(i, 1);
    seen.add(key);
    edits.push({ start: t.start, end: t.end, newText: `${wd.callee}(${source.slice(t.start, t.end)})` });
  }
  if (edits.length === 0) return undefined;
  edits.push(...(wd.importEdits ?? []));
  return { kind: "wrapInWithoutDerivative", title: fixTitle("wrapInWithoutDerivative"), edits: sorted(edits) };
}

const TAG = "@differentiable";

/** The edit that puts the tag into the JSDoc block before a declaration, or a new `/** tag *\/` line before it. */
export function markEdit(site: MarkSite): Omit<TextEdit, "fileName"> {
  const doc = site.doc;
  if (!doc) return { start: site.lineStart, end: site.lineStart, newText: `${site.indent}/** ${TAG} */\n` };
  const comment = doc.text;
  if (!comment.includes("\n")) {
    // `/** Doubles v. */` → a block with the text and the tag on lines of their own.
    const body = comment.slice(3, -2).trim();
    const newText = body ? `/**\n${doc.indent} * ${body}\n${doc.indent} * ${TAG}\n${doc.indent} */` : `/** ${TAG} */`;
    return { start: doc.start, end: doc.end, newText };
  }
  const close = comment.length - 2;
  const closeLineStart = comment.lastIndexOf("\n", close) + 1;
  const beforeClose = comment.slice(closeLineStart, close);
  if (/^[ \t]*$/.test(beforeClose)) return { start: doc.start + closeLineStart, end: doc.start + closeLineStart, newText: `${beforeClose}* ${TAG}\n` };
  return { start: doc.start + close, end: doc.start + close, newText: `\n${doc.indent} * ${TAG}\n${doc.indent} ` };
}

function markFix(callee: CalleeInfo, ctx: ModuleContext): DiagnosticFix | undefined {
  const decl = callee.declaration;
  if (!decl?.mark) return undefined;
  const edit: TextEdit = markEdit(decl.mark);
  if (decl.fileName !== ctx.fileName) edit.fileName = decl.fileName;
  return { kind: "markDifferentiable", title: fixTitle("markDifferentiable", { name: decl.mark.name }), edits: [edit] };
}

function restrictWrtFix(names: string[], fn: MarkedFunction): DiagnosticFix | undefined {
  const site = fn.fixSites?.wrt;
  if (!site || names.length === 0) return undefined;
  const list = names.join(", ");
  const array = `[${names.map((n) => JSON.stringify(n)).join(", ")}]`;
  const newText = site.template.replace(/\{list\}/g, list).replace(/\{array\}/g, array);
  return { kind: "restrictWrt", title: fixTitle("restrictWrt", { list }), edits: [{ start: site.start, end: site.end, newText }] };
}

function wrtNameFix(name: string, params: string[], fn: MarkedFunction): DiagnosticFix | undefined {
  const at = fn.fixSites?.wrt?.names?.find((n) => n.name === name);
  const param = nearest(name, params);
  if (!at || param === undefined) return undefined;
  return { kind: "fixWrtName", title: fixTitle("fixWrtName", { name, param }), edits: [{ start: at.start, end: at.end, newText: param }] };
}

/** Where a function's `wrt` is written, or would be (FixSites.wrt). */
export type WrtSite = NonNullable<FixSites["wrt"]>;

/**
 * The `wrt` site of a JSDoc mark, from the comment's text and where it starts in the file: the
 * `(wrt: …)` after `@differentiable` (replaced), or the place right after the tag (inserted), and
 * where each name in it is.
 */
export function jsDocWrtSite(comment: string, start: number): WrtSite | undefined {
  const m = /@differentiable\b([ \t]*\(((?:[^()\n]|\([^()\n]*\))*)\))?/.exec(comment);
  if (!m) return undefined;
  const at = start + m.index + "@differentiable".length;
  const group = m[1] ?? "";
  // An opening parenthesis with no closing one: no place to write a list.
  if (!m[1] && /^[ \t]*\(/.test(comment.slice(m.index + m[0].length))) return undefined;
  const names: { name: string; start: number; end: number }[] = [];
  if (m[2] !== undefined) {
    const inner = m[2];
    const innerStart = at + group.indexOf("(") + 1;
    const from = /^\s*wrt\s*:/.exec(inner)?.[0].length ?? 0;
    for (const id of inner.slice(from).matchAll(/[A-Za-z_$][\w$]*/g)) {
      const s = innerStart + from + id.index!;
      names.push({ name: id[0], start: s, end: s + id[0].length });
    }
  }
  return { start: at, end: at + group.length, template: "(wrt: {list})", names };
}

/** The candidate nearest to `name` (edit distance, ignoring case; the first of equals). */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Whether `candidate` is near enough to `name` to be suggested as what was meant. */
export function isNear(name: string, candidate: string): boolean {
  return distance(name.toLowerCase(), candidate.toLowerCase()) <= Math.max(1, Math.floor(Math.max(name.length, candidate.length) / 3)) && name.length > 1;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
