// Property tests: random programs generated as source text (harness/programs.ts), compiled
// in batches (one module per property and host, with the operators applied inside it), then
// checked with fast-check: gradient vs finite differences, forward vs reverse, primal
// unchanged. Seeded: set E2E_SEED to reproduce a printed seed; E2E_RUNS scales the run count.

import { describe, test } from "@jest/globals";

import * as path from "path";
import fc from "fast-check";
import { DEFAULT_TOL, assertClose, close, finiteDifferenceGradient, forwardVsReverse, mulberry32 } from "../harness/check";
import { CORPUS_DIR, HostName, compilePlain, compileWith } from "../harness/compile";
import { Program, Shape, batchModule, functionSourceOf, program } from "../harness/programs";

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

type Compiled = { f: (x: number, y: number) => number; gradient: (x: number, y: number) => any; differential: (x: number, y: number) => (dx: number, dy: number) => any; plain: (x: number, y: number) => number };

/** Compiles programs in one batch module per host; falls back to smaller batches to isolate failures. */
class ProgramCache {
  private readonly byBody = new Map<string, Compiled | Error>();
  private counter = 0;
  constructor(
    private readonly host: HostName,
    private readonly tag: string,
  ) {}

  prepare(programs: Program[]): void {
    const fresh = [...new Map(programs.filter((p) => !this.byBody.has(p.body)).map((p) => [p.body, p])).values()];
    this.compileGroup(fresh);
  }

  get(p: Program): Compiled {
    if (!this.byBody.has(p.body)) this.compileGroup([p]);
    const r = this.byBody.get(p.body)!;
    if (r instanceof Error) throw r;
    return r;
  }

  private compileGroup(programs: Program[]): void {
    if (!programs.length) return;
    const id = this.counter++;
    const names = programs.map((_, i) => `p${i}`);
    const file = path.join(CORPUS_DIR, `__e2e_property_${this.tag}_${id}.ts`);
    try {
      const mod = compileWith(this.host, batchModule(names, programs, true), file);
      const plain = compilePlain(batchModule(names, programs, false), file);
      programs.forEach((p, i) => {
        const n = names[i]!;
        this.byBody.set(p.body, { f: mod[n], gradient: mod.__e2e_ops[n].gradient, differential: mod.__e2e_ops[n].differential, plain: plain[n] });
      });
    } catch (e: any) {
      if (programs.length === 1) {
        this.byBody.set(programs[0]!.body, e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const k = Math.max(1, Math.ceil(programs.length / 8));
      for (let i = 0; i < programs.length; i += k) this.compileGroup(programs.slice(i, i + k));
    }
  }
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

for (const host of HOSTS) {
  describe(`${host} host: random programs`, () => {
    PROPERTIES.forEach(({ name, shape, numRuns: baseRuns }, index) => {
      const numRuns = Math.max(1, Math.round(baseRuns * RUN_SCALE));
      const seed = SEED + index;
      test(`${name} (${numRuns} programs, seed ${seed})`, () => {
        const arb = program(shape);
        const cache = new ProgramCache(host, `${host.replace(/\W/g, "")}_${index}`);
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
          const r = forwardVsReverse(c.differential, c.gradient, [p.x, p.y], [0, 1], mulberry32(Math.round(p.x * 1000) ^ 0x5eed));
          assertClose(r.forward, r.reverse, `forward vs reverse, u = ${JSON.stringify(r.tangents)}`);
        };
        fc.assert(
          fc.property(arb, (p) => {
            try {
              check(p);
            } catch (e: any) {
              if (fc.PreconditionFailure.isFailure(e)) throw e;
              throw new Error(`${e?.message ?? e}\nat (x, y) = (${p.x}, ${p.y})\n${functionSourceOf("f", p)}`);
            }
          }),
          { seed, numRuns, maxSkipsPerRun: 100, interruptAfterTimeLimit: 90_000 },
        );
        // eslint-disable-next-line no-console
        if (skipped) console.info(`${host} / ${name}: ${skipped} of ${numRuns} points skipped (non-smooth or huge)`);
      }, 180_000);
    });
  });
}
