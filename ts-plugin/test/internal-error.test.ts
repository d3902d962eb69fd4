// A crash inside the core surfaces as a located CT9000 (CODES.internalError) diagnostic at the
// marked function, not as a failed compiler run.

import { expect, jest, test } from "@jest/globals";
import path from "node:path";
import ts from "typescript";

// The core's own guard (differentiateSafely, which the module planner runs) is what catches it:
// the function the host lowers throws when the core reads its body, as a bug in the core would.
// With `mockLowering = "throws"` the host's adapter itself throws: the planner's guard catches that.
let mockLowering: "body throws" | "throws" = "body throws";
jest.mock("../src/adapter", () => {
  const actual = jest.requireActual<typeof import("../src/adapter")>("../src/adapter");
  return {
    ...actual,
    adaptFunction: (...args: Parameters<typeof actual.adaptFunction>) => {
      if (mockLowering === "throws") throw new Error("adapter boom");
      return Object.defineProperty({ ...actual.adaptFunction(...args) }, "body", {
        get() {
          throw new Error("boom");
        },
      });
    },
  };
});

import { CODES } from "@cotangent/transformer";
import cotangentTransformer from "../src/transformer";
import { compile } from "./helpers";

test("a core crash is reported as CT9000 at the function; nothing is generated", () => {
  const main = path.join(__dirname, "__virtual__", "main.ts");
  const code = `/** @differentiable */\nexport function f(x: number): number { return x * x; }\n`;
  const { diagnostics, outputs } = compile(cotangentTransformer, { [main]: code });
  expect(CODES.internalError).toBe("CT9000");
  expect(diagnostics).toHaveLength(1);
  const d = diagnostics[0]!;
  expect(d.category).toBe(ts.DiagnosticCategory.Error);
  expect(d.code).toBe(1009000); // CT9000 in Cotangent's range (TS_CODE_BASE + 9000)
  expect(ts.flattenDiagnosticMessageText(d.messageText, "\n")).toBe("CT9000: internal error while differentiating 'f': boom");
  expect(code.slice(d.start!, d.start! + d.length!)).toBe("f"); // the function's name, as the Babel host reports it
  expect(outputs.get(main.replace(/\.ts$/, ".js"))).not.toContain("f$vjp");
});

test("a crash in the host's lowering is a CT9000 at the mark too; nothing is generated", () => {
  mockLowering = "throws";
  try {
    const main = path.join(__dirname, "__virtual__", "lowering.ts");
    const code = `/** @differentiable */\nexport function g(x: number): number { return x * x; }\n`;
    const { diagnostics, outputs } = compile(cotangentTransformer, { [main]: code });
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d.code).toBe(1009000);
    expect(ts.flattenDiagnosticMessageText(d.messageText, "\n")).toBe("CT9000: internal error while lowering 'g': adapter boom");
    expect(code.slice(d.start!, d.start! + d.length!)).toBe("g");
    expect(outputs.get(main.replace(/\.ts$/, ".js"))).not.toContain("g$vjp");
  } finally {
    mockLowering = "body throws";
  }
});
