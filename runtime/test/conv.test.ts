import { describe, expect, it } from "@jest/globals";
import {
  avgPool2d,
  conv2d,
  CotangentError,
  getOp,
  jvpCall,
  maxPool2d,
  primitiveManifest,
  tensor,
  Tensor,
  vjpCall,
  type Conv2DOptions,
  type DType,
  type Pool2DOptions,
} from "../src/index";

// ---- helpers -----------------------------------------------------------------------------------

/** Deterministic values in [-1, 1) (xorshift32). */
function randomValues(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(s / 2 ** 31 - 1);
  }
  return out;
}

function rand(shape: number[], seed: number, dtype: DType = "float64"): Tensor {
  return tensor(randomValues(shape.reduce((p, d) => p * d, 1), seed), shape, dtype);
}

function pairOf(v: number | readonly [number, number] | undefined, fallback: [number, number]): [number, number] {
  if (v === undefined) return fallback;
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** Output size and padding before along one axis (TensorFlow's rule), computed independently. */
function axisRef(n: number, k: number, s: number, padding: "same" | "valid"): [number, number] {
  if (padding === "valid") return [Math.floor((n - k) / s) + 1, 0];
  const out = Math.ceil(n / s);
  const total = Math.max(0, (out - 1) * s + k - n);
  return [out, Math.floor(total / 2)];
}

/** The textbook seven-loop convolution, in float64. */
function convRef(x: Tensor, f: Tensor, options: Conv2DOptions = {}): { shape: number[]; values: number[] } {
  const [B, H, W, C] = x.shape as number[] as [number, number, number, number];
  const [FH, FW, , O] = f.shape as number[] as [number, number, number, number];
  const [sh, sw] = pairOf(options.stride, [1, 1]);
  const padding = options.padding ?? "valid";
  const [OH, pt] = axisRef(H, FH, sh, padding);
  const [OW, pl] = axisRef(W, FW, sw, padding);
  const xv = x.values;
  const fv = f.values;
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let ky = 0; ky < FH; ky++)
            for (let kx = 0; kx < FW; kx++) {
              const iy = oy * sh - pt + ky;
              const ix = ox * sw - pl + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < C; c++) s += xv[((b * H + iy) * W + ix) * C + c]! * fv[((ky * FW + kx) * C + c) * O + o]!;
            }
          out.push(s);
        }
  return { shape: [B, OH, OW, O], values: out };
}

function poolRef(x: Tensor, options: Pool2DOptions, kind: "max" | "avg"): { shape: number[]; values: number[] } {
  const [B, H, W, C] = x.shape as number[] as [number, number, number, number];
  const [kh, kw] = pairOf(options.size, [1, 1]);
  const [sh, sw] = pairOf(options.stride, [kh, kw]);
  const padding = options.padding ?? "valid";
  const [OH, pt] = axisRef(H, kh, sh, padding);
  const [OW, pl] = axisRef(W, kw, sw, padding);
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          const seen: number[] = [];
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - pt + ky;
              const ix = ox * sw - pl + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) seen.push(x.values[((b * H + iy) * W + ix) * C + c]!);
            }
          out.push(kind === "max" ? Math.max(...seen) : seen.reduce((p, v) => p + v, 0) / seen.length);
        }
  return { shape: [B, OH, OW, C], values: out };
}

function expectClose(actual: Tensor, expected: { shape: number[]; values: number[] }, tol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.values;
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) worst = Math.max(worst, Math.abs(a[i]! - expected.values[i]!) / (1 + Math.abs(expected.values[i]!)));
  expect(worst).toBeLessThan(tol);
}

function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.values[i]! * b.values[i]!;
  return s;
}

function perturbed(t: Tensor, i: number, h: number): Tensor {
  const v = Float64Array.from(t.values);
  v[i] += h;
  return new Tensor(v, t.shape, "float64");
}

