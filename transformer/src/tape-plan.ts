// The tape plan of reverse mode: which values the pullback needs that the primal overwrites, and
// where each is kept. Planned before any code is emitted (as Swift plans its linear-map structs
// apart from the pullback cloner), in the manner of Tapenade's to-be-recorded analysis:
//
// - The adjoint of a statement reads some of the values its operands had when it ran (the other
//   factor of a product, the argument of Math.cos, an index); those are its adjoint reads.
// - A write `v = …` at S must save the old value of v only if the adjoint of a statement that may
//   run before S in the primal (one before it in its block or an enclosing one, S itself, or any
//   statement of a loop around S) reads v. A value that only adds (`s = s + t`) or that only
//   the result reads is never saved.
// - Inside a loop, a loop-local value that is cheap to compute again from what the pullback has
//   (`const t = x * (i - 50) / 50`: parameters, the loop's counter as the pullback steps it back,
//   other such values) is recomputed at the start of each iteration's adjoint instead of saved, and
//   a branch on such values is decided again instead of recorded.
// - Outside loops a saved value, a branch decision or a trip count is kept in a local of the
//   derivative; inside loops it goes on the tape: numbers in a Float64Array, decisions and counts
//   in an Int32Array, other values (arrays, tensors, pullbacks of calls) in an array of references
//   (runtime/src/ad/tape.ts).

import type { Analysis } from "./analysis.js";
import type { Expression } from "./ir.js";
import type { NFunction, NStmt } from "./nir.js";
import { isReceiverCall } from "./forward.js";
import { forEachExpression, namesRead, stmtExpressions, walkStmts, writesOf } from "./walk.js";

/**
 * Where a value the pullback needs is kept: a local of the derivative, one of the tape's three
 * stacks, or nowhere because the write can be undone exactly (`inverse`: a counter stepped by an
 * integer, `i = i + 1`, is restored by `i = i - 1`).
 */
export type Storage =
  | { where: "local" }
  | { where: "tape"; stack: "number" | "int" | "ref" }
  | { where: "inverse"; operator: "+" | "-"; step: number };

export interface TapePlan {
  /**
   * Writes that save the old value they overwrite, with where: whole-variable writes (`v = …`,
   * `v = f(…)`) by the to-be-recorded analysis, element and field writes (`v[i] = …`) into the
   * arrays and objects in `undoneInPlace`.
   */
  readonly saves: Map<NStmt, Storage>;
  /** Arrays and objects some adjoint reads: element writes and pushes into them are undone in place. */
  readonly undoneInPlace: Set<string>;
  /** Locals written more than once or in a loop: their adjoints are reset after each write. */
  readonly reassigned: Set<string>;
  /** The first write of a local at the top level: it overwrites nothing, so no save, restore or reset. */
  readonly initialDefs: Set<NStmt>;
  /** How many loops enclose each statement: decides local (0) or tape storage of what it records. */
  readonly loopDepth: Map<NStmt, number>;
  /** Each leaf statement's adjoint reads (for the golden test and debugging). */
  readonly adjointReads: Map<NStmt, Set<string>>;
  /**
   * Per loop, the assignments its body's adjoint recomputes (in primal order) instead of saving
   * what they overwrite, and how many trailing statements of the body (the counter's steps, which
   * the pullback undoes first) come before the recomputation in each iteration's adjoint.
   */
  readonly recomputed: Map<NStmt, { assigns: NStmt[]; after: number }>;
  /** Branches inside loops whose test the pullback evaluates again instead of recording it. */
  readonly retested: Set<NStmt>;
  /**
   * Counted loops (their trip count known before they start) without inner loops that record
   * numbers or decisions: room for all of it is made on the tape before the loop, so the pushes
   * inside need no capacity check (`putNumber`/`putInt`), which costs more than the store itself.
   */
  readonly reservations: Map<NStmt, { iterations: number; numbers: number; ints: number }>;
  /**
   * Counted loops (`for (let i = 0; i < 20; i++)`, at any depth), with their trip count: the
   * primal neither counts nor records their iterations, and the pullback repeats the body's
   * adjoint that many times.
   */
  readonly tripCounts: Map<NStmt, number>;
}

