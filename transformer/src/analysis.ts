// Analyses of a normalized function: the type of each local (number, array, object, or unknown —
// decides between plain `+=` and generic tangent helpers), and activity (which locals depend on
// the differentiated parameters). The checks that need activity report diagnostics here.

import type { Diagnostic } from "./api.js";
import { isMath } from "./build.js";
import { CODES, makeDiagnostic, notDifferentiable } from "./diagnostics.js";
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
      this.note(
        CODES.unsupportedSyntax,
        "object spread of a value whose fields are not known here; annotate its type (an interface or an object type), or list the fields",
        spread.loc,
      );
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
      this.note(
        CODES.writeToCapture,
        `it writes into its parameter '${w.root}', which belongs to the caller; derivatives treat arguments as values, so a caller would not see this write. Write into a copy instead: \`const copy = ${w.root}.slice();\``,
        w.loc,
      );
    }
    const label = (name: string) => (name.startsWith("$") ? "a value computed here" : `'${name}'`);
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
      const how =
        sh.kind === "same"
          ? `${label(sh.a)} and ${label(sh.b)} refer to the same array or object`
          : sh.kind === "contains"
            ? `${label(sh.a)} holds a reference to ${label(sh.b)}`
            : `${label(sh.a)} is a shallow copy of ${label(sh.b)} and shares its inner arrays`;
      const untyped = [sh.a, sh.b].some((n) => this.typeOfVar(n).kind === "unknown");
      this.note(
        CODES.aliasedWrite,
        `${how}, and '${hit.root}' is written through; derivatives treat arrays as values, so store a copy instead (for an array, \`.slice()\`; for nested arrays, copy each level)${
          untyped ? ". If these hold only numbers, annotating their types (number[]) tells Cotangent so" : ""
        }`,
        sh.loc,
      );
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

  private note(code: (typeof CODES)[keyof typeof CODES], message: string, loc: Loc | undefined): void {
    this.diagnostics.push(notDifferentiable(code, this.fn.name, this.fnLoc, message, loc));
  }

  private warn(message: string, loc: Loc | undefined): void {
    this.diagnostics.push(makeDiagnostic(CODES.zeroDerivative, `in '${this.fn.name}': ${message}`, loc, [], "warning"));
  }

  private check(): void {
    const fn = this.fn;
    const checkExpr = (e: Expression | null | undefined): void => {
      if (!e || typeof e !== "object") return;
      if (e.type === "MemberExpression" && e.accessor?.kind === "get" && this.isActive(e.object)) {
        this.note(
          CODES.unsupportedSyntax,
          `the getter '${e.accessor.name}' of ${e.accessor.owner} is read on a value that depends on the differentiated inputs, and it cannot be inlined (a getter is inlined when its class is declared in this module, the object is known to be of that class — a parameter or \`this\` declared as it, or an element of an array of it — and its body is one \`return\` of an expression), so its derivative would be missing; compute it here from the fields it reads`,
          e.loc,
        );
      }
      if (e.type === "BinaryExpression" && NON_DIFFERENTIABLE_BINARY.has(e.operator) && (this.isActive(e.left) || this.isActive(e.right))) {
        this.note(
          CODES.nonDifferentiableOperation,
          `the bitwise operator '${e.operator}' is not differentiable and is applied to a value that depends on the differentiated inputs; wrap the operand in withoutDerivative(...) if a zero derivative is intended`,
          e.loc,
        );
      }
      if (e.type === "BinaryExpression" && e.operator === "+") {
        const strLike = (x: Expression) => x.type === "StringLiteral" || x.type === "TemplateLiteral";
        if ((strLike(e.left) && this.isActive(e.right)) || (strLike(e.right) && this.isActive(e.left)))
          this.note(
            CODES.nonDifferentiableOperation,
            "a string operation on a value that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) around the value",
            e.loc,
          );
      }
      if (e.type === "TemplateLiteral" && e.expressions.some((x) => this.isActive(x)))
        this.note(
          CODES.nonDifferentiableOperation,
          "a template string built from a value that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) around the value",
          e.loc,
        );
      if (e.type === "UnaryExpression" && e.operator === "~" && this.isActive(e.argument))
        this.note(CODES.nonDifferentiableOperation, "the bitwise operator '~' is not differentiable; use withoutDerivative(...)", e.loc);
      if (e.type === "CallExpression" && isMath(e.callee) && MATH_RULES[e.callee.property.name] === null && e.arguments.some((a) => this.isActive(a as Expression)))
        this.warn(
          `Math.${e.callee.property.name} has a zero derivative wherever it has one, so no derivative flows through it; write Math.${e.callee.property.name}(withoutDerivative(...)) to say that is intended`,
          e.loc,
        );
      if (e.type === "BinaryExpression" && e.operator === "%" && this.isActive(e.right))
        this.warn(
          "'%' by a divisor that depends on the differentiated inputs is only piecewise differentiable (∂(a % b)/∂b = -trunc(a / b), with jumps); use withoutDerivative(...) on the divisor if it is meant as a constant",
          e.loc,
        );
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
              this.note(
                CODES.unsupportedSyntax,
                `'${mutator}' changes an array in place, and the derivative does not follow in-place changes other than element writes and push; build a new array instead (slice() and element writes, or a loop)`,
                s.origin,
              );
              break;
            }
            if (c.kind === "dynamic") {
              const callee = c.callee;
              const info = c.calleeInfo;
              const prim = c.primitive;
              if (prim && !prim.differentiable) {
                this.note(
                  CODES.noDerivative,
                  `it calls the runtime op '${prim.name}' on a value that depends on the differentiated inputs, and '${prim.name}' has no derivative (${prim.why ?? "it is not differentiable"}); wrap the ${prim.method ? "tensor" : "argument"} in withoutDerivative(...) to use its result as a constant`,
                  s.origin,
                );
              } else if (prim && prim.name === "cast" && isInt32Literal(prim.method ? c.args[0] : c.args[1])) {
                // cast(x, "int32") of a differentiated tensor: integers carry no derivative.
                this.note(
                  CODES.noDerivative,
                  "it casts a value that depends on the differentiated inputs to int32, and integers have no derivative; keep it a float, or wrap the tensor in withoutDerivative(...) if the integers are meant as constants",
                  s.origin,
                );
              } else if (prim?.method && prim.differentiable) {
                // A Tensor method: its derivatives cover the object it is called on (receiver records).
              } else if (info && !info.hasDerivative && !conversions.has(info.name)) {
                const d = notDifferentiable(
                  CODES.noDerivative,
                  fn.name,
                  this.fnLoc,
                  `it calls '${info.name}' on a value that depends on the differentiated inputs, and '${info.name}' has no derivative; mark '${info.name}' /** @differentiable */ where it is defined, register one with registerDerivative(${info.name}, { vjp, jvp }), or pass withoutDerivative(...) if the call is meant as a constant`,
                  s.origin,
                );
                if (info.declaration)
                  d.notes.push({ message: `'${info.name}' is declared here`, loc: info.declaration.loc, fileName: info.declaration.fileName });
                this.diagnostics.push(d);
              } else if (callee.type === "Identifier" && conversions.has(callee.name)) {
                this.note(
                  CODES.nonDifferentiableOperation,
                  `the conversion '${callee.name}(...)' is not differentiable; use withoutDerivative(...) if a constant is intended`,
                  s.origin,
                );
              } else if (
                callee.type === "MemberExpression" &&
                !callee.computed &&
                callee.property.type === "Identifier" &&
                !arrayMethods.has(callee.property.name) &&
                c.thisArg &&
                this.isActive(c.thisArg)
              ) {
                // The pullback of a call gives cotangents for its arguments only, not for the object.
                const number = this.typeOf(c.thisArg).kind === "number";
                this.note(
                  number ? CODES.nonDifferentiableOperation : CODES.unsupportedSyntax,
                  number
                    ? `the method '${callee.property.name}' of a number that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) on the number if a constant is intended`
                    : `calling the method '${callee.property.name}' on a value that depends on the differentiated inputs is not supported (its derivative with respect to the object is not computed); pass the value as an argument instead`,
                  s.origin,
                );
              } else if (
                callee.type === "MemberExpression" &&
                !callee.computed &&
                callee.property.type === "Identifier" &&
                arrayMethods.has(callee.property.name) &&
                this.isActive(callee.object)
              ) {
                this.note(
                  CODES.unsupportedSyntax,
                  `the method '${callee.property.name}' on a value that depends on the differentiated inputs is not supported; write a loop instead`,
                  s.origin,
                );
              }
            } else {
              c.args.forEach((a, i) => {
                if (this.isActive(a) && !c.info.wrt.includes(i))
                  this.note(
                    CODES.nonDifferentiableArgument,
                    `argument ${i + 1} of '${c.name}' depends on the differentiated inputs, but '${c.name}' is not differentiable with respect to that parameter; add it to its 'wrt' or pass withoutDerivative(...)`,
                    a.loc ?? s.origin,
                  );
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
      for (const p of nondiffParams)
        this.note(
          CODES.notDifferentiableType,
          `it can only be differentiated with respect to parameters whose type is Differentiable (numbers, and arrays and objects of numbers), and '${p.name}' is ${describe(p.type!)}; ${
            ok.length ? `restrict it with /** @differentiable(wrt: ${ok.join(", ")}) */` : "mark the parameter that should be differentiated with wrt"
          }`,
          p.loc,
        );
    }
    if (notDifferentiableKind(fn.returnType))
      this.note(
        CODES.notDifferentiableType,
        `its result type ${describe(fn.returnType!)} is not Differentiable; a differentiable function returns numbers, or arrays and objects of numbers`,
        this.fnLoc,
      );
    for (const n of fn.nested) {
      for (const cap of n.captures) {
        if (this.active.has(cap))
          this.note(
            CODES.activeCapture,
            `the local function '${n.fn.name}' captures '${cap}', which depends on the differentiated inputs; pass '${cap}' to it as a parameter instead (captured values are constants of the derivative)`,
            n.loc,
          );
      }
    }
    if (fn.wrt.length && !this.isActive(fn.result)) {
      this.diagnostics.push(
        makeDiagnostic(
          CODES.resultNotActive,
          `the result of '${fn.name}' does not depend on any differentiated parameter; its derivative is always zero`,
          fn.resultOrigin ?? this.fnLoc,
          [],
          "warning",
        ),
      );
    }
  }
}