/**
 * Checks the VJP of f (a function of the listed tensor arguments) against central differences
 * of ⟨f(args), w⟩ for every element of every argument.
 */
function checkVjpByDifferences(f: (...args: Tensor[]) => Tensor, vjp: (...args: Tensor[]) => { value: unknown; pullback: (g: unknown) => unknown[] }, args: Tensor[]): void {
  const y = f(...args);
  const w = rand([...y.shape], 99);
  const grads = vjp(...args).pullback(w) as Tensor[];
  const h = 1e-6;
  args.forEach((a, k) => {
    const g = grads[k]!;
    expect(g.shape).toEqual(a.shape);
    for (let i = 0; i < a.size; i++) {
      const plus = args.map((b, j) => (j === k ? perturbed(b, i, h) : b));
      const minus = args.map((b, j) => (j === k ? perturbed(b, i, -h) : b));
      const fd = (dot(f(...plus), w) - dot(f(...minus), w)) / (2 * h);
      expect(Math.abs(g.values[i]! - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
    }
  });
}

// ---- conv2d ------------------------------------------------------------------------------------

interface ConvCase {
  x: number[];
  f: number[];
  options?: Conv2DOptions;
}

const convCases: ConvCase[] = [
  { x: [1, 5, 5, 1], f: [3, 3, 1, 1] },
  { x: [1, 5, 5, 1], f: [3, 3, 1, 1], options: { padding: "same" } },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 2], options: { padding: "same" } },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 2], options: { stride: 2, padding: "same" } },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 2], options: { stride: 2, padding: "valid" } },
  { x: [1, 6, 7, 2], f: [2, 3, 2, 3], options: { padding: "same" } },
  { x: [1, 6, 7, 2], f: [2, 3, 2, 3], options: { stride: [2, 1] } },
  { x: [2, 6, 8, 2], f: [2, 3, 2, 3], options: { stride: [1, 3], padding: "same" } },
  { x: [2, 5, 4, 3], f: [1, 1, 3, 2] },
  { x: [2, 5, 4, 3], f: [1, 1, 3, 2], options: { padding: "same" } },
  { x: [2, 5, 5, 3], f: [1, 1, 3, 2], options: { stride: 2, padding: "same" } },
  { x: [1, 4, 4, 2], f: [4, 4, 2, 3] },
  { x: [1, 3, 3, 1], f: [5, 5, 1, 2], options: { padding: "same" } },
  { x: [1, 1, 1, 2], f: [3, 3, 2, 1], options: { stride: 2, padding: "same" } },
];

const label = (c: ConvCase) => `${JSON.stringify(c.x)} * ${JSON.stringify(c.f)} ${JSON.stringify(c.options ?? {})}`;

