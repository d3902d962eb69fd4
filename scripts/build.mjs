#!/usr/bin/env node
// Builds every workspace package with the TypeScript compiler API, in dependency order.
// Each package is compiled twice from all of its src/**/*.ts:
//   dist/esm  ES modules + .d.ts + declaration maps + source maps (type-checked; errors fail the build)
//   dist/cjs  CommonJS + source maps (emitted with noCheck: the ESM pass already checked the same code)
// and dist/cjs/package.json = {"type":"commonjs"} so Node treats the .js files there as CJS.
//
// Options come from <pkg>/tsconfig.json when a package has one (it should extend ../tsconfig.base.json),
// else from tsconfig.base.json plus the per-package defaults below. Output-related options (module,
// moduleResolution, rootDir, outDir, declaration*) are always set here.
//
// Usage: node scripts/build.mjs [package ...]   (default: all packages)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import ts from "typescript";
import { buildWasm } from "./build-wasm.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Dependency order: a package may only import packages listed before it. */
const PACKAGES = [
  // Browser-safe: no Node types, DOM lib for console/WebGPU.
  { dir: "runtime", defaults: { lib: ["ES2022", "DOM"], types: [] } },
  { dir: "transformer", defaults: { types: ["node"] } },
  { dir: "babel-plugin", defaults: { types: ["node"] } },
  { dir: "ts-plugin", defaults: { types: ["node"] } },
  // The bundler host (unplugin): an adapter over the Babel host.
  { dir: "unplugin", defaults: { types: ["node"] } },
  // Layers and optimizers, written as differentiable TypeScript and built with Cotangent's own
  // ts-patch transformer (the ts-plugin built just before): the dogfood.
  { dir: "nn", defaults: { lib: ["ES2022", "DOM"], types: [] }, cotangent: true },
];

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => "\n",
};

function fail(message, diagnostics = []) {
  if (diagnostics.length > 0) {
    const text = process.stderr.isTTY
      ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost)
      : ts.formatDiagnostics(diagnostics, formatHost);
    process.stderr.write(text + "\n");
  }
  process.stderr.write(`\nbuild FAILED: ${message}\n`);
  process.exit(1);
}

function listTs(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(p));
    else if (entry.isFile() && /\.(c|m)?ts$/.test(entry.name)) out.push(p);
  }
  return out;
}

/** Parsed compiler options for one package (before the per-output overrides). */
function baseOptions(pkgDir, defaults) {
  const own = path.join(pkgDir, "tsconfig.json");
  const config = fs.existsSync(own)
    ? { extends: own }
    : { extends: path.join(root, "tsconfig.base.json"), compilerOptions: defaults };
  config.include = ["src/**/*"];
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, pkgDir, undefined, path.join(pkgDir, "tsconfig.build.json"));
  const errors = parsed.errors.filter((d) => d.code !== 18003 /* no inputs: we pass rootNames ourselves */);
  if (errors.length > 0) fail(`bad compiler options for ${path.relative(root, pkgDir)}`, errors);
  return parsed.options;
}

/** Source files are parsed once and shared by the ESM and CJS programs (same target, same file text). */
const sourceFileCache = new Map();
function cachingHost(options) {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    // Only library declaration files are shared: project files get module-format-dependent flags.
    const shareable = fileName.endsWith(".d.ts") && fileName.includes(`${path.sep}node_modules${path.sep}`);
    const key = `${fileName}\0${JSON.stringify(languageVersionOrOptions)}`;
    if (shareable && sourceFileCache.has(key)) return sourceFileCache.get(key);
    const sf = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
    if (shareable && sf) sourceFileCache.set(key, sf);
    return sf;
  };
  return host;
}

function compile(label, rootNames, options, { check, cotangent = false }) {
  const program = ts.createProgram({ rootNames, options, host: cachingHost(options) });
  const diagnostics = check
    ? ts.getPreEmitDiagnostics(program)
    : [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getGlobalDiagnostics()];
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) fail(`${errors.length} error(s) in ${label}`, diagnostics);
  // Packages written with marked functions go through the Cotangent transformer; its errors fail the build.
  const transformDiagnostics = [];
  let customTransformers;
  if (cotangent) {
    const require = createRequire(import.meta.url);
    const cotangentTransformer = require(path.join(root, "ts-plugin", "transformer.cjs"));
    const factory = (cotangentTransformer.default ?? cotangentTransformer)(program, {}, { ts, addDiagnostic: (d) => transformDiagnostics.push(d) });
    customTransformers = { before: [factory] };
  }
  const result = program.emit(undefined, undefined, undefined, undefined, customTransformers);
  if (transformDiagnostics.length > 0) fail(`${transformDiagnostics.length} Cotangent error(s) in ${label}`, transformDiagnostics);
  if (result.emitSkipped || result.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) {
    fail(`emit failed for ${label}`, result.diagnostics);
  }
}

