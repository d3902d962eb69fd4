import path from "node:path";
import { SourceMapConsumer } from "source-map";
import cotangentTransformer from "../src/transformer";
import { compile } from "./helpers";
test("dbg", async () => {
  const main = path.join(__dirname, "__virtual__", "main.ts");
  const code = `import { gradient } from "@cotangent/runtime";
/** @differentiable */
export function f(x: number): number {
  const y = Math.sin(x);
  return y * x;
}
export const df = gradient(f);
`;
  const { outputs } = compile(cotangentTransformer as any, { [main]: code }, { sourceMap: true });
  const js = outputs.get(main.replace(".ts", ".js"))!;
  const map = JSON.parse(outputs.get(main.replace(".ts", ".js.map"))!);
  console.log(js, JSON.stringify(map));
  await SourceMapConsumer.with(map, null, (c) => { const out: string[] = []; c.eachMapping((m) => { out.push(`${m.generatedLine}:${m.generatedColumn} -> ${m.originalLine}:${m.originalColumn}`); }); console.log(out.join("\n")); });
});