describe("conv2d forward", () => {
  it.each(convCases.map((c) => [label(c), c] as const))("matches the naive loop: %s", (_, c) => {
    const x = rand(c.x, 1);
    const f = rand(c.f, 2);
    expectClose(conv2d(x, f, c.options), convRef(x, f, c.options), 1e-12);
    const y32 = conv2d(rand(c.x, 1, "float32"), rand(c.f, 2, "float32"), c.options);
    expect(y32.dtype).toBe("float32");
    expectClose(y32, convRef(x, f, c.options), 1e-5);
  });

  it("computes a known 3×3 example", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], "float32");
    const f = tensor([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1], "float32");
    expect(conv2d(x, f).arraySync()).toEqual([[[[0]]]]);
    expect(conv2d(x, f, { padding: "same" }).dataSync()).toEqual(new Float32Array([2, 1, -4, -3, 0, -7, -16, -11, -22]));
  });

  it("uses TensorFlow's 'same' split: the odd pixel of padding goes after", () => {
    // 4 wide, 2-wide filter, stride 1: one column of padding, after the input.
    const x = tensor([1, 2, 3, 4], [1, 1, 4, 1], "float64");
    const f = tensor([1, 10], [1, 2, 1, 1], "float64");
    expect(Array.from(conv2d(x, f, { padding: "same" }).values)).toEqual([21, 32, 43, 4]);
  });

  it("is correct when the batch is split into several im2col chunks", () => {
    // 40·64·64·(3·3·4) = 5.9M elements > the 4M-element im2col limit: two chunks.
    const x = rand([40, 64, 64, 4], 3, "float32");
    const f = rand([3, 3, 4, 2], 4, "float32");
    const y = conv2d(x, f, { padding: "same" });
    const last = new Tensor(x.values.slice(39 * 64 * 64 * 4), [1, 64, 64, 4], "float32");
    const yLast = conv2d(last, f, { padding: "same" });
    expect(Array.from(y.values.slice(39 * 64 * 64 * 2))).toEqual(Array.from(yLast.values));
    const { pullback } = vjpCall(conv2d, undefined, [x, f, { padding: "same" }]);
    const ones = new Tensor(new Float32Array(y.size).fill(1), y.shape, "float32");
    const [, gf] = pullback(ones) as Tensor[];
    // d(Σ y)/d f[ky,kx,c,o] = Σ of the inputs under that tap: the same for every o.
    const reference = new Float64Array(3 * 3 * 4);
    for (let b = 0; b < 40; b++)
      for (let oy = 0; oy < 64; oy++)
        for (let ox = 0; ox < 64; ox++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy + ky - 1;
              const ix = ox + kx - 1;
              if (iy < 0 || iy >= 64 || ix < 0 || ix >= 64) continue;
              for (let c = 0; c < 4; c++) reference[(ky * 3 + kx) * 4 + c] += x.values[((b * 64 + iy) * 64 + ix) * 4 + c]!;
            }
    for (let i = 0; i < reference.length; i++) {
      expect(gf!.values[2 * i]).toBeCloseTo(reference[i]!, 0);
      expect(gf!.values[2 * i + 1]).toBeCloseTo(reference[i]!, 0);
    }
  });

  it("handles an empty batch", () => {
    const y = conv2d(rand([0, 5, 5, 2], 1), rand([3, 3, 2, 4], 2), { padding: "same" });
    expect(y.shape).toEqual([0, 5, 5, 4]);
  });

  it("promotes float32 and float64 to float64, and gives each cotangent its input's dtype", () => {
    const x = rand([1, 4, 4, 2], 1, "float32");
    const f = rand([3, 3, 2, 2], 2, "float64");
    const { value, pullback } = vjpCall(conv2d, undefined, [x, f, undefined]);
    expect((value as Tensor).dtype).toBe("float64");
    const [gx, gf] = pullback(rand([1, 2, 2, 2], 3)) as Tensor[];
    expect(gx!.dtype).toBe("float32");
    expect(gf!.dtype).toBe("float64");
  });
});

