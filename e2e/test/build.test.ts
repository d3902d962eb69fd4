// The sample user projects (e2e/projects/) built for real, the way a user would build them:
//   webpack-babel: webpack 5 + babel-loader (@babel/preset-typescript + @cotangent/babel-plugin)
//                  -> e2e/out/webpack-babel/{main,throws}.cjs (+ source maps)
//   tspc:          ts-patch 3.3 `tspc` with @cotangent/ts-plugin/transformer
//                  -> e2e/out/tspc/{main,model,throws}.js (ES modules, + source maps)
// and the bundler host @cotangent/unplugin (below: Vite, Rollup, esbuild, Rspack, webpack, also the
// Vite bundle in headless Chromium, vitest, the fast path, and diagnostics as build errors).
// All compile the same sources (e2e/projects/webpack-babel/src). The outputs are run with node and
// the printed derivatives are compared with analytic values; a pullback that throws must produce
// a stack trace that names the user's .ts file and line (node --enable-source-maps).
// Needs the workspace packages built (`npm run build`; `npm test` does it), and /usr/bin/chromium
// (CHROMIUM_PATH overrides) for the browser check.

import { beforeAll, describe, expect, jest, test } from "@jest/globals";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { chromium } from "playwright-core";

const REPO = path.resolve(__dirname, "../..");
const PROJECTS = path.join(REPO, "e2e/projects");
const SRC = path.join(PROJECTS, "webpack-babel/src");
const OUT = path.join(REPO, "e2e/out");
const BIN = (p: string) => path.join(REPO, "node_modules", p);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

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

// ---------------------------------------------------------------------------------------------
// The bundler host, @cotangent/unplugin, in real bundlers. Each sample project builds the same
// sources (e2e/projects/webpack-babel/src) into e2e/out/<name>/; the bundles are run with node and
// must print the analytic derivatives, and a throwing pullback's stack trace must name the user's
// .ts line through the bundler's source maps:
//   vite:             Vite 8 (Rolldown, Oxc strips the types), ES-module library; also in Chromium
//   rollup:           Rollup 4, the plugin strips the types (stripTypes)
//   esbuild:          esbuild, which strips the types itself
//   rspack:           Rspack 2, builtin:swc-loader strips the types
//   webpack-unplugin: webpack 5, no TypeScript loader: the plugin strips the types (stripTypes)

