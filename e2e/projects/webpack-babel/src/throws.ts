// Source-map check (e2e/test/build.test.ts): the pullback of `fragile` throws, so the stack
// trace runs through the generated pullback of `usesFragile`, which must map back to this file.
import { gradient, registerDerivative } from "@cotangent/runtime";

export function fragile(x: number): number {
  return x * x;
}
registerDerivative(fragile, {
  vjp: (x: number) => ({
    value: x * x,
    pullback: (): number => {
      throw new Error("fragile: no pullback here");
    },
  }),
});

/** @differentiable */
export function usesFragile(x: number): number {
  const y = 2 * x;
  const z = fragile(y); // THROWS-IN-PULLBACK
  return z + y;
}

console.log(gradient(usesFragile)(1.5));
