// The language-service plugin in a real tsserver, the process every TypeScript editor runs: the
// fixture projects name `{ "name": "@cotangent/ts-plugin" }` in their tsconfig `plugins`, and
// tsserver loads it from the workspace's node_modules (next to its own typescript package). We open
// files, ask for semantic diagnostics (`semanticDiagnosticsSync`) and quick fixes (`getCodeFixes`),
// apply the fixes' edits, send the new text back (`updateOpen`) and ask again.
// Needs the packages built (`npm run build`; `npm test` does it).

import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import { CLEAN_FILES, ERROR_FILES, EXPECTED, cleanDir, errorsDir, tsCode, type ExpectedDiagnostic, type Pos } from "./expected";
import { TsServer, applyChanges, type CodeFixAction, type Location, type ServerDiagnostic } from "./tsserver-client";

const loc = ([line, offset]: Pos): Location => ({ line, offset });
const src = (dir: string, file: string) => path.join(dir, "src", file);
const isCotangent = (d: ServerDiagnostic) => d.source === "cotangent" || /^CT\d{4}: /.test(d.text);

/** A diagnostic reduced to what the tests compare. */
function summary(d: ServerDiagnostic) {
  return { code: d.code, category: d.category, start: [d.start.line, d.start.offset], end: [d.end.line, d.end.offset], text: d.text, source: d.source };
}

