// Property tests: random programs generated as source text (harness/programs.ts), compiled
// in batches (one module per property and host, with the operators applied inside it), then
// checked with fast-check: gradient vs finite differences, forward vs reverse, primal
// unchanged. Seeded: set E2E_SEED to reproduce a printed seed; E2E_RUNS scales the run count.

import { describe, expect, test } from "@jest/globals";

import fc from "fast-check";
import { runProperty } from "../harness/property-run";
import { DEFAULT_TOL, assertClose, close, deepClone, describe as describeValue, finiteDifferenceGradient, flatten, forwardVsReverse, mulberry32, unflatten } from "../harness/check";
import { BatchCompileCache } from "../harness/batch-cache";
import { E2E_ROOT, HOST_OPTIONS, HostName, compilePlain, compileWith, compiledCode } from "../harness/compile";
import { Program, Shape, batchModule, functionSourceOf, program } from "../harness/programs";
import { ArrayProgram, ArrayShape, arrayBatchModule, arrayProgram, arrayProgramKey, arraySourceOf } from "../harness/programs-arrays";

// These programs are never differentiated twice: first-order code only (the default, written out
// because the corpus tests set "exported"; with it these compiles take about four times as long).
HOST_OPTIONS.secondOrder = "requested";

const SEED = process.env.E2E_SEED ? Number(process.env.E2E_SEED) : 20240611;
const RUN_SCALE = process.env.E2E_RUNS ? Number(process.env.E2E_RUNS) : 1;
const HOSTS: HostName[] = (process.env.E2E_HOSTS?.split(",") as HostName[] | undefined) ?? ["babel", "ts-patch"];

// eslint-disable-next-line no-console
console.info(`property tests: seed ${SEED} (reproduce with E2E_SEED=${SEED})`);

const PROPERTIES: { name: string; shape: Shape; numRuns: number }[] = [
  { name: "expressions", shape: { depth: 4, branches: false, loops: false, maxStatements: 0 }, numRuns: 120 },
  { name: "let reassignment and if branches", shape: { depth: 3, branches: true, loops: false, maxStatements: 4 }, numRuns: 100 },
  { name: "loops (constant and input-dependent trip counts, early returns)", shape: { depth: 2, branches: true, loops: true, maxStatements: 3 }, numRuns: 100 },
];

type Fn = (...args: any[]) => any;
type Compiled = { f: Fn; gradient: Fn; valueWithGradient?: Fn; pullback?: (...args: any[]) => Fn; differential: (...args: any[]) => Fn; plain: Fn };

/** Compiles programs in batch modules per host (see BatchCompileCache), with the plain primal beside each. */
function programCache<P>(host: HostName, tag: string, keyOf: (p: P) => string, moduleOf: (names: readonly string[], programs: readonly P[], withOps: boolean) => string) {
  return new BatchCompileCache<P, Compiled>(`__e2e_property_${tag}`, keyOf, (names, programs, file) => {
    const mod = compileWith(host, moduleOf(names, programs, true), file);
    const plain = compilePlain(moduleOf(names, programs, false), file);
    return names.map((n) => ({ f: mod[n], gradient: mod.__e2e_ops[n].gradient, valueWithGradient: mod.__e2e_ops[n].valueWithGradient, pullback: mod.__e2e_ops[n].pullback, differential: mod.__e2e_ops[n].differential, plain: plain[n] }));
  });
}

/** Central differences at steps 1e-6 and 1e-5 agree: the point is away from kinks (branch edges). */
function smoothAt(f: (x: number, y: number) => number, x: number, y: number): boolean {
  const d = (h: number) => [0, 1].map((k) => {
    const at = (t: number) => (k === 0 ? f(x + t, y) : f(x, y + t));
    const hx = h * Math.max(1, Math.abs(k === 0 ? x : y));
    return (at(hx) - at(-hx)) / (2 * hx);
  });
  const a = d(1e-6);
  const b = d(1e-5);
  return a.every((v, i) => Number.isFinite(v) && close(v, b[i]!, 1e-7));
}

