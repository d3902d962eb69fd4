// Fused chains (runtime/src/ops/fused.ts, transformer/src/fusion.ts). The build fuses, in reverse
// mode, chains of elementwise tensor ops (optionally headed by a matmul) into one call of
// `fused(spec)`. Checked here:
//   - through both hosts, the generated VJP holds the fused call, and gradients equal finite
//     differences (CPU, float64, where the chain runs op by op) and the JVP;
//   - on WebGPU (lavapipe), the fused kernels give the unfused ops' values and cotangents, NaN, ±∞,
//     ties and kinks included, with broadcasting, the matmul epilogue (bias as a row, a column or a
//     full matrix; widths that are not a multiple of 4; a long K that splits and so runs unfused);
//   - the counts: a dense layer is one dispatch forward, its weight's and bias's cotangents one
//     more; crossEntropy one each way; small constants none.

import { afterAll, beforeAll, describe, expect, jest, test } from "@jest/globals";
import * as ct from "@cotangent/runtime";
import { readOn } from "../harness/backends";
import { compiledCode, compileWithBabel, compileWithTsPatch, HOST_OPTIONS } from "../harness/compile";
import { checkForwardAgainstReverse, checkGradient } from "../harness/tensor-check";

jest.setTimeout(120_000);

type Tensor = ct.Tensor;
const { tensor, randomNormal } = ct;

const SOURCE = `
import { Tensor, crossEntropy, exp, relu, sum, tanh } from "@cotangent/runtime";

export interface Layer { w: Tensor; b: Tensor }

/** Two dense layers and a loss: one fused chain of two stages in the VJP. */
/** @differentiable(wrt: (l1, l2)) */
export function mlp(l1: Layer, l2: Layer, x: Tensor, labels: Tensor): Tensor {
  const h = relu(x.matmul(l1.w).add(l1.b));
  return crossEntropy(tanh(h.matmul(l2.w).add(l2.b)).mul(3), labels);
}

/** A chain that reads an input twice and one that broadcasts. */
/** @differentiable */
export function smooth(x: Tensor, y: Tensor): Tensor {
  return sum(tanh(x.mul(y)).mul(x).sub(exp(y.neg())));
}
`;

