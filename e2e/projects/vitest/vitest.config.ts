// Sample user project: vitest 4 runs a test of marked functions; Vite's plugin pipeline (with
// @cotangent/unplugin/vite) generates their derivatives when it loads the test file.
// Run: npx vitest run --config e2e/projects/vitest/vitest.config.ts
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import cotangent from "@cotangent/unplugin/vite";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  plugins: [cotangent()],
  test: { include: ["*.test.ts"] },
});
