// Property tests over random TENSOR programs (harness/programs-tensors.ts): float64 tensor
// programs with ops as functions and methods, broadcasting, reductions, matmul, data movement,
// softmax/crossEntropy/mse, loops, branches on numbers and on item(), early returns, helper
// calls taking and returning tensors and structs, arrays of tensors, number parameters and
// `wrt` subsets. Each program is compiled through both hosts (batched, one module per property
// and host) and checked with the helpers of harness/tensor-check.ts: gradient vs central finite
// differences, and forward vs reverse (⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩); the primal must equal the plain
// (untransformed) program's. Seeded like property.test.ts: E2E_SEED reproduces a printed seed,
// E2E_RUNS scales the number of programs, E2E_HOSTS picks the hosts.

import { describe, expect, test } from "@jest/globals";
import * as path from "path";
import fc from "fast-check";
import { runProperty } from "../harness/property-run";
import * as ct from "@cotangent/runtime";
import { BatchCompileCache } from "../harness/batch-cache";
import { CORPUS_DIR, HOST_OPTIONS, HostName, compilePlain, compileWith } from "../harness/compile";
import { TENSOR_MODULE_HEADER, TensorProgram, TensorShape, buildTensorProgram, tensorArgs, tensorBatchModule, tensorProgram, tensorProgramKey, tensorReproOf } from "../harness/programs-tensors";
import { checkForwardAgainstReverse, checkGradient, f64, leaves, randomTangent, scalar, tangentNumbers } from "../harness/tensor-check";

const SEED = process.env.E2E_SEED ? Number(process.env.E2E_SEED) : 20240611;
const RUN_SCALE = process.env.E2E_RUNS ? Number(process.env.E2E_RUNS) : 1;
const HOSTS: HostName[] = (process.env.E2E_HOSTS?.split(",") as HostName[] | undefined) ?? ["babel", "ts-patch"];

// eslint-disable-next-line no-console
console.info(`tensor property tests: seed ${SEED} (reproduce with E2E_SEED=${SEED})`);

const PROPERTIES: { name: string; shape: TensorShape; numRuns: number }[] = [
  { name: "tensor expressions (ops as functions and methods, broadcasting, reductions, movement, nn ops)", shape: { depth: 3, maxStatements: 2, control: false }, numRuns: 50 },
  { name: "tensor programs with loops, branches, early returns, helpers, structs and arrays", shape: { depth: 2, maxStatements: 4, control: true }, numRuns: 70 },
  { name: "long tensor programs (up to 9 statements, nested loops and branches)", shape: { depth: 2, maxStatements: 9, control: true }, numRuns: 30 },
];

type Fn = (...args: any[]) => any;
type Compiled = { f: Fn; plain: Fn };

/** Compiles programs in batch modules per host (see BatchCompileCache), with the plain primal beside each. */
function tensorProgramCache(host: HostName, tag: string) {
  return new BatchCompileCache<TensorProgram, Compiled>(`__e2e_property_tensors_${tag}`, tensorProgramKey, (names, programs, file) => {
    const source = tensorBatchModule(names, programs);
    const mod = withoutResultWarnings(() => compileWith(host, source, file));
    const plain = compilePlain(source, file);
    return names.map((n) => ({ f: mod[n], plain: plain[n] }));
  });
}

/**
 * Runs `f` with the hosts' CT1101 warnings (a result that does not depend on the differentiated
 * parameters: a random program may ignore them) left out of the output; other warnings pass.
 */
function withoutResultWarnings<T>(f: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes("CT1101")) warn(...args);
  };
  try {
    return f();
  } finally {
    console.warn = warn;
  }
}

/** Central differences of f in the number `get/set` at step h (relative). */
function centralDifference(f: Fn, args: unknown[], leaf: { get: () => number; set: (x: number) => void }, h: number): number {
  const x0 = leaf.get();
  const step = h * Math.max(1, Math.abs(x0));
  leaf.set(x0 + step);
  const up = scalar(f(...args));
  leaf.set(x0 - step);
  const down = scalar(f(...args));
  leaf.set(x0);
  return (up - down) / (2 * step);
}

/** The differentiated numbers of the arguments (tensor elements; a number argument itself). */
function wrtLeaves(args: unknown[], wrt: readonly number[]) {
  return wrt.flatMap((i) => {
    const a = args[i];
    if (typeof a === "number") return [{ get: () => args[i] as number, set: (x: number) => (args[i] = x), arg: i }];
    return leaves(a).map((l) => ({ ...l, arg: i }));
  });
}