export function planTape(fn: NFunction, an: Analysis): TapePlan {
  const loopDepth = new Map<NStmt, number>();
  walkStmts(fn.body, (s, ctx) => loopDepth.set(s, ctx.loops));

  // Only the function's own variables can change under the pullback (not globals such as Math).
  const own = new Set([...fn.params.map((p) => p.name), ...fn.locals.keys()]);
  const adjointReads = new Map<NStmt, Set<string>>();
  walkStmts(fn.body, (s) => {
    if (s.k === "assign" || s.k === "push" || s.k === "call") adjointReads.set(s, new Set([...adjointReadsOf(s, an)].filter((n) => own.has(n))));
  });

  // A local function's pullback reads the variables it captures when it runs, during this
  // function's pullback: they must hold the values they had at each call.
  const captured = new Set<string>();
  for (const n of fn.nested) for (const c of n.captures) captured.add(c);

  const initialDefs = new Set<NStmt>();
  const written = new Set<string>(fn.params.map((p) => p.name));
  const writeCount = new Map<string, number>(fn.params.map((p) => [p.name, 1]));
  const writtenInLoop = new Set<string>();
  walkStmts(fn.body, (s, ctx) => {
    const w = writesOf(s);
    if (!w || !w.whole) return;
    if (ctx.loops === 0 && !written.has(w.name) && isTopLevel(fn.body, s)) initialDefs.add(s);
    written.add(w.name);
    writeCount.set(w.name, (writeCount.get(w.name) ?? 0) + 1);
    if (ctx.loops > 0) writtenInLoop.add(w.name);
  });
  const params = new Set(fn.params.map((p) => p.name));
  const reassigned = new Set<string>();
  for (const [name, n] of writeCount) if (params.has(name) ? n > 1 : n > 1 || writtenInLoop.has(name)) reassigned.add(name);

  // The to-be-recorded analysis: walk in primal order, carrying the adjoint reads of everything that
  // may have run before (`before`); a loop's body is first scanned whole, since every statement in
  // it may have run in an earlier iteration.
  const counters = integerCounters(fn);
  const tested = undefinedTested(fn);
  const numbers = numberVariables(fn, an, tested);
  const { recomputed, retested, recomputedVars } = planRecomputation(fn, an, counters, writeCount, captured, numbers);
  // What a recomputation or a test evaluated again reads is read by the adjoint: the counters it
  // reads must be stepped back.
  for (const { assigns } of recomputed.values()) {
    for (const a of assigns) if (a.k === "assign") for (const r of namesRead(a.value)) if (own.has(r)) (adjointReads.get(a) ?? adjointReads.set(a, new Set()).get(a)!).add(r);
  }
  const saves = new Map<NStmt, Storage>();
  const visit = (ss: NStmt[], before: Set<string>): Set<string> => {
    let seen = before;
    for (const s of ss) {
      if (s.k === "if") {
        if (retested.has(s)) seen = union(seen, new Set([...namesRead(s.test)].filter((n) => own.has(n))));
        const a = visit(s.then, seen);
        const b = visit(s.else, seen);
        seen = union(a, b);
      } else if (s.k === "loop") {
        const inside = union(seen, readsBelow(s.body, adjointReads));
        seen = visit(s.body, inside);
      } else {
        const reads = adjointReads.get(s);
        seen = reads?.size ? union(seen, reads) : seen;
        const w = writesOf(s);
        if (w?.whole && !initialDefs.has(s) && !recomputedVars.has(w.name) && reassigned.has(w.name) && (seen.has(w.name) || captured.has(w.name)))
          saves.set(s, (counters.has(w.name) && s.k === "assign" && inverseOf(s.value, w.name)) || storageAt(loopDepth.get(s)!, numbers.has(w.name) ? "number" : "ref"));
      }
    }
    return seen;
  };
  visit(fn.body, new Set());

  const undoneInPlace = new Set<string>(captured);
  for (const reads of adjointReads.values()) for (const r of reads) undoneInPlace.add(r);
  // An element write into an array some adjoint reads saves the element it replaces.
  walkStmts(fn.body, (s, ctx) => {
    const w = writesOf(s);
    if (s.k !== "assign" || !w || w.whole || !undoneInPlace.has(w.name)) return;
    saves.set(s, storageAt(ctx.loops, an.typeOf(s.target).kind === "number" && !tested.has(w.name) ? "number" : "ref"));
  });
  const reservations = planReservations(fn, saves, retested, counters);
  const tripCounts = new Map<NStmt, number>();
  const countLoops = (ss: NStmt[]) =>
    ss.forEach((s, k) => {
      if (s.k === "if") [s.then, s.else].forEach(countLoops);
      if (s.k !== "loop") return;
      const n = countedIterations(s, ss[k - 1], counters);
      if (n !== undefined) tripCounts.set(s, n);
      countLoops(s.body);
    });
  countLoops(fn.body);
  return { saves, undoneInPlace, reassigned, initialDefs, loopDepth, adjointReads, recomputed, retested, reservations, tripCounts };
}

