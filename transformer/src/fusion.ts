// The fusion pass: in the function a reverse-mode derivative is generated from, a chain of
// elementwise tensor ops whose intermediates nothing else reads — `relu(x.matmul(w).add(b))`, three
// `call` statements after normalization — becomes one call of the runtime's fused chain:
//
//   $call = RT.fused("relu($0.matmul($1).add($2))")(x, w, b)
//
// which the reverse generator treats as any runtime call (`vjpCall(RT.fused(…), undefined, [x, w, b])`).
// The runtime runs it as one kernel forward (one GEMM with the chain as its epilogue) and one
// backward where the backend can, and op by op through the ops' derivatives anywhere else, so the
// derivative is the unfused one either way (runtime/src/ops/fused.ts).
//
// Only the VJP's function is fused: the JVP (which second derivatives differentiate again) and the
// user's own function keep their calls. A chain is a tree of runtime primitive calls in one
// statement list, each intermediate a temporary of normalization read once, by the tree; the
// statements between its first and its last may only be other primitive tensor calls (pure), so
// evaluating the chain at its last statement changes nothing else. A matmul may head a chain.

import type { Expression, Loc, TypeIR } from "./ir.js";
import { call, clone, id, member } from "./build.js";
import type { NCall, NFunction, NStmt } from "./nir.js";
import { countReads, rootName, stmtExpressions, walkStmts } from "./walk.js";

/** The ops a fused chain holds (runtime/src/ops/fused.ts FUSABLE_OPS; a test holds them equal). */
export const FUSABLE = {
  unary: ["neg", "square", "sqrt", "exp", "log", "log1p", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "gelu"],
  binary: ["add", "sub", "mul", "div", "maximum", "minimum"],
  head: ["matmul"],
} as const;

const ARITY = new Map<string, number>([...FUSABLE.unary.map((o): [string, number] => [o, 1]), ...[...FUSABLE.binary, ...FUSABLE.head].map((o): [string, number] => [o, 2])]);

type CallStmt = Extract<NStmt, { k: "call" }> & { call: Extract<NCall, { kind: "dynamic" }> };

/** What the analysis knows of an expression's type. */
export type TypeOf = (e: Expression) => TypeIR;

/** A value of no declared type (a call's result), or one declared `Tensor` (`ct.Tensor`). */
function mayBeTensor(t: TypeIR): boolean {
  return t.kind === "unknown" && (t.text === undefined || /(^|\.)Tensor$/.test(t.text));
}

/**
 * A call statement of a fusable runtime op: its op, whether it is a method, and its operands. A
 * method only on a value that may be a tensor: on an object of a known type (a class of the
 * user's with an `add`) the method is the user's, whose derivatives the chain would then need
 * even where the unfused code calls it plainly (on constants).
 */
function fusableCall(s: NStmt, typeOf: TypeOf): { s: CallStmt; op: string; method: boolean; operands: Expression[] } | undefined {
  if (s.k !== "call" || !s.target || s.call.kind !== "dynamic" || !s.call.primitive?.differentiable) return undefined;
  const p = s.call.primitive;
  if (p.method && (!s.call.thisArg || !mayBeTensor(typeOf(s.call.thisArg)))) return undefined;
  const operands = p.method ? (s.call.thisArg ? [s.call.thisArg, ...s.call.args] : []) : s.call.args;
  if (ARITY.get(p.name) !== operands.length || !operands.every(isPlainOperand)) return undefined;
  return { s: s as CallStmt, op: p.name, method: p.method, operands };
}

/** Operands a chain can take as inputs: variables and field paths (`model.w1`). */
function isPlainOperand(e: Expression): boolean {
  if (e.type === "Identifier") return e.name !== "undefined";
  return e.type === "MemberExpression" && !e.computed && isPlainOperand(e.object);
}

/** Reads of each variable in the whole function (statements and result). */
function readCounts(fn: NFunction): Map<string, number> {
  const counts = new Map<string, number>();
  const names = [...fn.locals.keys()];
  const add = (e: Expression) => {
    for (const n of names) {
      const c = countReads(e, n);
      if (c) counts.set(n, (counts.get(n) ?? 0) + c);
    }
  };
  // A method call reads its object once, though the callee (`o.m`) repeats it.
  walkStmts(fn.body, (s) => (s.k === "call" && s.call.kind === "dynamic" && s.call.thisArg ? [s.call.thisArg, ...s.call.args] : stmtExpressions(s)).forEach(add));
  add(fn.result);
  return counts;
}

