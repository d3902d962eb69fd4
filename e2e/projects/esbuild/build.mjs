// Sample user project: the sources of ../webpack-babel/src bundled by esbuild with
// @cotangent/unplugin/esbuild, for Node (ES modules + source maps). esbuild strips the types itself.
// Build: node e2e/projects/esbuild/build.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import cotangent from "@cotangent/unplugin/esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, "../webpack-babel/src");

await esbuild.build({
  // view.tsx: a module with JSX.
  entryPoints: { main: path.join(src, "main.ts"), throws: path.join(src, "throws.ts"), view: path.join(here, "src/view.tsx") },
  outdir: path.resolve(here, "../../out/esbuild"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "es2022",
  sourcemap: true,
  // The runtime loads Dawn (the optional "webgpu" package) only in Node, at run time.
  external: ["webgpu"],
  plugins: [cotangent({ secondOrder: "exported" })],
  logLevel: "warning",
});