/** At most this many entries are reserved before a loop (a larger one grows the tape as it goes). */
const MAX_RESERVED = 1 << 22;

function planReservations(fn: NFunction, saves: Map<NStmt, Storage>, retested: Set<NStmt>, counters: Set<string>): Map<NStmt, { iterations: number; numbers: number; ints: number }> {
  const out = new Map<NStmt, { iterations: number; numbers: number; ints: number }>();
  const visitList = (ss: NStmt[]) => {
    ss.forEach((loop, k) => {
      if (loop.k === "if") {
        visitList(loop.then);
        visitList(loop.else);
        return;
      }
      if (loop.k !== "loop") return;
      let nested = false;
      let numbers = 0;
      let ints = 0;
      walkStmts(loop.body, (s) => {
        if (s.k === "loop") nested = true;
        // A decision is recorded in an int unless the pullback decides again (an over-count is harmless).
        if (s.k === "if" && !retested.has(s)) ints++;
        const save = saves.get(s);
        if (save?.where === "tape" && save.stack === "number") numbers++;
        if (save?.where === "tape" && save.stack === "int") ints++;
      });
      if (nested) {
        visitList(loop.body);
        return;
      }
      if (numbers + ints === 0) return;
      const iterations = countedIterations(loop, ss[k - 1], counters);
      if (iterations !== undefined && iterations * (numbers + ints) <= MAX_RESERVED) out.set(loop, { iterations, numbers, ints });
    });
  };
  visitList(fn.body);
  return out;
}

/**
 * How many times a counted loop runs: `c = A` right before it, a test `c < B` (or `<=`, `>`, `>=`)
 * with integer literals, and the counter stepped by a literal only at the end of the body (the
 * loop has no other exit: `break` and `return` are lowered into the test).
 */
function countedIterations(loop: NStmt & { k: "loop" }, before: NStmt | undefined, counters: Set<string>): number | undefined {
  const t = loop.test;
  if (t.type !== "BinaryExpression" || t.left.type !== "Identifier" || t.right.type !== "NumericLiteral" || !Number.isInteger(t.right.value)) return undefined;
  const c = t.left.name;
  if (!counters.has(c) || before?.k !== "assign" || before.target.type !== "Identifier" || before.target.name !== c || before.value.type !== "NumericLiteral") return undefined;
  const start = before.value.value;
  const last = loop.body[loop.body.length - 1];
  const step = last?.k === "assign" && last.target.type === "Identifier" && last.target.name === c ? stepOf(last.value, c) : undefined;
  if (!step || step.step <= 0) return undefined;
  let writes = 0;
  walkStmts(loop.body, (s) => {
    if (writesOf(s)?.name === c) writes++;
  });
  if (writes !== 1) return undefined;
  const end = t.right.value;
  const delta = step.operator === "+" ? step.step : -step.step;
  const span =
    t.operator === "<" && delta > 0 ? end - start
    : t.operator === "<=" && delta > 0 ? end - start + 1
    : t.operator === ">" && delta < 0 ? start - end
    : t.operator === ">=" && delta < 0 ? start - end + 1
    : undefined;
  if (span === undefined) return undefined;
  return Math.max(0, Math.ceil(span / Math.abs(delta)));
}

/** Operators cheap enough to evaluate again in the pullback (no calls: those cost what saving saves). */
const CHEAP_BINARY = new Set(["+", "-", "*", "/", "<", "<=", ">", ">=", "===", "!==", "==", "!="]);

