// Fused chains: what the build emits, in a reverse-mode derivative, for a chain of elementwise tensor
// ops whose intermediates nothing else reads: `relu(x.matmul(w).add(b))` becomes
// `vjpCall(fused("relu($0.matmul($1).add($2))"), undefined, [x, w, b])` (see the transformer's
// fusion.ts). The spec is the chain written as the user wrote it, over numbered inputs. A matmul
// may head it, and later matmuls may take the stage before them (a stack of layers):
// `tanh(relu($0.matmul($1).add($2)).matmul($3).add($4))`.
//
// Where the backend can (the optional Backend methods `fusedForward`, `fusedBackward`,
// `matmulFused`, `matmulColumnSums`, `matmulChainBackward`) and every input is a float32 tensor
// on it, each stage is one kernel forward (a GEMM with the stage's chain as its epilogue), and
// backward a stage's product cotangent comes from one kernel or from the next stage's GEMM, and a
// weight's and its bias's from one GEMM; the kernels are built from the very scalar functions the
// unfused ops use, so NaN, ties and broadcasting are the ops' own. Anywhere else (the CPU, int32
// or number inputs, a method of something that is not a tensor) the chain runs op by op through
// the ops' derivatives, exactly what the unfused generated code did.

import { addTangent, type Tangent } from "../ad/tangent.js";
import { defineDerivatives, getDerivatives, jvpCall, jvpMethodCall, lazyCotangents, vjpCall, vjpMethodCall, type VjpResult } from "../ad/derivatives.js";
import type { Backend, BinaryOp, ElementwiseChain, UnaryOp } from "../backends/backend.js";
import { CotangentError } from "../errors.js";
import { moveTo } from "../backends/index.js";
import { toTensor } from "../tensor/create.js";
import { broadcastShapes, sameShape, type Shape } from "../tensor/shape.js";
import { isTensor, type Tensor } from "../tensor/tensor.js";
import { getOp } from "./op.js";
import { castTo, reshapeTo, unbroadcastTo, type TensorLike } from "./util.js";

/** An operand: one of the chain's inputs, or an earlier node's result. */
type Ref = { input: number } | { node: number };

interface Node {
  op: string;
  /** `a.op(b)` (the first operand is the object), else `op(a, b)`. */
  method: boolean;
  args: Ref[];
}

interface Chain {
  spec: string;
  inputs: number;
  nodes: Node[];
}

/** The unary and binary ops a fused kernel can hold (those without options), and the matmul head. */
const UNARY = new Set<string>(["neg", "square", "sqrt", "exp", "log", "log1p", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "gelu"]);
const BINARY = new Set<string>(["add", "sub", "mul", "div", "maximum", "minimum"]);

/** @internal The ops a chain may hold (the build fuses only these). */
export const FUSABLE_OPS: { unary: readonly string[]; binary: readonly string[]; head: readonly string[] } = {
  unary: [...UNARY],
  binary: [...BINARY],
  head: ["matmul"],
};

function parseError(spec: string, at: number, what: string): never {
  throw new CotangentError("CT3005", `fused: cannot read the chain "${spec}" at ${at}: ${what}. Fused chains are written by the build; rebuild the module.`);
}

