// The plugin's diagnostics in editors that speak LSP: typescript-language-server 5.1.3 (over stdio)
// starts the workspace's tsserver, which loads `{ "name": "@cotangent/ts-plugin" }` from the
// fixture's tsconfig; the diagnostics come back as `textDocument/publishDiagnostics` (0-based
// ranges, severity 1 = error, 2 = warning) and a quick fix as `textDocument/codeAction`.
// Needs the packages built (`npm run build`; `npm test` does it).

import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import { CLEAN_FILES, ERROR_FILES, EXPECTED, cleanDir, errorsDir, tsCode, type ExpectedDiagnostic, type Pos } from "./expected";
import { LanguageServer, fileUri, type LspCodeAction, type LspDiagnostic, type LspRange } from "./lsp-client";

const src = (dir: string, file: string) => path.join(dir, "src", file);
const range = (start: Pos, end: Pos): LspRange => ({ start: { line: start[0] - 1, character: start[1] - 1 }, end: { line: end[0] - 1, character: end[1] - 1 } });
const isCotangent = (d: LspDiagnostic) => d.source === "cotangent" || /^CT\d{4}: /.test(d.message);
const summary = (d: LspDiagnostic) => ({ code: d.code, severity: d.severity, source: d.source, range: d.range, message: d.message });

describe("typescript-language-server with the plugin: ide-errors", () => {
  let server: LanguageServer;
  const byFile = new Map<string, LspDiagnostic[] | undefined>();

  beforeAll(async () => {
    server = new LanguageServer();
    await server.initialize(errorsDir);
    for (const f of ERROR_FILES) server.open(src(errorsDir, f));
    // Each file may be published several times (syntactic, then semantic, suggestions); wait until
    // the Cotangent diagnostics expected in it have arrived, or 20 s.
    await Promise.all(
      ERROR_FILES.map(async (f) => {
        const want = EXPECTED.filter((e) => e.file === f).length;
        byFile.set(f, await server.waitForDiagnostics(src(errorsDir, f), (d) => d.filter(isCotangent).length >= want && (want > 0 || d.length === 0), 20_000));
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  }, 15_000);

  test("the server runs the workspace's TypeScript (5.9.3), whose tsserver loads the plugin", () => {
    const log = server.logMessages.join("\n");
    expect(log).toMatch(/Using Typescript version \(workspace\) 5\.9\.3/);
    const plugins = server.tsserverPluginLog();
    expect(plugins).toContain("Enabling plugin @cotangent/ts-plugin");
    expect(plugins).not.toMatch(/Failed to load module '@cotangent\/ts-plugin'|Couldn't find @cotangent\/ts-plugin|Skipped loading plugin @cotangent\/ts-plugin/);
    expect(plugins).toContain("Plugin validation succeeded");
  });

  test.each(EXPECTED.map((e) => [`${e.ct} ${e.what}`, e] as const))("%s", (_label, e: ExpectedDiagnostic) => {
    const all = byFile.get(e.file);
    if (!all) throw new Error(`no publishDiagnostics for ${e.file} within 20 s; server log:\n${server.logMessages.join("\n")}`);
    const ours = all.filter(isCotangent);
    const d = ours.find((x) => x.code === tsCode(e.ct) && x.range.start.line === e.start[0] - 1 && x.range.start.character === e.start[1] - 1);
    if (!d) throw new Error(`no ${e.ct} at ${e.file}:${e.start.join(":")}; published: ${JSON.stringify(all.map(summary), null, 1)}`);
    expect({ code: d.code, severity: d.severity, source: d.source, range: d.range }).toEqual({
      code: tsCode(e.ct),
      severity: e.category === "error" ? 1 : 2,
      source: "cotangent",
      range: range(e.start, e.end),
    });
    expect(d.message.startsWith(`${e.ct}: `)).toBe(true);
    for (const m of e.message) expect(d.message).toContain(m);
    expect((d.relatedInformation ?? []).map((r) => ({ message: r.message, uri: r.location.uri, start: r.location.range.start }))).toEqual(
      e.related.map((r) => ({ message: r.message, uri: fileUri(src(errorsDir, r.file)), start: { line: r.start[0] - 1, character: r.start[1] - 1 } })),
    );
  });

  test("no other errors or warnings: the TypeScript in the fixture is valid, and each file has only the expected Cotangent ones", () => {
    // Suggestions (severity 4, hints such as "'y' is declared but its value is never read") are not errors.
    const actual = ERROR_FILES.flatMap((f) => (byFile.get(f) ?? []).filter((d) => d.severity !== 4).map((d) => `${f}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.source} ${d.code}`));
    const expected = EXPECTED.map((e) => `${e.file}:${e.start[0]}:${e.start[1]} cotangent ${tsCode(e.ct)}`);
    expect(actual.sort()).toEqual(expected.sort());
  });

  test("textDocument/codeAction at the CT1003 error offers the withoutDerivative quick fix with its edit", async () => {
    const e = EXPECTED.find((x) => x.ct === "CT1003")!;
    const file = src(errorsDir, e.file);
    const d = (byFile.get(e.file) ?? []).find((x) => x.code === 1001003);
    if (!d) throw new Error("no CT1003 diagnostic was published");
    const actions = await server.request<LspCodeAction[] | null>("textDocument/codeAction", {
      textDocument: { uri: fileUri(file) },
      range: d.range,
      context: { diagnostics: [d], only: ["quickfix"], triggerKind: 1 },
    });
    const wrap = (actions ?? []).filter((a) => a.title === "Wrap in withoutDerivative(...)");
    expect(wrap).toHaveLength(1);
    expect(wrap[0]!.kind).toBe("quickfix");
    const edits = wrap[0]!.edit?.documentChanges?.flatMap((c) => (c.textDocument.uri === fileUri(file) ? c.edits : [])) ?? wrap[0]!.edit?.changes?.[fileUri(file)];
    expect(edits).toEqual([{ range: range([6, 13], [6, 14]), newText: "withoutDerivative(x)" }]);
    expect(fs.readFileSync(file, "utf8").split("\n")[5]).toBe("  const k = x | 0;");
  }, 30_000);
});

describe("typescript-language-server with the plugin: ide-clean", () => {
  let server: LanguageServer;

  beforeAll(async () => {
    server = new LanguageServer();
    await server.initialize(cleanDir);
    for (const f of CLEAN_FILES) server.open(src(cleanDir, f));
    // An empty publish says nothing about whether semantic diagnostics were computed yet: wait
    // until every file has been published and nothing more came for 2 s.
    await server.waitForQuiet(CLEAN_FILES.map((f) => src(cleanDir, f)), 2_000, 20_000);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  }, 15_000);

  test("the plugin is loaded (it is there to say nothing)", () => {
    expect(server.tsserverPluginLog()).toContain("Plugin validation succeeded");
  });

  test.each(CLEAN_FILES)("%s: published with no diagnostics", (f) => {
    const d = server.latest(src(cleanDir, f));
    expect(d?.map(summary)).toEqual([]);
  });
});
