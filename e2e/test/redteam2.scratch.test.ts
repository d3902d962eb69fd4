import { test } from "@jest/globals";
import { gradient, derivative, differential, valueWithGradient, pullback, valueWithPullback, valueWithDifferential } from "@cotangent/runtime";
import * as path from "path";
import { compileWithBabel, compileWithTsPatch, compilePlain, compiledCode } from "../harness/compile";
import { finiteDifferenceGradient, compareTrees, describe as desc } from "../harness/check";

const DIR = path.join(__dirname, "..", "corpus");
let n = 0;
const H = `import { differentiable, gradient, derivative, differential, valueWithGradient, pullback, valueWithPullback, valueWithDifferential, withoutDerivative } from "@cotangent/runtime";\n`;
function both(name: string, src: string, run: (m: any, host: string) => unknown) {
  for (const [host, comp] of [["babel", compileWithBabel], ["ts-patch", compileWithTsPatch]] as const) {
    const file = path.join(DIR, `__rt2_${n++}.ts`);
    let out: string;
    try {
      const m = comp(H + src, file);
      try { out = desc(run(m, host)); } catch (e: any) { out = `RUN THREW ${e?.name} ${e?.code ?? ""}: ${String(e?.message).slice(0, 400)}`; }
    } catch (e: any) { out = `COMPILE ERR: ${String(e?.message).slice(0, 600)}`; }
    console.log(`### ${name} [${host}]\n${out}`);
  }
}
(globalThis as any).__both = both;