const operandKey = (e: Expression): string => (e.type === "Identifier" ? e.name : `${operandKey((e as Extract<Expression, { type: "MemberExpression" }>).object)}.${((e as Extract<Expression, { type: "MemberExpression" }>).property as { name: string }).name}`);

interface Tree {
  /** Statement indices in the list, the root last. */
  members: number[];
  spec: string;
  inputs: Expression[];
}

/**
 * The fused version of `fn` (a copy; `fn` itself is left as it is), or `fn` when nothing fuses.
 * `runtime` is the namespace generated code reaches the runtime through; `typeOf`, the analysis's types.
 */
export function fuseChains(fn: NFunction, runtime: string, typeOf: TypeOf): NFunction {
  const reads = readCounts(fn);
  const writes = new Map<string, number>();
  walkStmts(fn.body, (s) => {
    if (s.k === "call" && s.target) writes.set(s.target.name, (writes.get(s.target.name) ?? 0) + 1);
    if (s.k === "assign" && s.target.type === "Identifier") writes.set(s.target.name, (writes.get(s.target.name) ?? 0) + 1);
  });
  const params = new Set(fn.params.map((p) => p.name));
  /** A temporary of normalization, written once and read once. */
  const isTemp = (name: string) => !params.has(name) && fn.locals.get(name)?.synthetic === true && reads.get(name) === 1 && writes.get(name) === 1;

  const removed = new Set<string>();
  let changed = false;
  const fuseList = (list: NStmt[]): NStmt[] => {
    const calls = list.map((s) => fusableCall(s, typeOf));
    // A method on the result of a call here that is not a tensor op (a user's `a.add(b)`) is not one either.
    const notTensor = new Set<string>();
    list.forEach((s, i) => {
      const c = calls[i];
      if (c?.method && c.operands[0]!.type === "Identifier" && notTensor.has(c.operands[0]!.name)) calls[i] = undefined;
      if (s.k === "call" && s.target && !calls[i]) notTensor.add(s.target.name);
      if (s.k === "call" && s.target && calls[i]) notTensor.delete(s.target.name);
    });
    // The statement that produces each temporary, for the statements after it.
    const producer = new Map<string, number>();
    calls.forEach((c, i) => {
      if (c && isTemp(c.s.target!.name)) producer.set(c.s.target!.name, i);
    });
    // `h = $call` where the user's h is written there only and read once: h stands for the call
    // (so `const h = relu(…)` feeding the next layer's matmul joins one chain); the copy goes with it.
    const copies = new Map<string, { at: number; producer: number }>();
    list.forEach((s, i) => {
      if (s.k !== "assign" || s.target.type !== "Identifier" || s.value.type !== "Identifier") return;
      const name = s.target.name;
      if (producer.has(s.value.name) && !params.has(name) && fn.locals.has(name) && reads.get(name) === 1 && writes.get(name) === 1) {
        copies.set(name, { at: i, producer: producer.get(s.value.name)! });
      }
    });
    const claimed = new Set<number>();
    const trees = new Map<number, Tree>();
    for (let r = list.length - 1; r >= 0; r--) {
      const root = calls[r];
      if (!root || claimed.has(r) || root.op === "matmul") continue; // (a chain ends in an elementwise op)
      const tree = buildTree(r, calls, producer, copies, claimed);
      if (!tree) continue;
      // Between the chain's first statement and its root, only other pure tensor calls.
      // (and none of them writes what the chain reads: the chain is evaluated after them).
      const lo = Math.min(...tree.members);
      const readByChain = new Set(tree.inputs.map((e) => rootName(e)));
      let safe = true;
      for (let i = lo; i < r; i++) if (!tree.members.includes(i) && (!calls[i] || readByChain.has(calls[i]!.s.target!.name))) safe = false;
      if (!safe) continue;
      tree.members.forEach((i) => claimed.add(i));
      trees.set(r, tree);
    }
    const out: NStmt[] = [];
    list.forEach((s, i) => {
      const tree = trees.get(i);
      if (tree) {
        changed = true;
        const root = s as CallStmt;
        for (const m of tree.members) if (m !== i) removed.add(((list[m] as CallStmt).target as { name: string }).name);
        out.push({
          k: "call",
          target: clone(root.target),
          call: {
            kind: "dynamic",
            callee: call(member(id(runtime), "fused"), [{ type: "StringLiteral", value: tree.spec }]),
            thisArg: null,
            args: tree.inputs.map((e) => clone(e)),
            primitive: { name: "fused", method: false, differentiable: true },
          },
          ...(root.origin ? { origin: root.origin as Loc } : {}),
        });
        return;
      }
      if (claimed.has(i)) return;
      if (s.k === "if") out.push({ ...s, then: fuseList(s.then), else: fuseList(s.else) });
      else if (s.k === "loop") out.push({ ...s, body: fuseList(s.body) });
      else out.push(s);
    });
    return out;
  };
  const body = fuseList(fn.body);
  if (!changed) return fn;
  const locals = new Map(fn.locals);
  for (const name of removed) locals.delete(name);
  return { ...fn, body, locals };
}

