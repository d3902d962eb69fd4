// The backend conformance suite: what a backend must do to be one. The per-op case table
// (./op-cases.ts, the cases ops.test.ts checks against finite differences) runs on the backend
// under test and on the CPU: every case of every differentiable op, in float32 (float64 inputs are
// converted; int32 stays), comparing the op's value, the JVP's tangent (random tangents for every
// differentiated input at once) and the VJP's cotangents (a random cotangent). Then forward-only
// checks of the ops without derivatives (comparisons, argMax/argMin, oneHot, maxPool2dIndices, cast to int32) and
// more conv2d / pooling shapes (those of conv.test.ts), with their derivatives.
//
// What the backend says of itself decides what is expected (`caps`, backends/backend.ts): without
// `syncRead`, reading a number (`item()`) must throw CT3009 (a number cannot be read
// synchronously), and the derivative with respect to a plain number argument is a PendingNumber
// (ops/pending-number.ts) that equals the CPU's number when read and throws CT3009 when used as a
// number; the values, JVPs and the other operands' cotangents are compared as usual.
//
// Agreement: float results within 1e-4 relative (1e-5 absolute) of the CPU's float32 result;
// int32 results exactly. A new backend passes this suite without edits elsewhere:
// `describeBackend({ name, start })` in a test file of its own (./ops-webgpu.test.ts for WebGPU,
// ./ops-cpu-conformance.test.ts for the CPU itself).

import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import type { Backend } from "../src/backends/backend";
import { selectBackend } from "../src/backends/registry";
import { CotangentError, PendingNumber, Tensor, getDerivatives, getOp, isPendingNumber, tidy, type AnyFunction, type Derivatives } from "../src/index";
import { leavesOf, prng, type Leaf } from "./gradcheck";
import { I, N, TABLE, c, type Case, type Shape } from "./op-cases";

export interface BackendUnderTest {
  name: string;
  /** Starts the backend and registers it (tensors find theirs by name); the CPU stays selected. */
  start(): Promise<Backend>;
  stop?(): void;
}

/** The conformance suite of one backend (call it at the top level of a test file). */
export function describeBackend(under: BackendUnderTest): void {
jest.setTimeout(120_000);

let target!: Backend;

beforeAll(async () => {
  target = await under.start();
  selectBackend("cpu"); // inputs and the CPU reference are made on the CPU; each run selects the target
});

afterAll(() => {
  selectBackend("cpu");
  under.stop?.();
});

// ---- inputs ------------------------------------------------------------------------------------


/** A CPU float32 tensor of uniform numbers in [-1, 1) (a tangent or a cotangent). */
function randomF32(shape: readonly number[], rand: () => number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rand() * 2 - 1), shape, "float32");
}

/** An argument in float32: float64 tensors converted (also inside arrays), the dtype name "float64" too. */
function to32(a: unknown): unknown {
  if (a instanceof Tensor) return a.dtype === "float64" ? new Tensor(Float32Array.from(a.values), a.shape, "float32") : a;
  if (Array.isArray(a)) return a.map(to32);
  if (a === "float64") return "float32";
  return a;
}

/** A CPU argument uploaded to the target (tensors, also inside arrays; everything else as it is). */
function upload(a: unknown): unknown {
  if (a instanceof Tensor) return target.fromValues(a.values.slice(), a.shape, a.dtype);
  if (Array.isArray(a)) return a.map(upload);
  return a;
}

function hasTensor(a: unknown): boolean {
  return a instanceof Tensor || (Array.isArray(a) && a.some(hasTensor));
}

/** One tangent per parameter: `us[i]` at leaf i (inside an array for a list argument), null elsewhere. */
function tangentList(d: Derivatives, args: readonly unknown[], leaves: readonly Leaf[], us: readonly unknown[]): unknown[] {
  const t: unknown[] = new Array(d.arity).fill(null);
  leaves.forEach((l, i) => {
    if (l.item === undefined) t[l.arg] = us[i];
    else {
      if (!Array.isArray(t[l.arg])) t[l.arg] = new Array((args[l.arg] as unknown[]).length).fill(null);
      (t[l.arg] as unknown[])[l.item] = us[i];
    }
  });
  return t;
}

// ---- comparison --------------------------------------------------------------------------------

interface Tolerance {
  rtol: number;
  atol: number;
}
const DEFAULT_TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/**
 * Differences between the target's result and the CPU's (tensors, numbers, null, arrays of them).
 * `onGpu`: tensors of the target's run must live on the target.
 */
