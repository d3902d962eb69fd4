#!/usr/bin/env node
// `cotangent`: command-line tools for Cotangent.
//
//   cotangent explain <file.ts> [name]   print the generated forward-mode (JVP) and reverse-mode
//                                        (VJP) derivatives of the marked functions in a file
//
// It compiles the file with Babel (@babel/core + @babel/preset-typescript + @cotangent/babel-plugin),
// which are looked up at run time from the current directory (the user's project), then from the
// file's directory: this package does not depend on Babel.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const HELP = `Usage: cotangent <command> [options]

Commands:
  explain <file.ts> [name]   Print the derivative code Cotangent generates for the marked
                             functions of <file.ts> (only <name> if given): the forward-mode
                             JVP (name$jvp) and the reverse-mode VJP (name$vjp) with its pullback.
                             Diagnostics (CTxxxx) are printed to stderr and the exit code is 1.

Options:
  --jvp                      explain: print only the forward-mode derivatives
  --vjp                      explain: print only the reverse-mode derivatives
  --no-color                 do not color the output (also when NO_COLOR is set or not a TTY)
  -h, --help                 show this help
  -v, --version              show the version

Requires @babel/core, @babel/preset-typescript and @cotangent/babel-plugin installed in the
project (resolved from the current directory).

Examples:
  cotangent explain src/model.ts
  cotangent explain src/model.ts loss --vjp`;

class UsageError extends Error {}

function parseArgs(argv) {
  const flags = new Set();
  const positional = [];
  for (const a of argv) {
    if (a === "--") continue;
    if (a.startsWith("-")) flags.add(a);
    else positional.push(a);
  }
  const known = new Set(["--jvp", "--vjp", "--no-color", "-h", "--help", "-v", "--version"]);
  for (const f of flags) if (!known.has(f)) throw new UsageError(`unknown option ${f}`);
  return { flags, positional };
}

/** Requires `id` from the first of `bases` (directories) that has it. */
function requireFrom(id, bases) {
  for (const base of bases) {
    try {
      const req = createRequire(path.join(base, "__cotangent_cli__.js"));
      return { module: req(id), resolved: req.resolve(id) };
    } catch (e) {
      if (e && e.code === "MODULE_NOT_FOUND" && String(e.message).includes(`'${id}'`)) continue;
      throw e;
    }
  }
  return undefined;
}

function loadToolchain(fileDir) {
  const bases = [...new Set([process.cwd(), fileDir, __dirname])];
  const missing = [];
  const get = (id) => {
    const r = requireFrom(id, bases);
    if (!r) missing.push(id);
    return r;
  };
  const babel = get("@babel/core");
  const preset = get("@babel/preset-typescript");
  const plugin = get("@cotangent/babel-plugin");
  if (missing.length) {
    const err = new Error(
      `cannot find ${missing.join(", ")} (looked in ${bases.join(", ")}).\n` +
        `\`cotangent explain\` compiles with Babel; install them in your project:\n` +
        `  npm install --save-dev @babel/core @babel/preset-typescript @cotangent/babel-plugin`,
    );
    err.exitCode = 2;
    throw err;
  }
  const pluginFn = plugin.module.default ?? plugin.module;
  return { babel: babel.module, preset: preset.resolved, plugin: pluginFn };
}

function colors(enabled) {
  const wrap = (open, close) => (s) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), cyan: wrap(36, 39), red: wrap(31, 39), green: wrap(32, 39) };
}

/** Derivatives generated for `file`, in source order: [{ name, jvp, vjp }]. Throws Babel's error on diagnostics. */
function generate(file, toolchain) {
  const source = fs.readFileSync(file, "utf8");
  const generated = [];
  toolchain.babel.transformSync(source, {
    filename: file,
    cwd: process.cwd(),
    babelrc: false,
    configFile: false,
    sourceType: "module",
    code: false,
    ast: false,
    presets: [toolchain.preset],
    plugins: [[toolchain.plugin, { onDerivatives: (g) => generated.push(g) }]],
  });
  return generated;
}

function explain(args, flags, c) {
  if (args.length < 1 || args.length > 2) throw new UsageError("explain takes <file.ts> and an optional function name");
  const file = path.resolve(args[0]);
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${args[0]}`);
  const wanted = args[1];
  const toolchain = loadToolchain(path.dirname(file));
  const relative = path.relative(process.cwd(), file);
  const rel = relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;

  let generated;
  try {
    generated = generate(file, toolchain);
  } catch (e) {
    // The plugin reports all diagnostics of the file in one error: `cotangent: N error(s)` followed
    // by `file:line:col - error CTxxxx: …` and a code frame each. Babel prefixes the file name.
    const message = String((e && e.message) || e);
    process.stderr.write(`${c.red(c.bold("cotangent explain failed"))}: ${message}\n`);
    return 1;
  }

  const selected = wanted === undefined ? generated : generated.filter((g) => g.name === wanted);
  if (selected.length === 0) {
    const names = generated.map((g) => g.name);
    process.stderr.write(
      wanted === undefined
        ? `${rel}: no marked functions (mark one with /** @differentiable */, differentiable(fn) or @differentiable on a method)\n`
        : `${rel}: no marked function named '${wanted}'` + (names.length ? ` (marked: ${names.join(", ")})\n` : " (the file has none)\n"),
    );
    return 1;
  }

  const showJvp = !flags.has("--vjp") || flags.has("--jvp");
  const showVjp = !flags.has("--jvp") || flags.has("--vjp");
  const out = [];
  for (const g of selected) {
    const title = `${g.name} (${rel})`;
    out.push(c.bold(c.cyan(`// ===== ${title} ${"=".repeat(Math.max(3, 72 - title.length))}`)));
    if (showJvp) {
      out.push(c.dim(`// Forward mode (JVP): the value and the tangent of the result, given tangents of the inputs.`));
      if (g.jvp.signature) out.push(c.dim(g.jvp.signature));
      out.push(g.jvp.code.trimEnd(), "");
    }
    if (showVjp) {
      out.push(c.dim(`// Reverse mode (VJP): the value and a pullback from the result's cotangent to the inputs'.`));
      if (g.vjp.signature) out.push(c.dim(g.vjp.signature));
      out.push(g.vjp.code.trimEnd(), "");
    }
  }
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`cotangent: ${e.message}\n\n${HELP}\n`);
    return 2;
  }
  const { flags, positional } = parsed;
  const useColor = !flags.has("--no-color") && !process.env.NO_COLOR && process.stdout.isTTY === true;
  const c = colors(useColor);
  if (flags.has("-h") || flags.has("--help")) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (flags.has("-v") || flags.has("--version")) {
    process.stdout.write(require("../package.json").version + "\n");
    return 0;
  }
  const [command, ...rest] = positional;
  try {
    switch (command) {
      case "explain":
        return explain(rest, flags, c);
      case undefined:
        process.stdout.write(HELP + "\n");
        return 2;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cotangent: ${e.message}\n(run 'cotangent --help' for usage)\n`);
      return 2;
    }
    process.stderr.write(`cotangent: ${e && e.message ? e.message : e}\n`);
    return typeof e?.exitCode === "number" ? e.exitCode : 1;
  }
}

process.exitCode = main(process.argv.slice(2));