/** Parses `relu($0.matmul($1).add($2))`: calls of op names and methods over `$k` inputs. */
function parse(spec: string): Chain {
  const nodes: Node[] = [];
  let pos = 0;
  let inputs = 0;
  const skip = () => {
    while (spec[pos] === " ") pos++;
  };
  const name = (): string => {
    skip();
    const m = /^[A-Za-z_]\w*/.exec(spec.slice(pos));
    if (!m) parseError(spec, pos, "expected an op name");
    pos += m[0].length;
    return m[0];
  };
  const expect = (c: string) => {
    skip();
    if (spec[pos] !== c) parseError(spec, pos, `expected '${c}'`);
    pos++;
  };
  const args = (): Ref[] => {
    expect("(");
    const out: Ref[] = [];
    skip();
    if (spec[pos] === ")") {
      pos++;
      return out;
    }
    for (;;) {
      out.push(expr());
      skip();
      if (spec[pos] === ",") {
        pos++;
        continue;
      }
      expect(")");
      return out;
    }
  };
  const node = (op: string, method: boolean, operands: Ref[]): Ref => {
    const arity = UNARY.has(op) ? 1 : BINARY.has(op) || op === "matmul" ? 2 : -1;
    if (arity < 0) parseError(spec, pos, `'${op}' is not an op a chain can hold`);
    if (operands.length !== arity) parseError(spec, pos, `'${op}' takes ${arity} operand(s), not ${operands.length}`);
    nodes.push({ op, method, args: operands });
    return { node: nodes.length - 1 };
  };
  function expr(): Ref {
    skip();
    let ref: Ref;
    if (spec[pos] === "$") {
      pos++;
      const m = /^\d+/.exec(spec.slice(pos));
      if (!m) parseError(spec, pos, "expected an input number after '$'");
      pos += m[0].length;
      ref = { input: Number(m[0]) };
      inputs = Math.max(inputs, Number(m[0]) + 1);
    } else {
      const op = name();
      ref = node(op, false, args());
    }
    for (;;) {
      skip();
      if (spec[pos] !== ".") return ref;
      pos++;
      const op = name();
      ref = node(op, true, [ref, ...args()]);
    }
  }
  const root = expr();
  skip();
  if (pos !== spec.length) parseError(spec, pos, "unexpected text after the chain");
  if (!("node" in root) || root.node !== nodes.length - 1) parseError(spec, 0, "the chain is a bare input");
  // Stages: a matmul heads the chain or none is there; each later matmul takes the stage before
  // it (its last node) on the left and an input on the right; the other nodes read their own stage.
  let stageStart = 0;
  nodes.forEach((n, i) => {
    if (n.op === "matmul") {
      const [l, r] = n.args as [Ref, Ref];
      const leftOk = i === 0 ? "input" in l : "node" in l && l.node === i - 1 && nodes[i - 1]!.op !== "matmul";
      if ((i > 0 && stageStart === 0 && nodes[0]!.op !== "matmul") || !leftOk || !("input" in r))
        parseError(spec, 0, "a matmul may only head the chain, or take the stage before it on the left and an input on the right");
      stageStart = i;
    } else if (n.args.some((a) => "node" in a && a.node < stageStart)) parseError(spec, 0, "a node reads across a matmul");
  });
  return { spec, inputs, nodes };
}

// ---- running the chain op by op ------------------------------------------------------------

/** The function a node calls (a Tensor method of the object, or the runtime's op) and the `this` for it. */
function callee(n: Node, operands: readonly unknown[], spec: string): { fn: unknown; thisArg: unknown; args: unknown[] } {
  if (n.method) {
    const obj = operands[0] as Record<string, unknown> | null | undefined;
    const fn = obj == null ? undefined : obj[n.op];
    if (typeof fn !== "function") throw new CotangentError("CT3005", `fused ${spec}: ${obj === null ? "null" : typeof obj} has no method '${n.op}'.`);
    return { fn, thisArg: obj, args: operands.slice(1) };
  }
  const op = getOp(n.op);
  if (!op) throw new CotangentError("CT3005", `fused ${spec}: the runtime has no op '${n.op}'.`);
  return { fn: op.fn, thisArg: undefined, args: [...operands] };
}

const receives = (n: Node, fn: unknown): boolean => n.method && getDerivatives(fn)?.receiver === true;

function evaluate(chain: Chain, inputs: readonly unknown[]): unknown {
  const values: unknown[] = [];
  const read = (r: Ref) => ("input" in r ? inputs[r.input] : values[r.node]);
  for (const n of chain.nodes) {
    const { fn, thisArg, args } = callee(n, n.args.map(read), chain.spec);
    values.push((fn as (...a: unknown[]) => unknown).apply(thisArg, args));
  }
  return values[values.length - 1];
}

