// The module planner: everything a host used to decide about a whole file, decided once here.
//
// A host walks its own AST and reports, in source order and in host-neutral form, the sites where a
// mark may be (declarations with the comments before them, literals passed to `differentiable` or
// to an operator, methods with their decorators, operator calls on names) and the facts the core
// cannot see (which name is exported, which identifier refers to the module-level binding). The
// planner decides which sites are marks, names every generated function, asks the host to lower
// the marked ones to the IR, differentiates them (and their JVPs again where second derivatives are
// needed), and returns what to insert or replace at each site, with the diagnostics. A host then
// only turns IR into its AST and applies the edits: adding a host is an adapter.

import type { Diagnostic, GeneratedFunction, KnownFunction, MarkedFunction, ModuleClasses, ModuleContext, PrimitiveTable } from "./api.js";
import {
  defineDerivativesCode,
  defineKernelCode,
  derivativeNames,
  derivativesRecordCode,
  markOfComments,
  operatorCallCode,
  secondOrderRegistrationCode,
  uniqueName,
  wrtIndices,
  type Mark,
  type OperatorName,
} from "./host.js";
import { diagnostic, type SyntaxKind } from "./catalog.js";
import type { Loc } from "./ir.js";
import type { KernelSource } from "./kernel.js";
import { loadPrimitiveTable } from "./primitives.js";
import { differentiateSafely, differentiateSecondOrder, differentiatesAnOperator, secondOrderMode, type SecondOrderOption } from "./second-order.js";

// ---- what a host reports ------------------------------------------------------------------------

/** How the core asks a host to lower one marked function to the IR (the host's adapter does it). */
export interface LowerRequest {
  name: string;
  /** The identifier the IR names the runtime by (runtime imports become `<runtime>.<export>`). */
  runtime: string;
  kind: MarkedFunction["kind"];
  wrt?: string[];
  /** Where function-level diagnostics point. */
  markLoc?: Loc;
}

/** A function literal or declaration the host can lower, with the facts the planner needs before lowering. */
export interface FunctionFacts {
  /** Declared parameter names (a pattern: undefined), `this` parameters left out. */
  params: (string | undefined)[];
  /** The last parameter is a rest parameter. */
  rest: boolean;
  /** An arrow function that reads `this`: its derivatives must see the same `this` (arrows). */
  lexicalThis: boolean;
  lower(request: LowerRequest): MarkedFunction;
}

/** Text of each comment before a declaration, in source order, delimiters included (`/** … *\/`). */
export type Comments = readonly string[];

export type Site =
  /** A function declaration with a body. `overloadComments`: those of its overload signatures. */
  | { kind: "function"; id: number; name?: string; comments: Comments; overloadComments?: Comments[]; exported: boolean; markLoc?: Loc; fn: FunctionFacts; returnedKeys: string[][] }
  /** A variable statement whose first declarator is initialized with a function literal. */
  | { kind: "constant"; id: number; name?: string; declarators: number; comments: Comments; exported: boolean; markLoc?: Loc; fn: FunctionFacts }
  /** A class method (or accessor): JSDoc comments, and the decorators that name the runtime's `differentiable`. */
  | {
      kind: "method";
      id: number;
      /** A plain (identifier or string) key; undefined for computed keys. */
      name?: string;
      accessor: "method" | "get" | "set" | "constructor";
      hasBody: boolean;
      comments: Comments;
      decorators: { wrt?: string[]; invalidWrt?: Loc; loc?: Loc }[];
      /** The declared class's name; undefined for class expressions and anonymous classes. */
      className?: string;
      isStatic: boolean;
      exported: boolean;
      markLoc?: Loc;
      fn: FunctionFacts;
    }
  /** `differentiable(literal, { wrt })`; `binding`: the `const` it initializes. */
  | { kind: "wrapper"; id: number; binding?: string; exported: boolean; wrt?: string[]; invalidWrt?: Loc; markLoc?: Loc; fn: FunctionFacts }
  /** `const h = differentiable(f)`: another name for `f`. */
  | { kind: "alias"; id: number; binding: string; of: string }
  /** `op(literal)`: a function literal passed straight to an operator. */
  | { kind: "inline"; id: number; op: OperatorName; markLoc?: Loc; fn: FunctionFacts }
  /**
   * `op(f)` or `outer(inner(f))` with `f` an identifier; `moduleScope`: f names the module-level
   * binding (not a local that shadows it).
   */
  | {
      kind: "operatorCall";
      id: number;
      op: OperatorName;
      inner?: OperatorName;
      name: string;
      moduleScope: boolean;
      /** The call is the argument of another operator call (the `inner(f)` of `outer(inner(f))`). */
      underOperator?: boolean;
    };

