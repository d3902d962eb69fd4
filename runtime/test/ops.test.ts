// The per-op derivative table: every differentiable op in listOps() has cases in ./op-cases.ts (shapes with
// broadcasting, size-1 and size-0 dims, scalars, number operands, options), each checked by
// ./gradcheck.ts (VJP against finite differences in float64, JVP against VJP, values, cotangent
// shapes and dtypes). Then: the non-differentiable ops and the manifest, Tensor methods and their
// receiver records, forward values against references, error messages, NaN/Infinity.

import { describe, expect, it } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import {
  CotangentError,
  Tensor,
  abs,
  add,
  argMax,
  argMin,
  broadcastTo,
  cast,
  clip,
  concat,
  crossEntropy,
  defineDerivatives,
  div,
  equal,
  exp,
  gather,
  getDerivatives,
  getOp,
  greater,
  greaterEqual,
  jvpMethodCall,
  less,
  lessEqual,
  listOps,
  log,
  logSoftmax,
  logSumExp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mse,
  mul,
  notEqual,
  oneHot,
  pad,
  primitiveManifest,
  randomNormal,
  relu,
  reshape,
  slice,
  softmax,
  sqrt,
  stack,
  sub,
  sum,
  tensor,
  transpose,
  vjpMethodCall,
  where,
  type AnyFunction,
} from "../src/index";
import { checkGradients, expectSameTensor } from "./gradcheck";
// The case table and its input generators (shared with ops-webgpu.test.ts).
import { I, N, TABLE, U } from "./op-cases";

// Ops that another test file covers (conv2d / pooling are being added in ops/conv.ts with their
// own gradient tests in conv.test.ts); only tolerated while that file exists.
const CONV_TEST = path.join(__dirname, "conv.test.ts");
const coveredElsewhere = (name: string): boolean => getOp(name)?.family === "conv" && fs.existsSync(CONV_TEST);

describe("the op table covers every differentiable op", () => {
  const differentiable = listOps().filter((o) => o.differentiable);

  it("every differentiable op in listOps() has a table entry", () => {
    const missing = differentiable.map((o) => o.name).filter((n) => !(n in TABLE) && !coveredElsewhere(n));
    expect(missing).toEqual([]);
  });

  it("every table entry is a registered differentiable op with at least 3 cases", () => {
    for (const [name, cases] of Object.entries(TABLE)) {
      expect({ name, registered: getOp(name)?.differentiable === true }).toEqual({ name, registered: true });
      expect({ name, atLeast3: cases.length >= 3 }).toEqual({ name, atLeast3: true });
    }
  });

  it("every differentiable op has both a jvp and a vjp", () => {
    const lacking = differentiable
      .filter((o) => {
        const d = getDerivatives(o.fn);
        return !d || typeof d.jvp !== "function" || typeof d.vjp !== "function";
      })
      .map((o) => o.name);
    expect(lacking).toEqual([]);
  });
});

for (const [name, cases] of Object.entries(TABLE)) {
  describe(`derivatives of ${name}`, () => {
    for (const k of cases) {
      it(`${k.name}${k.why ? ` (${k.why})` : ""}`, () => {
        const op = getOp(name);
        if (!op) throw new Error(`${name} is not registered`);
        checkGradients(op.fn, k.args(), k, `${name} ${k.name}`);
      });
    }
  });
}

