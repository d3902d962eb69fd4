// Analyses of a normalized function: the type of each local (number, array, object, or unknown —
// decides between plain `+=` and generic tangent helpers), and activity (which locals depend on
// the differentiated parameters). The checks that need activity report diagnostics here.

import type { Diagnostic } from "./api.js";
import { isMath } from "./build.js";
import { diagnostic, note as noteText, notDifferentiable, ownerWords, part, type ArgsOf, type Code, type ReasonOf } from "./catalog.js";
import { requestFix } from "./fixes.js";
import type { Expression, Loc, TypeIR } from "./ir.js";
import type { NFunction, NStmt, Target } from "./nir.js";
import { expandObjectSpreads, objectSpreads } from "./object-spread.js";
import { isArrayCopy, isArrayFill, isWithoutDerivative } from "./queries.js";
import { COMPARISON, MATH_RULES, NON_DIFFERENTIABLE_BINARY } from "./rules.js";
import { childrenOf, rootName as rootOf, walkStmts } from "./walk.js";

const NUMBER: TypeIR = { kind: "number" };
const UNKNOWN: TypeIR = { kind: "unknown" };
const BOOLEAN: TypeIR = { kind: "boolean" };
/** "Not known yet" during inference: joins as the identity, so `let s = 0; s = s + x` stays a number. */
const PENDING: TypeIR = { kind: "unknown", text: "pending" };
const isPending = (t: TypeIR) => t === PENDING;

export { rootName as rootOf } from "./walk.js";

function sameType(a: TypeIR, b: TypeIR): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function joinTypes(a: TypeIR | undefined, b: TypeIR): TypeIR {
  if (!a || isPending(a)) return b;
  if (isPending(b)) return a;
  if (sameType(a, b)) return a;
  if (a.kind === "array" && b.kind === "array") return { kind: "array", element: joinTypes(a.element, b.element) };
  if (a.kind === "array" && b.kind === "tuple") return { kind: "array", element: b.elements.reduce<TypeIR>((t, e) => joinTypes(t, e), a.element) };
  if (a.kind === "tuple" && b.kind === "array") return joinTypes(b, a);
  if (a.kind === "array" && a.element.kind === "unknown" && b.kind === "array") return b;
  return UNKNOWN;
}

/** The string literal "int32" (a dtype argument). */
function isInt32Literal(e: Expression | undefined): boolean {
  return !!e && e.type === "StringLiteral" && e.value === "int32";
}