export interface ModuleInput {
  fileName: string;
  source: string;
  /** Every identifier in the file. */
  takenNames: Set<string>;
  shadowedGlobals?: Set<string>;
  /** Names the file binds with `const` at its top level: a pullback reads them as they are (nothing reassigns them). */
  moduleConstants?: Set<string>;
  /** The runtime's op table; by default read from the `@cotangent/runtime` the file resolves. */
  primitives?: PrimitiveTable;
  /** The accessors of the module's own classes (getters.ts), given the runtime identifier. */
  classes?: (runtime: string) => ModuleClasses;
  /** In source order (names are given in that order). */
  sites: Site[];
  secondOrder?: SecondOrderOption;
  fuse?: boolean;
}

// ---- what the planner returns -------------------------------------------------------------------

/** A generated statement: a function (as a `const` arrow when it must keep the enclosing `this`) or code. */
export type Piece = { kind: "function"; fn: GeneratedFunction; arrow: boolean } | { kind: "code"; code: string };

/**
 * An expression that replaces a node: `code` with identifiers in `holes` standing for the node's
 * original function literal / first argument, or for a generated function as an expression.
 */
export interface Replacement {
  code: string;
  holes: Record<string, "original" | Piece>;
  /** A call's arguments after the first (the function) stay, after the replacement's own. */
  keepRestArguments?: boolean;
}

export type SiteEdit =
  /** Statements after / before the statement the site belongs to (a method's: its class's). */
  | { site: number; kind: "after" | "before"; pieces: Piece[] }
  /** The site's node (a constant's literal, a wrapper's or inline mark's call) becomes `replacement`; "original" is the function literal. */
  | { site: number; kind: "replace"; replacement: Replacement }
  /** operatorCall: the call becomes `replacement` ("original" is its function argument). */
  | { site: number; kind: "replaceOperator"; replacement: Replacement }
  /** method: the generated functions as members beside it (static when the method is). */
  | { site: number; kind: "members"; functions: GeneratedFunction[]; isStatic: boolean }
  /** method: the `differentiable` decorators are marks, not run-time code. */
  | { site: number; kind: "removeDecorators" };

/** A site the planner found to be a mark. */
export interface PlannedMark {
  site: number;
  kind: "declaration" | "constant" | "method" | "wrapper" | "inline";
  name: string;
  info: KnownFunction;
  marked: MarkedFunction;
  ok: boolean;
  jvp?: GeneratedFunction;
  vjp?: GeneratedFunction;
  kernel?: KernelSource;
  second?: { jvp: GeneratedFunction; vjp: GeneratedFunction; info: KnownFunction };
  /** The fused gradient (`f$grad`), for a mark the module takes `gradient` of, when it is scalar code. */
  grad?: GeneratedFunction;
  /** The fused value and gradient (`f$valueWithGradient`), for a mark the module takes `valueWithGradient` of, likewise. */
  valueGrad?: GeneratedFunction;
}

export interface ModulePlan {
  /** The identifier generated code reaches the runtime through (`import * as <runtime>`). */
  runtime: string;
  /** Import the runtime as that namespace: some edit uses it. */
  importsRuntime: boolean;
  marks: PlannedMark[];
  /** `/** @derivative(of: f) *\/` functions: which function they are for, and in which mode. */
  customDerivatives: { site: number; of: string; mode: "jvp" | "vjp" }[];
  edits: SiteEdit[];
  diagnostics: Diagnostic[];
  ctx: ModuleContext;
}

/**
 * What a file that may have sites contains: a mark's tag, or the runtime's module name (operators
 * and `differentiable(…)` are imported from it). Bundlers take it as their hook filter.
 */
export const MARK_HINT = /@differentiable|@derivative|@kernel|@cotangent\/runtime/;

/** Could a file of this text have marks at all? (The text test every host runs before parsing.) */
export function mightHaveMarks(text: string): boolean {
  return MARK_HINT.test(text);
}

/** Inner operators whose result the runtime can differentiate again (`RT.secondOrder`). */
export function isSecondOrderInner(op: string): boolean {
  return op === "derivative" || op === "gradient";
}

/** The mark a function site carries: its own comments, else an overload signature's. */
function functionMark(site: Extract<Site, { kind: "function" }>): Mark | undefined {
  return markOfComments(site.comments) ?? site.overloadComments?.map((c) => markOfComments(c)).find((m) => m);
}

