// The corpus (e2e/corpus/*.ts) through each host: every case's gradient against finite
// differences, forward mode against reverse mode, pullback linearity, valueWithGradient,
// primal unchanged, second order where flagged, and operators applied across modules.
// Failures are also written to e2e/out/corpus-failures.<host>.json (with the function's source).

import { afterAll, describe, test, expect } from "@jest/globals";

import * as fs from "fs";
import * as path from "path";
import {
  assertClose,
  compareTrees,
  deepClone,
  describe as show,
  finiteDifferenceDerivative,
  finiteDifferenceGradient,
  forwardVsReverse,
  gradientParts,
  mulberry32,
  randomLike,
  scale,
  type Tree,
} from "../harness/check";
import { E2E_ROOT, HOST_OPTIONS, HostName, compilePlain } from "../harness/compile";
import {
  CorpusCase,
  CorpusFile,
  compileCrossModule,
  compileFirstOrder,
  compileSecondOrder,
  functionSource,
  lazy,
  loadCorpus,
} from "../harness/corpus";

const HOSTS: HostName[] = (process.env.E2E_HOSTS?.split(",") as HostName[] | undefined) ?? ["babel", "ts-patch"];
// The corpus files are built as a library would be for importers that differentiate twice: with
// second derivatives of their exported marks (the cross-module second-order rows need them).
HOST_OPTIONS.secondOrder = "exported";
const corpus = loadCorpus();

interface Failure {
  host: HostName;
  id: string;
  check: string;
  message: string;
  source: string;
  args?: unknown;
}
const failures: Failure[] = [];

afterAll(() => {
  const dir = path.join(E2E_ROOT, "out");
  fs.mkdirSync(dir, { recursive: true });
  for (const host of HOSTS) {
    const mine = failures.filter((f) => f.host === host);
    fs.writeFileSync(path.join(dir, `corpus-failures.${host}.json`), JSON.stringify(mine, null, 2));
  }
});

function ensureFn(v: unknown, what: string): (...a: any[]) => any {
  if (typeof v !== "function") throw new Error(`${what} is not a function (got ${show(v)})`);
  return v as any;
}

interface Row {
  id: string;
  cf: CorpusFile;
  c: CorpusCase;
}

