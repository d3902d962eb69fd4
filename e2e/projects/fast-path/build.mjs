// The fast path, seen from a real Rollup build: src/entry.js imports a file with no mark
// (plain.js), a marked one (marked.js) and a marked file inside node_modules (vendor/marked-lib.js,
// copied to e2e/out/fast-path/node_modules/marked-lib/index.js). Rollup keeps the text of modules
// no plugin changed, so e2e/test/build.test.ts can tell from the odd spacing which files went
// through Babel. Two builds: the defaults (-> out/fast-path/default/) and `exclude: []`, which also
// looks into node_modules (-> out/fast-path/opted-in/).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rollup } from "rollup";
import cotangent from "@cotangent/unplugin/rollup";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../../out/fast-path");
const lib = path.join(out, "node_modules/marked-lib/index.js");
fs.mkdirSync(path.dirname(lib), { recursive: true });
fs.copyFileSync(path.join(here, "vendor/marked-lib.js"), lib);

const resolveLib = { name: "marked-lib", resolveId: (id) => (id === "marked-lib" ? lib : null) };
for (const [name, options] of [["default", {}], ["opted-in", { exclude: [] }]]) {
  const bundle = await rollup({ input: path.join(here, "src/entry.js"), external: [/^@cotangent\//], plugins: [resolveLib, cotangent(options)] });
  await bundle.write({ file: path.join(out, name, "entry.js"), format: "es" });
}
