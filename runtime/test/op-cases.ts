// The per-op case table (shared by ./ops.test.ts, which checks every case's derivatives against
// finite differences in float64, and ./ops-webgpu.test.ts, which runs the same cases on the CPU and
// on WebGPU in float32 and compares them): every differentiable op in listOps() has cases here
// (shapes with broadcasting, size-1 and size-0 dims, scalars, number operands, options), and the
// input generators the cases use.

import { Tensor, cast, getOp, randomNormal, randomUniform, tensor } from "../src/index";
import type { GradCheckOptions } from "./gradcheck";

// ---- inputs ----------------------------------------------------------------------------------

export type Shape = number[];

/** Seeded standard normal, float64. */
export const N = (shape: Shape, seed: number, stddev = 1): Tensor => randomNormal(shape, { seed, stddev, dtype: "float64" });
/** Seeded uniform in [lo, hi), float64. */
export const U = (shape: Shape, seed: number, lo: number, hi: number): Tensor => randomUniform(shape, { seed, min: lo, max: hi, dtype: "float64" });
/** Normal values pushed at least `margin` away from every point in `kinks` (relu at 0, clip bounds, …). */
export function away(shape: Shape, seed: number, kinks: readonly number[] = [0], margin = 0.1): Tensor {
  const v = N(shape, seed).dataSync();
  for (let i = 0; i < v.length; i++)
    for (const k of kinks) if (Math.abs(v[i]! - k) < margin) v[i] = k + (v[i]! >= k ? margin : -margin);
  return tensor(v, shape, "float64");
}
/** Non-zero magnitude in [0.5, 2) with a random sign (a safe divisor). */
export function nonZero(shape: Shape, seed: number): Tensor {
  const m = U(shape, seed, 0.5, 2).dataSync();
  const s = U(shape, seed + 1000, 0, 1).dataSync();
  return tensor(m.map((x, i) => (s[i]! < 0.5 ? -x : x)), shape, "float64");
}
/** An int32 tensor. */
export const I = (values: number[], shape?: Shape): Tensor => tensor(values, shape ?? [values.length], "int32");
/** `t` stored as float32 (finite differences then use the exact float32 step, so they stay precise). */
export const F32 = (t: Tensor): Tensor => cast(t, "float32");
/** Options of cases with float32 inputs: a step float32 can represent. */
export const f32Step = { eps: 1e-4, jvpTol: 1e-6, why: "float32 input: step 1e-4, float32 cotangents" };

// ---- the table -------------------------------------------------------------------------------

export interface Case extends GradCheckOptions {
  name: string;
  args: () => unknown[];
  /** Why the finite-difference check is skipped or loosened, when it is. */
  why?: string;
}

export const c = (name: string, args: () => unknown[], options: Omit<Case, "name" | "args"> = {}): Case => ({ name, args, ...options });

/** Cases of a unary elementwise op whose inputs come from `gen(shape, seed)`. */
export function unaryCases(gen: (shape: Shape, seed: number) => Tensor, numberInput?: number): Case[] {
  const cases = [
    c("[2,3]", () => [gen([2, 3], 1)]),
    c("scalar []", () => [gen([], 2)]),
    c("size-1 dims [1,4,1]", () => [gen([1, 4, 1], 3)]),
    c("size-0 [0,3]", () => [gen([0, 3], 4)]),
    c("rank 3 [2,2,2]", () => [gen([2, 2, 2], 5)]),
  ];
  if (numberInput !== undefined)
    // A number input gives a float32 scalar: a coarser step and tolerance for float32 rounding.
    cases.push(c(`number ${numberInput} (float32 result)`, () => [numberInput], { eps: 1e-2, tol: 1e-3, jvpTol: 1e-6, why: "float32 result" }));
  return cases;
}