test("methods", () => {
  both("class calls via this + static", `
export class A {
  k = 2; w = [1, 2, 3];
  @differentiable sq(x: number): number { return this.k * x * x; }
  @differentiable twice(x: number): number { return this.sq(x) + this.sq(2 * x); }
  @differentiable static st(x: number): number { return Math.sin(x) * 3; }
  @differentiable useStatic(x: number): number { return A.st(x) + this.twice(x); }
  @differentiable arr(x: number): number { let s = 0; for (let i = 0; i < this.w.length; i++) s += this.w[i] * x ** i; for (const v of this.w) s += v * x; return s; }
  @differentiable energy(x: number): number { return x * x * this.k; }
  @differentiable other(o: A, x: number): number { return o.energy(x) + this.energy(x); }
}
export class B extends A {
  k = 5;
  @differentiable callInherited(x: number): number { return this.sq(x) + this.sq(x); }
}
const a = new A(); const b = new B();
export const r = () => ({
  twice: gradient((x: number) => a.twice(x))(0.7), twiceExp: 2*2*0.7 + 2*2*2*0.7*2,
  st: gradient(A.st)(0.3), stExp: 3*Math.cos(0.3),
  useStatic: gradient((x: number) => a.useStatic(x))(0.3),
  useStaticExp: 3*Math.cos(0.3) + 2*2*0.3 + 2*2*2*0.3*2,
  arr: gradient((x: number) => a.arr(x))(0.5), arrExp: 2 + 3*2*0.5 + 6,
  other: gradient((x: number) => a.other(b, x))(0.5), otherExp: 2*0.5*5 + 2*0.5*2,
  inh: gradient((x: number) => b.callInherited(x))(0.5), inhExp: 2*5*0.5*2,
  methodDirect: gradient(a.sq).call(a, 0.5),
  otherDirectBound: (gradient(b.twice) as any).call(b, 0.5), otherDirectBoundExp: 2*5*0.5 + 2*5*2*0.5*2,
});`, (m) => m.r());
});
test("methods2", () => {
  both("override dispatch", `
export class A {
  k = 2;
  @differentiable sq(x: number): number { return this.k * x * x; }
  @differentiable twice(x: number): number { return this.sq(x) + 1; }
}
export class B extends A {
  @differentiable sq(x: number): number { return Math.sin(x); }
}
export class C extends A {
  sq(x: number): number { return x * x * x; }
}
const b = new B(); const c = new C();
export const r = () => ({
  primalB: b.twice(0.5), gB: gradient((x: number) => b.twice(x))(0.5), gBexp: Math.cos(0.5),
  dB: derivative((x: number) => b.twice(x))(0.5),
  gC: (() => { try { return gradient((x: number) => c.twice(x))(0.5); } catch (e: any) { return e.code + ": " + e.message; } })(), gCexp: 3*0.25,
  dC: (() => { try { return derivative((x: number) => c.twice(x))(0.5); } catch (e: any) { return e.code + ": " + e.message; } })(),
});`, (m) => m.r());
  both("private method, field arrow, object-literal method", `
export class P {
  k = 3;
  /** @differentiable */ #h(x: number): number { return this.k * x * x; }
  @differentiable pub(x: number): number { return this.#h(x); }
  f = differentiable((x: number) => this.k * Math.sin(x));
}
const p = new P();
const o = {
  k: 4,
  /** @differentiable */ m(x: number): number { return this.k * x * x; },
};
export const r = () => ({
  pub: gradient((x: number) => p.pub(x))(0.5), pubExp: 3,
  f: gradient(p.f)(0.5), fExp: 3*Math.cos(0.5),
  o: gradient((x: number) => o.m(x))(0.5), oExp: 4,
});`, (m) => m.r());
  both("this-free method called with other receiver through gradient(obj.method)", `
export class Q {
  constructor(public k: number) {}
  @differentiable e(x: number): number { return this.k * x * x; }
}
const q1 = new Q(1), q2 = new Q(10);
export const r = () => ({
  g1: gradient(q1.e).call(q1, 1), g2: gradient(q2.e).call(q2, 1), g2unbound: (() => { try { return gradient(q2.e)(1); } catch (e: any) { return String(e.code) + ": " + e.message; } })(),
});`, (m) => m.r());
});
test("showcode", () => {
  const src = process.env.RT2_SRC ?? "";
  const host = (process.env.RT2_HOST ?? "babel") as any;
  console.log(compiledCode(host, H + src, path.join(DIR, "__rt2_show.ts")));
});
test("methods3", () => {
  both("duck-typed other / instance-own override", `
export class A {
  k = 2;
  @differentiable energy(x: number): number { return this.k * x * x; }
  @differentiable other(o: A, x: number): number { return o.energy(x) + x; }
  @differentiable self(x: number): number { return this.energy(x); }
}
const a = new A();
const duck: A = { k: 1, energy: differentiable((x: number) => 7 * x), other: a.other, self: a.self } as any;
const own = new A(); own.energy = (x: number) => x * x * x * 10;
export const r = () => ({
  duck: (() => { try { return gradient((x: number) => a.other(duck, x))(0.5); } catch (e: any) { return e.code + ": " + e.message; } })(), duckExp: 8,
  own: (() => { try { return gradient((x: number) => own.self(x))(0.5); } catch (e: any) { return e.code + ": " + e.message; } })(), ownExp: 30*0.25, ownPrimal: own.self(0.5),
});`, (m) => m.r());
});
test("modules", () => {
  both("export default + export later", `
/** @differentiable */
export default function (x: number): number { return x * Math.sin(x); }
/** @differentiable */
function later(x: number): number { return x * x * x; }
export { later, later as renamed };
/** @differentiable */
export function useLater(x: number): number { return later(x) * 2; }
`, (m) => ({ def: gradient(m.default)(0.5), defExp: Math.sin(0.5) + 0.5 * Math.cos(0.5), later: gradient(m.later)(0.5), ren: gradient(m.renamed)(0.5), use: gradient(m.useLater)(0.5), d: derivative(m.default)(0.5) }));
  both("export default named fn + default arrow", `
/** @differentiable */
export default function named(x: number): number { return x * Math.sin(x); }
export const g = (x: number) => gradient(named)(x);
`, (m) => ({ def: gradient(m.default)(0.5), g: m.g(0.5), exp: Math.sin(0.5) + 0.5 * Math.cos(0.5) }));
  both("export default differentiable(arrow)", `
export default differentiable((x: number) => x * x * x);
`, (m) => ({ def: gradient(m.default)(0.5), exp: 0.75 }));
  both("name collisions: user f$jvp / f$vjp / __ct / bx / $call", `
/** @differentiable */
export function f(x: number): number { return x * x; }
export function f$jvp(x: number, dx: number): any { return { value: 999, tangent: 999 }; }
export function f$vjp(x: number): any { return { value: 999, pullback: () => [999] }; }
const __ct = { defineDerivatives: () => { throw new Error("user __ct used"); } };
export const useCt = () => __ct;
/** @differentiable */
export function g(x: number): number { const bx = x * 3; const $call = f(bx); const $pullback = 2; const dx = x + $pullback; return $call + dx * bx; }
export const ops = () => ({ gf: gradient(f)(3), df: derivative(f)(3), gg: gradient(g)(0.5), dg: derivative(g)(0.5), ggExp: 2*9*0.5 + 3*(0.5+2) + 0.5*3 });
`, (m) => ({ ...m.ops(), fjvp: m.f$jvp(1, 1), extgf: gradient(m.f)(3), extgg: gradient(m.g)(0.5) }));
  both("local name collisions with generated names in OTHER function", `
/** @differentiable */
export function h(x: number): number { return x * x; }
/** @differentiable */
export function k(x: number): number {
  const h$vjp = 3; const f$vjp = 1;
  const h$jvp = 5;
  return h(x) * 2 + h$jvp + h$vjp * f$vjp;
}
`, (m) => ({ gk: gradient(m.k)(0.5), exp: 2, dk: derivative(m.k)(0.5) }));
});
test("modules2", () => {
  both("export later", `
/** @differentiable */
function later(x: number): number { return x * x * x; }
export { later, later as renamed };
/** @differentiable */
export function useLater(x: number): number { return later(x) * 2; }
`, (m) => ({ later: gradient(m.later)(0.5), ren: gradient(m.renamed)(0.5), use: gradient(m.useLater)(0.5), exp: 0.75 }));
});
import * as fs from "fs";
import * as os from "os";
import ts from "typescript";
import { loadTsTransformer, TS_OPTIONS } from "../harness/compile";
import { execFileSync } from "child_process";

