import { gradient } from "@cotangent/runtime";
/** @differentiable */
export function truncated(x: number): number {
  const k = x | 0;
  return k * x;
}
console.log(gradient(truncated)(1.5));
