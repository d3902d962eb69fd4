// @cotangent/ts-plugin: the TypeScript host of Cotangent.
//  - The package itself is the tsserver language-service plugin (`{ "name": "@cotangent/ts-plugin" }`
//    in tsconfig `plugins`): `require("@cotangent/ts-plugin")` returns `init` (plugin.ts), with the
//    exports below as its properties (index.cjs).
//  - `./transformer` is the ts-patch program transformer.
//  - The pieces (ts.Node → IR adapter, mark finding, the per-file check, code splicing) are exported
//    here for tools built on the compiler API.

import { init } from "./plugin.js";

export default init;
export { init, createLanguageService, FIX_NAMES, type PluginModule } from "./plugin.js";
export { checkSourceFile, analyzeSourceFile, mightHaveMarks, toTsDiagnostic, type CheckResult, type AnalyzeOptions, type FileAnalysis } from "./check.js";
export { createCalleeResolver, type CalleeResolver } from "./callee.js";
export { adaptFunction, functionHeadLoc, type AdaptOptions, type FunctionLikeNode, type RuntimeRefs } from "./adapter.js";
export { typeNodeToIR, typeToIR, numericValue } from "./type-ir.js";
export { locOf, locOfRange } from "./loc.js";
export { findMarks, findRuntimeImports, jsDocMarkOf, runtimeExportOf, type Found, type RuntimeImports } from "./marks.js";
export { synthesizeFunction, synthesizeStatements, collectReferences, type SynthesizeOptions } from "./synthesize.js";
export { cotangentTransformer, type CotangentTransformerConfig, type TransformerExtras } from "./transformer.js";
