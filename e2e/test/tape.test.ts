// What reverse mode records, at run time through both hosts: the pooled tape is shared by no two
// runs at once (a derivative called inside another's loop, pullbacks kept and run later or never),
// a pullback that restores state runs once (CT3002), and one that restores nothing can run again.

import { describe, expect, test } from "@jest/globals";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

const SOURCE = `
import { gradient, valueWithPullback } from "@cotangent/runtime";

/** @differentiable */
export function inner(x: number, n: number): number {
  let r = 1;
  for (let k = 0; k < n; k++) {
    r = r * x + Math.sin(r);
  }
  return r;
}

/** @differentiable */
export function outer(x: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const v = inner(x + i * 0.1, 3);
    if (v > 1) s = s + v * v;
    else s = s - v;
  }
  return s;
}

/** Only its trip count is recorded, in a local the pullback counts down. */
/** @differentiable */
export function countOnly(x: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s = s + x;
  return s;
}

/** Straight-line code with nothing overwritten: its pullback restores nothing. */
/** @differentiable */
export function pure(x: number): number {
  const y = x * x;
  return Math.sin(y) * x;
}

/** A top-level branch is recorded in a local the pullback only reads: it can run again. */
/** @differentiable */
export function pureBranch(x: number): number {
  let y = x * x;
  if (x > 0) y = y * 3;
  return y + x;
}

/** a[1] is undefined before the first write: the pullback must give back undefined, not NaN, to \`??\`. */
/** @differentiable */
export function holes(x: number): number {
  const a: number[] = [];
  let s = 0;
  for (let i = 0; i < 3; i++) {
    s = s + (a[1] ?? 1) * x;
    a[1] = x * (i + 2);
  }
  return s;
}

/** Reads module variables a caller may change before it runs the pullback. */
let scale = 2;
const OFFSETS = [0.5, -0.25, 1];
/** @differentiable */
export function scaled(x: number): number {
  return Math.sin(x * scale);
}
/** @differentiable */
export function scaledLoop(x: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) {
    const t = x * scale + i;
    s = s + Math.sin(t) * OFFSETS[i];
  }
  return s;
}
export function setScale(v: number): void {
  scale = v;
}

export const vwpScaled = valueWithPullback(scaled);
export const vwpScaledLoop = valueWithPullback(scaledLoop);
export const gOuter = gradient(outer);
export const gHoles = gradient(holes);
export const vwpBranch = valueWithPullback(pureBranch);
export const vwpInner = valueWithPullback(inner);
export const vwpCount = valueWithPullback(countOnly);
export const vwpPure = valueWithPullback(pure);
`;

const fd = (f: (x: number) => number, x: number) => (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;

for (const [host, compile] of [
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const) {
  describe(`${host} host: tapes`, () => {
    const m = compile(SOURCE, `tape-${host}.ts`) as Record<string, any>;

    test("a derivative whose loop calls another derivative with loops: both tapes in use at once", () => {
      for (const x of [0.3, 0.9, -0.4]) expect(m.gOuter(x)).toBeCloseTo(fd(m.outer, x), 5);
    });

    test("pullbacks kept and run later in any order, or never run, do not disturb each other", () => {
      const runs = [0.2, 0.5, 0.8].map((x) => ({ x, r: m.vwpInner(x, 5) }));
      m.vwpInner(0.9, 7); // its pullback is never run: its tape is simply not returned to the pool
      for (const { x, r } of [runs[1]!, runs[0]!, runs[2]!]) {
        expect(r.value).toBe(m.inner(x, 5));
        expect(r.pullback(1)[0]).toBeCloseTo(fd((t) => m.inner(t, 5), x), 5);
      }
      expect(m.gOuter(0.3)).toBeCloseTo(fd(m.outer, 0.3), 5);
    });

    test("a pullback that restores recorded state runs once: the second call is CT3002", () => {
      const { pullback } = m.vwpCount(0.5, 3);
      expect(pullback(1)).toEqual([3, 0]); // n is an integer count: a zero cotangent
      expect(() => pullback(1)).toThrow(/CT3002: The pullback of 'countOnly' was already called/);
      const loop = m.vwpInner(0.4, 3);
      loop.pullback(1);
      expect(() => loop.pullback(1)).toThrow(/CT3002/);
    });

    test("an element that was undefined before it was overwritten is restored as undefined (\`??\` in the pullback)", () => {
      for (const x of [0.4, -1.3]) expect(m.gHoles(x)).toBeCloseTo(fd(m.holes, x), 5);
    });

    test("a pullback run after the caller changed a module variable sees the value the primal saw", () => {
      for (const [vwp, f] of [
        [m.vwpScaled, m.scaled],
        [m.vwpScaledLoop, m.scaledLoop],
      ] as const) {
        m.setScale(2);
        const expected = fd(f, 0.4);
        const { pullback } = vwp(0.4);
        m.setScale(3);
        try {
          expect(fd(f, 0.4)).not.toBeCloseTo(expected, 2); // the function itself now differs
          expect(pullback(1)).toBeCloseTo(expected, 6);
        } finally {
          m.setScale(2);
        }
      }
    });

    test("a pullback whose only record is a top-level branch can run again", () => {
      for (const x of [0.6, -0.6]) {
        const { pullback } = m.vwpBranch(x);
        const first = pullback(1);
        expect(first).toBeCloseTo(fd(m.pureBranch, x), 6);
        expect(pullback(1)).toBe(first);
      }
    });

    test("a pullback that restores nothing can run again, with the same result", () => {
      const { pullback } = m.vwpPure(0.7);
      const first = pullback(1);
      expect(pullback(2)).toBeCloseTo(2 * first, 12);
      expect(first).toBeCloseTo(fd(m.pure, 0.7), 6);
    });
  });
}
