// The pipeline for one marked function: normalize → analyse → generate JVP and VJP → print.

import { compileKernel, type KernelSource } from "./kernel.js";
import { Analysis } from "./analysis.js";
import type { DifferentiateResult, GeneratedFunction, KnownFunction, MarkedFunction, ModuleContext } from "./api.js";
import { ForwardGenerator, type GenContext } from "./forward.js";
import { fuseChains } from "./fusion.js";
import { attachFixes } from "./fixes.js";
import { inlineGetters } from "./getters.js";
import { derivativeNames } from "./host.js";
import type { FunctionDeclaration, Loc, Statement } from "./ir.js";
import { Names } from "./naming.js";
import type { NFunction } from "./nir.js";
import { Normalizer } from "./normalize.js";
import { Printer } from "./print.js";
import { ReverseGenerator } from "./reverse.js";
import { derivativeSignatures } from "./signature.js";

/** The first line of the user's source at `loc`, whitespace collapsed: what `// grad of:` quotes. */
function quoter(source: string): (loc: Loc | undefined) => string | undefined {
  return (loc) => {
    if (!loc) return undefined;
    const text = source.slice(loc.start, loc.end).split("\n")[0]!.replace(/\s+/g, " ").trim();
    if (!text) return undefined;
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
  };
}

interface Derivatives {
  jvp: { params: FunctionDeclaration["params"]; body: Statement[] };
  vjp: { params: FunctionDeclaration["params"]; body: Statement[] };
  /** The fused gradient, when asked for and the function is scalar code (reverse.ts `fusable`). */
  grad?: { params: FunctionDeclaration["params"]; body: Statement[] };
  /** The fused value and gradient, likewise. */
  valueGrad?: { params: FunctionDeclaration["params"]; body: Statement[] };
}

function generate(
  fn: NFunction,
  analysis: Analysis,
  ctx: ModuleContext,
  names: Names,
  analyses: Map<NFunction, Analysis>,
  fused: { gradient?: boolean; valueWithGradient?: boolean } = {},
): Derivatives {
  const quote = quoter(ctx.source);
  // The fused functions are functions of their own: each takes the names as they were before the
  // JVP and the VJP took theirs (`$tape`, not `$tape$1`).
  const takenBefore = new Set(names.taken);
  const nestedDerivatives = new Map<NFunction, Derivatives>();
  const nestedDecl = (mode: "jvp" | "vjp") => (nfn: NFunction): Statement[] => {
    const entry = fn.nested.find((n) => n.fn === nfn)!;
    let d = nestedDerivatives.get(nfn);
    if (!d) nestedDerivatives.set(nfn, (d = generate(nfn, analyses.get(nfn)!, ctx, new Names(names.taken), analyses)));
    const name = mode === "jvp" ? entry.info.jvpName : entry.info.vjpName;
    const part = d[mode];
    return [{ type: "FunctionDeclaration", id: { type: "Identifier", name }, params: part.params, body: { type: "BlockStatement", body: part.body }, loc: entry.loc }];
  };
  const base = { runtime: ctx.runtime, names, quote, ...(ctx.moduleConstants ? { moduleConstants: ctx.moduleConstants } : {}) };
  const fwdCtx: GenContext = { ...base, nestedCode: nestedDecl("jvp") };
  const revCtx: GenContext = { ...base, nestedCode: nestedDecl("vjp") };
  const fwd = new ForwardGenerator(fn, analysis, fwdCtx);
  // Reverse mode runs chains of elementwise tensor ops fused (fusion.ts); its function is analysed again.
  const fusedFn = ctx.primitives && ctx.fuse !== false ? fuseChains(fn, ctx.runtime, (e) => analysis.typeOf(e)) : fn;
  const revAnalysis = fusedFn === fn ? analysis : new Analysis(fusedFn, undefined);
  const rev = new ReverseGenerator(fusedFn, revAnalysis, revCtx);
  const out: Derivatives = { jvp: { params: fwd.params(), body: fwd.body() }, vjp: { params: rev.params(), body: rev.body() } };
  // The fused functions are generated apart (a generator per function written), after the VJP so
  // that its names stay as they were.
  const fusedGenerator = () => new ReverseGenerator(fusedFn, revAnalysis, { ...revCtx, names: new Names(new Set(takenBefore)) });
  if (fused.gradient) {
    const g = fusedGenerator();
    if (g.fusable()) out.grad = { params: g.params(), body: g.gradientBody() };
  }
  if (fused.valueWithGradient) {
    const g = fusedGenerator();
    if (g.fusable()) out.valueGrad = { params: g.params(), body: g.gradientBody(true) };
  }
  return out;
}

