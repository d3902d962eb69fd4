import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
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

  it("grows a stack the fused gradient holds in a local: to at least what it asks, keeping what it held, as the tape's own", () => {
    const t = new Tape();
    const held = t.numbers;
    held.set([1, 2, 3]);
    const grown = t.growNumbers(100);
    expect(grown).toBe(t.numbers);
    expect(grown.length).toBeGreaterThanOrEqual(100);
    expect([...grown.slice(0, 3)]).toEqual([1, 2, 3]);
    expect(t.growNumbers().length).toBe(grown.length * 2); // no size asked: doubled
    t.ints[0] = 7;
    const ints = t.growInts(40);
    expect(ints).toBe(t.ints);
    expect(ints.length).toBeGreaterThanOrEqual(40);
    expect(ints[0]).toBe(7);
  });

  it("the reference stack of every tape has one array map, whatever it held (the inlined release sees one shape)", () => {
    // V8's own answer (natives syntax, in a child process): a tape whose references were numbers
    // must not differ in map from one that held objects or nothing.
    const script = `
      const { Tape } = require("@cotangent/runtime");
      const a = new Tape(), b = new Tape(), c = new Tape();
      b.pushRef(1.5); b.popRef();
      c.pushRef({}); c.popRef();
      console.log(JSON.stringify([%HaveSameMap(a.refs, b.refs), %HaveSameMap(a.refs, c.refs), %HaveSameMap(a.refs, [])]));`;
    const out = execFileSync(process.execPath, ["--allow-natives-syntax", "-e", script], { cwd: __dirname, encoding: "utf8" });
    // (the last: a fresh [] has another map, the one the tapes avoid)
    expect(JSON.parse(out)).toEqual([true, true, false]);
  });
});
