// Conformance of the WebGPU backend to the CPU backend (the reference), on real WebGPU (Dawn on
// Mesa's lavapipe here and in CI: scripts/setup-webgpu.sh). Every Backend method the WebGPU backend
// has is run on random inputs of several shapes (broadcasting, size 1, odd sizes, empty) through
// both backends: float results must agree within 1e-4 relative (1e-5 absolute), int32 and
// comparison results exactly. Then memory: buffers are pooled and freed (tidy, dispose), and a lost
// device is reported and recovered from.
//
// Fails (does not skip) when there is no WebGPU adapter: see webgpu-preflight.test.ts.

import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import type { Backend, BinaryOp, ConvGeometry, PoolGeometry, UnaryOp } from "../src/backends/backend";
import { cpuBackend } from "../src/backends/cpu/index";
import { BINARY, UNARY } from "../src/backends/cpu/ops-table";
import { getBackend, setBackend } from "../src/backends/index";
import { shutdown, simulateDeviceLoss } from "../src/backends/webgpu/context";
import { init, tidy, webgpuBackend, webgpuMemory } from "../src/backends/webgpu/index";
import { dispatch, gpuTensor } from "../src/backends/webgpu/program";
import { CotangentError } from "../src/errors";
import type { DType, TensorData } from "../src/tensor/dtype";
import { Tensor } from "../src/tensor/tensor";

jest.setTimeout(60_000);

const gpu: Backend = webgpuBackend;
const cpu: Backend = cpuBackend;

beforeAll(async () => {
  const r = await init();
  if ("backend" in r && r.backend === null)
    throw new Error(`No WebGPU adapter (${r.reason}). Run scripts/setup-webgpu.sh, then rerun; see webgpu-preflight.test.ts.`);
  await setBackend("webgpu"); // registers it: t.dispose() finds the backend by name
});

afterAll(async () => {
  await setBackend("cpu");
  shutdown();
});

// ---- inputs --------------------------------------------------------------------------------------

let seed = 12345;
/** Deterministic uniform numbers (mulberry32). */
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A CPU tensor of uniform values in [lo, hi) (int32: integers in [lo, hi)); `round` rounds floats to quarters (ties). */
function rand(shape: readonly number[], dtype: DType = "float32", lo = -3, hi = 3, round = false): Tensor {
  const n = sizeOf(shape);
  const v = dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = lo + (hi - lo) * rnd();
    v[i] = dtype === "int32" ? Math.floor(x) : round ? Math.round(x * 4) / 4 : x;
  }
  return new Tensor(v, shape, dtype);
}

function cpuTensor(values: number[], shape: readonly number[], dtype: DType = "float32"): Tensor {
  return new Tensor(dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values), shape, dtype);
}

const up = (t: Tensor): Tensor => gpu.fromValues(t.values, t.shape, t.dtype);

// ---- comparison ----------------------------------------------------------------------------------

/** Differences between a WebGPU result and the CPU's (empty when they agree). */
async function diff(label: string, g: Tensor, c: Tensor, exact = false): Promise<string[]> {
  const out: string[] = [];
  if (g.backendName !== "webgpu") out.push(`${label}: result is on ${g.backendName}`);
  if (JSON.stringify(g.shape) !== JSON.stringify(c.shape)) return [`${label}: shape ${JSON.stringify(g.shape)} ≠ ${JSON.stringify(c.shape)}`];
  if (g.dtype !== c.dtype) out.push(`${label}: dtype ${g.dtype} ≠ ${c.dtype}`);
  const gv: TensorData = await g.data();
  const cv = c.values;
  let bad = 0;
  for (let i = 0; i < cv.length; i++) {
    const a = gv[i]!;
    const b = c.dtype === "int32" ? cv[i]! : Math.fround(cv[i]!);
    const ok = Number.isNaN(b) ? Number.isNaN(a) : exact || c.dtype === "int32" || !Number.isFinite(b) ? a === b : Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b);
    if (!ok && bad++ < 3) out.push(`${label}: [${i}] webgpu ${a} vs cpu ${b}`);
  }
  if (bad > 3) out.push(`${label}: … ${bad} mismatches of ${cv.length}`);
  return out;
}

