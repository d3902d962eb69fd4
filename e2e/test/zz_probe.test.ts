import { compiledCode } from "../harness/compile";
import { loadCorpus, functionSource } from "../harness/corpus";
test("probe", () => {
  const cf = loadCorpus().find((c) => c.base === "objects")!;
  const pre = `interface Point { x: number; y: number }\ninterface Body { pos: Point; vel: Point; mass: number }\n`;
  for (const n of cf.names) {
    const src = pre + functionSource(cf, n) + "\n" + (n === "pathLength" ? functionSource(cf, "distance") : n === "buildObjectsInLoop" ? functionSource(cf, "polygonArea") : "");
    try { compiledCode("babel", src, `${__dirname}/../corpus/__probe_${n}.ts`); console.log(n, "ok"); } catch (e: any) { console.log(n, e.message.slice(0, 300)); }
  }
});
