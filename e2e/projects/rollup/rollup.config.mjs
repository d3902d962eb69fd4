// Sample user project: the sources of ../webpack-babel/src bundled by Rollup 4 with
// @cotangent/unplugin/rollup. Rollup reads no TypeScript, so the plugin strips the types too
// (stripTypes: @babel/preset-typescript in the same Babel pass) and resolves "./model.js" to
// model.ts. Build: npx rollup -c e2e/projects/rollup/rollup.config.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";
import cotangent from "@cotangent/unplugin/rollup";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, "../webpack-babel/src");

export default {
  input: { main: path.join(src, "main.ts"), throws: path.join(src, "throws.ts") },
  // Node resolves the runtime at run time (a bundle for the browser would add @rollup/plugin-node-resolve).
  external: [/^@cotangent\//],
  plugins: [cotangent({ secondOrder: "exported", stripTypes: true })],
  output: { dir: path.resolve(here, "../../out/rollup"), format: "es", sourcemap: true, entryFileNames: "[name].js" },
};