describe("the checker itself catches wrong rules", () => {
  const x = N([2, 3], 501);
  // f(x) = x², with one rule broken at a time.
  const make = (broken: "vjp" | "jvp" | "shape" | "dtype" | "value") => {
    const f = (t: Tensor): Tensor => mul(t, t);
    defineDerivatives(f, {
      name: `square_${broken}`,
      arity: 1,
      wrt: [0],
      jvp: (t: Tensor, dt: Tensor | null) => ({ value: f(t), tangent: dt && mul(mul(dt, t), broken === "jvp" ? 3 : 2) }),
      vjp: (t: Tensor) => ({
        value: broken === "value" ? add(f(t), 1e-3) : f(t),
        pullback: (g: Tensor | null) => {
          if (g === null) return [null];
          const ct = mul(mul(g, t), broken === "vjp" ? 2.001 : 2);
          return [broken === "shape" ? reshape(ct, [3, 2]) : broken === "dtype" ? cast(ct, "float32") : ct];
        },
      }),
    });
    return f;
  };
  it.each([
    ["vjp", /VJP ≠ finite differences/],
    ["jvp", /⟨J·u, v⟩ = .* but ⟨u, Jᵀ·v⟩/],
    ["shape", /has shape \[3,2\], expected \[2,3\]/],
    ["dtype", /has dtype float32, expected float64/],
    ["value", /vjp value: element 0/],
  ] as const)("a wrong %s", (broken, message) => {
    expect(() => checkGradients(make(broken), [x])).toThrow(message);
  });
  it("a correct rule passes", () => {
    const f = (t: Tensor): Tensor => mul(t, t);
    defineDerivatives(f, {
      name: "square_ok",
      arity: 1,
      wrt: [0],
      jvp: (t: Tensor, dt: Tensor | null) => ({ value: f(t), tangent: dt && mul(mul(dt, t), 2) }),
      vjp: (t: Tensor) => ({ value: f(t), pullback: (g: Tensor | null) => [g && mul(mul(g, t), 2)] }),
    });
    expect(checkGradients(f, [x])).toEqual({ leaves: 1, fdProbes: 6 });
  });
});

// ---- non-differentiable ops, the manifest, methods -------------------------------------------

