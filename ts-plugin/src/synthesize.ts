// Generated code text → nodes the TypeScript emitter can print inside the user's file. The core
// returns `function NAME(…) {…}` as plain JS; we parse it, then turn every node into a synthesized
// one (no text range, `NodeFlags.Synthesized`, no parent), so the emitter prints it from the nodes
// rather than slicing text out of the user's file at the generated offsets. Source-map ranges point
// at the user's code (from the core's `mappings`), `// grad of:` comments become synthetic comments,
// and identifiers that name a user binding get that binding's reference as their original node, so
// the CommonJS transform rewrites them like the user's own references (imports, exported `let`s).

import type * as TS from "typescript";
import type { CodeMapping, GeneratedFunction, Loc } from "@cotangent/transformer";

export interface SynthesizeOptions {
  /** Where the whole function maps when no finer mapping applies (the marked function's location). */
  fallback?: Loc;
  /** Identifier references in the user's function, by name: generated identifiers of the same name take one as original. */
  references?: ReadonlyMap<string, TS.Identifier>;
}

/** Parses generated code and returns its first statement (the function declaration), synthesized. */
export function synthesizeFunction(ts: typeof TS, gen: GeneratedFunction, options: SynthesizeOptions = {}): TS.FunctionDeclaration {
  const decl = synthesizeStatements(ts, gen.code, gen.mappings, options)[0];
  if (!decl || !ts.isFunctionDeclaration(decl)) throw new Error(`cotangent: generated code for ${gen.name} is not a function declaration`);
  return decl;
}

/** Parses a snippet of JavaScript into synthesized statements (no source-map ranges unless mappings are given). */
export function synthesizeStatements(ts: typeof TS, code: string, mappings: readonly CodeMapping[] = [], options: SynthesizeOptions = {}): TS.Statement[] {
  const sf = ts.createSourceFile("cotangent-generated.js", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const text = sf.text;
  const key = (line: number, column: number) => `${line}:${column}`;
  const exact = new Map<string, Loc>();
  for (const m of mappings) if (!exact.has(key(m.line, m.column))) exact.set(key(m.line, m.column), m.original);
  // Mappings by generated offset, for statements whose first token has no mapping of its own.
  const byOffset = mappings
    .map((m) => ({ offset: safeOffset(sf, m.line - 1, m.column), original: m.original }))
    .filter((m) => m.offset >= 0)
    .sort((a, b) => a.offset - b.offset);

  interface Plan {
    node: TS.Node;
    range?: Loc;
    leading: TS.CommentRange[];
    trailing: TS.CommentRange[];
  }
  const plans: Plan[] = [];
  const seenComments = new Set<number>();
  const visit = (node: TS.Node): void => {
    const start = node.getStart(sf);
    const lc = sf.getLineAndCharacterOfPosition(start);
    const isStatementLike = ts.isStatement(node) || ts.isFunctionDeclaration(node);
    // The generated function as a whole maps to the user's function head; its parts to their origins.
    let range = ts.isFunctionDeclaration(node) && node.parent === sf ? options.fallback : undefined;
    range ??= exact.get(key(lc.line + 1, lc.character));
    if (!range && isStatementLike) range = byOffset.find((m) => m.offset >= start && m.offset < node.end)?.original;
    const plan: Plan = { node, leading: [], trailing: [] };
    if (range) plan.range = range;
    if (isStatementLike) {
      for (const c of ts.getLeadingCommentRanges(text, node.pos) ?? []) if (!seenComments.has(c.pos)) (seenComments.add(c.pos), plan.leading.push(c));
      for (const c of ts.getTrailingCommentRanges(text, node.end) ?? []) if (!seenComments.has(c.pos)) (seenComments.add(c.pos), plan.trailing.push(c));
    }
    plans.push(plan);
    ts.forEachChild(node, visit);
  };
  for (const stmt of sf.statements) visit(stmt);

  const references = options.references;
  for (const { node, range, leading, trailing } of plans) {
    if (references && ts.isIdentifier(node) && isReference(ts, node)) {
      const original = references.get(node.text);
      if (original) ts.setOriginalNode(node, original);
    }
    const m = node as { -readonly [K in keyof TS.Node]: TS.Node[K] };
    m.flags |= ts.NodeFlags.Synthesized;
    ts.setTextRange(node, { pos: -1, end: -1 });
    // Node arrays have ranges too (the emitter places a block's `}` at `statements.end`).
    ts.forEachChild(node, () => undefined, (array) => {
      ts.setTextRange(array as unknown as TS.TextRange & { pos: number; end: number }, { pos: -1, end: -1 });
      return undefined;
    });
    if (range) ts.setSourceMapRange(node, { pos: range.start, end: range.end });
    for (const c of leading) addComment(ts, node, text, c, "leading");
    for (const c of trailing) addComment(ts, node, text, c, "trailing");
  }
  // Parents last: the loops above still needed the parse tree.
  for (const { node } of plans) (node as { parent: TS.Node | undefined }).parent = undefined;
  return [...sf.statements];
}

function safeOffset(sf: TS.SourceFile, line: number, character: number): number {
  try {
    return sf.getPositionOfLineAndCharacter(line, character);
  } catch {
    return -1;
  }
}

function addComment(ts: typeof TS, node: TS.Node, text: string, c: TS.CommentRange, where: "leading" | "trailing"): void {
  const raw = text.slice(c.pos, c.end);
  const single = c.kind === ts.SyntaxKind.SingleLineCommentTrivia;
  const body = single ? raw.slice(2) : raw.slice(2, -2);
  const kind = single ? ts.SyntaxKind.SingleLineCommentTrivia : ts.SyntaxKind.MultiLineCommentTrivia;
  if (where === "leading") ts.addSyntheticLeadingComment(node, kind, body, single || !!c.hasTrailingNewLine);
  else ts.addSyntheticTrailingComment(node, kind, body, single || !!c.hasTrailingNewLine);
}

/** Is this identifier a read/write of a binding (not a property name, declaration name or label)? */
function isReference(ts: typeof TS, id: TS.Identifier): boolean {
  const p = id.parent;
  if (!p) return true;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === id) return false;
  if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isClassDeclaration(p)) && p.name === id) return false;
  if (ts.isBindingElement(p) && (p.name === id || p.propertyName === id)) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  return true;
}

/** Identifier references of a user function, by name (the first of each), for `SynthesizeOptions.references`. */
export function collectReferences(ts: typeof TS, root: TS.Node): Map<string, TS.Identifier> {
  const out = new Map<string, TS.Identifier>();
  const visit = (node: TS.Node): void => {
    if (ts.isTypeNode(node)) return;
    if (ts.isIdentifier(node) && !out.has(node.text) && isReference(ts, node)) out.set(node.text, node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return out;
}
