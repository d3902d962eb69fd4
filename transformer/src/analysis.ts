// Analyses of a normalized function: the type of each local (number, array, object, or unknown —
// decides between plain `+=` and generic tangent helpers), and activity (which locals depend on
// the differentiated parameters). The checks that need activity report diagnostics here.

import type { Diagnostic } from "./api.js";
import { isMath } from "./build.js";
import { CODES, makeDiagnostic, notDifferentiable } from "./diagnostics.js";
import type { Expression, Loc, TypeIR } from "./ir.js";
import type { NFunction, NStmt, Target } from "./nir.js";
import { isArrayCopy, isArrayFill, isWithoutDerivative } from "./normalize.js";
import { COMPARISON, MATH_RULES, NON_DIFFERENTIABLE_BINARY } from "./rules.js";

const NUMBER: TypeIR = { kind: "number" };
const UNKNOWN: TypeIR = { kind: "unknown" };
const BOOLEAN: TypeIR = { kind: "boolean" };
/** "Not known yet" during inference: joins as the identity, so `let s = 0; s = s + x` stays a number. */
const PENDING: TypeIR = { kind: "unknown", text: "pending" };
const isPending = (t: TypeIR) => t === PENDING;

export function rootOf(t: Expression): string | undefined {
  let e = t;
  while (e.type === "MemberExpression") e = e.object;
  return e.type === "Identifier" ? e.name : undefined;
}

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

export class Analysis {
  readonly types = new Map<string, TypeIR>();
  readonly active = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];
  /** Where each local or parameter is first written through (element/field write, push). */
  private readonly writtenThrough = new Map<string, Loc | undefined>();
  /** `b = a` of arrays/objects: two names for one value. */
  private readonly aliases: { target: string; source: string; loc: Loc | undefined }[] = [];

  constructor(
    readonly fn: NFunction,
    private readonly fnLoc: Loc | undefined,
  ) {
    this.inferTypes();
    this.inferActivity();
    this.checkWritesThrough();
  }

  /**
   * Derivatives treat arrays and objects as values. Writing into a parameter (the caller's array)
   * or through a second name for the same array would make the derivative disagree with the
   * function, so both are errors that say how to copy instead.
   */
  private checkWritesThrough(): void {
    const fn = this.fn;
    const visit = (ss: NStmt[]) => {
      for (const s of ss) {
        const root = s.k === "assign" && s.target.type === "MemberExpression" ? rootOf(s.target) : s.k === "push" ? rootOf(s.array) : undefined;
        if (root && !this.writtenThrough.has(root)) this.writtenThrough.set(root, s.origin);
        if (s.k === "assign" && s.target.type === "Identifier" && (s.value.type === "Identifier" || s.value.type === "MemberExpression")) {
          const t = this.typeOf(s.value).kind;
          const source = rootOf(s.value);
          if (source && t !== "number" && t !== "boolean" && t !== "string") this.aliases.push({ target: s.target.name, source, loc: s.origin });
        }
        if (s.k === "if") {
          visit(s.then);
          visit(s.else);
        } else if (s.k === "loop") visit(s.body);
      }
    };
    visit(fn.body);
    for (const p of fn.params) {
      if (!this.writtenThrough.has(p.name)) continue;
      this.note(
        CODES.writeToCapture,
        `it writes into its parameter '${p.name}', which belongs to the caller; derivatives treat arguments as values, so a caller would not see this write. Write into a copy instead: \`const copy = ${p.name}.slice();\``,
        this.writtenThrough.get(p.name),
      );
    }
    for (const a of this.aliases) {
      const written = this.writtenThrough.has(a.target) ? a.target : this.writtenThrough.has(a.source) ? a.source : undefined;
      if (!written || fn.params.some((p) => p.name === written)) continue;
      this.note(
        CODES.aliasedWrite,
        `'${a.target}' and '${a.source}' name the same array or object, and '${written}' is written through; derivatives treat arrays as values, so copy it instead: \`${a.target} = ${a.source}.slice()\``,
        a.loc,
      );
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
      case "ConditionalExpression": {
        const a = this.typeOf(e.consequent);
        return sameType(a, this.typeOf(e.alternate)) ? a : UNKNOWN;
      }
      case "LogicalExpression": {
        const a = this.typeOf(e.left);
        return sameType(a, this.typeOf(e.right)) ? a : UNKNOWN;
      }
      case "MemberExpression": {
        const o = this.typeOf(e.object);
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
    // Iterate to a fixpoint: a local's type is the join of everything assigned to it.
    for (let round = 0; round < 8; round++) {
      const next = new Map<string, TypeIR>(declared);
      const visit = (ss: NStmt[]) => {
        for (const s of ss) {
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
          } else if (s.k === "if") {
            visit(s.then);
            visit(s.else);
          } else if (s.k === "loop") visit(s.body);
        }
      };
      visit(fn.body);
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
        return false; // withoutDerivative, Array fill (user calls were hoisted)
      case "ArrayExpression":
        return e.elements.some((x) => x && x.type !== "SpreadElement" && this.isActive(x));
      case "ObjectExpression":
        return e.properties.some((p) => p.type === "ObjectProperty" && this.isActive(p.value));
      default:
        return false;
    }
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
    const visit = (ss: NStmt[]) => {
      for (const s of ss) {
        if (s.k === "assign" && this.isActive(s.value)) mark(rootOf(s.target));
        else if (s.k === "push" && this.isActive(s.value)) mark(rootOf(s.array));
        else if (s.k === "call" && s.target && this.callIsActive(s)) mark(s.target.name);
        else if (s.k === "if") {
          visit(s.then);
          visit(s.else);
        } else if (s.k === "loop") visit(s.body);
      }
    };
    while (changed) {
      changed = false;
      visit(fn.body);
    }
    this.check();
  }

  callIsActive(s: Extract<NStmt, { k: "call" }>): boolean {
    return s.call.args.some((a) => this.isActive(a)) || (s.call.kind === "method" && this.isActive(s.call.object));
  }

  // ---- checks that need activity ------------------------------------------------------------

  private note(code: (typeof CODES)[keyof typeof CODES], message: string, loc: Loc | undefined): void {
    this.diagnostics.push(notDifferentiable(code, this.fn.name, this.fnLoc, message, loc));
  }

  private check(): void {
    const fn = this.fn;
    const checkExpr = (e: Expression | null | undefined): void => {
      if (!e || typeof e !== "object") return;
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
      for (const [k, v] of Object.entries(e)) {
        if (k === "loc" || k === "typeAnnotation") continue;
        if (Array.isArray(v)) v.forEach((x) => x && typeof x === "object" && "type" in x && checkExpr(x as Expression));
        else if (v && typeof v === "object" && "type" in v) checkExpr(v as Expression);
      }
    };
    const conversions = new Set(["Number", "parseInt", "parseFloat", "String", "BigInt", "Boolean"]);
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
            if (c.kind === "dynamic") {
              const callee = c.callee;
              if (callee.type === "Identifier" && conversions.has(callee.name)) {
                this.note(
                  CODES.nonDifferentiableOperation,
                  `the conversion '${callee.name}(...)' is not differentiable; use withoutDerivative(...) if a constant is intended`,
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
