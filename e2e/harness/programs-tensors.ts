// Random TENSOR programs as source text, for e2e/test/property-tensors.test.ts: a marked
// function over float64 tensors and numbers, plus the marked helpers it calls, checked through
// both hosts against finite differences and forward against reverse mode.
//
// What a program mixes:
//   - ops as functions and as methods: elementwise unary (tanh, sigmoid, softplus, gelu, relu,
//     leakyRelu, sin, cos, square, abs, neg; exp of a bounded value; log, log1p, sqrt and pow of
//     positive values), binary add/sub/mul/div/maximum/minimum/pow broadcasting between
//     [2,3] / [3] / [1,3] / [2,1] / [] and plain numbers on either side (function form), where
//     with a mask from withoutDerivative(...), clip, cast to float64;
//   - reductions sum/mean/max/min/logSumExp over axes (negative too) with and without keepDims;
//     matmul with transpose flags (function and method); reshape (with -1), flatten, transpose,
//     expandDims, squeeze, broadcastTo, slice, pad, concat, stack, gather (index arrays);
//     softmax/logSoftmax over either axis, crossEntropy (module-level int32 labels), mse;
//   - control flow: `let` reassignment, `for` loops carrying tensors (constant trip count, over an
//     array parameter by index and by `for…of`), if/else on a number parameter, on an item()-derived
//     number, and on `sum(t).item() > 0`, `?:` on tensors, early returns;
//   - numbers: a number parameter, numbers read out of tensors with item() and fed back into
//     tensor ops (`h.mul(k)`), Math functions of them;
//   - structs and arrays: a `{ w, b }` parameter (read by field and destructured), object literals
//     passed to helpers, a helper returning `{ a, b }` (read by field and destructured), an array
//     parameter `xs: Tensor[]`, local `Tensor[]` arrays built with literals and push;
//   - calls to marked helpers of the module: a map `(t, k) → t`, a dense layer `(p: {w, b}, h)`,
//     a struct-returning helper, an array reduction `(ts: Tensor[]) → Tensor`, a number-returning
//     helper (item()), a scalar-tensor helper, a recursive helper (`wrt: t`, a depth counter);
//     helpers call each other;
//   - differentiation with respect to a subset of the parameters (`wrt`), in parameter order.
//
// Values stay in safe ranges: logs, square roots, divisions and pows only see softplus(…)+c,
// sigmoid(…)+c or (…)²+c; exp only sees tanh(…); loop-carried values are squashed. Kinks (relu,
// abs, max, clip, maximum, where masks, branches) are only hit by chance; the test skips points
// where finite differences at two step sizes disagree.
//
// Programs are built imperatively from a seed (the environment of a statement depends on the
// statements before it); helpers are written with the placeholder prefix `$_` (`$_map`), which
// `tensorSourceOf(name, p)` renames to `${name}_map` so many programs share one module.

import fc from "fast-check";
import * as ct from "@cotangent/runtime";
import { mulberry32 } from "./check";
import { f64 } from "./tensor-check";

// ---------------------------------------------------------------------------------------------
// Shapes

/** The shapes expressions are generated at. */
const SHAPES = {
  M: [2, 3],
  MT: [3, 2],
  R: [3],
  C: [2],
  COL: [2, 1],
  ROW: [1, 3],
  SQ: [3, 3],
  SQ2: [2, 2],
  S: [],
} as const;
type ShapeKey = keyof typeof SHAPES;

/** Operand shapes whose broadcast is the key (besides the shape itself). */
const BROADCAST_PAIRS: Partial<Record<ShapeKey, [ShapeKey, ShapeKey][]>> = {
  M: [["M", "M"], ["M", "R"], ["R", "M"], ["M", "ROW"], ["COL", "M"], ["M", "S"], ["S", "M"], ["COL", "ROW"], ["ROW", "COL"], ["COL", "R"]],
  MT: [["MT", "MT"], ["MT", "S"], ["MT", "C"]],
  R: [["R", "R"], ["R", "S"], ["S", "R"]],
  C: [["C", "C"], ["C", "S"]],
  COL: [["COL", "COL"], ["COL", "S"], ["S", "COL"]],
  ROW: [["ROW", "ROW"], ["ROW", "R"], ["R", "ROW"], ["ROW", "S"]],
  SQ: [["SQ", "SQ"], ["SQ", "R"], ["SQ", "ROW"]],
  SQ2: [["SQ2", "SQ2"], ["SQ2", "C"], ["COL", "SQ2"]],
  S: [["S", "S"]],
};

// ---------------------------------------------------------------------------------------------
// Programs

export type ParamKind = "tensor" | "layer" | "array" | "number" | "net" | "layers";

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** For a tensor: its shape key; for an array: its elements' shape key. */
  shape?: ShapeKey;
  /** For a number: its value. */
  value?: number;
}

export interface TensorProgram {
  /** The seed the program was built from (reproduce with `tensorProgramOf(seed, shape)`). */
  seed: number;
  /** Helper declarations (with the `$_` prefix), only those the program uses (and their callees). */
  helpers: string[];
  params: ParamSpec[];
  /** Indices of the differentiated parameters, in parameter order. */
  wrt: number[];
  /** Whether the JSDoc says `wrt:` (else every parameter is differentiated). */
  explicitWrt: boolean;
  /** Statements of the main body. */
  body: string[];
  returnsNumber: boolean;
}

export interface TensorShape {
  /** Expression depth of the main body. */
  depth: number;
  /** Max statements of the main body after the first `let h = …`. */
  maxStatements: number;
  /** Loops, branches, helper calls, arrays and structs (else straight-line expressions). */
  control: boolean;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** One of weighted thunks. */
  oneOf<T>(options: readonly (readonly [number, () => T])[]): T {
    const total = options.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, f] of options) {
      if ((r -= w) < 0) return f();
    }
    return options[options.length - 1]![1]();
  }
}

interface Env {
  /** Tensor-valued expressions in scope with their shapes (`h`, `m.w`, `xs[1]`). */
  tensors: { expr: string; shape: ShapeKey }[];
  /** Number-valued expressions in scope (`s`, `k1`, `i`). */
  numbers: string[];
  /** Helpers callable here (`$_map`, …). */
  helpers: readonly HelperName[];
  /** Array expressions of [2,3] tensors in scope (`xs`, `ps1`). */
  arrays: string[];
  /** Layer structs `{ w: [3,3], b: [3] }` in scope. */
  layers: string[];
  /** Arrays of layer structs in scope. */
  layerArrays: string[];
  /** `let` tensor locals (besides h) that statements may reassign, with their shapes. */
  lets: { name: string; shape: ShapeKey }[];
  /** Local tensor arrays and structs whose elements / fields statements may write. */
  writable: { expr: string; shape: ShapeKey }[];
  /** `let` number locals. */
  numberLets: string[];
  /** Local arrow functions `(t: Tensor): Tensor` (no captures). */
  arrows: string[];
}

type HelperName = "$_map" | "$_layer" | "$_pair" | "$_sumAll" | "$_num" | "$_red" | "$_rec" | "$_split";

const NEG = (n: number) => (n < 0 ? `(${n})` : `${n}`);
const LITERALS = [0.5, 2, 1.5, 0.25, 0.75, -0.5, -1.5, 3];

class Builder {
  private counter = 0;
  constructor(readonly rng: Rng) {}

  fresh(prefix: string): string {
    return `${prefix}${++this.counter}`;
  }

  /** A function-or-method call: `op(a, ...rest)` or `a.op(...rest)`. */
  call(op: string, receiver: string, ...rest: string[]): string {
    return this.rng.chance(0.5) ? `${op}(${[receiver, ...rest].join(", ")})` : `${receiver}.${op}(${rest.join(", ")})`;
  }

