// What the generated rules (./jvp.generated.ts) reach as "@cotangent/runtime": the tensor ops and
// the helpers generated code calls, without the package index (which loads the rules). So the
// rules never see a half-initialized index, and nothing depends on the order of imports.

export * from "../ops/index.js";
export { Tensor } from "../tensor/tensor.js";
export type { DType } from "../tensor/dtype.js";
export { tensor, zeros, ones, full } from "../tensor/create.js";
export {
  withoutDerivative,
  zerosLike,
  addTangent,
  accumulate,
  scaleTangent,
  copyTangent,
  sumElements,
  checkTangentShape,
  concreteTangent,
  forInKeys,
} from "../ad/tangent.js";
export { Tape, takeTape, releaseTape } from "../ad/tape.js";
export {
  Derivatives,
  defineDerivatives,
  getDerivatives,
  jvpCall,
  vjpCall,
  jvpMethodCall,
  vjpMethodCall,
  pullbackReused,
  lazyCotangents,
} from "../ad/derivatives.js";