describe("tsserver with the plugin: ide-errors", () => {
  let server: TsServer;
  const diagnostics = new Map<string, ServerDiagnostic[]>();

  beforeAll(async () => {
    server = new TsServer();
    for (const f of ERROR_FILES) server.open(src(errorsDir, f));
    for (const f of ERROR_FILES) diagnostics.set(f, await server.semanticDiagnostics(src(errorsDir, f)));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  test("tsserver loads @cotangent/ts-plugin from the workspace node_modules", () => {
    // tsserver's own log lines about plugins (the `{ "transform": … }` entry is skipped: it has no name).
    const log = server.pluginLog();
    expect(log).toContain("Enabling plugin @cotangent/ts-plugin from candidate paths");
    expect(log).not.toMatch(/Failed to load module '@cotangent\/ts-plugin'|Couldn't find @cotangent\/ts-plugin|Skipped loading plugin @cotangent\/ts-plugin/);
    expect(log).toContain("Plugin validation succeeded");
  });

  test("the fixture is valid TypeScript: the only diagnostics are Cotangent's", async () => {
    for (const f of ERROR_FILES) {
      expect({ file: f, syntactic: await server.syntacticDiagnostics(src(errorsDir, f)) }).toEqual({ file: f, syntactic: [] });
      expect({ file: f, typescript: diagnostics.get(f)!.filter((d) => !isCotangent(d)).map(summary) }).toEqual({ file: f, typescript: [] });
    }
  });

  test("every file has exactly the expected Cotangent diagnostics (codes and ranges), and helpers.ts none", () => {
    const actual = ERROR_FILES.flatMap((f) =>
      diagnostics
        .get(f)!
        .filter(isCotangent)
        .map((d) => `${f}:${d.start.line}:${d.start.offset}-${d.end.line}:${d.end.offset} ${d.category} ${d.code}`),
    );
    const expected = EXPECTED.map((e) => `${e.file}:${e.start[0]}:${e.start[1]}-${e.end[0]}:${e.end[1]} ${e.category} ${tsCode(e.ct)}`);
    expect(actual.sort()).toEqual(expected.sort());
  });

  test.each(EXPECTED.map((e) => [`${e.ct} ${e.what}`, e] as const))("%s", (_label, e: ExpectedDiagnostic) => {
    const inFile = diagnostics.get(e.file)!.filter(isCotangent);
    const d = inFile.find((x) => x.code === tsCode(e.ct) && x.start.line === e.start[0] && x.start.offset === e.start[1]);
    if (!d) throw new Error(`no ${e.ct} at ${e.file}:${e.start.join(":")}; tsserver returned ${JSON.stringify(inFile.map(summary), null, 1)}\nplugin log:\n${server.pluginLog()}`);
    expect(summary(d)).toMatchObject({ code: tsCode(e.ct), category: e.category, start: e.start, end: e.end, source: "cotangent" });
    expect(d.text.startsWith(`${e.ct}: `)).toBe(true);
    for (const m of e.message) expect(d.text).toContain(m);
    const related = (d.relatedInformation ?? []).map((r) => ({
      message: r.message,
      file: r.span ? path.relative(path.join(errorsDir, "src"), r.span.file) : undefined,
      start: r.span ? [r.span.start.line, r.span.start.offset] : undefined,
      end: r.span ? [r.span.end.line, r.span.end.offset] : undefined,
    }));
    expect(related).toEqual(e.related.map((r) => ({ message: r.message, file: r.file, start: r.start, end: r.end ?? expect.anything() })));
  });

  /**
   * Asks for the fixes at an expected diagnostic, checks their descriptions, applies the chosen one
   * (to every file it edits: content as tsserver would, sent back with `updateOpen`), re-checks the
   * diagnostic's file, and restores every file.
   */
  async function applyFix(
    e: ExpectedDiagnostic,
    descriptions: string[],
    chosen: string,
    check: (fix: CodeFixAction, before: string, after: string, edited: Map<string, { before: string; after: string }>) => void,
    remaining: (after: ServerDiagnostic[]) => void,
    /** The files the fix edits (relative to src/; default: the diagnostic's file). */
    files: string[] = [e.file],
  ): Promise<void> {
    const file = src(errorsDir, e.file);
    const fixes = await server.codeFixes(file, loc(e.start), loc(e.end), [tsCode(e.ct)]);
    expect(fixes.map((f) => f.description).sort()).toEqual([...descriptions].sort());
    const fix = fixes.find((f) => f.description === chosen)!;
    expect(fix.changes.map((c) => path.resolve(c.fileName))).toEqual(files.map((f) => src(errorsDir, f)));
    const edited = new Map<string, { before: string; after: string }>();
    for (const c of fix.changes) {
      const name = path.resolve(c.fileName);
      expect(edited.has(name)).toBe(false);
      const before = fs.readFileSync(name, "utf8");
      edited.set(name, { before, after: applyChanges(before, c.textChanges) });
    }
    const own = edited.get(file) ?? { before: fs.readFileSync(file, "utf8"), after: fs.readFileSync(file, "utf8") };
    check(fix, own.before, own.after, edited);
    const sent: string[] = [];
    try {
      for (const [name, { before, after }] of edited) {
        if (name !== file && !ERROR_FILES.some((f) => src(errorsDir, f) === name)) throw new Error(`the fix edits ${name}, outside the project's open files`);
        await server.replaceContent(name, before, after);
        sent.push(name);
      }
      const now = await server.semanticDiagnostics(file);
      expect(now.filter((d) => !isCotangent(d)).map(summary)).toEqual([]);
      remaining(now.filter(isCotangent));
      for (const name of sent.filter((n) => n !== file)) expect({ name, diagnostics: (await server.semanticDiagnostics(name)).map(summary) }).toEqual({ name, diagnostics: [] });
    } finally {
      for (const name of sent) await server.replaceContent(name, edited.get(name)!.after, edited.get(name)!.before);
    }
  }

  const find = (file: string, ct: string, offset?: number) => EXPECTED.find((e) => e.file === file && e.ct === ct && (offset === undefined || e.start[1] === offset))!;
  const WRAP = "Wrap in withoutDerivative(...)";
  const IMPORT = 'import { withoutDerivative } from "@cotangent/runtime";';

  /** The edits of a wrap fix in a file that does not import withoutDerivative yet: the wrap, and one inserted import. */
  function splitImport(fix: CodeFixAction) {
    const edits = fix.changes[0]!.textChanges;
    const imports = edits.filter((t) => t.newText.includes("import "));
    expect(imports).toHaveLength(1);
    const imp = imports[0]!;
    expect(imp.newText.trim()).toBe(IMPORT);
    expect(imp.start).toEqual(imp.end);
    expect(imp.start.offset).toBe(1);
    return edits.filter((t) => t !== imp);
  }

  test("CT1003 quick fix: wrap the active operand in withoutDerivative(...) (already imported); the error goes away", async () => {
    await applyFix(
      find("bitwise.ts", "CT1003"),
      [WRAP],
      WRAP,
      (fix, before, after) => {
        expect(fix.changes[0]!.textChanges).toEqual([{ start: { line: 6, offset: 13 }, end: { line: 6, offset: 14 }, newText: "withoutDerivative(x)" }]);
        expect(after).toBe(before.replace("const k = x | 0;", "const k = withoutDerivative(x) | 0;"));
      },
      (remaining) => expect(remaining.map(summary)).toEqual([]),
    );
  }, 30_000);

  test("CT1102 quick fix on Math.round: wrap its argument and add the import; only the '%' warning remains", async () => {
    await applyFix(
      find("step.ts", "CT1102", 10),
      [WRAP],
      WRAP,
      (fix, before, after) => {
        expect(splitImport(fix)).toEqual([{ start: { line: 4, offset: 21 }, end: { line: 4, offset: 22 }, newText: "withoutDerivative(x)" }]);
        expect(after).toContain("  return Math.round(withoutDerivative(x)) * y + x % y;\n");
        expect(after.replace(`${IMPORT}\n`, "").replace("withoutDerivative(x)", "x")).toBe(before);
      },
      (remaining) => {
        expect(remaining).toHaveLength(1);
        expect(remaining[0]!.code).toBe(1001102);
        expect(remaining[0]!.text).toContain("'%' by a divisor");
      },
    );
  }, 30_000);

  test("CT1102 quick fix on '%': wrap the divisor; only the Math.round warning remains", async () => {
    await applyFix(
      find("step.ts", "CT1102", 30),
      [WRAP],
      WRAP,
      (fix, before, after) => {
        expect(splitImport(fix)).toEqual([{ start: { line: 4, offset: 34 }, end: { line: 4, offset: 35 }, newText: "withoutDerivative(y)" }]);
        expect(after).toContain("  return Math.round(x) * y + x % withoutDerivative(y);\n");
      },
      (remaining) => {
        expect(remaining).toHaveLength(1);
        expect(remaining[0]!.code).toBe(1001102);
        expect(remaining[0]!.text).toContain("Math.round has a zero derivative");
      },
    );
  }, 30_000);

  const MARK_SQUASH = "Mark 'squash' as /** @differentiable */";

  test("CT1010 quick fix (callee in another file): pass withoutDerivative(...) and add the import; the error goes away", async () => {
    await applyFix(
      find("crossfile.ts", "CT1010"),
      [WRAP, MARK_SQUASH],
      WRAP,
      (fix, before, after) => {
        expect(splitImport(fix)).toEqual([{ start: { line: 6, offset: 20 }, end: { line: 6, offset: 21 }, newText: "withoutDerivative(x)" }]);
        expect(after).toContain("  const y = squash(withoutDerivative(x));\n");
      },
      (remaining) => expect(remaining.map(summary)).toEqual([]),
    );
  }, 30_000);

  test("CT1010 quick fix (callee in another file): mark 'squash' /** @differentiable */ where it is declared; the error goes away", async () => {
    await applyFix(
      find("crossfile.ts", "CT1010"),
      [WRAP, MARK_SQUASH],
      MARK_SQUASH,
      (fix, before, after, edited) => {
        const helpers = src(errorsDir, "helpers.ts");
        expect(fix.changes[0]!.textChanges).toEqual([{ start: { line: 2, offset: 1 }, end: { line: 2, offset: 1 }, newText: "/** @differentiable */\n" }]);
        const h = edited.get(helpers)!;
        expect(h.after).toBe(h.before.replace("\nexport function squash(", "\n/** @differentiable */\nexport function squash("));
        expect(after).toBe(before);
      },
      (remaining) => expect(remaining.map(summary)).toEqual([]),
      ["helpers.ts"],
    );
  }, 30_000);

  test("CT1010 quick fix (callee in this file): mark 'double' /** @differentiable */; the error goes away", async () => {
    await applyFix(
      find("local.ts", "CT1010"),
      [WRAP, "Mark 'double' as /** @differentiable */"],
      "Mark 'double' as /** @differentiable */",
      (fix, before, after) => {
        expect(fix.changes[0]!.textChanges).toEqual([{ start: { line: 2, offset: 1 }, end: { line: 2, offset: 1 }, newText: "/** @differentiable */\n" }]);
        expect(after).toBe(before.replace("\nfunction double(", "\n/** @differentiable */\nfunction double("));
      },
      (remaining) => expect(remaining.map(summary)).toEqual([]),
    );
  }, 30_000);

  test("CT1011 quick fix: differentiate only with respect to x, y (adds a wrt); the error goes away", async () => {
    await applyFix(
      find("types.ts", "CT1011"),
      ["Differentiate only with respect to x, y"],
      "Differentiate only with respect to x, y",
      (fix, before, after) => {
        expect(fix.changes[0]!.textChanges).toEqual([{ start: { line: 2, offset: 20 }, end: { line: 2, offset: 20 }, newText: "(wrt: x, y)" }]);
        expect(after).toBe(before.replace("/** @differentiable */", "/** @differentiable(wrt: x, y) */"));
      },
      (remaining) => expect(remaining.map(summary)).toEqual([]),
    );
  }, 30_000);

  test("diagnostics follow the open buffer, not the disk: fixing the aliasing by hand clears CT1009, undoing it brings it back", async () => {
    const file = src(errorsDir, "alias.ts");
    const before = fs.readFileSync(file, "utf8");
    const fixed = before.replace("const b = a;", "const b = a.slice();");
    await server.replaceContent(file, before, fixed);
    try {
      expect((await server.semanticDiagnostics(file)).map(summary)).toEqual([]);
    } finally {
      await server.replaceContent(file, fixed, before);
    }
    expect((await server.semanticDiagnostics(file)).filter(isCotangent).map((d) => d.code)).toEqual([1001009]);
  }, 30_000);
});

describe("tsserver with the plugin: ide-clean", () => {
  let server: TsServer;

  beforeAll(() => {
    server = new TsServer();
    for (const f of CLEAN_FILES) server.open(src(cleanDir, f));
  });

  afterAll(async () => {
    await server?.close();
  });

  test.each(CLEAN_FILES)("%s: no Cotangent diagnostics and no TypeScript errors", async (f) => {
    const file = src(cleanDir, f);
    expect(await server.syntacticDiagnostics(file)).toEqual([]);
    const diags = await server.semanticDiagnostics(file);
    expect(diags.map(summary)).toEqual([]);
    // The plugin was there to say nothing (not simply absent).
    expect(server.pluginLog()).toContain("Plugin validation succeeded");
  }, 60_000);
});
