// Loading the runtime's primitive table (runtime/dist/primitives.json, written from its op
// registry at build time) for the hosts. Resolved from the file being compiled, so a project gets
// the table of the runtime version it imports.

import { createRequire } from "node:module";
import * as path from "node:path";
import type { PrimitiveTable } from "./api.js";
import { RUNTIME_MODULE } from "./host.js";

const cache = new Map<string, PrimitiveTable | null>();

/**
 * The primitive table of the @cotangent/runtime that `fileName` would import, or undefined when
 * none can be found (then runtime op calls are resolved at run time only).
 */
export function loadPrimitiveTable(fileName: string): PrimitiveTable | undefined {
  for (const from of [path.resolve(fileName), path.join(process.cwd(), "index.js")]) {
    let resolved: string;
    try {
      resolved = createRequire(from).resolve(`${RUNTIME_MODULE}/primitives.json`);
    } catch {
      continue;
    }
    let table = cache.get(resolved);
    if (table === undefined) {
      try {
        table = createRequire(from)(resolved) as PrimitiveTable;
      } catch {
        table = null;
      }
      cache.set(resolved, table);
    }
    if (table) return table;
  }
  return undefined;
}
