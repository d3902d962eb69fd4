export interface Probe { name: string; src: string; fn?: string; args: any[][]; wrt?: number[]; noFooter?: boolean; dump?: boolean; custom?: (mod: any, plain: any, args: any[]) => string | undefined }
const I = `import { differentiable, withoutDerivative } from "@cotangent/runtime";\n`;
const P = (name: string, body: string, args: any[][], extra: Partial<Probe> = {}): Probe => ({ name, src: I + body, args, ...extra });

export const PROBES: Probe[] = [
P("nestedReassignEarlyRet", `
/** @differentiable */
export function f(x: number): number {
  let a = x;
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 4; j++) {
      if (j === i) continue;
      a = a * Math.sin(a + j);
      if (a > 10) return a * i;
      if (j > 2 && i > 3) break;
    }
    a = a + i * x;
  }
  return a;
}`, [[0.7], [1.3], [-0.4]]),
P("counterNonlinear", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    s += x ** i * Math.sqrt(i + 1) + i * i * x;
    s = s * (i % 3 === 0 ? x : 1);
  }
  return s;
}`, [[0.7], [1.1]]),
P("pushInBranchReadReverse", `
/** @differentiable */
export function f(x: number): number {
  const a: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (i % 3 === 0) a.push(x * i);
    else if (i % 3 === 1) a.push(Math.sin(x + i));
    if (i === 5) a.push(x * x);
  }
  let s = 0;
  for (let k = a.length - 1; k >= 0; k--) s = s * 0.5 + a[k] * a[k];
  return s;
}`, [[0.7]]),
P("objNestedArrays", `
/** @differentiable */
export function f(x: number): number {
  const o = { v: [x, 2 * x, 3], w: { z: [1, x] } };
  for (let i = 0; i < 4; i++) {
    o.v[i % 3] = o.v[(i + 1) % 3] * o.w.z[1];
    o.w.z[1] = o.w.z[1] + o.v[0];
  }
  return o.v[0] + o.v[1] * o.v[2] + o.w.z[1];
}`, [[0.7]]),
P("forOfArrOfArr", `
/** @differentiable */
export function f(m: number[][]): number {
  let s = 0;
  for (const row of m) {
    let p = 1;
    for (const v of row) p *= v;
    s += p;
  }
  return s;
}`, [[[[1, 2], [3, 4, 5], [0.5]]]]),
P("forOfArrOfObj", `
/** @differentiable */
export function f(ps: { x: number; y: number }[], t: number): number {
  let s = 0;
  for (const p of ps) {
    s += p.x * t + p.y * p.y;
  }
  return s;
}`, [[[{ x: 1, y: 2 }, { x: 3, y: 4 }], 0.5]]),
P("swapDestructure", `
/** @differentiable */
export function f(x: number, y: number): number {
  let a = x;
  let b = y;
  for (let i = 0; i < 5; i++) {
    [a, b] = [b, a * b + 0.1];
  }
  return a + 2 * b;
}`, [[0.7, 1.2]]),
P("swapDestructureArr", `
/** @differentiable */
export function f(xs: number[]): number {
  const a = xs.slice();
  for (let i = 0; i + 1 < a.length; i++) {
    [a[i], a[i + 1]] = [a[i + 1] * 2, a[i]];
  }
  return a[0] + 3 * a[1] + 5 * a[2];
}`, [[[1, 2, 3]]]),
P("switchFallthroughReturn", `
/** @differentiable(wrt: x) */
export function f(x: number, k: number): number {
  let r = x;
  switch (k) {
    case 0:
      r = r * x;
    case 1:
      r = r + Math.sin(x);
      if (r > 100) return r;
    case 2:
      return r * 3;
    case 3:
      r = -r;
      break;
    default:
      r = r * r * r;
  }
  return r + x;
}`, [[0.7, 0], [0.7, 1], [0.7, 2], [0.7, 3], [0.7, 9]], { wrt: [0] }),
P("recursionArray", `
/** @differentiable */
export function sumsq(xs: number[], i: number): number {
  if (i >= xs.length) return 0;
  return xs[i] * xs[i] + sumsq(xs, i + 1);
}
/** @differentiable */
export function f(xs: number[]): number {
  return sumsq(xs, 0);
}`, [[[1, 2, 3]]]),
P("condCalls", `
/** @differentiable */
function g(x: number): number { return x * x; }
/** @differentiable */
function h(x: number): number { return Math.sin(x); }
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    s += i % 2 === 0 ? g(x + i) : h(x * i);
    const t = (i > 1 && g(x) > 0.1) || h(x) > 0.5 ? 1 : 0;
    s += t * x;
  }
  return s;
}`, [[0.7]]),
P("andOrValues", `
/** @differentiable */
function g(x: number): number { return x * x; }
/** @differentiable */
export function f(x: number, y: number): number {
  const a = (x > 1 && g(y)) || g(x);
  const b = (y < 0 || g(x * y)) && Math.sin(x);
  const c = (x - x) || y * 3;
  return a + (b as number) + c;
}`, [[0.7, 1.2], [1.5, 0.3], [1.5, -0.3]]),
P("incInIndex", `
/** @differentiable */
export function f(xs: number[]): number {
  let i = 0;
  let s = 0;
  while (i < xs.length) {
    s += xs[i++] * xs[i - 1] * (i + 1);
  }
  const a = xs.slice();
  let j = 0;
  a[j++] = a[j] * 2;
  return s + a[0] + a[1];
}`, [[[1, 2, 3]]]),
P("compoundArrElem", `
/** @differentiable */
export function f(xs: number[], x: number): number {
  const a = xs.slice();
  for (let i = 0; i < a.length; i++) {
    a[i] *= x;
    a[i] += a[(i + 1) % a.length];
    a[i] /= 1 + x * x;
    a[i] -= a[0] * 0.5;
    a[i] **= 2;
  }
  return a[0] + a[1] + a[2];
}`, [[[1, 2, 3], 0.7]]),
P("methodThis", `
export class Model {
  constructor(public k: number) {}
  @differentiable
  inner(x: number): number { return this.k * x * x; }
  @differentiable
  outer(x: number): number { return this.inner(x) + Math.sin(this.inner(x * 2)); }
}
const m = new Model(1.5);
/** @differentiable */
export function f(x: number): number { return m.outer(x); }
`, [[0.7]]),
P("arrowCallsDecl", `
/** @differentiable */
function g(x: number): number { return x * Math.exp(x); }
export const f = differentiable((x: number) => g(x) * g(2 * x));
`, [[0.7]]),
P("localArrowCaptureLoopVar", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const h = (t: number) => t * i + i * i;
    s += h(x) * h(x * x);
  }
  return s;
}`, [[0.7]]),
P("shadowing", `
/** @differentiable */
export function f(x: number): number {
  let a = x * 2;
  {
    let a = x * x;
    a = a + 1;
    {
      const a2 = a;
      let x2 = a2 * 3;
      a = x2;
    }
    if (a > 0) {
      const a = 5;
    }
  }
  for (let a = 0; a < 2; a++) { }
  return a;
}`, [[0.7]]),
P("shadowParam", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) {
    const x2 = x;
    {
      const x = x2 * 2;
      s += x * x;
    }
    s += x;
  }
  return s;
}`, [[0.7]]),
P("siblingLoopsSameLet", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) {
    let t = x * i;
    t = t * t;
    s += t;
  }
  for (let i = 0; i < 4; i++) {
    let t = s * 0.1 + x;
    t = Math.sin(t);
    s += t;
  }
  return s;
}`, [[0.7]]),
P("constAfterContinue", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    if (i % 2 === 0) {
      s += x;
      continue;
    }
    const c = x * i * s;
    s += c * c;
  }
  return s;
}`, [[0.3]]),
P("constBeforeContinue", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    const c = x * i + s;
    if (i % 2 === 0) { s += c; continue; }
    s = s * c;
  }
  return s;
}`, [[0.3]]),
P("mathMisc", `
/** @differentiable */
export function f(x: number, y: number, z: number): number {
  return Math.max(x, y, z) + Math.min(x * 2, y, z, 0.5) + Math.hypot(x, y, z) + Math.hypot(x) + Math.hypot(x, y);
}`, [[0.7, 1.3, -0.4], [-2, 0.3, 0.1]]),
P("negBasePow", `
/** @differentiable */
export function f(x: number): number {
  return x ** 3 + x ** 2 + Math.pow(x, 4) + (-x) ** 3 + x ** -2 + x ** 0;
}`, [[-0.7], [0.7]]),
P("powVarExp", `
/** @differentiable */
export function f(x: number, y: number): number {
  return x ** y;
}`, [[-2, 3], [2, 3], [0.5, 1.5]], { wrt: undefined }),
P("modNeg", `
/** @differentiable */
export function f(x: number, y: number): number {
  return (x % y) * (x % 2.5) + ((-x) % 1.3);
}`, [[-3.7, 1.2], [3.7, -1.2], [5.1, 2.2]]),
P("whileCondCall", `
/** @differentiable */
function g(x: number): number { return x * x; }
/** @differentiable */
export function f(x: number): number {
  let v = x;
  let n = 0;
  while (g(v) < 50 && n < 100) { v = v * 1.3 + 0.1; n++; }
  return v;
}`, [[0.7]]),
P("whileCondCallValueUsed", `
/** @differentiable */
function g(x: number): number { return x * x; }
/** @differentiable */
export function f(x: number): number {
  let v = x;
  let s = 0;
  let t;
  while ((t = g(v)) < 50) { s += t; v = v * 1.3 + 0.1; }
  return s + t;
}`, [[0.7]]),
P("doWhileContinue", `
/** @differentiable */
export function f(x: number): number {
  let v = x;
  let i = 0;
  do {
    i++;
    if (i % 2 === 0) continue;
    v = v * Math.cos(v) + x;
  } while (i < 7);
  return v;
}`, [[0.7]]),
P("longLoop", `
/** @differentiable */
export function f(x: number): number {
  let v = x;
  for (let i = 0; i < 10000; i++) {
    v = v + 0.0001 * Math.sin(v * i * 0.001);
    if (i % 1000 === 0) v = v * 1.0001;
  }
  return v;
}`, [[0.7]]),
P("withoutDerivLoop", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const c = withoutDerivative(s);
    s += x * c + x;
  }
  return s;
}`, [[0.7]], { custom: (mod, plain, args) => {
  // expected: s_{k+1} = s_k + x*c_k + x, with c treated const: d s_{k+1} = d s_k + c_k + 1
  const x = args[0]; let s = 0, ds = 0; for (let i = 0; i < 4; i++) { const c = s; s += x * c + x; ds += c + 1; }
  const g = mod.__ops.gradient(x);
  const d = mod.__ops.differential(x)(1);
  return Math.abs(g - ds) > 1e-9 || Math.abs(d - ds) > 1e-9 ? `g=${g} d=${d} expected ${ds}` : undefined;
}}),

P("idxIncRhs", `
/** @differentiable */
export function f(xs: number[], x: number): number {
  const a = [0, 0, 0, 0];
  let i = 0;
  a[i] = xs[i++] * x;
  a[i] = xs[i++] * x * x;
  return a[0] + 10 * a[1] + 100 * a[2];
}`, [[[1, 2, 3], 0.7]]),
P("idxIncLhs", `
/** @differentiable */
export function f(xs: number[], x: number): number {
  const a = [0, 0, 0, 0];
  let i = 0;
  a[i++] = xs[i] * x;
  a[i++] += xs[i] * x;
  return a[0] + 10 * a[1] + 100 * a[2];
}`, [[[1, 2, 3], 0.7]]),
P("forOfReassign", `
/** @differentiable */
export function f(x: number): number {
  let a = [x, 2 * x];
  let s = 0;
  for (const v of a) {
    s += v * v;
    a = [v, v * 3, v];
  }
  return s + a[1];
}`, [[0.7]]),
P("aliasPush", `
/** @differentiable */
export function f(x: number): number {
  const m: number[][] = [];
  const row = [x, 0];
  m.push(row);
  row[1] = x * x;
  return m[0][1] + row[1];
}`, [[0.7]]),
P("aliasElemAssign", `
/** @differentiable */
export function f(x: number): number {
  const m: number[][] = [[1, 2], [3, 4]];
  const row = [x, 0];
  m[0] = row;
  row[1] = x * x;
  return m[0][1] * 3 + row[1];
}`, [[0.7]]),
P("aliasElemRead", `
/** @differentiable */
export function f(x: number): number {
  const m: number[][] = [[x, 2], [3, 4]];
  const r = m[0];
  r[1] = x * x;
  return m[0][1] * 3 + r[1];
}`, [[0.7]]),
P("aliasObjField", `
/** @differentiable */
export function f(x: number): number {
  const a = [x, 1];
  const o = { v: a };
  a[1] = x * x * x;
  return o.v[1] + a[1];
}`, [[0.7]]),
P("aliasForOfRow", `
/** @differentiable */
export function f(x: number): number {
  const m: number[][] = [[x, 1], [2, x]];
  for (const row of m) {
    row[1] = row[0] * x;
  }
  return m[0][1] + m[1][1];
}`, [[0.7]]),
P("shallowSliceParam", `
/** @differentiable */
export function f(m: number[][], x: number): number {
  const c = m.slice();
  c[0][0] = x * x;
  return c[0][0] + m[0][0];
}`, [[[[1, 2], [3, 4]], 0.7]]),
P("shallowSliceLocal", `
/** @differentiable */
export function f(x: number): number {
  const m = [[x, 2], [3, 4]];
  const c = m.slice();
  c[0][1] = x * x;
  return c[0][1] + m[0][1] * 2;
}`, [[0.7]]),
P("fwdSliceTangent", `
/** @differentiable */
export function f(xs: number[]): number {
  const b = xs.slice();
  b[0] = b[0] * b[1];
  return xs[0] * 5 + b[0];
}`, [[[1.5, 2.5]]]),
P("sliceAfterPush", `
/** @differentiable */
export function f(x: number): number {
  const a: number[] = [];
  a.push(x);
  const b = a.slice();
  a.push(2 * x);
  b.push(x * x);
  b[0] = b[0] * a[1];
  return b[0] + b[1] + a[0] * a[1];
}`, [[0.7]]),
P("max3", `
/** @differentiable */
export function f(x: number, y: number, z: number): number {
  return Math.max(x, y, z) * 2 + Math.min(x, y, z) * 3 + Math.max(x, y, z, 0.5);
}`, [[0.1, 0.2, 0.9], [0.9, 0.2, 0.1], [0.2, 0.9, 0.1], [0.3, 0.1, 0.2]]),
P("max1", `
/** @differentiable */
export function f(x: number): number {
  return Math.max(x) + Math.min(x * 2) + Math.hypot(x, 2 * x, 3);
}`, [[0.7]]),
P("powZero", `
/** @differentiable */
export function f(x: number, y: number): number {
  return x ** y + Math.pow(x, 2);
}`, [[0, 2], [0, 3]]),
P("powZeroB", `
/** @differentiable */
export function f(x: number): number {
  return x ** 2 + x ** 1 + Math.pow(x, 3) + x ** 0;
}`, [[0]]),
P("arrowInArray", `
/** @differentiable */
export function f(x: number): number {
  const hs: ((t: number) => number)[] = [];
  for (let i = 0; i < 3; i++) {
    const h = (t: number) => t * i;
    hs.push(h);
  }
  let s = 0;
  for (let k = 0; k < 3; k++) s += hs[k](x);
  return s;
}`, [[0.7]], { dump: true }),
P("switchInLoopContinue", `
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    switch (i % 3) {
      case 0:
        s += x;
        if (i > 2) continue;
      case 1:
        s = s * x;
        break;
      default:
        s = Math.sin(s);
        continue;
    }
    s += 0.5 * x;
  }
  return s;
}`, [[0.7]]),
P("doWhileCallTestContinue", `
/** @differentiable */
function g(x: number): number { return x * x; }
/** @differentiable */
export function f(x: number): number {
  let v = x;
  let i = 0;
  do {
    i++;
    if (i % 2 === 0) continue;
    v = v * 1.2 + 0.05;
  } while (g(v) < 20 && i < 50);
  return v;
}`, [[0.7]]),
P("forUpdateCallContinue", `
/** @differentiable */
function step(x: number): number { return x * 1.1 + 0.3; }
/** @differentiable */
export function f(x: number): number {
  let s = 0;
  let k = 0;
  for (let v = x; v < 10; v = step(v)) {
    k++;
    if (k % 2 === 0) continue;
    s += v * v;
  }
  return s;
}`, [[0.7]]),
P("destructDecl", `
/** @differentiable */
function pair(x: number): [number, number] { return [x * x, Math.sin(x)]; }
/** @differentiable */
export function f(x: number, y: number): number {
  const [a, b] = pair(x);
  let [c, d] = [y, a];
  for (let i = 0; i < 3; i++) {
    [c, d] = [d * b, c + 1];
  }
  const { p, q: r } = { p: c, q: d };
  return p * r;
}`, [[0.7, 1.1]]),
P("forOfDestructure", `
/** @differentiable */
export function f(ps: [number, number][], t: number): number {
  let s = 0;
  for (const [a, b] of ps) s += a * b * t;
  for (const { 0: u } of ps) s += u;
  return s;
}`, [[[[1, 2], [3, 4]], 0.5]], { dump: true }),
P("objParamGrad", `
/** @differentiable */
export function f(p: { a: number; b: { c: number; d: number[] } }, t: number): number {
  let s = p.a * t;
  for (let i = 0; i < p.b.d.length; i++) s += p.b.d[i] * p.b.c;
  return s * s;
}`, [[{ a: 1, b: { c: 2, d: [3, 4] } }, 0.5]]),
P("wrtSubset", `
/** @differentiable(wrt: x, z) */
export function f(x: number, y: number, z: number): number {
  return x * y * z + Math.sin(y * z);
}`, [[0.7, 1.1, 1.3]], { wrt: [0, 2] }),
P("mutualRecursion", `
/** @differentiable(wrt: x) */
export function ev(x: number, n: number): number { return n <= 0 ? x : od(x * x, n - 1) + x; }
/** @differentiable(wrt: x) */
export function od(x: number, n: number): number { return n <= 0 ? 1 : Math.sin(ev(x, n - 1)); }
/** @differentiable */
export function f(x: number): number { return ev(x, 5); }
`, [[0.7]]),
];
