// What the editor must show for the fixture project ide-errors (one file per diagnostic), shared by
// the tsserver, LSP and tspc tests: the same codes at the same ranges everywhere.
// Positions are 1-based lines and offsets (tsserver's convention); `end` is exclusive.

import path from "node:path";

export const fixturesDir = path.resolve(__dirname, "..", "fixtures");
export const errorsDir = path.join(fixturesDir, "ide-errors");
export const cleanDir = path.join(fixturesDir, "ide-clean");
export const typesDir = path.join(fixturesDir, "ide-types");

export const ERROR_FILES = [
  "unsupported.ts",
  "wrt.ts",
  "bitwise.ts",
  "global.ts",
  "closure.ts",
  "argument.ts",
  "alias.ts",
  "helpers.ts",
  "crossfile.ts",
  "local.ts",
  "types.ts",
  "constant.ts",
  "step.ts",
  "tensors.ts",
];
export const CLEAN_FILES = ["model.ts", "use.ts"];

export type Pos = [line: number, offset: number];

export interface ExpectedRelated {
  /** The related message exactly. */
  message: string;
  /** The file it points into (relative to the fixture's src/). */
  file: string;
  start: Pos;
  /** Omitted where the exact extent is the plugin's choice (the callee's declaration). */
  end?: Pos;
}

export interface ExpectedDiagnostic {
  /** What the case is about (test names). */
  what: string;
  /** Relative to src/. */
  file: string;
  /** The CT code; the TypeScript diagnostic code is its numeric part. */
  ct: string;
  category: "error" | "warning";
  start: Pos;
  end: Pos;
  /** Substrings of the message (after the `CTnnnn: ` prefix). */
  message: string[];
  related: ExpectedRelated[];
}

const marked = (name: string, file: string, line: number, offset: number): ExpectedRelated => ({
  message: `'${name}' is marked differentiable here`,
  file,
  start: [line, offset],
  end: [line, offset + name.length],
});

