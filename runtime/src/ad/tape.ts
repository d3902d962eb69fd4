// The tape reverse-mode derivatives keep between the primal and the pullback, for what loops
// record (outside loops the generated code keeps such values in locals). Three stacks, so that
// numbers stay unboxed: numbers in a Float64Array, branch decisions and trip counts in an
// Int32Array, references (arrays, tensors, pullbacks of calls) in a plain array. Tapes are reused
// from a small pool: a derivative takes one, and its pullback gives it back after its last pop,
// so a gradient in a training loop allocates no tape after the first call.

// 64 bytes each: V8 keeps typed arrays this small on its heap, where allocating one is cheap; a
// larger one gets a separate backing store (about 1 µs to allocate), paid only as a tape grows.
const INITIAL_NUMBERS = 8;
const INITIAL_INTS = 16;

export class Tape {
  numbers = new Float64Array(INITIAL_NUMBERS);
  numberCount = 0;
  ints = new Int32Array(INITIAL_INTS);
  intCount = 0;
  // Created holding a non-number and emptied, so that every tape's array has V8's generic
  // elements kind from the start: one that held only numbers (or nothing) would have another
  // map, and the release below, inlined into every derivative, would deoptimize on each new one.
  refs: unknown[] = emptied([undefined]);

  // The pushes stay small (growth out of line) so that V8 inlines them into the generated loops.
  pushNumber(v: number): void {
    const n = this.numberCount;
    if (n === this.numbers.length) this.growNumbers();
    this.numbers[n] = v;
    this.numberCount = n + 1;
  }
  popNumber(): number {
    return this.numbers[--this.numberCount]!;
  }
  /**
   * Room for `numbers` more numbers and `ints` more ints: generated code calls it before a loop
   * whose trip count it knows, and then records with the unchecked puts below, since the capacity
   * check of a push costs more than the store itself.
   */
  reserve(numbers: number, ints: number): void {
    if (this.numberCount + numbers > this.numbers.length) this.growNumbers(this.numberCount + numbers);
    if (this.intCount + ints > this.ints.length) this.growInts(this.intCount + ints);
  }
  /** `pushNumber` after `reserve`: no capacity check. */
  putNumber(v: number): void {
    this.numbers[this.numberCount++] = v;
  }
  /** `pushInt` after `reserve`: no capacity check. */
  putInt(v: number): void {
    this.ints[this.intCount++] = v;
  }
  /** A branch decision (`true`/`false` stored as 1/0) or a trip count. */
  pushInt(v: number): void {
    const n = this.intCount;
    if (n === this.ints.length) this.growInts();
    this.ints[n] = v;
    this.intCount = n + 1;
  }
  popInt(): number {
    return this.ints[--this.intCount]!;
  }
  pushRef(v: unknown): void {
    this.refs.push(v);
  }
  popRef(): unknown {
    return this.refs.pop();
  }
  /**
   * A larger number stack (doubled, and to at least `atLeast` entries), with what the old one held.
   * The fused gradient keeps `numbers` and its top in locals, and calls this when its local top
   * reaches the length: it stores the result in its local.
   */
  growNumbers(atLeast = 0): Float64Array {
    return (this.numbers = grow(this.numbers, new Float64Array(grownLength(this.numbers.length, atLeast))));
  }
  /** {@link growNumbers} for the int stack. */
  growInts(atLeast = 0): Int32Array {
    return (this.ints = grow(this.ints, new Int32Array(grownLength(this.ints.length, atLeast))));
  }
  /** Gives the tape back to the pool once its pullback has popped everything (a method, so generated code needs no second runtime lookup). */
  release(): void {
    releaseTape(this);
  }
}

function emptied<T>(array: T[]): T[] {
  array.length = 0;
  return array;
}

function grownLength(length: number, atLeast: number): number {
  let n = length * 2;
  while (n < atLeast) n *= 2;
  return n;
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

// The last tape given back waits in `spare`, the rest in `pool`: the common case, one derivative
// at a time (a gradient in a loop), then costs two variable accesses instead of an array's pop and push.
let spare: Tape | undefined;
const pool: Tape[] = [];
const POOL_SIZE = 16;

/** A tape for one run of a derivative (empty; from the pool when one is free). */
export function takeTape(): Tape {
  const t = spare;
  if (t === undefined) return pool.pop() ?? new Tape();
  spare = undefined;
  return t;
}

/** Gives a tape back once its pullback has popped everything. */
export function releaseTape(tape: Tape): void {
  tape.numberCount = 0;
  tape.intCount = 0;
  if (tape.refs.length) tape.refs.length = 0;
  if (spare === undefined) spare = tape;
  else if (pool.length < POOL_SIZE) pool.push(tape);
}