/** Warns about package.json entry points (main/module/types/exports) that the build did not produce. */
function warnMissingEntryPoints(pkgDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const targets = new Set();
  const collect = (v) => {
    if (typeof v === "string") targets.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect([manifest.main, manifest.module, manifest.types, manifest.exports]);
  for (const target of targets) {
    if (target.startsWith("./dist/") && !target.includes("*") && !fs.existsSync(path.join(pkgDir, target))) {
      console.warn(`  warning: ${path.basename(pkgDir)}/package.json names ${target}, which the build did not produce`);
    }
  }
}

function buildPackage({ dir, defaults, cotangent = false }) {
  const pkgDir = path.join(root, dir);
  const srcDir = path.join(pkgDir, "src");
  const rootNames = listTs(srcDir);
  if (rootNames.length === 0) {
    console.log(`- ${dir}: skipped (no .ts files under ${dir}/src yet)`);
    return false;
  }
  const started = performance.now();
  const options = baseOptions(pkgDir, defaults);
  const distDir = path.join(pkgDir, "dist");
  fs.rmSync(distDir, { recursive: true, force: true });

  const common = { ...options, rootDir: srcDir, noEmit: false, noEmitOnError: true, composite: false, incremental: false, tsBuildInfoFile: undefined };
  compile(`${dir} (esm)`, rootNames, {
    ...common,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    outDir: path.join(distDir, "esm"),
    declaration: true,
    declarationMap: true,
    sourceMap: true,
  }, { check: true, cotangent });
  compile(`${dir} (cjs)`, rootNames, {
    ...common,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    verbatimModuleSyntax: false,
    outDir: path.join(distDir, "cjs"),
    declaration: false,
    declarationMap: false,
    sourceMap: true,
    noCheck: true,
  }, { check: false, cotangent });
  fs.writeFileSync(path.join(distDir, "cjs", "package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n");
  dataReExports(path.join(distDir, "cjs", "index.js"));
  console.log(`- ${dir}: ${rootNames.length} file(s) -> dist/esm, dist/cjs (${Math.round(performance.now() - started)} ms)`);
  return true;
}

// tsc's CommonJS re-exports (`export { x } from "./m.js"`) are getters, and the entry module's
// exports object, with ~150 of them, is in V8's dictionary mode: every `__ct.takeTape()` in
// generated code then calls a getter V8 does not inline (measured: 40 ns of a 170 ns gradient).
// At the end of the entry module every re-export that has its value becomes a plain data
// property; one still undefined there (a module of an import cycle not yet run) keeps its getter.
const DATA_RE_EXPORTS = `
// Added by scripts/build.mjs: re-exports as data properties (tsc emits getters, slow on hot paths).
for (const key of Object.keys(exports)) {
  const d = Object.getOwnPropertyDescriptor(exports, key);
  if (d && d.get && d.configurable !== false && exports[key] !== undefined) Object.defineProperty(exports, key, { value: exports[key], enumerable: true, writable: false, configurable: true });
}
`;

function dataReExports(file) {
  if (!fs.existsSync(file)) return;
  const code = fs.readFileSync(file, "utf8");
  const marker = "//# sourceMappingURL=";
  const at = code.lastIndexOf(marker);
  fs.writeFileSync(file, at < 0 ? code + DATA_RE_EXPORTS : code.slice(0, at) + DATA_RE_EXPORTS.slice(1) + code.slice(at));
}

const only = process.argv.slice(2);
const unknown = only.filter((name) => !PACKAGES.some((p) => p.dir === name));
if (unknown.length > 0) fail(`unknown package(s): ${unknown.join(", ")} (known: ${PACKAGES.map((p) => p.dir).join(", ")})`);

const started = performance.now();
console.log(`cotangent build (typescript ${ts.version})`);
// The runtime embeds the WebAssembly kernels: regenerate them first if kernels.wat changed.
if (only.length === 0 || only.includes("runtime")) {
  try {
    await buildWasm();
  } catch (e) {
    fail(`wasm kernels: ${e.message}`);
  }
}
for (const pkg of PACKAGES) {
  if (only.length === 0 || only.includes(pkg.dir)) {
    if (buildPackage(pkg)) {
      if (pkg.dir === "runtime") await writePrimitiveTable();
      warnMissingEntryPoints(path.join(root, pkg.dir));
    }
  }
}

/**
 * runtime/dist/primitives.json: which runtime exports and Tensor methods are ops, and which have
 * no derivative, straight from the op registry of the built runtime. The Babel and TypeScript
 * hosts read it (`@cotangent/runtime/primitives.json`), so the build knows the same ops the
 * runtime defines without a second list.
 */
async function writePrimitiveTable() {
  const { pathToFileURL } = await import("node:url");
  const runtime = await import(pathToFileURL(path.join(root, "runtime", "dist", "esm", "index.js")).href);
  const table = runtime.primitiveManifest();
  fs.writeFileSync(path.join(root, "runtime", "dist", "primitives.json"), JSON.stringify(table, null, 1) + "\n");
}
console.log(`done in ${Math.round(performance.now() - started)} ms`);