function namesFor(fn: MarkedFunction, ctx: ModuleContext, taken: Set<string>): Pick<KnownFunction, "jvpName" | "vjpName" | "gradName" | "valueGradName"> {
  const known = fn.kind === "method" ? ctx.knownMethods.get(fn.name) : ctx.known.get(fn.name);
  return known ?? derivativeNames(fn.name, taken);
}

/**
 * Differentiates one marked function: returns diagnostics, and when there are no errors the
 * JVP (`NAME$jvp(…args, …tangents) → { value, tangent }`) and VJP (`NAME$vjp(…args) →
 * { value, pullback }`) as JavaScript function declarations with mappings to the user's lines.
 */
export function differentiate(fn: MarkedFunction, ctx: ModuleContext): DifferentiateResult {
  const result = run(fn, ctx);
  // The quick fixes the checks asked for, as edits of the file (fixes.ts).
  attachFixes(result.diagnostics, fn, ctx);
  return result;
}

function run(fn: MarkedFunction, ctx: ModuleContext): DifferentiateResult {
  const taken = new Set(ctx.takenNames);
  const { jvpName, vjpName, gradName, valueGradName } = namesFor(fn, ctx, taken);
  const normalizer = new Normalizer(fn, ctx, taken);
  const nfn = normalizer.run();
  const diagnostics = [...normalizer.diagnostics];
  inlineGetters(nfn, ctx, fn.loc, diagnostics);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };

  // Analyse the function and every nested function it calls.
  const analyses = new Map<NFunction, Analysis>();
  const analyse = (f: NFunction, loc: Loc | undefined) => {
    // Local functions first: the type of what they return tells their callers' analysis whether
    // a call's result is a number.
    for (const n of f.nested) {
      const inner = analyse(n.fn, n.loc);
      n.info.returnType ??= inner.typeOf(n.fn.result);
    }
    const a = new Analysis(f, loc);
    analyses.set(f, a);
    diagnostics.push(...a.diagnostics.filter((d) => f === nfn || d.severity === "error"));
    return a;
  };
  analyse(nfn, fn.loc);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };

  const names = new Names(taken);
  const d = generate(nfn, analyses.get(nfn)!, ctx, names, analyses, { gradient: gradName !== undefined, valueWithGradient: valueGradName !== undefined });
  const signatures = derivativeSignatures(nfn, analyses.get(nfn)!, names, jvpName, vjpName, {
    ...(d.grad && gradName ? { grad: gradName } : {}),
    ...(d.valueGrad && valueGradName ? { valueGrad: valueGradName } : {}),
  });
  const print = (name: string, part: Derivatives["jvp"], signature: string): GeneratedFunction => {
    const p = new Printer();
    const code = p.functionDeclaration(name, part.params, part.body);
    return { name, code, mappings: p.mappings, params: part.params, body: part.body, signature };
  };
  const jvpFunction: MarkedFunction = {
    name: jvpName,
    kind: fn.kind === "method" ? "method" : "declaration",
    params: d.jvp.params,
    body: { type: "BlockStatement", body: d.jvp.body },
    loc: fn.loc,
    isArrow: false,
    owner: fn.owner,
  };
  let kernel: KernelSource | undefined;
  if (fn.kernel) {
    const k = compileKernel(fn);
    diagnostics.push(...k.diagnostics);
    if (k.diagnostics.length) return { diagnostics };
    kernel = k.kernel;
  }
  const grad = d.grad && gradName ? print(gradName, d.grad, signatures.grad ?? "") : undefined;
  const valueGrad = d.valueGrad && valueGradName ? print(valueGradName, d.valueGrad, signatures.valueGrad ?? "") : undefined;
  return {
    diagnostics,
    jvp: print(jvpName, d.jvp, signatures.jvp),
    vjp: print(vjpName, d.vjp, signatures.vjp),
    jvpFunction,
    ...(grad ? { grad } : {}),
    ...(valueGrad ? { valueGrad } : {}),
    ...(kernel ? { kernel } : {}),
  };
}