function jvpChain(chain: Chain, inputs: readonly unknown[], tangents: readonly unknown[]): { value: unknown; tangent: Tangent } {
  const values: unknown[] = [];
  const dvalues: unknown[] = [];
  const read = (r: Ref) => ("input" in r ? inputs[r.input] : values[r.node]);
  const dread = (r: Ref) => ("input" in r ? (tangents[r.input] ?? null) : dvalues[r.node]);
  for (const n of chain.nodes) {
    const { fn, thisArg, args } = callee(n, n.args.map(read), chain.spec);
    const d = n.args.map(dread);
    const r = receives(n, fn) ? jvpMethodCall(fn, thisArg, args, d[0], d.slice(1)) : jvpCall(fn, thisArg, args, n.method ? d.slice(1) : d);
    values.push(r.value);
    dvalues.push(r.tangent);
  }
  return { value: values[values.length - 1], tangent: (dvalues[dvalues.length - 1] ?? null) as Tangent };
}

/** The chain's VJP op by op: each node's pullback, run backwards; each input's cotangent read lazily. */
function vjpChain(chain: Chain, inputs: readonly unknown[]): VjpResult {
  const values: unknown[] = [];
  const pullbacks: { pullback: (g: unknown) => readonly Tangent[]; receiver: boolean }[] = [];
  const read = (r: Ref) => ("input" in r ? inputs[r.input] : values[r.node]);
  for (const n of chain.nodes) {
    const { fn, thisArg, args } = callee(n, n.args.map(read), chain.spec);
    const receiver = receives(n, fn);
    const r = receiver ? vjpMethodCall(fn, thisArg, args) : vjpCall(fn, thisArg, args);
    values.push(r.value);
    pullbacks.push({ pullback: r.pullback as (g: unknown) => readonly Tangent[], receiver });
  }
  return {
    value: values[values.length - 1],
    pullback: (g: unknown) => {
      const nodeCt: Tangent[] = new Array<Tangent>(chain.nodes.length).fill(null);
      nodeCt[chain.nodes.length - 1] = (g ?? null) as Tangent;
      // Per input, the cotangent arrays and positions it is in; summed when read.
      const uses: { cts: readonly Tangent[]; at: number }[][] = Array.from({ length: chain.inputs }, () => []);
      for (let i = chain.nodes.length - 1; i >= 0; i--) {
        const n = chain.nodes[i]!;
        const p = pullbacks[i]!;
        const cts = p.pullback(nodeCt[i]);
        // A method without a receiver record pulls back to its arguments only.
        const shift = n.method && !p.receiver ? -1 : 0;
        n.args.forEach((r, k) => {
          const at = k + shift;
          if (at < 0) return;
          if ("node" in r) nodeCt[r.node] = addTangent(nodeCt[r.node], cts[at]);
          else uses[r.input]!.push({ cts, at });
        });
      }
      return lazyCotangents(uses.map((u) => (u.length === 0 ? null : () => u.reduce<Tangent>((acc, { cts, at }) => addTangent(acc, cts[at]), null))));
    },
  };
}

// ---- the fused path --------------------------------------------------------------------------

/** One stage of a fused plan: an optional matmul, then elementwise ops over its product and inputs. */
interface Stage {
  /** The elementwise part; with a matmul, its input 0 is the product. */
  elementwise: ElementwiseChain;
  /** Which chain input each elementwise input is (−1: the product). */
  from: number[];
  /** The matmul's operands: chain inputs (left −1: the stage before). */
  head: { left: number; right: number } | null;
  shape: Shape;
  productShape: Shape;
  /** Per elementwise input: read once, through adds (and sub's left side) only, so its cotangent is g. */
  passesThrough: boolean[];
  /** The elementwise input added to the product (a row bias, [n] or [1, n]): its cotangent is the product's, summed over rows; −1 if none. */
  biasOfProduct: number;
}

interface Plan {
  be: Backend;
  stages: Stage[];
}