/**
 * Central differences at steps 1e-6 and 1e-5 agree in every differentiated number: the point is
 * away from kinks and jumps (relu/abs/max/clip/maximum at a tie, a where mask or a branch edge).
 */
function smoothAt(f: Fn, args: unknown[], wrt: readonly number[]): boolean {
  return wrtLeaves(args, wrt).every((l) => {
    const a = centralDifference(f, args, l, 1e-6);
    const b = centralDifference(f, args, l, 1e-5);
    return Number.isFinite(a) && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a)) + 1e-7;
  });
}

/** Each differentiated number where gradient and finite differences disagree (for the report). */
function gradientMismatches(f: Fn, args: unknown[], wrt: readonly number[]): string {
  const g = ct.gradient(f as any)(...args) as unknown;
  const perArg = wrt.length === 1 ? [g] : (g as unknown[]);
  const rows: string[] = [];
  wrt.forEach((argIndex, k) => {
    const a = args[argIndex];
    const got = typeof a === "number" ? [perArg[k] as number] : tangentNumbers(a, perArg[k]);
    const ls = typeof a === "number" ? wrtLeaves(args, [argIndex]) : leaves(a);
    ls.forEach((l, i) => {
      const fd = centralDifference(f, args, l, 1e-6);
      if (!(Math.abs(fd - got[i]!) <= 1e-6 * Math.max(1, Math.abs(fd)) + 1e-7)) rows.push(`  argument ${argIndex}, number ${i}: gradient ${got[i]}, finite differences ${fd}`);
    });
  });
  return rows.join("\n");
}

/** Runs `check` on generated programs (e2e/harness/property-run.ts): fails on interruption, or when too many points are skipped. */
function assertProperty<Q>(arb: fc.Arbitrary<Q>, check: (p: Q) => void, context: (p: Q) => string, seed: number, numRuns: number): void {
  runProperty(arb, check, context, { seed, numRuns, timeLimitMs: 150_000, maxSkippedShare: 0.1 });
}

/** The checks on one program (compiled `c`); returns why the point was skipped, or null when checked. */
function checkProgram(c: Compiled, p: TensorProgram): "huge" | "non-smooth" | null {
  const args = tensorArgs(p);
  const value = scalar(c.f(...args));
  const primal = scalar(c.plain(...tensorArgs(p)));
  if (!Object.is(value, primal)) throw new Error(`primal changed: compiled ${value}, plain ${primal}`);
  // only points where finite differences are reliable
  if (!(Number.isFinite(value) && Math.abs(value) < 1e4)) return "huge";
  // the derivatives' primal values are the function's
  const forwardValue = scalar((ct.valueWithDifferential(c.f as any) as Fn)(...args).value);
  const reverseValue = scalar((ct.valueWithPullback(c.f as any) as Fn)(...args).value);
  if (!Object.is(forwardValue, value) || !Object.is(reverseValue, value)) throw new Error(`values differ: function ${value}, valueWithDifferential ${forwardValue}, valueWithPullback ${reverseValue}`);
  checkForwardAgainstReverse(c.f, args, p.wrt);
  try {
    checkGradient(c.f, args, p.wrt);
  } catch (e: any) {
    if (!smoothAt(c.f, tensorArgs(p), p.wrt)) return "non-smooth";
    throw new Error(`gradient vs finite differences:\n${gradientMismatches(c.f, tensorArgs(p), p.wrt)}\n${e?.message ?? e}`);
  }
  return null;
}

const describeArgs = (p: TensorProgram) =>
  `arguments: ${p.params.map((q) => `${q.name} (${q.kind}${q.value !== undefined ? ` ${q.value}` : ""})`).join(", ")}; wrt ${JSON.stringify(p.wrt)}; program seed ${p.seed}`;

