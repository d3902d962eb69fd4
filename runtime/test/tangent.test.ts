import { describe, expect, it } from "@jest/globals";
import { accumulate, addTangent, copyTangent, CotangentError, scaleTangent, withoutDerivative, zerosLike } from "@cotangent/runtime";

describe("zerosLike", () => {
  it("mirrors numbers, arrays and objects", () => {
    expect(zerosLike(3)).toBe(0);
    expect(zerosLike([1, [2, 3]])).toEqual([0, [0, 0]]);
    expect(zerosLike({ x: 1, v: [1, 2], nested: { y: 4 } })).toEqual({ x: 0, v: [0, 0], nested: { y: 0 } });
  });
  it("gives null for values without a tangent", () => {
    for (const v of [null, undefined, true, "s", () => 1, 10n]) expect(zerosLike(v)).toBeNull();
    expect(zerosLike({ label: "a", n: 2 })).toEqual({ label: null, n: 0 });
  });
  it("handles typed arrays", () => {
    const z = zerosLike(new Float32Array([1, 2]));
    expect(z).toBeInstanceOf(Float32Array);
    expect(Array.from(z as Float32Array)).toEqual([0, 0]);
  });
});

describe("addTangent", () => {
  it("treats null and undefined as zero", () => {
    expect(addTangent(null, null)).toBeNull();
    expect(addTangent(undefined, 2)).toBe(2);
    expect(addTangent(2, null)).toBe(2);
  });
  it("adds numbers, arrays elementwise (longer length) and objects fieldwise (union of keys)", () => {
    expect(addTangent(1, 2)).toBe(3);
    expect(addTangent([1, 2], [10, 20, 30])).toEqual([11, 22, 30]);
    expect(addTangent([1, null], [null, 2])).toEqual([1, 2]);
    expect(addTangent({ a: 1, b: [1] }, { b: [2], c: 3 })).toEqual({ a: 1, b: [3], c: 3 });
  });
  it("does not mutate its arguments", () => {
    const a = { p: [1, 2] };
    const b = { p: [3, 4] };
    const sum = addTangent(a, b);
    expect(sum).toEqual({ p: [4, 6] });
    expect(a).toEqual({ p: [1, 2] });
    expect(b).toEqual({ p: [3, 4] });
    expect(sum).not.toBe(a);
  });
  it("adds typed arrays", () => {
    expect(Array.from(addTangent(new Float64Array([1, 2]), new Float64Array([3, 4])) as Float64Array)).toEqual([4, 6]);
  });
  it("rejects mismatched shapes with CT3008", () => {
    expect(() => addTangent(1, [1])).toThrow(expect.objectContaining({ code: "CT3008" }));
    expect(() => addTangent({ a: 1 }, 2)).toThrow(/different shapes/);
  });
});

describe("accumulate", () => {
  it("deep-copies b when acc is zero, so later accumulation never writes into b", () => {
    const b = { v: [1, 2], w: { z: 3 } };
    const acc = accumulate(null, b) as { v: number[]; w: { z: number } };
    expect(acc).toEqual(b);
    expect(acc).not.toBe(b);
    expect(acc.v).not.toBe(b.v);
    expect(acc.w).not.toBe(b.w);
    accumulate(acc, { v: [10, 10], w: { z: 10 } });
    expect(b).toEqual({ v: [1, 2], w: { z: 3 } });
    expect(acc).toEqual({ v: [11, 12], w: { z: 13 } });
  });
  it("mutates and returns acc when it is an array or object", () => {
    const acc = [1, 2];
    expect(accumulate(acc, [1, 1, 5])).toBe(acc);
    expect(acc).toEqual([2, 3, 5]);
    const obj: Record<string, unknown> = { a: 1 };
    expect(accumulate(obj, { b: [1] })).toBe(obj);
    expect(obj).toEqual({ a: 1, b: [1] });
  });
  it("copies nested b entries it adopts", () => {
    const inner = [1];
    const acc = accumulate({ a: 1 }, { b: inner }) as { b: number[] };
    expect(acc.b).not.toBe(inner);
    accumulate(acc, { b: [5] });
    expect(inner).toEqual([1]);
  });
  it("adds numbers and ignores zero b", () => {
    expect(accumulate(1, 2)).toBe(3);
    expect(accumulate(undefined, 2)).toBe(2);
    expect(accumulate(1, null)).toBe(1);
    expect(accumulate(null, undefined)).toBeNull();
  });
  it("accumulates typed arrays in place", () => {
    const acc = new Float64Array([1, 2]);
    expect(accumulate(acc, new Float64Array([1, 1]))).toBe(acc);
    expect(Array.from(acc)).toEqual([2, 3]);
  });
  it("rejects mismatched shapes", () => {
    expect(() => accumulate([1], { a: 1 })).toThrow(CotangentError);
  });
});

describe("scaleTangent / copyTangent / withoutDerivative", () => {
  it("scales deeply and keeps zeros", () => {
    expect(scaleTangent({ a: [1, 2], b: null, c: 3 }, 2)).toEqual({ a: [2, 4], b: null, c: 6 });
    expect(scaleTangent(null, 2)).toBeNull();
    expect(() => scaleTangent("x", 2)).toThrow(expect.objectContaining({ code: "CT3008" }));
  });
  it("copies without sharing", () => {
    const v = { a: [1, { b: 2 }] };
    const c = copyTangent(v) as typeof v;
    expect(c).toEqual(v);
    expect(c.a).not.toBe(v.a);
    expect(c.a[1]).not.toBe(v.a[1]);
  });
  it("withoutDerivative is the identity at run time", () => {
    const o = { x: 1 };
    expect(withoutDerivative(o)).toBe(o);
  });
});
