import { describe, expect, it } from "@jest/globals";
import { Tape, releaseTape, takeTape } from "@cotangent/runtime";

describe("Tape (what reverse-mode loops record)", () => {
  it("gives back numbers, ints and references last-in first-out, each stack on its own, past any initial size", () => {
    const t = takeTape();
    const n = 1000;
    for (let i = 0; i < n; i++) {
      t.pushNumber(i * 0.5 - 3.25);
      t.pushInt(i % 3);
      if (i % 7 === 0) t.pushRef([i]);
    }
    for (let i = n - 1; i >= 0; i--) {
      if (i % 7 === 0) expect(t.popRef()).toEqual([i]);
      expect(t.popInt()).toBe(i % 3);
      expect(t.popNumber()).toBe(i * 0.5 - 3.25);
    }
    expect(t.numberCount).toBe(0);
    expect(t.intCount).toBe(0);
    t.release();
  });

  it("keeps every float64 exactly: -0, NaN, infinities, subnormals, large counts", () => {
    const t = new Tape();
    const values = [-0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, 1 / 3];
    values.forEach((v) => t.pushNumber(v));
    for (const v of [...values].reverse()) expect(Object.is(t.popNumber(), v)).toBe(true);
    t.pushInt(2 ** 31 - 1);
    expect(t.popInt()).toBe(2 ** 31 - 1);
  });

  it("is reused from the pool once released, empty, and does not keep references alive", () => {
    const a = takeTape();
    a.pushNumber(1);
    a.pushRef({ big: true });
    releaseTape(a);
    const b = takeTape();
    expect(b).toBe(a);
    expect(b.numberCount).toBe(0);
    expect(b.refs).toEqual([]);
    // Two tapes in use at once (a derivative calling another inside a loop) are distinct.
    const c = takeTape();
    expect(c).not.toBe(b);
    b.release();
    c.release();
  });

  it("reserve makes room for the unchecked puts (a counted loop's records), after what the stacks already hold", () => {
    const t = new Tape();
    t.pushNumber(-1);
    t.pushInt(-2);
    t.reserve(700, 300);
    expect(t.numbers.length).toBeGreaterThanOrEqual(701);
    expect(t.ints.length).toBeGreaterThanOrEqual(301);
    for (let i = 0; i < 700; i++) t.putNumber(i / 7);
    for (let i = 0; i < 300; i++) t.putInt(i);
    for (let i = 299; i >= 0; i--) expect(t.popInt()).toBe(i);
    for (let i = 699; i >= 0; i--) expect(t.popNumber()).toBe(i / 7);
    expect(t.popInt()).toBe(-2);
    expect(t.popNumber()).toBe(-1);
    // Room already there: nothing reallocated.
    const before = t.numbers;
    t.reserve(10, 0);
    expect(t.numbers).toBe(before);
  });
});
