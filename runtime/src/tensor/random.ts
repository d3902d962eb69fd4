// Seeded random tensors. The generator is counter-based (element i of a tensor is a hash of the
// seed and i), so the numbers do not depend on the backend, the machine or the order of work.

import { CotangentError } from "../errors.js";
import { allocate, checkDType, type DType } from "./dtype.js";
import { checkShape, sizeOf } from "./shape.js";
import { place } from "./create.js";
import type { Tensor } from "./tensor.js";

/** A 32-bit integer hash with good avalanche (Chris Wellons' lowbias32). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Uniform in [0, 1) with 53 random bits, for counter `i` of stream `seed`. */
function uniform01(seed: number, i: number): number {
  const k = mix32(seed ^ 0x9e3779b9);
  const hi = mix32(k ^ mix32(2 * i)) >>> 5; // 27 bits
  const lo = mix32(k ^ mix32(2 * i + 1) ^ 0x85ebca6b) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

function checkSeed(seed: unknown, op: string): number {
  if (seed === undefined) return 0;
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw new CotangentError("CT3005", `${op}: seed must be an integer, got ${String(seed)}.`);
  return seed >>> 0;
}

export interface RandomNormalOptions {
  /** Default 0. The same seed gives the same numbers everywhere. */
  seed?: number;
  mean?: number;
  stddev?: number;
  dtype?: DType;
}

/**
 * Normally distributed numbers (Box–Muller over the counter-based uniform generator).
 *
 * @example
 * const w = randomNormal([784, 256], { seed: 1, stddev: Math.sqrt(2 / 784) });
 */
export function randomNormal(shape: readonly number[], options: RandomNormalOptions = {}): Tensor {
  const op = "randomNormal";
  checkShape(shape, op);
  const seed = checkSeed(options.seed, op);
  const mean = options.mean ?? 0;
  const stddev = options.stddev ?? 1;
  const dtype = checkDType(options.dtype ?? "float32", op);
  const n = sizeOf(shape);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - uniform01(seed, i); // (0, 1]: log is finite
    const u2 = uniform01(seed, i + 1);
    const r = Math.sqrt(-2 * Math.log(u1));
    data[i] = mean + stddev * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) data[i + 1] = mean + stddev * r * Math.sin(2 * Math.PI * u2);
  }
  return place(data, shape, dtype);
}

export interface RandomUniformOptions {
  seed?: number;
  /** Default 0. */
  min?: number;
  /** Default 1 (excluded). */
  max?: number;
  dtype?: DType;
}

/** Uniformly distributed numbers in [min, max). int32 gives integers in [min, max). */
export function randomUniform(shape: readonly number[], options: RandomUniformOptions = {}): Tensor {
  const op = "randomUniform";
  checkShape(shape, op);
  const seed = checkSeed(options.seed, op);
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  if (!(max >= min)) throw new CotangentError("CT3005", `${op}: max (${max}) must not be below min (${min}).`);
  const dtype = checkDType(options.dtype ?? "float32", op);
  const n = sizeOf(shape);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const u = uniform01(seed, i);
    data[i] = dtype === "int32" ? Math.floor(min + u * (max - min)) : min + u * (max - min);
  }
  return place(data, shape, dtype);
}