async function differences(what: string, g: unknown, c: unknown, tol: Tolerance, onGpu: boolean): Promise<string[]> {
  if (c === null || c === undefined) return g === null || g === undefined ? [] : [`${what}: ${target.name} gave ${show(g)}, the CPU null`];
  if (Array.isArray(c)) {
    if (!Array.isArray(g) || g.length !== c.length) return [`${what}: ${target.name} gave ${show(g)}, the CPU an array of ${c.length}`];
    const out: string[] = [];
    for (let i = 0; i < c.length; i++) out.push(...(await differences(`${what}[${i}]`, g[i], c[i], tol, onGpu)));
    return out;
  }
  if (typeof c === "number") {
    if (typeof g !== "number") return [`${what}: ${target.name} gave ${show(g)}, the CPU a number`];
    return close(g, c, tol, false) ? [] : [`${what}: ${target.name} ${g} vs cpu ${c}`];
  }
  if (!(c instanceof Tensor)) throw new Error(`${what}: unexpected CPU result ${show(c)}`);
  if (!(g instanceof Tensor)) return [`${what}: ${target.name} gave ${show(g)}, the CPU a tensor`];
  const out: string[] = [];
  if (JSON.stringify(g.shape) !== JSON.stringify(c.shape)) return [`${what}: shape ${JSON.stringify(g.shape)} ≠ cpu ${JSON.stringify(c.shape)}`];
  if (g.dtype !== c.dtype) out.push(`${what}: dtype ${g.dtype} ≠ cpu ${c.dtype}`);
  if (onGpu && g.backendName !== target.name) out.push(`${what}: the result is on ${g.backendName}, not ${target.name}`);
  const gv = await g.data();
  const cv = c.values;
  let bad = 0;
  for (let i = 0; i < cv.length; i++) {
    if (close(gv[i]!, cv[i]!, tol, c.dtype === "int32")) continue;
    if (bad++ < 3) out.push(`${what}: [${i}] ${target.name} ${gv[i]} vs cpu ${cv[i]}`);
  }
  if (bad > 3) out.push(`${what}: … ${bad} mismatches of ${cv.length}`);
  return out;
}

function close(a: number, b: number, tol: Tolerance, exact: boolean): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (exact || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
}

function show(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (x instanceof Tensor) return `a ${x.dtype} tensor ${JSON.stringify(x.shape)} on ${x.backendName}`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return typeof x;
}

/** Disposes the target's tensors in a result (after reading it). */
function release(x: unknown): void {
  if (x instanceof Tensor) {
    if (x.backendName === target.name && x.backendName !== "cpu") x.dispose();
  } else if (Array.isArray(x)) x.forEach(release);
}

function expectCT3009(thunk: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    tidy(thunk);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CotangentError);
  expect((error as CotangentError).code).toBe("CT3009");
  expect((error as CotangentError).message).toMatch(message);
}

// ---- one case on both backends ---------------------------------------------------------------------

/** What using a number argument's pending cotangent as a number throws on a backend without syncRead (ops/pending-number.ts). */
const NUMBER_COTANGENT = /plain number argument .*async operators/;

interface Extra extends Partial<Tolerance> {
  /** No derivatives: compare the value only. */
  forwardOnly?: boolean;
}