export class Analysis {
  readonly types = new Map<string, TypeIR>();
  readonly active = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly fn: NFunction,
    private readonly fnLoc: Loc | undefined,
  ) {
    this.inferTypes();
    // Object spreads become fields as their values' types become known (one level per round).
    for (let round = 0; round < 8 && expandObjectSpreads(fn, (e) => this.typeOf(e)); round++) {
      this.types.clear();
      this.inferTypes();
    }
    for (const { spread } of objectSpreads(fn)) {
      this.note("CT1001", "objectSpreadUnknown", {}, spread.loc);
    }
    this.dropNonTensorReceivers();
    this.inferActivity();
    this.checkWritesThrough();
  }

  /**
   * Derivatives treat arrays and objects as values. Writing into a parameter (the caller's array),
   * or writing through one of two references to the same array, would make the derivative
   * disagree with the function, so both are errors that say how to copy instead.
   *
   * References are shared by `b = a` (also through `?:`, `&&`, `withoutDerivative`), by storing an
   * array in another (`m.push(row)`, `m[0] = row`, `{ v: a }`, `[row]`), and by `slice()` of an
   * array of arrays (a shallow copy shares the inner arrays).
   */
  private checkWritesThrough(): void {
    const fn = this.fn;
    /** `same`: a is (part of) b — `depth` levels below b's root; writes into b above that level do not reach a. */
    type Share = { kind: "same" | "contains" | "elements"; a: string; b: string; depth: number; keys: Expression[]; loc: Loc | undefined };
    const shares: Share[] = [];
    const writes: { root: string; depth: number; keys: Expression[]; loc: Loc | undefined }[] = [];
    /** The keys of a path from its root: `m[0].x` → [0, "x"]. */
    const keysOf = (t: Expression): Expression[] => {
      const keys: Expression[] = [];
      for (let e = t; e.type === "MemberExpression"; e = e.object)
        keys.unshift(e.computed ? e.property : { type: "StringLiteral", value: (e.property as { name: string }).name });
      return keys;
    };
    /** Two paths below the same root that differ in a literal key (`m[0]` and `m[1][0]`) never meet. */
    const disjoint = (a: Expression[], b: Expression[]) =>
      a.some((k, i) => {
        const l = b[i];
        const lit = (x: Expression | undefined) => (x?.type === "NumericLiteral" || x?.type === "StringLiteral" ? String(x.value) : undefined);
        return lit(k) !== undefined && lit(l) !== undefined && lit(k) !== lit(l);
      });
    const depthOf = (t: Expression) => {
      let d = 0;
      for (let e = t; e.type === "MemberExpression"; e = e.object) d++;
      return d;
    };
    const isRef = (e: Expression) => {
      const k = this.typeOf(e).kind;
      return k !== "number" && k !== "boolean" && k !== "string";
    };
    /** Roots of the arrays/objects the value of `e` is (`same`) or holds references to (`contains`). */
    // `contains` records where the stored value sits below its root (`m.push(rows[1])`: rows, depth 1,
    // keys [1]), as `same` does: only writes deeper than that reach into it. Replacing an element
    // (`rows[1] = r`, `rows.push(r)`) leaves the stored value alone; recorded as the root alone, they
    // made `qs.push(ps[1])` followed by `ps.push(t)` a CT1009 error (found by
    // e2e/test/property-tensors.test.ts with arrays of tensors).
    const refs = (e: Expression, out: { same: [string, number, Expression[]][]; contains: [string, number, Expression[]][]; elements: string[] }, inside = false): void => {
      switch (e.type) {
        case "Identifier":
        case "MemberExpression": {
          const root = rootOf(e);
          // Only this function's own arrays can be written through (globals and captures cannot).
          const own = root !== undefined && (fn.locals.has(root) || fn.params.some((p) => p.name === root));
          if (own && isRef(e)) {
            if (inside) out.contains.push([root!, depthOf(e), keysOf(e)]);
            else out.same.push([root!, depthOf(e), keysOf(e)]);
          }
          return;
        }
        case "ConditionalExpression":
          refs(e.consequent, out, inside);
          refs(e.alternate, out, inside);
          return;
        case "LogicalExpression":
          refs(e.left, out, inside);
          refs(e.right, out, inside);
          return;
        case "ArrayExpression":
          for (const x of e.elements) if (x && x.type !== "SpreadElement") refs(x, out, true);
          return;
        case "ObjectExpression":
          for (const p of e.properties) if (p.type === "ObjectProperty") refs(p.value, out, true);
          return;
        case "CallExpression": {
          // withoutDerivative(a) is a itself (zerosLike, the other such intrinsic, returns a fresh value).
          const c = e.callee;
          const passThrough =
            (c.type === "Identifier" && c.name === "withoutDerivative") ||
            (c.type === "MemberExpression" && c.property.type === "Identifier" && c.property.name === "withoutDerivative");
          if (passThrough && e.arguments[0] && e.arguments[0].type !== "SpreadElement") refs(e.arguments[0], out, inside);
          if (isArrayCopy(e)) {
            const source = (e.callee as { object: Expression }).object;
            const t = this.typeOf(source);
            const root = rootOf(source);
            const nested = t.kind === "array" ? t.element.kind !== "number" : t.kind === "tuple" ? t.elements.some((x) => x.kind !== "number") : true;
            if (root && nested) out.elements.push(root);
          }
          return;
        }
        default:
          return;
      }
    };
    const share = (holder: string | undefined, value: Expression, loc: Loc | undefined, stored: boolean) => {
      if (!holder) return;
      const out = { same: [] as [string, number, Expression[]][], contains: [] as [string, number, Expression[]][], elements: [] as string[] };
      refs(value, out, stored);
      for (const [r, depth, keys] of out.same) shares.push({ kind: "same", a: holder, b: r, depth, keys, loc });
      for (const [r, depth, keys] of out.contains) shares.push({ kind: "contains", a: holder, b: r, depth, keys, loc });
      for (const r of out.elements) shares.push({ kind: "elements", a: holder, b: r, depth: 0, keys: [], loc });
    };
    walkStmts(fn.body, (s) => {
      if (s.k === "assign") {
        if (s.target.type === "MemberExpression") {
          writes.push({ root: rootOf(s.target)!, depth: depthOf(s.target), keys: keysOf(s.target), loc: s.origin });
          share(rootOf(s.target), s.value, s.origin, true);
        } else share(s.target.name, s.value, s.origin, false);
      } else if (s.k === "push") {
        writes.push({ root: rootOf(s.array)!, depth: depthOf(s.array) + 1, keys: keysOf(s.array), loc: s.origin });
        share(rootOf(s.array), s.value, s.origin, true);
      }
    });
    const params = new Set(fn.params.map((p) => p.name));
    const reported = new Set<string>();
    for (const w of writes) {
      if (!params.has(w.root) || reported.has(w.root)) continue;
      reported.add(w.root);
      this.note("CT1004", "parameter", { name: w.root }, w.loc);
    }
    const label = (name: string) => (name.startsWith("$") ? part("CT1009", "computed") : part("CT1009", "name", { name }));
    for (const sh of shares) {
      // Which writes reach the shared storage: any write through either name of the same array;
      // for a stored array, writes into it, or into the holder's elements (depth 2 and more).
      const hits = writes.filter((w) =>
        sh.kind === "same"
          ? (w.root === sh.a && w.depth >= 1) || (w.root === sh.b && w.depth > sh.depth && !disjoint(sh.keys, w.keys))
          : sh.kind === "contains"
            ? (w.root === sh.b && w.depth > sh.depth && !disjoint(sh.keys, w.keys)) || (w.root === sh.a && w.depth >= 2)
            : (w.root === sh.a || w.root === sh.b) && w.depth >= 2,
      );
      const hit = hits.find((w) => !params.has(w.root));
      if (!hit) continue;
      const untyped = [sh.a, sh.b].some((n) => this.typeOfVar(n).kind === "unknown");
      this.note("CT1009", sh.kind, { a: label(sh.a), b: label(sh.b), written: hit.root, annotate: untyped ? part("CT1009", "annotate") : "" }, sh.loc);
      return; // one is enough to explain the problem
    }
  }

  typeOfVar(name: string): TypeIR {
    return this.types.get(name) ?? UNKNOWN;
  }

  isNumberVar(name: string): boolean {
    return this.typeOfVar(name).kind === "number";
  }

  // ---- types ------------------------------------------------------------------------------

  typeOf(e: Expression): TypeIR {
    switch (e.type) {
      case "NumericLiteral":
        return NUMBER;
      case "BooleanLiteral":
        return BOOLEAN;
      case "StringLiteral":
      case "TemplateLiteral":
        return { kind: "string" };
      case "Identifier":
        if (e.name === "NaN" || e.name === "Infinity") return NUMBER;
        if (e.name === "undefined") return PENDING; // `let t;`: says nothing about what t will hold
        return this.types.get(e.name) ?? (this.inferring && this.fn.locals.has(e.name) ? PENDING : UNKNOWN);
      case "BinaryExpression":
        if (COMPARISON.has(e.operator)) return BOOLEAN;
        if (e.operator === "+") {
          const l = this.typeOf(e.left);
          const r = this.typeOf(e.right);
          // Optimistic: `+` is addition unless a side is known to be a string (string concatenation
          // of an active value is diagnosed separately).
          const stringy = (x: Expression, t: TypeIR) => t.kind === "string" || x.type === "StringLiteral" || x.type === "TemplateLiteral";
          return stringy(e.left, l) || stringy(e.right, r) ? { kind: "string" } : NUMBER;
        }
        return NUMBER;
      case "UnaryExpression":
        return e.operator === "-" || e.operator === "+" || e.operator === "~" ? NUMBER : e.operator === "!" ? BOOLEAN : UNKNOWN;
      case "ConditionalExpression":
        return joinTypes(this.typeOf(e.consequent), this.typeOf(e.alternate));
      case "LogicalExpression":
        return joinTypes(this.typeOf(e.left), this.typeOf(e.right));
      case "MemberExpression": {
        const o = this.typeOf(e.object);
        // A part of what is not known yet says nothing yet (except `.length`, always a number).
        if (isPending(o)) return !e.computed && e.property.type === "Identifier" && e.property.name === "length" ? NUMBER : PENDING;
        if (!e.computed && e.property.type === "Identifier") {
          if (e.property.name === "length" && (o.kind === "array" || o.kind === "tuple" || o.kind === "string")) return NUMBER;
          if (o.kind === "object") return o.fields[e.property.name] ?? UNKNOWN;
          if (isMath(e)) return NUMBER;
          return UNKNOWN;
        }
        if (o.kind === "array") return o.element;
        if (o.kind === "tuple") {
          if (e.property.type === "NumericLiteral") return o.elements[e.property.value] ?? UNKNOWN;
          return o.elements.reduce<TypeIR | undefined>((t, x) => joinTypes(t, x), undefined) ?? UNKNOWN;
        }
        return UNKNOWN;
      }
      case "ArrayExpression": {
        let el: TypeIR | undefined;
        for (const x of e.elements) if (x && x.type !== "SpreadElement") el = joinTypes(el, this.typeOf(x));
        return { kind: "array", element: el ?? UNKNOWN };
      }
      case "ObjectExpression": {
        // Fields are not known until its spreads are expanded (see object-spread.ts).
        if (e.properties.some((p) => p.type === "SpreadElement")) return UNKNOWN;
        const fields: Record<string, TypeIR> = {};
        for (const p of e.properties) {
          if (p.type !== "ObjectProperty") continue;
          const k = p.key.type === "Identifier" ? p.key.name : p.key.type === "StringLiteral" ? p.key.value : undefined;
          if (k !== undefined) fields[k] = this.typeOf(p.value);
        }
        return { kind: "object", fields };
      }
      case "CallExpression":
        if (isMath(e.callee)) return NUMBER;
        if (isWithoutDerivative(e.callee) && e.arguments[0] && e.arguments[0].type !== "SpreadElement") return this.typeOf(e.arguments[0]);
        if (isArrayCopy(e)) return this.typeOf((e.callee as { object: Expression }).object);
        if (isArrayFill(e)) {
          const v = e.arguments[0];
          return { kind: "array", element: v && v.type !== "SpreadElement" ? this.typeOf(v) : UNKNOWN };
        }
        return UNKNOWN;
      case "NewExpression":
        return { kind: "array", element: UNKNOWN };
      default:
        return UNKNOWN;
    }
  }

  private inferring = false;

  private inferTypes(): void {
    this.inferring = true;
    const fn = this.fn;
    const declared = new Map<string, TypeIR>();
    fn.params.forEach((p) => p.type && declared.set(p.name, p.type));
    for (const [name, l] of fn.locals) if (l.declared && l.declared.kind !== "unknown") declared.set(name, l.declared);
    // Iterate to a fixpoint: a local's type is the join of everything assigned to it. Declared
    // types are known from the first round (an unknown read early would never be refined).
    for (const [k, v] of declared) this.types.set(k, v);
    for (let round = 0; round < 8; round++) {
      const next = new Map<string, TypeIR>(declared);
      walkStmts(fn.body, (s) => {
          if (s.k === "assign") {
            if (s.target.type === "Identifier") {
              const n = s.target.name;
              if (!declared.has(n)) next.set(n, joinTypes(next.get(n), this.typeOf(s.value)));
            } else {
              // Element/field writes refine an array of unknown elements.
              const root = rootOf(s.target);
              if (root && !declared.has(root) && s.target.computed && s.target.object.type === "Identifier") {
                const cur = next.get(root);
                if (cur?.kind === "array") next.set(root, { kind: "array", element: joinTypes(cur.element.kind === "unknown" ? undefined : cur.element, this.typeOf(s.value)) });
              }
            }
          } else if (s.k === "push" && s.array.type === "Identifier") {
            const n = s.array.name;
            const cur = next.get(n);
            if (!declared.has(n) && cur?.kind === "array")
              next.set(n, { kind: "array", element: joinTypes(cur.element.kind === "unknown" ? undefined : cur.element, this.typeOf(s.value)) });
          } else if (s.k === "call" && s.target) {
            const n = s.target.name;
            const rt = s.call.kind === "dynamic" ? undefined : s.call.info.returnType;
            next.set(n, joinTypes(next.get(n), rt ?? UNKNOWN));
          }
      });
      let changed = next.size !== this.types.size;
      for (const [k, v] of next) if (!this.types.has(k) || !sameType(this.types.get(k)!, v)) changed = true;
      this.types.clear();
      for (const [k, v] of next) this.types.set(k, v);
      if (!changed) break;
    }
    this.inferring = false;
    for (const [k, v] of this.types) if (isPending(v)) this.types.set(k, UNKNOWN);
  }

  // ---- activity ---------------------------------------------------------------------------

  /** Does the value of `e` depend on an active local (through a differentiable path)? */
  isActive(e: Expression | null | undefined): boolean {
    if (!e) return false;
    switch (e.type) {
      case "Identifier":
        return this.active.has(e.name);
      case "MemberExpression":
        if (!e.computed && e.property.type === "Identifier" && e.property.name === "length") return false;
        if (e.noDerivative) return false;
        if (!e.computed && e.property.type === "Identifier" && this.fieldHasNoDerivative(this.typeOf(e.object), e.property.name)) return false;
        return this.isActive(e.object);
      case "BinaryExpression":
        if (COMPARISON.has(e.operator) || NON_DIFFERENTIABLE_BINARY.has(e.operator)) return false;
        return this.isActive(e.left) || this.isActive(e.right);
      case "UnaryExpression":
        return (e.operator === "-" || e.operator === "+") && this.isActive(e.argument);
      case "LogicalExpression":
        return this.isActive(e.left) || this.isActive(e.right);
      case "ConditionalExpression":
        return this.isActive(e.consequent) || this.isActive(e.alternate);
      case "CallExpression":
        if (isMath(e.callee)) {
          const rule = MATH_RULES[e.callee.property.name];
          return !!rule && e.arguments.some((a) => a.type !== "SpreadElement" && this.isActive(a));
        }
        if (isArrayCopy(e)) return this.isActive((e.callee as { object: Expression }).object);
        if (isArrayFill(e)) return this.isActive(e.arguments[0] as Expression | undefined);
        return false; // withoutDerivative, Array fill (user calls were hoisted)
      case "ArrayExpression":
        return e.elements.some((x) => x && x.type !== "SpreadElement" && this.isActive(x));
      case "ObjectExpression":
        return e.properties.some((p) => p.type === "ObjectProperty" && this.isActive(p.value));
      default:
        return false;
    }
  }

  /** A field its object's declared type says carries no derivative: NoDerivative<T>, @noDerivative, a string or boolean. */
  private fieldHasNoDerivative(o: TypeIR, name: string): boolean {
    if (o.kind !== "object") return false;
    if (o.noDerivative?.includes(name)) return true;
    const f = o.fields[name];
    return !!f && (f.kind === "string" || f.kind === "boolean" || f.kind === "nondiff");
  }

  private inferActivity(): void {
    const fn = this.fn;
    fn.wrt.forEach((i) => this.active.add(fn.params[i]!.name));
    let changed = true;
    const mark = (name: string | undefined) => {
      if (name && !this.active.has(name)) {
        this.active.add(name);
        changed = true;
      }
    };
    while (changed) {
      changed = false;
      walkStmts(fn.body, (s) => {
        if (s.k === "assign" && this.isActive(s.value)) mark(rootOf(s.target));
        else if (s.k === "push" && this.isActive(s.value)) mark(rootOf(s.array));
        else if (s.k === "call" && s.target && this.callIsActive(s)) mark(s.target.name);
      });
    }
    this.check();
  }

  /**
   * `x.sum()` is a Tensor method only when x may be a tensor: on a value whose type is known to be
   * a number, an array or a string the name is a coincidence, and the call is an ordinary one.
   */
  private dropNonTensorReceivers(): void {
    walkStmts(this.fn.body, (s) => {
      if (s.k === "call" && s.call.kind === "dynamic" && s.call.primitive?.method && s.call.thisArg) {
        const kind = this.typeOf(s.call.thisArg).kind;
        if (kind === "number" || kind === "array" || kind === "tuple" || kind === "string" || kind === "boolean") delete s.call.primitive;
      }
    });
  }

  callIsActive(s: Extract<NStmt, { k: "call" }>): boolean {
    const c = s.call;
    return c.args.some((a) => this.isActive(a)) || (c.kind === "method" && this.isActive(c.object)) || (c.kind === "dynamic" && this.isActive(c.thisArg));
  }

  // ---- checks that need activity ------------------------------------------------------------

  /** An error of this function (catalog.ts words it), at `loc`, with the note at the function. */
  private note<C extends Code, R extends ReasonOf<C>>(code: C, reason: R, args: Omit<ArgsOf<C, R>, "fn">, loc: Loc | undefined): Diagnostic {
    const d = notDifferentiable(code, reason, { fn: this.fn.name, ...args } as unknown as ArgsOf<C, R>, loc, this.fnLoc);
    this.diagnostics.push(d);
    return d;
  }

  /** A zero or piecewise derivative (CT1102): a warning. */
  private warn(reason: ReasonOf<"CT1102">, args: { name?: string }, loc: Loc | undefined): Diagnostic {
    const d = diagnostic("CT1102", reason, { fn: this.fn.name, name: args.name ?? "" } as ArgsOf<"CT1102", typeof reason>, loc);
    this.diagnostics.push(d);
    return d;
  }

  /** The quick fix that wraps what carries a derivative among `es` in withoutDerivative. */
  private wrapActive(d: Diagnostic, es: (Expression | null | undefined)[]): void {
    const targets = es.filter((e): e is Expression => !!e && this.isActive(e)).map((e) => e.loc);
    if (targets.length) requestFix(d, { kind: "wrapInWithoutDerivative", targets });
  }

  private check(): void {
    const fn = this.fn;
    const checkExpr = (e: Expression | null | undefined): void => {
      if (!e || typeof e !== "object") return;
      if (e.type === "MemberExpression" && e.accessor?.kind === "get" && this.isActive(e.object)) {
        this.note("CT1001", "getterNotInlined", { name: e.accessor.name, owner: ownerWords(e.accessor.owner) }, e.loc);
      }
      if (e.type === "BinaryExpression" && NON_DIFFERENTIABLE_BINARY.has(e.operator) && (this.isActive(e.left) || this.isActive(e.right))) {
        this.wrapActive(this.note("CT1003", "bitwise", { op: e.operator }, e.loc), [e.left, e.right]);
      }
      if (e.type === "BinaryExpression" && e.operator === "+") {
        const strLike = (x: Expression) => x.type === "StringLiteral" || x.type === "TemplateLiteral";
        if ((strLike(e.left) && this.isActive(e.right)) || (strLike(e.right) && this.isActive(e.left)))
          this.wrapActive(this.note("CT1003", "stringOperation", {}, e.loc), [e.left, e.right]);
      }
      if (e.type === "TemplateLiteral" && e.expressions.some((x) => this.isActive(x)))
        this.wrapActive(this.note("CT1003", "templateString", {}, e.loc), e.expressions);
      if (e.type === "UnaryExpression" && e.operator === "~" && this.isActive(e.argument))
        this.wrapActive(this.note("CT1003", "bitwise", { op: "~" }, e.loc), [e.argument]);
      if (e.type === "CallExpression" && isMath(e.callee) && MATH_RULES[e.callee.property.name] === null && e.arguments.some((a) => this.isActive(a as Expression)))
        this.wrapActive(this.warn("stepFunction", { name: e.callee.property.name }, e.loc), e.arguments.map((a) => (a.type === "SpreadElement" ? null : a)));
      if (e.type === "BinaryExpression" && e.operator === "%" && this.isActive(e.right))
        this.wrapActive(this.warn("remainder", {}, e.loc), [e.right]);
      childrenOf(e).forEach(checkExpr);
    };
    const conversions = new Set(["Number", "parseInt", "parseFloat", "String", "BigInt", "Boolean"]);
    const MUTATING_ARRAY_METHODS = new Set(["splice", "shift", "unshift", "pop", "reverse", "sort", "copyWithin"]);
    const arrayMethods = new Set([
      "slice", "map", "reduce", "reduceRight", "filter", "concat", "forEach", "indexOf", "includes", "join", "splice", "shift",
      "unshift", "pop", "reverse", "sort", "fill", "find", "findIndex", "every", "some", "flat", "flatMap", "toFixed", "toString",
    ]);
    const visit = (ss: NStmt[]) => {
      for (const s of ss) {
        switch (s.k) {
          case "assign":
            checkExpr(s.value);
            break;
          case "push":
            checkExpr(s.value);
            break;
          case "if":
            checkExpr(s.test);
            visit(s.then);
            visit(s.else);
            break;
          case "loop":
            checkExpr(s.test);
            visit(s.body);
            break;
          case "call": {
            s.call.args.forEach(checkExpr);
            const c = s.call;
            const anyActive = this.callIsActive(s);
            if (!anyActive) break;
            const mutator = c.kind === "dynamic" && c.callee.type === "MemberExpression" && !c.callee.computed && c.callee.property.type === "Identifier" ? c.callee.property.name : undefined;
            if (mutator && MUTATING_ARRAY_METHODS.has(mutator) && !(c.kind === "dynamic" && c.primitive)) {
              // The array changes in place, which neither mode follows: its derivative would be lost.
              this.note("CT1001", "inPlaceArrayMethod", { method: mutator }, s.origin);
              break;
            }
            if (c.kind === "dynamic") {
              const callee = c.callee;
              const info = c.calleeInfo;
              const prim = c.primitive;
              if (prim && !prim.differentiable) {
                const d = this.note(
                  "CT1010",
                  "runtimeOp",
                  { op: prim.name, why: prim.why ?? part("CT1010", "why"), operand: part("CT1010", prim.method ? "tensor" : "argument") },
                  s.origin,
                );
                this.wrapActive(d, prim.method ? [c.thisArg] : c.args);
              } else if (prim && prim.name === "cast" && isInt32Literal(prim.method ? c.args[0] : c.args[1])) {
                // cast(x, "int32") of a differentiated tensor: integers carry no derivative.
                this.wrapActive(this.note("CT1010", "castToInt", {}, s.origin), [prim.method ? c.thisArg : c.args[0]]);
              } else if (prim?.method && prim.differentiable) {
                // A Tensor method: its derivatives cover the object it is called on (receiver records).
              } else if (info && !info.hasDerivative && !conversions.has(info.name)) {
                const d = this.note("CT1010", "callee", { name: info.name }, s.origin);
                if (info.declaration) d.notes.push({ message: noteText("declaredHere", { name: info.name }), loc: info.declaration.loc, fileName: info.declaration.fileName });
                this.wrapActive(d, c.args);
                if (info.declaration?.mark) requestFix(d, { kind: "markDifferentiable", callee: info });
              } else if (callee.type === "Identifier" && conversions.has(callee.name)) {
                this.wrapActive(this.note("CT1003", "conversion", { name: callee.name }, s.origin), c.args);
              } else if (
                callee.type === "MemberExpression" &&
                !callee.computed &&
                callee.property.type === "Identifier" &&
                !arrayMethods.has(callee.property.name) &&
                c.thisArg &&
                this.isActive(c.thisArg)
              ) {
                // The pullback of a call gives cotangents for its arguments only, not for the object.
                if (this.typeOf(c.thisArg).kind === "number") this.wrapActive(this.note("CT1003", "numberMethod", { method: callee.property.name }, s.origin), [c.thisArg]);
                else this.note("CT1001", "methodOnActive", { method: callee.property.name }, s.origin);
              } else if (
                callee.type === "MemberExpression" &&
                !callee.computed &&
                callee.property.type === "Identifier" &&
                arrayMethods.has(callee.property.name) &&
                this.isActive(callee.object)
              ) {
                this.note("CT1001", "arrayMethodOnActive", { method: callee.property.name }, s.origin);
              }
            } else {
              c.args.forEach((a, i) => {
                if (this.isActive(a) && !c.info.wrt.includes(i)) this.wrapActive(this.note("CT1007", "argument", { index: i + 1, callee: c.name }, a.loc ?? s.origin), [a]);
              });
            }
            break;
          }
          case "effect":
            break;
        }
      }
    };
    visit(fn.body);
    checkExpr(fn.result);
    const notDifferentiableKind = (t: TypeIR | undefined) =>
      t && (t.kind === "string" || t.kind === "boolean" || t.kind === "nondiff" || t.kind === "void" || t.kind === "function");
    const describe = (t: TypeIR) => (t.kind === "nondiff" || t.kind === "unknown" ? (t.text ?? t.kind) : t.kind);
    const nondiffParams = fn.wrt.map((i) => fn.params[i]!).filter((p) => notDifferentiableKind(p.type));
    if (nondiffParams.length) {
      const ok = fn.wrt.map((i) => fn.params[i]!).filter((p) => !notDifferentiableKind(p.type)).map((p) => p.name);
      for (const p of nondiffParams) {
        const advice = ok.length ? part("CT1011", "restrict", { list: ok.join(", ") }) : part("CT1011", "chooseWrt");
        const d = this.note("CT1011", "parameter", { name: p.name, type: describe(p.type!), advice }, p.loc);
        // (A destructured parameter has no name a `wrt` could give.)
        if (ok.length && ok.every((n) => !n.startsWith("$"))) requestFix(d, { kind: "restrictWrt", names: ok });
      }
    }
    if (notDifferentiableKind(fn.returnType))
      this.note("CT1011", "result", { type: describe(fn.returnType!) }, this.fnLoc);
    for (const n of fn.nested) {
      for (const cap of n.captures) {
        if (this.active.has(cap))
          this.note("CT1005", "capture", { name: n.fn.name, capture: cap }, n.loc);
      }
    }
    if (fn.wrt.length && !this.isActive(fn.result)) {
      this.diagnostics.push(diagnostic("CT1101", undefined, { fn: fn.name }, fn.resultOrigin ?? this.fnLoc));
    }
  }
}
