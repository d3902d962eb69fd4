// Array methods that take a callback (`xs.map((x) => …)`, `reduce`, `filter`, `some`, …) and the
// array-building forms (`Array.from`, `concat`, spread) lowered to the loops normalization
// already knows: a counter, element reads and `push`. The callback's body is inlined into the
// loop by the normalizer (see Normalizer.inlineCallback), so it may read and write the enclosing
// function's variables and its derivative flows to whatever it captures, in both modes.
//
// JavaScript's semantics are kept for dense arrays: the length is read once before the loop, the
// callback gets (element, index, array) — (accumulator, element, index, array) for reduce —, and
// reduce without an initial value on an empty array throws the same TypeError.

import { and, bin, bool, clone, id, index, member, not, num, undef } from "./build.js";
import type { Expression, Loc } from "./ir.js";
import type { NStmt, Target } from "./nir.js";

/** What a lowering needs from the normalizer. */
export interface LoopContext {
  /** A fresh synthetic local. */
  fresh(base: string): string;
  /**
   * The callback inlined with these arguments: its statements, and its result (an expression to
   * read at once). With `resultUsed` false (forEach) an expression body is lowered as a statement.
   */
  callback(args: Expression[], resultUsed?: boolean): { out: NStmt[]; value: Expression };
  origin?: Loc;
}

/** Methods lowered here; each takes the callback as its first argument. */
export const CALLBACK_METHODS = new Set([
  "map",
  "forEach",
  "filter",
  "flatMap",
  "reduce",
  "reduceRight",
  "some",
  "every",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
]);

interface Lowered {
  pre: NStmt[];
  result: Expression;
}

const assign = (name: string, value: Expression, origin?: Loc): NStmt => ({ k: "assign", target: id(name), value, origin });
const push = (array: Target, value: Expression, origin?: Loc): NStmt => ({ k: "push", array: clone(array), value, origin });
const when = (test: Expression, then: NStmt[], origin?: Loc): NStmt => ({ k: "if", test, then, else: [], origin });
const typeError = (message: string, origin?: Loc): NStmt => ({
  k: "effect",
  stmt: {
    type: "ThrowStatement",
    argument: { type: "NewExpression", callee: id("TypeError"), arguments: [{ type: "StringLiteral", value: message }] },
  },
  origin,
});

/**
 * A counted loop over `src` (an identifier or a path of them, read again each iteration):
 * `$k` runs from 0 up (or from `$n - 1` down), while `keepGoing` (if any) holds.
 */
function countedLoop(
  c: LoopContext,
  n: string,
  direction: "up" | "down",
  body: (k: Expression) => NStmt[],
  keepGoing?: Expression,
  start?: Expression,
): NStmt[] {
  const k = c.fresh("$k");
  const first = start ?? (direction === "up" ? num(0) : bin("-", id(n), num(1)));
  const inRange = direction === "up" ? bin("<", id(k), id(n)) : bin(">=", id(k), num(0));
  const step = assign(k, bin(direction === "up" ? "+" : "-", id(k), num(1)), c.origin);
  return [
    assign(k, first, c.origin),
    { k: "loop", test: keepGoing ? and(keepGoing, inRange) : inRange, body: [...body(id(k)), step], origin: c.origin },
  ];
}

/** Pushes every element of `items` onto `out`: each element of an array literal, or a loop over an array. */
export function pushAll(c: LoopContext, out: Target, items: Expression): NStmt[] {
  if (items.type === "ArrayExpression") {
    return items.elements.map((e) => push(out, e && e.type !== "SpreadElement" ? e : undef(), c.origin));
  }
  const { pre, src } = readable(c, items);
  const n = c.fresh("$n");
  return [...pre, assign(n, member(clone(src), "length"), c.origin), ...countedLoop(c, n, "up", (k) => [push(out, index(clone(src), k), c.origin)])];
}

/**
 * `items` as something the loop can read again each iteration: a variable or a path below one
 * as it is (a temporary would be a second reference to the array), anything else in a temporary.
 */
function readable(c: LoopContext, items: Expression): { pre: NStmt[]; src: Expression } {
  if (items.type === "Identifier" || items.type === "MemberExpression") return { pre: [], src: items };
  const src = c.fresh("$items");
  return { pre: [assign(src, items, c.origin)], src: id(src) };
}