describe("non-differentiable ops and the manifest", () => {
  const nonDiff = ["equal", "notEqual", "greater", "greaterEqual", "less", "lessEqual", "argMax", "argMin", "oneHot"];

  it.each(nonDiff)("%s is registered without derivatives and listed with differentiable: false", (name) => {
    const op = getOp(name);
    expect(op).toBeDefined();
    expect(op!.differentiable).toBe(false);
    expect(typeof op!.why).toBe("string");
    expect(getDerivatives(op!.fn)).toBeUndefined();
    const entry = primitiveManifest().functions[name];
    expect(entry).toEqual({ differentiable: false, why: op!.why });
  });

  it("the manifest lists every op, differentiable ones with differentiable: true", () => {
    const m = primitiveManifest();
    // Method-only ops (exported: false, e.g. item) are not listed as functions.
    for (const op of listOps()) {
      const exported = (op as { exported?: boolean }).exported !== false;
      expect({ name: op.name, listed: m.functions[op.name]?.differentiable }).toEqual({ name: op.name, listed: exported ? op.differentiable : undefined });
    }
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it("comparisons give int32 masks", () => {
    const a = tensor([1, 2, 3], [3], "float64");
    const b = tensor([2, 2, 2], [3], "float64");
    const masks = [equal, notEqual, greater, greaterEqual, less, lessEqual].map((f) => f(a, b));
    for (const m of masks) expect(m.dtype).toBe("int32");
    expect(masks.map((m) => m.arraySync())).toEqual([[0, 1, 0], [1, 0, 1], [0, 0, 1], [0, 1, 1], [1, 0, 0], [1, 1, 0]]);
    expect(greater(tensor([[1], [3]]), 2).arraySync()).toEqual([[0], [1]]);
  });

  it("argMax/argMin: first of ties, default axis -1, axis 0; oneHot rows", () => {
    const x = tensor([[1, 5, 5], [7, 0, 7]]);
    expect(argMax(x).arraySync()).toEqual([1, 0]);
    expect(argMin(x).arraySync()).toEqual([0, 1]);
    expect(argMax(x, 0).arraySync()).toEqual([1, 0, 1]);
    expect(argMax(x).dtype).toBe("int32");
    const h = oneHot(I([2, 0]), 3);
    expect(h.arraySync()).toEqual([[0, 0, 1], [1, 0, 0]]);
    expect(h.dtype).toBe("float32");
  });
});

describe("Tensor methods", () => {
  const methods = primitiveManifest().methods;
  const a = N([2, 3], 301);
  const b = N([3], 302);

  it("every method in the manifest exists on Tensor.prototype and names a registered op", () => {
    expect(Object.keys(methods).length).toBeGreaterThan(40);
    for (const [name, m] of Object.entries(methods)) {
      expect({ name, type: typeof (Tensor.prototype as unknown as Record<string, unknown>)[name] }).toEqual({ name, type: "function" });
      expect(getOp(m.op)?.differentiable).toBe(m.differentiable);
    }
  });

  it("methods equal the function forms", () => {
    const pos = U([2, 3], 303, 0.5, 2);
    const pairs: [Tensor, Tensor][] = [
      [a.add(b), add(a, b)],
      [a.sub(2), sub(a, 2)],
      [a.mul(b), mul(a, b)],
      [a.div(b), div(a, b)],
      [a.maximum(b), maximum(a, b)],
      [a.minimum(0), minimum(a, 0)],
      [a.exp(), exp(a)],
      [pos.log(), log(pos)],
      [pos.sqrt(), sqrt(pos)],
      [a.relu(), relu(a)],
      [a.abs(), abs(a)],
      [a.clip(-0.5, 0.5), clip(a, -0.5, 0.5)],
      [a.cast("float32"), cast(a, "float32")],
      [a.sum(0), sum(a, 0)],
      [a.mean(-1, true), mean(a, -1, true)],
      [a.max(), max(a)],
      [a.min(1), min(a, 1)],
      [a.logSumExp(1), logSumExp(a, 1)],
      [a.matmul(a, false, true), matmul(a, a, false, true)],
      [a.reshape([3, 2]), reshape(a, [3, 2])],
      [a.transpose(), transpose(a)],
      [b.broadcastTo([2, 3]), broadcastTo(b, [2, 3])],
      [a.slice([0, 1], [-1, 2]), slice(a, [0, 1], [-1, 2])],
      [a.gather(I([1, 1]), 0), gather(a, I([1, 1]), 0)],
      [a.pad([[1, 0], [0, 1]]), pad(a, [[1, 0], [0, 1]])],
      [a.softmax(), softmax(a)],
      [a.logSoftmax(0), logSoftmax(a, 0)],
      [a.greater(b), greater(a, b)],
      [a.argMax(), argMax(a)],
    ];
    pairs.forEach(([m, f], i) => expectSameTensor(m, f, `pair ${i}`));
  });

  it("method records are receiver records whose vjpMethodCall/jvpMethodCall cover the object", () => {
    const d = getDerivatives(Tensor.prototype.add);
    expect(d).toBeDefined();
    expect(d!.receiver).toBe(true);
    expect(d!.arity).toBe(2);
    for (const name of Object.keys(methods).filter((n) => methods[n]!.differentiable)) {
      const r = getDerivatives((Tensor.prototype as unknown as Record<string, AnyFunction>)[name]);
      expect({ name, receiver: r?.receiver, jvp: typeof r?.jvp, vjp: typeof r?.vjp }).toEqual({ name, receiver: true, jvp: "function", vjp: "function" });
    }
    // a.mul(b): the pullback gives [g·b, g·a summed to b's shape]; the tangent is da·b + a·db.
    const g = N([2, 3], 304);
    const { value, pullback } = vjpMethodCall(a.mul, a, [b]);
    expectSameTensor(value, mul(a, b), "value");
    const [ga, gb] = pullback(g) as [Tensor, Tensor];
    expectSameTensor(ga, mul(g, b), "cotangent of the object");
    expectSameTensor(gb, sum(mul(g, a), 0), "cotangent of the argument");
    const da = N([2, 3], 305);
    const db = N([3], 306);
    const j = jvpMethodCall(a.mul, a, [b], da, [db]);
    const expected = add(mul(da, b), mul(a, db));
    const t = j.tangent as Tensor;
    expect(t.shape).toEqual([2, 3]);
    t.values.forEach((v, i) => expect(v).toBeCloseTo(expected.values[i]!, 12));
    // Only the object's tangent.
    const j2 = jvpMethodCall(a.sum, a, [1], da, [null]);
    expectSameTensor(j2.tangent, sum(da, 1), "tangent of a.sum(1) along da");
    // A method with options: the receiver's cotangent has its shape.
    const r = vjpMethodCall(a.transpose, a, [[1, 0]]);
    expectSameTensor(r.pullback(transpose(g))[0], g, "cotangent of a.transpose()");
  });
});

// ---- forward values against references -------------------------------------------------------

/** Elementwise comparison with a tolerance. */
function expectClose(actual: Tensor, expected: number[], shape: number[], tol = 1e-12): void {
  expect(actual.shape).toEqual(shape);
  expect(actual.size).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual.values[i]!;
    if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  });
}

