// @cotangent/unplugin: the bundler host (Vite, Rollup, esbuild, Rspack, webpack), built on unplugin.
// An adapter and nothing more: it picks the files worth a look with a cheap text test, runs the
// Babel host (@cotangent/babel-plugin) on each through @babel/core with TypeScript *syntax* only,
// and hands the bundler the code and Babel's source map. Finding marks, naming and
// differentiating are the Babel host's (and the core's) business, not this file's.
//
// Usage (see README, "Bundlers"): `import cotangent from "@cotangent/unplugin/vite"` and
// `plugins: [cotangent()]`; likewise /rollup, /esbuild, /rspack, /webpack.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { transformAsync } from "@babel/core";
import cotangentBabelPlugin, { type PluginOptions } from "@cotangent/babel-plugin";
import { MARK_HINT, formatDiagnostic, type Diagnostic } from "@cotangent/transformer";
import { createUnplugin, type FilterPattern, type UnpluginBuildContext, type UnpluginContext, type UnpluginInstance } from "unplugin";

export interface Options extends PluginOptions {
  /** Module ids to consider (unplugin filter: RegExp, or glob relative to the working directory). Default: .ts, .tsx, .mts, .cts, .js, .jsx, .mjs, .cjs files. */
  include?: FilterPattern;
  /** Module ids to leave alone. Default: anything under node_modules; pass `[]` (or your own list) to look into node_modules too. */
  exclude?: FilterPattern;
  /**
   * Also remove TypeScript syntax (with @babel/preset-typescript, in the same Babel pass), for
   * bundlers that cannot read TypeScript themselves: Rollup without a TypeScript plugin, webpack
   * without a TypeScript loader. Default false: the output keeps its types for Vite, esbuild or
   * Rspack to strip as they would have anyway.
   */
  stripTypes?: boolean;
}

/** Files that mention a mark or the runtime's module (the core's test). The fast path: anything else is never parsed. */
export const CANDIDATE: RegExp = MARK_HINT;
/** JavaScript and TypeScript modules, with or without a query (`?worker`, `?v=…`). */
export const DEFAULT_INCLUDE: FilterPattern = /\.[cm]?[jt]sx?(?:$|\?)/;
export const DEFAULT_EXCLUDE: FilterPattern = /[\\/]node_modules[\\/]/;

type Context = UnpluginBuildContext & UnpluginContext;