  /** Whether `$_map`'s number parameter has a default (`k: number = 0.5`): calls may leave it out. */
  mapHasDefault = false;

  mapCall(arg: string, env: Env, d: number): string {
    return this.mapHasDefault && this.rng.chance(0.5) ? `$_map(${arg})` : `$_map(${arg}, ${this.number(env, d)})`;
  }

  literal(): string {
    return NEG(this.rng.pick(LITERALS));
  }

  // ---- numbers ---------------------------------------------------------------------------

  number(env: Env, depth: number): string {
    const r = this.rng;
    const opts: [number, () => string][] = [[3, () => this.literal()]];
    if (env.numbers.length) opts.push([4, () => r.pick(env.numbers)]);
    if (depth > 0) {
      opts.push([2, () => `Math.tanh(${this.number(env, depth - 1)})`]);
      opts.push([1, () => `Math.sin(${this.number(env, depth - 1)})`]);
      opts.push([2, () => `(${this.number(env, depth - 1)} * 0.5 + 0.25)`]);
      opts.push([3, () => `${this.scalarTensor(env, depth - 1)}.item()`]);
      if (env.helpers.includes("$_num")) opts.push([1, () => `$_num(${this.tensor("M", env, depth - 1)})`]);
    }
    return r.oneOf(opts);
  }

  /** A [] tensor expression usable as a method receiver. */
  scalarTensor(env: Env, depth: number): string {
    const r = this.rng;
    return r.oneOf([
      [3, () => this.call(r.pick(["sum", "mean"]), this.tensor(r.pick(["M", "R", "COL"] as const), env, depth))],
      [1, () => this.call("logSumExp", this.tensor("M", env, depth))],
      [1, () => this.call("max", this.tensor("M", env, depth))],
    ]);
  }

  // ---- tensors ---------------------------------------------------------------------------

  /** A leaf of the shape: a variable in scope, or one converted from a [2,3] variable. */
  leaf(shape: ShapeKey, env: Env): string {
    const r = this.rng;
    const same = env.tensors.filter((t) => t.shape === shape);
    const m = env.tensors.filter((t) => t.shape === "M");
    if (same.length && (r.chance(0.8) || !m.length)) {
      // (no withoutDerivative(v) leaves: finite differences see through them, the gradient does not)
      return r.pick(same).expr;
    }
    if (!m.length) throw new Error(`no [2,3] tensor in scope for a ${shape} leaf`);
    const x = r.pick(m).expr;
    switch (shape) {
      case "M":
        return x;
      case "MT":
        return r.pick([`transpose(${x})`, `${x}.reshape([3, 2])`, `${x}.transpose([1, 0])`]);
      case "R":
        return r.pick([`sum(${x}, 0)`, `${x}.mean(0)`, `${x}.slice([1, 0], [1, 3]).reshape([-1])`]);
      case "C":
        return r.pick([`${x}.mean(1)`, `sum(${x}, -1)`]);
      case "COL":
        return r.pick([`sum(${x}, 1, true)`, `${x}.slice([0, 1], [2, 1])`]);
      case "ROW":
        return r.pick([`${x}.slice([1, 0], [1, 3])`, `mean(${x}, 0, true)`]);
      case "SQ":
        return r.pick([`matmul(${x}, ${x}, true)`, `gather(${x}, [1, 0, 1], 0)`]);
      case "SQ2":
        return r.pick([`${x}.matmul(${x}, false, true)`, `slice(${x}, [0, 1], [2, 2])`]);
      case "S":
        return r.pick([`sum(${x})`, `${x}.mean()`]);
    }
  }