/** Every file a source map names, made absolute (relative to the map's folder and sourceRoot). */
function mapSources(mapFile: string): string[] {
  const map = JSON.parse(fs.readFileSync(mapFile, "utf8")) as { sources: string[]; sourceRoot?: string };
  const base = path.resolve(path.dirname(mapFile), map.sourceRoot ?? "");
  return map.sources.map((s) => (s.startsWith("file://") ? new URL(s).pathname : path.resolve(base, s.replace(/^webpack:\/\/[^/]*\//, ""))));
}

interface BundlerSample {
  name: string;
  title: string;
  /** Builds e2e/out/<name>/ with the bundler's CLI or JS API (from node_modules). */
  build: () => void;
  main: string;
  throws: string;
  /** Tests of this sample's own extra outputs. */
  more?: (outDir: string) => void;
}

const BUNDLER_SAMPLES: BundlerSample[] = [
  {
    name: "vite",
    title: "Vite 8 + @cotangent/unplugin/vite",
    build: () => node([BIN("vite/bin/vite.js"), "build", "--config", path.join(PROJECTS, "vite/vite.config.ts")]),
    main: "main.js",
    throws: "throws.js",
  },
  {
    name: "rollup",
    title: "Rollup 4 + @cotangent/unplugin/rollup (stripTypes)",
    build: () => node([BIN("rollup/dist/bin/rollup"), "--silent", "-c", path.join(PROJECTS, "rollup/rollup.config.mjs")]),
    main: "main.js",
    throws: "throws.js",
  },
  {
    name: "esbuild",
    title: "esbuild + @cotangent/unplugin/esbuild",
    build: () => node([path.join(PROJECTS, "esbuild/build.mjs")]),
    main: "main.js",
    throws: "throws.js",
    more: (outDir) =>
      test("a .tsx module (JSX and types left to esbuild) is differentiated", () => {
        expect(node([path.join(outDir, "view.js")]).trim()).toBe("<b>12</b>");
        expect(fs.readFileSync(path.join(outDir, "view.js"), "utf8")).toMatch(/function cube\$vjp\b/);
      }),
  },
  {
    name: "rspack",
    title: "Rspack 2 + @cotangent/unplugin/rspack (+ builtin:swc-loader)",
    build: () =>
      node([
        "-e",
        `const { rspack } = require("@rspack/core");
         rspack(require(${JSON.stringify(path.join(PROJECTS, "rspack/rspack.config.cjs"))}), (err, stats) => {
           if (err) throw err;
           if (stats.hasErrors()) { console.error(stats.toString("errors-only")); process.exit(1); }
         });`,
      ]),
    main: "main.cjs",
    throws: "throws.cjs",
  },
  {
    name: "webpack-unplugin",
    title: "webpack 5 + @cotangent/unplugin/webpack (stripTypes)",
    build: () => node([BIN("webpack/bin/webpack.js"), "--config", path.join(PROJECTS, "webpack-unplugin/webpack.config.cjs")]),
    main: "main.cjs",
    throws: "throws.cjs",
  },
];

for (const sample of BUNDLER_SAMPLES) {
  describe(sample.title, () => {
    const outDir = path.join(OUT, sample.name);
    beforeAll(() => {
      fs.rmSync(outDir, { recursive: true, force: true });
      sample.build();
    });

    test("builds the bundles with source maps that name the user's .ts files", () => {
      for (const f of [sample.main, sample.throws]) {
        expect(fs.existsSync(path.join(outDir, f))).toBe(true);
        expect(fs.existsSync(path.join(outDir, `${f}.map`))).toBe(true);
      }
      const sources = fs.readdirSync(outDir).filter((f) => f.endsWith(".map")).flatMap((f) => mapSources(path.join(outDir, f)));
      expect(sources).toContain(path.join(SRC, "model.ts"));
      expect(sources).toContain(THROWS_TS);
      // The derivatives were generated at build time, by the plugin: plain TypeScript has none.
      const code = fs.readdirSync(outDir).filter((f) => /\.c?js$/.test(f)).map((f) => fs.readFileSync(path.join(outDir, f), "utf8")).join("\n");
      expect(code).toMatch(/function rosenbrock\$vjp\b/);
      expect(code).toMatch(/usesFragile\$vjp/);
    });

    test("prints the analytic derivatives", () => {
      checkGradients(node([path.join(outDir, sample.main)]));
    });

    test("a throwing pullback's stack trace names the user's .ts line (--enable-source-maps)", () => {
      checkStackTrace(path.join(outDir, sample.throws));
    });

    sample.more?.(outDir);
  });
}

describe("the Vite bundle in headless Chromium", () => {
  const outDir = path.join(OUT, "vite");
  let lines: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH.`);
    }
    // Built by the Vite describe above (same file, run in order); build it here when run alone.
    if (!fs.existsSync(path.join(outDir, "index.html"))) BUNDLER_SAMPLES[0]!.build();
    const server = http.createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
      const file = path.join(outDir, name);
      if (!file.startsWith(outDir + path.sep) || !fs.existsSync(file)) {
        problems.push(`404: ${name}`);
        return void res.writeHead(404).end();
      }
      const type = file.endsWith(".html") ? "text/html" : file.endsWith(".js") ? "text/javascript" : "application/json";
      res.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "cotangent-vite-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const console: string[] = [];
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
        if (m.text() === "DONE" || m.text().startsWith("FAILED")) done();
        else console.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no DONE from the page: ${problems.join("\n")}`)), 30_000)));
      await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
      lines = console;
    } finally {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(profile, { recursive: true, force: true });
    }
  });

  test("prints the same analytic derivatives as in node", () => {
    expect(problems).toEqual([]);
    checkGradients(lines.join("\n"));
  });
});

