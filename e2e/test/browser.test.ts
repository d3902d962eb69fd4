// The runtime in a real browser: e2e/browser (a marked loss over an @cotangent/nn MLP, compiled by
// webpack + babel-loader + @cotangent/babel-plugin for the web) loaded into headless Chromium
// (Debian's `chromium` via playwright-core, --enable-unsafe-webgpu: SwiftShader's WebGPU adapter),
// served from a node:http server on 127.0.0.1 (a secure context, as navigator.gpu needs). The page
// switches to WebGPU, checks its gradient against the CPU's (and that of a loss through a kernel function,
// map(softClip), compiled to WGSL by the build), and runs Adam steps on the GPU.
// Needs the workspace packages built (`npm run build`; `npm test` does it) and /usr/bin/chromium
// (CHROMIUM_PATH overrides; .ci/run installs Debian's package). Without Chromium this test fails.
// BROWSER_TEST_DEBUG=1 prints what the page published.

import { afterAll, beforeAll, describe, expect, jest, test } from "@jest/globals";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import webpack from "webpack";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const REPO = path.resolve(__dirname, "../..");
const APP = path.join(REPO, "e2e/browser");
const OUT = path.join(REPO, "e2e/out/browser");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

jest.setTimeout(90_000);

/** What e2e/browser/src/main.ts publishes on window.__cotangentResult. */
interface PageResult {
  status: "done" | "error";
  message?: string;
  stack?: string;
  secureContext: boolean;
  adapter: string;
  backend: string;
  parameterBackends: string[];
  losses: number[];
  cpuLoss: number;
  gradients: { path: string; shape: number[]; backend: string; relError: number; maxAbsCpu: number }[];
  maxRelError: number;
  kernel: { backend: string; relError: number };
  ms: number;
}

function build(): Promise<void> {
  const config = require(path.join(APP, "webpack.config.cjs")) as webpack.Configuration;
  return new Promise((resolve, reject) => {
    webpack(config, (err, stats) => {
      if (err) return reject(err);
      if (!stats || stats.hasErrors()) return reject(new Error(`webpack failed:\n${stats?.toString("errors-only")}`));
      resolve();
    });
  });
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" };

/** Serves OUT on 127.0.0.1 (ephemeral port); resolves to the server and its base URL. */
function serve(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.join(OUT, name);
    if (!file.startsWith(OUT + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

describe("headless Chromium: the runtime trains an MLP on WebGPU", () => {
  let server: http.Server | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let result: PageResult;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const consoleLog: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: this test needs a real browser. Install Debian's package ` +
          `(apt-get update && apt-get install -y --no-install-recommends chromium; .ci/run does it) or set CHROMIUM_PATH.`,
      );
    }
    await build();
    fs.copyFileSync(path.join(APP, "index.html"), path.join(OUT, "index.html"));
    const served = await serve();
    server = served.server;
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "cotangent-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--enable-unsafe-webgpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    const page: Page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => pageErrors.push(`${e.message}\n${e.stack ?? ""}`));
    page.on("console", (m) => {
      consoleLog.push(`[${m.type()}] ${m.text()}`);
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    await page.goto(served.url);
    try {
      await page.waitForFunction(() => (window as unknown as { __cotangentResult?: unknown }).__cotangentResult !== undefined, null, { timeout: 60_000 });
    } catch (e) {
      throw new Error(`the page published no result: ${(e as Error).message}\npage errors:\n${pageErrors.join("\n")}\nconsole:\n${consoleLog.join("\n")}`);
    }
    result = (await page.evaluate(() => (window as unknown as { __cotangentResult: unknown }).__cotangentResult)) as PageResult;
    if (process.env.BROWSER_TEST_DEBUG) console.log(JSON.stringify(result, null, 1), consoleLog.join("\n"));
    // The same result is in the DOM.
    expect(await page.getAttribute("#result", "data-status")).toBe(result.status);
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test("the page ran to the end on the webgpu backend, without page or console errors", () => {
    if (result.status !== "done") throw new Error(`the page failed: ${result.message}\n${result.stack}\nconsole:\n${consoleLog.join("\n")}`);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(result.secureContext).toBe(true);
    expect(result.backend).toBe("webgpu");
    // A kernel function (map(softClip), compiled to WGSL by the build) in a loss: the same gradient as the CPU's.
    expect(result.kernel.backend).toBe("webgpu");
    expect(result.kernel.relError).toBeLessThan(1e-4);
    // The trained parameters stayed on the GPU.
    expect(result.parameterBackends.length).toBe(6);
    expect(new Set(result.parameterBackends)).toEqual(new Set(["webgpu"]));
  });

  test("the WebGPU gradient matches the CPU's (float32, relative 1e-4)", () => {
    expect(result.gradients.map((g) => g.path)).toEqual(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"]);
    for (const g of result.gradients) {
      expect(g.backend).toBe("webgpu");
      expect(g.maxAbsCpu).toBeGreaterThan(0);
      if (!(g.relError <= 1e-4)) throw new Error(`${g.path}: WebGPU vs CPU relative error ${g.relError}`);
    }
    expect(Math.abs(result.losses[0]! - result.cpuLoss)).toBeLessThanOrEqual(1e-4 * result.cpuLoss);
  });

  test("Adam steps on WebGPU lower the loss", () => {
    const { losses } = result;
    expect(losses.length).toBeGreaterThanOrEqual(5);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(0.9 * losses[0]!);
    // Mostly downhill step to step.
    const down = losses.slice(1).filter((l, i) => l < losses[i]!).length;
    expect(down).toBeGreaterThanOrEqual(Math.ceil(0.75 * (losses.length - 1)));
  });

  test("the browser app type-checks (npx tsc -p e2e/browser; babel-loader does not check types)", () => {
    const r = spawnSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", APP], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`tsc -p e2e/browser exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  });
});