async function checkOnBoth(name: string, k: Case & Extra, seed: number): Promise<void> {
  const op = getOp(name);
  if (!op) throw new Error(`${name} is not registered`);
  const fn = op.fn as AnyFunction;
  const tol: Tolerance = { rtol: k.rtol ?? DEFAULT_TOL.rtol, atol: k.atol ?? DEFAULT_TOL.atol };
  const args = k.args().map(to32);
  const onGpu = args.some(hasTensor);
  const problems: string[] = [];

  // The CPU run (float32 inputs): the reference.
  const y = fn(...args) as unknown;
  const d = op.differentiable ? getDerivatives(fn) : undefined;
  const rand = prng(seed);
  let leaves: Leaf[] = [];
  let us: unknown[] = [];
  let g: unknown = null;
  let cpuJvp: unknown;
  let cpuCt: unknown[] = [];
  const padded = [...args];
  if (d && !k.forwardOnly) {
    while (padded.length < d.arity) padded.push(undefined);
    leaves = leavesOf(args, d.wrt);
    us = leaves.map((l) => (typeof l.value === "number" ? rand() * 2 - 1 : randomF32(l.value.shape, rand)));
    g = typeof y === "number" ? rand() * 2 - 1 : randomF32((y as Tensor).shape, rand);
    cpuJvp = d.jvp!(...padded, ...tangentList(d, args, leaves, us)).tangent;
    cpuCt = Array.from(d.vjp!(...args).pullback(g) as unknown[]);
  }

  // `item` reads a number synchronously: without syncRead that is an error with the way out.
  if (typeof y === "number") {
    const ga = args.map(upload);
    if (target.caps.syncRead) {
      selectBackend(target.name);
      try {
        problems.push(...(await differences("value", fn(...ga), y, tol, false)));
      } finally {
        selectBackend("cpu");
      }
      expect(problems).toEqual([]);
      return;
    }
    const sync = new RegExp(`CT3009: item\\(\\): .*lives on ${target.name}.*await t\\.data\\(\\)`);
    expectCT3009(() => fn(...ga), sync);
    if (d) {
      expectCT3009(() => d.jvp!(...ga, ...tangentList(d, ga, leaves, us.map(upload))), sync);
      expectCT3009(() => d.vjp!(...ga), sync);
    }
    return;
  }

  // The target's run: the same inputs, tangents and cotangent uploaded.
  selectBackend(target.name);
  try {
    const ga = args.map(upload);
    const gpadded = [...ga];
    while (d && gpadded.length < d.arity) gpadded.push(undefined);
    const gus = us.map(upload);
    const gg = upload(g);
    // Parameters holding a number: without syncRead, their cotangent is a pending number.
    const numberParams = new Set(target.caps.syncRead ? [] : leaves.filter((l) => typeof l.value === "number").map((l) => l.arg));
    const onlyNumbers = leaves.every((l) => numberParams.has(l.arg));
    /** The cotangents, with the number parameters' left out (null). */
    const withoutNumbers = (ct: unknown[]) => Array.from({ length: ct.length }, (_, p) => (numberParams.has(p) ? null : ct[p]));
    const results = tidy(() => {
      const value = fn(...ga) as Tensor;
      if (!d || k.forwardOnly) return { value, tangent: null, cts: null };
      const tangent = d.jvp!(...gpadded, ...tangentList(d, ga, leaves, gus)).tangent;
      // Derivatives with respect to a number argument are numbers: not available without syncRead
      // (the others are: pullbacks compute each cotangent when it is read).
      const cts = onlyNumbers ? null : withoutNumbers(d.vjp!(...ga).pullback(gg) as unknown[]);
      return { value, tangent, cts };
    });
    problems.push(...(await differences("value", results.value, y, tol, onGpu)));
    if (d && !k.forwardOnly) {
      problems.push(...(await differences("JVP tangent", results.tangent, cpuJvp, tol, onGpu)));
      for (const p of numberParams) {
        const pending = (d.vjp!(...ga).pullback(gg) as unknown[])[p];
        expect(isPendingNumber(pending)).toBe(true);
        expectCT3009(() => 1 + (pending as unknown as number), NUMBER_COTANGENT);
        problems.push(...(await differences(`the number cotangent of argument ${p}`, await (pending as PendingNumber).read(), cpuCt[p], tol, false)));
      }
      if (!onlyNumbers) problems.push(...(await differences("VJP cotangents", results.cts, withoutNumbers(cpuCt), tol, onGpu)));
    }
    release([results.value, results.tangent, results.cts, ga, gus, gg]);
  } finally {
    selectBackend("cpu");
  }
  expect(problems).toEqual([]);
}

// ---- the table on both backends ------------------------------------------------------------------

let seed = 1;
for (const [name, cases] of Object.entries(TABLE)) {
  describe(`${name}: ${under.name} agrees with the CPU (value, JVP, VJP)`, () => {
    for (const k of cases) {
      const s = seed++;
      it(k.name, () => checkOnBoth(name, k, s));
    }
  });
}

it("the table has number-argument cases (whose number cotangent is pending without syncRead)", () => {
  const numberCases = Object.entries(TABLE).flatMap(([name, cases]) => {
    const d = getDerivatives(getOp(name)!.fn);
    return cases.filter((k) => leavesOf(k.args(), d!.wrt).some((l) => typeof l.value === "number")).map((k) => `${name} ${k.name}`);
  });
  expect(numberCases.length).toBeGreaterThanOrEqual(15);
  expect(numberCases).toEqual(expect.arrayContaining(["add number with [2,3]", "where mask [2,3], a number, b [2,3]", "neg number 1.25 (float32 result)"]));
});

