// Prints generated IR as formatted JavaScript, with `// grad of:` comments, and records for each
// statement that came from user code where it came from (the hosts turn these into source maps).

import type { CodeMapping } from "./api.js";
import type { OutStatement } from "./build.js";
import type { Expression, Pattern, Statement } from "./ir.js";

const BINARY_PRECEDENCE: Record<string, number> = {
  "??": 4,
  "||": 5,
  "&&": 6,
  "|": 7,
  "^": 8,
  "&": 9,
  "==": 10,
  "!=": 10,
  "===": 10,
  "!==": 10,
  "<": 11,
  "<=": 11,
  ">": 11,
  ">=": 11,
  in: 11,
  instanceof: 11,
  "<<": 12,
  ">>": 12,
  ">>>": 12,
  "+": 13,
  "-": 13,
  "*": 14,
  "/": 14,
  "%": 14,
  "**": 15,
};

function precedence(e: Expression): number {
  switch (e.type) {
    case "SequenceExpression":
      return 1;
    case "AssignmentExpression":
    case "ArrowFunctionExpression":
      return 2;
    case "ConditionalExpression":
      return 3;
    case "BinaryExpression":
    case "LogicalExpression":
      return BINARY_PRECEDENCE[e.operator] ?? 10;
    case "UnaryExpression":
      return 16;
    case "NumericLiteral":
      return e.value < 0 || Object.is(e.value, -0) ? 16 : 20;
    case "UpdateExpression":
      return 17;
    case "CallExpression":
    case "MemberExpression":
    case "NewExpression":
      return 18;
    default:
      return 20;
  }
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

export class Printer {
  private lines: string[] = [];
  private current = "";
  private indentLevel = 0;
  readonly mappings: CodeMapping[] = [];

  private write(s: string): void {
    this.current += s;
  }
  /** 1-based number of the line being written (nested printers may have written several). */
  private lineNo(): number {
    return this.lines.length + this.current.split("\n").length;
  }
  private newline(): void {
    this.lines.push(...this.current.split("\n"));
    this.current = "  ".repeat(this.indentLevel);
  }
  private startLine(): void {
    if (this.current.trim() !== "") this.newline();
    this.current = "  ".repeat(this.indentLevel);
  }

  text(): string {
    const all = [...this.lines, ...this.current.split("\n")].filter((l, i, a) => !(i === a.length - 1 && l.trim() === ""));
    return all.join("\n");
  }

  functionDeclaration(name: string, params: Pattern[], body: Statement[]): string {
    this.write(`function ${name}(${params.map((p) => this.pattern(p)).join(", ")}) `);
    this.blockBody(body);
    return this.text();
  }

  private blockBody(body: Statement[]): void {
    this.write("{");
    this.indentLevel++;
    for (const s of body) this.statement(s as OutStatement);
    this.indentLevel--;
    this.startLine();
    this.write("}");
  }

  statement(s: OutStatement): void {
    this.startLine();
    if (s.comment) {
      this.write(`// ${s.comment}`);
      this.newline();
    }
    if (s.loc) this.mappings.push({ line: this.lineNo(), column: this.current.length - this.current.lastIndexOf("\n") - 1, original: s.loc });
    switch (s.type) {
      case "VariableDeclaration":
        this.write(`${s.kind} ${s.declarations.map((d) => this.pattern(d.id) + (d.init ? ` = ${this.expr(d.init, 2)}` : "")).join(", ")};`);
        return;
      case "ExpressionStatement": {
        let text = this.expr(s.expression, 1);
        if (text.startsWith("{") || text.startsWith("function")) text = `(${text})`;
        this.write(`${text};`);
        return;
      }
      case "BlockStatement":
        this.blockBody(s.body);
        return;
      case "IfStatement":
        this.write(`if (${this.expr(s.test, 1)}) `);
        this.blockBody(s.consequent.type === "BlockStatement" ? s.consequent.body : [s.consequent]);
        if (s.alternate) {
          this.write(" else ");
          this.blockBody(s.alternate.type === "BlockStatement" ? s.alternate.body : [s.alternate]);
        }
        return;
      case "WhileStatement":
        this.write(`while (${this.expr(s.test, 1)}) `);
        this.blockBody(s.body.type === "BlockStatement" ? s.body.body : [s.body]);
        return;
      case "ForStatement": {
        const init = s.init ? (s.init.type === "VariableDeclaration" ? this.inlineDecl(s.init) : this.expr(s.init as Expression, 1)) : "";
        this.write(`for (${init}; ${s.test ? this.expr(s.test, 1) : ""}; ${s.update ? this.expr(s.update, 1) : ""}) `);
        this.blockBody(s.body.type === "BlockStatement" ? s.body.body : [s.body]);
        return;
      }
      case "ReturnStatement":
        this.write(s.argument ? `return ${this.expr(s.argument, 1)};` : "return;");
        return;
      case "ThrowStatement":
        this.write(`throw ${this.expr(s.argument, 1)};`);
        return;
      case "FunctionDeclaration":
        this.write(`function ${s.id.name}(${s.params.map((p) => this.pattern(p)).join(", ")}) `);
        this.blockBody(s.body.body);
        return;
      case "EmptyStatement":
        this.write(";");
        return;
      default:
        throw new Error(`internal: cannot print statement ${s.type}`);
    }
  }

  private inlineDecl(d: Extract<Statement, { type: "VariableDeclaration" }>): string {
    return `${d.kind} ${d.declarations.map((x) => this.pattern(x.id) + (x.init ? ` = ${this.expr(x.init, 2)}` : "")).join(", ")}`;
  }

  pattern(p: Pattern): string {
    switch (p.type) {
      case "Identifier":
        return p.name;
      case "ArrayPattern":
        return `[${p.elements.map((e) => (e ? this.pattern(e) : "")).join(", ")}]`;
      case "ObjectPattern":
        return `{ ${p.properties
          .map((q) => (q.type === "RestElement" ? `...${this.pattern(q.argument)}` : `${this.key(q.key, q.computed)}: ${this.pattern(q.value)}`))
          .join(", ")} }`;
      case "AssignmentPattern":
        return `${this.pattern(p.left)} = ${this.expr(p.right, 2)}`;
      case "RestElement":
        return `...${this.pattern(p.argument)}`;
      case "MemberExpression":
        return this.expr(p, 18);
    }
  }

  private key(k: Expression, computed: boolean): string {
    if (computed) return `[${this.expr(k, 2)}]`;
    if (k.type === "Identifier") return k.name;
    if (k.type === "StringLiteral") return IDENT.test(k.value) ? k.value : JSON.stringify(k.value);
    return this.expr(k, 20);
  }

  expr(e: Expression, min: number): string {
    const text = this.exprInner(e);
    return precedence(e) < min ? `(${text})` : text;
  }

  private exprInner(e: Expression): string {
    switch (e.type) {
      case "Identifier":
        return e.name;
      case "NumericLiteral":
        return Object.is(e.value, -0) ? "-0" : String(e.value);
      case "StringLiteral":
        return JSON.stringify(e.value);
      case "BooleanLiteral":
        return String(e.value);
      case "NullLiteral":
        return "null";
      case "ThisExpression":
        return "this";
      case "BinaryExpression":
      case "LogicalExpression": {
        const p = precedence(e);
        const right = e.operator === "**";
        const l = this.expr(e.left, right ? 17 : p);
        const r = this.expr(e.right, right ? p : p + 1);
        return `${l} ${e.operator} ${r}`;
      }
      case "UnaryExpression": {
        const word = /^[a-z]/.test(e.operator);
        const arg = this.expr(e.argument, 16);
        const clash = (e.operator === "-" || e.operator === "+") && (arg.startsWith("-") || arg.startsWith("+"));
        return `${e.operator}${word ? " " : ""}${clash ? `(${arg})` : arg}`;
      }
      case "UpdateExpression": {
        const arg = this.expr(e.argument, 17);
        return e.prefix ? `${e.operator}${arg}` : `${arg}${e.operator}`;
      }
      case "AssignmentExpression":
        return `${this.pattern(e.left)} ${e.operator} ${this.expr(e.right, 2)}`;
      case "ConditionalExpression":
        return `${this.expr(e.test, 4)} ? ${this.expr(e.consequent, 2)} : ${this.expr(e.alternate, 2)}`;
      case "CallExpression":
        return `${this.expr(e.callee, 18)}${e.optional ? "?." : ""}(${e.arguments.map((a) => this.arg(a)).join(", ")})`;
      case "NewExpression":
        return `new ${this.expr(e.callee, 19)}(${e.arguments.map((a) => this.arg(a)).join(", ")})`;
      case "MemberExpression": {
        let object = this.expr(e.object, 18);
        if (e.object.type === "NumericLiteral" && !e.computed) object = `(${object})`;
        if (e.computed) return `${object}${e.optional ? "?." : ""}[${this.expr(e.property, 1)}]`;
        return `${object}${e.optional ? "?." : "."}${(e.property as { name: string }).name}`;
      }
      case "ArrayExpression":
        return `[${e.elements.map((x) => (x ? this.arg(x) : "")).join(", ")}]`;
      case "ObjectExpression":
        if (!e.properties.length) return "{}";
        return `{ ${e.properties
          .map((p) => (p.type === "SpreadElement" ? `...${this.expr(p.argument, 2)}` : `${this.key(p.key, p.computed)}: ${this.expr(p.value, 2)}`))
          .join(", ")} }`;
      case "SequenceExpression":
        return e.expressions.map((x) => this.expr(x, 2)).join(", ");
      case "TemplateLiteral": {
        let s = "`" + (e.quasis[0] ?? "");
        e.expressions.forEach((x, i) => (s += "${" + this.expr(x, 1) + "}" + (e.quasis[i + 1] ?? "")));
        return s + "`";
      }
      case "ArrowFunctionExpression": {
        const params = `(${e.params.map((p) => this.pattern(p)).join(", ")})`;
        if (e.body.type !== "BlockStatement") return `${params} => ${this.expr(e.body as Expression, 2)}`;
        const inner = new Printer();
        inner.indentLevel = this.indentLevel;
        inner.current = "";
        inner.write(`${params} => `);
        inner.blockBody(e.body.body);
        // Splice the nested printer's mappings into ours (lines offset by where we are now).
        const base = this.lineNo() - 1;
        for (const m of inner.mappings) this.mappings.push({ ...m, line: m.line + base });
        return inner.text();
      }
      case "FunctionExpression": {
        const inner = new Printer();
        inner.indentLevel = this.indentLevel;
        inner.current = "";
        const text = inner.functionDeclaration(e.id?.name ?? "", e.params, e.body.body);
        const base = this.lineNo() - 1;
        for (const m of inner.mappings) this.mappings.push({ ...m, line: m.line + base });
        return text;
      }
      case "Unsupported":
        return "undefined";
    }
  }

  private arg(a: Expression | { type: "SpreadElement"; argument: Expression }): string {
    return a.type === "SpreadElement" ? `...${this.expr(a.argument, 2)}` : this.expr(a, 2);
  }
}