/** Is this site a mark, and of which kind (what `findMarks`-style listings show)? */
export function siteMark(site: Site): { kind: PlannedMark["kind"] | "custom" | "alias"; wrt?: string[]; kernel?: boolean; of?: string } | undefined {
  switch (site.kind) {
    case "function": {
      const mark = functionMark(site);
      if (mark?.kind === "derivative") return site.name && mark.of ? { kind: "custom", of: mark.of } : undefined;
      return mark && { kind: "declaration", ...pick(mark) };
    }
    case "constant": {
      const mark = markOfComments(site.comments);
      return mark?.kind === "differentiable" ? { kind: "constant", ...pick(mark) } : undefined;
    }
    case "method": {
      // A decorator's mark stands over a JSDoc one.
      const d = site.decorators[0];
      if (d) return { kind: "method", ...(d.wrt ? { wrt: d.wrt } : {}) };
      const mark = site.hasBody ? markOfComments(site.comments) : undefined;
      return mark?.kind === "differentiable" ? { kind: "method", ...pick(mark) } : undefined;
    }
    case "wrapper":
      return { kind: "wrapper", ...(site.wrt ? { wrt: site.wrt } : {}) };
    case "inline":
      return { kind: "inline" };
    case "alias":
      return { kind: "alias" };
    case "operatorCall":
      return undefined;
  }
}

function pick(mark: Mark): { wrt?: string[]; kernel?: boolean } {
  return { ...(mark.wrt ? { wrt: mark.wrt } : {}), ...(mark.kernel ? { kernel: true } : {}) };
}

/** A mark the planner cannot honour: reported by the core as unsupported syntax (CT1001), in the function's context. */
function rejectInBody(marked: MarkedFunction, syntax: SyntaxKind, loc: Loc | undefined): void {
  const stmt = { type: "UnsupportedStatement" as const, syntax, loc };
  if (marked.body.type === "BlockStatement") marked.body = { ...marked.body, body: [stmt, ...marked.body.body] };
  else marked.body = { type: "BlockStatement", body: [stmt, { type: "ReturnStatement", argument: marked.body, loc: marked.body.loc }], loc: marked.body.loc };
}

type MarkSite = Extract<Site, { kind: "function" | "constant" | "method" | "wrapper" | "inline" }>;