  /** A tensor expression of the shape. */
  tensor(shape: ShapeKey, env: Env, depth: number): string {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.15)) return this.leaf(shape, env);
    const d = depth - 1;
    const sub = (s: ShapeKey = shape) => this.tensor(s, env, d);
    const opts: [number, () => string][] = [
      [2, () => this.leaf(shape, env)],
      [5, () => this.unary(sub())],
      [6, () => this.binary(shape, env, d)],
      [1, () => this.whereOf(shape, env, d)],
      [1, () => this.call("clip", sub(), r.pick(["-1", "-0.5", "0"]), r.pick(["1", "1.5", "0.8"]))],
      // numeric options that may be differentiated numbers: clip's bounds, leakyRelu's alpha, pad's value
      [
        env.numbers.length ? 1 : 0,
        () => {
          const n = this.number(env, Math.min(d, 1));
          return r.pick([this.call("clip", sub(), `${n} - 1`, `${n} + 0.5`), this.call("leakyRelu", sub(), `Math.tanh(${n})`)]);
        },
      ],
      [
        shape === "M" && env.numbers.length ? 1 : 0,
        () => r.pick([`pad(${this.tensor("ROW", env, d)}, [[1, 0], [0, 0]], ${this.number(env, Math.min(d, 1))})`, `${this.tensor("SQ2", env, d)}.pad([[0, 0], [0, 1]], ${this.number(env, Math.min(d, 1))})`]),
      ],
      [4, () => this.producer(shape, env, d)],
    ];
    if (r.chance(0.05)) return `cast(${sub()}, "float64")`;
    // parenthesized: the expression may be a method receiver
    if (env.numbers.length && depth >= 2 && r.chance(0.06)) return `(${this.condition(env, d)} ? ${sub()} : ${sub()})`;
    if (shape === "M" && env.helpers.includes("$_map")) opts.push([1, () => this.mapCall(sub(), env, d)]);
    if (shape === "M" && env.arrows.length) opts.push([1, () => `${r.pick(env.arrows)}(${sub()})`]);
    if (shape === "M" && env.helpers.includes("$_layer") && env.layers.length) opts.push([1, () => `$_layer(${r.pick(env.layers)}, ${sub()})`]);
    if (shape === "S" && env.helpers.includes("$_red")) opts.push([1, () => `$_red(${sub("M")})`]);
    if (shape === "M" && env.helpers.includes("$_rec")) opts.push([1, () => `$_rec(${sub()}, ${r.int(0, 2)})`]);
    return r.oneOf(opts);
  }

  unary(e: string): string {
    const r = this.rng;
    return r.oneOf([
      [12, () => this.call(r.pick(["tanh", "sigmoid", "softplus", "gelu", "relu", "neg", "sin", "cos"]), e)],
      [2, () => this.call(r.pick(["square", "abs"]), e)],
      [1, () => this.call("leakyRelu", e, r.pick(["0.1", "0.3"]))],
      [2, () => this.call("exp", this.call("tanh", e))],
      [2, () => r.pick([`log(${this.call("softplus", e)}.add(0.1))`, `${e}.square().add(1).log()`, `log(sigmoid(${e}))`])],
      [1, () => this.call("log1p", this.call("square", e))],
      [1, () => this.call("sqrt", `${e}.square().add(0.5)`)],
      [1, () => this.call("pow", `sigmoid(${e}).add(0.5)`, r.pick(["2", "1.5", "3", "0.5"]))],
    ]);
  }

  /** A positive tensor expression (for denominators and pow bases). */
  positive(e: string): string {
    return this.rng.pick([`${this.call("softplus", e)}.add(0.5)`, `${e}.square().add(1)`, `sigmoid(${e}).add(0.5)`, `exp(tanh(${e}))`]);
  }

  binary(shape: ShapeKey, env: Env, d: number): string {
    const r = this.rng;
    const pairs = BROADCAST_PAIRS[shape]!;
    const [sa, sb] = r.pick(pairs);
    // a number on one side (function form, either side; method form, the right)
    const numberSide = shape !== "S" && r.chance(0.2) ? r.pick([0, 1]) : -1;
    const a = numberSide === 0 ? this.number(env, d) : this.tensor(numberSide === 1 ? shape : sa, env, d);
    const b = numberSide === 1 ? this.number(env, d) : this.tensor(numberSide === 0 ? shape : sb, env, d);
    const op = r.oneOf<string>([
      [4, () => "add"],
      [3, () => "sub"],
      [4, () => "mul"],
      [2, () => "div"],
      [1, () => "maximum"],
      [1, () => "minimum"],
      [1, () => "pow"],
    ]);
    const form = (name: string, x: string, y: string) =>
      numberSide === 0 || r.chance(0.5) ? `${name}(${x}, ${y})` : `${x}.${name}(${y})`;
    if (op === "div") {
      // a positive denominator: a tensor squashed positive, or a positive number
      const den = numberSide === 1 ? r.pick(["2", "1.5", "0.75"]) : this.positive(b);
      return form("div", a, den);
    }
    if (op === "pow") {
      // a positive base; a bounded exponent (a number, or a tensor through tanh)
      if (numberSide === 0) return `pow(${r.pick(["2", "1.5", "0.75"])}, tanh(${b}))`;
      if (numberSide === 1) return form("pow", this.positive(a), `Math.tanh(${b})`);
      if (r.chance(0.5)) return form("pow", this.positive(this.tensor(shape, env, d)), r.pick(["2", "1.5", "0.5", "3"]));
      return form("pow", this.positive(a), `tanh(${b})`);
    }
    return form(op, a, b);
  }

  whereOf(shape: ShapeKey, env: Env, d: number): string {
    const r = this.rng;
    const [sa, sb] = r.pick(BROADCAST_PAIRS[shape]!);
    const m = this.tensor(r.pick([sa, shape]), env, Math.min(d, 1));
    const mask = r.oneOf([
      [2, () => `greater(withoutDerivative(${m}), ${this.literal()})`],
      [1, () => `withoutDerivative(${m}).less(0.3)`],
      [1, () => `less(withoutDerivative(${m}), withoutDerivative(${this.tensor(sb, env, 0)}))`],
    ]);
    if (shape !== "S" && r.chance(0.25)) {
      // a number on one side (its cotangent is never read when it is a constant)
      const mt = `greater(withoutDerivative(${this.tensor(shape, env, 0)}), ${this.literal()})`;
      const n = r.chance(0.5) ? this.literal() : this.number(env, Math.min(d, 1));
      return r.chance(0.5) ? `where(${mt}, ${this.tensor(shape, env, d)}, ${n})` : `where(${mt}, ${n}, ${this.tensor(shape, env, d)})`;
    }
    return `where(${mask}, ${this.tensor(sa, env, d)}, ${this.tensor(sb, env, d)})`;
  }

  /** Shape-changing ops that give `shape`. */
  producer(shape: ShapeKey, env: Env, d: number): string {
    const r = this.rng;
    const t = (s: ShapeKey) => this.tensor(s, env, d);
    const c = (op: string, x: string, ...rest: string[]) => this.call(op, x, ...rest);
    const red = (op: string, x: string, ...rest: string[]) => c(op, x, ...rest);
    switch (shape) {
      case "M":
        return r.oneOf([
          [3, () => c("matmul", t("M"), t("SQ"))],
          [1, () => `matmul(${t("MT")}, ${t("SQ")}, true)`],
          [1, () => `${t("M")}.matmul(${t("SQ")}, false, true)`],
          [1, () => `matmul(${t("SQ2")}, ${t("M")})`],
          [1, () => `${t("MT")}.matmul(${t("SQ")}, true, true)`],
          [2, () => r.pick([`transpose(${t("MT")})`, `${t("MT")}.transpose()`, `reshape(${t("MT")}, [2, 3])`, `${t("MT")}.reshape([2, -1])`])],
          [2, () => r.pick([`concat([${t("ROW")}, ${t("ROW")}], 0)`, `concat([${t("COL")}, slice(${t("M")}, [0, 1], [2, 2])], 1)`, `concat([${t("SQ2")}, ${t("COL")}], -1)`])],
          [2, () => r.pick([`stack([${t("R")}, ${t("R")}])`, `stack([${t("C")}, ${t("C")}, ${t("C")}], 1)`, `stack([${t("C")}, ${t("C")}, ${t("C")}], -1)`])],
          [1, () => r.pick([`broadcastTo(${t("COL")}, [2, 3])`, `${t("ROW")}.broadcastTo([2, 3])`, `broadcastTo(${t("R")}, [2, 3])`])],
          [2, () => r.pick([`gather(${t("SQ")}, [0, 2], 0)`, `${t("M")}.gather([2, 0, 1], 1)`, `gather(${t("M")}, [1, 1], 0)`, `${t("SQ2")}.gather([0, 1, 1], 1)`])],
          [1, () => r.pick([`slice(${t("SQ")}, [1, 0], [2, 3])`, `${t("SQ")}.slice([0, 0], [2, -1])`, `pad(${t("ROW")}, [[1, 0], [0, 0]])`, `${t("SQ2")}.pad([[0, 0], [0, 1]], 0.5)`])],
          [3, () => r.pick([c("softmax", t("M")), c("softmax", t("M"), "0"), c("logSoftmax", t("M")), c("logSoftmax", t("M"), "1"), `softmax(${t("M")}, -2)`])],
          [
            1,
            () => {
              const [axis, back] = r.pick([["0", "0"], ["1", "1"], ["2", "2"], ["-1", "2"], ["-3", "0"]]);
              return r.chance(0.5) ? `squeeze(expandDims(${t("M")}, ${axis}))` : `${t("M")}.expandDims(${axis}).squeeze(${back})`;
            },
          ],
          [1, () => `flatten(${t("SQ2")}).reshape([2, 2]).pad([[0, 0], [1, 0]])`],
          // convolution and pooling of [2,3] as a [1,2,3,1] image (NHWC)
          [
            1,
            () =>
              r.pick([
                `conv2d(${t("M")}.reshape([1, 2, 3, 1]), ${t("SQ2")}.reshape([2, 2, 1, 1]), { padding: "same" }).reshape([2, 3])`,
                `conv2d(reshape(${t("M")}, [1, 2, 3, 1]), reshape(${t("R")}, [1, 3, 1, 1]), { padding: "same" }).reshape([2, 3])`,
                `avgPool2d(${t("M")}.reshape([1, 2, 3, 1]), { size: 2, stride: 1, padding: "same" }).reshape([2, 3])`,
                `maxPool2d(${t("M")}.reshape([1, 2, 3, 1]), { size: [1, 2], stride: 1, padding: "same" }).reshape([2, 3])`,
              ]),
          ],
          // int32 indices and one-hot rows computed from constants (argMax of withoutDerivative)
          [1, () => r.pick([`gather(${t("SQ")}, argMax(withoutDerivative(${t("M")}), 1))`, `${t("M")}.gather(argMin(withoutDerivative(${t("SQ")}), 0), 1)`])],
          [1, () => r.pick([`${t("M")}.mul(oneHot(LABELS, 3, "float64"))`, `add(${t("M")}, oneHot(argMax(withoutDerivative(${t("M")})), 3, "float64"))`])],
          // arrays of tensors (parameters and locals) joined
          [
            env.arrays.length ? 2 : 0,
            () => {
              const a = r.pick(env.arrays);
              return r.pick([
                this.call(r.pick(["sum", "mean", "max"]), `stack(${a})`, "0"),
                `stack(${a}, 2).${r.pick(["mean", "logSumExp", "min"])}(-1)`,
                `concat(${a}, 1).slice([0, 1], [2, 3])`,
                `concat([${a}[0], ${t("M")}], 0).slice([1, 0], [2, 3])`,
              ]);
            },
          ],
        ]);
      case "MT":
        return r.oneOf([
          [2, () => r.pick([c("transpose", t("M")), `${t("M")}.reshape([3, 2])`, `transpose(${t("M")}, [1, 0])`])],
          [1, () => c("matmul", t("SQ"), t("MT"))],
          [1, () => `matmul(${t("M")}, ${t("SQ2")}, true)`],
          [1, () => `${t("SQ")}.matmul(${t("M")}, false, true)`],
        ]);
      case "R":
        return r.oneOf([
          [4, () => r.pick([red("sum", t("M"), "0"), red("mean", t("M"), "0"), red("max", t("M"), "0"), red("min", t("M"), "-2"), red("logSumExp", t("M"), "0"), red("sum", t("MT"), "1")])],
          [1, () => r.pick([`squeeze(${t("ROW")}, 0)`, `${t("ROW")}.reshape([3])`, `flatten(${t("ROW")})`, `${t("ROW")}.squeeze()`])],
          [1, () => r.pick([`gather(${t("R")}, [2, 0, 1])`, `${t("M")}.slice([1, 0], [1, 3]).reshape([-1])`, `concat([${t("C")}, ${t("ROW")}.reshape([3]).slice([2], [1])])`])],
        ]);
      case "C":
        return r.oneOf([
          [4, () => r.pick([red("sum", t("M"), "1"), red("mean", t("M"), "-1"), red("max", t("M"), "1"), red("logSumExp", t("M"), "-1"), red("sum", t("SQ2"), "0")])],
          [1, () => r.pick([`squeeze(${t("COL")}, 1)`, `${t("COL")}.squeeze()`, `${t("COL")}.reshape([2])`, `flatten(${t("COL")})`, `${t("R")}.slice([1], [2])`])],
        ]);
      case "COL":
        return r.oneOf([
          [4, () => r.pick([red("sum", t("M"), "1", "true"), red("mean", t("M"), "-1", "true"), red("max", t("M"), "1", "true"), red("logSumExp", t("M"), "1", "true")])],
          [2, () => r.pick([`expandDims(${t("C")}, 1)`, `${t("C")}.expandDims(-1)`, `${t("C")}.reshape([2, 1])`, `slice(${t("M")}, [0, 1], [2, 1])`, `matmul(${t("M")}, ${t("R")}.reshape([3, 1]))`])],
        ]);
      case "ROW":
        return r.oneOf([
          [3, () => r.pick([red("sum", t("M"), "0", "true"), red("mean", t("M"), "0", "true"), red("max", t("M"), "-2", "true"), red("logSumExp", t("M"), "0", "true")])],
          [2, () => r.pick([`expandDims(${t("R")}, 0)`, `${t("R")}.expandDims()`, `${t("R")}.reshape([1, 3])`, `${t("M")}.slice([1, 0], [1, 3])`, `slice(${t("M")}, [0, 0], [1, -1])`])],
        ]);
      case "SQ":
        return r.oneOf([
          [2, () => r.pick([`matmul(${t("M")}, ${t("M")}, true)`, `${t("MT")}.matmul(${t("M")})`, `matmul(${t("MT")}, ${t("MT")}, false, true)`])],
          [1, () => r.pick([`concat([${t("M")}, ${t("ROW")}], 0)`, `stack([${t("R")}, ${t("R")}, ${t("R")}])`, `gather(${t("M")}, [1, 0, 1], 0)`])],
        ]);
      case "SQ2":
        return r.oneOf([
          [2, () => r.pick([`matmul(${t("M")}, ${t("M")}, false, true)`, `${t("M")}.matmul(${t("MT")})`, `matmul(${t("MT")}, ${t("MT")}, true)`])],
          [1, () => r.pick([`${t("M")}.slice([0, 0], [2, 2])`, `stack([${t("C")}, ${t("C")}], 1)`, `softmax(${t("SQ2")}, 0)`])],
        ]);
      case "S":
        return r.oneOf([
          [4, () => r.pick([c("sum", t("M")), c("mean", t("M")), c("max", t("M")), c("logSumExp", t("M")), c("sum", t("R")), c("mean", t("COL"))])],
          [1, () => r.pick([`sum(${t("M")}, [0, 1])`, `${t("M")}.mean([0, 1], false)`, `${t("COL")}.sum(0).squeeze()`, `squeeze(${t("ROW")}.max(1, true))`])],
          [2, () => r.pick([`mse(${t("M")}, ${t("M")})`, `mse(${t("M")}, ${t("R")})`, `crossEntropy(${t("M")}, LABELS)`])],
        ]);
    }
  }

  // ---- statements --------------------------------------------------------------------------

  condition(env: Env, d: number): string {
    const r = this.rng;
    return r.oneOf([
      [2, () => `${this.call(r.pick(["sum", "mean"]), this.tensor("M", env, Math.min(d, 1)))}.item() > ${r.pick(["0", "0.2", "(-0.3)"])}`],
      [env.numbers.length ? 2 : 0, () => `${r.pick(env.numbers)} ${r.pick([">", "<"])} ${r.pick(["0.5", "0.8", "0"])}`],
      [1, () => `${this.number(env, 1)} > ${r.pick(["0", "0.4"])}`],
    ]);
  }

  /** A squashed [2,3] expression for loop-carried values. */
  bounded(e: string): string {
    return this.rng.pick([this.call("tanh", e), this.call("sigmoid", e), `clip(${e}, -2, 2)`, `${e}.tanh().mul(1.5)`]);
  }

  /**
   * Statements that update `h` (a `let` [2,3] tensor) and define locals; appended to `out`.
   * `returns` gives a final expression for an early return; `inLoop` squashes updates.
   */
  statements(env: Env, count: number, nesting: number, inLoop: boolean, depth: number, out: string[], returns: (env: Env) => string): void {
    for (let n = 0; n < count; n++) this.statement(env, nesting, inLoop, depth, out, returns);
  }

  statement(env: Env, nesting: number, inLoop: boolean, depth: number, out: string[], returns: (env: Env) => string): void {
    const r = this.rng;
    const ind = "  ".repeat(nesting + 1);
    const e = (s: ShapeKey = "M", dd = depth) => this.tensor(s, env, dd);
    const update = (v: string) => (inLoop ? r.pick([`h = ${this.bounded(v)};`, `h = h.mul(0.5).add(${this.bounded(v)});`]) : `h = ${v};`);
    const block = (inner: Env, k: number, loop: boolean) => {
      const lines: string[] = [];
      this.statements(inner, k, nesting + 1, loop, Math.max(1, depth - 1), lines, returns);
      return lines;
    };
    const opts: [number, () => void][] = [
      [6, () => out.push(ind + update(e()))],
      [2, () => out.push(ind + (inLoop ? `h = h.add(${this.call(r.pick(["tanh", "sin"]), e())}.mul(0.5));` : `h = h.${r.pick(["add", "sub", "mul"])}(${e()});`))],
      // a number local read from a tensor (item()) or computed from numbers
      [
        2,
        () => {
          const k = this.fresh("k");
          out.push(`${ind}const ${k} = ${r.pick([`Math.tanh(${this.number(env, 2)})`, `${this.scalarTensor(env, 1)}.item() * 0.5`, `${this.number(env, 2)} + 0.5`])};`);
          env.numbers.push(k);
        },
      ],
      // a tensor local of another shape, used later
      [
        2,
        () => {
          const s = r.pick(["R", "COL", "ROW", "SQ", "C", "S", "M"] as const);
          const v = this.fresh("u");
          const isLet = r.chance(0.6);
          out.push(`${ind}${isLet ? "let" : "const"} ${v}${r.chance(0.3) ? ": Tensor" : ""} = ${e(s)};`);
          env.tensors.push({ expr: v, shape: s });
          if (isLet) env.lets.push({ name: v, shape: s });
        },
      ],
    ];
    // reassign a `let` tensor local (squashed in loops)
    if (env.lets.length)
      opts.push([
        3,
        () => {
          const { name, shape } = r.pick(env.lets);
          const v = this.tensor(shape, env, Math.max(1, depth - 1));
          out.push(`${ind}${name} = ${inLoop ? `${name}.mul(0.5).add(${this.bounded(v)})` : r.pick([v, `${name}.${r.pick(["add", "sub", "mul"])}(${v})`])};`);
        },
      ]);
    if (this.shape.control) {
      // number `let`s: declared from a tensor, updated with compound assignment
      opts.push([
        1,
        () => {
          if (env.numberLets.length && r.chance(0.6)) {
            const k = r.pick(env.numberLets);
            out.push(`${ind}${k} ${r.pick(["+=", "-=", "*="])} ${r.pick([`Math.tanh(${this.scalarTensor(env, 1)}.item())`, `0.5 * Math.sin(${this.number(env, 1)})`])};`);
          } else {
            const k = this.fresh("n");
            out.push(`${ind}let ${k} = ${this.scalarTensor(env, 1)}.item() * 0.25;`);
            env.numbers.push(k);
            env.numberLets.push(k);
          }
        },
      ]);
      // element and field writes into local arrays and structs
      if (env.writable.length)
        opts.push([
          2,
          () => {
            const { expr, shape } = r.pick(env.writable);
            const v = this.tensor(shape, env, 1);
            out.push(`${ind}${expr} = ${inLoop || r.chance(0.5) ? `${expr}.mul(0.5).add(${this.bounded(v)})` : v};`);
          },
        ]);
      // layers from an array of structs
      if (env.layerArrays.length && env.helpers.includes("$_layer"))
        opts.push([
          2,
          () => {
            const ls = r.pick(env.layerArrays);
            if (r.chance(0.5)) out.push(`${ind}for (const layer of ${ls}) h = $_layer(layer, h);`);
            else {
              const i = nesting === 0 ? "i" : "j";
              out.push(`${ind}for (let ${i} = 0; ${i} < ${ls}.length; ${i}++) {`, `${ind}  h = ${this.bounded(`$_layer(${ls}[${i}], h)`)};`, `${ind}}`);
            }
          },
        ]);
      // outputs collected by push in a loop, joined after it (an RNN's outputs)
      if (nesting < 2)
        opts.push([
          1,
          () => {
            const os = this.fresh("outs");
            const i = nesting === 0 ? "i" : "j";
            const inner = scoped(env);
            inner.numbers.push(i);
            const pushed = r.pick(["h", `h.mul(${this.number(inner, 1)})`, this.bounded(this.tensor("M", inner, 1))]);
            const body: string[] = [];
            this.statements(inner, r.int(1, 2), nesting + 1, true, Math.max(1, depth - 1), body, returns);
            out.push(
              `${ind}const ${os}: Tensor[] = [];`,
              `${ind}for (let ${i} = 0; ${i} < ${r.int(1, 3)}; ${i}++) {`,
              `${ind}  ${os}.push(${pushed});`,
              ...body,
              `${ind}}`,
              ind + update(r.pick([`stack(${os}).mean(0)`, `${os}[${os}.length - 1].add(${os}[0])`, `concat(${os}, 0).slice([0, 0], [2, 3])`])),
            );
          },
        ]);
      // a number accumulated over a loop, then used as a factor
      if (nesting < 2)
        opts.push([
          1,
          () => {
            const tot = this.fresh("tot");
            const i = nesting === 0 ? "i" : "j";
            out.push(
              `${ind}let ${tot} = 0;`,
              `${ind}for (let ${i} = 0; ${i} < ${r.int(1, 3)}; ${i}++) {`,
              `${ind}  ${tot} += Math.tanh(${this.scalarTensor(env, 1)}.item() * (${i} + 1) * 0.3);`,
              `${ind}}`,
            );
            env.numbers.push(tot);
            out.push(ind + update(`h.mul(${tot})`));
          },
        ]);
      // a struct local reassigned as a whole (in a loop: from its own fields)
      opts.push([
        1,
        () => {
          const st = this.fresh("st");
          out.push(`${ind}let ${st} = { a: h, b: ${e("R", 1)} };`);
          const i = nesting === 0 ? "i" : "j";
          if (nesting < 2) out.push(`${ind}for (let ${i} = 0; ${i} < ${r.int(1, 2)}; ${i}++) ${st} = { a: ${this.bounded(`${st}.a.add(${st}.b)`)}, b: ${st}.b.mul(0.5) };`);
          else out.push(`${ind}${st} = { a: ${st}.a.mul(${st}.b), b: ${st}.b };`);
          env.tensors.push({ expr: `${st}.a`, shape: "M" }, { expr: `${st}.b`, shape: "R" });
          out.push(ind + update(`${st}.a.sub(${st}.b.mul(0.5))`));
        },
      ]);
      // a copy of a tensor array (array slice(), not the tensor op), written
      if (env.arrays.length)
        opts.push([
          1,
          () => {
            const cp = this.fresh("cp");
            out.push(`${ind}const ${cp} = ${r.pick(env.arrays)}.slice();`, `${ind}${cp}[1] = ${cp}[1].mul(${this.bounded(e("M", 1))});`);
            env.arrays.push(cp);
            env.writable.push({ expr: `${cp}[0]`, shape: "M" });
          },
        ]);
      // break / continue (counters of while loops are stepped first, so continue cannot skip them)
      if (inLoop) opts.push([1, () => out.push(`${ind}if (${this.condition(env, 1)}) ${r.pick(["break", "continue"])};`)]);
      // a tuple result read by array destructuring
      if (env.helpers.includes("$_split"))
        opts.push([
          1,
          () => {
            const p = this.fresh("sp");
            const q = this.fresh("sq");
            out.push(`${ind}const [${p}, ${q}] = $_split(${e("M", 1)});`);
            env.tensors.push({ expr: p, shape: "M" }, { expr: q, shape: "COL" });
            out.push(ind + update(`${p}.${r.pick(["add", "mul", "sub"])}(${q})`));
          },
        ]);
      // a `let` declared without a value, assigned in both branches
      opts.push([
        1,
        () => {
          const z = this.fresh("z");
          out.push(`${ind}let ${z}: Tensor;`, `${ind}if (${this.condition(env, 1)}) ${z} = ${e("M", 1)};`, `${ind}else ${z} = ${e("M", 1)};`);
          env.tensors.push({ expr: z, shape: "M" });
          out.push(ind + update(`h.${r.pick(["add", "mul"])}(${this.bounded(z)})`));
        },
      ]);
      // a local arrow function (no captures), called
      opts.push([
        1,
        () => {
          const a = this.fresh("act");
          const body = this.tensor("M", { ...env, tensors: [{ expr: "t", shape: "M" }], numbers: [], helpers: [], arrays: [], layers: [], layerArrays: [], arrows: [] }, 1);
          out.push(`${ind}const ${a} = (t: Tensor): Tensor => ${body};`);
          env.arrows.push(a);
          out.push(ind + update(`${a}(h)`));
        },
      ]);
      if (nesting < 2) {
        // a for loop whose trip count depends on the values (item())
        opts.push([
          1,
          () => {
            const i = nesting === 0 ? "i" : "j";
            const inner = scoped(env);
            inner.numbers.push(i);
            out.push(`${ind}for (let ${i} = 0; ${i} < ${r.int(2, 4)} && ${this.scalarTensor(env, 0)}.item() < ${r.pick(["0.5", "1", "2"])}; ${i}++) {`, ...block(inner, r.int(1, 2), true), `${ind}}`);
          },
        ]);
        // a while loop with a counter (stepped first) and maybe a value-dependent condition
        opts.push([
          1,
          () => {
            const c = this.fresh("w");
            const inner = scoped(env);
            inner.numbers.push(c);
            // an element read with the counter (a Tensor method on it needs the counter restored)
            if (env.arrays.length) {
              const a = r.pick(env.arrays);
              inner.tensors.push({ expr: `${a}[(${c} - 1) % ${a}.length]`, shape: "M" });
            }
            const extra = r.chance(0.5) ? ` && ${this.call("mean", "h")}.item() < ${r.pick(["0.5", "1"])}` : "";
            out.push(`${ind}let ${c} = 0;`, `${ind}while (${c} < ${r.int(1, 3)}${extra}) {`, `${ind}  ${c}++;`, ...block(inner, r.int(1, 2), true), `${ind}}`);
          },
        ]);
        // else-if chains
        opts.push([
          1,
          () => {
            const t = block(scoped(env), 1, inLoop);
            const u = block(scoped(env), 1, inLoop);
            const f = block(scoped(env), 1, inLoop);
            out.push(`${ind}if (${this.condition(env, 1)}) {`, ...t, `${ind}} else if (${this.condition(env, 1)}) {`, ...u, `${ind}} else {`, ...f, `${ind}}`);
          },
        ]);
        // if / else on a number or on sum(t).item()
        opts.push([
          3,
          () => {
            const c = this.condition(env, depth);
            const t = block(scoped(env), r.int(1, 2), inLoop);
            const f = r.chance(0.6) ? block(scoped(env), r.int(1, 2), inLoop) : undefined;
            out.push(`${ind}if (${c}) {`, ...t, f ? `${ind}} else {` : `${ind}}`, ...(f ? [...f, `${ind}}`] : []));
          },
        ]);
        // for loop with a constant trip count, the counter used as a number
        opts.push([
          3,
          () => {
            const i = nesting === 0 ? "i" : "j";
            const inner = scoped(env);
            inner.numbers.push(i);
            out.push(`${ind}for (let ${i} = 0; ${i} < ${r.int(1, 3)}; ${i}++) {`, ...block(inner, r.int(1, 2), true), `${ind}}`);
          },
        ]);
        // loops over a tensor array (by index and by for…of)
        if (env.arrays.length)
          opts.push([
            3,
            () => {
              const xs = r.pick(env.arrays);
              const inner = scoped(env);
              if (r.chance(0.5)) {
                const t = this.fresh("t");
                inner.tensors.push({ expr: t, shape: "M" });
                out.push(`${ind}for (const ${t} of ${xs}) {`, ...block(inner, r.int(1, 2), true), `${ind}}`);
              } else {
                const i = nesting === 0 ? "i" : "j";
                inner.tensors.push({ expr: `${xs}[${i}]`, shape: "M" }, { expr: r.pick([`${xs}[(${i} + 1) % ${xs}.length]`, `${xs}[${xs}.length - 1 - ${i}]`]), shape: "M" });
                inner.numbers.push(i);
                out.push(`${ind}for (let ${i} = 0; ${i} < ${xs}.length; ${i}++) {`, ...block(inner, r.int(1, 2), true), `${ind}}`);
              }
            },
          ]);
      }
      // early return
      if (nesting > 0 || r.chance(0.3)) opts.push([1, () => out.push(`${ind}if (${this.condition(env, 1)}) return ${returns(env)};`)]);
      // a local array of tensors, pushed to, then stacked / concatenated / iterated
      opts.push([
        2,
        () => {
          const ps = this.fresh("ps");
          out.push(`${ind}const ${ps}: Tensor[] = [h, ${e("M", 1)}];`);
          if (r.chance(0.7)) out.push(`${ind}${ps}.push(${e("M", 1)});`);
          const axis = r.pick(["0", "2", "-1"]);
          const back = axis === "0" ? r.pick(["0", "-3"]) : r.pick(["2", "-1"]);
          out.push(
            ind +
              update(
                r.pick([
                  this.call(r.pick(["sum", "mean", "max", "logSumExp"]), `stack(${ps}, ${axis})`, back),
                  `concat(${ps}, 1).slice([0, ${r.int(0, 3)}], [2, 3])`,
                  `concat(${ps}, 0).slice([${r.int(0, 2)}, 0], [2, 3])`,
                ]),
              ),
          );
          if (r.chance(0.3)) env.arrays.push(ps);
          if (r.chance(0.4)) env.writable.push({ expr: `${ps}[${r.int(0, 1)}]`, shape: "M" });
        },
      ]);
      // calls to helpers
      if (env.helpers.includes("$_pair"))
        opts.push([
          2,
          () => {
            if (r.chance(0.5)) {
              const p = this.fresh("pr");
              out.push(`${ind}const ${p} = $_pair(${e("M", 1)});`);
              out.push(ind + update(`${p}.a.${r.pick(["add", "mul", "sub"])}(${p}.b)`));
            } else {
              const a = this.fresh("a");
              const b = this.fresh("b");
              out.push(`${ind}const { a: ${a}, b: ${b} } = $_pair(${e("M", 1)});`);
              env.tensors.push({ expr: a, shape: "M" }, { expr: b, shape: "R" });
              out.push(ind + update(`${a}.mul(tanh(${b}))`));
            }
          },
        ]);
      if (env.helpers.includes("$_layer"))
        opts.push([
          2,
          () => {
            if (env.layers.length && r.chance(0.5)) out.push(ind + update(`$_layer(${r.pick(env.layers)}, h)`));
            else if (r.chance(0.5)) out.push(ind + update(`$_layer({ w: ${e("SQ", 1)}, b: ${e("R", 1)} }, h)`));
            else {
              const l = this.fresh("l");
              out.push(`${ind}const ${l} = { w: ${e("SQ", 1)}, b: ${e("R", 1)} };`);
              env.layers.push(l);
              if (r.chance(0.5)) env.writable.push(r.pick([{ expr: `${l}.w`, shape: "SQ" }, { expr: `${l}.b`, shape: "R" }] as const));
              out.push(ind + update(`$_layer(${l}, h)`));
            }
          },
        ]);
      if (env.helpers.includes("$_sumAll"))
        opts.push([
          1,
          () => out.push(ind + update(env.arrays.length && r.chance(0.5) ? `$_sumAll(${r.pick(env.arrays)})` : `$_sumAll([h, ${e("M", 1)}, ${e("M", 0)}])`)),
        ]);
      if (env.helpers.includes("$_rec")) opts.push([1, () => out.push(ind + update(`$_rec(h, ${r.int(0, 3)})`))]);
      if (env.helpers.includes("$_map")) opts.push([2, () => out.push(ind + update(this.mapCall("h", env, 1)))]);
      // ?: between tensors
      opts.push([1, () => out.push(ind + update(`${this.condition(env, 1)} ? ${e()} : ${e()}`))]);
    }
    r.oneOf(opts);
  }

  shape: TensorShape = { depth: 2, maxStatements: 0, control: false };
}