/** Pushes `v` onto `out`, or its elements when it is an array (one level, as flatMap and concat do). */
function pushFlattened(c: LoopContext, out: Target, v: Expression): NStmt[] {
  if (v.type === "ArrayExpression") return pushAll(c, out, v);
  const piece = c.fresh("$piece");
  const isArray: Expression = { type: "CallExpression", callee: member(id("Array"), "isArray"), arguments: [id(piece)] };
  return [assign(piece, v, c.origin), { k: "if", test: isArray, then: pushAll(c, out, id(piece)), else: [push(out, id(piece), c.origin)], origin: c.origin }];
}

/** `a.concat(b, c, …)`: a fresh array of a's elements, then each argument's (or the argument itself). */
export function lowerConcat(c: LoopContext, receiver: Expression, args: Expression[]): Lowered {
  const out = c.fresh("$joined");
  const pre: NStmt[] = [assign(out, { type: "ArrayExpression", elements: [] }, c.origin), ...pushAll(c, id(out), receiver)];
  for (const a of args) pre.push(...pushFlattened(c, id(out), a));
  return { pre, result: id(out) };
}

/** `xs.method(callback, ...rest)` with `src` the receiver (already normalized and stable). */
export function lowerCallbackMethod(method: string, src: Expression, rest: Expression[], c: LoopContext): Lowered {
  const o = c.origin;
  const n = c.fresh("$n");
  const pre: NStmt[] = [assign(n, member(clone(src), "length"), o)];
  const elem = (k: Expression) => index(clone(src), clone(k));
  const call = (args: Expression[]) => c.callback(args);
  switch (method) {
    case "map":
    case "forEach": {
      const out = method === "map" ? c.fresh("$mapped") : undefined;
      if (out) pre.push(assign(out, { type: "ArrayExpression", elements: [] }, o));
      pre.push(
        ...countedLoop(c, n, "up", (k) => {
          const r = c.callback([elem(k), clone(k), clone(src)], !!out);
          return out ? [...r.out, push(id(out), r.value, o)] : r.out;
        }),
      );
      return { pre, result: out ? id(out) : undef() };
    }
    case "filter": {
      const out = c.fresh("$kept");
      const e = c.fresh("$element");
      pre.push(assign(out, { type: "ArrayExpression", elements: [] }, o));
      pre.push(
        ...countedLoop(c, n, "up", (k) => {
          const r = call([id(e), clone(k), clone(src)]);
          return [assign(e, elem(k), o), ...r.out, when(r.value, [push(id(out), id(e), o)], o)];
        }),
      );
      return { pre, result: id(out) };
    }
    case "flatMap": {
      const out = c.fresh("$flat");
      pre.push(assign(out, { type: "ArrayExpression", elements: [] }, o));
      pre.push(
        ...countedLoop(c, n, "up", (k) => {
          const r = call([elem(k), clone(k), clone(src)]);
          return [...r.out, ...pushFlattened(c, id(out), r.value)];
        }),
      );
      return { pre, result: id(out) };
    }
    case "reduce":
    case "reduceRight": {
      const acc = c.fresh("$acc");
      const up = method === "reduce";
      let start: Expression | undefined;
      if (rest.length) pre.push(assign(acc, rest[0]!, o));
      else {
        pre.push(when(bin("===", id(n), num(0)), [typeError("Reduce of empty array with no initial value", o)], o));
        pre.push(assign(acc, elem(up ? num(0) : bin("-", id(n), num(1))), o));
        start = up ? num(1) : bin("-", id(n), num(2));
      }
      pre.push(
        ...countedLoop(
          c,
          n,
          up ? "up" : "down",
          (k) => {
            const r = call([id(acc), elem(k), clone(k), clone(src)]);
            return [...r.out, assign(acc, r.value, o)];
          },
          undefined,
          start,
        ),
      );
      return { pre, result: id(acc) };
    }
    case "some":
    case "every": {
      // some: stop at the first truthy result; every: at the first falsy one.
      const out = c.fresh(method === "some" ? "$some" : "$every");
      const some = method === "some";
      pre.push(assign(out, bool(!some), o));
      pre.push(
        ...countedLoop(
          c,
          n,
          "up",
          (k) => {
            const r = call([elem(k), clone(k), clone(src)]);
            return [...r.out, when(some ? r.value : not(r.value), [assign(out, bool(some), o)], o)];
          },
          some ? not(id(out)) : id(out),
        ),
      );
      return { pre, result: id(out) };
    }
    case "find":
    case "findLast":
    case "findIndex":
    case "findLastIndex": {
      const wantsIndex = method.endsWith("Index");
      const out = c.fresh(wantsIndex ? "$index" : "$found");
      const done = c.fresh("$done");
      const e = c.fresh("$element");
      pre.push(assign(out, wantsIndex ? num(-1) : undef(), o), assign(done, bool(false), o));
      pre.push(
        ...countedLoop(
          c,
          n,
          method.startsWith("findLast") ? "down" : "up",
          (k) => {
            const r = call([id(e), clone(k), clone(src)]);
            return [assign(e, elem(k), o), ...r.out, when(r.value, [assign(out, wantsIndex ? clone(k) : id(e), o), assign(done, bool(true), o)], o)];
          },
          not(id(done)),
        ),
      );
      return { pre, result: id(out) };
    }
  }
  throw new Error(`lowerCallbackMethod: no lowering for '${method}'`);
}

