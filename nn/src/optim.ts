// Optimizers: SGD, Momentum and Adam. `optimizer.update(model, gradient)` returns the updated
// model and leaves the one passed in unchanged (tensors are immutable; objects are rebuilt with
// the same prototype, so class instances stay instances). Optimizer state (velocities, moments)
// is kept per parameter path ("layers.0.weight"), so one optimizer belongs to one model.

import { add, cast, CotangentError, keep, mul, sub, Tensor } from "@cotangent/runtime";

type Backend = Tensor["backend"];

/** A parameter update rule: new value of one tensor from its gradient. */
type Step = (path: string, param: Tensor, grad: Tensor) => Tensor;
type NumberStep = (path: string, param: number, grad: number) => number;

/**
 * Rebuilds `model` with every tensor (and number) that has a gradient replaced by `step`'s result.
 * Fields without a gradient (null, NoDerivative settings, strings) are kept as they are.
 */
function mapParameters(model: unknown, gradient: unknown, path: string, step: Step, stepNumber: NumberStep): unknown {
  if (gradient === null || gradient === undefined) return model;
  if (model instanceof Tensor) {
    if (!(gradient instanceof Tensor))
      throw new CotangentError("CT3008", `update: the gradient at '${path || "the model"}' should be a Tensor of shape [${model.shape.join(",")}], got ${typeof gradient}.`);
    if (gradient.size !== model.size || gradient.shape.some((d, i) => d !== model.shape[i]))
      throw new CotangentError("CT3008", `update: the gradient at '${path || "the model"}' has shape [${gradient.shape.join(",")}], the parameter [${model.shape.join(",")}].`);
    return step(path, model, gradient);
  }
  if (typeof model === "number") return typeof gradient === "number" ? stepNumber(path, model, gradient) : model;
  if (Array.isArray(model)) {
    if (!Array.isArray(gradient)) throw new CotangentError("CT3008", `update: the gradient at '${path}' should be an array.`);
    return model.map((m, i) => mapParameters(m, gradient[i], `${path}${path ? "." : ""}${i}`, step, stepNumber));
  }
  if (typeof model === "object" && model !== null) {
    const out = Object.create(Object.getPrototypeOf(model)) as Record<string, unknown>;
    for (const key of Object.keys(model)) {
      const g = (gradient as Record<string, unknown>)[key];
      out[key] = mapParameters((model as Record<string, unknown>)[key], g, `${path}${path ? "." : ""}${key}`, step, stepNumber);
    }
    return out;
  }
  return model;
}

/** What every optimizer offers. */
export interface Optimizer {
  /** The model moved one step against `gradient` (a tangent of the model: same fields). A new object; `model` is unchanged. */
  update<M>(model: M, gradient: unknown): M;
}

function checkRate(lr: unknown, name: string): number {
  if (typeof lr !== "number" || !(lr > 0) || !Number.isFinite(lr))
    throw new CotangentError("CT3005", `${name}: learningRate must be a positive number, got ${String(lr)}.`);
  return lr;
}

/** Plain gradient descent: p ← p − learningRate · g. */
export class SGD implements Optimizer {
  readonly learningRate: number;

  constructor(options: { learningRate: number }) {
    this.learningRate = checkRate(options?.learningRate, "SGD");
  }

  update<M>(model: M, gradient: unknown): M {
    const lr = this.learningRate;
    return mapParameters(
      model,
      gradient,
      "",
      (_path, p, g) => cast(sub(p, mul(g, lr)), p.dtype),
      (_path, p, g) => p - lr * g,
    ) as M;
  }
}

/** Gradient descent with momentum: v ← μ·v + g; p ← p − learningRate · v (Nesterov: p − lr·(g + μ·v)). */
export class Momentum implements Optimizer {
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<string, Tensor | number>();

  constructor(options: { learningRate: number; momentum?: number; nesterov?: boolean }) {
    this.learningRate = checkRate(options?.learningRate, "Momentum");
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
  }

