// Source locations in the core's terms: offsets into the file text, 1-based lines, 0-based columns.

import type * as TS from "typescript";
import type { Loc } from "@cotangent/transformer";

/** The location of `[start, end)` in `sourceFile`. */
export function locOfRange(sourceFile: TS.SourceFile, start: number, end: number): Loc {
  const s = sourceFile.getLineAndCharacterOfPosition(start);
  const e = sourceFile.getLineAndCharacterOfPosition(end);
  return { start, end, line: s.line + 1, column: s.character, endLine: e.line + 1, endColumn: e.character };
}

/** The location of a node, without its leading trivia (comments, whitespace). */
export function locOf(sourceFile: TS.SourceFile, node: TS.Node): Loc {
  return locOfRange(sourceFile, node.getStart(sourceFile), node.getEnd());
}