/** Decides, names, differentiates and places everything the module's marks need. */
export function planModule(input: ModuleInput): ModulePlan {
  const taken = input.takenNames;
  const runtime = uniqueName("__ct", taken);
  const primitives = input.primitives ?? loadPrimitiveTable(input.fileName);
  const ctx: ModuleContext = {
    fileName: input.fileName,
    source: input.source,
    runtime,
    known: new Map(),
    knownMethods: new Map(),
    takenNames: taken,
    ...(input.shadowedGlobals ? { shadowedGlobals: input.shadowedGlobals } : {}),
    ...(input.moduleConstants ? { moduleConstants: input.moduleConstants } : {}),
    ...(primitives ? { primitives } : {}),
    ...(input.fuse === false ? { fuse: false } : {}),
    ...(input.classes ? { classes: input.classes(runtime) } : {}),
  };
  const diagnostics: Diagnostic[] = [];
  const marks: PlannedMark[] = [];
  const customDerivatives: ModulePlan["customDerivatives"] = [];
  const aliases: Extract<Site, { kind: "alias" }>[] = [];
  const operatorCalls: Extract<Site, { kind: "operatorCall" }>[] = [];
  const sites = new Map<number, MarkSite>();
  const edits: SiteEdit[] = [];

  // 1. Which sites are marks; every mark's names and KnownFunction first, so marked functions may
  //    call each other (and themselves) in any order.
  for (const site of input.sites) {
    if (site.kind === "alias") aliases.push(site);
    if (site.kind === "operatorCall") operatorCalls.push(site);
    if (site.kind === "alias" || site.kind === "operatorCall") continue;
    const mark = siteMark(site);
    if (site.kind === "method" && site.decorators.length > 0) edits.push({ site: site.id, kind: "removeDecorators" });
    if (!mark) continue;
    if (mark.kind === "custom" && site.kind === "function") {
      const mode = site.returnedKeys.some((keys) => keys.includes("differential") && !keys.includes("pullback")) ? "jvp" : "vjp";
      customDerivatives.push({ site: site.id, of: mark.of!, mode });
      edits.push({ site: site.id, kind: "after", pieces: [{ kind: "code", code: `${runtime}.registerDerivative(${mark.of}, { ${mode}: ${site.name} }, { replace: true });` }] });
      continue;
    }
    if (site.kind === "constant" && site.declarators !== 1) continue;
    const kind = mark.kind as PlannedMark["kind"];
    // Only names other code refers to are known to the module; the others get stable names too.
    const referableName =
      site.kind === "function" || site.kind === "constant" ? site.name
      : site.kind === "method" ? site.name
      : site.kind === "wrapper" ? site.binding
      : undefined;
    const name = referableName ?? uniqueName("anonymous", taken);
    const isMethod = site.kind === "method";
    // Methods of one name share derivative names in every class: `obj.m$jvp(…)` dispatches as `obj.m(…)` does.
    const shared = isMethod ? ctx.knownMethods.get(name) : undefined;
    const { jvpName, vjpName } = shared ?? derivativeNames(name, taken);
    const fn = site.fn;
    const info: KnownFunction = { jvpName, vjpName, arity: fn.params.length, wrt: wrtIndices(fn.params, mark.wrt).indices, isMethod, ...(fn.rest ? { rest: true } : {}) };
    let marked: MarkedFunction;
    try {
      marked = fn.lower({ name, runtime, kind: kind === "declaration" ? "declaration" : isMethod ? "method" : "expression", ...(mark.wrt ? { wrt: mark.wrt } : {}), ...(site.markLoc ? { markLoc: site.markLoc } : {}) });
    } catch (e) {
      // A bug in the host's adapter: located at the mark, like one in the core.
      const message = e instanceof Error ? e.message : String(e);
      diagnostics.push(diagnostic("CT9000", "lowering", { fn: name, error: message }, site.markLoc));
      continue;
    }
    if (mark.kernel) marked.kernel = true;
    if (marked.returnType) info.returnType = marked.returnType;
    if ((site.kind === "wrapper" || site.kind === "method") && (site.kind === "wrapper" ? site.invalidWrt : site.decorators[0]?.invalidWrt)) {
      rejectInBody(marked, "InvalidWrtOption", site.kind === "wrapper" ? site.invalidWrt : site.decorators[0]!.invalidWrt);
    }
    if (site.kind === "function" && !site.name) rejectInBody(marked, "AnonymousDefaultExport", marked.loc);
    if (site.kind === "method") {
      if (site.name === undefined || site.accessor !== "method") {
        rejectInBody(marked, "AccessorMark", site.markLoc);
      } else if (!site.className) {
        rejectInBody(marked, "AnonymousClassMethod", site.markLoc);
      } else {
        // Where the method lives: its derivatives defer to an override found on `this` instead.
        marked.owner = site.isStatic ? site.className : `${site.className}.prototype`;
      }
    }
    const planned: PlannedMark = { site: site.id, kind, name, info, marked, ok: false };
    marks.push(planned);
    sites.set(site.id, site);
    if (referableName && !isMethod) ctx.known.set(name, info);
    if (isMethod && site.name !== undefined) ctx.knownMethods.set(name, info);
  }
  for (const a of aliases) if (ctx.known.has(a.of) && !ctx.known.has(a.binding)) ctx.known.set(a.binding, ctx.known.get(a.of)!);

  // A mark the module takes the gradient of (`gradient(f)`, `gradient((x) => …)`) also gets a fused
  // gradient function, which the operator returns instead of going through the VJP and its
  // pullback; likewise `valueWithGradient` (the core generates them only for scalar code:
  // reverse.ts `fusable`).
  const operandsOf = (op: string) => new Set(operatorCalls.filter((c) => c.op === op && !c.inner && !c.underOperator && c.moduleScope).map((c) => ctx.known.get(c.name)));
  const gradientOf = operandsOf("gradient");
  const valueWithGradientOf = operandsOf("valueWithGradient");
  for (const m of marks) {
    if (m.kind === "method" || m.info.rest) continue;
    const inlineOp = m.kind === "inline" ? (sites.get(m.site) as Extract<Site, { kind: "inline" }>).op : undefined;
    if (inlineOp === "gradient" || gradientOf.has(m.info)) m.info.gradName = uniqueName(`${m.name}$grad`, taken);
    if (inlineOp === "valueWithGradient" || valueWithGradientOf.has(m.info)) m.info.valueGradName = uniqueName(`${m.name}$valueWithGradient`, taken);
  }

  // 2. Differentiate every mark; a mark no other code names still finds its own names in the context.
  /** Each mark's JVP as a function the core can differentiate again (for second order). */
  const jvpFunctions = new Map<PlannedMark, MarkedFunction>();
  for (const m of marks) {
    const own = m.kind === "inline" || (m.kind === "wrapper" && !ctx.known.has(m.name)) ? { ...ctx, known: new Map([...ctx.known, [m.name, m.info]]) } : ctx;
    const r = differentiateSafely(m.marked, own);
    diagnostics.push(...r.diagnostics);
    m.ok = !r.diagnostics.some((d) => d.severity === "error") && !!r.jvp && !!r.vjp;
    if (r.jvp) m.jvp = r.jvp;
    if (r.vjp) m.vjp = r.vjp;
    if (r.kernel) m.kernel = r.kernel;
    // Not scalar code: the operators use the VJP.
    if (r.grad) m.grad = r.grad;
    else delete m.info.gradName;
    if (r.valueGrad) m.valueGrad = r.valueGrad;
    else delete m.info.valueGradName;
    if (r.jvpFunction) jvpFunctions.set(m, r.jvpFunction);
  }

  // 3. Second derivatives: which marks' JVPs are differentiated again (second-order.ts).
  const referable = (m: PlannedMark) => m.kind === "declaration" || m.kind === "method" || m.kind === "constant" || (m.kind === "wrapper" && ctx.known.get(m.name) === m.info);
  const requested =
    operatorCalls.some((c) => c.inner && isSecondOrderInner(c.inner) && ctx.known.has(c.name)) ||
    differentiatesAnOperator(
      marks.filter((m) => m.ok).map((m) => m.marked),
      ctx,
    );
  const exportsAMark = marks.some((m) => referable(m) && (sites.get(m.site) as { exported?: boolean }).exported);
  const mode = secondOrderMode(requested, exportsAMark, input.secondOrder ?? "requested");
  const secondByInfo = new Map<KnownFunction, KnownFunction>();
  if (mode && marks.every((m) => m.ok)) {
    const candidates = marks.filter((m) => referable(m) && jvpFunctions.has(m));
    const so = differentiateSecondOrder(
      ctx,
      candidates.map((m) => ({ jvpFunction: jvpFunctions.get(m)!, isMethod: m.kind === "method" })),
      mode,
    );
    diagnostics.push(...so.diagnostics);
    candidates.forEach((m, i) => {
      const second = so.results[i];
      if (!second) return;
      m.second = second;
      secondByInfo.set(m.info, second.info);
    });
  }
  // Marks that failed are not known: no call resolves to derivatives that are not there.
  for (const m of marks) {
    if (m.ok) continue;
    if (ctx.known.get(m.name) === m.info) ctx.known.delete(m.name);
    if (ctx.knownMethods.get(m.name) === m.info) ctx.knownMethods.delete(m.name);
  }

  // 4. Where the generated code goes.
  for (const m of marks) if (m.ok) edits.push(...markEdits(m, sites.get(m.site)!, ctx, taken));
  for (const c of operatorCalls) {
    const edit = operatorEdit(c, ctx, secondByInfo, taken);
    if (edit) edits.push(edit);
  }

  return { runtime, importsRuntime: edits.some((e) => e.kind !== "removeDecorators"), marks, customDerivatives, edits, diagnostics, ctx };
}