function isCheap(e: Expression): boolean {
  switch (e.type) {
    case "Identifier":
    case "NumericLiteral":
    case "BooleanLiteral":
      return true;
    case "BinaryExpression":
      return CHEAP_BINARY.has(e.operator) && isCheap(e.left) && isCheap(e.right);
    case "UnaryExpression":
      return (e.operator === "-" || e.operator === "+" || e.operator === "!") && isCheap(e.argument);
    case "LogicalExpression":
      return (e.operator === "&&" || e.operator === "||") && isCheap(e.left) && isCheap(e.right);
    default:
      return false;
  }
}

/**
 * Recomputation instead of saving (see the header), per loop body, innermost loops included. An
 * assignment `v = E` at the top level of a loop body is recomputed when v is written nowhere else
 * and read nowhere outside that body, E is cheap, and everything E reads is, at the start of each
 * iteration's adjoint, what it was when E ran: a parameter or local written only before every loop
 * (its first write), a counter of this loop stepped only by the body's trailing statements (the
 * pullback steps it back before anything else of the iteration), or a value recomputed earlier in
 * the same body. A branch of the body (or nested in one of its branches) is decided again when its
 * test is cheap, reads only such values, comes after the recomputations it reads, and neither
 * branch writes what it reads. Bodies with local functions that capture are left alone.
 */