/** The input that one `add` node adds to the product (input 0), each read once there, or −1. */
function biasOf(chain: ElementwiseChain, shapes: readonly Shape[]): number {
  const uses = new Array<number>(chain.inputs).fill(0);
  for (const n of chain.nodes) for (const a of n.args) if (a < chain.inputs) uses[a]!++;
  for (const n of chain.nodes) {
    if (n.op !== "add" || uses[0] !== 1) continue;
    const [x, y] = n.args as [number, number];
    const other = x === 0 ? y : y === 0 ? x : -1;
    if (other <= 0 || other >= chain.inputs || uses[other] !== 1) continue;
    const s = shapes[other]!;
    if (s.length === 1 || (s.length === 2 && s[0] === 1)) return other;
  }
  return -1;
}

/** Which inputs of the chain reach the result through `add` (either side) and `sub` (its left) only, once. */
function passingThrough(chain: ElementwiseChain): boolean[] {
  const out = new Array<boolean>(chain.inputs).fill(false);
  const uses = new Array<number>(chain.inputs).fill(0);
  for (const n of chain.nodes) for (const a of n.args) if (a < chain.inputs) uses[a]!++;
  const visit = (ref: number) => {
    if (ref < chain.inputs) {
      out[ref] = uses[ref] === 1;
      return;
    }
    const n = chain.nodes[ref - chain.inputs]!;
    if (n.op === "add") n.args.forEach(visit);
    else if (n.op === "sub") visit(n.args[0]!);
  };
  visit(chain.inputs + chain.nodes.length - 1);
  return out;
}

/** The fused plan for these inputs, or null when the chain must run op by op. */
function fusable(chain: Chain, inputs: readonly unknown[]): Plan | null {
  if (inputs.length !== chain.inputs || !inputs.every((x) => isTensor(x) && x.dtype === "float32")) return null;
  const ts = inputs as Tensor[];
  const be = ts[0]!.backend;
  if (!be.fusedForward || !be.fusedBackward || !ts.every((t) => t.backend === be)) return null;
  const heads = chain.nodes.flatMap((n, i) => (n.op === "matmul" ? [i] : []));
  if (heads.length > 0 && !be.matmulFused) return null;
  const starts = heads.length ? heads : [0];
  const stages: Stage[] = [];
  let before: Shape | null = null;
  for (let s = 0; s < starts.length; s++) {
    const start = starts[s]!;
    const end = starts[s + 1] ?? chain.nodes.length;
    const headed = heads.length > 0;
    let head: Stage["head"] = null;
    let productShape: Shape = [];
    if (headed) {
      const [l, r] = chain.nodes[start]!.args as [Ref, { input: number }];
      const left = "input" in l ? ts[l.input]!.shape : before!;
      const right = ts[r.input]!.shape;
      if (left.length !== 2 || right.length !== 2 || left[1] !== right[0]) return null;
      head = { left: "input" in l ? l.input : -1, right: r.input };
      productShape = [left[0]!, right[1]!];
    }
    const body = chain.nodes.slice(headed ? start + 1 : start, end);
    if (body.length === 0) return null;
    // Elementwise inputs: the product first (when headed), then the chain inputs the stage reads;
    // refs below `count` are those inputs, the others the stage's elementwise nodes in order.
    const from: number[] = headed ? [-1] : [];
    for (const n of body) for (const r of n.args) if ("input" in r && !from.includes(r.input)) from.push(r.input);
    const count = from.length;
    const first = headed ? start + 1 : start;
    const ref = (r: Ref): number => ("input" in r ? from.indexOf(r.input) : headed && r.node === start ? 0 : count + r.node - first);
    const nodes = body.map((n) => ({ op: n.op as UnaryOp | BinaryOp, args: n.args.map(ref) }));
    const shapes: Shape[] = from.map((k) => (k < 0 ? productShape : ts[k]!.shape));
    try {
      for (const n of nodes) shapes.push(n.args.length === 1 ? shapes[n.args[0]!]! : broadcastShapes(shapes[n.args[0]!]!, shapes[n.args[1]!]!, n.op));
    } catch {
      return null; // the ops themselves say what is wrong
    }
    const elementwise = { inputs: count, nodes };
    const shape = shapes[shapes.length - 1]!;
    stages.push({ elementwise, from, head, shape, productShape, passesThrough: passingThrough(elementwise), biasOfProduct: head ? biasOf(elementwise, shapes) : -1 });
    before = shape;
  }
  return { be, stages };
}