/** Runs `check` on generated programs (e2e/harness/property-run.ts): fails on interruption, or when too many points are skipped. */
function assertProperty<Q>(arb: fc.Arbitrary<Q>, check: (p: Q) => void, context: (p: Q) => string, seed: number, numRuns: number): void {
  runProperty(arb, check, context, { seed, numRuns, timeLimitMs: 150_000, maxSkippedShare: 0.1 });
}

for (const host of HOSTS) {
  describe(`${host} host: random programs`, () => {
    PROPERTIES.forEach(({ name, shape, numRuns: baseRuns }, index) => {
      const numRuns = Math.max(1, Math.round(baseRuns * RUN_SCALE));
      const seed = SEED + index;
      test(`${name} (${numRuns} programs, seed ${seed})`, () => {
        const arb = program(shape);
        const cache = programCache<Program>(host, `${host.replace(/\W/g, "")}_${index}`, (p) => p.body, batchModule);
        cache.prepare(fc.sample(arb, { seed, numRuns }));
        let skipped = 0;
        const check = (p: Program) => {
          const c = cache.get(p);
          const v = c.f(p.x, p.y);
          const primal = c.plain(p.x, p.y);
          if (!Object.is(v, primal)) throw new Error(`primal changed: compiled ${v}, plain ${primal}`);
          // only points where finite differences are reliable
          if (!(Number.isFinite(v) && Math.abs(v) < 1e4 && smoothAt(c.f, p.x, p.y))) {
            skipped++;
            fc.pre(false);
          }
          const g = c.gradient(p.x, p.y);
          assertClose(g, finiteDifferenceGradient(c.f, [p.x, p.y]), "gradient vs finite differences", DEFAULT_TOL);
          // The two reverse modes run the same adjoint statements: the VJP's pullback (seeded with 1)
          // and the fused gradient (its tape in locals, its dead code removed) agree to rounding.
          assertClose(c.pullback!(p.x, p.y)(1), g, "the VJP's pullback vs the fused gradient", 1e-12);
          const vg = c.valueWithGradient!(p.x, p.y);
          if (!Object.is(vg.value, v)) throw new Error(`valueWithGradient's value ${vg.value}, the function's ${v}`);
          assertClose(vg.gradient, g, "valueWithGradient's gradient vs the fused gradient", 1e-12);
          const r = forwardVsReverse(c.differential, c.gradient, [p.x, p.y], [0, 1], mulberry32(Math.round(p.x * 1000) ^ 0x5eed));
          assertClose(r.forward, r.reverse, `forward vs reverse, u = ${JSON.stringify(r.tangents)}`);
        };
        assertProperty(arb, check, (p) => `at (x, y) = (${p.x}, ${p.y})\n${functionSourceOf("f", p)}`, seed, numRuns);
        // eslint-disable-next-line no-console
        if (skipped) console.info(`${host} / ${name}: ${skipped} of ${numRuns} points skipped (non-smooth or huge)`);
        if (shape.loops) {
          // The loop programs must reach the tape plan's recomputation (loop-local consts of the
          // parameters and the counter, branches on them), else the property says nothing of it.
          const sample = fc.sample(arb, { seed, numRuns: 40 });
          const code = compiledCode(host, batchModule(sample.map((_, i) => `f${i}`), sample, true), `${E2E_ROOT}/__e2e_property_recompute_${host.replace(/\W/g, "")}.ts`);
          const recomputed = code.split("// recompute:").length - 1;
          const retested = (code.match(/\/\/ grad of: if \(t [<>]/g) ?? []).length;
          // Counted loops that record reserve their room first and record unchecked (tape-plan.ts reservations).
          const reserved = code.split(".reserve(").length - 1;
          // Every program is scalar code the module takes gradient and valueWithGradient of: each has both fused functions.
          expect(code.match(/function f\d+\$grad\(/g)?.length).toBe(40);
          expect(code.match(/function f\d+\$valueWithGradient\(/g)?.length).toBe(40);
          // eslint-disable-next-line no-console
          console.info(`${host} / ${name}: in 40 programs, ${recomputed} recomputations, ${retested} branches on a loop-local value, ${reserved} reserved loops`);
          expect(recomputed).toBeGreaterThanOrEqual(10);
          expect(reserved).toBeGreaterThanOrEqual(5);
        }
      }, 180_000);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Second family: arrays, objects and calls (harness/programs-arrays.ts). Each program is
// `f(x: number, y: number, v: number[])` with its helpers; gradients are checked for every
// parameter (v flattened), and calls must leave `v` unchanged.

// Scalars are generated without type annotations (their types are inferred). Results of calls
// that are written into are copied with .slice(): a function may return its own argument, so
// writing into an uncopied result is a CT1009 error by design. E2E_NO_WORKAROUNDS=1 also drops
// that copy (expect CT1009 errors then).
const WITHOUT_WORKAROUNDS = process.env.E2E_NO_WORKAROUNDS === "1";
const ARRAY_PROPERTIES: { name: string; shape: ArrayShape; numRuns: number }[] = [
  { name: "arrays, objects and calls (helpers, recursion, for…of, nested loops, destructuring)", shape: { depth: 2, maxStatements: 4, maxNesting: 2, annotateScalars: false, copyCallResults: !WITHOUT_WORKAROUNDS }, numRuns: 220 },
];

/** As `smoothAt`, over every number of the (flattened) arguments. */
function smoothAtArgs(f: Fn, args: readonly unknown[]): boolean {
  const flat = flatten(args);
  const at = (k: number, t: number) => f(...(unflatten(args as unknown[], flat.map((v, i) => (i === k ? v + t : v))) as unknown[]));
  const d = (h: number) => flat.map((v, k) => {
    const hx = h * Math.max(1, Math.abs(v));
    return (at(k, hx) - at(k, -hx)) / (2 * hx);
  });
  const a = d(1e-6);
  const b = d(1e-5);
  return a.every((v, i) => Number.isFinite(v) && close(v, b[i]!, 1e-7));
}

for (const host of HOSTS) {
  describe(`${host} host: random programs with arrays, objects and calls`, () => {
    ARRAY_PROPERTIES.forEach(({ name, shape, numRuns: baseRuns }, index) => {
      const numRuns = Math.max(1, Math.round(baseRuns * RUN_SCALE));
      const seed = SEED + 100 + index;
      test(`${name} (${numRuns} programs, seed ${seed})`, () => {
        const arb = arrayProgram(shape);
        const cache = programCache<ArrayProgram>(host, `${host.replace(/\W/g, "")}_arrays_${index}`, arrayProgramKey, arrayBatchModule);
        cache.prepare(fc.sample(arb, { seed, numRuns }));
        let skipped = 0;
        const check = (p: ArrayProgram) => {
          const c = cache.get(p);
          const args: unknown[] = [p.x, p.y, p.v];
          const passed = deepClone(args);
          const v = c.f(...passed);
          if (describeValue(passed) !== describeValue(args)) throw new Error(`the function wrote into its arguments: ${describeValue(passed)}`);
          const primal = c.plain(...deepClone(args));
          if (!Object.is(v, primal)) throw new Error(`primal changed: compiled ${v}, plain ${primal}`);
          // only points where finite differences are reliable
          if (!(Number.isFinite(v) && Math.abs(v) < 1e4 && smoothAtArgs(c.f, args))) {
            skipped++;
            fc.pre(false);
          }
          const g = c.gradient(...passed);
          if (describeValue(passed) !== describeValue(args)) throw new Error(`gradient wrote into its arguments: ${describeValue(passed)}`);
          assertClose(g, finiteDifferenceGradient(c.f, args), "gradient vs finite differences", DEFAULT_TOL);
          const r = forwardVsReverse(c.differential, c.gradient, args, [0, 1, 2], mulberry32(Math.round(p.x * 1000) ^ 0x5eed));
          assertClose(r.forward, r.reverse, `forward vs reverse, u = ${JSON.stringify(r.tangents)}`);
        };
        assertProperty(arb, check, (p) => `at (x, y, v) = (${p.x}, ${p.y}, ${JSON.stringify(p.v)})\n${arraySourceOf("f", p)}`, seed, numRuns);
        // eslint-disable-next-line no-console
        if (skipped) console.info(`${host} / ${name}: ${skipped} of ${numRuns} points skipped (non-smooth or huge)`);
      }, 240_000);
    });
  });
}
