// Red-team scratch driver (delete when done).
import * as path from "path";
import * as fs from "fs";
import { compileWithBabel, compileWithTsPatch, compilePlain, compiledCode } from "../harness/compile";
import { finiteDifferenceGradient, compareTrees, deepClone, describe as show, flatten, randomLike, mulberry32, dot, unflatten } from "../harness/check";
import { PROBES, Probe } from "./redteam.probes";

const only = process.env.RT_ONLY?.split(",");
const hosts = (process.env.RT_HOSTS?.split(",") ?? ["babel", "ts-patch"]) as ("babel" | "ts-patch")[];
const results: any[] = [];

function fdDirectional(f: (...a: any[]) => any, args: any[], wrt: number[], u: any[]): number {
  // central FD of f(args + h u); f may be vector-valued -> returns flattened
  const h = 1e-6;
  const at = (s: number) => {
    const a = deepClone(args);
    wrt.forEach((p, k) => {
      if (typeof a[p] === "number") a[p] = a[p] + s * h * u[k];
      else a[p] = unflatten(a[p], flatten(a[p]).map((v, j) => v + s * h * flatten(u[k])[j]));
    });
    return f(...a);
  };
  const yp = at(1), ym = at(-1);
  if (typeof yp === "number") return (yp - ym) / (2 * h);
  return (unflatten(yp, flatten(yp).map((v, j) => (v - flatten(ym)[j]) / (2 * h))) as any);
}

for (const p of PROBES as Probe[]) {
  if (only && !only.includes(p.name)) continue;
  for (const host of hosts) {
    test(`${p.name} [${host}]`, () => {
      const file = path.join(__dirname, `__rt_${p.name}.ts`);
      const fn = p.fn ?? "f";
      const footer = p.noFooter ? "" : `\nimport { gradient as __g, differential as __d, valueWithGradient as __vg, pullback as __pb } from "@cotangent/runtime";\nexport const __ops = { gradient: __g(${fn}), differential: __d(${fn}), vg: __vg(${fn}), pb: __pb(${fn}) };\n`;
      const src = p.src + footer;
      const rec: any = { name: p.name, host };
      let mod: any;
      try {
        mod = host === "babel" ? compileWithBabel(src, file) : compileWithTsPatch(src, file);
      } catch (e: any) {
        const m = String(e.message);
        rec.status = "REJECTED";
        rec.msg = (m.match(/CT\d{4}[^\n]*/)?.[0] ?? m).slice(0, 300);
        results.push(rec);
        return;
      }
      if (p.dump) fs.writeFileSync(`/tmp/rt/${p.name}.${host}.js`, compiledCode(host, src, file));
      const plain = compilePlain(p.src, file + ".plain.ts");
      const issues: string[] = [];
      for (const args0 of p.args) {
        const wrt = p.wrt ?? args0.map((_: any, i: number) => i);
        try {
          if (p.custom) {
            const r = p.custom(mod, plain, deepClone(args0));
            if (r) issues.push(r);
            continue;
          }
          const pf = plain[fn];
          const cf = mod[fn];
          const primalRef = pf(...deepClone(args0));
          if (cf) {
            const primal = cf(...deepClone(args0));
            const c = compareTrees(primal, primalRef, 1e-12);
            if (!c.ok) issues.push(`primal ${show(args0)}: ${c.message}`);
          }
          if (typeof primalRef === "number") {
            const g = mod.__ops.gradient(...deepClone(args0));
            const fd = finiteDifferenceGradient(pf, args0, wrt);
            const c = compareTrees(g, fd, 1e-5);
            if (!c.ok) issues.push(`gradient ${show(args0)}: ${c.message}`);
            const vg = mod.__ops.vg(...deepClone(args0));
            const c2 = compareTrees(vg.value, primalRef, 1e-12);
            if (!c2.ok) issues.push(`vg.value ${show(args0)}: ${c2.message}`);
          }
          const rng = mulberry32(7);
          const u = wrt.map((i) => randomLike(args0[i], rng));
          const fwd = mod.__ops.differential(...deepClone(args0))(...deepClone(u));
          const fdd = fdDirectional(pf, args0, wrt, u);
          const c3 = compareTrees(fwd, fdd, 1e-5);
          if (!c3.ok) issues.push(`differential ${show(args0)} u=${show(u)}: ${c3.message}`);
        } catch (e: any) {
          issues.push(`THREW ${show(args0)}: ${String(e?.message ?? e).slice(0, 400)}`);
        }
      }
      rec.status = issues.length ? "WRONG" : "ok";
      if (issues.length) rec.issues = issues;
      results.push(rec);
    });
  }
}

afterAll(() => {
  fs.writeFileSync("/tmp/rt/results.json", JSON.stringify(results, null, 1));
  const lines = results.map((r) => `${r.status.padEnd(8)} ${r.name} [${r.host}] ${r.msg ?? ""}${r.issues ? "\n    " + r.issues.join("\n    ") : ""}`);
  fs.writeFileSync("/tmp/rt/results.txt", lines.join("\n") + "\n");
});