/** The insertions and replacements for one differentiated mark. */
function markEdits(m: PlannedMark, site: MarkSite, ctx: ModuleContext, taken: Set<string>): SiteEdit[] {
  const rt = ctx.runtime;
  const { info } = m;
  const arrow = site.fn.lexicalThis;
  const fn = (g: GeneratedFunction): Piece => ({ kind: "function", fn: g, arrow });
  const code = (text: string): Piece => ({ kind: "code", code: text });
  const second = m.second ? [m.second.jvp, m.second.vjp] : [];
  const registerSecond = (owner?: string) => (m.second ? [code(secondOrderRegistrationCode(rt, info.jvpName, m.second.info, owner))] : []);
  const hole = (base: string) => uniqueName(base, taken);
  const grad = [m.grad, m.valueGrad].filter((g) => g !== undefined).map(fn);
  const fused = { grad: info.gradName, valueWithGradient: info.valueGradName };
  switch (m.kind) {
    case "declaration":
      return [
        {
          site: m.site,
          kind: "after",
          pieces: [
            fn(m.jvp!),
            fn(m.vjp!),
            ...grad,
            ...second.map(fn),
            ...registerSecond(),
            code(`${defineDerivativesCode(rt, m.name, info, m.name, info.jvpName, info.vjpName, fused)};`),
            ...(m.kernel ? [code(`${defineKernelCode(rt, m.name, m.kernel)};`)] : []),
          ],
        },
      ];
    case "constant":
    case "wrapper": {
      const fnHole = hole("$fn");
      if (m.kind === "constant" || ctx.known.get(m.name) === info) {
        // Named: the derivatives before the statement (other code refers to them by name); the
        // literal becomes `RT.defineDerivatives(literal, {...})`, which returns it.
        return [
          { site: m.site, kind: "before", pieces: [fn(m.jvp!), fn(m.vjp!), ...grad, ...second.map(fn), ...registerSecond()] },
          { site: m.site, kind: "replace", replacement: { code: defineDerivativesCode(rt, m.name, info, fnHole, info.jvpName, info.vjpName, fused), holes: { [fnHole]: "original" } } },
        ];
      }
      // Anywhere else: the derivatives inline, as expressions in the literal's scope (same captures, same `this`).
      const [jvpHole, vjpHole] = [hole("$jvp"), hole("$vjp")];
      return [
        {
          site: m.site,
          kind: "replace",
          replacement: { code: defineDerivativesCode(rt, m.name, info, fnHole, jvpHole, vjpHole), holes: { [fnHole]: "original", [jvpHole]: fn(m.jvp!), [vjpHole]: fn(m.vjp!) } },
        },
      ];
    }
    case "inline": {
      const [fnHole, jvpHole, vjpHole] = [hole("$fn"), hole("$jvp"), hole("$vjp")];
      const gradHole = m.grad ? hole("$grad") : undefined;
      const valueGradHole = m.valueGrad ? hole("$valueWithGradient") : undefined;
      const op = (site as Extract<Site, { kind: "inline" }>).op;
      return [
        {
          site: m.site,
          kind: "replace",
          replacement: {
            code: operatorCallCode(rt, op, derivativesRecordCode(rt, m.name, info, jvpHole, vjpHole, fnHole, { grad: gradHole, valueWithGradient: valueGradHole })),
            holes: {
              [fnHole]: "original",
              [jvpHole]: fn(m.jvp!),
              [vjpHole]: fn(m.vjp!),
              ...(gradHole ? { [gradHole]: fn(m.grad!) } : {}),
              ...(valueGradHole ? { [valueGradHole]: fn(m.valueGrad!) } : {}),
            },
            keepRestArguments: true,
          },
        },
      ];
    }
    case "method": {
      const owner = m.marked.owner!;
      return [
        { site: m.site, kind: "members", functions: [m.jvp!, m.vjp!, ...second], isStatic: (site as Extract<Site, { kind: "method" }>).isStatic },
        {
          site: m.site,
          kind: "after",
          pieces: [code(`${defineDerivativesCode(rt, m.name, info, `${owner}.${m.name}`, `${owner}.${info.jvpName}`, `${owner}.${info.vjpName}`)};`), ...registerSecond(owner)],
        },
      ];
    }
  }
}