/** The chain rooted at statement r (at least two ops), or undefined: a stack of layers when it forms one, else one stage. */
function buildTree(r: number, calls: readonly (ReturnType<typeof fusableCall>)[], producer: Map<string, number>, copies: Copies, claimed: Set<number>): Tree | undefined {
  return buildTreeWith(r, calls, producer, copies, claimed, true) ?? buildTreeWith(r, calls, producer, new Map(), claimed, false);
}

type Ref = { input: number } | { node: number };

/** User variables that only copy a call's result, read once: name → the copy's index and the call's. */
type Copies = Map<string, { at: number; producer: number }>;

/**
 * The runtime's rule for chains (runtime/src/ops/fused.ts parse): without a matmul, any tree;
 * with, the first node is a matmul of two inputs, and each later matmul takes the stage before it
 * (its last node) on the left and an input on the right, the other nodes reading their own stage.
 */
function formsStages(nodes: readonly { op: string; args: Ref[] }[]): boolean {
  if (!nodes.some((n) => n.op === "matmul")) return true;
  if (nodes[0]!.op !== "matmul") return false;
  let start = 0;
  return nodes.every((n, i) => {
    if (n.op !== "matmul") return n.args.every((a) => !("node" in a) || a.node >= start);
    const [l, r] = n.args as [Ref, Ref];
    const ok = (i === 0 ? "input" in l : "node" in l && l.node === i - 1 && nodes[i - 1]!.op !== "matmul") && "input" in r;
    start = i;
    return ok;
  });
}

function buildTreeWith(
  r: number,
  calls: readonly (ReturnType<typeof fusableCall>)[],
  producer: Map<string, number>,
  copies: Copies,
  claimed: Set<number>,
  layers: boolean,
): Tree | undefined {
  const members: number[] = [];
  const inputs: Expression[] = [];
  const inputIndex = new Map<string, number>();
  let heads = 0;
  // The nodes in evaluation order, as the runtime numbers them.
  const nodes: { op: string; args: Ref[] }[] = [];
  const visit = (i: number): { text: string; ref: Ref } => {
    const c = calls[i]!;
    const parts = c.operands.map((e, k) => {
      const copy = e.type === "Identifier" ? copies.get(e.name) : undefined;
      const p = e.type === "Identifier" ? (producer.get(e.name) ?? copy?.producer) : undefined;
      const pc = p === undefined ? undefined : calls[p]!;
      // A matmul takes a layer below it on its left (a stack of layers); an elementwise op takes any op.
      const absorbable =
        p !== undefined && p < i && !claimed.has(p) && (c.op === "matmul" ? layers && k === 0 && pc!.op !== "matmul" : pc!.op !== "matmul" || layers || heads === 0);
      if (absorbable) {
        if (pc!.op === "matmul") heads++;
        if (copy) members.push(copy.at);
        return visit(p!);
      }
      const key = operandKey(e);
      let k2 = inputIndex.get(key);
      if (k2 === undefined) {
        k2 = inputs.length;
        inputs.push(e);
        inputIndex.set(key, k2);
      }
      return { text: `$${k2}`, ref: { input: k2 } as Ref };
    });
    members.push(i);
    nodes.push({ op: c.op, args: parts.map((x) => x.ref) });
    const ps = parts.map((x) => x.text);
    return { text: c.method ? `${ps[0]}.${c.op}(${ps.slice(1).join(", ")})` : `${c.op}(${ps.join(", ")})`, ref: { node: nodes.length - 1 } };
  };
  const spec = visit(r).text;
  if (members.length < 2 || !formsStages(nodes)) return undefined;
  return { members: members.sort((a, b) => a - b), spec, inputs };
}
