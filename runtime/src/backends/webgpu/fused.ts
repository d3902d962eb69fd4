/// <reference types="@webgpu/types" />
// Fused elementwise chains on WebGPU (../../ops/fused.ts): the chain forward in one kernel, its
// backward (every input's g · ∂chain/∂input) in one kernel, and a matmul with the chain as its
// epilogue (./matmul.ts). Each node is a call of a WGSL function made from the same snippets as
// the unfused op's kernel (./elementwise.ts: UNARY_F, UNARY_DF, BINARY), so the fused results are
// the unfused ones: NaN, ties and the derivative at kinks included.

import type { BinaryOp, ElementwiseChain, UnaryOp } from "../backend.js";
import { CotangentError } from "../../errors.js";
import type { Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { BINARY, MATH, UNARY_DF, UNARY_F, runPointwise, usedHelpers, type Input } from "./elementwise.js";
import { gemmWithEpilogue } from "./matmul.js";
import { checkInputs, gpuTensor } from "./program.js";

const isUnary = (op: UnaryOp | BinaryOp): op is UnaryOp => Object.hasOwn(UNARY_F, op) && !Object.hasOwn(BINARY, op);

function check(chain: ElementwiseChain, opName: string): void {
  chain.nodes.forEach((n, j) => {
    const unary = isUnary(n.op);
    const rule = unary ? undefined : BINARY[n.op as BinaryOp];
    const fine = unary ? n.args.length === 1 && !/\bu\./.test(UNARY_F[n.op as UnaryOp]) : !!rule && !rule.cmp && !!rule.da && !!rule.db && n.args.length === 2;
    if (!fine || n.args.some((a) => a >= chain.inputs + j)) throw new CotangentError("CT3009", `webgpu ${opName}: node ${j} (${n.op}) cannot be fused.`);
  });
}

/** A stable key for the chain's kernels. */
export function chainKey(chain: ElementwiseChain): string {
  return `${chain.inputs}:${chain.nodes.map((n) => `${n.op}(${n.args.join(",")})`).join(";")}`;
}

/** WGSL functions for the chain's ops: `f_op` (the value) and `d_op` / `da_op`, `db_op` (the slopes). */
function opFunctions(chain: ElementwiseChain, withSlopes: boolean): string {
  let code = "";
  for (const op of new Set(chain.nodes.map((n) => n.op))) {
    if (isUnary(op)) {
      code += `fn f_${op}(x: f32) -> f32 { return ${UNARY_F[op]}; }\n`;
      if (withSlopes) code += `fn d_${op}(x: f32, y: f32) -> f32 { return ${UNARY_DF[op]}; }\n`;
    } else {
      const r = BINARY[op];
      code += `fn f_${op}(a: f32, b: f32) -> f32 { return ${r.f}; }\n`;
      if (withSlopes) code += `fn da_${op}(a: f32, b: f32, y: f32) -> f32 { return ${r.da}; }\nfn db_${op}(a: f32, b: f32, y: f32) -> f32 { return ${r.db}; }\n`;
    }
  }
  return code;
}

/** The WGSL name of chain input k (by default x0, x1, …). */
type InputName = (k: number) => string;
const xName: InputName = (k) => `x${k}`;

const ref = (chain: ElementwiseChain, r: number, input: InputName = xName): string => (r < chain.inputs ? input(r) : `t${r - chain.inputs}`);

/** `let t0 = f_add(x0, x1); let t1 = f_relu(t0); …` (inputs x0…, nodes t0…). */
export function chainStatements(chain: ElementwiseChain, indent = "  ", input: InputName = xName): string {
  return chain.nodes.map((n, j) => `${indent}let t${j} = f_${n.op}(${n.args.map((a) => ref(chain, a, input)).join(", ")});`).join("\n");
}

/**
 * The reverse sweep, node by node from the result (whose cotangent is `g`): each operand's
 * cotangent starts at its first term (so a single use is exactly the unfused op's g · slope) and
 * adds the others. Input k's cotangent is `gx<k>` (in `started` when the chain reads it).
 */
function backwardStatements(chain: ElementwiseChain, g: string, input: InputName = xName): { code: string; started: Set<string> } {
  const started = new Set<string>();
  const lines: string[] = [`  let gt${chain.nodes.length - 1} = ${g};`];
  const add = (target: string, term: string) => {
    if (started.has(target)) lines.push(`  ${target} = ${target} + ${term};`);
    else {
      started.add(target);
      // (a node's cotangent has one term: nodes are read once)
      lines.push(`  ${target.startsWith("gt") ? "let" : "var"} ${target} = ${term};`);
    }
  };
  for (let j = chain.nodes.length - 1; j >= 0; j--) {
    const n = chain.nodes[j]!;
    const args = n.args.map((a) => ref(chain, a, input));
    const gOf = (a: number) => (a < chain.inputs ? `gx${a}` : `gt${a - chain.inputs}`);
    if (isUnary(n.op)) add(gOf(n.args[0]!), `gt${j} * d_${n.op}(${args[0]}, t${j})`);
    else {
      add(gOf(n.args[0]!), `gt${j} * da_${n.op}(${args[0]}, ${args[1]}, t${j})`);
      add(gOf(n.args[1]!), `gt${j} * db_${n.op}(${args[0]}, ${args[1]}, t${j})`);
    }
  }
  return { code: lines.join("\n"), started };
}

/** @internal The WGSL library a chain's kernels need: the ops' functions and the math helpers. */
export function chainHelpers(chain: ElementwiseChain, withSlopes: boolean): string {
  return MATH + opFunctions(chain, withSlopes);
}

const inputsOf = (xs: readonly Tensor[]): Input[] => xs.map((t, k) => ({ name: `x${k}`, t, as: "f32" }));

export function fusedForward(chain: ElementwiseChain, inputs: readonly Tensor[], shape: Shape): Tensor {
  const name = "fused chain";
  check(chain, name);
  checkInputs(name, ...inputs);
  const out = gpuTensor(shape, "float32");
  const last = `t${chain.nodes.length - 1}`;
  runPointwise(name, `fused.${chainKey(chain)}`, inputsOf(inputs), [{ t: out, value: last, type: "f32" }], chainStatements(chain), [], chainHelpers(chain, false));
  return out;
}

export function fusedBackward(chain: ElementwiseChain, inputs: readonly Tensor[], g: Tensor): Tensor[] {
  const name = "fused chain backward";
  check(chain, name);
  checkInputs(name, g, ...inputs);
  const sweep = backwardStatements(chain, "g");
  const started = sweep.started;
  const prelude = `${chainStatements(chain)}\n${sweep.code}`;
  const outs = inputs.map((_, k) => ({ t: gpuTensor(g.shape, "float32"), value: started.has(`gx${k}`) ? `gx${k}` : "0.0", type: "f32" as const }));
  runPointwise(name, `fusedB.${chainKey(chain)}`, [{ name: "g", t: g, as: "f32" }, ...inputsOf(inputs)], outs, prelude, [], chainHelpers(chain, true));
  return outs.map((o) => o.t);
}

export function matmulFused(
  a: Tensor,
  b: Tensor,
  chain: ElementwiseChain,
  others: readonly Tensor[],
  shape: Shape,
  keepProduct: boolean,
): { value: Tensor; product: Tensor | null } | null {
  const name = "fused matmul";
  check(chain, name);
  checkInputs(name, a, b, ...others);
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const helpers = usedHelpers(chainHelpers(chain, false), chainStatements(chain));
  return gemmWithEpilogue(a, b, { others, shape, keepProduct, opName: name, key: chainKey(chain), helpers, code: chainStatements(chain), result: `t${chain.nodes.length - 1}`, transposeB: false });
}

export function matmulChainBackward(g: Tensor, w: Tensor, chain: ElementwiseChain, inputs: readonly Tensor[]): Tensor | null {
  const name = "fused matmul backward";
  check(chain, name);
  checkInputs(name, g, w, ...inputs);
  if (g.dtype !== "float32" || w.dtype !== "float32" || g.shape.length !== 2 || w.shape.length !== 2) return null;
  // The epilogue's x0 is (g · wᵀ)[row, col], the cotangent of the chain's result there; the chain's
  // inputs are the epilogue's x1, x2, … (read at the same place, broadcast).
  const input: InputName = (k) => `x${k + 1}`;
  const sweep = backwardStatements(chain, "x0", input);
  const code = `${chainStatements(chain, "  ", input)}\n${sweep.code}`;
  const helpers = usedHelpers(chainHelpers(chain, true), code);
  const shape = [g.shape[0]!, w.shape[0]!];
  if (!inputs.every((t) => t.shape.length <= 2)) return null;
  const r = gemmWithEpilogue(g, w, { others: inputs, shape, keepProduct: false, opName: name, key: `b${chainKey(chain)}`, helpers, code, result: sweep.started.has("gx0") ? "gx0" : "0.0", transposeB: true });
  return r ? r.value : null;
}
