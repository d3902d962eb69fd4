// Which functions are marked, through every host from one source: the Babel plugin, the ts-patch
// transformer, and the editor plugin's analysis (the same check.ts pipeline tsserver runs). The
// rule lives in the core (markOfComments): any JSDoc block before a declaration may carry the
// mark, the nearest one wins; plain block comments and line comments never do.

import { describe, expect, test } from "@jest/globals";
import * as babel from "@babel/core";
import * as path from "path";
import ts from "typescript";
import * as runtime from "@cotangent/runtime";
import { analyzeSourceFile } from "@cotangent/ts-plugin";
import { CORPUS_DIR, REPO_ROOT, compileWithBabel, compileWithTsPatch } from "../harness/compile";

const SOURCE = `
/** @differentiable */
/** Squares x. */
export function docAfterMark(x: number): number {
  return x * x;
}

/**
 * Scales x squared.
 * @differentiable(wrt: x)
 * The mark may sit in the middle of the comment.
 */
export function markMidComment(x: number, k: number): number {
  return k * x * x;
}

/** @differentiable(wrt: (x)) */
export function swiftSpelling(x: number, k: number): number {
  return k * x * x * x;
}

/* @differentiable */
export function plainBlockComment(x: number): number {
  return x;
}

// @differentiable
export function lineComment(x: number): number {
  return x;
}

/** Docs first. */ /** @differentiable */
export const arrow = (x: number): number => x * 3;

/** Docs. */
/** @differentiable */
export function overloaded(x: number): number;
export function overloaded(x: number): number {
  return 2 * x * x;
}

/** @kernel */
export function kernelAlone(x: number): number {
  return x * x;
}

/** Docs first. */
/** @differentiable @kernel */
export function kernelMarked(x: number, y: number): number {
  return x * y;
}

export class K {
  /** A method. */
  /** @differentiable */
  m(x: number): number {
    return 5 * x;
  }
}
`;

const MARKED = ["arrow", "docAfterMark", "kernelAlone", "kernelMarked", "m", "markMidComment", "overloaded", "swiftSpelling"];
const KERNELS = ["kernelAlone", "kernelMarked"];
/** The marks a compiled module made kernels of: those map(f) accepts. */
const kernelsOf = (m: Record<string, unknown>) =>
  Object.keys(m)
    .filter((k) => typeof m[k] === "function")
    .filter((k) => {
      try {
        runtime.map(m[k] as (...x: number[]) => number)(...(Array.from({ length: (m[k] as () => number).length }, () => runtime.tensor([1])) as []));
        return true;
      } catch {
        return false;
      }
    })
    .sort();
const FILE = path.join(CORPUS_DIR, "__e2e_marks.ts");

describe("one rule for marks in every host", () => {
  test("Babel plugin", () => {
    const names: string[] = [];
    babel.transformSync(SOURCE, {
      filename: FILE,
      cwd: REPO_ROOT,
      babelrc: false,
      configFile: false,
      presets: ["@babel/preset-typescript"],
      plugins: [["@cotangent/babel-plugin", { warnings: false, onDerivatives: (g: { name: string }) => names.push(g.name) }]],
    });
    expect(names.sort()).toEqual(MARKED);
    expect(kernelsOf(compileWithBabel(SOURCE, FILE))).toEqual(KERNELS);
  });

  test("editor plugin (the analysis tsserver runs)", () => {
    const sf = ts.createSourceFile(FILE, SOURCE, ts.ScriptTarget.ES2022, true);
    const analysis = analyzeSourceFile(ts, sf);
    expect(analysis?.plan.marks.map((m) => m.name).sort()).toEqual(MARKED);
    expect(analysis?.plan.marks.filter((m) => m.kernel).map((m) => m.name).sort()).toEqual(KERNELS);
  });

  test("ts-patch transformer: the marked functions have derivatives, the others none", () => {
    const m = compileWithTsPatch(SOURCE, FILE);
    const has = (f: unknown) => runtime.getDerivatives(f) !== undefined;
    for (const name of ["docAfterMark", "markMidComment", "swiftSpelling", "arrow", "overloaded"]) expect([name, has(m[name])]).toEqual([name, true]);
    expect(has(m.K.prototype.m)).toBe(true);
    for (const name of ["plainBlockComment", "lineComment"]) expect([name, has(m[name])]).toEqual([name, false]);
    expect(runtime.gradient(m.docAfterMark)(3)).toBe(6);
    expect(runtime.gradient(m.markMidComment)(2, 3)).toBe(12);
    expect(kernelsOf(m)).toEqual(KERNELS);
  });
});
