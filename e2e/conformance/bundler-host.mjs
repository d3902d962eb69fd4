// The bundler host's side of e2e/test/conformance.test.ts, run in its own node process (unplugin
// is ES modules only, which jest's CommonJS runtime cannot load): builds each file given on the
// command line with real esbuild and @cotangent/unplugin/esbuild, and prints, as JSON, what the
// host saw: the marks that got derivatives, their code, and every diagnostic as data.

import * as esbuild from "esbuild";
import cotangent from "@cotangent/unplugin/esbuild";

const key = (d) => `${d.code} ${d.severity} ${d.loc?.start ?? "?"}-${d.loc?.end ?? "?"}`;
const results = {};
for (const file of process.argv.slice(2)) {
  const out = { marks: [], derivatives: [], diagnostics: [] };
  const plugin = cotangent({
    warnings: false,
    secondOrder: "requested",
    onDerivatives: (g) => {
      out.marks.push(g.name);
      out.derivatives.push(`${g.name}:\n${g.jvp.code}\n${g.vjp.code}${g.grad ? `\n${g.grad.code}` : ""}${g.valueGrad ? `\n${g.valueGrad.code}` : ""}`);
    },
    onDiagnostics: (ds) => (out.diagnostics = ds.map(key).sort()),
  });
  try {
    await esbuild.build({ entryPoints: [file], bundle: false, write: false, format: "esm", logLevel: "silent", plugins: [plugin] });
    out.built = true;
  } catch (e) {
    out.built = false;
    out.error = e instanceof Error ? e.message : String(e);
  }
  results[file] = out;
}
process.stdout.write(JSON.stringify(results));
