// A small Language Server Protocol client for typescript-language-server (the tsserver wrapper
// that Neovim, Emacs, Helix, Sublime and others run): JSON-RPC 2.0 over stdio, each message framed
// by a `Content-Length` header in both directions.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./tsserver-client";

/** The installed typescript-language-server's entry (node_modules/.bin/typescript-language-server links to it). */
export const languageServerPath = fs.realpathSync(path.join(repoRoot, "node_modules", ".bin", "typescript-language-server"));

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  code?: number | string;
  source?: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: LspRange }; message: string }[];
}
export interface PublishDiagnosticsParams {
  uri: string;
  version?: number;
  diagnostics: LspDiagnostic[];
}
export interface LspTextEdit {
  range: LspRange;
  newText: string;
}
export interface LspCodeAction {
  title: string;
  kind?: string;
  diagnostics?: LspDiagnostic[];
  edit?: { changes?: Record<string, LspTextEdit[]>; documentChanges?: { textDocument: { uri: string }; edits: LspTextEdit[] }[] };
  command?: unknown;
}

interface Message {
  jsonrpc: "2.0";
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

export const fileUri = (file: string): string => pathToFileURL(file).href;

export class LanguageServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = "";
  private exited: string | undefined;
  /** Every `textDocument/publishDiagnostics`, in arrival order, with its arrival time. */
  readonly published: { at: number; params: PublishDiagnosticsParams }[] = [];
  /** `window/logMessage` and `window/showMessage` texts (what the server says about tsserver and plugins). */
  readonly logMessages: string[] = [];
  private readonly waiters = new Set<() => void>();
  /** Where the tsserver processes started by the language server write their logs. */
  readonly tsserverLogDir = fs.mkdtempSync(path.join(os.tmpdir(), "ct-lsp-"));

  constructor(private readonly timeoutMs = 30_000) {
    this.child = spawn(process.execPath, [languageServerPath, "--stdio"], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.child.on("exit", (code, signal) => {
      this.exited = `typescript-language-server exited (code ${code}, signal ${signal}); stderr: ${this.stderr}`;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(this.exited));
      }
      this.pending.clear();
    });
  }

  private write(message: Omit<Message, "jsonrpc">): void {
    if (this.exited) throw new Error(this.exited);
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString("ascii"));
      if (!m) throw new Error(`LSP: bad header ${JSON.stringify(this.buffer.subarray(0, headerEnd).toString("ascii"))}`);
      const start = headerEnd + 4;
      const length = Number(m[1]);
      if (this.buffer.length < start + length) return;
      const message = JSON.parse(this.buffer.subarray(start, start + length).toString("utf8")) as Message;
      this.buffer = this.buffer.subarray(start + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server (workDoneProgress/create, workspace/configuration, client/registerCapability…).
      const result = message.method === "workspace/configuration" ? ((message.params as { items?: unknown[] })?.items ?? []).map(() => null) : null;
      this.write({ id: message.id, result });
      return;
    }
    if (message.method !== undefined) {
      if (message.method === "textDocument/publishDiagnostics") {
        this.published.push({ at: Date.now(), params: message.params as PublishDiagnosticsParams });
        for (const w of [...this.waiters]) w();
      } else if (message.method === "window/logMessage" || message.method === "window/showMessage") {
        this.logMessages.push((message.params as { message: string }).message);
      }
      return;
    }
    const p = this.pending.get(message.id as number);
    if (!p) return;
    this.pending.delete(message.id as number);
    clearTimeout(p.timer);
    if (message.error) p.reject(new Error(`LSP error ${message.error.code}: ${message.error.message}`));
    else p.resolve(message.result);
  }

  request<T = unknown>(method: string, params: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`LSP: no response to '${method}' within ${this.timeoutMs} ms; stderr: ${this.stderr}`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.write({ method, params });
  }

  /** `initialize` + `initialized` for a workspace folder; returns the server's capabilities. */
  async initialize(rootDir: string): Promise<unknown> {
    const result = await this.request("initialize", {
      processId: process.pid,
      rootUri: fileUri(rootDir),
      workspaceFolders: [{ uri: fileUri(rootDir), name: path.basename(rootDir) }],
      capabilities: {
        textDocument: {
          synchronization: { didSave: false, dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          codeAction: {
            codeActionLiteralSupport: { codeActionKind: { valueSet: ["", "quickfix", "refactor", "source"] } },
            isPreferredSupport: true,
          },
        },
        workspace: { workspaceFolders: true, configuration: false },
        window: { workDoneProgress: false },
      },
      initializationOptions: { disableAutomaticTypingAcquisition: true, tsserver: { logVerbosity: "normal", logDirectory: this.tsserverLogDir } },
    });
    this.notify("initialized", {});
    return result;
  }

  open(file: string, text = fs.readFileSync(file, "utf8"), version = 1): void {
    this.notify("textDocument/didOpen", { textDocument: { uri: fileUri(file), languageId: "typescript", version, text } });
  }

  /** The log lines of its tsserver processes about plugins (see TsServer.pluginLog). */
  tsserverPluginLog(): string {
    const lines: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".log"))
          for (const l of fs.readFileSync(p, "utf8").split("\n"))
            if (/Enabling plugin|Loading global plugin|Loading \S+ from .*resolved to|Failed to load module|Couldn't find|Skipped loading plugin|Plugin validation|Plugin activation/.test(l)) lines.push(l);
      }
    };
    walk(this.tsserverLogDir);
    return lines.join("\n");
  }

  /** The latest diagnostics published for a file (undefined: none yet). */
  latest(file: string): LspDiagnostic[] | undefined {
    const uri = fileUri(file);
    for (let i = this.published.length - 1; i >= 0; i--) if (this.published[i]!.params.uri === uri) return this.published[i]!.params.diagnostics;
    return undefined;
  }

  /**
   * Waits until `done(latest diagnostics of file)` holds, re-checking on every publish, or until
   * `timeoutMs`; returns the latest diagnostics either way (the caller asserts on them).
   */
  waitForDiagnostics(file: string, done: (d: LspDiagnostic[]) => boolean, timeoutMs = 20_000): Promise<LspDiagnostic[] | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const d = this.latest(file);
        if (d && done(d)) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.latest(file));
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until every file has had a publish and no publish came for `quietMs` (or `timeoutMs`). */
  async waitForQuiet(files: string[], quietMs = 2_000, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.published.length ? this.published[this.published.length - 1]!.at : 0;
      const all = files.every((f) => this.latest(f) !== undefined);
      if ((all && Date.now() - last >= quietMs) || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    if (this.exited) {
      fs.rmSync(this.tsserverLogDir, { recursive: true, force: true });
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    try {
      await this.request("shutdown", null);
      this.notify("exit", null);
    } catch {
      this.child.kill("SIGKILL");
    }
    await exited;
    clearTimeout(timer);
    fs.rmSync(this.tsserverLogDir, { recursive: true, force: true });
  }
}
