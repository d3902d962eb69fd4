// The contract between the core and its hosts (Babel plugin, ts-patch transformer, CLI).
// A host lowers each marked function to `MarkedFunction` (see ir.ts), calls `differentiate`,
// reports the diagnostics its own way, parses the generated code with its own parser, and
// inserts it beside the original function. Generated code reaches @cotangent/runtime only
// through the identifier `ModuleContext.runtime` (the host adds the namespace import).

import type { FixKind } from "./catalog.js";
import type { Expression, Loc, MarkedFunction, Pattern, Statement, TextEdit, TypeIR } from "./ir.js";
import type { KernelSource } from "./kernel.js";

/** What the core knows about a differentiable function visible by name in the module. */
export interface KnownFunction {
  /** Generated forward-mode function: `(…args, …tangents) => { value, tangent }`. */
  jvpName: string;
  /** Generated reverse-mode function: `(…args) => { value, pullback(ct) => cotangents[] }`. */
  vjpName: string;
  /** Number of declared parameters. */
  arity: number;
  /** Indices of the differentiated parameters. */
  wrt: number[];
  /** Methods are called through `this` / an object: `obj[jvpName](…)`. */
  isMethod: boolean;
  /**
   * The last parameter is a rest parameter (`...xs`). Its derivatives take it as one array: the
   * JVP `(…args, xs, …tangents, dxs)`, the pullback one cotangent array for it; calls pack the
   * trailing arguments into that array.
   */
  rest?: boolean;
  /** Declared return type, when known (lets callers use plain number arithmetic on the result). */
  returnType?: TypeIR;
}

export interface ModuleContext {
  fileName: string;
  /** Full text of the file (for code frames and `// grad of:` comments). */
  source: string;
  /** Identifier under which generated code reaches `@cotangent/runtime` (e.g. `__ct`). */
  runtime: string;
  /** Marked functions visible by plain name in this module (declarations, `const g = differentiable(…)`). */
  known: Map<string, KnownFunction>;
  /** Marked methods by name (called as `this.name(…)` or `obj.name(…)`). */
  knownMethods: Map<string, KnownFunction>;
  /** Every identifier used anywhere in the file: generated names never take one of these. */
  takenNames: Set<string>;
  /** Globals the file declares a binding of its own for (`const Math = …`): not the built-ins. */
  shadowedGlobals?: Set<string>;
  /**
   * The runtime's primitives (its `primitives.json`, written from the op registry when the
   * runtime is built): which exports and Tensor methods are ops, and which have no derivative.
   * Without it, calls to runtime ops are left to the run-time lookup.
   */
  primitives?: PrimitiveTable;
  /**
   * Fuse chains of elementwise tensor ops in reverse mode (fusion.ts). Default true; false keeps
   * one call per op in the VJP (every op its own line, pullback and kernel: for reading and debugging).
   */
  fuse?: boolean;
  /**
   * The accessors of the module's own classes, by class name then property name (hosts translate
   * them from the class declarations): getters read on an object of such a class are inlined
   * (getters.ts).
   */
  classes?: ModuleClasses;
}

/** Class name → property name → its getter's one `return` expression (null: a longer body) and whether it has a setter. */
export type ModuleClasses = Map<string, Map<string, { get?: Expression | null; set: boolean }>>;

/** One primitive op of the runtime, as `primitives.json` lists it. */
export interface PrimitiveInfo {
  differentiable: boolean;
  /** Why it has no derivative (for the diagnostic). */
  why?: string;
}

/** The shape of the runtime's `primitives.json`. */
export interface PrimitiveTable {
  /** Export name → op. */
  functions: Record<string, PrimitiveInfo>;
  /** Tensor method name → op. */
  methods: Record<string, PrimitiveInfo & { op: string }>;
}

export type Severity = "error" | "warning";

export interface DiagnosticNote {
  message: string;
  loc?: Loc;
  /** When the note is in another file than the diagnostic (a callee declared elsewhere). */
  fileName?: string;
}

export interface Diagnostic {
  /** Stable code, e.g. `CT1001`; see diagnostics.ts for the table, catalog.ts for the words. */
  code: string;
  severity: Severity;
  message: string;
  loc?: Loc;
  notes: DiagnosticNote[];
  /** Quick fixes the core knows (an editor applies them as they are): see fixes.ts. */
  fixes?: DiagnosticFix[];
}

/** A quick fix: edits of the diagnostic's file (and of others, named in the edit). */
export interface DiagnosticFix {
  /** Which fix (catalog.ts FIXES): editors keep them apart by it. */
  kind: FixKind;
  title: string;
  /** Offsets into the file's text as the host read it; non-overlapping, in order. */
  edits: TextEdit[];
}

export type { TextEdit };

/** Maps a position in generated code (1-based line, 0-based column) to the user's source. */
export interface CodeMapping {
  line: number;
  column: number;
  original: Loc;
}

export interface GeneratedFunction {
  name: string;
  /** A complete `function NAME(params) { … }` in plain JavaScript (no types). */
  code: string;
  mappings: CodeMapping[];
  /**
   * The same function as IR, for hosts that build their AST directly instead of parsing `code`.
   * Statements carry the user's location in `loc` and the `// grad of:` text in `comment`.
   */
  params: Pattern[];
  body: Statement[];
  /** Its TypeScript signature, as a `declare function …;` line (from the types the analysis knows). */
  signature: string;
}

export interface DifferentiateResult {
  diagnostics: Diagnostic[];
  /** Present when there are no errors. */
  jvp?: GeneratedFunction;
  vjp?: GeneratedFunction;
  /**
   * The JVP as a function the core can differentiate again (for second derivatives: pass it to
   * `differentiate` with `secondOrderContext`, giving `f$jvp$jvp` and `f$jvp$vjp`).
   */
  jvpFunction?: MarkedFunction;
  /** For a `@kernel` mark: its WGSL (the host inserts `defineKernelCode(...)` after the function). */
  kernel?: KernelSource;
}

export type { MarkedFunction };