/** What a stage computed: its value, and what its backward reads (the product first when headed). */
interface StageResult {
  left: Tensor | null;
  value: Tensor;
  ew: Tensor[];
}

function forward(plan: Plan, ts: readonly Tensor[], keepProduct: boolean): StageResult[] {
  const { be } = plan;
  const out: StageResult[] = [];
  for (const st of plan.stages) {
    const others = st.from.map((k) => (k < 0 ? null : ts[k]!));
    if (!st.head) {
      out.push({ left: null, value: be.fusedForward!(st.elementwise, others as Tensor[], st.shape), ew: others as Tensor[] });
      continue;
    }
    const left = st.head.left >= 0 ? ts[st.head.left]! : out[out.length - 1]!.value;
    const right = ts[st.head.right]!;
    const rest = others.slice(1) as Tensor[];
    // One GEMM with the chain as its epilogue; where it cannot take one (a split K), the two apart.
    const r = be.matmulFused!(left, right, st.elementwise, rest, st.shape, keepProduct);
    if (r) out.push({ left, value: r.value, ew: [r.product!, ...rest] });
    else {
      const product = be.matmul(left, right, false, false, [], "float32");
      out.push({ left, value: be.fusedForward!(st.elementwise, [product, ...rest], st.shape), ew: [product, ...rest] });
    }
  }
  return out;
}

/** The cotangent g as a float32 tensor on the value's backend, at its shape (g may be a number, or broadcast). */
function cotangentLike(g: unknown, value: Tensor): Tensor {
  const t = castTo(moveTo(toTensor(g as TensorLike, "float32", "fused"), value.backend), "float32");
  return sameShape(t.shape, value.shape) ? t : t.backend.broadcastTo(t, value.shape);
}

/** A stage whose only inputs besides the product are its bias: its product's cotangent can come out of the next stage's GEMM. */
const maskable = (st: Stage): boolean => !!st.head && st.from.every((_, j) => j === 0 || j === st.biasOfProduct);

