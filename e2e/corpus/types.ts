// Shape of the per-file test tables in the corpus. Every corpus file exports
// `cases: CorpusCase[]`; the harness compiles the file with each host, applies the
// differential operators to `name` inside the compiled module, and checks the results.

export type Value = number | Value[] | { [key: string]: Value };

export interface CorpusCase {
  /** The exported, number-valued function (or `differentiable(...)` const) under test. */
  name: string;
  /** Distinguishes several cases of the same function (other input points); defaults to `name`. */
  label?: string;
  /**
   * A fresh input point (called once per evaluation; the harness also deep-clones, keeping class
   * instances instances). An argument may be a class instance whose fields are Values.
   */
  args: () => (Value | object)[];
  /** Differentiated parameter indices; must match the function's `wrt` mark. Default: all parameters. */
  wrt?: number[];
  /** Scalar → scalar: also check derivative(derivative(f)) and gradient(gradient(f)). */
  secondOrder?: boolean;
  /**
   * The expected gradient when finite differences of `f` are not the right reference
   * (e.g. `withoutDerivative`): same convention as `gradient(f)(...args)`.
   */
  expectedGradient?: (...args: any[]) => Value;
}
