/** @jsx h */
// A .tsx module: the plugin parses TypeScript and JSX, differentiates, and leaves the JSX (and the
// types) to esbuild. `h` is a tiny string renderer, so node can print the result.
import { derivative } from "@cotangent/runtime";

function h(tag: string, _props: unknown, ...children: unknown[]): string {
  return `<${tag}>${children.join("")}</${tag}>`;
}

/** @differentiable */
function cube(x: number): number {
  return x * x * x;
}

const slope: number = derivative(cube)(2);
console.log(<b>{slope}</b>);