describe("forward values against references", () => {
  it("broadcast binary [2,1] × [1,3]", () => {
    const a = tensor([[1], [2]], undefined, "float64");
    const b = tensor([[10, 20, 30]], undefined, "float64");
    expect(add(a, b).arraySync()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(sub(b, a).arraySync()).toEqual([[9, 19, 29], [8, 18, 28]]);
    expect(mul(a, b).arraySync()).toEqual([[10, 20, 30], [20, 40, 60]]);
    expect(div(b, a).arraySync()).toEqual([[10, 20, 30], [5, 10, 15]]);
    // Rank 3 against rank 1 through the odometer path.
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], "float64");
    expect(add(x, tensor([100, 200], [2], "float64")).arraySync()).toEqual([[[101, 202], [103, 204]], [[105, 206], [107, 208]]]);
    expect(add(x, tensor([100, 200], [2, 1], "float64")).arraySync()).toEqual([[[101, 102], [203, 204]], [[105, 106], [207, 208]]]);
  });

  it("dtypes of results: number operands take the tensor's dtype; float64 wins; int32 div gives float32", () => {
    expect(add(N([2], 1), 1).dtype).toBe("float64");
    expect(add(1, randomNormal([2])).dtype).toBe("float32");
    expect(add(randomNormal([2]), N([2], 1)).dtype).toBe("float64");
    expect(add(I([1, 2]), 1).dtype).toBe("int32");
    expect(div(I([1, 2]), 2).dtype).toBe("float32");
    expect(div(I([1, 2]), 2).arraySync()).toEqual([0.5, 1]);
  });

  it("sum over axes with keepDims, mean, max/min", () => {
    const x = tensor(Array.from({ length: 12 }, (_, i) => i), [2, 3, 2], "float64");
    // Reference: x[i][j][k] = 6i + 2j + k.
    expect(sum(x).item()).toBe(66);
    expect(sum(x, [0, 2], true).shape).toEqual([1, 3, 1]);
    expect(sum(x, [0, 2], true).arraySync()).toEqual([[[14], [22], [30]]]);
    expect(sum(x, -1).arraySync()).toEqual([[1, 5, 9], [13, 17, 21]]);
    expect(sum(x, 1, true).arraySync()).toEqual([[[6, 9]], [[24, 27]]]);
    expect(mean(x, [1, 2]).arraySync()).toEqual([2.5, 8.5]);
    expect(max(x, 1).arraySync()).toEqual([[4, 5], [10, 11]]);
    expect(min(x, [0, 1], true).arraySync()).toEqual([[[0, 1]]]);
    expect(sum(I([1, 2, 3])).dtype).toBe("int32");
    expect(mean(I([1, 2])).dtype).toBe("float32");
  });

  it("transpose of rank 3 against index arithmetic", () => {
    const shape = [2, 3, 4];
    const x = tensor(Array.from({ length: 24 }, (_, i) => i), shape, "float64");
    const perm = [2, 0, 1];
    const y = transpose(x, perm);
    expect(y.shape).toEqual([4, 2, 3]);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 3; k++) {
          // y[i,j,k] = x[j,k,i]
          expect(y.values[i * 6 + j * 3 + k]).toBe(x.values[j * 12 + k * 4 + i]);
        }
  });

  it("matmul with transposes and broadcast batches against a naive loop", () => {
    const naive = (A: number[][], B: number[][]): number[][] => A.map((row) => B[0]!.map((_, j) => row.reduce((s, v, p) => s + v * B[p]![j]!, 0)));
    const T = (M: number[][]): number[][] => M[0]!.map((_, j) => M.map((r) => r[j]!));
    const a = N([3, 2], 401);
    const b = N([4, 3], 402);
    const A = a.arraySync() as number[][];
    const B = b.arraySync() as number[][];
    const ref = naive(T(A), T(B)).flat();
    expectClose(matmul(a, b, true, true), ref, [2, 4]);
    expectClose(matmul(a, a, true, false), naive(T(A), A).flat(), [2, 2]);
    expectClose(matmul(a, a, false, true), naive(A, T(A)).flat(), [3, 3]);
    // Batch [2,1] against [3]: out[i,j] = a[i,0] @ b[j].
    const ba = N([2, 1, 2, 3], 403);
    const bb = N([3, 3, 2], 404);
    const out = matmul(ba, bb);
    expect(out.shape).toEqual([2, 3, 2, 2]);
    const BA = ba.arraySync() as number[][][][];
    const BB = bb.arraySync() as number[][][];
    const want = BA.flatMap((ai) => BB.flatMap((bj) => naive(ai[0]!, bj).flat()));
    expectClose(out, want, [2, 3, 2, 2]);
    // float32 (the WebAssembly kernel when available) agrees with float64 to float32 precision.
    const f = matmul(cast(ba, "float32"), cast(bb, "float32"));
    f.values.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
  });

  it("softmax rows sum to 1 (and are stable for large logits)", () => {
    const x = tensor([[1, 2, 3], [1000, 1000, 1000], [-1000, 0, 1000]], undefined, "float64");
    const p = softmax(x);
    const rows = sum(p, -1).dataSync();
    rows.forEach((r) => expect(r).toBeCloseTo(1, 14));
    expectClose(p.slice([1, 0], [1, -1]), [1 / 3, 1 / 3, 1 / 3], [1, 3]);
    const e = [1, 2, 3].map(Math.exp);
    const z = e.reduce((s, v) => s + v, 0);
    expectClose(p.slice([0, 0], [1, -1]), e.map((v) => v / z), [1, 3]);
    expectClose(logSoftmax(x).slice([0, 0], [1, -1]), e.map((v) => Math.log(v / z)), [1, 3]);
    expect(p.values.every(Number.isFinite)).toBe(true);
    // Along axis 0, the columns sum to 1.
    sum(softmax(N([3, 4], 405), 0), 0).dataSync().forEach((r) => expect(r).toBeCloseTo(1, 14));
  });

  it("logSumExp with -Infinity / +Infinity entries (IEEE: log(0) = -Infinity, exp(+Infinity) = +Infinity)", () => {
    const x = tensor([[0, -Infinity], [-Infinity, -Infinity], [Infinity, 1], [1000, 1000]], undefined, "float64");
    const y = logSumExp(x, 1).dataSync();
    expect(y[0]).toBeCloseTo(0, 14); // log(e^0 + 0)
    expect(y[1]).toBe(-Infinity); // log(0)
    expect(y[2]).toBe(Infinity);
    expect(y[3]).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp(N([0, 3], 1), 0).arraySync()).toEqual([-Infinity, -Infinity, -Infinity]);
  });

  it("crossEntropy against a manual computation", () => {
    const logits = N([3, 4], 406);
    const labels = I([2, 0, 2]);
    const L = logits.arraySync() as number[][];
    const manual =
      -L.map((row, i) => {
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        return row[labels.values[i]!]! - lse;
      }).reduce((s, v) => s + v, 0) / 3;
    const ce = crossEntropy(logits, labels);
    expect(ce.shape).toEqual([]);
    expect(ce.dtype).toBe("float64");
    expect(ce.item()).toBeCloseTo(manual, 12);
    expect(crossEntropy(cast(logits, "float32"), labels).dtype).toBe("float32");
    // mse against a manual computation, target broadcast.
    const p = N([2, 3], 407);
    const t = N([3], 408);
    const P = p.arraySync() as number[][];
    const Tt = t.arraySync() as number[];
    const m = P.flatMap((row) => row.map((v, j) => (v - Tt[j]!) ** 2)).reduce((s, v) => s + v, 0) / 6;
    expect(mse(p, t).item()).toBeCloseTo(m, 12);
  });

  it("pad / slice round trip; pad with a value; slice with negative begin and -1 size", () => {
    const x = N([2, 3], 409);
    const p = pad(x, [[1, 2], [0, 1]], 7);
    expect(p.shape).toEqual([5, 4]);
    expectSameTensor(slice(p, [1, 0], [2, 3]), x, "slice(pad(x))");
    expect(p.arraySync()).toEqual([[7, 7, 7, 7], ...(x.arraySync() as number[][]).map((r) => [...r, 7]), [7, 7, 7, 7], [7, 7, 7, 7]]);
    expect(slice(x, [-1, -2], [1, -1]).arraySync()).toEqual([[(x.arraySync() as number[][])[1]![1]!, (x.arraySync() as number[][])[1]![2]!]]);
  });

  it("broadcastTo of a scalar fills every element; mse's JVP with a scalar target (both once read past a 1-element array)", () => {
    expect(broadcastTo(tensor(2.5, [], "float64"), [2, 2]).arraySync()).toEqual([[2.5, 2.5], [2.5, 2.5]]);
    expect(broadcastTo(tensor([1, 2], [2], "float64"), [1, 2, 2]).arraySync()).toEqual([[[1, 2], [1, 2]]]);
    const p = tensor([1, 2, 3, 4], [4], "float64");
    const t = tensor(1, [], "float64");
    // d mse = mean(2 (p − t) (dp − dt)) with dp = 0, dt = 1: −2·mean(p − t) = −3.
    const j = getDerivatives(mse)!.jvp!(p, t, null, tensor(1, [], "float64"));
    expect((j.tangent as Tensor).item()).toBeCloseTo(-3, 14);
  });

  it("pad with a fill value: a constant fill value adds nothing to the tangent, which is padded with zeros", () => {
    const x = tensor([1, 2], [2], "float64");
    const j = getDerivatives(pad)!.jvp!(x, [[1, 1]], 9, tensor([10, 20], [2], "float64"));
    expect((j.value as Tensor).arraySync()).toEqual([9, 1, 2, 9]);
    expect((j.tangent as Tensor).arraySync()).toEqual([0, 10, 20, 0]);
  });

  it("concat / stack along axes", () => {
    const a = tensor([[1, 2], [3, 4]], undefined, "float64");
    const b = tensor([[5], [6]], undefined, "float64");
    expect(concat([a, b], 1).arraySync()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(concat([a, a], -2).arraySync()).toEqual([[1, 2], [3, 4], [1, 2], [3, 4]]);
    expect(stack([a, a], 2).arraySync()).toEqual([[[1, 1], [2, 2]], [[3, 3], [4, 4]]]);
    expect(stack([a, a], 1).shape).toEqual([2, 2, 2]);
  });

  it("gather and its scatter-add with repeated indices", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], undefined, "float64");
    expect(gather(x, I([2, 0, 2])).arraySync()).toEqual([[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
    expect(gather(x, I([1, 1]), 1).arraySync()).toEqual([[2, 2], [5, 5], [8, 8]]);
    expect(gather(x, I([0, 2, 2, 1], [2, 2])).shape).toEqual([2, 2, 3]);
    const { pullback } = getDerivatives(gather)!.vjp!(x, I([2, 0, 2]), 0);
    const [gx] = pullback(tensor([[1, 1, 1], [10, 10, 10], [100, 100, 100]], undefined, "float64")) as [Tensor];
    expect(gx.arraySync()).toEqual([[10, 10, 10], [0, 0, 0], [101, 101, 101]]);
  });

  it("max/min split the derivative evenly among ties; maximum sends a tie to its first operand (as Math.max)", () => {
    const x = tensor([[3, 1, 3], [0, 2, 1]], undefined, "float64");
    const { pullback } = getDerivatives(max)!.vjp!(x, 1);
    const [gx] = pullback(tensor([1, 1], [2], "float64")) as [Tensor];
    expect(gx.arraySync()).toEqual([[0.5, 0, 0.5], [0, 1, 0]]);
    const m = getDerivatives(maximum)!.vjp!(tensor([1, 2], [2], "float64"), tensor([1, 3], [2], "float64"));
    const [ga, gb] = m.pullback(tensor([1, 1], [2], "float64")) as [Tensor, Tensor];
    expect(ga.arraySync()).toEqual([1, 0]);
    expect(gb.arraySync()).toEqual([0, 1]);
  });

  it("where with a broadcast mask, clip, relu at 0", () => {
    const y = where(I([1, 0], [2, 1]), tensor([[1, 2, 3], [4, 5, 6]]), 0);
    expect(y.arraySync()).toEqual([[1, 2, 3], [0, 0, 0]]);
    expect(clip(tensor([-2, 0.5, 3]), 0, 1).arraySync()).toEqual([0, 0.5, 1]);
    expect(clip(I([-2, 1, 3]), 0, 2).dtype).toBe("int32");
    const { pullback } = getDerivatives(relu)!.vjp!(tensor([-1, 0, 2], [3], "float64"));
    expect((pullback(tensor([1, 1, 1], [3], "float64"))[0] as Tensor).arraySync()).toEqual([0, 0, 1]);
  });
});