export const unplugin: UnpluginInstance<Options | undefined, false> = createUnplugin<Options | undefined, false>((rawOptions = {}) => {
  const { include = DEFAULT_INCLUDE, exclude = DEFAULT_EXCLUDE, stripTypes = false, ...pluginOptions } = rawOptions;
  return {
    name: "cotangent",
    // Before the bundler's own TypeScript handling: the Babel host reads the type annotations.
    enforce: "pre",
    transform: {
      // With stripTypes every TypeScript file must come through (to lose its types), so the text
      // test moves into the handler; otherwise the bundler applies it before calling us at all.
      filter: stripTypes ? { id: { include, exclude } } : { id: { include, exclude }, code: CANDIDATE },
      async handler(this: Context, code: string, id: string) {
        const file = id.replace(/[?#].*$/, "");
        if (file.startsWith("\0")) return null; // a virtual module
        const candidate = (!stripTypes || CANDIDATE.test(code)) && !inCompiledPackage(file);
        if (candidate) return transform(this, code, file, pluginOptions, stripTypes);
        // Not for Cotangent: with stripTypes a TypeScript file still loses its types here.
        return stripTypes && TS_FILE.test(file) ? transform(this, code, file, undefined, true) : null;
      },
    },
    // Rollup reads no TypeScript, so with stripTypes this plugin is the project's TypeScript plugin
    // there and also resolves imports the way TypeScript does: "./model.js" (or "./model") from a
    // .ts file is ./model.ts when that exists. Vite, esbuild, Rspack and webpack resolve on their own.
    rollup: stripTypes ? { resolveId: resolveTypeScript } : {},
  };
});

/**
 * Cotangent's own packages that ship code already built by Cotangent (their generated functions
 * keep their JSDoc marks): never differentiated again, wherever they are. Under node_modules the
 * default `exclude` skips them anyway; this covers them linked from elsewhere (npm workspaces,
 * `npm link`), where the bundler sees their real path.
 */
const COMPILED_PACKAGES = new Set(["@cotangent/runtime", "@cotangent/nn"]);
const packageOfDir = new Map<string, string | undefined>();

/** The name in the nearest package.json with a name, from `dir` up (cached per folder). */
function packageName(dir: string): string | undefined {
  if (packageOfDir.has(dir)) return packageOfDir.get(dir);
  let name: string | undefined;
  const manifest = join(dir, "package.json");
  if (existsSync(manifest)) {
    try {
      name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name;
    } catch {
      name = undefined;
    }
  }
  // A package.json with no name (dist/cjs/package.json: {"type": "commonjs"}) only sets the module type.
  if (name === undefined && dirname(dir) !== dir) name = packageName(dirname(dir));
  packageOfDir.set(dir, name);
  return name;
}

function inCompiledPackage(file: string): boolean {
  const name = packageName(dirname(file));
  return name !== undefined && COMPILED_PACKAGES.has(name);
}

const TS_FILE = /\.(?:[cm]?ts|tsx)$/;

function resolveTypeScript(source: string, importer: string | undefined): string | null {
  if (!importer || !TS_FILE.test(importer.replace(/[?#].*$/, "")) || !/^\.\.?\//.test(source)) return null;
  const base = resolve(dirname(importer), source);
  const stem = base.replace(/\.(?:js|jsx|mjs|cjs)$/, "");
  const typed: Record<string, string[]> = { ".js": [".ts", ".tsx"], ".jsx": [".tsx"], ".mjs": [".mts"], ".cjs": [".cts"] };
  const ext = base.slice(stem.length);
  const candidates = ext ? (typed[ext] ?? []).map((e) => stem + e) : [".ts", ".tsx", ".mts", ".cts"].map((e) => base + e);
  return candidates.find((c) => existsSync(c)) ?? null;
}

const presetOfDir = new Map<string, string>();

/** @babel/preset-typescript as the project that holds `file` resolves it (stripTypes needs it installed there). */
function presetTypescript(file: string): string {
  const dir = dirname(file);
  let found = presetOfDir.get(dir);
  if (found === undefined) {
    try {
      found = createRequire(file).resolve("@babel/preset-typescript");
    } catch {
      throw new Error(`stripTypes: true needs @babel/preset-typescript, which is not installed where ${file} can see it (npm install --save-dev @babel/preset-typescript)`);
    }
    presetOfDir.set(dir, found);
  }
  return found;
}

/** Runs the Babel host on one module; Cotangent's errors fail the build, its warnings become the bundler's. */
async function transform(ctx: Context, code: string, file: string, pluginOptions: PluginOptions | undefined, stripTypes: boolean) {
  const ext = /\.([cm]?[jt]sx?)$/.exec(file)?.[1] ?? "js";
  const typescript = ext.includes("t");
  const jsx = ext.endsWith("x");
  // The Babel host reports every diagnostic as data (onDiagnostics); it prints none itself
  // (warnings: false), so that the warnings reach the bundler and the errors carry a location.
  const diagnostics: Diagnostic[] = [];
  const hostOptions: PluginOptions | undefined = pluginOptions && {
    ...pluginOptions,
    warnings: false,
    onDiagnostics: (found, fileName) => {
      diagnostics.push(...found);
      pluginOptions.onDiagnostics?.(found, fileName);
    },
  };
  let result: Awaited<ReturnType<typeof transformAsync>> = null;
  let failure: unknown;
  try {
    result = await transformAsync(code, {
      filename: file,
      sourceFileName: file,
      babelrc: false,
      configFile: false,
      browserslistConfigFile: false,
      // Bundlers read .js/.ts as ES modules; a .cjs/.cts file may be a script.
      sourceType: ext.startsWith("c") ? "unambiguous" : "module",
      sourceMaps: true,
      // Only the syntax: the output keeps its TypeScript (unless stripTypes) for the bundler's own TS handling.
      parserOpts: { plugins: [...(typescript && !stripTypes ? (["typescript"] as const) : []), ...(jsx && !(typescript && stripTypes) ? (["jsx"] as const) : [])] },
      // No host options: a file with no mark and no runtime import, only here to lose its types.
      plugins: hostOptions ? [[cotangentBabelPlugin, hostOptions]] : [],
      presets: typescript && stripTypes ? [[presetTypescript(file), {}]] : [],
    });
  } catch (e) {
    failure = e ?? new Error("Babel failed");
  }
  if (pluginOptions?.warnings !== false) {
    for (const d of diagnostics) if (d.severity !== "error") ctx.warn({ message: formatDiagnostic(d, code, file), id: file, ...located(ctx, d.loc, file) });
  }
  if (failure !== undefined) return fail(ctx, failure, file, code, diagnostics.find((d) => d.severity === "error"));
  if (!result?.code) return null;
  return { code: result.code, map: result.map ?? null };
}

/**
 * A place as Rollup and Vite take it (line 1-based, column 0-based; they show it beside the
 * module's id). Not for esbuild, whose adapter would print an empty frame below ours, nor webpack
 * and Rspack, which ignore it: the message has the place and the code frame anyway.
 */
function located(ctx: Context, loc: { line: number; column: number } | undefined, file: string): { loc?: { file: string; line: number; column: number } } {
  return loc && ctx.getNativeBuildContext?.() === undefined ? { loc: { file, line: loc.line, column: loc.column } } : {};
}

/**
 * Reports a failed Babel pass as a build error: Babel's message (for Cotangent's errors: every
 * `file:line:col - error CTnnnn: …` with its code frame and notes), less Babel's `file: ` prefix
 * (every bundler names the module itself), located at the first error. Returns what an esbuild
 * plugin hands back so that the error it recorded is reported; throws everywhere else.
 */
function fail(ctx: Context, e: unknown, file: string, code: string, first: Diagnostic | undefined): { code: string; map: null } {
  const error = e instanceof Error ? e : new Error(String(e));
  const message = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
  // Babel's own errors (a syntax error) carry a location too.
  const babelLoc = (error as { loc?: { line: number; column: number } }).loc;
  const where = located(ctx, first?.loc ?? babelLoc, file);
  const framework = ctx.getNativeBuildContext?.().framework;
  if (framework === "esbuild") {
    // unplugin's esbuild adapter collects this.error and reports it with the module's contents.
    ctx.error({ message, id: file, ...where });
    return { code, map: null };
  }
  if (framework === undefined) {
    // Rollup and Vite: this.error throws, with the plugin's name, the module's id and the location.
    ctx.error({ message, id: file, ...where });
  }
  // webpack and Rspack: a loader error ("Module build failed … Error: <message>"), without our stack.
  const thrown = new Error(message);
  thrown.stack = `Error: ${message}`;
  throw thrown;
}

export default unplugin;
