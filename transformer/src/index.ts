// @cotangent/transformer: the host-agnostic differentiation core. Hosts (the Babel plugin, the
// ts-patch transformer, the `cotangent` CLI) lower marked functions to the IR in ir.ts and call
// `differentiate`; see api.ts for the contract.

export * from "./api.js";
export * from "./host.js";
export type * from "./ir.js";
export { differentiate } from "./differentiate.js";
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
export { loadPrimitiveTable } from "./primitives.js";
export { compileKernel, type KernelSource } from "./kernel.js";
