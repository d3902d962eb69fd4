// The sample user projects (e2e/projects/) built for real, the way a user would build them:
//   webpack-babel: webpack 5 + babel-loader (@babel/preset-typescript + @cotangent/babel-plugin)
//                  -> e2e/out/webpack-babel/{main,throws}.cjs (+ source maps)
//   tspc:          ts-patch 3.3 `tspc` with @cotangent/ts-plugin/transformer
//                  -> e2e/out/tspc/{main,model,throws}.js (ES modules, + source maps)
// Both compile the same sources (e2e/projects/webpack-babel/src). The outputs are run with node and
// the printed derivatives are compared with analytic values; a pullback that throws must produce
// a stack trace that names the user's .ts file and line (node --enable-source-maps).
// Needs the workspace packages built (`npm run build`; `npm test` does it).

import { beforeAll, describe, expect, jest, test } from "@jest/globals";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "../..");
const PROJECTS = path.join(REPO, "e2e/projects");
const SRC = path.join(PROJECTS, "webpack-babel/src");
const OUT = path.join(REPO, "e2e/out");
const BIN = (p: string) => path.join(REPO, "node_modules", p);

jest.setTimeout(120_000);

/** Runs `node args...` from the repository root; throws with both streams on failure. */
function node(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: "utf8", timeout: 90_000 });
  if (r.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout;
}

/** `label = JSON` lines printed by src/main.ts. */
function parseResults(stdout: string): Map<string, any> {
  const results = new Map<string, any>();
  for (const line of stdout.split("\n")) {
    const i = line.lastIndexOf(" = ");
    if (i > 0) results.set(line.slice(0, i), JSON.parse(line.slice(i + 3)));
  }
  return results;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const rosenbrock = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
const rosenbrockGrad = (x: number, y: number) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
const L = 2;
const G = 9.81;
const energy = (theta: number, omega: number) => 0.5 * L * L * omega * omega + G * L * (1 - Math.cos(theta));

/** Analytic values of everything src/main.ts prints. */
const EXPECTED: Record<string, unknown> = {
  "gradient(rosenbrock)(0.5, 2)": rosenbrockGrad(0.5, 2),
  "valueWithGradient(rosenbrock)(-1.2, 1)": { value: rosenbrock(-1.2, 1), gradient: rosenbrockGrad(-1.2, 1) },
  "derivative(sigmoid)(0.3)": sigmoid(0.3) * (1 - sigmoid(0.3)),
  // d/dx x^4 at 1.5 (n is not differentiated: `wrt: x`)
  "gradient(clippedPower)(1.5, 4)": 4 * 1.5 ** 3,
  "derivative(cubePlusSine)(0.7)": 3 * 0.7 * 0.7 + Math.cos(0.7),
  "derivative(derivative(sigmoid))(0.3)": sigmoid(0.3) * (1 - sigmoid(0.3)) * (1 - 2 * sigmoid(0.3)),
  // The Hessian of rosenbrock times (1, 0): [2 - 400 y + 1200 x², -400 x]
  "differential(gradient(rosenbrock))(0.5, 2)(1, 0)": [2 - 400 * 2 + 1200 * 0.25, -400 * 0.5],
  // d/dθ [E(θ, 0.5) σ(θ)] = E'(θ) σ + E σ (1 - σ), E' = g L sin θ
  "derivative(pendulumScore)(0.4)":
    G * L * Math.sin(0.4) * sigmoid(0.4) + energy(0.4, 0.5) * sigmoid(0.4) * (1 - sigmoid(0.4)),
  "gradient(pendulum.energy)(0.4, 0.5)": [G * L * Math.sin(0.4), L * L * 0.5],
};

function expectClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === "number") {
    if (typeof actual !== "number" || !(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))) {
      throw new Error(`${where}: expected ${expected}, got ${JSON.stringify(actual)}`);
    }
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new Error(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
    expected.forEach((e, i) => expectClose(actual[i], e, `${where}[${i}]`));
  } else {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    expect(Object.keys(a ?? {}).sort()).toEqual(Object.keys(e).sort());
    for (const k of Object.keys(e)) expectClose(a[k], e[k], `${where}.${k}`);
  }
}

function checkGradients(stdout: string): void {
  const results = parseResults(stdout);
  expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  for (const [label, expected] of Object.entries(EXPECTED)) expectClose(results.get(label), expected, label);
}

/** 1-based line of the `// THROWS-IN-PULLBACK` call in src/throws.ts. */
const THROWS_TS = path.join(SRC, "throws.ts");
const THROWS_LINE = fs.readFileSync(THROWS_TS, "utf8").split("\n").findIndex((l) => l.includes("THROWS-IN-PULLBACK")) + 1;

/** Runs a compiled throws.ts under --enable-source-maps and checks the generated pullback's frame. */
function checkStackTrace(compiled: string): void {
  const r = spawnSync(process.execPath, ["--enable-source-maps", compiled], { cwd: REPO, encoding: "utf8", timeout: 30_000 });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("fragile: no pullback here");
  const frames = r.stderr.split("\n").filter((l) => /^\s+at /.test(l));
  // The frame of the generated pullback of `usesFragile` (the one that called fragile's pullback)
  // points at the user's call `fragile(y)`, in the original TypeScript file.
  const userFrame = `${THROWS_TS}:${THROWS_LINE}:`;
  if (!frames.some((f) => f.includes(userFrame))) {
    throw new Error(`no stack frame at ${userFrame}\n${r.stderr}`);
  }
  // The thrown error itself is located in the .ts file too, not in the bundle.
  expect(frames[0]).toContain(`${THROWS_TS}:`);
}

describe("webpack + babel-loader + @cotangent/babel-plugin", () => {
  const outDir = path.join(OUT, "webpack-babel");
  beforeAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
    node([BIN("webpack/bin/webpack.js"), "--config", path.join(PROJECTS, "webpack-babel/webpack.config.cjs")]);
  });

  test("builds the bundles with source maps", () => {
    for (const f of ["main.cjs", "main.cjs.map", "throws.cjs", "throws.cjs.map"]) {
      expect(fs.existsSync(path.join(outDir, f))).toBe(true);
    }
    const map = JSON.parse(fs.readFileSync(path.join(outDir, "main.cjs.map"), "utf8"));
    expect(map.sources).toContain(path.join(SRC, "model.ts"));
  });

  test("prints the analytic derivatives", () => {
    checkGradients(node([path.join(outDir, "main.cjs")]));
  });

  test("a throwing pullback's stack trace names the user's .ts line (--enable-source-maps)", () => {
    checkStackTrace(path.join(outDir, "throws.cjs"));
  });
});

describe("tspc (ts-patch) + @cotangent/ts-plugin/transformer", () => {
  const outDir = path.join(OUT, "tspc");
  beforeAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
    node([BIN("ts-patch/bin/tspc.js"), "-p", path.join(PROJECTS, "tspc")]);
  });

  test("emits ES modules with source maps", () => {
    for (const f of ["main.js", "model.js", "throws.js", "model.js.map"]) {
      expect(fs.existsSync(path.join(outDir, f))).toBe(true);
    }
    // The transformer inserted derivatives (plain tsc would not).
    expect(fs.readFileSync(path.join(outDir, "model.js"), "utf8")).toMatch(/rosenbrock\$vjp/);
  });

  test("prints the analytic derivatives", () => {
    checkGradients(node([path.join(outDir, "main.js")]));
  });

  test("a throwing pullback's stack trace names the user's .ts line (--enable-source-maps)", () => {
    checkStackTrace(path.join(outDir, "throws.js"));
  });
});