for (const host of HOSTS) {
  describe(`${host} host: random tensor programs`, () => {
    PROPERTIES.forEach(({ name, shape, numRuns: baseRuns }, index) => {
      const numRuns = Math.max(1, Math.round(baseRuns * RUN_SCALE));
      const seed = SEED + 200 + index;
      test(`${name} (${numRuns} programs, seed ${seed})`, () => {
        const arb = tensorProgram(shape);
        const cache = tensorProgramCache(host, `${host.replace(/\W/g, "")}_${index}`);
        cache.prepare(fc.sample(arb, { seed, numRuns }));
        const skipped = { huge: 0, "non-smooth": 0 };
        const check = (p: TensorProgram) => {
          const why = checkProgram(cache.get(p), p);
          if (why) {
            skipped[why]++;
            fc.pre(false);
          }
        };
        assertProperty(arb, check, (p) => `${describeArgs(p)}\n${tensorReproOf("f", p)}`, seed, numRuns);
        if (skipped.huge || skipped["non-smooth"])
          // eslint-disable-next-line no-console
          console.info(`${host} / ${name}: points skipped of ${numRuns}: ${skipped.huge} with a huge or non-finite value, ${skipped["non-smooth"]} non-smooth (a kink or jump within the finite-difference step)`);
      }, 240_000);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Second order: the same kind of programs built with secondOrder: "exported" (each exported mark
// also gets the derivatives of its JVP, built from the tensor ops' composed rules). For each, with
// random directions u and v of the differentiated arguments:
//   - the Hessian is symmetric: ⟨H·u, v⟩ = ⟨u, H·v⟩, with H·u = differential(gradient(f))(x)(u)
//     (reverse over forward);
//   - forward over forward equals reverse over forward: D²f[u, v] from the JVP of f's JVP is ⟨H·u, v⟩;
//   - H·u matches central differences of the gradient along u (points where those are unreliable,
//     a kink of relu/abs/max or a branch within the step, are skipped and counted).

const SECOND_ORDER = { name: "second derivatives of tensor programs (loops, branches, helpers, structs)", shape: { depth: 2, maxStatements: 4, control: true }, numRuns: 40 };

function secondOrderCache(host: HostName) {
  return new BatchCompileCache<TensorProgram, Compiled>(`__e2e_property_tensors_second_${host.replace(/\W/g, "")}`, tensorProgramKey, (names, programs, file) => {
    const source = tensorBatchModule(names, programs);
    const before = HOST_OPTIONS.secondOrder;
    HOST_OPTIONS.secondOrder = "exported";
    try {
      const mod = withoutResultWarnings(() => compileWith(host, source, file));
      return names.map((n) => ({ f: mod[n], plain: mod[n] }));
    } finally {
      HOST_OPTIONS.secondOrder = before;
    }
  });
}

/** x + h·u over the differentiated arguments (tensors, numbers, arrays and structs of them). */
function shifted(args: unknown[], wrt: readonly number[], us: readonly unknown[], h: number): unknown[] {
  return args.map((a, i) => {
    const k = wrt.indexOf(i);
    return k < 0 ? a : ct.addTangent(a, ct.scaleTangent(us[k], h));
  });
}

/** The numbers of a list of tangents of the differentiated arguments, in order. */
function numbersOf(args: unknown[], wrt: readonly number[], ts: readonly unknown[]): number[] {
  return wrt.flatMap((i, k) => (typeof args[i] === "number" ? [typeof ts[k] === "number" ? (ts[k] as number) : 0] : tangentNumbers(args[i], ts[k])));
}

const dotOf = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const absDotOf = (a: number[], b: number[]) => a.reduce((s, x, i) => s + Math.abs(x * b[i]!), 0);

/** The second-order checks on one program; returns why the point was skipped, or null when checked. */
function checkSecondOrder(f: Fn, p: TensorProgram): "huge" | "non-smooth" | null {
  const args = tensorArgs(p);
  const value = scalar(f(...args));
  if (!(Number.isFinite(value) && Math.abs(value) < 1e4)) return "huge";
  const wrt = p.wrt;
  const seed = { n: 5000 };
  const us = wrt.map((i) => randomTangent(args[i], seed));
  const vs = wrt.map((i) => randomTangent(args[i], seed));
  const hvp = (dirs: unknown[]) => {
    const out = (ct.differential(ct.gradient(f as any) as any) as Fn)(...tensorArgs(p))(...dirs);
    return wrt.length === 1 ? [out] : (out as unknown[]);
  };
  const hu = numbersOf(args, wrt, hvp(us));
  const hv = numbersOf(args, wrt, hvp(vs));
  const u = numbersOf(args, wrt, us);
  const v = numbersOf(args, wrt, vs);
  const huv = dotOf(hu, v);
  const uhv = dotOf(u, hv);
  const scale = absDotOf(hu, v) + absDotOf(u, hv);
  if (!(Math.abs(huv - uhv) <= 1e-9 * (1 + scale))) throw new Error(`the Hessian is not symmetric: ⟨H·u, v⟩ = ${huv}, ⟨u, H·v⟩ = ${uhv}`);
  // Forward over forward: the JVP of f's JVP, along (u, v), has tangent.tangent = D²f[u, v].
  const jvp = ct.getDerivatives(f)!.jvp!;
  const second = ct.getDerivatives(jvp);
  if (!second?.jvp) throw new Error("the build attached no derivatives to the JVP (secondOrder: \"exported\")");
  const n = p.params.length;
  const full = (ts: readonly unknown[]) => Array.from({ length: n }, (_, i) => (wrt.includes(i) ? ts[wrt.indexOf(i)] : null));
  const ff = second.jvp(...tensorArgs(p), ...full(us), ...full(vs), ...new Array(n).fill(null)) as unknown as { tangent: { tangent: unknown } };
  const d2 = scalar(ff.tangent.tangent);
  if (!(Math.abs(d2 - huv) <= 1e-9 * (1 + scale))) throw new Error(`forward over forward D²f[u, v] = ${d2}, reverse over forward ⟨H·u, v⟩ = ${huv}`);
  // H·u against central differences of the gradient along u.
  const gradAt = (h: number, step: number) =>
    numbersOf(args, wrt, (() => {
      const g = ct.gradient(f as any)(...shifted(tensorArgs(p), wrt, us, h * step)) as unknown;
      return wrt.length === 1 ? [g] : (g as unknown[]);
    })());
  const fdAt = (step: number) => gradAt(1, step).map((x, i) => (x - gradAt(-1, step)[i]!) / (2 * step));
  const fd = fdAt(1e-5);
  const far = hu.some((x, i) => !(Math.abs(x - fd[i]!) <= 1e-5 * (1 + Math.abs(x))));
  if (far) {
    const coarse = fdAt(1e-4);
    const smooth = fd.every((x, i) => Number.isFinite(x) && Math.abs(x - coarse[i]!) <= 1e-5 * (1 + Math.abs(x)));
    if (!smooth) return "non-smooth";
    const i = hu.findIndex((x, j) => !(Math.abs(x - fd[j]!) <= 1e-5 * (1 + Math.abs(x))));
    throw new Error(`H·u ≠ finite differences of the gradient at number ${i}: ${hu[i]}, finite differences ${fd[i]}`);
  }
  return null;
}

for (const host of HOSTS) {
  describe(`${host} host: second derivatives of random tensor programs`, () => {
    const numRuns = Math.max(1, Math.round(SECOND_ORDER.numRuns * RUN_SCALE));
    const seed = SEED + 300;
    test(`${SECOND_ORDER.name} (${numRuns} programs, seed ${seed})`, () => {
      const arb = tensorProgram(SECOND_ORDER.shape);
      const cache = secondOrderCache(host);
      cache.prepare(fc.sample(arb, { seed, numRuns }));
      const skipped = { huge: 0, "non-smooth": 0 };
      const check = (p: TensorProgram) => {
        const why = checkSecondOrder(cache.get(p).f, p);
        if (why) {
          skipped[why]++;
          fc.pre(false);
        }
      };
      runProperty(arb, check, (p) => `${describeArgs(p)}\n${tensorReproOf("f", p)}`, { seed, numRuns, timeLimitMs: 150_000, maxSkippedShare: 0.25 });
      if (skipped.huge || skipped["non-smooth"])
        // eslint-disable-next-line no-console
        console.info(`${host} / second order: points skipped of ${numRuns}: ${skipped.huge} huge, ${skipped["non-smooth"]} non-smooth`);
    }, 240_000);
  });
}

// ---------------------------------------------------------------------------------------------
// Fixed programs: regressions found by the generator, each through both hosts (gradient vs
// finite differences, forward vs reverse).

/** A regression: its source (with the module header), the arguments, the differentiated parameters. */
type FixedCase = { name: string; source: string; args: () => unknown[]; wrt: number[] };
const FIXED_CASES: FixedCase[] = [
  {
    name: "methodOnElementInLoop",
    source: `
/** @differentiable */
function rowsOfRest(ts: Tensor[]): Tensor {
  let acc = ts[0].mul(0.5);
  for (let i = 1; i < ts.length; i++) {
    acc = acc.add(ts[i].slice([1, 0], [1, 3]).mul(2));
  }
  return acc;
}

// A Tensor method called on an element read with the loop counter (ts[i].slice(...)): the
// reverse pass did not restore i, so every iteration's cotangent went to ts[ts.length].
/** @differentiable(wrt: x) */
export function methodOnElementInLoop(x: Tensor): Tensor {
  return sum(rowsOfRest([x, x.cos(), x.sin()]));
}
`,
    args: () => [f64([2, 3], 1)],
    wrt: [0],
  },
  {
    name: "methodOnParameterElementInLoop",
    source: `
/** @differentiable */
export function methodOnParameterElementInLoop(xs: Tensor[], x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < xs.length; i++) {
    h = h.mul(0.5).add(xs[i].tanh().mul(x));
  }
  for (const t of xs) h = h.add(t.square());
  return mean(h);
}
`,
    args: () => [[f64([2, 3], 2), f64([2, 3], 3), f64([2, 3], 4)], f64([2, 3], 5)],
    wrt: [0, 1],
  },
  {
    name: "numberOptions",
    source: `
// A differentiated number passed as a numeric option of an op (clip's bounds, leakyRelu's alpha,
// pad's fill value) got a zero derivative: the ops' rules differentiated x only.
/** @differentiable */
export function numberOptions(x: Tensor, s: number): Tensor {
  const k = mean(x).item();
  const a = clip(x, -s, s + k).add(leakyRelu(x, s * 0.5));
  const b = x.clip(k - 1, 0.5).mul(x.leakyRelu(k));
  return sum(a.mul(b)).add(sum(pad(x, [[1, 0], [0, 1]], s).square())).add(x.pad([[0, 1], [1, 0]], k).mean());
}
`,
    args: () => [f64([2, 3], 6, 1.5), 0.6],
    wrt: [0, 1],
  },
  {
    name: "elementStoredThenArrayPushed",
    source: `
// An element of a tensor array stored in another array, then the first array pushed to: a false
// CT1009 ("'qs' holds a reference to 'ps', and 'ps' is written through"); replacing or adding
// elements does not write into the stored one.
/** @differentiable */
export function elementStoredThenArrayPushed(x: Tensor): Tensor {
  const ps: Tensor[] = [x, x.tanh()];
  let h = x;
  for (let w = 1; w <= 2; w++) {
    const qs: Tensor[] = [h, ps[w % ps.length].sigmoid()];
    qs.push(ps[(w - 1) % ps.length]);
    ps.push(h.mul(0.5));
    ps[0] = ps[0].sin();
    h = stack(qs, 0).mean(0).add(h.mul(0.25));
  }
  return sum(h.mul(ps[ps.length - 1]));
}
`,
    args: () => [f64([2, 3], 7)],
    wrt: [0],
  },
  {
    name: "rowStoredThenReplaced",
    source: `
// The same with number arrays: an inner array stored, then its slot replaced (still CT1009 when
// written into: rows[1][0] = …).
/** @differentiable */
export function rowStoredThenReplaced(x: number): number {
  const rows = [[x, 2], [3, x]];
  const m: number[][] = [];
  m.push(rows[1]);
  rows[1] = [x * x, x];
  rows.push([x, 1]);
  return m[0][0] * m[0][1] + rows[1][0] * 3 + rows[2][0];
}
`,
    args: () => [0.7],
    wrt: [0],
  },
];

describe.each(HOSTS.map((h) => [h] as const))("fixed tensor programs through %s", (host) => {
  test.each(FIXED_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    // one module per case: a build error in one does not hide the others
    const f = compileWith(host, `${TENSOR_MODULE_HEADER}\n${c.source}`, path.join(CORPUS_DIR, `__e2e_property_tensors_fixed_${c.name}.ts`))[c.name];
    checkGradient(f, c.args(), c.wrt);
    checkForwardAgainstReverse(f, c.args(), c.wrt);
  });

  test("the generator is deterministic in its seed", () => {
    const shape = PROPERTIES[1]!.shape;
    expect(tensorProgramKey(buildTensorProgram(12345, shape))).toBe(tensorProgramKey(buildTensorProgram(12345, shape)));
  });
});