it(`a unary op of a CPU tensor whose cotangent or tangent lives on ${under.name} runs its slope there (it was a TypeError)`, async () => {
  const x = randomF32([2, 3], prng(5)); // on the CPU
  const g = randomF32([2, 3], prng(6));
  const u = randomF32([2, 3], prng(7));
  for (const name of ["tanh", "leakyRelu", "clip"]) {
    const d = getDerivatives(getOp(name)!.fn)!;
    const options = name === "leakyRelu" ? [0.1] : name === "clip" ? [-0.5, 0.5] : [];
    const cpuCt = (d.vjp!(x, ...options).pullback(g) as unknown[])[0];
    const cpuT = d.jvp!(x, ...options, u, ...options.map(() => null)).tangent;
    const gpuCt = (d.vjp!(x, ...options).pullback(upload(g)) as unknown[])[0];
    const gpuT = d.jvp!(x, ...options, upload(u), ...options.map(() => null)).tangent;
    expect([...(await differences(`${name} cotangent`, gpuCt, cpuCt, DEFAULT_TOL, true)), ...(await differences(`${name} tangent`, gpuT, cpuT, DEFAULT_TOL, true))]).toEqual([]);
  }
});

// ---- forward-only: the ops without derivatives ---------------------------------------------------

/** Values rounded to halves in [-2, 2] (float64, converted like the table's): many ties. */
function halves(shape: Shape, seed: number): Tensor {
  const v = N(shape, seed).values;
  return new Tensor(Float64Array.from(v, (x) => Math.max(-2, Math.min(2, Math.round(x * 2) / 2))), shape, "float64");
}
const F = (values: number[], shape?: Shape): Tensor => new Tensor(Float64Array.from(values), shape ?? [values.length], "float64");

const compareCases: Case[] = [
  c("[2,3] with [2,3] (ties)", () => [halves([2, 3], 1), halves([2, 3], 2)]),
  c("[2,3] with [3]", () => [halves([2, 3], 3), halves([3], 4)]),
  c("[2,1] with [1,3]", () => [halves([2, 1], 5), halves([1, 3], 6)]),
  c("scalar [] with [2,3]", () => [halves([], 7), halves([2, 3], 8)]),
  c("number with [2,3]", () => [0.5, halves([2, 3], 9)]),
  c("[2,3] with number", () => [halves([2, 3], 10), -0.5]),
  c("[1,4,1] with [3,1,2]", () => [halves([1, 4, 1], 11), halves([3, 1, 2], 12)]),
  c("size-0 [0,3] with [3]", () => [halves([0, 3], 13), halves([3], 14)]),
  c("int32 with int32", () => [I([1, -2, 3, 4, 0, -1], [2, 3]), I([1, 2, 3])]),
  c("int32 with float", () => [I([1, 2, 3]), F([1, 2.5, 2])]),
  c("NaN and ±∞", () => [F([NaN, 1, NaN, Infinity, -Infinity, 0]), F([1, NaN, NaN, Infinity, 3, -0])]),
];

const argCases: Case[] = [
  c("[2,3] default axis (ties: first)", () => [halves([2, 3], 21)]),
  c("[2,3] axis 0", () => [halves([2, 3], 22), 0]),
  c("[2,3,4] axis 1", () => [halves([2, 3, 4], 23), 1]),
  c("[2,3,4] axis -1", () => [halves([2, 3, 4], 24), -1]),
  c("[7] vector", () => [halves([7], 25)]),
  c("[2,300] long lines", () => [N([2, 300], 26)]),
  c("NaN wins (first NaN)", () => [F([1, NaN, 3, NaN, -Infinity, 2], [2, 3])]),
  c("int32 input", () => [I([3, 9, 9, -1, 0, 4], [3, 2])]),
];

const FORWARD: Record<string, Case[]> = {
  ...Object.fromEntries(["equal", "notEqual", "greater", "greaterEqual", "less", "lessEqual"].map((name) => [name, compareCases])),
  argMax: argCases,
  argMin: argCases,
  oneHot: [
    c("[3] depth 3", () => [I([2, 0, 1]), 3]),
    c("[2,2] depth 5 with repeats", () => [I([4, 4, 0, 1], [2, 2]), 5]),
    c("int32 result", () => [I([1, 0, 2]), 4, "int32"]),
    c("scalar index", () => [I([2], []), 3]),
    c("no indices", () => [I([]), 3]),
  ],
  maxPool2dIndices: [
    c("[1,4,4,2] size 2", () => [N([1, 4, 4, 2], 31), { size: 2 }]),
    c("[2,5,5,1] size 3 stride 2 same", () => [N([2, 5, 5, 1], 32), { size: 3, stride: 2, padding: "same" }]),
    c("ties: the first maximum", () => [F([1, 1, 1, 1, 2, 2, 0, 2], [1, 2, 4, 1]), { size: 2 }]),
  ],
  // The cast table's cases are float → float (float32 here); cast to int32 truncates.
  cast: [
    c("float32 → int32 (truncates toward zero)", () => [F([1.9, -1.9, 0.5, -0.5, 7, -3.25], [2, 3]), "int32"]),
    c("int32 → float32", () => [I([5, -7, 0, 2147483647]), "float32"]),
    c("int32 → int32", () => [I([1, 2, 3]), "int32"]),
  ],
};