function vjpFused(chain: Chain, plan: Plan, ts: readonly Tensor[]): VjpResult {
  const results = forward(plan, ts, true);
  const { be, stages } = plan;
  const last = results[results.length - 1]!;
  return {
    value: last.value,
    pullback: (g: unknown) => {
      if (g === null || g === undefined) return new Array<null>(chain.inputs).fill(null);
      // Each piece computed when first needed, from the last stage down: a stage's product
      // cotangent (g itself where the stage only adds the product; one kernel for its elementwise
      // inputs; or straight out of the next stage's GEMM, its chain's backward as the epilogue),
      // then per input what it asks for (a weight and its bias from one GEMM when the weight is
      // read first), so a constant weight costs no GEMM.
      const gt = cotangentLike(g, last.value);
      const memo = <T>(f: () => T): (() => T) => {
        let done = false;
        let v: T;
        return () => {
          if (!done) {
            v = f();
            done = true;
          }
          return v;
        };
      };
      /** Per stage: the cotangent of its output (null where its product's came from the next GEMM), and of its product. */
      const outCt: (() => Tensor | null)[] = [];
      const productCt: (() => Tensor)[] = [];
      const kernels: (() => Tensor[])[] = [];
      const joints: ({ product: Tensor; sums: Tensor } | null)[] = stages.map(() => null);
      const full = (s: number, j: number): Tensor => {
        const st = stages[s]!;
        if (j === 0 && st.head) return productCt[s]!();
        if (st.passesThrough[j]) return outCt[s]!()!;
        return kernels[s]!()[j]!;
      };
      stages.forEach((st, s) => {
        kernels[s] = memo(() => be.fusedBackward!(st.elementwise, results[s]!.ew, outCt[s]!()!));
        // The next stage's GEMM brings this one's product cotangent, mask applied, when this stage
        // reads nothing but its product and bias.
        const viaNext = memo((): { dh: Tensor | null; bz: Tensor | null } => {
          const next = stages[s + 1]!;
          const bz = productCt[s + 1]!();
          const w = ts[next.head!.right]!;
          const masked = maskable(st) && !st.passesThrough[0] && be.matmulChainBackward ? be.matmulChainBackward(bz, w, st.elementwise, results[s]!.ew) : null;
          return masked ? { dh: null, bz: masked } : { dh: be.matmul(bz, w, false, true, [], "float32"), bz: null };
        });
        outCt[s] = s === stages.length - 1 ? () => gt : () => viaNext().dh;
        productCt[s] = memo(() => (s < stages.length - 1 && viaNext().bz) || (st.passesThrough[0] ? outCt[s]!()! : kernels[s]!()[0]!));
      });
      const parts: (() => Tangent)[][] = Array.from({ length: chain.inputs }, () => []);
      stages.forEach((st, s) => {
        const r = results[s]!;
        if (st.head) {
          const { left, right } = st.head;
          parts[right]!.push(() => {
            const bz = productCt[s]!();
            if (st.biasOfProduct >= 0 && be.matmulColumnSums) joints[s] = be.matmulColumnSums(r.left!, bz, true);
            return (joints[s]?.product ?? be.matmul(r.left!, bz, true, false, [], "float32")) as Tangent;
          });
          if (s === 0) parts[left]!.push(() => be.matmul(productCt[0]!(), ts[right]!, false, true, [], "float32") as Tangent);
        }
        st.from.forEach((k, j) => {
          if (k < 0) return;
          // (a bias added to the product has the product's cotangent, summed over rows)
          if (j === st.biasOfProduct) parts[k]!.push(() => (joints[s] ? reshapeTo(joints[s]!.sums, ts[k]!.shape) : (unbroadcastTo(productCt[s]!(), ts[k]!) as Tangent)));
          else parts[k]!.push(() => unbroadcastTo(full(s, j), ts[k]!) as Tangent);
        });
      });
      // (Generated code reads cotangents in argument order, so a weight before its bias: one GEMM
      // gives both. Read the other way round, the bias's is its own column sum; the same numbers.)
      const perInput = parts.map((ps) => () => ps.reduce<Tangent>((acc, part) => addTangent(acc, part()), null));
      return lazyCotangents(perInput);
    },
  };
}

// ---- the op -----------------------------------------------------------------------------------

const CACHE = new Map<string, (...inputs: unknown[]) => unknown>();

/**
 * The function for a fused chain (cached per spec): called, it computes the chain; its derivatives
 * are the chain's. Generated reverse-mode code calls it; see the header.
 *
 * @example
 * fused("relu($0.matmul($1).add($2))")(x, w, b); // relu(x.matmul(w).add(b)), in one kernel on WebGPU
 */
export function fused(spec: string): (...inputs: unknown[]) => unknown {
  const hit = CACHE.get(spec);
  if (hit) return hit;
  const chain = parse(spec);
  const fn = (...inputs: unknown[]): unknown => {
    const plan = fusable(chain, inputs);
    return plan ? forward(plan, inputs as Tensor[], false).pop()!.value : evaluate(chain, inputs);
  };
  defineDerivatives(fn, {
    name: `fused ${spec}`,
    arity: chain.inputs,
    wrt: Array.from({ length: chain.inputs }, (_, i) => i),
    jvp: (...all: unknown[]) => jvpChain(chain, all.slice(0, chain.inputs), all.slice(chain.inputs)),
    vjp: (...inputs: unknown[]) => {
      const plan = fusable(chain, inputs);
      return plan ? vjpFused(chain, plan, inputs as Tensor[]) : vjpChain(chain, inputs);
    },
  });
  CACHE.set(spec, fn);
  return fn;
}