/** Cases of a broadcasting binary op; `ga`/`gb` make its left and right operands. */
export function binaryCases(ga: (shape: Shape, seed: number) => Tensor, gb: (shape: Shape, seed: number) => Tensor, numA: number, numB: number): Case[] {
  return [
    c("[2,3] with [2,3]", () => [ga([2, 3], 11), gb([2, 3], 12)]),
    c("[2,3] with [3]", () => [ga([2, 3], 13), gb([3], 14)]),
    c("[3] with [2,3]", () => [ga([3], 15), gb([2, 3], 16)]),
    c("[2,1] with [1,3]", () => [ga([2, 1], 17), gb([1, 3], 18)]),
    c("scalar [] with [2,3]", () => [ga([], 19), gb([2, 3], 20)]),
    c("[2,3] with scalar []", () => [ga([2, 3], 21), gb([], 22)]),
    c("number with [2,3]", () => [numA, gb([2, 3], 23)]),
    c("[2,3] with number", () => [ga([2, 3], 24), numB]),
    c("[1,4,1] with [3,1,2]", () => [ga([1, 4, 1], 25), gb([3, 1, 2], 26)]),
    c("size-0 [0,3] with [3]", () => [ga([0, 3], 27), gb([3], 28)]),
    c("[2,1,3] with [4,1]", () => [ga([2, 1, 3], 29), gb([4, 1], 30)]),
  ];
}

/** Cases of a reduction op (x, axis?, keepDims?). */
export function reduceCases(gen: (shape: Shape, seed: number) => Tensor = N): Case[] {
  return [
    c("[2,3] all axes", () => [gen([2, 3], 31)]),
    c("[2,3] axis 0", () => [gen([2, 3], 32), 0]),
    c("[2,3] axis -1 keepDims", () => [gen([2, 3], 33), -1, true]),
    c("[2,3,2] axes [0,2] keepDims", () => [gen([2, 3, 2], 34), [0, 2], true]),
    c("[2,3,2] axes [-1,0]", () => [gen([2, 3, 2], 35), [-1, 0]]),
    c("[2,3] all axes keepDims (axis undefined)", () => [gen([2, 3], 36), undefined, true]),
    c("[1,4,1] axis 1", () => [gen([1, 4, 1], 37), 1]),
    c("scalar []", () => [gen([], 38)]),
    c("size-0 [0,3] axis 1", () => [gen([0, 3], 39), 1]),
    c("[2,3] axes [] (no reduction)", () => [gen([2, 3], 40), []]),
  ];
}

/** Cases of softmax / logSoftmax (x, axis?). */
export function softmaxCases(): Case[] {
  return [
    c("[2,3] default axis", () => [N([2, 3], 41)]),
    c("[2,3] axis 0", () => [N([2, 3], 42), 0]),
    c("[2,3,2] axis 1", () => [N([2, 3, 2], 43), 1]),
    c("[2,3,2] axis -2", () => [N([2, 3, 2], 44), -2]),
    c("[1,4]", () => [N([1, 4], 45)]),
    c("[3] vector", () => [N([3], 46, 3)]),
    c("[2,1] size-1 axis", () => [N([2, 1], 47)]),
    c("size-0 [0,3]", () => [N([0, 3], 48)]),
  ];
}

