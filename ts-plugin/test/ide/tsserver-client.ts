// A small client for a real tsserver process (the one an editor runs): requests go to its stdin
// as one JSON object per line; responses and events come back on stdout, each framed by a
// `Content-Length: N` header (N counts bytes). Used by the IDE tests and the IDE benchmark.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../../..");
export const tsserverPath = path.join(repoRoot, "node_modules", "typescript", "lib", "tsserver.js");

/** A 1-based line and character offset, as the tsserver protocol counts them. */
export interface Location {
  line: number;
  offset: number;
}

export interface RelatedInformation {
  category: string;
  code: number;
  message: string;
  span?: { start: Location; end: Location; file: string };
}

/** `protocol.Diagnostic` (what `semanticDiagnosticsSync` returns without `includeLinePosition`). */
export interface ServerDiagnostic {
  start: Location;
  end: Location;
  text: string;
  code: number;
  category: string;
  source?: string;
  relatedInformation?: RelatedInformation[];
}

export interface TextChange {
  start: Location;
  end: Location;
  newText: string;
}

export interface CodeFixAction {
  fixName: string;
  description: string;
  changes: { fileName: string; textChanges: TextChange[] }[];
  fixId?: unknown;
  commands?: unknown[];
}

interface Response {
  seq: number;
  type: "response";
  command: string;
  request_seq: number;
  success: boolean;
  message?: string;
  body?: unknown;
}

interface Event {
  seq: number;
  type: "event";
  event: string;
  body?: unknown;
}

export interface TsServerOptions {
  /** Extra command-line arguments (e.g. `--globalPlugins`). */
  args?: string[];
  /** Write tsserver's verbose log here (read it with `log()`, e.g. to see whether a plugin loaded). */
  logFile?: string;
  /** Milliseconds to wait for one response (default 30 s). */
  timeoutMs?: number;
}

export class TsServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private seq = 0;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = "";
  private exited: string | undefined;
  readonly events: Event[] = [];
  readonly logFile: string;
  private readonly timeoutMs: number;
  /** The temporary folder of the log, when we made it (removed by `close`). */
  private readonly tempDir: string | undefined;

  constructor(options: TsServerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.tempDir = options.logFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "ct-tsserver-"));
    this.logFile = options.logFile ?? path.join(this.tempDir!, "tsserver.log");
    const args = [
      tsserverPath,
      "--disableAutomaticTypingAcquisition",
      "--logVerbosity",
      "verbose",
      "--logFile",
      this.logFile,
      ...(options.args ?? []),
    ];
    this.child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.child.on("exit", (code, signal) => {
      this.exited = `tsserver exited (code ${code}, signal ${signal}); stderr: ${this.stderr}`;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(this.exited));
      }
      this.pending.clear();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`tsserver: unexpected output ${JSON.stringify(header)}`);
      const length = Number(m[1]);
      const bodyStart = headerEnd + 4;
      if (this.buffer.length < bodyStart + length) return;
      const body = this.buffer.subarray(bodyStart, bodyStart + length).toString("utf8");
      this.buffer = this.buffer.subarray(bodyStart + length);
      const message = JSON.parse(body) as Response | Event;
      if (message.type === "response") {
        const p = this.pending.get(message.request_seq);
        if (p) {
          this.pending.delete(message.request_seq);
          clearTimeout(p.timer);
          p.resolve(message);
        }
      } else if (message.type === "event") {
        this.events.push(message);
      }
    }
  }

  /** Sends a request that tsserver answers with no response (`open`, `close`, `configure`...). */
  notify(command: string, args?: unknown): void {
    if (this.exited) throw new Error(this.exited);
    this.child.stdin.write(JSON.stringify({ seq: ++this.seq, type: "request", command, arguments: args }) + "\n");
  }

  /** Sends a request and resolves with its response body; rejects when `success` is false. */
  request<T = unknown>(command: string, args?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`tsserver: no response to '${command}' within ${this.timeoutMs} ms; stderr: ${this.stderr}`));
      }, this.timeoutMs);
      this.pending.set(seq, {
        resolve: (r) => (r.success ? resolve(r.body as T) : reject(new Error(`tsserver '${command}' failed: ${r.message}`))),
        reject,
        timer,
      });
      this.child.stdin.write(JSON.stringify({ seq, type: "request", command, arguments: args }) + "\n");
    });
  }

  /** Opens a file with its content from disk (or `content`); the project is its tsconfig's. */
  open(file: string, content?: string): void {
    this.notify("open", { file, ...(content !== undefined ? { fileContent: content, scriptKindName: "TS" } : {}) });
  }

  /** Replaces the whole text of an open file (what an editor sends after an edit). */
  async replaceContent(file: string, oldContent: string, newContent: string): Promise<void> {
    await this.request("updateOpen", {
      changedFiles: [{ fileName: file, textChanges: [{ start: { line: 1, offset: 1 }, end: endLocation(oldContent), newText: newContent }] }],
    });
  }

  semanticDiagnostics(file: string): Promise<ServerDiagnostic[]> {
    return this.request<ServerDiagnostic[]>("semanticDiagnosticsSync", { file });
  }

  syntacticDiagnostics(file: string): Promise<ServerDiagnostic[]> {
    return this.request<ServerDiagnostic[]>("syntacticDiagnosticsSync", { file });
  }

  codeFixes(file: string, start: Location, end: Location, errorCodes: number[]): Promise<CodeFixAction[]> {
    return this.request<CodeFixAction[]>("getCodeFixes", {
      file,
      startLine: start.line,
      startOffset: start.offset,
      endLine: end.line,
      endOffset: end.offset,
      errorCodes,
    });
  }

  /** tsserver's log so far (plugin loading is logged as "Enabling plugin …" / "Plugin validation succeeded" / "Failed to load module"). */
  log(): string {
    try {
      return fs.readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  /** The log lines about plugins, for failure messages. */
  pluginLog(): string {
    return this.log()
      .split("\n")
      .filter((l) => /Enabling plugin|Loading global plugin|Loading \S+ from .*resolved to|Failed to load module|Couldn't find|Skipped loading plugin|Plugin validation|Plugin activation/.test(l))
      .join("\n");
  }

  async close(): Promise<void> {
    if (this.exited) {
      if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      this.notify("exit");
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** The location just past the end of `text` (1-based line and offset). */
export function endLocation(text: string): Location {
  const lines = text.split("\n");
  return { line: lines.length, offset: lines[lines.length - 1]!.length + 1 };
}

/** The string index of a 1-based location in `text`. */
export function indexOf(text: string, loc: Location): number {
  let index = 0;
  for (let line = 1; line < loc.line; line++) {
    const nl = text.indexOf("\n", index);
    if (nl < 0) throw new Error(`line ${loc.line} is past the end of the text`);
    index = nl + 1;
  }
  return index + loc.offset - 1;
}

/** Applies text changes (positions in the original text, as tsserver gives them) to `text`. */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  const spans = changes
    .map((c, i) => ({ from: indexOf(text, c.start), to: indexOf(text, c.end), newText: c.newText, i }))
    // From the end backwards; of two insertions at one place, the later one first (so it ends up after).
    .sort((a, b) => b.from - a.from || b.i - a.i);
  let out = text;
  for (const s of spans) out = out.slice(0, s.from) + s.newText + out.slice(s.to);
  return out;
}
