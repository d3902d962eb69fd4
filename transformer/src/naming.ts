// Deterministic names for generated code: `dx` is the tangent of `x`, `bx` its adjoint (cotangent),
// `$tape` the reverse-mode stack. A name is never one the user's file already uses (the host passes
// every identifier of the file), so user code and generated code cannot capture each other's
// variables. The same input always gives the same names: no counters shared across runs.

import { uniqueName } from "./host.js";

export class Names {
  private readonly tangents = new Map<string, string>();
  private readonly adjoints = new Map<string, string>();

  constructor(readonly taken: Set<string>) {
    // `do`, `in`, `if` are what `d`/`b` + a short name can spell: never generate a reserved word.
    for (const w of RESERVED) taken.add(w);
  }

  /** Tangent (forward mode) of the local `name`. */
  tangent(name: string): string {
    let t = this.tangents.get(name);
    if (!t) {
      t = uniqueName(`d${name.startsWith("$") ? name : capitalizeFirst(name)}`, this.taken);
      this.tangents.set(name, t);
    }
    return t;
  }

  /** Adjoint (reverse mode) of the local `name`. */
  adjoint(name: string): string {
    let b = this.adjoints.get(name);
    if (!b) {
      b = uniqueName(`b${name.startsWith("$") ? name : capitalizeFirst(name)}`, this.taken);
      this.adjoints.set(name, b);
    }
    return b;
  }

  fresh(base: string): string {
    return uniqueName(base, this.taken);
  }
}

/** `x` → `x`, `theta` → `Theta`: `dTheta` reads better than `dtheta` for long names; single letters stay lower. */
function capitalizeFirst(name: string): string {
  return name.length > 1 ? name[0]!.toUpperCase() + name.slice(1) : name;
}

const RESERVED = [
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export",
  "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
  "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "await",
  "implements", "interface", "package", "private", "protected", "public", "arguments", "eval",
];