/**
 * `op(f)` with f a mark of this module resolves at build time to the operator applied to f's
 * derivatives record; `outer(inner(f))` to the runtime's second-order record from f's and its JVP's.
 */
function operatorEdit(c: Extract<Site, { kind: "operatorCall" }>, ctx: ModuleContext, secondByInfo: Map<KnownFunction, KnownFunction>, taken: Set<string>): SiteEdit | undefined {
  const info = ctx.known.get(c.name);
  if (!info || !c.moduleScope) return undefined;
  const rt = ctx.runtime;
  const fnHole = uniqueName("$fn", taken);
  const record = derivativesRecordCode(rt, c.name, info, info.jvpName, info.vjpName, fnHole, { grad: info.gradName, valueWithGradient: info.valueGradName });
  if (!c.inner) return { site: c.id, kind: "replaceOperator", replacement: { code: operatorCallCode(rt, c.op, record), holes: { [fnHole]: "original" }, keepRestArguments: true } };
  const second = secondByInfo.get(info);
  if (!second || !isSecondOrderInner(c.inner)) return undefined;
  const inner = `${rt}.secondOrder(${JSON.stringify(c.inner)}, ${record}, { jvp: ${second.jvpName}, vjp: ${second.vjpName} })`;
  return { site: c.id, kind: "replaceOperator", replacement: { code: operatorCallCode(rt, c.op, inner), holes: { [fnHole]: "original" }, keepRestArguments: true } };
}