describe("conv2d derivatives", () => {
  const derivativeCases = convCases.filter((c) => c.x[0]! * c.x[1]! * c.x[2]! * c.x[3]! <= 96);

  it.each(derivativeCases.map((c) => [label(c), c] as const))("VJP matches central differences for x and the filter: %s", (_, c) => {
    const f = (x: Tensor, w: Tensor) => conv2d(x, w, c.options);
    const vjp = (x: Tensor, w: Tensor) => vjpCall(conv2d, undefined, [x, w, c.options]) as { value: unknown; pullback: (g: unknown) => unknown[] };
    checkVjpByDifferences(f, vjp, [rand(c.x, 5), rand(c.f, 6)]);
  });

  it.each(convCases.map((c) => [label(c), c] as const))("⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩: %s", (_, c) => {
    const x = rand(c.x, 7);
    const w = rand(c.f, 8);
    const dx = rand(c.x, 9);
    const dw = rand(c.f, 10);
    const { value, tangent } = jvpCall(conv2d, undefined, [x, w, c.options], [dx, dw, null]) as { value: Tensor; tangent: Tensor };
    expectClose(value, convRef(x, w, c.options), 1e-12);
    const v = rand([...value.shape], 11);
    const [gx, gw] = (vjpCall(conv2d, undefined, [x, w, c.options]).pullback(v) as Tensor[]);
    const lhs = dot(tangent, v);
    const rhs = dot(dx, gx!) + dot(dw, gw!);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * (1 + Math.abs(lhs)));
    // Each half alone (the other tangent zero).
    const onlyX = jvpCall(conv2d, undefined, [x, w, c.options], [dx, null, null]).tangent as Tensor;
    expect(Math.abs(dot(onlyX, v) - dot(dx, gx!))).toBeLessThan(1e-10 * (1 + Math.abs(lhs)));
    const none = jvpCall(conv2d, undefined, [x, w, c.options], [null, null, null]);
    expect(none.tangent).toBeNull();
  });

  it("float32 derivatives agree with float64 ones", () => {
    const c = { x: [2, 9, 9, 3], f: [3, 3, 3, 4], options: { stride: 2, padding: "same" } as Conv2DOptions };
    const g = rand([2, 5, 5, 4], 3);
    const [gx64, gf64] = vjpCall(conv2d, undefined, [rand(c.x, 1), rand(c.f, 2), c.options]).pullback(g) as Tensor[];
    const [gx32, gf32] = vjpCall(conv2d, undefined, [rand(c.x, 1, "float32"), rand(c.f, 2, "float32"), c.options]).pullback(
      rand([2, 5, 5, 4], 3, "float32"),
    ) as Tensor[];
    expect(gx32!.dtype).toBe("float32");
    expectClose(gx32!, { shape: c.x, values: Array.from(gx64!.values) }, 1e-5);
    expectClose(gf32!, { shape: c.f, values: Array.from(gf64!.values) }, 1e-5);
  });

  it("a null cotangent gives null cotangents", () => {
    const { pullback } = vjpCall(conv2d, undefined, [rand([1, 3, 3, 1], 1), rand([2, 2, 1, 1], 2), undefined]);
    expect(pullback(null)).toEqual([null, null, null]);
  });
});

// ---- pooling -----------------------------------------------------------------------------------

interface PoolCase {
  x: number[];
  options: Pool2DOptions;
}

const poolCases: PoolCase[] = [
  { x: [1, 4, 4, 1], options: { size: 2 } },
  { x: [2, 5, 5, 3], options: { size: 2 } },
  { x: [2, 5, 5, 3], options: { size: 2, padding: "same" } },
  { x: [1, 7, 6, 2], options: { size: 3, stride: 2 } },
  { x: [1, 7, 6, 2], options: { size: 3, stride: 2, padding: "same" } },
  { x: [2, 5, 6, 1], options: { size: 3, stride: 1, padding: "same" } },
  { x: [1, 6, 7, 2], options: { size: [2, 3], stride: [1, 2] } },
  { x: [1, 6, 7, 2], options: { size: [3, 2], padding: "same" } },
  { x: [1, 5, 5, 2], options: { size: 1, stride: 2 } },
];

const poolLabel = (c: PoolCase) => `${JSON.stringify(c.x)} ${JSON.stringify(c.options)}`;