function planRecomputation(
  fn: NFunction,
  an: Analysis,
  counters: Set<string>,
  writeCount: Map<string, number>,
  captured: Set<string>,
  numbers: Set<string>,
): { recomputed: Map<NStmt, { assigns: NStmt[]; after: number }>; retested: Set<NStmt>; recomputedVars: Set<string> } {
  const recomputed = new Map<NStmt, { assigns: NStmt[]; after: number }>();
  const retested = new Set<NStmt>();
  const recomputedVars = new Set<string>();
  if (captured.size) return { recomputed, retested, recomputedVars };
  // Parameters never written, and locals written once by a statement at the top level: from that
  // statement on, the same value throughout the pullback (each loop checks the write comes first).
  const writtenAt = new Map<string, number>();
  const nested = new Set<string>();
  fn.body.forEach((top, index) =>
    walkStmts([top], (s) => {
      const w = writesOf(s);
      if (!w) return;
      if (s !== top) nested.add(w.name);
      writtenAt.set(w.name, index);
    }),
  );
  const fixedBefore = (index: number) => {
    const out = new Set<string>();
    for (const p of fn.params) if (!writtenAt.has(p.name)) out.add(p.name);
    for (const [name, n] of writeCount) if (n === 1 && fn.locals.has(name) && !nested.has(name) && writtenAt.get(name)! < index) out.add(name);
    return out;
  };
  const paramNames = new Set(fn.params.map((p) => p.name));
  /** Module constants and globals (not the function's own variables): unchanged by the loop unless it calls something. */
  const outside = (name: string) => !fn.locals.has(name) && !paramNames.has(name);

  const readOutside = (loop: NStmt & { k: "loop" }, name: string): boolean => {
    let found = false;
    const scan = (ss: NStmt[]) => {
      for (const s of ss) {
        if (s === loop) continue;
        if (stmtExpressions(s).some((e) => namesRead(e).has(name))) found = true;
        if (s.k === "if") {
          scan(s.then);
          scan(s.else);
        } else if (s.k === "loop") scan(s.body);
      }
    };
    scan(fn.body);
    return found || namesRead(fn.result).has(name);
  };

  /** Plans one loop given what is available around it, then the loops in its body. */
  const planLoop = (loop: NStmt & { k: "loop" }, around: Set<string>) => {
    const body = loop.body;
    let calls = false;
    walkStmts(body, (s) => {
      if (s.k === "call" || s.k === "effect") calls = true;
    });
    const writtenInside = new Set<string>();
    walkStmts(body, (s) => {
      const w = writesOf(s);
      if (w) writtenInside.add(w.name);
    });
    // The trailing counter steps (`i = i + 1` at the end of the body): undone first in each iteration's adjoint.
    let after = 0;
    const stepped = new Set<string>();
    for (let k = body.length - 1; k >= 0; k--) {
      const s = body[k]!;
      const w = writesOf(s);
      if (s.k !== "assign" || !w?.whole || !counters.has(w.name) || stepOfAny(s.value, w.name) === undefined) break;
      stepped.add(w.name);
      after++;
    }
    // A counter of this loop is usable only if nothing else in the body writes it.
    const trailing = body.slice(body.length - after);
    for (const c of [...stepped]) {
      let all = 0;
      walkStmts(body, (s) => {
        if (writesOf(s)?.name === c) all++;
      });
      if (all !== trailing.filter((s) => writesOf(s)?.name === c).length) stepped.delete(c);
    }
    // What the loop does not write keeps, through its adjoint, the value it has around it.
    const available = new Set<string>([...[...around].filter((n) => !writtenInside.has(n)), ...stepped]);
    const stable = (name: string) => available.has(name) || (!calls && outside(name));
    const assigns: NStmt[] = [];
    const availableAt = new Map<NStmt, Set<string>>();
    /** What the statements so far read (an earlier statement reading v sees the previous iteration's v). */
    const readBefore = new Set<string>();
    for (const s of body.slice(0, body.length - after)) {
      availableAt.set(s, new Set(available));
      const earlier = new Set(readBefore);
      walkStmts([s], (x) => stmtExpressions(x).forEach((e) => namesRead(e, readBefore)));
      const w = writesOf(s);
      if (s.k !== "assign" || !w?.whole || s.target.type !== "Identifier") continue;
      const v = w.name;
      const reads = namesRead(s.value);
      const ok =
        fn.locals.has(v) &&
        (writeCount.get(v) ?? 0) === 1 &&
        !counters.has(v) &&
        numbers.has(v) &&
        an.typeOfVar(v).kind === "number" &&
        isCheap(s.value) &&
        [...reads].every(stable) &&
        !reads.has(v) &&
        !earlier.has(v) &&
        !readOutside(loop, v);
      if (!ok) continue;
      assigns.push(s);
      available.add(v);
      recomputedVars.add(v);
    }
    // Branches whose tests read only what is available where they stand, and that do not write it.
    const considerIf = (s: NStmt, avail: Set<string>) => {
      if (s.k !== "if") return;
      const reads = namesRead(s.test);
      let writes = false;
      walkStmts([...s.then, ...s.else], (x) => {
        const w = writesOf(x);
        if (w && reads.has(w.name)) writes = true;
      });
      if (isCheap(s.test) && !writes && [...reads].every((r) => avail.has(r) || (!calls && outside(r)))) retested.add(s);
      for (const x of [...s.then, ...s.else]) considerIf(x, avail);
    };
    for (const s of body.slice(0, body.length - after)) considerIf(s, availableAt.get(s)!);
    if (assigns.length) recomputed.set(loop, { assigns, after });
    // Loops in the body (directly, or in its branches) see what is available where they stand.
    const inner = (ss: NStmt[], avail: Set<string>) => {
      for (const s of ss) {
        if (s.k === "loop") planLoop(s, avail);
        else if (s.k === "if") {
          inner(s.then, avail);
          inner(s.else, avail);
        }
      }
    };
    for (const s of body) inner([s], availableAt.get(s) ?? new Set());
  };
  const top = (ss: NStmt[], index: number) => {
    for (const s of ss) {
      if (s.k === "loop") planLoop(s, fixedBefore(index));
      else if (s.k === "if") {
        top(s.then, index);
        top(s.else, index);
      }
    }
  };
  fn.body.forEach((s, index) => top([s], index));
  return { recomputed, retested, recomputedVars };
}

/** `v ± k` for any literal k (a counter's step). */
function stepOfAny(e: Expression, name: string): number | undefined {
  return stepOf(e, name)?.step;
}

/** Where what a statement at `depth` loops records goes: a local outside loops, else the tape stack for its kind. */
export function storageAt(depth: number, stack: "number" | "int" | "ref"): Storage {
  return depth === 0 ? { where: "local" } : { where: "tape", stack };
}

/**
 * Variables the number stack (a Float64Array) can keep: every write gives them a number, and no
 * expression can tell `undefined` from NaN on them (for arrays: on their elements). Before its first write a local holds
 * `undefined`, which the stack would give back as NaN; that only matters where the code tests for
 * it (`t ?? 1`, `t === undefined`, `typeof t`, `t ? … : …`): those locals go on the reference stack.
 */