export const EXPECTED: ExpectedDiagnostic[] = [
  {
    what: "unsupported syntax (try/catch)",
    file: "unsupported.ts",
    ct: "CT1001",
    category: "error",
    start: [4, 3],
    end: [8, 4],
    message: ["function 'guarded' is not differentiable: `try`/`catch` is not supported in differentiable functions"],
    related: [marked("guarded", "unsupported.ts", 3, 17)],
  },
  {
    what: "wrt names no parameter",
    file: "wrt.ts",
    ct: "CT1002",
    category: "error",
    start: [3, 17],
    end: [3, 22],
    message: ["function 'scale' is not differentiable: 'wrt' names 'z', which is not a parameter of 'scale'"],
    related: [marked("scale", "wrt.ts", 3, 17)],
  },
  {
    what: "a bitwise operator on an active value",
    file: "bitwise.ts",
    ct: "CT1003",
    category: "error",
    start: [6, 13],
    end: [6, 18],
    message: [
      "function 'truncated' is not differentiable: the bitwise operator '|' is not differentiable and is applied to a value that depends on the differentiated inputs",
      "withoutDerivative(...)",
    ],
    related: [marked("truncated", "bitwise.ts", 5, 17)],
  },
  {
    what: "a write to a global",
    file: "global.ts",
    ct: "CT1004",
    category: "error",
    start: [6, 3],
    end: [6, 8],
    message: ["function 'counted' is not differentiable: it assigns to 'calls', which is not a local variable or parameter"],
    related: [marked("counted", "global.ts", 5, 17)],
  },
  {
    what: "a closure capturing an active value",
    file: "closure.ts",
    ct: "CT1005",
    category: "error",
    start: [4, 9],
    end: [4, 38],
    message: ["function 'scaledBy' is not differentiable: the local function 'scaled' captures 'x', which depends on the differentiated inputs; pass 'x' to it as a parameter"],
    related: [marked("scaledBy", "closure.ts", 3, 17)],
  },
  {
    what: "an active argument to a parameter the callee does not differentiate",
    file: "argument.ts",
    ct: "CT1007",
    category: "error",
    start: [9, 22],
    end: [9, 23],
    message: ["function 'caller' is not differentiable: argument 2 of 'weighted' depends on the differentiated inputs, but 'weighted' is not differentiable with respect to that parameter"],
    related: [marked("caller", "argument.ts", 8, 17)],
  },
  {
    what: "two names for one array, written through one",
    file: "alias.ts",
    ct: "CT1009",
    category: "error",
    start: [5, 3],
    end: [5, 15],
    message: ["function 'aliased' is not differentiable: 'b' and 'a' refer to the same array or object, and 'b' is written through"],
    related: [marked("aliased", "alias.ts", 3, 17)],
  },
  {
    what: "a call on an active value to an unmarked function in another file",
    file: "crossfile.ts",
    ct: "CT1010",
    category: "error",
    start: [6, 13],
    end: [6, 22],
    message: [
      "function 'activation' is not differentiable: it calls 'squash' on a value that depends on the differentiated inputs, and 'squash' has no derivative",
      "mark 'squash' /** @differentiable */ where it is defined",
    ],
    related: [marked("activation", "crossfile.ts", 5, 17), { message: "'squash' is declared here", file: "helpers.ts", start: [2, 17], end: [2, 23] }],
  },
  {
    what: "a runtime op without a derivative (a tensor comparison) on a differentiated tensor",
    file: "tensors.ts",
    ct: "CT1010",
    category: "error",
    start: [5, 14],
    end: [5, 27],
    message: [
      "function 'positives' is not differentiable: it calls the runtime op 'greater' on a value that depends on the differentiated inputs",
      "a comparison gives a mask of 0s and 1s",
    ],
    related: [marked("positives", "tensors.ts", 4, 17)],
  },
  {
    what: "a call on an active value to an unmarked function in the same file",
    file: "local.ts",
    ct: "CT1010",
    category: "error",
    start: [8, 10],
    end: [8, 19],
    message: ["function 'quadrupled' is not differentiable: it calls 'double' on a value that depends on the differentiated inputs, and 'double' has no derivative"],
    related: [marked("quadrupled", "local.ts", 7, 17), { message: "'double' is declared here", file: "local.ts", start: [2, 10], end: [2, 16] }],
  },
  {
    what: "a boolean parameter differentiated by default",
    file: "types.ts",
    ct: "CT1011",
    category: "error",
    start: [3, 46],
    end: [3, 59],
    message: [
      "function 'choose' is not differentiable: it can only be differentiated with respect to parameters whose type is Differentiable",
      "'flip' is boolean; restrict it with /** @differentiable(wrt: x, y) */",
    ],
    related: [marked("choose", "types.ts", 3, 17)],
  },
  {
    what: "a result that does not depend on the inputs (warning)",
    file: "constant.ts",
    ct: "CT1101",
    category: "warning",
    start: [5, 3],
    end: [5, 12],
    message: ["the result of 'constant' does not depend on any differentiated parameter; its derivative is always zero"],
    related: [],
  },
  {
    what: "a step function on an active value (warning)",
    file: "step.ts",
    ct: "CT1102",
    category: "warning",
    start: [4, 10],
    end: [4, 23],
    message: ["in 'stepped': Math.round has a zero derivative wherever it has one", "Math.round(withoutDerivative(...))"],
    related: [],
  },
  {
    what: "'%' by an active divisor (warning)",
    file: "step.ts",
    ct: "CT1102",
    category: "warning",
    start: [4, 30],
    end: [4, 35],
    message: ["in 'stepped': '%' by a divisor that depends on the differentiated inputs is only piecewise differentiable"],
    related: [],
  },
];

/** The numeric TypeScript code of a CT code (`CT1003` → 1003). */
export const tsCode = (ct: string): number => 1_000_000 + Number(ct.slice(2));