export const TABLE: Record<string, Case[]> = {
  // Unary elementwise.
  neg: unaryCases(N, 1.25),
  square: unaryCases(N, 1.3),
  sqrt: unaryCases((s, k) => U(s, k, 0.5, 2)),
  exp: unaryCases(N, 0.7),
  log: unaryCases((s, k) => U(s, k, 0.5, 2)),
  log1p: unaryCases((s, k) => U(s, k, -0.5, 2)),
  abs: unaryCases((s, k) => away(s, k)),
  sin: unaryCases(N),
  cos: unaryCases(N),
  tanh: unaryCases(N),
  sigmoid: [...unaryCases(N), c("large |x| (stable branches)", () => [tensor([-30, -5, 5, 30], [4], "float64")])],
  relu: unaryCases((s, k) => away(s, k)),
  softplus: [...unaryCases(N), c("large |x| (stable branches)", () => [tensor([-30, -5, 5, 30], [4], "float64")])],
  gelu: unaryCases((s, k) => N(s, k, 2)),
  leakyRelu: [
    c("[2,3] default alpha", () => [away([2, 3], 51)]),
    c("[2,3] alpha 0.1", () => [away([2, 3], 52), 0.1]),
    c("scalar, alpha 0.5", () => [away([], 53), 0.5]),
    c("size-0 [0,2]", () => [away([0, 2], 54), 0.3]),
    c("[1,5] negative alpha", () => [away([1, 5], 55), -0.2]),
  ],
  // Binary elementwise with broadcasting.
  add: [
    ...binaryCases(N, N, 1.5, -2),
    c("float32 [2,3] with float64 [3] (each cotangent in its own dtype)", () => [F32(N([2, 3], 31)), N([3], 32)], f32Step),
    c("int32 [3] operand gets no cotangent", () => [N([2, 3], 33), I([1, -2, 3])]),
  ],
  sub: binaryCases(N, N, 1.5, -2),
  mul: [
    ...binaryCases(N, N, 1.5, -2),
    c("float64 [2,1] with float32 [3]", () => [N([2, 1], 34), F32(N([3], 35))], f32Step),
    c("int32 [2,3] operand gets no cotangent", () => [I([1, 2, 3, 4, 5, 6], [2, 3]), N([3], 36)]),
  ],
  div: [...binaryCases(N, nonZero, 1.5, -2), c("float64 [2,3] / float32 [3]", () => [N([2, 3], 37), F32(nonZero([3], 38))], f32Step)],
  pow: binaryCases((s, k) => U(s, k, 0.5, 2), N, 1.7, 2.5),
  maximum: binaryCases(N, N, 0.3, -0.4),
  minimum: binaryCases(N, N, 0.3, -0.4),
  where: [
    c("mask [2,3], a [2,3], b [2,3]", () => [I([1, 0, 1, 0, 0, 1], [2, 3]), N([2, 3], 61), N([2, 3], 62)]),
    c("broadcast mask [2,1], a [2,3], b [3]", () => [I([1, 0], [2, 1]), N([2, 3], 63), N([3], 64)]),
    c("mask [3], a [2,1], b [1,3]", () => [I([0, 1, 1]), N([2, 1], 65), N([1, 3], 66)]),
    c("mask [2,3], a number, b [2,3]", () => [I([1, 1, 0, 0, 1, 0], [2, 3]), 2.5, N([2, 3], 67)]),
    c("mask [2,3], a [3], b number", () => [I([0, 1, 0, 1, 1, 0], [2, 3]), N([3], 68), -1.5]),
    c("float mask [2,2] (non-zero = true)", () => [tensor([0.5, 0, 0, -1], [2, 2], "float64"), N([2, 2], 69), N([2, 2], 70)]),
    c("scalar mask 1: b gets zero", () => [I([1], []), N([2, 2], 71), N([2, 2], 72)]),
    c("size-0", () => [I([], [0, 2]), N([0, 2], 73), N([2], 74)]),
    c("number mask 0", () => [0, N([2, 2], 75), N([2], 76)]),
    c("float32 a with float64 b", () => [I([1, 0, 0, 1], [2, 2]), F32(N([2, 2], 77)), N([2, 2], 78)], f32Step),
  ],
  clip: [
    c("[2,3] in [-0.5, 0.5]", () => [away([2, 3], 81, [-0.5, 0.5], 0.05), -0.5, 0.5]),
    c("[3,4] in [0, 1]", () => [away([3, 4], 82, [0, 1], 0.05), 0, 1]),
    c("scalar inside", () => [tensor(0.3, [], "float64"), -1, 1]),
    c("size-0", () => [N([0, 3], 83), -1, 1]),
  ],
  cast: [
    c("float64 → float64", () => [N([2, 3], 91), "float64"]),
    // float32 rounding: a coarse step and tolerance.
    c("float64 → float32", () => [N([2, 3], 92), "float32"], { eps: 1e-2, tol: 1e-4, jvpTol: 1e-6, why: "float32 result" }),
    c("float32 → float64", () => [randomNormal([2, 3], { seed: 93 }), "float64"], { eps: 1e-2, tol: 1e-4, jvpTol: 1e-6, why: "float32 input" }),
    c("scalar", () => [N([], 94), "float64"]),
  ],
  // Reductions.
  sum: reduceCases(),
  mean: [...reduceCases().filter((k) => !k.name.startsWith("size-0")), c("size-0 [0,3] axis 1", () => [N([0, 3], 39), 1])],
  max: reduceCases(),
  min: reduceCases(),
  logSumExp: [...reduceCases(), c("large values (stable shift)", () => [tensor([1000, 1001, -1000, 999], [2, 2], "float64"), 1])],
  // Matrix product.
  matmul: [
    c("[2,3] @ [3,4]", () => [N([2, 3], 101), N([3, 4], 102)]),
    c("[3,2]ᵀ @ [3,4]", () => [N([3, 2], 103), N([3, 4], 104), true, false]),
    c("[2,3] @ [4,3]ᵀ", () => [N([2, 3], 105), N([4, 3], 106), false, true]),
    c("[3,2]ᵀ @ [4,3]ᵀ", () => [N([3, 2], 107), N([4, 3], 108), true, true]),
    c("batched [2,2,3] @ [3,4] (b broadcast)", () => [N([2, 2, 3], 109), N([3, 4], 110)]),
    c("batched [2,3] @ [2,3,2] (a broadcast)", () => [N([2, 3], 111), N([2, 3, 2], 112)]),
    c("broadcast batch [2,1,2,3] @ [3,3,2]", () => [N([2, 1, 2, 3], 113), N([3, 3, 2], 114)]),
    c("batched transposes [2,3,2]ᵀ @ [1,4,3]ᵀ", () => [N([2, 3, 2], 115), N([1, 4, 3], 116), true, true]),
    c("[1,1] @ [1,1]", () => [N([1, 1], 117), N([1, 1], 118)]),
    c("size-0 rows [0,3] @ [3,2]", () => [N([0, 3], 119), N([3, 2], 120)]),
    c("size-0 inner [2,0] @ [0,3]", () => [N([2, 0], 121), N([0, 3], 122)]),
    c("float32 [2,3] @ float64 [3,2]", () => [F32(N([2, 3], 123)), N([3, 2], 124)], f32Step),
    c("int32 b gets no cotangent", () => [N([2, 3], 125), I([1, 0, -1, 2, 0, 1], [3, 2])]),
  ],
  // Movement.
  reshape: [
    c("[2,3] → [3,2]", () => [N([2, 3], 131), [3, 2]]),
    c("[2,3] → [-1]", () => [N([2, 3], 132), [-1]]),
    c("[2,3,2] → [2,-1,1]", () => [N([2, 3, 2], 133), [2, -1, 1]]),
    c("[] → [1,1]", () => [N([], 134), [1, 1]]),
    c("size-0 [0,3] → [3,0]", () => [N([0, 3], 135), [3, 0]]),
  ],
  flatten: [
    c("[2,3,2]", () => [N([2, 3, 2], 141)]),
    c("scalar", () => [N([], 142)]),
    c("size-0 [0,2]", () => [N([0, 2], 143)]),
    c("[2,3,2] from axis 1", () => [N([2, 3, 2], 144), 1]),
    c("[2,3,2] from axis -1", () => [N([2, 3, 2], 145), -1]),
  ],
  expandDims: [
    c("[2,3] default axis", () => [N([2, 3], 151)]),
    c("[2,3] axis 1", () => [N([2, 3], 152), 1]),
    c("[2,3] axis -1", () => [N([2, 3], 153), -1]),
    c("scalar", () => [N([], 154), 0]),
  ],
  squeeze: [
    c("[1,3,1] all", () => [N([1, 3, 1], 161)]),
    c("[1,3,1] axis 0", () => [N([1, 3, 1], 162), 0]),
    c("[1,3,1] axis [-1]", () => [N([1, 3, 1], 163), [-1]]),
    c("[1,1] → []", () => [N([1, 1], 164)]),
  ],
  transpose: [
    c("[2,3] default", () => [N([2, 3], 171)]),
    c("rank 3 [2,3,2] perm [1,2,0]", () => [N([2, 3, 2], 172), [1, 2, 0]]),
    c("rank 3 [2,3,4] perm [2,0,1]", () => [N([2, 3, 4], 173), [2, 0, 1]]),
    c("negative perm [-1,0,1]", () => [N([2, 3, 2], 174), [-1, 0, 1]]),
    c("rank 3 default (reversed)", () => [N([2, 1, 3], 175)]),
    c("scalar", () => [N([], 176)]),
    c("size-0 [0,2]", () => [N([0, 2], 177)]),
  ],
  broadcastTo: [
    c("[3] → [2,3]", () => [N([3], 181), [2, 3]]),
    c("[2,1] → [2,3]", () => [N([2, 1], 182), [2, 3]]),
    c("[] → [2,2]", () => [N([], 183), [2, 2]]),
    c("[1,3] → [2,2,3]", () => [N([1, 3], 184), [2, 2, 3]]),
    c("same shape", () => [N([2, 3], 185), [2, 3]]),
    c("[1] → [0]", () => [N([1], 186), [0]]),
  ],
  slice: [
    c("[4,3] begin [1,0] size [2,-1]", () => [N([4, 3], 191), [1, 0], [2, -1]]),
    c("[4,3] begin [-2] (short begin, no size)", () => [N([4, 3], 192), [-2]]),
    c("[2,3,2] begin [0,1,0] size [-1,1,-1]", () => [N([2, 3, 2], 193), [0, 1, 0], [-1, 1, -1]]),
    c("size 0", () => [N([4, 3], 194), [1, 1], [0, 2]]),
    c("scalar", () => [N([], 195), []]),
  ],
  pad: [
    c("[2,3] [[1,0],[0,2]]", () => [N([2, 3], 201), [[1, 0], [0, 2]]]),
    c("[2,3] with value 1.5", () => [N([2, 3], 202), [[1, 1], [2, 0]], 1.5]),
    c("scalar", () => [N([], 203), []]),
    c("size-0 [0,2]", () => [N([0, 2], 204), [[1, 1], [0, 0]]]),
    c("[1,2,1] rank 3", () => [N([1, 2, 1], 205), [[0, 1], [1, 0], [2, 2]]]),
  ],
  concat: [
    c("[2,3] + [1,3] axis 0", () => [[N([2, 3], 211), N([1, 3], 212)]]),
    c("[2,1] + [2,3] + [2,2] axis 1", () => [[N([2, 1], 213), N([2, 3], 214), N([2, 2], 215)], 1]),
    c("axis -1", () => [[N([2, 2], 216), N([2, 1], 217)], -1]),
    c("one element", () => [[N([2, 3], 218)], 0]),
    c("with a size-0 piece", () => [[N([0, 3], 219), N([2, 3], 220)], 0]),
    c("an int32 element gets no cotangent", () => [[N([2, 2], 221), I([1, 2, 3, 4], [2, 2])], 0]),
    c("float32 and float64 elements", () => [[F32(N([1, 2], 222)), N([2, 2], 223)], 0], f32Step),
  ],
  stack: [
    c("two [2,3] axis 0", () => [[N([2, 3], 231), N([2, 3], 232)]]),
    c("three [2] axis 1", () => [[N([2], 233), N([2], 234), N([2], 235)], 1]),
    c("axis -1", () => [[N([2, 2], 236), N([2, 2], 237)], -1]),
    c("scalars", () => [[N([], 238), N([], 239), N([], 240)]]),
    c("size-0", () => [[N([0, 2], 241), N([0, 2], 242)], 1]),
  ],
  gather: [
    c("[4,3] repeated indices [0,2,2,1]", () => [N([4, 3], 251), I([0, 2, 2, 1])]),
    c("index tensor of shape [2,2]", () => [N([4, 3], 252), I([3, 3, 0, 3], [2, 2])]),
    c("axis 1 with repeats", () => [N([2, 3], 253), I([2, 0, 2]), 1]),
    c("axis -1 on rank 3", () => [N([2, 2, 3], 254), I([1, 1]), -1]),
    c("number-array indices", () => [N([3, 2], 255), [2, 2, 0]]),
    c("no indices", () => [N([3, 2], 256), I([])]),
  ],
  // NN.
  softmax: softmaxCases(),
  logSoftmax: softmaxCases(),
  crossEntropy: [
    c("[3,4] int32 labels with a repeat", () => [N([3, 4], 261), I([0, 3, 3])]),
    c("[1,2]", () => [N([1, 2], 262), I([1])]),
    c("[2,5] large logits", () => [N([2, 5], 263, 10), I([4, 0])]),
  ],
  mse: [
    c("[2,3] with [2,3]", () => [N([2, 3], 271), N([2, 3], 272)]),
    c("[2,3] with broadcast [3]", () => [N([2, 3], 273), N([3], 274)]),
    c("[2,3] with broadcast [2,1]", () => [N([2, 3], 275), N([2, 1], 276)]),
    c("scalars", () => [N([], 277), N([], 278)]),
    c("[4] with scalar target", () => [N([4], 279), N([], 280)]),
  ],
};