describe.each([
  ["maxPool2d", maxPool2d, "max"],
  ["avgPool2d", avgPool2d, "avg"],
] as const)("%s", (name, pool, kind) => {
  it.each(poolCases.map((c) => [poolLabel(c), c] as const))("forward matches the naive loop: %s", (_, c) => {
    const x = rand(c.x, 21);
    expectClose(pool(x, c.options), poolRef(x, c.options, kind), 1e-12);
    const y32 = pool(rand(c.x, 21, "float32"), c.options);
    expect(y32.dtype).toBe("float32");
    expectClose(y32, poolRef(x, c.options, kind), 1e-6);
  });

  it.each(poolCases.map((c) => [poolLabel(c), c] as const))("VJP matches central differences: %s", (_, c) => {
    checkVjpByDifferences(
      (x) => pool(x, c.options),
      (x) => vjpCall(pool, undefined, [x, c.options]) as { value: unknown; pullback: (g: unknown) => unknown[] },
      [rand(c.x, 22)],
    );
  });

  it.each(poolCases.map((c) => [poolLabel(c), c] as const))("⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩: %s", (_, c) => {
    const x = rand(c.x, 23);
    const u = rand(c.x, 24);
    const { value, tangent } = jvpCall(pool, undefined, [x, c.options], [u, null]) as { value: Tensor; tangent: Tensor };
    const v = rand([...value.shape], 25);
    const [gx] = vjpCall(pool, undefined, [x, c.options]).pullback(v) as Tensor[];
    expect(Math.abs(dot(tangent, v) - dot(u, gx!))).toBeLessThan(1e-12 * (1 + Math.abs(dot(tangent, v))));
  });

  it(`${name} rejects bad options`, () => {
    const x = rand([1, 4, 4, 1], 1);
    expect(() => pool(x, undefined as unknown as Pool2DOptions)).toThrow(`${name}: options { size, stride?, padding? } are required`);
    expect(() => pool(x, { size: 0 })).toThrow(`${name}: size must be a positive integer or a pair [rows, columns] of positive integers, got 0.`);
    expect(() => pool(x, { size: 2, stride: [1, 2, 3] as unknown as [number, number] })).toThrow(`${name}: stride must be`);
    expect(() => pool(x, { size: 2, padding: "full" as "same" })).toThrow(`${name}: padding must be "same" or "valid", got "full".`);
    expect(() => pool(x, { size: 2, dilation: 2 } as unknown as Pool2DOptions)).toThrow(`${name}: unknown option 'dilation'`);
    expect(() => pool(x, { size: 5 })).toThrow(`${name}: the window (5×5) is larger than the input (4×4) with padding "valid": [1,4,4,1]`);
    expect(pool(x, { size: 5, padding: "same" }).shape).toEqual([1, 1, 1, 1]);
    expect(() => pool(rand([4, 4, 1], 1), { size: 2 })).toThrow(`${name}: the input must have rank 4, got rank 3 [4,4,1]`);
    expect(() => pool(tensor([1, 2, 3, 4], [1, 2, 2, 1], "int32"), { size: 2 })).toThrow(`${name}: the input has dtype int32`);
  });
});

describe("maxPool2d specifics", () => {
  it("sends the derivative to the first maximum of a window on ties, in both modes", () => {
    const x = tensor([5, 5, 1, 5], [1, 2, 2, 1], "float64");
    const opts = { size: 2 };
    const [gx] = vjpCall(maxPool2d, undefined, [x, opts]).pullback(tensor([1], [1, 1, 1, 1], "float64")) as Tensor[];
    expect(Array.from(gx!.values)).toEqual([1, 0, 0, 0]);
    const { tangent } = jvpCall(maxPool2d, undefined, [x, opts], [tensor([10, 20, 30, 40], [1, 2, 2, 1], "float64"), null]);
    expect(Array.from((tangent as Tensor).values)).toEqual([10]);
  });

  it("ignores padding: the max of an all-negative border window is a real element", () => {
    const x = tensor([-1, -2, -3, -4, -5, -6, -7, -8, -9], [1, 3, 3, 1], "float32");
    expect(Array.from(maxPool2d(x, { size: 2, padding: "same" }).values)).toEqual([-1, -3, -7, -9]);
    expect(Array.from(avgPool2d(x, { size: 2, padding: "same" }).values)).toEqual([-3, -4.5, -7.5, -9]);
  });

  it("accumulates the cotangent of overlapping windows", () => {
    const x = tensor([0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 3, 3, 1], "float64");
    const { value, pullback } = vjpCall(maxPool2d, undefined, [x, { size: 2, stride: 1 }]);
    expect(Array.from((value as Tensor).values)).toEqual([9, 9, 9, 9]);
    const [gx] = pullback(tensor([1, 2, 3, 4], [1, 2, 2, 1], "float64")) as Tensor[];
    expect(Array.from(gx!.values)).toEqual([0, 0, 0, 0, 10, 0, 0, 0, 0]);
  });

  it("propagates NaN", () => {
    const x = tensor([1, NaN, 3, 2], [1, 2, 2, 1], "float32");
    expect(maxPool2d(x, { size: 2 }).values[0]).toBeNaN();
  });
});