describe("vitest 4 + @cotangent/unplugin/vite", () => {
  test("runs a test file of marked functions, with derivatives generated by the plugin", () => {
    const report = path.join(OUT, "vitest/report.json");
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
    const r = spawnSync(
      process.execPath,
      [BIN("vitest/vitest.mjs"), "run", "--config", path.join(PROJECTS, "vitest/vitest.config.ts"), "--reporter=json", `--outputFile=${report}`],
      { cwd: REPO, encoding: "utf8", timeout: 90_000, env: { ...process.env, CI: "1", FORCE_COLOR: "0" } },
    );
    if (r.status !== 0) throw new Error(`vitest exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    const json = JSON.parse(fs.readFileSync(report, "utf8")) as {
      numTotalTests: number;
      numPassedTests: number;
      testResults: { assertionResults: { title: string; status: string }[] }[];
    };
    const titles = json.testResults.flatMap((t) => t.assertionResults.map((a) => `${a.status}: ${a.title}`));
    expect(titles.sort()).toEqual([
      "passed: gradient and derivative give the analytic values",
      "passed: the build generated f's reverse-mode derivative in this module",
    ]);
    expect(json.numPassedTests).toBe(json.numTotalTests);
  });
});

describe("the fast path: which files the plugin reads (Rollup, e2e/projects/fast-path)", () => {
  const outDir = path.join(OUT, "fast-path");
  const text = (p: string) => fs.readFileSync(path.join(PROJECTS, "fast-path", p), "utf8");
  /** The function line of a fixture, as written (its odd spacing is gone once Babel has printed it). */
  const line = (p: string) => text(p).split("\n").find((l) => l.startsWith("export"))!;
  beforeAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
    node([path.join(PROJECTS, "fast-path/build.mjs")]);
  });

  test("a file with no mark and no runtime import is left as it was; a marked one is differentiated", () => {
    const bundle = fs.readFileSync(path.join(outDir, "default/entry.js"), "utf8");
    expect(bundle).toContain(line("src/plain.js").replace(/^export\s+/, ""));
    expect(bundle).not.toContain(line("src/marked.js").replace(/^export\s+/, ""));
    expect(bundle).toMatch(/function marked\$vjp\b/);
    expect(JSON.parse(node([path.join(outDir, "default/entry.js")]))).toEqual({ plain: 20, marked: 12, lib: 9 });
  });

  test("node_modules is skipped by default and read with exclude: []", () => {
    const libLine = line("vendor/marked-lib.js").replace(/^export\s+/, "");
    const byDefault = fs.readFileSync(path.join(outDir, "default/entry.js"), "utf8");
    expect(byDefault).toContain(libLine);
    expect(byDefault).not.toMatch(/libSquare\$vjp/);
    const optedIn = fs.readFileSync(path.join(outDir, "opted-in/entry.js"), "utf8");
    expect(optedIn).not.toContain(libLine);
    expect(optedIn).toMatch(/function libSquare\$vjp\b/);
  });
});

describe("Cotangent diagnostics as build errors and warnings (e2e/projects/errors)", () => {
  const BAD = path.join(PROJECTS, "errors/src/bad.ts");
  const CONSTANT = path.join(PROJECTS, "errors/src/constant.ts");
  const BUNDLERS = ["vite", "rollup", "esbuild", "rspack", "webpack"];
  const results = new Map<string, { status: number | null; output: string }>();
  /** How each bundler shows a plugin's warning. */
  const WARNING_AS_REPORTED: Record<string, RegExp> = {
    vite: /\[plugin cotangent\] \S*constant\.ts:4:3 - warning CT1101/,
    rollup: /\(!\) \[plugin cotangent\] \S*constant\.ts \(4:2\): \S*constant\.ts:4:3 - warning CT1101/,
    esbuild: /▲ \[WARNING\] \S*constant\.ts:4:3 - warning CT1101/,
    rspack: /Module Warning \(from [^\n]*unplugin[^\n]*\):\n\s*│ \S*constant\.ts:4:3 - warning CT1101/,
    webpack: /Module Warning \(from [^\n]*unplugin[^\n]*\):\n\S*constant\.ts:4:3 - warning CT1101/,
  };

  /** Builds one file with one bundler in a child process (async: the ten builds share the cores). */
  const build = (bundler: string, file: string) =>
    new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [path.join(PROJECTS, "errors/build.mjs"), bundler, file], {
        cwd: REPO,
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const timer = setTimeout(() => child.kill(), 90_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        results.set(`${bundler} ${file}`, { status, output });
        resolve();
      });
    });

  beforeAll(async () => {
    fs.rmSync(path.join(OUT, "errors"), { recursive: true, force: true });
    await Promise.all(BUNDLERS.flatMap((b) => [build(b, "bad.ts"), build(b, "constant.ts")]));
  });

  for (const bundler of BUNDLERS) {
    test(`${bundler}: a CT1003 error fails the build with the code, file:line:col and a code frame`, () => {
      const { status, output } = results.get(`${bundler} bad.ts`)!;
      expect(status).not.toBe(0);
      expect(output).toContain(`${BAD}:4:13 - error CT1003: function 'truncated' is not differentiable: the bitwise operator '|' is not differentiable`);
      // The code frame of the offending line.
      expect(output).toMatch(/> 4 \|\s+const k = x \| 0;/);
      // Rollup and Vite also get the place as data (error.loc: line 4, column 12 counted from 0), and show it.
      if (bundler === "rollup") expect(output).toMatch(/\[plugin cotangent\] \S*bad\.ts \(4:12\): Cotangent: 1 error/);
      if (bundler === "vite") expect(output).toMatch(/\[plugin cotangent\] \S*bad\.ts:4:12\n/);
    });

    test(`${bundler}: a CT1101 warning is the bundler's warning and the build succeeds`, () => {
      const { status, output } = results.get(`${bundler} constant.ts`)!;
      if (status !== 0) throw new Error(`${bundler} failed:\n${output}`);
      expect(output).toMatch(new RegExp(`${CONSTANT.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:4:3 - warning CT1101`));
      // Reported by the bundler as its own warning (not printed by the Babel host behind its back).
      expect(output).toMatch(WARNING_AS_REPORTED[bundler]!);
    });
  }
});
