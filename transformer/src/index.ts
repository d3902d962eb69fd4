// @cotangent/transformer: the host-agnostic differentiation core. Hosts (the Babel plugin, the
// ts-patch transformer and editor plugin, the bundler plugin) report a file's mark sites to
// `planModule` (module.ts), lower the functions it asks for to the IR in ir.ts, and apply the edits
// it returns; see api.ts for the per-function contract.

export * from "./api.js";
export * from "./host.js";
export type * from "./ir.js";
export { differentiate } from "./differentiate.js";
export {
  planModule,
  siteMark,
  mightHaveMarks,
  MARK_HINT,
  isSecondOrderInner,
  type FunctionFacts,
  type LowerRequest,
  type ModuleInput,
  type ModulePlan,
  type Piece,
  type PlannedMark,
  type Replacement,
  type Site,
  type SiteEdit,
} from "./module.js";
export {
  differentiateSafely,
  differentiateSecondOrder,
  differentiatesAnOperator,
  secondOrderContext,
  secondOrderMode,
  type SecondOrderCandidate,
  type SecondOrderMode,
  type SecondOrderOption,
  type SecondOrderResult,
} from "./second-order.js";
export { CODES, TS_CODE_BASE, codeFrame, formatDiagnostic, tsCodeOf } from "./diagnostics.js";
export {
  CATALOG,
  FIXES,
  NOTES,
  SYNTAX,
  diagnostic,
  fixTitle,
  fixableCodes,
  kernelError,
  message,
  notDifferentiable,
  note,
  ownerWords,
  part,
  syntaxText,
  type Args,
  type ArgsOf,
  type Code,
  type DiagnosticOptions,
  type FixKind,
  type ReasonOf,
  type SyntaxKind,
} from "./catalog.js";
export { jsDocWrtSite, markEdit, type WrtSite } from "./fixes.js";
export { loadPrimitiveTable } from "./primitives.js";
export { isNullish, optionalType, unionType } from "./types.js";
export { compileKernel, type KernelSource } from "./kernel.js";