// ---- errors ----------------------------------------------------------------------------------

function errorOf(thunk: () => unknown): CotangentError {
  try {
    thunk();
  } catch (e) {
    expect(e).toBeInstanceOf(CotangentError);
    return e as CotangentError;
  }
  throw new Error("expected a CotangentError");
}

describe("bad input gives clear CT3005 errors", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["matmul inner dimensions", () => matmul(N([2, 3], 1), N([4, 5], 2)), /^CT3005: matmul: inner dimensions differ: \[2,3\] @ \[4,5\]/],
    ["matmul inner dimensions with a transpose flag", () => matmul(N([2, 3], 1), N([4, 3], 2)), /matmul: inner dimensions differ: \[2,3\] @ \[4,3\]/],
    ["matmul of a vector", () => matmul(N([3], 1), N([3, 2], 2)), /matmul: both operands need at least 2 dimensions, got \[3\] @ \[3,2\]/],
    ["matmul batch dims", () => matmul(N([2, 2, 3], 1), N([3, 3, 2], 2)), /matmul: batch dimensions \[2\] and \[3\] cannot be broadcast/],
    ["broadcasting mismatch", () => add(N([2, 3], 1), N([4], 2)), /add: shapes \[2,3\] and \[4\] cannot be broadcast together/],
    ["broadcasting mismatch (where)", () => where(I([1, 0]), N([3], 1), 0), /where: shapes \[2\] and \[3\] cannot be broadcast/],
    ["crossEntropy float labels", () => crossEntropy(N([2, 3], 1), tensor([0, 1], [2], "float32")), /crossEntropy: labels \(class indices\) has dtype float32, expected int32/],
    ["crossEntropy label out of range", () => crossEntropy(N([2, 3], 1), I([0, 3])), /crossEntropy: label 3 at position 1 is out of range: there are 3 classes/],
    ["crossEntropy negative label", () => crossEntropy(N([2, 3], 1), I([-1, 0])), /crossEntropy: label -1 at position 0 is out of range/],
    ["crossEntropy labels shape", () => crossEntropy(N([2, 3], 1), I([0, 1, 2])), /crossEntropy: labels must have shape \[2\].*logits \[2,3\].*got \[3\]/],
    ["reshape size mismatch", () => reshape(N([2, 3], 1), [4]), /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4\] \(4 elements\)/],
    ["reshape -1 that does not divide", () => reshape(N([2, 3], 1), [4, -1]), /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,-1\]/],
    ["bad axis (sum)", () => sum(N([2, 3], 1), 2), /sum: axis 2 is out of range for a tensor of rank 2 \(allowed: -2 to 1\)/],
    ["bad axis (softmax)", () => softmax(N([2, 3], 1), -3), /softmax: axis -3 is out of range/],
    ["bad axis (concat)", () => concat([N([2], 1)], 1), /concat: axis 1 is out of range/],
    ["bad perm", () => transpose(N([2, 3], 1), [0, 0]), /transpose: \[0,0\] is not a permutation of the 2 axes of \[2,3\]/],
    ["concat shapes", () => concat([N([2, 3], 1), N([2, 2], 2)], 0), /concat: element 1 has shape \[2,2\], which does not match \[2,3\] outside axis 0/],
    ["gather index out of range", () => gather(N([3, 2], 1), I([0, 3])), /gather: index 3 \(at position 1\) is out of range for axis 0 of size 3 \(shape \[3,2\]\)/],
    ["slice out of range", () => slice(N([2, 3], 1), [0, 2], [1, 2]), /slice: size\[1\] = 2 from begin 2 does not fit in a dimension of size 3 \(shape \[2,3\]\)/],
    ["broadcastTo", () => broadcastTo(N([2, 3], 1), [3, 3]), /broadcastTo: .*\[2,3\].*\[3,3\]/],
    ["mse targets that would grow predictions", () => mse(N([3], 1), N([2, 3], 2)), /mse: targets \[2,3\] would broadcast predictions \[3\]/],
  ];
  it.each(cases)("%s", (_name, thunk, message) => {
    const e = errorOf(thunk);
    expect(e.code).toBe("CT3005");
    expect(e.message).toMatch(message);
  });
});