function cjsLoad(host: any, files: Record<string, string>, dir: string, entry: string) {
  const cache = new Map<string, any>();
  const load = (name: string): any => {
    if (cache.has(name)) return cache.get(name).exports;
    const file = path.join(dir, name + ".ts");
    const code = compiledCode(host, files[name]!, file);
    const module = { exports: {} as any };
    cache.set(name, module);
    const req = (s: string) => (s.startsWith("./") ? load(s.slice(2).replace(/\.js$/, "")) : require(s));
    new Function("module", "exports", "require", code)(module, module.exports, req);
    return module.exports;
  };
  return load(entry);
}

test("crossmodule", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rt2x-"));
  fs.symlinkSync(path.join(__dirname, "..", "..", "node_modules"), path.join(dir, "node_modules"));
  const files: Record<string, string> = {
    a: `import { gradient, derivative } from "@cotangent/runtime";
import { g } from "./b";
/** @differentiable(wrt: x) */
export function f(x: number, n: number): number { return n <= 0 ? Math.sin(x) : x * g(x, n - 1); }
export const viaA = (x: number) => gradient((t: number) => f(t, 3))(x);
export const viaAd = (x: number) => derivative((t: number) => f(t, 3))(x);
`,
    b: `import { f } from "./a";
/** @differentiable(wrt: x) */
export function g(x: number, n: number): number { return Math.cos(x) + f(x, n); }
`,
  };
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, k + ".ts"), v);
  try {
    for (const host of ["babel", "ts-patch"]) {
      try {
        const a = cjsLoad(host, files, dir, "a");
        const fd = (x: number) => (a.f(x + 1e-6, 3) - a.f(x - 1e-6, 3)) / 2e-6;
        console.log(`### cycle [${host}] grad ${a.viaA(0.4)} fwd ${a.viaAd(0.4)} fd ${fd(0.4)} ext ${gradient(a.f)(0.4, 3)}`);
      } catch (e: any) { console.log(`### cycle [${host}] ERR ${String(e?.stack).slice(0, 600)}`); }
    }
    // ESM output of ts-patch host
    const opts = { ...TS_OPTIONS, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, outDir: path.join(dir, "out") };
    const files2: Record<string, string> = {
      "a.ts": files.a!.replace(`"./b"`, `"./b.js"`),
      "b.ts": files.b!.replace(`"./a"`, `"./a.js"`),
      "main.ts": `import { gradient, derivative, differential } from "@cotangent/runtime";
import { f, viaA, viaAd } from "./a.js";
import { g } from "./b.js";
/** @differentiable */
export default function h(x: number): number { return x * x; }
class K { @differentiable m(x: number): number { return 3 * x * x; } }
import { differentiable } from "@cotangent/runtime";
console.log(JSON.stringify({ viaA: viaA(0.4), viaAd: viaAd(0.4), ext: gradient(f)(0.4, 3), g: gradient(g)(0.4, 2), h: gradient(h)(3), k: gradient((x: number) => new K().m(x))(1) }));
`,
    };
    for (const [k, v] of Object.entries(files2)) fs.writeFileSync(path.join(dir, k), v);
    fs.writeFileSync(path.join(dir, "package.json"), `{"type":"module"}`);
    const program = ts.createProgram({ rootNames: Object.keys(files2).map((k) => path.join(dir, k)), options: opts });
    const added: ts.Diagnostic[] = [];
    const factory = loadTsTransformer()(program, {}, { ts, library: "typescript", addDiagnostic: (d: ts.Diagnostic) => added.push(d), removeDiagnostic: () => {}, diagnostics: added });
    const emit = program.emit(undefined, undefined, undefined, false, { before: [factory] });
    console.log("### esm diags", [...added, ...emit.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")));
    try {
      console.log("### esm run", execFileSync("node", [path.join(dir, "out", "main.js")], { encoding: "utf8", cwd: dir }));
    } catch (e: any) { console.log("### esm run ERR", String(e.stderr).slice(0, 1500)); }
    console.log(fs.readFileSync(path.join(dir, "out", "b.js"), "utf8"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