function scoped(env: Env): Env {
  return {
    tensors: [...env.tensors],
    numbers: [...env.numbers],
    helpers: env.helpers,
    arrays: [...env.arrays],
    layers: [...env.layers],
    layerArrays: [...env.layerArrays],
    lets: [...env.lets],
    writable: [...env.writable],
    numberLets: [...env.numberLets],
    arrows: [...env.arrows],
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const MARK = "/** @differentiable */";

function helperSources(b: Builder, depth: number): Record<HelperName, string> {
  const r = b.rng;
  const env = (tensors: Env["tensors"], numbers: string[], helpers: HelperName[] = []): Env => ({ tensors, numbers, helpers, layers: [], arrays: [], layerArrays: [], lets: [], writable: [], numberLets: [], arrows: [] });
  const d = Math.max(1, depth - 1);
  const src: Partial<Record<HelperName, string>> = {};
  // (t, k) → t: an expression of t and k, maybe through a local
  {
    const e = env([{ expr: "t", shape: "M" }], ["k"]);
    const lines: string[] = [];
    if (r.chance(0.5)) {
      lines.push(`  let z = ${b.tensor("M", e, d)};`);
      e.tensors.push({ expr: "z", shape: "M" });
      if (r.chance(0.5)) lines.push(`  z = z.${r.pick(["add", "mul"])}(${b.tensor(r.pick(["M", "R", "S"] as const), e, d)});`);
    }
    lines.push(`  return ${b.tensor("M", e, d)};`);
    b.mapHasDefault = r.chance(0.4);
    src.$_map = `${MARK}\nfunction $_map(t: Tensor, k: number${b.mapHasDefault ? " = 0.5" : ""}): Tensor {\n${lines.join("\n")}\n}\n`;
  }
  // [] tensor from t
  {
    const e = env([{ expr: "t", shape: "M" }], []);
    src.$_red = `${MARK}\nfunction $_red(t: Tensor): Tensor {\n  return ${b.tensor("S", e, d)};\n}\n`;
  }
  // a number from t
  {
    const e = env([{ expr: "t", shape: "M" }], []);
    src.$_num = `${MARK}\nfunction $_num(t: Tensor): number {\n  const v = ${b.scalarTensor(e, 1)}.item();\n  return ${r.pick(["Math.tanh(v)", "0.5 * v", "Math.sin(v) + v * 0.25"])};\n}\n`;
  }
  // dense layer, may call $_map
  {
    const e = env([{ expr: "h", shape: "M" }, { expr: "p.w", shape: "SQ" }, { expr: "p.b", shape: "R" }], [], ["$_map"]);
    const z = r.pick(["matmul(h, p.w).add(p.b)", "h.matmul(p.w).add(p.b)", "add(matmul(h, p.w, false, true), p.b)", "matmul(h, p.w).add(p.b.mul(0.5))"]);
    const lines = [`  const z = ${z};`];
    e.tensors.push({ expr: "z", shape: "M" });
    if (r.chance(0.4)) {
      lines.splice(0, 1, "  const { w, b } = p;", `  const z = ${z.replace(/p\.w/g, "w").replace(/p\.b/g, "b")};`);
      e.tensors.push({ expr: "w", shape: "SQ" }, { expr: "b", shape: "R" });
    }
    lines.push(`  return ${r.chance(0.5) ? b.call(r.pick(["tanh", "relu", "sigmoid", "gelu", "softplus"]), "z") : b.bounded(b.tensor("M", e, d))};`);
    src.$_layer = `${MARK}\nfunction $_layer(p: { w: Tensor; b: Tensor }, h: Tensor): Tensor {\n${lines.join("\n")}\n}\n`;
  }
  // returns a struct of tensors
  {
    const e = env([{ expr: "t", shape: "M" }], [], ["$_map"]);
    if (r.chance(0.5)) src.$_pair = `${MARK}\nfunction $_pair(t: Tensor): { a: Tensor; b: Tensor } {\n  return { a: ${b.tensor("M", e, d)}, b: ${b.tensor("R", e, d)} };\n}\n`;
    else src.$_pair = `${MARK}\nfunction $_pair(t: Tensor): { a: Tensor; b: Tensor } {\n  const a = ${b.tensor("M", e, d)};\n  const b = ${b.tensor("R", e, d)};\n  return { a, b };\n}\n`;
  }
  // reduction over a tensor array
  {
    const e = env([{ expr: "acc", shape: "M" }], []);
    if (r.chance(0.5)) {
      e.tensors.push({ expr: "ts[i]", shape: "M" });
      e.numbers.push("i");
      src.$_sumAll = `${MARK}\nfunction $_sumAll(ts: Tensor[]): Tensor {\n  let acc = ts[0].mul(0.5);\n  for (let i = 1; i < ts.length; i++) {\n    acc = acc.add(${b.bounded(b.tensor("M", e, d))});\n  }\n  return acc;\n}\n`;
    } else {
      e.tensors.push({ expr: "q", shape: "M" });
      src.$_sumAll = `${MARK}\nfunction $_sumAll(ts: Tensor[]): Tensor {\n  let acc = ${b.call("sum", "stack(ts)", "0")}.mul(0.25);\n  for (const q of ts) acc = ${b.bounded(b.tensor("M", e, d))};\n  return acc;\n}\n`;
    }
  }
  // a tuple of tensors, read by array destructuring
  {
    const e = env([{ expr: "t", shape: "M" }], []);
    src.$_split = `${MARK}\nfunction $_split(t: Tensor): [Tensor, Tensor] {\n  return [${b.tensor("M", e, d)}, ${b.tensor("COL", e, d)}];\n}\n`;
  }
  // recursion with a depth counter (not differentiated)
  {
    const e = env([{ expr: "t", shape: "M" }], [], ["$_map"]);
    const base = b.tensor("M", e, d);
    const step = b.bounded(b.tensor("M", e, d));
    src.$_rec = `/** @differentiable(wrt: t) */\nfunction $_rec(t: Tensor, n: number): Tensor {\n  if (n <= 0) return ${base};\n  return $_rec(${step}, n - 1)${r.chance(0.5) ? ".mul(0.9).add(t.mul(0.1))" : ""};\n}\n`;
  }
  return src as Record<HelperName, string>;
}

// ---------------------------------------------------------------------------------------------
// Main function

export function buildTensorProgram(seed: number, shape: TensorShape): TensorProgram {
  const rng = new Rng(seed);
  const b = new Builder(rng);
  b.shape = shape;
  const helperSrc = helperSources(b, shape.depth);

  const params: ParamSpec[] = [{ name: "x", kind: "tensor", shape: "M" }];
  const optional: ParamSpec[] = [];
  if (rng.chance(shape.control ? 0.5 : 0.3)) optional.push({ name: "m", kind: "layer" });
  if (shape.control && rng.chance(0.4)) optional.push({ name: "xs", kind: "array", shape: "M" });
  if (rng.chance(0.5)) optional.push({ name: "s", kind: "number", value: Math.round((0.3 + rng.float()) * 1000) / 1000 + 0.00137 });
  if (rng.chance(0.35)) optional.push({ name: "v", kind: "tensor", shape: "R" });
  if (rng.chance(0.35)) optional.push({ name: "c", kind: "tensor", shape: "COL" });
  if (shape.control && rng.chance(0.2)) optional.push({ name: "net", kind: "net" });
  if (shape.control && rng.chance(0.2)) optional.push({ name: "layers", kind: "layers" });
  // shuffle the optional parameters (x stays first: conversions start from a [2,3] tensor)
  for (let i = optional.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [optional[i], optional[j]] = [optional[j]!, optional[i]!];
  }
  params.push(...optional);

  const env: Env = {
    tensors: [],
    numbers: [],
    helpers: shape.control ? ["$_map", "$_layer", "$_pair", "$_sumAll", "$_num", "$_red", "$_rec", "$_split"] : [],
    arrays: [],
    layers: [],
    layerArrays: [],
    lets: [],
    writable: [],
    numberLets: [],
    arrows: [],
  };
  const body: string[] = [];
  for (const p of params) {
    if (p.kind === "tensor") {
      env.tensors.push({ expr: p.name, shape: p.shape! });
      // a tensor parameter may be reassigned like a `let` (the caller's tensor is not written)
      if (shape.control && rng.chance(0.3)) env.lets.push({ name: p.name, shape: p.shape! });
    }
    else if (p.kind === "number") env.numbers.push(p.name);
    else if (p.kind === "array") {
      env.arrays.push(p.name);
      env.tensors.push({ expr: `${p.name}[0]`, shape: "M" }, { expr: `${p.name}[2]`, shape: "M" });
    } else if (p.kind === "net") {
      env.layers.push("net.l1", "net.l2");
      env.tensors.push({ expr: "net.l2.w", shape: "SQ" }, { expr: "net.l1.b", shape: "R" }, { expr: "net.scale", shape: "S" });
      env.numbers.push("net.k");
    } else if (p.kind === "layers") {
      env.layerArrays.push(p.name);
      env.layers.push(`${p.name}[1]`);
      env.tensors.push({ expr: `${p.name}[0].w`, shape: "SQ" });
    } else {
      env.layers.push(p.name);
      if (shape.control && rng.chance(0.3)) {
        body.push(`  const { w, b } = ${p.name};`);
        env.tensors.push({ expr: "w", shape: "SQ" }, { expr: "b", shape: "R" });
      } else env.tensors.push({ expr: `${p.name}.w`, shape: "SQ" }, { expr: `${p.name}.b`, shape: "R" });
    }
  }

  const returnsNumber = shape.control && rng.chance(0.25);
  const finalOf = (e: Env): string => {
    const t = (s: ShapeKey) => b.tensor(s, e, 1);
    if (returnsNumber)
      return rng.oneOf([
        [3, () => `${b.call(rng.pick(["sum", "mean"]), t("M"))}.item()`],
        [1, () => `${b.scalarTensor(e, 1)}.item() * 0.5 + ${b.number(e, 1)}`],
        [e.helpers.includes("$_num") ? 1 : 0, () => `$_num(h) + sum(h).item()`],
      ]);
    // mostly through h (the value the statements built)
    return rng.oneOf([
      [4, () => b.call(rng.pick(["sum", "mean"]), rng.chance(0.8) ? `h.${rng.pick(["mul", "add", "sub"])}(${t("M")})` : t("M"))],
      [2, () => `crossEntropy(${rng.chance(0.7) ? "h" : t("M")}, LABELS)`],
      [1, () => `mse(h, ${t(rng.pick(["M", "R", "ROW", "COL"] as const))})`],
      [1, () => b.call("logSumExp", rng.chance(0.7) ? "h" : t("M"))],
      [1, () => `${b.call("mean", "h")}.add(${t("S")})`],
      [1, () => t("S")],
      [e.helpers.includes("$_red") ? 1 : 0, () => `$_red(h).add(${t("S")})`],
    ]);
  };

  body.push(`  let h = ${b.tensor("M", env, shape.depth)};`);
  env.tensors.push({ expr: "h", shape: "M" });
  const count = rng.int(shape.maxStatements > 0 ? 1 : 0, shape.maxStatements);
  b.statements(env, count, 0, false, shape.depth, body, finalOf);
  body.push(`  return ${finalOf(env)};`);

  // differentiated parameters: a non-empty subset, in parameter order, mostly of those the body reads
  const read = params.map((q) => new RegExp(`\\b${q.name}\\b`).test(body.join("\n")));
  let wrt = params.map((_, i) => i).filter((i) => rng.chance(read[i] ? 0.75 : 0.15));
  if (!wrt.length) {
    const used = params.map((_, i) => i).filter((i) => read[i]);
    wrt = [used.length ? rng.pick(used) : 0];
  }
  const explicitWrt = wrt.length < params.length || rng.chance(0.3);

  // helpers used (transitively)
  const used = new Set<HelperName>();
  const scan = (text: string) => {
    for (const name of Object.keys(helperSrc) as HelperName[])
      if (!used.has(name) && text.includes(`${name}(`)) {
        used.add(name);
        scan(helperSrc[name].replace(new RegExp(`function \\${name}\\(`), "("));
      }
  };
  scan(body.join("\n"));
  const helpers = (Object.keys(helperSrc) as HelperName[]).filter((n) => used.has(n)).map((n) => helperSrc[n]);
  return { seed, helpers, params, wrt, explicitWrt, body, returnsNumber };
}

export function tensorProgram(shape: TensorShape): fc.Arbitrary<TensorProgram> {
  // Built imperatively from a seed: shrinking a seed gives unrelated programs, so none; and no
  // bias (fast-check's bias toward small and extreme integers repeats seeds).
  return fc.noShrink(fc.noBias(fc.integer({ min: 0, max: 0x7fffffff })).map((seed) => buildTensorProgram(seed, shape)));
}

// ---------------------------------------------------------------------------------------------
// Source text and arguments

const PARAM_TYPES: Record<ParamKind, string> = {
  tensor: "Tensor",
  layer: "{ w: Tensor; b: Tensor }",
  array: "Tensor[]",
  number: "number",
  net: "Net",
  layers: "{ w: Tensor; b: Tensor }[]",
};

export const TENSOR_MODULE_HEADER = `import {
  abs, add, broadcastTo, cast, clip, concat, cos, crossEntropy, div, exp, expandDims, flatten, gather, gelu, greater, leakyRelu, less,
  log, log1p, logSoftmax, logSumExp, matmul, max, maximum, mean, min, minimum, mse, mul, neg, pad, pow, relu, reshape, sigmoid, sin,
  slice, softmax, softplus, sqrt, square, squeeze, stack, sub, sum, tanh, tensor, transpose, where, withoutDerivative, argMax, argMin,
  oneHot, conv2d, maxPool2d, avgPool2d, type Tensor,
} from "@cotangent/runtime";

const LABELS = tensor([2, 0], [2], "int32");

interface Layer {
  w: Tensor;
  b: Tensor;
}

/** Nested structs; a number field (a setting: not checked, the Babel host differentiates it too). */
interface Net {
  l1: Layer;
  l2: Layer;
  scale: Tensor;
  k: number;
}
`;

export function tensorSourceOf(name: string, p: TensorProgram): string {
  const wrtNames = p.wrt.map((i) => p.params[i]!.name).join(", ");
  const mark = p.explicitWrt ? `/** @differentiable(wrt: ${wrtNames}) */` : MARK;
  const sig = p.params.map((q) => `${q.name}: ${q.kind === "layer" && p.seed % 2 ? "Layer" : PARAM_TYPES[q.kind]}`).join(", ");
  const main = `${mark}\nexport function ${name}(${sig}): ${p.returnsNumber ? "number" : "Tensor"} {\n${p.body.join("\n")}\n}\n`;
  return [...p.helpers, main].join("\n").replace(/\$_/g, `${name}_`);
}

/** A module of many programs (named `names`), with the shared imports and labels. */
export function tensorBatchModule(names: readonly string[], programs: readonly TensorProgram[]): string {
  return `${TENSOR_MODULE_HEADER}\n${programs.map((p, i) => tensorSourceOf(names[i]!, p)).join("\n")}`;
}

/** Fresh float64 arguments for the program (seeded by the program's seed). */
export function tensorArgs(p: TensorProgram): unknown[] {
  let k = (p.seed % 100_000) * 16;
  return p.params.map((q) => {
    switch (q.kind) {
      case "tensor":
        return f64([...SHAPES[q.shape!]], k++);
      case "layer":
        return { w: f64([3, 3], k++, 0.5), b: f64([3], k++, 0.2) };
      case "array":
        return [0, 1, 2].map(() => f64([2, 3], k++));
      case "number":
        return q.value!;
      case "net":
        return { l1: { w: f64([3, 3], k++, 0.5), b: f64([3], k++, 0.2) }, l2: { w: f64([3, 3], k++, 0.5), b: f64([3], k++, 0.2) }, scale: f64([], k++), k: 0.7 };
      case "layers":
        return [0, 1].map(() => ({ w: f64([3, 3], k++, 0.5), b: f64([3], k++, 0.2) }));
    }
  });
}

/** The program as a self-contained module (for failure reports). */
export function tensorReproOf(name: string, p: TensorProgram): string {
  return `${TENSOR_MODULE_HEADER}\n${tensorSourceOf(name, p)}`;
}

export const tensorProgramKey = (p: TensorProgram): string => tensorSourceOf("f", p);

export { ct as runtime };