/** `[...]` of `items` from index `start` on (a rest element `[a, ...rest] = items`). */
export function sliceFrom(c: LoopContext, items: Expression, start: number): Lowered {
  const out = c.fresh("$rest");
  const n = c.fresh("$n");
  return {
    pre: [
      assign(out, { type: "ArrayExpression", elements: [] }, c.origin),
      assign(n, member(clone(items), "length"), c.origin),
      ...countedLoop(c, n, "up", (k) => [push(id(out), index(clone(items), k), c.origin)], undefined, num(start)),
    ],
    result: id(out),
  };
}

/** `Math.max(...xs)` / `Math.min(...xs)` folded over the elements, starting from ∓Infinity (as JavaScript does). */
export function foldMaxMin(c: LoopContext, fn: "max" | "min", callee: Expression, parts: { spread: boolean; value: Expression }[]): Lowered {
  const acc = c.fresh(fn === "max" ? "$max" : "$min");
  const infinity: Expression = fn === "max" ? { type: "UnaryExpression", operator: "-", argument: id("Infinity") } : id("Infinity");
  const pre: NStmt[] = [assign(acc, infinity, c.origin)];
  const fold = (v: Expression): NStmt => assign(acc, { type: "CallExpression", callee: clone(callee), arguments: [id(acc), v] }, c.origin);
  for (const p of parts) {
    if (!p.spread) {
      pre.push(fold(p.value));
      continue;
    }
    const { pre: read, src } = readable(c, p.value);
    const n = c.fresh("$n");
    pre.push(...read, assign(n, member(clone(src), "length"), c.origin));
    pre.push(...countedLoop(c, n, "up", (k) => [fold(index(clone(src), k))]));
  }
  return { pre, result: id(acc) };
}

/** `Array.from({ length: n }, cb)` (elements undefined) or `Array.from(src, cb)`; without cb, a copy. */
export function lowerArrayFrom(src: Expression | { length: Expression }, hasCallback: boolean, c: LoopContext): Lowered {
  const o = c.origin;
  const n = c.fresh("$n");
  const out = c.fresh("$array");
  const lengthOnly = "length" in src && !("type" in src);
  const len = lengthOnly ? (src as { length: Expression }).length : member(src as Expression, "length");
  const elem = (k: Expression) => (lengthOnly ? undef() : index(clone(src as Expression), clone(k)));
  const pre: NStmt[] = [assign(n, len, o), assign(out, { type: "ArrayExpression", elements: [] }, o)];
  pre.push(
    ...countedLoop(c, n, "up", (k) => {
      if (!hasCallback) return [push(id(out), elem(k), o)];
      const r = c.callback([elem(k), clone(k)]);
      return [...r.out, push(id(out), r.value, o)];
    }),
  );
  return { pre, result: id(out) };
}