  update<M>(model: M, gradient: unknown): M {
    const { learningRate: lr, momentum: mu, nesterov } = this;
    return mapParameters(
      model,
      gradient,
      "",
      (path, p, g) => {
        const old = this.velocity.get(path);
        // The optimizer's state outlives a tidy(...) around update: keep it, and free the previous
        // velocity (always one this optimizer made: the first is a copy, never the caller's g).
        const v = keep(old instanceof Tensor && old.size === p.size ? add(mul(old, mu), g) : add(cast(g, p.dtype), 0));
        if (old instanceof Tensor) old.dispose();
        this.velocity.set(path, v);
        return cast(sub(p, mul(nesterov ? add(g, mul(v, mu)) : v, lr)), p.dtype);
      },
      (path, p, g) => {
        const old = this.velocity.get(path);
        const v = (typeof old === "number" ? mu * old : 0) + g;
        this.velocity.set(path, v);
        return p - lr * (nesterov ? g + mu * v : v);
      },
    ) as M;
  }
}

export interface AdamOptions {
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
}

/**
 * Adam (Kingma & Ba): bias-corrected first and second moments per parameter, updated by one fused
 * kernel per parameter on the parameter's backend (WebAssembly on the CPU for float32), or, where
 * the backend offers it (WebGPU), by kernels that each update as many parameters as fit.
 *
 * @example
 * const optimizer = new Adam({ learningRate: 1e-3 });
 * model = optimizer.update(model, gradient(loss)(model, x, y));
 */
export class Adam implements Optimizer {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Number of updates so far. */
  step = 0;
  private readonly moments = new Map<string, { m: Tensor; v: Tensor } | { m: number; v: number }>();

  constructor(options: AdamOptions) {
    this.learningRate = checkRate(options?.learningRate, "Adam");
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  update<M>(model: M, gradient: unknown): M {
    this.step++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    const hyper = { lr, beta1: b1, beta2: b2, eps, c1, c2 };
    const moments = (path: string, p: Tensor): { m: Tensor; v: Tensor } => {
      let s = this.moments.get(path);
      if (!s || typeof s.m === "number" || (s.m as Tensor).size !== p.size) {
        // Moments outlive a tidy(...) around update: keep them.
        s = { m: keep(p.backend.fill(p.shape, p.dtype, 0)), v: keep(p.backend.fill(p.shape, p.dtype, 0)) };
        this.moments.set(path, s);
      }
      return s as { m: Tensor; v: Tensor };
    };
    // Tensors on a backend that updates many parameters at once are collected first (a walk that
    // changes nothing), updated together, then placed; the others are updated one by one.
    const batched = new Map<string, { param: Tensor; grad: Tensor; m: Tensor; v: Tensor }>();
    mapParameters(
      model,
      gradient,
      "",
      (path, p, g) => {
        if (p.backend.adamMany) batched.set(path, { param: p, grad: g, ...moments(path, p) });
        return p;
      },
      (_path, p) => p,
    );
    const updated = new Map<string, Tensor>();
    const byBackend = new Map<Backend, string[]>();
    for (const [path, it] of batched) byBackend.set(it.param.backend, [...(byBackend.get(it.param.backend) ?? []), path]);
    for (const [be, paths] of byBackend) {
      const outs = be.adamMany!(paths.map((path) => batched.get(path)!), hyper);
      paths.forEach((path, i) => updated.set(path, outs[i]!));
    }
    return mapParameters(
      model,
      gradient,
      "",
      (path, p, g) => {
        const done = updated.get(path);
        if (done) return done;
        const s = moments(path, p);
        return p.backend.adam(p, g, s.m, s.v, hyper);
      },
      (path, p, g) => {
        const old = this.moments.get(path);
        const s = old && typeof old.m === "number" ? (old as { m: number; v: number }) : { m: 0, v: 0 };
        s.m = b1 * s.m + (1 - b1) * g;
        s.v = b2 * s.v + (1 - b2) * g * g;
        this.moments.set(path, s);
        return p - (lr * (s.m / c1)) / (Math.sqrt(s.v / c2) + eps);
      },
    ) as M;
  }
}