/** Runs `cases` and fails once with every mismatch listed. */
async function expectAgree(cases: Array<() => Promise<string[]>>): Promise<void> {
  const problems = new Set<string>(); // one line per distinct problem ("not implemented yet" once)
  for (const c of cases) {
    try {
      for (const p of await c()) problems.add(p);
    } catch (e) {
      problems.add(String((e as Error).message ?? e));
    }
  }
  expect([...problems]).toEqual([]);
}

/** A case comparing `run` on both backends (inputs given as CPU tensors, moved to WebGPU for the GPU run). */
function same(label: string, inputs: Tensor[], run: (b: Backend, xs: Tensor[]) => Tensor, exact = false): () => Promise<string[]> {
  return async () => {
    const c = run(cpu, inputs);
    const g = run(gpu, inputs.map(up));
    return diff(label, g, c, exact);
  };
}

// ---- memory and data movement -------------------------------------------------------------------

describe("memory", () => {
  it("fromValues → read round-trips float32 and int32 (sizes 0, 1, odd, large)", async () => {
    const cases = [];
    for (const shape of [[0], [], [1], [7], [3, 5], [1000], [2, 0, 3]])
      for (const dtype of ["float32", "int32"] as const) cases.push(same(`${dtype} ${JSON.stringify(shape)}`, [rand(shape, dtype, -1000, 1000)], (_b, [x]) => x!, true));
    await expectAgree(cases);
  });

  it("fill (zero, non-zero, NaN, ±∞; int32 as Int32Array stores), reshape (shares the buffer)", async () => {
    const cases = [];
    for (const v of [0, 2.5, -7, Number.NaN, Number.NEGATIVE_INFINITY, 1e30])
      for (const dtype of ["float32", "int32"] as const) for (const shape of [[], [5], [3, 7]]) cases.push(same(`fill ${dtype} ${v} ${JSON.stringify(shape)}`, [], (b) => b.fill(shape, dtype, v), true));
    cases.push(same("fill int32 2.7", [], (b) => b.fill([3], "int32", 2.7), true));
    cases.push(same("reshape", [rand([2, 6])], (b, [x]) => b.reshape(x!, [3, 2, 2]), true));
    await expectAgree(cases);

    // Buffer counts are compared within synchronous stretches: garbage-collected tensors of earlier
    // tests may give their buffers back whenever the event loop runs.
    const x = up(rand([4, 4]));
    const live = webgpuMemory().liveBuffers;
    const r = gpu.reshape(x, [16]);
    expect(webgpuMemory().liveBuffers).toBe(live); // a view, not a copy
    x.dispose();
    expect(webgpuMemory().liveBuffers).toBe(live); // r still holds the buffer
    expect(() => gpu.unary("neg", x, [], "float32")).toThrow(/CT3009.*disposed/);
    const rv = gpu.unary("neg", r, [], "float32");
    r.dispose();
    expect(webgpuMemory().liveBuffers).toBe(live); // rv's buffer; x's and r's freed once
    expect((await rv.data()).length).toBe(16);
  });

  it("a buffer freed while commands reading it are still unsubmitted is not overwritten under them", async () => {
    const xs = rand([64]);
    const a = up(xs);
    const y = gpu.unary("neg", a, [], "float32"); // recorded, not yet submitted
    a.dispose(); // a's buffer back to the pool
    const b = up(rand([64])); // the same size class: a's buffer again, written through the queue
    expect(Array.from(await y.data())).toEqual(Array.from(xs.values, (v) => -v));
    b.dispose();
  });

  it("readSync, float64 and use after dispose are CT3009 errors with the way out", () => {
    const x = up(rand([3]));
    expect(() => gpu.readSync(x)).toThrow(/CT3009.*await t\.data\(\)/);
    expect(() => x.dataSync()).toThrow(/CT3009.*await t\.data\(\)/);
    expect(() => gpu.fromValues(new Float64Array(3), [3], "float64")).toThrow(/CT3009.*float64 tensors stay on the CPU; cast to float32/);
    expect(() => gpu.fill([3], "float64", 1)).toThrow(/CT3009.*float64 tensors stay on the CPU/);
    x.dispose();
    expect(() => gpu.unary("neg", x, [], "float32")).toThrow(CotangentError);
  });

  it("tidy disposes what fn made except what it returns (arrays and objects too); nested scopes", async () => {
    const x = up(rand([8]));
    const live = webgpuMemory().liveBuffers; // (compared without awaiting in between: see above)
    const kept = tidy(() => {
      const a = gpu.unary("exp", x, [], "float32");
      const b = gpu.binary("mul", a, a, [8], "float32");
      const inner = tidy(() => {
        const t = gpu.unary("neg", b, [], "float32");
        gpu.unary("sin", t, [], "float32");
        return { t, list: [gpu.unary("cos", t, [], "float32")] };
      });
      return [inner.t, { deep: inner.list[0]! }];
    });
    expect(webgpuMemory().liveBuffers).toBe(live + 2);
    expect((kept[0] as Tensor).isDisposed).toBe(false);
    const deep = (kept[1] as { deep: Tensor }).deep;
    (kept[0] as Tensor).dispose();
    expect(webgpuMemory().liveBuffers).toBe(live + 1);
    expect(() => tidy(() => Promise.resolve(1))).toThrow(/CT3009.*synchronous/);
    expect(() =>
      tidy(() => {
        gpu.unary("neg", x, [], "float32");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(webgpuMemory().liveBuffers).toBe(live + 1);
    expect((await deep.data()).length).toBe(8);
    deep.dispose();
  });

  it("1000 iterations inside tidy keep live buffers flat and create no buffers in steady state", async () => {
    const x = up(rand([64, 32]));
    const w = up(rand([32]));
    const step = () => {
      const y = gpu.binary("mul", x, w, [64, 32], "float32");
      const z = gpu.unary("relu", y, [], "float32");
      const g = gpu.unaryBackward!("relu", z, y, z, []);
      return gpu.binary("add", g, z, [64, 32], "float32");
    };
    tidy(step);
    await x.data();
    const before = webgpuMemory();
    let last = 0;
    for (let i = 0; i < 1000; i++) last = tidy(() => step().size);
    const after = webgpuMemory();
    await x.data();
    expect(last).toBe(64 * 32);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.createdBuffers - before.createdBuffers).toBeLessThanOrEqual(4);
  });

  it("1000 iterations relying on dispose() keep live buffers flat", async () => {
    const x = up(rand([100]));
    await x.data();
    const before = webgpuMemory();
    for (let i = 0; i < 1000; i++) {
      const a = gpu.unary("tanh", x, [], "float32");
      const b = gpu.binary("sub", a, x, [100], "float32");
      const c = gpu.cast(b, "int32");
      a.dispose();
      b.dispose();
      c.dispose();
    }
    const after = webgpuMemory();
    await x.data();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.createdBuffers - before.createdBuffers).toBeLessThanOrEqual(4);
  });
});

// ---- elementwise ---------------------------------------------------------------------------------

const UNARY_OPS = Object.keys(UNARY) as UnaryOp[];
/** Inputs inside each op's domain (sqrt and log of positives, log1p above −1). */
const domain = (op: UnaryOp): [number, number] => (op === "sqrt" || op === "log" ? [0.01, 5] : op === "log1p" ? [-0.9, 5] : [-4, 4]);
const paramsOf = (op: UnaryOp): number[] => (op === "leakyRelu" ? [0.1] : op === "clip" ? [-1, 0.5] : []);
const SHAPES = [[], [1], [7], [3, 5], [2, 3, 33]];

describe("elementwise", () => {
  it("unary: every op, several shapes, float32 and int32 inputs, NaN", async () => {
    const cases = [];
    for (const op of UNARY_OPS) {
      const [lo, hi] = domain(op);
      for (const shape of SHAPES) cases.push(same(`${op} ${JSON.stringify(shape)}`, [rand(shape, "float32", lo, hi)], (b, [x]) => b.unary(op, x!, paramsOf(op), "float32")));
      cases.push(same(`${op} int32 → float32`, [rand([9], "int32", op === "log" || op === "sqrt" ? 1 : -3, 4)], (b, [x]) => b.unary(op, x!, paramsOf(op), "float32")));
      cases.push(same(`${op} NaN, ±∞, 0`, [cpuTensor([Number.NaN, Infinity, -Infinity, 0, -0], [5])], (b, [x]) => b.unary(op, x!, paramsOf(op), "float32")));
    }
    cases.push(same("clip int32 → int32", [rand([20], "int32", -5, 5)], (b, [x]) => b.unary("clip", x!, [-1.5, 2.5], "int32"), true));
    cases.push(same("relu(NaN) = NaN", [cpuTensor([Number.NaN, -1, 1], [3])], (b, [x]) => b.unary("relu", x!, [], "float32"), true));
    cases.push(same("large |x|", [cpuTensor([-100, -30, 30, 100], [4])], (b, [x]) => b.unary("tanh", x!, [], "float32")));
    for (const op of ["sigmoid", "softplus", "gelu", "exp"] as const) cases.push(same(`${op} large |x|`, [cpuTensor([-100, -30, 30, 80], [4])], (b, [x]) => b.unary(op, x!, [], "float32")));
    await expectAgree(cases);
  });

  it("unaryBackward: every op", async () => {
    const cases = [];
    for (const op of UNARY_OPS) {
      const [lo, hi] = domain(op);
      for (const shape of [[], [7], [3, 5]]) {
        const x = rand(shape, "float32", lo, hi);
        const y = cpu.unary(op, x, paramsOf(op), "float32");
        cases.push(same(`${op}′ ${JSON.stringify(shape)}`, [rand(shape), x, y], (b, [g, xx, yy]) => b.unaryBackward!(op, g!, xx!, yy!, paramsOf(op))));
      }
    }
    await expectAgree(cases);
  });

  const PAIRS: Array<[number[], number[], number[]]> = [
    [[7], [7], [7]],
    [[], [], []],
    [[3, 5], [5], [3, 5]],
    [[3, 1], [1, 4], [3, 4]],
    [[2, 3, 4], [3, 1], [2, 3, 4]],
    [[], [2, 3], [2, 3]],
    [[1], [5], [5]],
    [[2, 1, 3, 1, 5], [4, 1, 5], [2, 4, 3, 1, 5]],
    [[2, 1, 3, 1, 2, 3], [1, 2, 1, 3, 1, 1], [2, 2, 3, 3, 2, 3]],
    [[0, 3], [3], [0, 3]],
    [[257, 3], [257, 1], [257, 3]],
  ];
  const BINARY_OPS = Object.keys(BINARY) as BinaryOp[];
  const COMPARISONS: BinaryOp[] = ["equal", "notEqual", "greater", "greaterEqual", "less", "lessEqual"];

  it("binary: every op, broadcasting up to rank 6", async () => {
    const cases = [];
    for (const op of BINARY_OPS) {
      const cmp = COMPARISONS.includes(op);
      for (const [sa, sb, so] of PAIRS) {
        // pow: positive bases (negative ones below); comparisons and maximum/minimum: ties.
        const a = op === "pow" ? rand(sa, "float32", 0.1, 3) : rand(sa, "float32", -3, 3, cmp || op === "maximum" || op === "minimum");
        const b = op === "div" ? rand(sb, "float32", 0.5, 3) : rand(sb, "float32", -3, 3, cmp || op === "maximum" || op === "minimum");
        cases.push(same(`${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, [a, b], (be, [x, y]) => be.binary(op, x!, y!, so, cmp ? "int32" : "float32"), cmp));
      }
      cases.push(
        same(`${op} int32 ⊕ int32`, [rand([4, 6], "int32", -9, 9), rand([6], "int32", 1, 9)], (be, [x, y]) => be.binary(op, x!, y!, [4, 6], cmp || ["add", "sub", "mul", "maximum", "minimum"].includes(op) ? "int32" : "float32")),
      );
      cases.push(same(`${op} int32 ⊕ float32`, [rand([6], "int32", -9, 9), rand([6], "float32", 0.5, 3, true)], (be, [x, y]) => be.binary(op, x!, y!, [6], cmp ? "int32" : "float32")));
      const specials = cpuTensor([Number.NaN, 1, Number.NaN, 0, -0, Infinity, -Infinity, 2], [8]);
      const others = cpuTensor([1, Number.NaN, Number.NaN, -0, 0, Infinity, 3, 2], [8]);
      if (op !== "pow") cases.push(same(`${op} NaN, ±0, ±∞`, [specials, others], (be, [x, y]) => be.binary(op, x!, y!, [8], cmp ? "int32" : "float32"), cmp));
    }
    cases.push(
      same(
        "pow: negative bases, integer exponents, 0, 1, NaN, ±∞",
        [cpuTensor([-2, -2, -1.5, -3, 0, 0, -0, 1, 1, Number.NaN, 2, 0.5, -2], [13]), cpuTensor([3, 2, 2, -1, 2, -1, 3, Number.NaN, Infinity, 0, -Infinity, Infinity, 0.5], [13])],
        (be, [x, y]) => be.binary("pow", x!, y!, [13], "float32"),
      ),
    );
    cases.push(same("comparisons to float32", [rand([9], "float32", -2, 2, true), rand([9], "float32", -2, 2, true)], (be, [x, y]) => be.binary("less", x!, y!, [9], "float32"), true));
    cases.push(same("int32 add wraps as Int32Array does", [cpuTensor([2147483647, -2147483648], [2], "int32"), cpuTensor([1, -1], [2], "int32")], (be, [x, y]) => be.binary("add", x!, y!, [2], "int32"), true));
    await expectAgree(cases);
  });

  it("binaryBackward: arithmetic, pow (∂/∂b = 0 at a = 0), maximum/minimum (ties split ½)", async () => {
    const cases = [];
    for (const op of ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as BinaryOp[]) {
      for (const [sa, sb, so] of PAIRS.slice(0, 9)) {
        const ties = op === "maximum" || op === "minimum";
        const a = op === "pow" ? rand(sa, "float32", 0, 3, true) : rand(sa, "float32", -3, 3, ties);
        const b = op === "div" ? rand(sb, "float32", 0.5, 3) : rand(sb, "float32", -3, 3, ties);
        const y = cpu.binary(op, a, b, so, "float32");
        for (const operand of [0, 1] as const)
          cases.push(same(`${op}′${operand} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, [rand(so), a, b, y], (be, [g, x, z, yy]) => be.binaryBackward!(op, operand, g!, x!, z!, yy!)));
      }
    }
    await expectAgree(cases);
  });

  it("select: int32 and float32 conditions (0 and NaN false), broadcasting, dtypes", async () => {
    const cond = cpuTensor([1, 0, 0, 1, 5, -1], [2, 3], "int32");
    const fcond = cpuTensor([1, 0, Number.NaN, -0, 0.5, -2], [2, 3]);
    await expectAgree([
      same("select int cond", [cond, rand([2, 3]), rand([3])], (b, [c, x, y]) => b.select(c!, x!, y!, [2, 3], "float32"), true),
      same("select float cond", [fcond, rand([1]), rand([2, 1])], (b, [c, x, y]) => b.select(c!, x!, y!, [2, 3], "float32"), true),
      same("select broadcast cond", [cpuTensor([1, 0, 1], [3], "int32"), rand([4, 1, 3]), rand([2, 1])], (b, [c, x, y]) => b.select(c!, x!, y!, [4, 2, 3], "float32"), true),
      same("select int32", [cond, rand([2, 3], "int32", -9, 9), rand([2, 3], "int32", -9, 9)], (b, [c, x, y]) => b.select(c!, x!, y!, [2, 3], "int32"), true),
    ]);
  });

  it("cast: float32 → int32 truncates (NaN, ±∞ → 0; wraps as Int32Array), int32 → float32, same dtype", async () => {
    const specials = cpuTensor([1.9, -1.9, 0.5, -0.5, Number.NaN, Infinity, -Infinity, 3e9, -3e9, 2147483520, -2147483648, 1e20], [12]);
    await expectAgree([
      same("cast f32 → i32", [rand([3, 7], "float32", -100, 100)], (b, [x]) => b.cast(x!, "int32"), true),
      same("cast specials → i32", [specials], (b, [x]) => b.cast(x!, "int32"), true),
      same("cast i32 → f32", [rand([3, 7], "int32", -100000, 100000)], (b, [x]) => b.cast(x!, "float32"), true),
      same("cast f32 → f32", [rand([4])], (b, [x]) => b.cast(x!, "float32"), true),
    ]);
  });

  it("adam: the new parameter, and m and v updated in place", async () => {
    const step = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
    const problems: string[] = [];
    for (const shape of [[1], [7], [33, 17]]) {
      const p = rand(shape);
      const g = rand(shape);
      const m0 = rand(shape, "float32", -0.1, 0.1);
      const v0 = rand(shape, "float32", 0, 0.1);
      const [mc, vc] = [new Tensor(m0.values.slice(), shape, "float32"), new Tensor(v0.values.slice(), shape, "float32")];
      const [mg, vg] = [up(m0), up(v0)];
      const pc = cpu.adam(p, g, mc, vc, step);
      const pg = gpu.adam(up(p), up(g), mg, vg, step);
      problems.push(...(await diff(`adam p ${JSON.stringify(shape)}`, pg, pc)), ...(await diff("adam m", mg, mc)), ...(await diff("adam v", vg, vc)));
    }
    expect(problems).toEqual([]);
  });
});

// ---- the other kernel families -------------------------------------------------------------------

describe("reductions, matmul, data movement, softmax, convolution and pooling", () => {
  it("reduce and argReduce", async () => {
    const cases = [];
    for (const kind of ["sum", "max", "min"] as const)
      for (const [shape, axes] of [
        [[7], [0]],
        [[3, 5], [1]],
        [[3, 5], [0]],
        [[2, 3, 4], [0, 2]],
        [[2, 3, 4], [1]],
        [[4, 1, 5], [0, 1, 2]],
        [[1000], [0]],
        [[3, 0], [1]],
      ] as Array<[number[], number[]]>)
        cases.push(same(`reduce ${kind} ${JSON.stringify(shape)} ${JSON.stringify(axes)}`, [rand(shape)], (b, [x]) => b.reduce(kind, x!, axes, "float32")));
    cases.push(same("reduce sum int32", [rand([6, 5], "int32", -50, 50)], (b, [x]) => b.reduce("sum", x!, [1], "int32"), true));
    for (const [shape, axis, isMax] of [
      [[3, 5], 1, true],
      [[3, 5], 0, false],
      [[2, 3, 4], 1, true],
      [[2, 300], 1, false],
    ] as Array<[number[], number, boolean]>)
      cases.push(same(`argReduce ${JSON.stringify(shape)} ${axis} ${isMax}`, [rand(shape, "float32", -2, 2, true)], (b, [x]) => b.argReduce(x!, axis, isMax), true));
    await expectAgree(cases);
  });

  it("matmul (transposes, batches, broadcast batches, odd sizes)", async () => {
    const cases = [];
    for (const [sa, sb, ta, tb, batch] of [
      [[3, 4], [4, 5], false, false, []],
      [[4, 3], [4, 5], true, false, []],
      [[3, 4], [5, 4], false, true, []],
      [[4, 3], [5, 4], true, true, []],
      [[17, 33], [33, 9], false, false, []],
      [[1, 1], [1, 1], false, false, []],
      [[2, 3, 4], [4, 5], false, false, [2]],
      [[2, 1, 3, 4], [3, 4, 5], false, false, [2, 3]],
      [[64, 70], [70, 65], false, false, []],
    ] as Array<[number[], number[], boolean, boolean, number[]]>)
      cases.push(same(`matmul ${JSON.stringify(sa)}${ta ? "ᵀ" : ""} @ ${JSON.stringify(sb)}${tb ? "ᵀ" : ""}`, [rand(sa), rand(sb)], (b, [x, y]) => b.matmul(x!, y!, ta, tb, batch, "float32")));
    await expectAgree(cases);
  });

  it("transpose, broadcastTo, slice, pad, concat", async () => {
    await expectAgree([
      same("transpose [2,3,4] (2,0,1)", [rand([2, 3, 4])], (b, [x]) => b.transpose(x!, [2, 0, 1]), true),
      same("transpose [5,7]", [rand([5, 7])], (b, [x]) => b.transpose(x!, [1, 0]), true),
      same("transpose int32", [rand([3, 4], "int32", -9, 9)], (b, [x]) => b.transpose(x!, [1, 0]), true),
      same("broadcastTo [3,1] → [2,3,4]", [rand([3, 1])], (b, [x]) => b.broadcastTo(x!, [2, 3, 4]), true),
      same("broadcastTo [1] → [5]", [rand([1])], (b, [x]) => b.broadcastTo(x!, [5]), true),
      same("slice", [rand([4, 5, 6])], (b, [x]) => b.slice(x!, [1, 0, 2], [2, 5, 3]), true),
      same("pad 0", [rand([3, 4])], (b, [x]) => b.pad(x!, [1, 2], [5, 7], 0), true),
      same("pad 1.5", [rand([3, 4])], (b, [x]) => b.pad(x!, [0, 3], [4, 7], 1.5), true),
      same("concat axis 1", [rand([2, 3]), rand([2, 5])], (b, xs) => b.concat(xs, 1, "float32"), true),
      same("concat axis 0 with an int32 part", [rand([1, 4]), rand([3, 4], "int32", -9, 9)], (b, xs) => b.concat(xs, 0, "float32"), true),
    ]);
  });

  it("gather, scatterAdd (repeated indices add up), oneHot, gatherAt, scatterAddAt", async () => {
    const idx = cpuTensor([4, 0, 2, 0], [4], "int32");
    const idx2 = cpuTensor([1, 4, 4, 0], [2, 2], "int32");
    const at = cpuTensor([9, 0, 3, 3, 7, 1], [3, 2], "int32");
    await expectAgree([
      same("gather axis 0", [rand([5, 3]), idx], (b, [x, i]) => b.gather(x!, i!, 0), true),
      same("gather axis 1", [rand([2, 5, 3]), idx2], (b, [x, i]) => b.gather(x!, i!, 1), true),
      same("scatterAdd axis 0", [rand([4, 3]), idx], (b, [g, i]) => b.scatterAdd(g!, i!, 0, [5, 3])),
      same("scatterAdd axis 1", [rand([2, 2, 2, 3]), idx2], (b, [g, i]) => b.scatterAdd(g!, i!, 1, [2, 5, 3])),
      same("oneHot", [idx], (b, [i]) => b.oneHot(i!, 6, "float32"), true),
      same("gatherAt", [rand([10]), at], (b, [x, i]) => b.gatherAt(x!, i!), true),
      same("scatterAddAt", [rand([3, 2]), at], (b, [g, i]) => b.scatterAddAt(g!, i!, [10])),
    ]);
  });

  it("logSoftmax", async () => {
    await expectAgree([
      same("logSoftmax [3,5] axis 1", [rand([3, 5], "float32", -5, 5)], (b, [x]) => b.logSoftmax(x!, 1)),
      same("logSoftmax [4,3,2] axis 0", [rand([4, 3, 2], "float32", -5, 5)], (b, [x]) => b.logSoftmax(x!, 0)),
      same("logSoftmax large logits", [cpuTensor([1000, 0, -1000, 999], [1, 4])], (b, [x]) => b.logSoftmax(x!, 1)),
      same("logSoftmax [2,1000]", [rand([2, 1000], "float32", -5, 5)], (b, [x]) => b.logSoftmax(x!, 1)),
    ]);
  });

  it("conv2d and its two backward kernels", async () => {
    const cases = [];
    for (const [batch, inH, inW, inC, fh, fw, outC, sh, sw, padTop, padLeft] of [
      [2, 5, 6, 3, 3, 2, 4, 1, 1, 1, 0],
      [1, 7, 7, 2, 3, 3, 5, 2, 2, 1, 1],
      [3, 4, 4, 1, 1, 1, 2, 1, 1, 0, 0],
    ]) {
      const g: ConvGeometry = {
        batch: batch!,
        inH: inH!,
        inW: inW!,
        inC: inC!,
        fh: fh!,
        fw: fw!,
        outC: outC!,
        sh: sh!,
        sw: sw!,
        padTop: padTop!,
        padLeft: padLeft!,
        outH: Math.floor((inH! + 2 * padTop! - fh!) / sh!) + 1,
        outW: Math.floor((inW! + 2 * padLeft! - fw!) / sw!) + 1,
      };
      const x = rand([g.batch, g.inH, g.inW, g.inC]);
      const f = rand([g.fh, g.fw, g.inC, g.outC]);
      const gy = rand([g.batch, g.outH, g.outW, g.outC]);
      const tag = JSON.stringify([batch, inH, inW, inC, fh, fw, outC, sh, sw, padTop, padLeft]);
      cases.push(same(`conv2d ${tag}`, [x, f], (b, [xx, ff]) => b.conv2d(xx!, ff!, g, "float32")));
      cases.push(same(`conv2dBackwardInput ${tag}`, [gy, f], (b, [yy, ff]) => b.conv2dBackwardInput(yy!, ff!, g, "float32")));
      cases.push(same(`conv2dBackwardFilter ${tag}`, [x, gy], (b, [xx, yy]) => b.conv2dBackwardFilter(xx!, yy!, g, "float32")));
    }
    await expectAgree(cases);
  });

  it("maxPool2d (values and argmax), avgPool2d and its backward kernel", async () => {
    const cases = [];
    for (const [batch, inH, inW, channels, kh, kw, sh, sw, padTop, padLeft] of [
      [2, 6, 6, 3, 2, 2, 2, 2, 0, 0],
      [1, 5, 7, 2, 3, 3, 2, 2, 1, 1],
      [1, 4, 4, 1, 3, 2, 1, 1, 0, 1],
    ]) {
      const g: PoolGeometry = {
        batch: batch!,
        inH: inH!,
        inW: inW!,
        channels: channels!,
        kh: kh!,
        kw: kw!,
        sh: sh!,
        sw: sw!,
        padTop: padTop!,
        padLeft: padLeft!,
        outH: Math.floor((inH! + 2 * padTop! - kh!) / sh!) + 1,
        outW: Math.floor((inW! + 2 * padLeft! - kw!) / sw!) + 1,
      };
      const x = rand([g.batch, g.inH, g.inW, g.channels], "float32", -2, 2, true); // ties: first wins
      const gy = rand([g.batch, g.outH, g.outW, g.channels]);
      const tag = JSON.stringify([batch, inH, inW, channels, kh, kw, sh, sw, padTop, padLeft]);
      cases.push(same(`maxPool2d y ${tag}`, [x], (b, [xx]) => b.maxPool2d(xx!, g).y, true));
      cases.push(same(`maxPool2d argmax ${tag}`, [x], (b, [xx]) => b.maxPool2d(xx!, g).argmax, true));
      cases.push(same(`avgPool2d ${tag}`, [x], (b, [xx]) => b.avgPool2d(xx!, g)));
      cases.push(same(`avgPool2dBackward ${tag}`, [gy], (b, [yy]) => b.avgPool2dBackward(yy!, g)));
    }
    await expectAgree(cases);
  });
});

// ---- errors and a lost device (last: it replaces the device) -------------------------------------

describe("device errors", () => {
  it("a broken kernel is a CT3009 error naming the op and quoting the WGSL compiler", async () => {
    const out = gpuTensor([4], "float32");
    dispatch({ key: "test:broken", code: "@compute @workgroup_size(1) fn main() { let x: f32 = undefinedThing; }" }, [out], null, [1], "brokenOp");
    await expect(out.data()).rejects.toThrow(/CT3009.*brokenOp.*failed to compile.*undefinedThing/s);
    expect(() => dispatch({ key: "test:broken", code: "" }, [out], null, [1], "brokenOp")).toThrow(/failed to compile/);
  });

  it("a lost device: the next use names the op in flight; new tensors go to the CPU (one warning); setBackend starts a new device", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const x = up(rand([5]));
      gpu.unary("exp", x, [], "float32");
      simulateDeviceLoss();
      await new Promise((r) => setTimeout(r, 50));
      expect(getBackend()).toBe("cpu");
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/WebGPU device was lost.*unary exp/);
      expect(() => gpu.unary("neg", x, [], "float32")).toThrow(/CT3009.*device was lost.*while running unary exp/);
      await setBackend("webgpu");
      expect(getBackend()).toBe("webgpu");
      expect(() => gpu.unary("neg", x, [], "float32")).toThrow(/CT3009.*lost/); // x was on the old device
      const y = up(cpuTensor([1, 2], [2]));
      expect(Array.from(await gpu.unary("neg", y, [], "float32").data())).toEqual([-1, -2]);
    } finally {
      warn.mockRestore();
    }
  });
});
