// Builds one file of src/ with one bundler and the Cotangent plugin, the way the sample projects
// do, to see what a user sees for a file with a Cotangent error (bad.ts: CT1003) or warning
// (constant.ts: CT1101). e2e/test/build.test.ts runs it and reads the exit code and the output.
// Usage: node e2e/projects/errors/build.mjs vite|rollup|esbuild|rspack|webpack bad.ts|constant.ts
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [bundler, file] = process.argv.slice(2);
const entry = path.join(here, "src", file);
const outDir = path.resolve(here, "../../out/errors", `${bundler}-${path.basename(file, path.extname(file))}`);

/** webpack and Rspack: errors and warnings are in the stats, printed as a user's CLI would. */
function runCompiler(compiler) {
  return new Promise((resolve, reject) => {
    compiler.run((err, stats) => {
      if (err) return reject(err);
      const text = stats.toString({ all: false, errors: true, warnings: true, colors: false });
      if (stats.hasErrors()) return reject(new Error(text));
      if (text.trim()) console.warn(text);
      compiler.close(() => resolve());
    });
  });
}

const webpackLike = (cotangent) => ({
  mode: "development",
  target: "node",
  devtool: false,
  entry: { main: entry },
  output: { path: outDir, filename: "[name].cjs" },
  resolve: { extensions: [".ts", ".js"] },
  plugins: [cotangent({ stripTypes: true })],
});

switch (bundler) {
  case "vite": {
    const { build } = await import("vite");
    const { default: cotangent } = await import("@cotangent/unplugin/vite");
    await build({
      configFile: false,
      root: here,
      logLevel: "warn",
      plugins: [cotangent()],
      build: { outDir, emptyOutDir: true, minify: false, lib: { entry, formats: ["es"], fileName: () => "main.js" } },
    });
    break;
  }
  case "rollup": {
    const { rollup } = await import("rollup");
    const { default: cotangent } = await import("@cotangent/unplugin/rollup");
    const bundle = await rollup({
      input: entry,
      external: [/^@cotangent\//],
      plugins: [cotangent({ stripTypes: true })],
      onwarn: (w) => console.warn(`(!) ${w.message}`),
    });
    await bundle.write({ dir: outDir, format: "es" });
    break;
  }
  case "esbuild": {
    const esbuild = await import("esbuild");
    const { default: cotangent } = await import("@cotangent/unplugin/esbuild");
    await esbuild.build({ entryPoints: [entry], outdir: outDir, bundle: true, platform: "node", format: "esm", external: ["webgpu"], plugins: [cotangent()], logLevel: "warning" });
    break;
  }
  case "rspack": {
    const { rspack } = await import("@rspack/core");
    const { default: cotangent } = await import("@cotangent/unplugin/rspack");
    await runCompiler(rspack(webpackLike(cotangent)));
    break;
  }
  case "webpack": {
    const { default: webpack } = await import("webpack");
    const { default: cotangent } = await import("@cotangent/unplugin/webpack");
    await runCompiler(webpack(webpackLike(cotangent)));
    break;
  }
  default:
    throw new Error(`unknown bundler ${bundler}`);
}
