import { gradient } from "@cotangent/runtime";
/** @differentiable */
export function constant(x: number): number {
  return 3;
}
console.log(JSON.stringify(gradient(constant)(1.5)));
