// @cotangent/ts-plugin: the TypeScript host of Cotangent. `./transformer` is the ts-patch program
// transformer; this entry exposes the pieces (ts.Node → IR adapter, mark finding, code splicing)
// for tools built on the compiler API. (A tsserver language-service plugin will live here later.)

export { adaptFunction, functionHeadLoc, type AdaptOptions, type FunctionLikeNode, type RuntimeRefs } from "./adapter.js";
export { typeNodeToIR, typeToIR, numericValue } from "./type-ir.js";
export { locOf, locOfRange } from "./loc.js";
export { findMarks, findRuntimeImports, jsDocMarkOf, runtimeExportOf, type Found, type RuntimeImports } from "./marks.js";
export { synthesizeFunction, synthesizeStatements, collectReferences, type SynthesizeOptions } from "./synthesize.js";
export { cotangentTransformer, toTsDiagnostic, type CotangentTransformerConfig, type TransformerExtras } from "./transformer.js";
