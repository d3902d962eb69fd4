// Functions whose pass outputs (normalized IR, activity, tape plan) are kept as golden files in
// this folder: one `<name>.txt` each. See ../passes.test.ts.

const C = [1, -0.5, 0.25, 0.3];

/** Horner's rule: each step's adjoint reads the old r (saved), the counter is undone by a step. */
/** @differentiable */
export function horner(x: number): number {
  let r = 0;
  for (let i = 3; i >= 0; i--) {
    r = r * x + C[i];
  }
  return r;
}

/** A spring with a wall: v and x only add, so nothing but the bounce decisions is recorded. */
/** @differentiable */
export function spring(x0: number): number {
  let x = x0;
  let v = 0;
  for (let i = 0; i < 100; i++) {
    const a = -4 * x - 0.1 * v;
    v = v + 0.01 * a;
    x = x + 0.01 * v;
    if (x < -0.5) {
      x = -1 - x;
      v = -0.8 * v;
    }
  }
  return x;
}

/** tanh chain: the old y is read by Math.tanh's partial. */
/** @differentiable */
export function tanhChain(x: number): number {
  let y = x;
  for (let i = 0; i < 10; i++) {
    y = Math.tanh(y);
  }
  return y;
}

/** A field name spelled like a local (`o.w` and `w`) is not a read of the local. */
/** @differentiable */
export function fieldNames(x: number, o: { w: number }): number {
  let w = x * x;
  let s = 0;
  for (let i = 0; i < 3; i++) {
    s = s + o.w * x;
    w = w + s;
  }
  return w + s;
}

/** Straight-line code: overwritten values stay in locals, not on a tape. */
/** @differentiable */
export function straight(x: number): number {
  let y = x * x;
  if (y > 1) {
    y = Math.sin(y) * x;
  }
  y = y * y;
  return y;
}

/** A reduction over an array parameter. */
/** @differentiable */
export function sumSquares(xs: number[]): number {
  let s = 0;
  for (const v of xs) {
    s = s + v * v;
  }
  return s;
}

/**
 * Array methods become loops: map's callback is inlined (its parameter is a local bound per
 * element, `k` is read as captured), reduce's accumulator is the user's `s` (no temporary alias).
 */
/** @differentiable */
export function mapReduce(xs: number[], k: number): number {
  const s = xs.map((x) => x * k).reduce((a, b) => a + b * b, 0);
  return s;
}

/** Optional chaining and object spread: a conditional on `o == null`, fields of the spread value. */
/** @differentiable */
export function optionalSpread(p: { x: number; y: number }, o: { w: number } | undefined): number {
  const q = { ...p, y: 2 };
  return q.x * q.y + (o?.w ?? 1);
}

export class Particle {
  constructor(
    public m: number,
    public v: number,
  ) {}
  get momentum(): number {
    return this.m * this.v;
  }
  get kinetic(): number {
    return 0.5 * this.momentum * this.v;
  }
}

/** Getters of the module's classes are inlined, for elements of an array of the class too. */
/** @differentiable */
export function getters(ps: Particle[]): number {
  let e = 0;
  for (const p of ps) e = e + p.kinetic;
  return e;
}

/** A rest parameter is one array parameter; for…in loops over RT.forInKeys (no derivative). */
/** @differentiable */
export function restForIn(w: { a: number; b: number }, ...xs: number[]): number {
  let s = 0;
  for (const k in w) s = s + w[k as "a" | "b"] * xs.length;
  for (const x of xs) s = s + x * x;
  return s;
}

/** Recomputed, not saved: a loop-local value from a parameter and the counter, and branches on it decided again. */
export function piecewise(x: number): number {
  let s = 0;
  for (let i = 0; i < 100; i++) {
    const t = (x * (i - 50)) / 50;
    if (t > 0.3) {
      s = s + t * t;
    } else if (t < -0.3) {
      s = s - t;
    } else {
      s = s + Math.sin(t);
    }
  }
  return s;
}

/** Saved, not recomputed: a value from a variable the loop changes (the branch on it is recorded), and one from a call. */
export function notRecomputed(x: number): number {
  let s = 0;
  let y = x;
  for (let i = 0; i < 10; i++) {
    const t = y * x;
    const u = Math.exp(x * i);
    if (y > 1) {
      s = s + t * u;
    } else {
      s = s + t * t;
    }
    y = y * 0.5;
  }
  return s;
}