for (const [name, cases] of Object.entries(FORWARD)) {
  describe(`${name} (no derivatives): ${under.name} agrees with the CPU`, () => {
    for (const k of cases) {
      const s = seed++;
      it(k.name, () => checkOnBoth(name, { ...k, forwardOnly: true }, s));
    }
  });
}

// ---- conv2d and pooling: the shapes of conv.test.ts, with derivatives ------------------------------

const CONV_SHAPES: Array<[Shape, Shape, object | undefined]> = [
  [[1, 5, 5, 1], [3, 3, 1, 1], undefined],
  [[1, 5, 5, 1], [3, 3, 1, 1], { padding: "same" }],
  [[2, 7, 6, 3], [3, 3, 3, 2], { padding: "same" }],
  [[2, 7, 6, 3], [3, 3, 3, 2], { stride: 2, padding: "same" }],
  [[2, 7, 6, 3], [3, 3, 3, 2], { stride: 2, padding: "valid" }],
  [[1, 6, 7, 2], [2, 3, 2, 3], { stride: [2, 1] }],
  [[2, 6, 8, 2], [2, 3, 2, 3], { stride: [1, 3], padding: "same" }],
  [[2, 5, 4, 3], [1, 1, 3, 2], undefined],
  [[2, 5, 5, 3], [1, 1, 3, 2], { stride: 2, padding: "same" }],
  [[1, 4, 4, 2], [4, 4, 2, 3], undefined],
  [[1, 3, 3, 1], [5, 5, 1, 2], { padding: "same" }],
  [[1, 1, 1, 2], [3, 3, 2, 1], { stride: 2, padding: "same" }],
  [[2, 9, 9, 3], [3, 3, 3, 4], { stride: 2, padding: "same" }],
];

const POOL_SHAPES: Array<[Shape, object]> = [
  [[1, 4, 4, 1], { size: 2 }],
  [[2, 5, 5, 3], { size: 2 }],
  [[2, 5, 5, 3], { size: 2, padding: "same" }],
  [[1, 7, 6, 2], { size: 3, stride: 2 }],
  [[1, 7, 6, 2], { size: 3, stride: 2, padding: "same" }],
  [[2, 5, 6, 1], { size: 3, stride: 1, padding: "same" }],
  [[1, 6, 7, 2], { size: [2, 3], stride: [1, 2] }],
  [[1, 6, 7, 2], { size: [3, 2], padding: "same" }],
  [[1, 5, 5, 2], { size: 1, stride: 2 }],
];

const CONV_EXTRA: Record<string, Case[]> = {
  conv2d: CONV_SHAPES.map(([x, f, o], i) => c(`${JSON.stringify(x)} * ${JSON.stringify(f)} ${JSON.stringify(o ?? {})}`, () => [N(x, 600 + i), N(f, 650 + i), o])),
  maxPool2d: [
    ...POOL_SHAPES.map(([x, o], i) => c(`${JSON.stringify(x)} ${JSON.stringify(o)}`, () => [N(x, 700 + i), o])),
    // Ties: both backends route the derivative to the first maximal element of each window.
    c("ties [2,6,6,2] size 3 stride 2 same", () => [halves([2, 6, 6, 2], 720), { size: 3, stride: 2, padding: "same" }]),
  ],
  avgPool2d: POOL_SHAPES.map(([x, o], i) => c(`${JSON.stringify(x)} ${JSON.stringify(o)}`, () => [N(x, 750 + i), o])),
};

for (const [name, cases] of Object.entries(CONV_EXTRA)) {
  describe(`${name}, conv.test.ts shapes: ${under.name} agrees with the CPU (value, JVP, VJP)`, () => {
    for (const k of cases) {
      const s = seed++;
      it(k.name, () => checkOnBoth(name, k, s));
    }
  });
}
}