/** Runs one check; on failure records it and rethrows with the function's source appended. */
function recorded(host: HostName, row: Row, check: string, body: () => void): void {
  try {
    body();
  } catch (e: any) {
    const source = functionSource(row.cf, row.c.name);
    const message = String(e?.message ?? e);
    failures.push({ host, id: row.id, check, message: message.slice(0, 4000), source, args: row.c.args() });
    const err = new Error(`${message}\n\nargs: ${show(row.c.args())}\n--- source (${row.cf.base}.ts) ---\n${source}`);
    err.stack = `${err.message}\n${String(e?.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
    throw err;
  }
}

for (const host of HOSTS) {
  describe(`${host} host`, () => {
    for (const cf of corpus) {
      const first = lazy(() => compileFirstOrder(host, cf));
      const second = lazy(() => compileSecondOrder(host, cf));
      const cross = lazy(() => compileCrossModule(host, cf));
      const plain = lazy(() => compilePlain(cf.source, cf.file));
      const rows: Row[] = cf.cases.map((c) => ({ id: `${cf.base}.${c.label ?? c.name}`, cf, c }));

      describe(`${cf.base}.ts`, () => {
        test("compiles (with first-order operators applied in the module)", () => {
          first();
        });

        const f = (row: Row) => ensureFn(first().module[row.c.name], `compiled export ${row.c.name}`);
        const op = (row: Row, name: string) => ensureFn(first().ops[row.c.name]?.[name], `${name}(${row.c.name})`);
        const wrtOf = (row: Row, args: unknown[]) => row.c.wrt ?? args.map((_, i) => i);

        test.each(rows)("$id: gradient ≈ finite differences", (row) => {
          recorded(host, row, "gradient vs finite differences", () => {
            const args = row.c.args();
            const g = op(row, "gradient")(...deepClone(args));
            const expected = row.c.expectedGradient
              ? row.c.expectedGradient(...deepClone(args))
              : finiteDifferenceGradient(f(row), args, row.c.wrt);
            assertClose(g, expected, `gradient(${row.c.name}) vs ${row.c.expectedGradient ? "expectedGradient" : "central finite differences"}`);
          });
        });

        test.each(rows)("$id: forward (differential) ≈ reverse (gradient)", (row) => {
          recorded(host, row, "forward vs reverse", () => {
            const args = row.c.args();
            const rng = mulberry32(0xc0ffee);
            for (let k = 0; k < 2; k++) {
              const r = forwardVsReverse(op(row, "differential"), op(row, "gradient"), args, wrtOf(row, args), rng);
              assertClose(
                r.forward,
                r.reverse,
                `differential(${row.c.name})(...args)(...u) vs <gradient, u>, u = ${show(r.tangents)}\n(forward, reverse)`,
              );
            }
            // valueWithDifferential: value = f(args), differential matches differential()
            const rng2 = mulberry32(7);
            const tangents = wrtOf(row, args).map((p) => randomLike(args[p] as Tree, rng2));
            const vwd = op(row, "valueWithDifferential")(...deepClone(args));
            expect(vwd).toBeDefined();
            assertClose(vwd.value, f(row)(...deepClone(args)), `valueWithDifferential(${row.c.name}).value vs f(args)`);
            const viaVwd = ensureFn(vwd.differential, "valueWithDifferential(...).differential")(...deepClone(tangents));
            const viaDiff = op(row, "differential")(...deepClone(args))(...deepClone(tangents));
            assertClose(viaVwd, viaDiff, "valueWithDifferential(...).differential vs differential(...)");
          });
        });

        test.each(rows)("$id: pullback(ct) = ct · gradient", (row) => {
          recorded(host, row, "pullback", () => {
            const args = row.c.args();
            const g = op(row, "gradient")(...deepClone(args));
            const pb = ensureFn(op(row, "pullback")(...deepClone(args)), `pullback(${row.c.name})(...args)`);
            const ct = -1.75;
            const got = pb(ct);
            const count = wrtOf(row, args).length;
            const expected = gradientParts(g, count).map((p) => scale(p as Tree, ct));
            assertClose(got, count === 1 ? expected[0] : expected, `pullback(${row.c.name})(...args)(${ct}) vs ${ct} * gradient`);
          });
        });

        test.each(rows)("$id: valueWithGradient = { f(args), gradient }", (row) => {
          recorded(host, row, "valueWithGradient", () => {
            const args = row.c.args();
            const r = op(row, "valueWithGradient")(...deepClone(args));
            expect(r).toBeDefined();
            const value = f(row)(...deepClone(args));
            assertClose(r.value, value, `valueWithGradient(${row.c.name}).value vs f(args)`, 0);
            assertClose(r.gradient, op(row, "gradient")(...deepClone(args)), `valueWithGradient(${row.c.name}).gradient vs gradient`, 1e-12);
          });
        });

        test.each(rows)("$id: primal unchanged (same value as the plain compile)", (row) => {
          recorded(host, row, "primal unchanged", () => {
            const args = row.c.args();
            const got = f(row)(...deepClone(args));
            const want = ensureFn(plain()[row.c.name], `plain export ${row.c.name}`)(...deepClone(args));
            if (!Object.is(got, want)) throw new Error(`compiled ${row.c.name}(...args) = ${got}, plain = ${want}`);
          });
        });

        const secondRows = rows.filter((r) => r.c.secondOrder);
        if (secondRows.length) {
          test.each(secondRows)("$id: derivative(derivative(f)) ≈ finite differences of derivative(f)", (row) => {
            recorded(host, row, "second order (derivative∘derivative)", () => {
              const ops = second()!.ops[row.c.name];
              const [x] = row.c.args() as number[];
              const d1 = ensureFn(ops?.d1, `derivative(${row.c.name})`);
              const d2 = ensureFn(ops?.d2, `derivative(derivative(${row.c.name}))`);
              assertClose(d1(x), finiteDifferenceDerivative(f(row), x!), `derivative(${row.c.name})(x) vs FD of f`);
              assertClose(d2(x), finiteDifferenceDerivative(d1, x!), `derivative(derivative(${row.c.name}))(x) vs FD of derivative(f)`);
            });
          });
          test.each(secondRows)("$id: gradient(gradient(f)) ≈ finite differences of gradient(f)", (row) => {
            recorded(host, row, "second order (gradient∘gradient)", () => {
              const ops = second()!.ops[row.c.name];
              const [x] = row.c.args() as number[];
              const g1 = ensureFn(ops?.g1, `gradient(${row.c.name})`);
              const g2 = ensureFn(ops?.g2, `gradient(gradient(${row.c.name}))`);
              assertClose(g2(x), finiteDifferenceDerivative(g1, x!), `gradient(gradient(${row.c.name}))(x) vs FD of gradient(f)`);
            });
          });
        }

        test.each(rows)("$id: operators applied in another module match", (row) => {
          recorded(host, row, "cross-module operators", () => {
            const args = row.c.args();
            const ops = cross().ops[row.c.name];
            const g = ensureFn(ops?.gradient, `cross-module gradient(${row.c.name})`)(...deepClone(args));
            const c = compareTrees(g, op(row, "gradient")(...deepClone(args)), 1e-12);
            if (!c.ok) throw new Error(`cross-module gradient vs same-module gradient:\n${c.message}`);
            const rng = mulberry32(3);
            const r = forwardVsReverse(ensureFn(ops?.differential, "cross-module differential"), op(row, "gradient"), args, wrtOf(row, args), rng);
            assertClose(r.forward, r.reverse, "cross-module differential vs same-module gradient");
          });
        });

        if (secondRows.length) {
          test.each(secondRows)("$id: second derivatives of the function imported into another module match", (row) => {
            recorded(host, row, "cross-module second order", () => {
              const ops = cross().ops[row.c.name];
              const same = second()!.ops[row.c.name];
              const [x] = row.c.args() as number[];
              for (const [key, what] of [["d2", "derivative(derivative(f))"], ["g2", "gradient(gradient(f))"], ["dg", "derivative(gradient(f))"]] as const) {
                const got = ensureFn(ops?.[key], `cross-module ${what}`)(x);
                assertClose(got, ensureFn(same?.d2, "same-module derivative(derivative(f))")(x), `cross-module ${what} vs same-module derivative(derivative(f))`, 1e-12);
              }
            });
          });
        }
      });
    }
  });
}
