// Compiles generated programs many to a module (one compile per batch, not per program), and
// isolates failures: when a batch fails to compile it is split into smaller batches until the
// failing programs stand alone, each remembered with its own error. Used by the property tests.

import * as path from "path";
import { CORPUS_DIR } from "./compile";

export class BatchCompileCache<P, C> {
  private readonly byKey = new Map<string, C | Error>();
  private counter = 0;

  /**
   * @param filePrefix names the generated module files (`<CORPUS_DIR>/<filePrefix>_<n>.ts`).
   * @param compileBatch compiles `programs` (exported as `names`) into one module at `file` and returns
   *   one result per program; throws when the module does not compile.
   */
  constructor(
    private readonly filePrefix: string,
    private readonly keyOf: (p: P) => string,
    private readonly compileBatch: (names: readonly string[], programs: readonly P[], file: string) => C[],
  ) {}

  /** Compiles every program not compiled yet, in one batch. */
  prepare(programs: readonly P[]): void {
    const fresh = [...new Map(programs.filter((p) => !this.byKey.has(this.keyOf(p))).map((p) => [this.keyOf(p), p])).values()];
    this.compileGroup(fresh);
  }

  /** The compiled program, or its compile error thrown. */
  get(p: P): C {
    const key = this.keyOf(p);
    if (!this.byKey.has(key)) this.compileGroup([p]);
    const r = this.byKey.get(key)!;
    if (r instanceof Error) throw r;
    return r;
  }

  private compileGroup(programs: readonly P[]): void {
    if (!programs.length) return;
    const names = programs.map((_, i) => `p${i}`);
    const file = path.join(CORPUS_DIR, `${this.filePrefix}_${this.counter++}.ts`);
    try {
      const results = this.compileBatch(names, programs, file);
      programs.forEach((p, i) => this.byKey.set(this.keyOf(p), results[i]!));
    } catch (e: unknown) {
      if (programs.length === 1) {
        this.byKey.set(this.keyOf(programs[0]!), e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const k = Math.max(1, Math.ceil(programs.length / 8));
      for (let i = 0; i < programs.length; i += k) this.compileGroup(programs.slice(i, i + k));
    }
  }
}