function numberVariables(fn: NFunction, an: Analysis, tested: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const p of fn.params) if (an.typeOfVar(p.name).kind === "number") out.add(p.name);
  const rejected = new Set(tested);
  walkStmts(fn.body, (s) => {
    const w = writesOf(s);
    if (!w?.whole) return;
    const valueType = s.k === "assign" ? an.typeOf(s.value) : s.k === "call" && s.target ? an.typeOf(s.target) : undefined;
    if (valueType?.kind !== "number" || an.typeOfVar(w.name).kind !== "number") rejected.add(w.name);
    else out.add(w.name);
  });
  for (const r of rejected) out.delete(r);
  return out;
}

/**
 * Variables read where `undefined` and NaN differ: the left of `??`, equality, `typeof`. (Both are
 * falsy and compare false with `<`, so truthiness tests and ordering cannot tell them apart.)
 */
function undefinedTested(fn: NFunction): Set<string> {
  const out = new Set<string>();
  const scan = (e: Expression) =>
    forEachExpression(e, (x) => {
      if (x.type === "LogicalExpression" && x.operator === "??") namesRead(x.left, out);
      else if (x.type === "BinaryExpression" && ["==", "!=", "===", "!=="].includes(x.operator)) {
        namesRead(x.left, out);
        namesRead(x.right, out);
      } else if (x.type === "UnaryExpression" && x.operator === "typeof") namesRead(x.argument, out);
    });
  walkStmts(fn.body, (s) => stmtExpressions(s).forEach(scan));
  scan(fn.result);
  return out;
}

/** `v + k` / `v - k` with an integer k: undone by the opposite step. */
function stepOf(e: Expression, name: string): { operator: "+" | "-"; step: number } | undefined {
  if (e.type !== "BinaryExpression" || (e.operator !== "+" && e.operator !== "-")) return undefined;
  if (e.left.type !== "Identifier" || e.left.name !== name || e.right.type !== "NumericLiteral" || !Number.isInteger(e.right.value)) return undefined;
  return { operator: e.operator, step: e.right.value };
}

/** How to undo `v = v ± k`; undefined for other writes (`v = 0` is saved like any other value). */
function inverseOf(e: Expression, name: string): Storage | undefined {
  const step = stepOf(e, name);
  return step && { where: "inverse", operator: step.operator === "+" ? "-" : "+", step: step.step };
}

function isIntegerLiteral(e: Expression): boolean {
  if (e.type === "UnaryExpression" && e.operator === "-") return isIntegerLiteral(e.argument);
  return e.type === "NumericLiteral" && Number.isSafeInteger(e.value);
}

/**
 * Locals that only ever hold integers because every write is an integer literal or a step by an
 * integer (`i = 0`, `i = i + 1`): their steps are undone exactly (below 2^53) instead of saved.
 */
function integerCounters(fn: NFunction): Set<string> {
  const candidates = new Set<string>();
  const rejected = new Set<string>(fn.params.map((p) => p.name));
  walkStmts(fn.body, (s) => {
    const w = writesOf(s);
    if (!w) return;
    const ok = w.whole && s.k === "assign" && (isIntegerLiteral(s.value) || stepOf(s.value, w.name) !== undefined);
    if (ok) candidates.add(w.name);
    else rejected.add(w.name);
  });
  for (const r of rejected) candidates.delete(r);
  return candidates;
}