// Ops that may or may not be registered in this checkout (being added beside this work): their
// entries join the table only when the op exists, so the coverage test asks for them as soon as
// they do. `item` is a method-only op whose result is a number.
export const OPTIONAL: Record<string, Case[]> = {
  item: [
    c("[1]", () => [N([1], 291)]),
    c("scalar []", () => [N([], 292)]),
    c("[1,1,1]", () => [N([1, 1, 1], 293)]),
  ],
  conv2d: [
    c("[1,4,4,2] * [3,3,2,3] valid", () => [N([1, 4, 4, 2], 301), N([3, 3, 2, 3], 302)]),
    c("[2,5,5,1] * [3,3,1,2] same, stride 2", () => [N([2, 5, 5, 1], 303), N([3, 3, 1, 2], 304), { padding: "same", stride: 2 }]),
    c("[1,3,4,2] * [2,1,2,1] stride [1,2]", () => [N([1, 3, 4, 2], 305), N([2, 1, 2, 1], 306), { stride: [1, 2] }]),
    c("[1,2,2,1] * [1,1,1,1] (a scale)", () => [N([1, 2, 2, 1], 307), N([1, 1, 1, 1], 308)]),
  ],
  maxPool2d: [
    c("[1,4,4,2] size 2", () => [N([1, 4, 4, 2], 311), { size: 2 }]),
    c("[2,5,5,1] size 3 stride 2 same", () => [N([2, 5, 5, 1], 312), { size: 3, stride: 2, padding: "same" }]),
    c("[1,3,4,1] size [2,3] stride 1", () => [N([1, 3, 4, 1], 313), { size: [2, 3], stride: 1 }]),
  ],
  avgPool2d: [
    c("[1,4,4,2] size 2", () => [N([1, 4, 4, 2], 321), { size: 2 }]),
    c("[2,5,5,1] size 3 stride 2 same", () => [N([2, 5, 5, 1], 322), { size: 3, stride: 2, padding: "same" }]),
    c("[1,3,4,1] size [2,3] stride 1", () => [N([1, 3, 4, 1], 323), { size: [2, 3], stride: 1 }]),
  ],
};
for (const [name, cases] of Object.entries(OPTIONAL)) if (getOp(name)) TABLE[name] = cases;