describe("NaN and Infinity follow IEEE 754", () => {
  const v = (t: Tensor) => Array.from(t.values);

  it("exp(+Infinity) = +Infinity, exp(-Infinity) = 0, log(0) = -Infinity, log(-1) = NaN, sqrt(-1) = NaN", () => {
    expect(v(exp(tensor([Infinity, -Infinity], [2], "float64")))).toEqual([Infinity, 0]);
    expect(v(log(tensor([0, -1, Infinity], [3], "float64")))).toEqual([-Infinity, NaN, Infinity]);
    expect(v(sqrt(tensor([-1, Infinity], [2], "float64")))).toEqual([NaN, Infinity]);
  });

  it("NaN propagates through add and mul; Infinity − Infinity = NaN; 0 · Infinity = NaN; 1/0 = Infinity", () => {
    expect(v(add(tensor([NaN, 1], [2], "float64"), 1))).toEqual([NaN, 2]);
    expect(v(sub(tensor([Infinity], [1], "float64"), Infinity))).toEqual([NaN]);
    expect(v(mul(tensor([0], [1], "float64"), Infinity))).toEqual([NaN]);
    expect(v(div(tensor([1, -1, 0], [3], "float64"), 0))).toEqual([Infinity, -Infinity, NaN]);
  });

  it("max/min/maximum/minimum with NaN give NaN (NaN wins, as Math.max and jnp.maximum)", () => {
    const x = tensor([1, NaN, 3], [3], "float64");
    expect(v(max(x))).toEqual([NaN]);
    expect(v(min(x))).toEqual([NaN]);
    expect(v(maximum(x, 2))).toEqual([2, NaN, 3]);
    expect(v(minimum(2, x))).toEqual([1, NaN, 2]);
    expect(v(maximum(tensor([NaN], [1], "float64"), tensor([NaN], [1], "float64")))).toEqual([NaN]);
    expect(v(relu(tensor([NaN, -Infinity, Infinity], [3], "float64")))).toEqual([NaN, 0, Infinity]);
    expect(argMax(x).item()).toBe(1); // the NaN's index
  });

  it("comparisons with NaN are false except notEqual (IEEE: NaN is unordered)", () => {
    const x = tensor([NaN], [1], "float64");
    expect([equal, notEqual, greater, greaterEqual, less, lessEqual].map((f) => f(x, x).item())).toEqual([0, 1, 0, 0, 0, 0]);
  });
});