function isTopLevel(body: NStmt[], s: NStmt): boolean {
  return body.includes(s);
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  if (!b.size || a === b) return a;
  if (!a.size) return b;
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

function readsBelow(ss: NStmt[], adjointReads: Map<NStmt, Set<string>>): Set<string> {
  const out = new Set<string>();
  walkStmts(ss, (s) => adjointReads.get(s)?.forEach((r) => out.add(r)));
  return out;
}

/**
 * The variables the adjoint of a leaf statement reads: the operands a partial derivative
 * multiplies by, tests of `?:`, indices. Inactive parts have no adjoint; a variable that is only
 * added or moved (`s = s + t`, `v = v + 0.01 * f`) needs no saved values at all.
 */
export function adjointReadsOf(s: NStmt, an: Analysis): Set<string> {
  const read = new Set<string>();
  const all = (e: Expression | null | undefined) => namesRead(e, read);
  const reads = (e: Expression | null | undefined): void => {
    if (!e || !an.isActive(e)) return;
    switch (e.type) {
      case "Identifier":
        if (an.typeOf(e).kind !== "number") read.add(e.name); // zeros of its shape are taken from it
        return;
      case "MemberExpression":
        reads(e.object);
        if (e.computed) all(e.property);
        return;
      case "BinaryExpression": {
        const l = an.isActive(e.left);
        const r = an.isActive(e.right);
        if (e.operator === "+" || e.operator === "-") {
          reads(e.left);
          reads(e.right);
        } else if (e.operator === "*") {
          // ∂(l·r)/∂l = r and ∂(l·r)/∂r = l: each side's value is needed only for the other's adjoint.
          if (l) all(e.right);
          if (r) all(e.left);
          reads(e.left);
          reads(e.right);
        } else if (e.operator === "/" && !r) {
          all(e.right);
          reads(e.left);
        } else all(e);
        return;
      }
      case "UnaryExpression":
        reads(e.argument);
        return;
      case "ConditionalExpression":
        all(e.test);
        reads(e.consequent);
        reads(e.alternate);
        return;
      case "LogicalExpression":
        all(e.left);
        reads(e.right);
        return;
      case "ArrayExpression":
        e.elements.forEach((x) => reads(x && x.type === "SpreadElement" ? x.argument : x));
        return;
      case "ObjectExpression":
        e.properties.forEach((p) => reads(p.type === "ObjectProperty" ? p.value : p.argument));
        return;
      default:
        all(e);
    }
  };
  const w = writesOf(s);
  const targetActive = !!w && an.active.has(w.name);
  switch (s.k) {
    case "assign":
      if (targetActive || an.isActive(s.value)) {
        reads(s.value);
        if (s.target.type === "MemberExpression") reads(s.target);
      }
      break;
    case "push":
      if (targetActive || an.isActive(s.value)) reads(s.value);
      break;
    case "call":
      if (an.callIsActive(s)) {
        s.call.args.forEach(reads);
        // A Tensor method's pullback also sends a cotangent to the object it was called on, so the
        // adjoint reads its index too: without this, `acc.add(ts[i].mul(2))` in a loop did not
        // restore `i`, and every iteration's cotangent went to ts[<final i>] (found by
        // e2e/test/property-tensors.test.ts).
        if (isReceiverCall(s.call)) reads(s.call.thisArg);
      }
      break;
    default:
      break;
  }
  return read;
}

/** The plan in words, one line per decision: what the golden tests compare. */
export function describeTapePlan(fn: NFunction, plan: TapePlan, quote: (s: NStmt) => string): string {
  const lines: string[] = [];
  walkStmts(fn.body, (s, ctx) => {
    const pad = "  ".repeat(ctx.depth);
    const reads = plan.adjointReads.get(s);
    const save = plan.saves.get(s);
    const parts: string[] = [];
    if (reads?.size) parts.push(`adjoint reads ${[...reads].sort().join(", ")}`);
    if (save) {
      const where = save.where === "local" ? "local" : save.where === "tape" ? `tape ${save.stack}` : `undone by ${save.operator} ${save.step}`;
      parts.push(`${save.where === "inverse" ? "restores" : "saves"} ${writesOf(s)!.name} (${where})`);
    }
    if (plan.initialDefs.has(s)) parts.push("first write");
    const trips = plan.tripCounts.get(s);
    if (s.k === "loop") parts.push(trips !== undefined ? `trip count: ${trips} (counted)` : ctx.loops === 0 ? "trip count: local" : "trip count: tape int");
    const room = plan.reservations.get(s);
    if (room) parts.push(`room for ${room.numbers * room.iterations} numbers, ${room.ints * room.iterations} ints reserved`);
    if (s.k === "if") parts.push(ctx.loops === 0 ? "branch: local" : plan.retested.has(s) ? "branch: tested again" : "branch: tape int");
    if (s.k === "assign" && [...plan.recomputed.values()].some((r) => r.assigns.includes(s))) parts.push(`recomputed ${writesOf(s)!.name}`);
    lines.push(`${pad}${quote(s)}${parts.length ? `  -- ${parts.join("; ")}` : ""}`);
  });
  lines.push(`reassigned: ${[...plan.reassigned].sort().join(", ") || "-"}`);
  lines.push(`undone in place when written below: ${[...plan.undoneInPlace].sort().join(", ") || "-"}`);
  return lines.join("\n");
}
