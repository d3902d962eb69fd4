// Sample user project: the sources of ../webpack-babel/src built by Vite 8 with @cotangent/unplugin/vite,
// as an ES-module library (main.js, throws.js + source maps) that runs in Node and in the browser
// (public/index.html imports main.js). Build: npx vite build --config e2e/projects/vite/vite.config.ts
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import cotangent from "@cotangent/unplugin/vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, "../webpack-babel/src");

export default defineConfig({
  root: here,
  // "exported": model.ts's marks also get second derivatives, which main.ts uses.
  plugins: [cotangent({ secondOrder: "exported" })],
  logLevel: "warn",
  build: {
    outDir: path.resolve(here, "../../out/vite"),
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: "es2022",
    lib: {
      entry: { main: path.join(src, "main.ts"), throws: path.join(src, "throws.ts") },
      formats: ["es"],
      fileName: (_format, name) => `${name}.js`,
    },
  },
});