// ---- errors and registry -----------------------------------------------------------------------

describe("conv2d errors", () => {
  const x = rand([1, 5, 5, 3], 1);
  it("names the op, the shapes and the reason", () => {
    expect(() => conv2d(x, rand([3, 3, 4, 8], 2))).toThrow("conv2d: input has 3 channels but the filter expects 4: [1,5,5,3] * [3,3,4,8].");
    expect(() => conv2d(rand([5, 5, 3], 1), rand([3, 3, 3, 8], 2))).toThrow(
      "conv2d: the input must have rank 4, got rank 3 [5,5,3]. Images are NHWC: [batch, height, width, channels]",
    );
    expect(() => conv2d(x, rand([3, 3, 3], 2))).toThrow("conv2d: the filter must have rank 4, got rank 3 [3,3,3]. Filters are HWIO");
    expect(() => conv2d(x, rand([7, 3, 3, 2], 2))).toThrow(
      'conv2d: the filter window (7×3) is larger than the input (5×5) with padding "valid": [1,5,5,3] * [7,3,3,2]',
    );
    expect(conv2d(x, rand([7, 3, 3, 2], 2), { padding: "same" }).shape).toEqual([1, 5, 5, 2]);
  });

  it("rejects int32, bad options and non-tensors", () => {
    expect(() => conv2d(tensor([1, 2, 3, 4], [1, 2, 2, 1], "int32"), rand([1, 1, 1, 1], 2))).toThrow("conv2d: the input has dtype int32; conv2d works on float32 and float64");
    expect(() => conv2d(x, tensor([1, 2, 3], [1, 1, 3, 1], "int32"))).toThrow("conv2d: the filter has dtype int32");
    expect(() => conv2d(x, rand([3, 3, 3, 1], 2), { stride: 0 })).toThrow("conv2d: stride must be a positive integer or a pair");
    expect(() => conv2d(x, rand([3, 3, 3, 1], 2), { stride: 1.5 })).toThrow("conv2d: stride must be");
    expect(() => conv2d(x, rand([3, 3, 3, 1], 2), { padding: "SAME" as "same" })).toThrow('conv2d: padding must be "same" or "valid", got "SAME".');
    expect(() => conv2d(x, rand([3, 3, 3, 1], 2), { dilation: 2 } as unknown as Conv2DOptions)).toThrow(
      "conv2d: unknown option 'dilation' (conv2d takes stride, padding).",
    );
    expect(() => conv2d([[1]] as unknown as Tensor, rand([3, 3, 3, 1], 2))).toThrow("conv2d: the input must be a Tensor");
    try {
      conv2d(x, rand([3, 3, 4, 8], 2));
    } catch (e) {
      expect(e).toBeInstanceOf(CotangentError);
      expect((e as CotangentError).code).toBe("CT3005");
    }
  });

  it("is registered as differentiable conv-family primitives", () => {
    for (const name of ["conv2d", "maxPool2d", "avgPool2d"]) {
      expect(getOp(name)).toMatchObject({ name, family: "conv", differentiable: true });
      expect(primitiveManifest().functions[name]).toEqual({ differentiable: true });
    }
  });
});