const N64 = (shape: number[], seed: number) => randomNormal(shape, { seed, dtype: "float64" });

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("%s host", (host, compile) => {
  const m = compile(SOURCE, "fused.ts");
  const mlp = m.mlp as (...a: unknown[]) => Tensor;
  const smooth = m.smooth as (...a: unknown[]) => Tensor;

  test("the VJP calls the fused chains (a number operand stays outside), the JVP the ops", () => {
    const code = compiledCode(host, SOURCE, "fused.ts");
    const vjp = code.slice(code.indexOf("function mlp$vjp"));
    const jvp = code.slice(code.indexOf("function mlp$jvp"), code.indexOf("function mlp$vjp"));
    // h is read once, by the second layer: the two layers are one chain.
    expect(vjp).toContain(`fused("tanh(relu($0.matmul($1).add($2)).matmul($3).add($4))")`);
    expect(code).toContain(`fused("tanh($0.mul($1)).mul($0).sub(exp($1.neg()))")`);
    expect(jvp).not.toContain("fused(");
  });

  test("with the option fuse: false, the VJP has a call per op and the same gradient", () => {
    HOST_OPTIONS.fuse = false;
    let unfused: Record<string, unknown>;
    let code: string;
    try {
      unfused = compile(SOURCE, "fused.ts");
      code = compiledCode(host, SOURCE, "fused.ts");
    } finally {
      delete HOST_OPTIONS.fuse;
    }
    expect(code).not.toContain("fused(");
    expect(code.slice(code.indexOf("function mlp$vjp"))).toContain("vjpCall(__ct.relu");
    const args = [{ w: N64([5, 6], 1), b: N64([6], 2) }, { w: N64([6, 3], 3), b: N64([3], 4) }, N64([4, 5], 5), tensor([0, 2, 1, 2], [4], "int32")];
    const g = (f: unknown) => (ct.gradient(f as (...a: unknown[]) => Tensor)(...args) as { w: Tensor; b: Tensor }[]).flatMap((l) => [...l.w.dataSync(), ...l.b.dataSync()]);
    const a = g(unfused.mlp);
    const b = g(mlp);
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
  });

  test("gradients match finite differences and the JVP (float64, op by op on the CPU)", () => {
    const args = [{ w: N64([5, 6], 1), b: N64([6], 2) }, { w: N64([6, 3], 3), b: N64([3], 4) }, N64([4, 5], 5), tensor([0, 2, 1, 2], [4], "int32")];
    checkGradient(mlp, args, [0, 1]);
    checkForwardAgainstReverse(mlp, args, [0, 1]);
    checkGradient(smooth, [N64([3, 4], 6), N64([4], 7)], [0, 1]);
    checkForwardAgainstReverse(smooth, [N64([3, 4], 6), N64([4], 7)], [0, 1]);
  });
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const context = require("../../runtime/dist/cjs/backends/webgpu/context.js") as { shutdown(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require("../../runtime/dist/cjs/backends/webgpu/program.js") as { dispatchCounter: { dispatches: number } };

// After every test of the file (the random chains below use the device too).
afterAll(async () => {
  await ct.setBackend("cpu");
  context.shutdown();
});

/** Equal where both are NaN or the same infinity, else within 1e-4 of the CPU's largest finite magnitude. */
function expectSame(gpu: readonly number[], cpu: readonly number[]): void {
  expect(gpu.length).toBe(cpu.length);
  let scale = 1;
  for (const c of cpu) if (Number.isFinite(c)) scale = Math.max(scale, Math.abs(c));
  const wrong: string[] = [];
  gpu.forEach((g, i) => {
    const c = cpu[i]!;
    const same = Number.isFinite(c) ? Math.abs(g - c) <= 1e-4 * scale : Object.is(g, c) || (Number.isNaN(g) && Number.isNaN(c));
    if (!same && wrong.length < 5) wrong.push(`[${i}] webgpu ${g}, cpu ${c}`);
  });
  expect(wrong).toEqual([]);
}

describe("fused chains on WebGPU (lavapipe), against the unfused ops on the CPU (float32)", () => {
  beforeAll(async () => {
    await ct.setBackend("webgpu"); // rejects (CT3009, with the reason) when there is no adapter
    await ct.setBackend("cpu");
  });

  // Inputs with the edge points: 0 (relu's kink), ties, NaN, ±∞, and ordinary values.
  const EDGE = [0, -0, 1, -1, 2, 0.5, -2.5, NaN, Infinity, -Infinity, 3, 1e-3];
  const values = (n: number, seed: number, edges: boolean) =>
    Float32Array.from({ length: n }, (_, i) => (edges && i < EDGE.length * 2 && i % 2 === seed % 2 ? EDGE[(i >> 1) % EDGE.length]! : Math.sin(i * 1.37 + seed) * 2));
  const make = (shape: number[], seed: number, edges = false) => tensor(values(shape.reduce((a, b) => a * b, 1), seed, edges), shape, "float32");

  /** The fused VJP on the backend now set: the value and every cotangent, as the unfused ops' would be compared. */
  const fusedVjp = (spec: string, shapes: number[][], edges: boolean) => () => {
    const inputs = shapes.map((s, k) => make(s, k + 1, edges));
    const { value, pullback } = ct.vjpCall(ct.fused(spec), undefined, inputs);
    const g = make((value as Tensor).shape as number[], 9);
    return [value, ...(pullback(g) as Tensor[])];
  };

  const CHAINS: [string, number[][], boolean][] = [
    ["relu($0.add($1))", [[6, 8], [8]], true],
    ["$0.maximum($1).mul($0.minimum($1))", [[5, 7], [5, 7]], true],
    ["sqrt($0).div($1).sub(log($0.abs()))", [[24], [24]], true],
    ["sigmoid($0).mul(softplus($1)).add(gelu($0.sub($1)))", [[4, 1], [1, 6]], true],
    ["tanh($0.square()).neg().add(exp($1).mul(log1p($0.abs())))", [[3, 5], [5]], true],
    ["sin($0).mul(cos($1))", [[2, 3, 4], [3, 1]], false],
    ["relu($0.matmul($1).add($2))", [[9, 12], [12, 16], [16]], false],
    ["tanh($0.matmul($1).add($2))", [[7, 5], [5, 6], [7, 1]], false],
    ["$0.matmul($1).mul($2).add($2)", [[4, 8], [8, 3], [4, 3]], false],
    ["relu($0.matmul($1).add($2))", [[8, 2500], [2500, 4], [4]], false], // split K: the matmul apart, then the chain
    ["tanh($0.matmul($1).add($2))", [[7, 5], [5, 6], [1, 6]], false], // a [1, n] bias, n not a multiple of 4
    // Stacks of layers: each layer's backward mask inside the GEMM that brings its cotangent.
    ["relu(relu($0.matmul($1).add($2)).matmul($3).add($4))", [[8, 5], [5, 6], [6], [6, 7], [7]], false],
    ["tanh(sigmoid($0.matmul($1).add($2)).matmul($3).add($4)).matmul($5).mul($6)", [[9, 4], [4, 6], [1, 6], [6, 5], [5], [5, 3], [9, 3]], false],
    ["relu($0.matmul($1).mul($2)).matmul($3).add($4)", [[4, 5], [5, 6], [4, 6], [6, 3], [3]], false], // a layer with another input: its own kernel
    ["relu($0.matmul($1).add($2)).matmul($1).add($2)", [[4, 5], [5, 5], [5]], false], // one weight in two layers
    ["relu($0.matmul($1).add($2)).matmul($3).add($4)", [[8, 2500], [2500, 4], [4], [4, 3], [3]], false], // split K in the first layer
    ["$0.matmul($1).add($2)", [[130, 9], [9, 70], [70]], false], // several row tiles: the first row's sums the bias's
  ];

  test.each(CHAINS)("%s over %j", async (spec, shapes, edges) => {
    expectSame(await readOn("webgpu", fusedVjp(spec, shapes, edges)), await readOn("cpu", fusedVjp(spec, shapes, edges)));
  });

  test("the weight's and bias's cotangents with the large tiles (8×8 per invocation)", async () => {
    // Only these two are read back (the product is 4M numbers).
    const run = () => {
      const [x, w, b] = [make([2048, 4], 1), make([4, 2050], 2), make([2050], 3)];
      const { value, pullback } = ct.vjpCall(ct.fused("$0.matmul($1).add($2)"), undefined, [x, w, b]);
      const cts = pullback(make((value as Tensor).shape as number[], 9)) as Tensor[];
      return [cts[1], cts[2]];
    };
    expectSame(await readOn("webgpu", run), await readOn("cpu", run));
  });

  // crossEntropy's loss and cotangent in one pass each (logSoftmax too, for rows under 64 classes).
  test.each([
    ["10 classes, logSoftmax and the loss together", [64, 10], false],
    ["100 classes, logSoftmax apart", [16, 100], false],
    ["huge, infinite and NaN logits", [12, 10], true],
  ] as const)("crossEntropy: %s", async (_what, shape, edges) => {
    const run = () => {
      const logits = make([...shape], 3, edges);
      const labels = tensor(Array.from({ length: shape[0] }, (_, i) => (i * 7) % shape[1]), [shape[0]], "int32");
      const { value, pullback } = ct.vjpCall(ct.crossEntropy, undefined, [logits, labels]);
      return [value, (pullback(tensor(1.5)) as Tensor[])[0]];
    };
    expectSame(await readOn("webgpu", run), await readOn("cpu", run));
  });

  test("crossEntropy with 10 classes is one dispatch forward and one backward", async () => {
    await ct.setBackend("webgpu");
    try {
      const logits = make([64, 10], 1);
      const labels = tensor(Array.from({ length: 64 }, (_, i) => i % 10), [64], "int32");
      const g = tensor(1);
      await Promise.all([logits.data(), labels.data(), g.data()]);
      let before = program.dispatchCounter.dispatches;
      const { value, pullback } = ct.vjpCall(ct.crossEntropy, undefined, [logits, labels]);
      expect(program.dispatchCounter.dispatches - before).toBe(1);
      before = program.dispatchCounter.dispatches;
      const b = (pullback(g) as Tensor[])[0]!;
      expect(program.dispatchCounter.dispatches - before).toBe(1);
      await Promise.all([(value as Tensor).data(), b.data()]);
    } finally {
      await ct.setBackend("cpu");
    }
  });

  test("small constants are copied from a constant buffer (no dispatch), larger fills run the kernel, both exact", async () => {
    const cases: [number[], "float32" | "int32", number][] = [
      [[], "float32", 1],
      [[16], "float32", -0],
      [[2, 3], "float32", NaN],
      [[4], "int32", -7],
      [[1], "float32", Infinity],
      [[17], "float32", 0.1],
    ];
    const run = () => cases.map(([shape, dtype, v]) => ct.full(shape, v, dtype));
    await ct.setBackend("webgpu");
    try {
      const before = program.dispatchCounter.dispatches;
      const ts = run();
      expect(program.dispatchCounter.dispatches - before).toBe(1); // only the 17 elements
      await Promise.all(ts.map((t) => t.data()));
    } finally {
      await ct.setBackend("cpu");
    }
    const gpu = await readOn("webgpu", run);
    const cpu = await readOn("cpu", run);
    expect(gpu.map((v) => (Object.is(v, -0) ? "-0" : String(v)))).toEqual(cpu.map((v) => (Object.is(v, -0) ? "-0" : String(v))));
  });

  test("a stack of layers computes only the cotangents that are read (a frozen first layer costs no GEMM)", async () => {
    await ct.setBackend("webgpu");
    try {
      const ins = [make([16, 8], 1), make([8, 12], 2), make([12], 3), make([12, 4], 4), make([4], 5)];
      const g = make([16, 4], 6);
      await Promise.all([...ins, g].map((t) => t.data()));
      const { pullback } = ct.vjpCall(ct.fused("tanh(relu($0.matmul($1).add($2)).matmul($3).add($4))"), undefined, ins);
      const cts = pullback(g) as Tensor[];
      let before = program.dispatchCounter.dispatches;
      const w2 = cts[3]!;
      const b2 = cts[4]!;
      // tanh's backward (one kernel), then the second weight and its bias from one GEMM.
      expect(program.dispatchCounter.dispatches - before).toBe(2);
      before = program.dispatchCounter.dispatches;
      const w1 = cts[1]!;
      // The first layer's product cotangent with relu's mask as the epilogue, then its weight's GEMM.
      expect(program.dispatchCounter.dispatches - before).toBe(2);
      await Promise.all([w2, b2, w1].map((t) => t.data()));
    } finally {
      await ct.setBackend("cpu");
    }
  });

  test("a dense layer is one dispatch forward, and its weight's and bias's cotangents one more", async () => {
    await ct.setBackend("webgpu");
    try {
      const [x, w, b, g] = [make([64, 96], 1), make([96, 40], 2), make([40], 3), make([64, 40], 4)];
      await Promise.all([x, w, b, g].map((t) => t.data()));
      const f = ct.fused("$0.matmul($1).add($2)");
      let before = program.dispatchCounter.dispatches;
      const { value, pullback } = ct.vjpCall(f, undefined, [x, w, b]);
      expect(program.dispatchCounter.dispatches - before).toBe(1);
      before = program.dispatchCounter.dispatches;
      const cts = pullback(g) as Tensor[];
      const [gw, gb] = [cts[1], cts[2]]; // (destructuring would read x's cotangent too)
      await Promise.all([value, gw!, gb!].map((t) => (t as Tensor).data()));
      // dW and db from one GEMM (the bias's cotangent is the column sums of g, the product's).
      expect(program.dispatchCounter.dispatches - before).toBe(1);
    } finally {
      await ct.setBackend("cpu");
    }
  });

  test("the compiled MLP's gradient on WebGPU is the CPU's", async () => {
    const m = compileWithBabel(SOURCE, "fused.ts");
    const run = () => {
      const f32 = (s: number[], seed: number) => make(s, seed);
      const l1 = { w: f32([5, 6], 1), b: f32([6], 2) };
      const l2 = { w: f32([6, 3], 3), b: f32([3], 4) };
      const labels = tensor([0, 2, 1, 2], [4], "int32");
      const { value, gradient } = ct.valueWithGradient(m.mlp as (...a: unknown[]) => Tensor)(l1, l2, f32([4, 5], 5), labels) as unknown as { value: Tensor; gradient: [typeof l1, typeof l2] };
      return [value, gradient[0].w, gradient[0].b, gradient[1].w, gradient[1].b];
    };
    expectSame(await readOn("webgpu", run), await readOn("cpu", run));
  });
});

describe("fused(spec) op by op", () => {
  test("an object that is not a tensor gets its own methods called, with their derivatives", () => {
    const calls: string[] = [];
    const vec = (v: number) => ({
      v,
      add(o: { v: number }) {
        calls.push("add");
        return vec(this.v + o.v);
      },
    });
    const out = ct.fused("$0.add($1).add($2)")(vec(1), vec(2), vec(3)) as { v: number };
    expect(out.v).toBe(6);
    expect(calls).toEqual(["add", "add"]);
  });

  test("a chain it cannot read is CT3005, naming where", () => {
    expect(() => ct.fused("relu($0")).toThrow(/CT3005.*relu\(\$0.*expected '\)'/);
    expect(() => ct.fused("clip($0, $1)")).toThrow(/'clip' is not an op a chain can hold/);
    expect(() => ct.fused("relu($0).matmul($1)")).toThrow(/a matmul may only head the chain/);
  });

  test("number and int32 inputs run op by op, as the ops do", () => {
    const a = tensor([1, 2, 3], [3], "int32");
    const r = ct.fused("$0.add($1).mul($0)")(a, tensor([1, 1, 1], [3], "int32")) as Tensor;
    expect(r.dtype).toBe("int32");
    expect([...r.dataSync()]).toEqual([2, 6, 12]);
    const { value, pullback } = ct.vjpCall(ct.fused("tanh($0).mul($1)"), undefined, [tensor([0.5, -1], [2], "float64"), 2]);
    expect([...(value as Tensor).dataSync()]).toEqual([2 * Math.tanh(0.5), 2 * Math.tanh(-1)]);
    const [gx, gs] = pullback(tensor([1, 1], [2], "float64")) as [Tensor, number];
    expect(gx.dataSync()[0]).toBeCloseTo(2 * (1 - Math.tanh(0.5) ** 2), 12);
    expect(gs).toBeCloseTo(Math.tanh(0.5) + Math.tanh(-1), 12);
  });
});

// Random chains, fused on WebGPU against op by op on the CPU: trees of the fusable ops over two to
// four inputs whose shapes broadcast (some [m, n], some [n], [m, 1] or [1, n]), with or without a
// stack of one to three matmul layers under them. A fixed count, from a fixed seed, no time limit
// (E2E_FUSED_CHAINS=60 passed when this was written; 16 run in `npm test`: on a fresh machine
// lavapipe compiles each chain's kernels in about two seconds).
describe("random fused chains on WebGPU against the CPU", () => {
  const COUNT = Number(process.env.E2E_FUSED_CHAINS ?? 16);
  const UNARY = ["neg", "square", "exp", "tanh", "sigmoid", "relu", "softplus", "gelu", "sin", "cos", "abs"];
  const BINARY = ["add", "sub", "mul", "maximum", "minimum", "div"];
  const prng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

  /** A chain's spec and its inputs' shapes. */
  function randomChain(rand: () => number): { spec: string; shapes: number[][] } {
    const m = 2 + Math.floor(rand() * 6);
    const n = 1 + Math.floor(rand() * 9);
    const shapes: number[][] = [];
    const input = (shape: number[]) => {
      shapes.push(shape);
      return `$${shapes.length - 1}`;
    };
    const layers = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3);
    let base: string;
    let width = n;
    if (layers > 0) {
      let k = 1 + Math.floor(rand() * 7);
      base = input([m, k]);
      for (let l = 0; l < layers; l++) {
        const out = l === layers - 1 ? n : 1 + Math.floor(rand() * 8);
        base = `${base}.matmul(${input([k, out])}).add(${input([out])})`;
        if (l < layers - 1) base = `${UNARY[Math.floor(rand() * UNARY.length)]}(${base})`;
        k = out;
      }
      width = k;
    } else base = input([m, n]);
    const leafShape = () => [[m, width], [width], [m, 1], [1, width]][Math.floor(rand() * 4)]!;
    const grow = (e: string, depth: number): string => {
      if (depth === 0) return e;
      if (rand() < 0.5) return grow(rand() < 0.5 ? `${UNARY[Math.floor(rand() * UNARY.length)]}(${e})` : `${e}.${UNARY[Math.floor(rand() * UNARY.length)]}()`, depth - 1);
      const op = BINARY[Math.floor(rand() * BINARY.length)]!;
      const other = rand() < 0.3 && shapes.length > 0 && layers === 0 ? "$0" : input(leafShape());
      return grow(rand() < 0.5 ? `${e}.${op}(${other})` : `${op}(${other}, ${e})`, depth - 1);
    };
    let spec = grow(base, 1 + Math.floor(rand() * 4));
    if (!/[a-z]\(/.test(spec.replace(/\$\d+/g, ""))) spec = `tanh(${spec})`;
    return { spec, shapes };
  }

  test(`${COUNT} chains: values and every input's cotangent`, async () => {
    const rand = prng(20241203);
    let checked = 0;
    for (let i = 0; i < COUNT; i++) {
      const { spec, shapes } = randomChain(rand);
      // Inputs away from div's pole, with some negative values for the kinks.
      const run = () => {
        const inputs = shapes.map((s, k) => tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, j) => 0.3 + Math.abs(Math.sin(j * 1.3 + k * 7 + i)) * (k % 2 ? -1 : 1)), s, "float32"));
        const { value, pullback } = ct.vjpCall(ct.fused(spec), undefined, inputs);
        const g = tensor(Float32Array.from({ length: (value as Tensor).size }, (_, j) => Math.cos(j + i)), (value as Tensor).shape as number[], "float32");
        return [value, ...(pullback(g) as Tensor[])];
      };
      const cpu = await readOn("cpu", run);
      const gpu = await readOn("webgpu", run);
      try {
        expectSame(gpu, cpu);
      } catch (e) {
        throw new Error(`chain ${i}: ${spec} over ${JSON.stringify(shapes)}\n${(e as Error).message}`);
      }
      checked++;
      if (process.env.E2E_FUSED_VERBOSE) console.info(`${i} ${spec} ${JSON.stringify(shapes)} ${Date.now()}`);
    }
    console.info(`fused chains: checked ${checked} of ${COUNT} random chains on WebGPU against the CPU`);
    expect(checked).toBe(COUNT);
  }, 300_000); // (each chain compiles its own kernels; lavapipe takes about two seconds for them)
});
