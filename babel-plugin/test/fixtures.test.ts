// Golden snapshots of generated code, in Babel's fixture style: each folder under fixtures/ holds
// `input.ts` and the expected `output.js` (preset-typescript + this plugin). A missing output.js is
// written and the test fails so that it is reviewed before it is committed; run with
// UPDATE_FIXTURES=1 to rewrite all outputs after an intended change to the generated code.
// Each output is also run, to be sure the snapshot is code that works.
// A fixture's `options.json` adds plugin options (17-exported-second-order: `secondOrder:
// "exported"`, which also generates second derivatives of exported marks for other modules).

import { describe, expect, test } from "@jest/globals";
import * as babel from "@babel/core";
import * as fs from "fs";
import * as path from "path";
import * as vm from "vm";

const FIXTURES = path.join(__dirname, "fixtures");
const PLUGIN = path.resolve(__dirname, "..");
const update = process.env.UPDATE_FIXTURES === "1";

function transform(source: string, fileName: string, commonjs: boolean, options: Record<string, unknown>): string {
  const out = babel.transformSync(source, {
    filename: fileName,
    configFile: false,
    babelrc: false,
    presets: [require.resolve("@babel/preset-typescript")],
    plugins: [[PLUGIN, { warnings: false, ...options }], ...(commonjs ? [require.resolve("@babel/plugin-transform-modules-commonjs")] : [])],
  });
  return out!.code!;
}

function run(code: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  vm.runInThisContext(`(function (module, exports, require) {${code}\n})`)(module, module.exports, require);
  return module.exports;
}

describe("generated code snapshots", () => {
  for (const name of fs.readdirSync(FIXTURES).sort()) {
    const dir = path.join(FIXTURES, name);
    test(name, () => {
      const input = fs.readFileSync(path.join(dir, "input.ts"), "utf8");
      // A stable, machine-independent file name, so snapshots do not depend on where the repo lives.
      const fileName = `fixtures/${name}/input.ts`;
      const optionsPath = path.join(dir, "options.json");
      const options = fs.existsSync(optionsPath) ? (JSON.parse(fs.readFileSync(optionsPath, "utf8")) as Record<string, unknown>) : {};
      const actual = transform(input, fileName, false, options).trim() + "\n";
      const expectedPath = path.join(dir, "output.js");
      if (update || !fs.existsSync(expectedPath)) {
        fs.writeFileSync(expectedPath, actual);
        if (!update) throw new Error(`wrote a new snapshot ${expectedPath}: review it, then commit it`);
      }
      expect(actual).toBe(fs.readFileSync(expectedPath, "utf8"));
      const exports = run(transform(input, fileName, true, options));
      expect(Object.keys(exports).length).toBeGreaterThan(0);
    });
  }
});
